"""Parent-process set-up: torch models, verified exports, optimized variants, runners and the list of cases.

A path that cannot be built (no ``fillmask_np.optimize_model`` yet, no masked-rows method on ``OnnxMaskedLM``,
no ``../shared/real``) becomes a skipped case with the reason, printed and written to the report.
"""

from __future__ import annotations

from pathlib import Path

import torch

import _cases
import _models
from _kernels import OWN
from _workload import REAL_DIR, WIKI


def _first_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"


def _runner(kind: str, onnx: Path | None, why: str = "", torch_model=None, real: dict | None = None) -> tuple:
    """(runner or None, onnx path as str, reason when skipped)."""
    if onnx is None and kind != "torch":
        return None, None, why
    onnx_str = str(onnx) if onnx else None
    try:
        return _cases.make_runner(kind, onnx_str, torch_model, real), onnx_str, ""
    except Exception as exc:  # the optimized paths are a work in progress in the library
        return None, onnx_str, _first_line(exc)


def _variants(name: str, seed: int, cache: Path, extras: dict) -> tuple:
    """Torch model, plain export, fp32-optimized and int8 exports (None + reason while unavailable)."""
    print(f"preparing {name} ...", flush=True)
    model, onnx, facts = _models.prepare(name, seed, cache)
    stem = cache / _models.cache_key(name, seed)
    opt, why_opt = _models.optimized(onnx, stem, int8=False)
    int8, why_int8 = _models.optimized(onnx, stem, int8=True)
    sizes = ", ".join(f"{label} {p.stat().st_size / 2**20:.1f} MiB" for label, p in
                      (("plain", onnx), ("optimized", opt), ("int8", int8)) if p is not None)
    export = f", exported in {facts['export_s']:.0f} s" if facts["export_s"] else ""
    extras["exports"][name] = (f"max |ORT - torch| logit {facts['max_abs_diff']:.1e} at [1, 128] and [3, 37] "
                               f"(padded){export}; {sizes}; torch attention "
                               f"{getattr(model.config, '_attn_implementation', '?')}; {facts['onnx']}")
    return model, onnx, (opt, why_opt), (int8, why_int8)


def _checkpoint(name: str, model, seed: int, cache: Path, extras: dict) -> tuple[Path | None, str]:
    """The Hugging Face checkpoint of a synthetic shape (for the NumPy path), checked against torch; its size goes
    into ``extras["checkpoints"]`` (bytes of model.safetensors) for the peak-RSS target."""
    try:
        weights = _models.checkpoint(model, cache / _models.cache_key(name, seed))
        diff = _models.verify_numpy(model, weights, seed)
    except Exception as exc:  # report it, measure the rest
        return None, f"checkpoint failed: {_first_line(exc)}"
    size = weights.stat().st_size
    extras.setdefault("checkpoints", {})[name] = size
    extras["exports"][f"{name} checkpoint"] = (f"max |NumPy - torch| logit {diff:.1e} at [1, 128] and [3, 37] "
                                               f"(padded); model.safetensors {size / 2**20:.1f} MiB "
                                               f"({size / 1e6:.1f} MB); {weights.parent}")
    return weights, ""


def _skip_note(extras: dict, name: str, runners: dict) -> None:
    for path, (runner, _, why) in runners.items():
        if runner is None:
            msg = f"{name} / {_cases.PATH_LABELS[path]}: {why}"
            print(f"  SKIPPED {msg}", flush=True)
            extras["skipped"].append(msg)


def build_cases(args) -> tuple[list, dict]:
    torch.set_num_threads(2)
    args.cache.mkdir(parents=True, exist_ok=True)
    extras: dict = dict(exports={}, skipped=[])
    cases = []
    for name in ["bert-mini"] + ([] if args.skip_base else ["bert-base"]):
        model, onnx, (opt, why_opt), (int8, why_int8) = _variants(name, args.seed, args.cache, extras)
        weights, why_numpy = _checkpoint(name, model, args.seed, args.cache, extras)
        runners = {"torch": _runner("torch", None, torch_model=model), "full": _runner("full", onnx),
                   "masked": _runner("masked", opt, why_opt), "masked-int8": _runner("masked-int8", int8, why_int8),
                   "numpy": _runner("numpy", weights, why_numpy), OWN: _runner(OWN, weights, why_numpy)}
        _skip_note(extras, name, runners)
        cfg = _models.config_summary(name)
        for batch in args.batches:
            cases += _cases.synthetic_cases(name, cfg, batch, args.seed, args.min_tokens, runners)
    if not WIKI.is_file():
        extras["skipped"].append(f"real section: {REAL_DIR} is absent (it lives beside the checkout)")
        return cases, extras
    model, onnx, (opt, why_opt), (int8, why_int8) = _variants(_models.SPLADE, args.seed, args.cache, extras)
    real = _cases.real_setup(args.lines, args.seed, args.real_batch_size)
    runners = {"torch": _runner("torch", None, torch_model=model), "evaluate": _runner("evaluate", onnx, real=real),
               "padded": _runner("padded", onnx, real=real),
               "evaluate-opt": _runner("evaluate-opt", opt, why_opt, real=real),
               "evaluate-int8": _runner("evaluate-int8", int8, why_int8, real=real)}
    _skip_note(extras, _models.SPLADE, runners)
    cases += _cases.real_cases(_models.config_summary(_models.SPLADE), real, runners)
    extras["real_lengths"] = [len(s[2]) for s in real["samples"]]
    return cases, extras


def real_note(rows: list[dict], args, lengths: list[int] | None = None) -> str:
    """What the real section ran, and the bucketing speed-up (the issue's target: >= 2x)."""
    real = {r["path"]: r for r in rows if r["section"] == "real" and "skipped" not in r}
    text = (f"The first {args.lines} non-empty, non-heading lines of `wiki.test.raw`, truncated to 512 tokens, "
            f"masked per sample as `fm.evaluate(seed={args.seed})` masks them; batch size {args.real_batch_size}. "
            f"PyTorch runs evaluate's length-bucketed batches, pre-built (its time excludes tokenizing and "
            f"masking, which the fillmask_np rows include). The padded row runs the same samples, masks, batch "
            f"size and logits budget in file order, every batch padded to the longest line. GFLOP/s count "
            f"real tokens only (padding is wasted work).")
    if lengths:
        text += (f" Lengths: {len(lengths)} lines, {sum(lengths)} tokens, median {sorted(lengths)[len(lengths) // 2]}, "
                 f"longest {max(lengths)}.")
    bucketed, padded = (real.get(_cases.PATH_LABELS[k]) for k in ("evaluate", "padded"))
    if bucketed and padded:
        ratio = padded["seconds"]["median"] / bucketed["seconds"]["median"]
        text += f"\n\n**Bucketing speed-up: {ratio:.2f}x** over the same run padded to the longest line (target >= 2x)."
    return text
