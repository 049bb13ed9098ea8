#!/usr/bin/env python
"""Compare a fresh golden-data export with the committed one.

Usage::

    python golden_data/export_golden.py --out /tmp/golden_new
    python golden_data/check_golden.py /tmp/golden_new [--reference golden_data]

Rules (tolerances come from the reference ``manifest.json``):

* every file listed in either manifest exists in both folders, and each file's sha256 matches its
  own manifest entry;
* text, tokenizer, vocabulary and config files are byte-identical;
* every ``model.safetensors``: same tensor names, dtypes, shapes and metadata, values within
  ``regen_weights_atol + regen_weights_ulps`` float32 ulps of the reference value -- never byte for byte;
* in every ``cases/*.npz``: same keys, dtypes and shapes; integer arrays bit-identical; text arrays (the
  replay manifests' JSON header, sha256 and torch version) identical; ``logits`` within
  ``regen_logits_atol``; ``loss`` and ``cross_entropy`` within ``regen_loss_rtol``; ``per_token_loss``
  (and the pll files' ``<variant>_token_log_prob`` and ``<variant>_pll``) within
  ``2 * regen_logits_atol + regen_loss_rtol * |reference|``;
* every regenerated ``model.onnx`` run with ONNX Runtime on the reference golden batches of its
  model gives logits within ``regen_logits_atol`` of the committed logits;
* every regenerated export variant (``variants/<name>/model.onnx``) has the reference interface and, fed
  like the library feeds it (``exporter.variant_feeds``), gives logits on its reference case within the
  variant's ``tolerances.logits_atol`` of the committed torch logits;
* manifest values are equal (floats within the regen tolerances); ``files`` is checked file by
  file as above; a ``versions`` difference, or a splade section skipped because ``../shared`` was
  absent, is only a warning.  The variants' measured errors (``VARIANT_MEASUREMENTS``) are re-measured by
  the check above instead of compared: float16 logits may round differently on another machine.

A tolerance that exporter/specs.py has and an older reference manifest lacks is taken from specs.py (and
named); the reference's own values always win.

Prints one line per checked item and exits 1 on any mismatch, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from safetensors import safe_open

from exporter.files import sha256_file
from exporter.specs import TOLERANCES
from exporter.variant_feeds import run_variant

GOLDEN_DIR = Path(__file__).resolve().parent
NOT_COMPARED_MANIFEST_KEYS = ("files",)
WARN_ONLY_MANIFEST_KEYS = ("versions",)
# Sections an export skips when ../shared is absent: a skipped side is a warning, not a failure.
OPTIONAL_MANIFEST_KEYS = ("splade_wikitext", "splade_wikitext_200")
VARIANT_MEASUREMENTS = ("ort_vs_torch_max_abs", "case_logits_max_abs", "case_loss_rel_diff")


class Report:
    """Collects and prints per-item results."""

    def __init__(self) -> None:
        self.failures = 0
        self.warnings = 0

    def ok(self, item: str, detail: str = "") -> None:
        print(f"OK    {item}" + (f"  ({detail})" if detail else ""))

    def fail(self, item: str, detail: str) -> None:
        self.failures += 1
        print(f"FAIL  {item}: {detail}")

    def warn(self, item: str, detail: str) -> None:
        self.warnings += 1
        print(f"WARN  {item}: {detail}")


def load_manifest(folder: Path) -> dict[str, Any]:
    """Load ``folder/manifest.json``."""
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def floats_close(new: float, ref: float, tolerances: dict[str, float]) -> bool:
    """Generic manifest float rule: within the logits atol or the loss rtol."""
    difference = abs(new - ref)
    return difference <= tolerances["regen_logits_atol"] or difference <= tolerances["regen_loss_rtol"] * max(
        abs(new), abs(ref)
    )


def diff_values(new: Any, ref: Any, path: str, tolerances: dict[str, float]) -> Iterator[str]:
    """Yield a description of every difference between two JSON values."""
    if isinstance(ref, dict) and isinstance(new, dict):
        for key in sorted(set(ref) | set(new)):
            if key not in new or key not in ref:
                yield f"{path}.{key}: only in {'reference' if key in ref else 'new'}"
            else:
                yield from diff_values(new[key], ref[key], f"{path}.{key}", tolerances)
    elif isinstance(ref, list) and isinstance(new, list):
        if len(ref) != len(new):
            yield f"{path}: length {len(new)} != {len(ref)}"
        else:
            for index, (item_new, item_ref) in enumerate(zip(new, ref)):
                yield from diff_values(item_new, item_ref, f"{path}[{index}]", tolerances)
    elif isinstance(ref, float) or isinstance(new, float):
        numbers = all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in (new, ref))
        if not numbers or not floats_close(float(new), float(ref), tolerances):
            yield f"{path}: {new!r} != {ref!r}"
    elif new != ref or type(new) is not type(ref):
        yield f"{path}: {new!r} != {ref!r}"


def comparable(key: str, section: Any) -> Any:
    """A manifest section as compared: the variants without their measured errors."""
    if key != "variants" or not isinstance(section, dict):
        return section
    return {
        name: {field: value for field, value in entry.items() if field not in VARIANT_MEASUREMENTS}
        for name, entry in section.items()
    }


def check_manifest(
    new: dict[str, Any], ref: dict[str, Any], tolerances: dict[str, float], report: Report
) -> None:
    """Compare the manifests section by section."""
    for key in sorted(set(ref) | set(new)):
        if key in NOT_COMPARED_MANIFEST_KEYS:
            continue
        differences = list(diff_values(comparable(key, new.get(key)), comparable(key, ref.get(key)), key, tolerances))
        item = f"manifest.json [{key}]"
        skipped = [
            side
            for side, manifest in (("new", new), ("reference", ref))
            if "skipped" in (manifest.get(key) or {})
        ]
        if differences and key in OPTIONAL_MANIFEST_KEYS and skipped:
            report.warn(item, f"not compared, skipped in the {' and '.join(skipped)} export")
        elif not differences:
            report.ok(item)
        elif key in WARN_ONLY_MANIFEST_KEYS:
            report.warn(item, "; ".join(differences))
        else:
            report.fail(
                item,
                "; ".join(differences[:5])
                + (f" (+{len(differences) - 5} more)" if len(differences) > 5 else ""),
            )


def check_file_lists(
    new_dir: Path, ref_dir: Path, new: dict[str, Any], ref: dict[str, Any], report: Report
) -> list[str]:
    """Check that both manifests list the same files and that the files match their hashes."""
    ref_files, new_files = ref.get("files", {}), new.get("files", {})
    for name in sorted(set(ref_files) ^ set(new_files)):
        report.fail(name, f"listed only in the {'reference' if name in ref_files else 'new'} manifest")
    common = sorted(set(ref_files) & set(new_files))
    for folder, files, label in ((ref_dir, ref_files, "reference"), (new_dir, new_files, "new")):
        for name in common:
            path = folder / name
            if not path.is_file():
                report.fail(name, f"missing from the {label} folder")
            elif sha256_file(path) != files[name]:
                report.fail(name, f"{label} file does not match its manifest sha256 (stale manifest?)")
    return [name for name in common if (ref_dir / name).is_file() and (new_dir / name).is_file()]


def check_npz(new_path: Path, ref_path: Path, tolerances: dict[str, float], report: Report) -> None:
    """Integer arrays bit-identical, float arrays within the regen tolerances."""
    name = ref_path.parent.name + "/" + ref_path.name
    with np.load(new_path, allow_pickle=False) as new_npz, np.load(ref_path, allow_pickle=False) as ref_npz:
        new_arrays = {key: new_npz[key] for key in new_npz.files}
        ref_arrays = {key: ref_npz[key] for key in ref_npz.files}
    if set(new_arrays) != set(ref_arrays):
        report.fail(name, f"keys {sorted(new_arrays)} != {sorted(ref_arrays)}")
        return
    problems, details = [], []
    for key in sorted(ref_arrays):
        new_array, ref_array = new_arrays[key], ref_arrays[key]
        if new_array.dtype != ref_array.dtype or new_array.shape != ref_array.shape:
            problems.append(
                f"{key}: {new_array.dtype}{new_array.shape} != {ref_array.dtype}{ref_array.shape}"
            )
        elif np.issubdtype(ref_array.dtype, np.integer) or ref_array.dtype == np.bool_:
            if not np.array_equal(new_array, ref_array):
                problems.append(f"{key}: {int((new_array != ref_array).sum())} elements differ")
        elif ref_array.dtype.kind == "U":  # a replay manifest's JSON header, sha256 and version strings
            if not np.array_equal(new_array, ref_array):
                problems.append(f"{key}: text differs")
        else:
            problem, detail = compare_float_array(
                key, new_array.astype(np.float64), ref_array.astype(np.float64), tolerances
            )
            details.append(detail)
            if problem:
                problems.append(problem)
    if problems:
        report.fail(name, "; ".join(problems))
    else:
        report.ok(name, ", ".join(["integers and text identical", *details]))


def compare_float_array(
    key: str, new: np.ndarray, ref: np.ndarray, tolerances: dict[str, float]
) -> tuple[str | None, str]:
    """Return (problem or None, detail) for one float array of a case."""
    atol, rtol = tolerances["regen_logits_atol"], tolerances["regen_loss_rtol"]
    if key in ("loss", "cross_entropy"):
        relative = float(abs(new - ref) / max(abs(float(ref)), 1e-30))
        return (
            f"loss rel diff {relative:.3g} > {rtol}" if relative > rtol else None
        ), f"loss rel {relative:.2g}"
    difference = float(np.abs(new - ref).max()) if new.size else 0.0
    if key == "per_token_loss" or key.endswith(("_token_log_prob", "_pll")):  # the pll files' log-probs and sums
        bad = np.abs(new - ref) > 2 * atol + rtol * np.abs(ref)
        return (
            f"{key} max diff {difference:.3g}" if bad.any() else None
        ), f"{key} max {difference:.2g}"
    return (
        f"{key} max abs diff {difference:.3g} > {atol}" if difference > atol else None
    ), f"{key} max {difference:.2g}"


def read_safetensors(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """A safetensors file's tensors (as numpy) and its metadata."""
    with safe_open(str(path), framework="np") as handle:
        return {key: handle.get_tensor(key) for key in handle.keys()}, dict(handle.metadata() or {})


def check_safetensors(new_path: Path, ref_path: Path, tolerances: dict[str, float], report: Report) -> None:
    """Same tensor names, dtypes, shapes and metadata; values within ``regen_weights_atol`` + ``regen_weights_ulps``
    ulps of the reference value."""
    name = ref_path.parent.parent.name + "/" + ref_path.parent.name + "/" + ref_path.name
    (new, new_meta), (ref, ref_meta) = read_safetensors(new_path), read_safetensors(ref_path)
    if set(new) != set(ref) or new_meta != ref_meta:
        report.fail(name, f"tensors {sorted(set(new) ^ set(ref))} or metadata {new_meta} != {ref_meta} differ")
        return
    atol, ulps = tolerances["regen_weights_atol"], tolerances["regen_weights_ulps"]
    problems, worst = [], 0.0
    for key in sorted(ref):
        if new[key].dtype != ref[key].dtype or new[key].shape != ref[key].shape:
            problems.append(f"{key}: {new[key].dtype}{new[key].shape} != {ref[key].dtype}{ref[key].shape}")
            continue
        difference = np.abs(new[key].astype(np.float64) - ref[key].astype(np.float64))  # [*shape]
        bound = atol + ulps * np.spacing(np.abs(ref[key])).astype(np.float64)  # [*shape]
        worst = max(worst, float(difference.max(initial=0.0)))
        if (bad := int((difference > bound).sum())) or not np.isfinite(new[key]).all():
            problems.append(f"{key}: {bad} of {difference.size} values more than {atol} + {ulps} ulp apart (or not finite)")
    if problems:
        report.fail(name, "; ".join(problems[:5]) + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""))
    else:
        report.ok(name, f"{len(ref)} tensors, names, dtypes and shapes identical, max abs diff {worst:.2g}")


def check_onnx_model(
    new_path: Path,
    ref_dir: Path,
    model_name: str,
    ref_manifest: dict[str, Any],
    tolerances: dict[str, float],
    report: Report,
) -> None:
    """Run the regenerated model on each reference case batch of its model."""
    name = f"models/{model_name}/model.onnx"
    session = ort.InferenceSession(str(new_path), providers=["CPUExecutionProvider"])
    inputs = [value.name for value in session.get_inputs()]
    outputs = [value.name for value in session.get_outputs()]
    expected_inputs = ref_manifest["models"][model_name]["inputs"]
    if inputs != expected_inputs or outputs != ["logits"]:
        report.fail(name, f"interface {inputs} -> {outputs}, expected {expected_inputs} -> ['logits']")
        return
    cases = [case for case, entry in ref_manifest["cases"].items() if entry["model"] == model_name]
    worst = 0.0
    for case in cases:
        with np.load(ref_dir / ref_manifest["cases"][case]["file"], allow_pickle=False) as npz:
            feeds = {"input_ids": npz["masked_input_ids"], "attention_mask": npz["attention_mask"]}
            if "token_type_ids" in inputs:
                feeds["token_type_ids"] = npz["token_type_ids"]
            logits = session.run(["logits"], feeds)[0]
            if logits.shape != npz["logits"].shape:
                report.fail(name, f"{case}: logits shape {logits.shape} != {npz['logits'].shape}")
                return
            worst = max(worst, float(np.abs(logits.astype(np.float64) - npz["logits"]).max()))
    if worst > tolerances["regen_logits_atol"]:
        report.fail(name, f"ORT logits differ from the committed logits by {worst:.3g} on {cases}")
    else:
        report.ok(name, f"ORT on {len(cases)} reference batches, max abs diff {worst:.2g}")


def check_variant_model(
    new_path: Path, ref_dir: Path, variant: str, ref_manifest: dict[str, Any], report: Report
) -> None:
    """Run a regenerated export variant on the reference case it was verified on."""
    name = f"variants/{variant}/model.onnx"
    entry = ref_manifest.get("variants", {}).get(variant)
    if entry is None:
        report.fail(name, "not described in the reference manifest's variants")
        return
    session = ort.InferenceSession(str(new_path), providers=["CPUExecutionProvider"])
    interface = [value.name for value in session.get_inputs()], [value.name for value in session.get_outputs()]
    expected = [value["name"] for value in entry["inputs"]], [value["name"] for value in entry["outputs"]]
    if interface != expected:
        report.fail(name, f"interface {interface}, expected {expected}")
        return
    with np.load(ref_dir / ref_manifest["cases"][entry["case"]]["file"], allow_pickle=False) as npz:
        types = npz["token_type_ids"] if "token_type_ids" in npz.files else None
        logits = run_variant(session, entry, npz["masked_input_ids"], npz["attention_mask"], types)
        reference = npz["logits"]
    atol = entry["tolerances"]["logits_atol"]
    if logits.shape != reference.shape or logits.dtype != np.dtype(entry["logits_dtype"]):
        report.fail(name, f"logits {logits.dtype}{logits.shape}, expected {entry['logits_dtype']}{reference.shape}")
        return
    worst = float(np.abs(logits.astype(np.float64) - reference).max())
    if worst > atol:
        report.fail(name, f"logits on {entry['case']} differ from the committed ones by {worst:.3g} > {atol}")
    else:
        report.ok(name, f"{entry['case']}, max abs diff {worst:.2g} <= {atol}")


def check_folders(new_dir: Path, ref_dir: Path) -> int:
    """Run every check; return the process exit code."""
    report = Report()
    try:
        ref_manifest, new_manifest = load_manifest(ref_dir), load_manifest(new_dir)
    except (OSError, json.JSONDecodeError) as error:
        print(f"FAIL  manifest.json: {error}")
        return 1
    tolerances = {**TOLERANCES, **ref_manifest["tolerances"]}
    predated = sorted(set(TOLERANCES) - set(ref_manifest["tolerances"]))
    ref_manifest = {**ref_manifest, "tolerances": tolerances}
    print(
        f"reference: {ref_dir}\nnew:       {new_dir}\ntolerances: {json.dumps(tolerances, sort_keys=True)}"
        + (f" ({', '.join(predated)} from exporter/specs.py: the reference manifest predates them)" if predated else "")
        + "\n"
    )
    for name in check_file_lists(new_dir, ref_dir, new_manifest, ref_manifest, report):
        new_path, ref_path = new_dir / name, ref_dir / name
        if name.endswith(".npz"):
            check_npz(new_path, ref_path, tolerances, report)
        elif name.startswith("variants/") and name.endswith(".onnx"):
            check_variant_model(new_path, ref_dir, Path(name).parent.name, ref_manifest, report)
        elif name.endswith(".onnx"):
            check_onnx_model(new_path, ref_dir, Path(name).parent.name, ref_manifest, tolerances, report)
        elif name.endswith(".safetensors"):
            check_safetensors(new_path, ref_path, tolerances, report)
        elif new_path.read_bytes() == ref_path.read_bytes():
            report.ok(name, "byte-identical")
        else:
            report.fail(name, "not byte-identical")
    check_manifest(new_manifest, ref_manifest, tolerances, report)
    print(f"\n{report.failures} mismatch(es), {report.warnings} warning(s)")
    return 1 if report.failures else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description="Compare a fresh golden-data export with the committed one.")
    parser.add_argument("new_dir", type=Path, help="folder written by export_golden.py --out")
    parser.add_argument(
        "--reference", type=Path, default=GOLDEN_DIR, help="committed golden data (default: golden_data)"
    )
    args = parser.parse_args(argv)
    return check_folders(args.new_dir.resolve(), args.reference.resolve())


if __name__ == "__main__":
    sys.exit(main())
