"""Write the support tables of the README and of docs/fidelity.md from golden_data/manifest.json (and check them).

    python bench/support_table.py            # print the tables
    python bench/support_table.py --write    # replace them in README.md and docs/fidelity.md between the markers
    python bench/support_table.py --check    # exit 1 when either file's tables are stale (a test runs this)

Numbers come from the manifest, i.e. from the exporter's own measurements of ONNX Runtime against
torch (logits on every verification batch and golden case; cross-entropy on the golden cases).
"masks identical" is measured here: fillmask_np's tokenizer and ``mask_tokens`` redo every golden
case of the model and must give HF's collator's masked ids and labels bit for bit. The NumPy backend's column
is measured here too, from each model.safetensors; float32 BLAS results differ in the last bits between CPUs
(Intel and AMD), so ``--check`` compares that column within ``NUMPY_SLACK`` (a tenth of the bounds the golden
tests hold the backend to: 1e-4 on logits, 1e-6 on CE) and every other cell exactly. The last column says how far
float32 is from exact: torch float32's and ONNX Runtime's (the exporter's) and the NumPy backend's float32 (measured
here, within NUMPY_SLACK) max abs logit error against torch float64 (manifest ``float64``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import fillmask_np as fm

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "golden_data"
START, END = "<!-- support-table:start -->", "<!-- support-table:end -->"
PAGES = (REPO / "README.md", REPO / "docs" / "fidelity.md")  # the files that show the tables
NUMPY_SLACK = (1e-5, 1e-7)  # |README - measured| allowed in the NumPy column: max abs logit, CE rel. error


def _load_case(spec: dict[str, Any]) -> dict[str, np.ndarray]:
    with np.load(GOLDEN / spec["file"], allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def case_masks_identical(spec: dict[str, Any], model_spec: dict[str, Any]) -> bool:
    """Re-tokenize and re-mask one golden case with fillmask_np; True when ids and labels are bit-identical."""
    case = _load_case(spec)
    tok = fm.Tokenizer.from_dir(GOLDEN / model_spec["dir"])
    enc = tok.encode_batch(spec["texts"], special_tokens=spec.get("special_tokens", "template"))
    masked, labels = fm.mask_tokens(
        enc.input_ids, special_tokens_mask=enc.special_tokens_mask, mask_token_id=tok.mask_token_id,
        vocab_size=len(tok), rng=np.random.default_rng(spec["seed"]), mlm_probability=spec["mlm_probability"],
        mask_replace_prob=spec["mask_replace_prob"], random_replace_prob=spec["random_replace_prob"],
        whole_word=spec.get("whole_word", False), offsets=enc.offsets)
    return bool(np.array_equal(masked, case["masked_input_ids"]) and np.array_equal(labels, case["labels"]))


def numpy_errors(entry: dict[str, Any], cases: list[dict[str, Any]]) -> str:
    """The NumPy backend against torch on the model's golden cases: max abs logit error at the real positions and
    max relative CE error, from its model.safetensors; "—" when the export has no checkpoint."""
    directory = GOLDEN / entry["dir"]
    if not (directory / "model.safetensors").is_file():
        return "—"
    model = fm.NumpyMaskedLM(directory)
    logit_err = ce_err = 0.0
    for spec in cases:
        case = _load_case(spec)
        real = np.argwhere(case["attention_mask"] == 1)  # [N, 2]
        rows = model.masked_logits(case["masked_input_ids"], case["attention_mask"], case.get("token_type_ids"),
                                   real)  # [N, V]
        logit_err = max(logit_err, float(np.max(np.abs(rows - case["logits"][real[:, 0], real[:, 1]]))))
        scored = np.argwhere(case["labels"] != -100)  # [M, 2]
        ce = fm.cross_entropy(model.masked_logits(case["masked_input_ids"], case["attention_mask"],
                                                  case.get("token_type_ids"), scored),
                              case["labels"][scored[:, 0], scored[:, 1]])
        ce_err = max(ce_err, abs(ce - float(case["loss"])) / abs(float(case["loss"])))
    return f"{logit_err:.1e} / {ce_err:.1e}"


def float64_errors(entry: dict[str, Any], exact: dict[str, Any] | None) -> str:
    """How far float32 is from exact: the max abs logit error against the torch float64 logits of the family's
    case (manifest ``float64``) of torch float32 and ONNX Runtime (the exporter's) and of the NumPy backend in
    float32 (measured here); "—" without a float64 reference or a checkpoint."""
    directory = GOLDEN / entry["dir"]
    if exact is None or not (directory / "model.safetensors").is_file():
        return "—"
    case = _load_case({"file": exact["case_file"]})
    with np.load(GOLDEN / exact["file"], allow_pickle=False) as npz:
        positions, reference = npz["positions"], npz["logits"]  # [N, 2], [N, V] float64
    rows = fm.NumpyMaskedLM(directory).masked_logits(case["masked_input_ids"], case["attention_mask"],
                                                      case.get("token_type_ids"), positions)  # [N, V]
    numpy_err = float(np.max(np.abs(rows.astype(np.float64) - reference)))
    return (f"{exact['torch_float32']['max_abs']:.1e} / {exact['onnxruntime_float32']['max_abs']:.1e} / "
            f"{numpy_err:.1e}")


def _model_row(name: str, entry: dict[str, Any], cases: list[dict[str, Any]], exact: dict[str, Any] | None) -> str:
    if "export_error" in entry:
        return f"| {entry['architecture']} | — | — | not exported: {entry['export_error']} |{' — |' * 4}"
    logit_err = max([entry["export"]["ort_vs_torch_max_abs"]] + [c["ort_vs_torch_max_abs"] for c in cases])
    ce_err = max((c["ort_loss_rel_diff"] for c in cases), default=float("nan"))
    same = sum(case_masks_identical(c, entry) for c in cases)
    return (f"| {entry['architecture']} | {entry['tokenizer_kind']} | {', '.join(entry['inputs'])} | "
            f"{logit_err:.1e} | {ce_err:.1e} | {same}/{len(cases)} cases | {numpy_errors(entry, cases)} | "
            f"{float64_errors(entry, exact)} |")


def support_table(manifest: dict[str, Any]) -> str:
    """One row per architecture: tokenizer, graph inputs, worst golden logit and CE errors, masks identical."""
    lines = ["| architecture | tokenizer | graph inputs | max abs logit error | max CE rel. error | masks identical "
             "| NumPy backend: max abs logit / CE rel. error | float32 against float64: torch / ORT / NumPy max abs "
             "logit error |",
             "|---|---|---|---|---|---|---|---|"]
    exact = manifest.get("float64", {}).get("families", {})
    for name, entry in manifest["models"].items():
        cases = [c for c in manifest["cases"].values() if c["model"] == name]
        family = exact.get(name)
        lines.append(_model_row(name, entry, cases, None if family is None else
                                {**family, "case_file": manifest["cases"][family["case"]]["file"]}))
    return "\n".join(lines)


def variant_table(manifest: dict[str, Any]) -> str:
    """One row per export variant: its contract and its errors against torch."""
    lines = ["| export variant | graph inputs | logits output | max abs logit error | CE rel. error on its case |",
             "|---|---|---|---|---|"]
    for name, v in manifest.get("variants", {}).items():
        first = v["inputs"][0]
        shape = "[" + ", ".join(str(d) for d in first["shape"]) + "]"
        inputs = f"{', '.join(i['name'] for i in v['inputs'])}: {first['dtype']} {shape}"
        logits = f"{v['logits_output']} ({v['logits_dtype']})"
        err, ce = max(v["ort_vs_torch_max_abs"], v["case_logits_max_abs"]), v["case_loss_rel_diff"]
        lines.append(f"| {name}: {v['description']} | {inputs} | {logits} | {err:.1e} | {ce:.1e} |")
    return "\n".join(lines)


def tables(manifest: dict[str, Any]) -> str:
    """Both tables, as they appear in the README."""
    return f"{support_table(manifest)}\n\n{variant_table(manifest)}"


def _figures(cell: str) -> list[float] | None:
    """The figures of a measured cell ("a / b": NumPy against torch; "a / b / c": torch, ORT, NumPy against
    float64); None for any other cell."""
    parts = cell.strip().split(" / ")
    try:
        return [float(x) for x in parts] if len(parts) in (2, 3) else None
    except ValueError:
        return None


def _same_cell(a: str, b: str) -> bool:
    """Equal cells; the NumPy figures of a measured cell within NUMPY_SLACK (torch's and ORT's exactly)."""
    x, y = _figures(a), _figures(b)
    if x is None or y is None or len(x) != len(y):
        return a == b
    if len(x) == 3:  # torch / ORT (the manifest's, exact) / NumPy (measured here)
        return a.split(" / ")[:2] == b.split(" / ")[:2] and abs(x[2] - y[2]) <= NUMPY_SLACK[0]
    return all(abs(u - v) <= slack for u, v, slack in zip(x, y, NUMPY_SLACK))


def same_tables(written: str, measured: str) -> bool:
    """True when README's tables are ``measured``'s: every cell equal but the NumPy figures, within NUMPY_SLACK."""
    old, new = written.split("\n"), measured.split("\n")
    if len(old) != len(new):
        return False
    for a, b in zip(old, new):
        cells_a, cells_b = (row.strip().strip("|").split(" | ") for row in (a, b))
        if len(cells_a) != len(cells_b) or not all(_same_cell(x, y) for x, y in zip(cells_a, cells_b)):
            return False
    return True


def _replace(readme: str, body: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{body}\n{END}{tail}"


def main(argv: Sequence[str] | None = None) -> int:
    """Print, write or check the tables of PAGES; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="replace the tables in README.md and docs/fidelity.md")
    mode.add_argument("--check", action="store_true", help="exit 1 when a file's tables are out of date")
    args = parser.parse_args(argv)
    body = tables(json.loads((GOLDEN / "manifest.json").read_text(encoding="utf-8")))
    if not (args.write or args.check):
        print(body)
    for path in PAGES:
        text = path.read_text(encoding="utf-8")
        if args.write:
            path.write_text(_replace(text, body), encoding="utf-8")
        elif args.check and not same_tables(text.split(START, 1)[1].split(END, 1)[0].strip("\n"), body):
            print(f"{path.relative_to(REPO)} support tables are out of date: run python bench/support_table.py --write")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
