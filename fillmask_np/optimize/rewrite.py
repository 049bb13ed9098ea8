"""``fillmask-np optimize``: rewrite an exported masked LM so that evaluation runs faster, proven before writing.

1. Masked-rows head: the position-wise ops before the logits (for BERT-like graphs the last layer's
   feed-forward block and the LM head) run on the masked positions only. The graph gets an int64
   input ``masked_positions`` [M, 2] (batch index, position) and its logits become [M, V];
   ``OnnxMaskedLM`` feeds it (``gathers_positions``). See ``graph_head`` for how the head is found.
2. Attention: the exporter's ``Where(IsNaN(p), 0, p)`` after an attention softmax whose mask is finite, a no-op
   for every row with a key to attend to, is dropped (``nan_guard``); each attention core becomes one ONNX
   Runtime ``MultiHeadAttention`` node (``attention_fusion``; heads from config.json), and the last layer is run
   for the masked queries only (``attention_rows``), in float32 their projection too (``query_rows``). On the
   golden models the logits stay bit-identical; where the check finds a fused model off, the unfused graph is
   written instead (``attention_note``).
   Float32: where the fused attention's mask bias is proven zero without padding, a batch without padding runs
   it without the bias, under ``If`` nodes (``unpadded_branch``; bit-identical logits).
3. Fusions (``fuse``): onnxruntime.transformers' BERT fusions. ONNX Runtime's own session
   optimizer produces the same fused graph at load time, so they do not speed up float32 models;
   ``"auto"`` leaves them out and keeps the file in standard ONNX ops.
4. ``int8``: int8 MatMuls, after giving a tied decoder its own weight. ``"static"`` (the default for
   ``True``): weights and activations, the activation scales fixed by calibration on a text
   (``calibration``, ``static_int8``), so a sample's logits do not depend on its batch. ``"dynamic"``:
   weights only, each activation scale computed at run time over the whole batch (padding included),
   so results move with batch size and composition.
5. Check: the new model against the original on seeded random padded batches at their masked
   positions. A float32 rewrite must agree within ``FP32_TOLERANCE`` or nothing is written; for int8,
   which is lossy, the report gives the difference, top-1 agreement and cross-entropy change. The
   written model's rows are also run alone and compared with the same rows batched (``batch_invariant``).

Needs the ``onnx`` package (``pip install 'fillmask_np[optimize]'``); the optimized model runs with
the runtime dependencies only.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from ..config import validate_seed
from ..errors import FillMaskError, FillMaskWarning, InputFileError, ModelError
from ..runtime import pick_backend, resolve_model
from ..text import check_input_file
from .graph_passes import attention_check, attention_shape, rewritten_graph
from .outputs import output_model_path, publish
from .outcome import CALIBRATION_SAMPLES, FP32_TOLERANCE, QUANTIZATIONS, OptimizeReport

__all__ = ["optimize_model", "OptimizeReport", "FP32_TOLERANCE"]

SIDE_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
              "vocab.json", "merges.txt", "added_tokens.json", "spiece.model", "sentencepiece.bpe.model")


def _require_onnx() -> ModuleType:
    try:
        import onnx
    except ImportError as exc:
        raise FillMaskError("optimize needs the onnx package, which fillmask_np does not need at run time: "
                            "pip install 'fillmask_np[optimize]'") from exc
    return onnx


def _paths(src: str | Path, dst: str | Path) -> tuple[Path, Path]:
    """The input model file and the output model file, both checked before any work (see ``outputs``)."""
    src = Path(src) if isinstance(src, (str, Path)) else src
    if isinstance(src, Path) and src.is_dir():  # a Hub repo clone's onnx/model.onnx when it has no model.onnx
        src = resolve_model(src, backend="onnx").path
    if isinstance(src, Path) and src.is_dir() and pick_backend(src) == "numpy":
        raise InputFileError(f"{str(src)!r} is a Hugging Face checkpoint directory (no model.onnx); optimize rewrites "
                             f"an ONNX export: export one first (optimum-cli export onnx --model {src} --task "
                             f"fill-mask OUT) and optimize OUT, or evaluate the checkpoint as it is (NumPy backend)")
    src_file = src / "model.onnx" if isinstance(src, Path) and src.is_dir() else src
    src_file = check_input_file(src_file, what="model", fix="pass an .onnx file or an export directory")
    return src_file, output_model_path(dst, src_file)


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


def _quantization(int8: bool | str, calibration: str | Path | None) -> str | None:
    """The int8 mode asked for: None, "static" or "dynamic" (``True`` is "static")."""
    if int8 is True:
        mode = QUANTIZATIONS[0]
    elif int8 is False or int8 is None:
        mode = None
    elif int8 in QUANTIZATIONS:
        mode = str(int8)
    else:
        raise FillMaskError(f"int8={int8!r} is not True, False, 'static' or 'dynamic'")
    if calibration is not None and mode != "static":
        raise FillMaskError(f"a calibration text is used by static int8 only (int8={int8!r}); drop it or pass "
                            f"int8='static'")
    return mode


def optimize_model(src: str | Path, dst: str | Path, *, int8: bool | Literal["static", "dynamic"] = False,
                   fuse: bool | Literal["auto"] = "auto", check: bool = True, seed: int = 0,
                   logits_output: str | None = None, calibration: str | Path | None = None,
                   calibration_samples: int = CALIBRATION_SAMPLES, progress: bool | None = None) -> OptimizeReport:
    """Write a faster copy of the model at ``src`` to ``dst``, checked against the original.

    Args:
        src: an ``.onnx`` file or an export directory (``model.onnx``).
        dst: the output ``.onnx`` file, or a directory (``dst/model.onnx``); config.json and the
            tokenizer files beside ``src`` are copied beside it.
        int8: quantize the MatMuls to int8 (lossy, see the report): ``True`` or ``"static"`` (calibrated
            activation scales: batch-invariant; needs the tokenizer beside ``src``), ``"dynamic"`` (weights
            only, activation scales per batch: results depend on the batch), ``False`` (float32).
        fuse: apply onnxruntime.transformers' fusions: True, False or "auto" (see the module docstring).
        check: compare the new model with the original before writing (refuses a float32 mismatch).
        seed: seed of the check's random batches, and of the calibration sample and its masks.
        logits_output: name of the logits output, for graphs with several float outputs.
        calibration: static int8's calibration text (one sample per line); None: the bundled text.
        calibration_samples: how many lines of it to draw.
        progress: static int8: a progress bar of the calibration samples run, on stderr (default: when stderr is a
            terminal).
    Returns:
        an ``OptimizeReport``.
    Raises:
        ModelError: no position-wise head before the logits, or the rewrite disagrees with the original.
        FillMaskError: a bad option, or a missing or empty calibration file.

    >>> optimize_model("export/", "fast/", int8=True)  # doctest: +SKIP
    """
    onnx = _require_onnx()
    from ..runtime import OnnxMaskedLM
    from .check import batch_difference, compare

    seed = validate_seed(seed)
    mode = _quantization(int8, calibration)
    src_file, dst_file = _paths(src, dst)
    side = resolve_model(src_file, backend="onnx").tokenizer_dir  # config and tokenizer: beside, or a repo's top
    do_fuse, reason = _decide_fuse(fuse)
    text = None
    if mode == "static":
        from .calibration import calibration_text

        text = calibration_text(calibration, side, samples=calibration_samples)
    original = OnnxMaskedLM(src_file, logits_output=logits_output)
    if original.gathers_positions:
        raise ModelError(f"{str(src_file)!r} is optimized already (it has a masked_positions input)")
    heads, hidden = attention_shape(original.config)
    model, cut, fusions, extra = rewritten_graph(onnx, src_file, original.output_name, fuse=do_fuse, heads=heads,
                                                 hidden=hidden, float32=mode is None, max_length=original.max_length)
    report = OptimizeReport(src=str(src_file), dst=str(dst_file), gather_point=cut.point, head_ops=cut.ops,
                            head_stop=cut.stopped_at, fused=do_fuse, fusions=fusions, fuse_reason=reason,
                            int8=mode is not None, quantization=mode, batch_invariant=mode != "dynamic", **extra)
    with tempfile.TemporaryDirectory(prefix="fillmask_np_optimize_") as tmp:
        final = _save(onnx, model, Path(tmp) / "fp32" / dst_file.name, side)
        if check:
            off, result = attention_check(original, final, seed=seed, fused=bool(report.attention_fused))
            if off:  # the unfused graph instead
                model, cut, fusions, extra = rewritten_graph(onnx, src_file, original.output_name, fuse=do_fuse,
                                                             heads=0, hidden=0)
                report.gather_point, report.head_ops, report.head_stop = cut.point, cut.ops, cut.stopped_at
                for name, value in extra.items():  # the unfused graph's pass fields (no fused attention, no rows)
                    setattr(report, name, value)
                report.attention_note = f"fused attention {off}: left unfused"
                shutil.rmtree(final.parent)
                final = _save(onnx, model, final, side)
                result = compare(original, OnnxMaskedLM(final, logits_output=original.output_name), seed=seed)
            if not result.max_abs_diff <= FP32_TOLERANCE:
                raise ModelError(f"the rewritten model differs from the original by {result.max_abs_diff:.3g} at "
                                 f"masked positions (limit {FP32_TOLERANCE:g}); nothing was written: please report it")
            report.fp32_max_abs_diff = report.max_abs_diff = result.max_abs_diff
            report.top1_agreement, report.ce_rel_change = result.top1_agreement, result.ce_rel_change
            report.n_checked, report.check_shapes = result.n_rows, list(result.shapes)
        if mode is not None:
            final = _quantize(onnx, model, final, Path(tmp) / "int8" / dst_file.name, side, report,
                              text=text, seed=seed, progress=progress)
            if check:
                result = compare(original, OnnxMaskedLM(final, logits_output=original.output_name), seed=seed)
                report.max_abs_diff, report.top1_agreement = result.max_abs_diff, result.top1_agreement
                report.ce_rel_change = result.ce_rel_change
                message = report.int8_warning()
                if message is not None:
                    warnings.warn(message, FillMaskWarning, stacklevel=2)
        if check:
            written = OnnxMaskedLM(final, logits_output=original.output_name)
            report.batch_max_abs_diff = batch_difference(written, seed=seed)
            report.batch_invariant = mode != "dynamic" and report.batch_max_abs_diff == 0.0
        report.copied = publish(final, dst_file, side, SIDE_FILES)
    return report


def _quantize(onnx: Any, model: Any, fp32: Path, out: Path, src_dir: Path, report: OptimizeReport, *,
              text: Any, seed: int, progress: bool | None) -> Path:
    """Write the int8 model to ``out`` (config.json beside it) and fill the report's int8 fields; returns ``out``.

    ``text``: static int8's ``CalibrationText``; None for dynamic int8.
    """
    from .ort_tools import quantize, untie

    model, report.untied = untie(model)
    if text is None:
        out.parent.mkdir()
        quantize(model, out)
        if (fp32.parent / "config.json").is_file():
            shutil.copyfile(fp32.parent / "config.json", out.parent / "config.json")
        return out
    from ..runtime import OnnxMaskedLM
    from .calibration import calibration_feeds
    from .static_int8 import METHOD, quantize_static_int8

    data = calibration_feeds(OnnxMaskedLM(fp32), text, seed=seed)
    model, _ = quantize_static_int8(model, data.feeds, progress=progress)
    report.calibration = data.describe(METHOD)
    return _save(onnx, model, out, src_dir)
