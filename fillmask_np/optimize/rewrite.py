"""``fillmask-np optimize``: rewrite an exported masked LM so that evaluation runs faster, proven before writing.

1. Masked-rows head: the position-wise ops before the logits (for BERT-like graphs the last layer's
   feed-forward block and the LM head) run on the masked positions only. The graph gets an int64
   input ``masked_positions`` [M, 2] (batch index, position) and its logits become [M, V];
   ``OnnxMaskedLM`` feeds it (``gathers_positions``). See ``graph_head`` for how the head is found.
2. Fusions (``fuse``): onnxruntime.transformers' BERT fusions. ONNX Runtime's own session
   optimizer produces the same fused graph at load time, so they do not speed up float32 models;
   ``"auto"`` leaves them out and keeps the file in standard ONNX ops.
3. ``int8``: dynamic int8 quantization of the MatMul weights, after giving a tied decoder its own weight.
4. Check: the new model against the original on seeded random padded batches at their masked
   positions. A float32 rewrite must agree within ``FP32_TOLERANCE`` or nothing is written; for int8,
   which is lossy, the report gives the difference, top-1 agreement and cross-entropy change.

Needs the ``onnx`` package (``pip install 'fillmask_np[optimize]'``); the optimized model runs with
the runtime dependencies only.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import FillMaskError, InputFileError, ModelError

__all__ = ["optimize_model", "OptimizeReport", "FP32_TOLERANCE"]

FP32_TOLERANCE = 1e-4  # largest absolute logit difference a float32 rewrite may make
SIDE_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
              "vocab.json", "merges.txt", "added_tokens.json", "spiece.model", "sentencepiece.bpe.model")


@dataclass
class OptimizeReport:
    """What ``optimize_model`` did and how far the written model is from the original."""

    src: str
    dst: str
    gather_point: str  # the tensor the masked rows are gathered from
    head_ops: dict[str, int]  # ops that now run on the masked rows only
    head_stop: str  # the op before the gather point that mixes positions (where the walk stopped)
    fused: bool
    fusions: dict[str, int]  # fused operators, when fused
    fuse_reason: str
    int8: bool
    untied: list[str] = field(default_factory=list)  # weights given their own copy before quantization
    max_abs_diff: float | None = None  # the written model against the original, at the checked positions
    fp32_max_abs_diff: float | None = None  # the float32 rewrite, before any quantization
    top1_agreement: float | None = None  # share of checked positions whose arg-max agrees
    ce_rel_change: float | None = None  # relative cross-entropy change, input tokens as labels
    n_checked: int = 0  # checked positions
    check_shapes: list[tuple[int, int]] = field(default_factory=list)  # (batch, length) of the check batches
    copied: list[str] = field(default_factory=list)  # side files copied beside dst

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> list[str]:
        """Human-readable lines, as the command prints them."""
        head = ", ".join(f"{n} {op}" for op, n in sorted(self.head_ops.items(), key=lambda kv: (-kv[1], kv[0])))
        lines = [f"masked rows     gathered at {self.gather_point!r}; on masked rows only: {head}",
                 f"fusions         {_counts(self.fusions) if self.fused else 'none'} ({self.fuse_reason})"]
        if self.fp32_max_abs_diff is not None:
            shapes = ", ".join(f"{b}x{n}" for b, n in self.check_shapes)
            lines.append(f"check           max abs logit difference {self.fp32_max_abs_diff:.2e} at "
                         f"{self.n_checked} masked positions (batches {shapes}; limit {FP32_TOLERANCE:g})")
        if self.int8:
            untied = f"; untied {', '.join(self.untied)}" if self.untied else ""
            lines.append(f"int8            MatMul weights quantized (dynamic, per channel){untied}")
            if self.max_abs_diff is not None:
                lines.append(f"int8 check      max abs logit difference {self.max_abs_diff:.3g}, top-1 agreement "
                             f"{100 * self.top1_agreement:.2f} %, cross-entropy change "
                             f"{100 * self.ce_rel_change:+.2f} % (input tokens as labels)")
        elif self.fp32_max_abs_diff is None:
            lines.append("check           skipped")
        lines.append(f"wrote           {self.dst}" + (f" (+ {', '.join(self.copied)})" if self.copied else ""))
        return lines


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {op}" for op, n in sorted(counts.items())) or "none matched"


def _require_onnx():
    try:
        import onnx
    except ImportError as exc:
        raise FillMaskError("optimize needs the onnx package, which fillmask_np does not need at run time: "
                            "pip install 'fillmask_np[optimize]'") from exc
    return onnx


def _paths(src: str | Path, dst: str | Path) -> tuple[Path, Path]:
    src, dst = Path(src), Path(dst)
    src_file = src / "model.onnx" if src.is_dir() else src
    if not src_file.is_file():
        raise InputFileError(f"model {str(src_file)!r} does not exist; pass an .onnx file or an export directory")
    dst_file = dst / "model.onnx" if dst.is_dir() or dst.suffix != ".onnx" else dst
    if dst_file.resolve() == src_file.resolve():
        raise InputFileError(f"the output {str(dst_file)!r} is the input model; pass another path with -o")
    return src_file, dst_file


def _decide_fuse(fuse: bool | str) -> tuple[bool, str]:
    if fuse not in (True, False, "auto"):
        raise FillMaskError(f"fuse={fuse!r} is not True, False or 'auto'")
    if fuse != "auto":
        return bool(fuse), "asked" if fuse else "not asked"
    return False, "auto: ONNX Runtime fuses the same ops at load time, so offline fusion measured no faster"


def _save(onnx: Any, model: Any, path: Path, config_from: Path) -> Path:
    """Write ``model`` (tensors in ``<name>.data`` when large) with the source's config.json beside it."""
    from .ort_tools import LARGE, weight_bytes

    path.parent.mkdir(parents=True, exist_ok=True)
    if weight_bytes(model) > LARGE:
        onnx.save(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                  location=path.name + ".data", size_threshold=1024)
    else:
        onnx.save(model, str(path))
    if (config_from / "config.json").is_file():
        shutil.copyfile(config_from / "config.json", path.parent / "config.json")
    return path


def optimize_model(src: str | Path, dst: str | Path, *, int8: bool = False, fuse: bool | Literal["auto"] = "auto",
                   check: bool = True, seed: int = 0, logits_output: str | None = None) -> OptimizeReport:
    """Write a faster copy of the model at ``src`` to ``dst``, checked against the original.

    Args:
        src: an ``.onnx`` file or an export directory (``model.onnx``).
        dst: the output ``.onnx`` file, or a directory (``dst/model.onnx``); config.json and the
            tokenizer files beside ``src`` are copied beside it.
        int8: quantize the MatMul weights to int8 (dynamic quantization; lossy, see the report).
        fuse: apply onnxruntime.transformers' fusions: True, False or "auto" (see the module docstring).
        check: compare the new model with the original before writing (refuses a float32 mismatch).
        seed: seed of the check's random batches.
        logits_output: name of the logits output, for graphs with several float outputs.
    Returns:
        an ``OptimizeReport``.
    Raises:
        ModelError: no position-wise head before the logits, or the rewrite disagrees with the original.

    >>> optimize_model("export/", "fast/")  # doctest: +SKIP
    """
    onnx = _require_onnx()
    from ..runtime import OnnxMaskedLM
    from .check import compare
    from .graph_head import find_head, gather_head

    src_file, dst_file = _paths(src, dst)
    do_fuse, reason = _decide_fuse(fuse)
    original = OnnxMaskedLM(src_file, logits_output=logits_output)
    if original.gathers_positions:
        raise ModelError(f"{str(src_file)!r} is optimized already (it has a masked_positions input)")
    model = onnx.load(str(src_file))
    fusions: dict[str, int] = {}
    if do_fuse:
        from .ort_tools import fuse as fuse_model

        model, fusions = fuse_model(model)
    cut = find_head(model, original.output_name)
    model = gather_head(model, original.output_name, cut)
    report = OptimizeReport(src=str(src_file), dst=str(dst_file), gather_point=cut.point, head_ops=cut.ops,
                            head_stop=cut.stopped_at, fused=do_fuse, fusions=fusions, fuse_reason=reason, int8=int8)
    with tempfile.TemporaryDirectory(prefix="fillmask_np_optimize_") as tmp:
        final = _save(onnx, model, Path(tmp) / "fp32" / dst_file.name, src_file.parent)
        if check:
            result = compare(original, OnnxMaskedLM(final, logits_output=original.output_name), seed=seed)
            if not result.max_abs_diff <= FP32_TOLERANCE:
                raise ModelError(f"the rewritten model differs from the original by {result.max_abs_diff:.3g} at "
                                 f"masked positions (limit {FP32_TOLERANCE:g}); nothing was written: please report it")
            report.fp32_max_abs_diff = report.max_abs_diff = result.max_abs_diff
            report.top1_agreement, report.ce_rel_change = result.top1_agreement, result.ce_rel_change
            report.n_checked, report.check_shapes = result.n_rows, list(result.shapes)
        if int8:
            from .ort_tools import quantize, untie

            model, report.untied = untie(model)
            final = Path(tmp) / "int8" / dst_file.name
            final.parent.mkdir()
            quantize(model, final)
            for side in (Path(tmp) / "fp32").glob("config.json"):
                shutil.copyfile(side, final.parent / side.name)
            if check:
                result = compare(original, OnnxMaskedLM(final, logits_output=original.output_name), seed=seed)
                report.max_abs_diff, report.top1_agreement = result.max_abs_diff, result.top1_agreement
                report.ce_rel_change = result.ce_rel_change
        dst_file.parent.mkdir(parents=True, exist_ok=True)
        for produced in final.parent.iterdir():
            if produced.name.startswith(final.name):  # the model and its .data file, if any
                shutil.copyfile(produced, dst_file.parent / produced.name)
    report.copied = _copy_side_files(src_file.parent, dst_file.parent)
    return report


def _copy_side_files(src_dir: Path, dst_dir: Path) -> list[str]:
    """Copy config.json and tokenizer files beside the new model, so that it is a drop-in export directory."""
    copied = []
    for name in SIDE_FILES:
        source, target = src_dir / name, dst_dir / name
        if source.is_file() and not (target.exists() and target.resolve() == source.resolve()):
            shutil.copyfile(source, target)
            copied.append(name)
    return copied
