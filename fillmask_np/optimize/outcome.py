"""What ``optimize_model`` did and how far the written model is from the original: ``OptimizeReport``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["CALIBRATION_SAMPLES", "FP32_TOLERANCE", "INT8_CE_CHANGE_LIMIT", "QUANTIZATIONS", "OptimizeReport"]

FP32_TOLERANCE = 1e-4  # largest absolute logit difference a float32 rewrite may make
QUANTIZATIONS = ("static", "dynamic")  # int8 modes; True means the first one
CALIBRATION_SAMPLES = 128  # static int8: lines drawn from the calibration text (all of them when it has fewer)
# the int8 check's relative cross-entropy change above which optimize warns (a model calibrated on its own text
# measured +0.6 %, the same protein model calibrated on English +10.9 %)
INT8_CE_CHANGE_LIMIT = 0.01


@dataclass
class OptimizeReport:
    """What ``optimize_model`` did and how far the written model is from the original."""

    src: str
    dst: str
    gather_point: str  # the tensor the masked rows are gathered from (with attention_rows: those tensors)
    head_ops: dict[str, int]  # ops that now run on the masked rows only
    head_stop: str  # the op before the gather point that mixes positions (where the walk stopped)
    fused: bool
    fusions: dict[str, int]  # fused operators, when fused
    fuse_reason: str
    int8: bool
    quantization: str | None = None  # "static" (fixed, calibrated scales), "dynamic" (per-batch scale) or None
    # True when a sample's logits cannot depend on what it is batched with: float32 and static int8 by design
    # (no statistic of the batch is computed), confirmed by the check when it ran; dynamic int8 never is
    batch_invariant: bool = True
    batch_max_abs_diff: float | None = None  # rows alone vs the same rows in one padded batch, at the checked positions
    calibration: dict[str, Any] | None = None  # static int8: the calibration text, samples, masked tokens, method
    untied: list[str] = field(default_factory=list)  # weights given their own copy before quantization
    max_abs_diff: float | None = None  # the written model against the original, at the checked positions
    fp32_max_abs_diff: float | None = None  # the float32 rewrite, before any quantization
    top1_agreement: float | None = None  # share of checked positions whose arg-max agrees
    ce_rel_change: float | None = None  # relative cross-entropy change, input tokens as labels
    n_checked: int = 0  # checked positions
    check_shapes: list[tuple[int, int]] = field(default_factory=list)  # (batch, length) of the check batches
    copied: list[str] = field(default_factory=list)  # side files copied beside dst
    nan_guards_dropped: int = 0  # Where(IsNaN(softmax)) guards removed (``nan_guard``: a no-op on these graphs)
    attention_fused: int = 0  # attention cores written as one MultiHeadAttention node each
    attention_rows: bool = False  # the last attention layer runs for the masked queries only
    attention_note: str | None = None  # why the attention was left unfused, when the check refused the fused graph
    unpadded_branch: bool = False  # an If runs batches without padding without the attention's mask bias
    rotate_half_folded: int = 0  # rotary rotate_half (Slice, Neg, Concat) written as one exact MatMul each

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> list[str]:
        """Human-readable lines, as the command prints them."""
        head = ", ".join(f"{n} {op}" for op, n in sorted(self.head_ops.items(), key=lambda kv: (-kv[1], kv[0])))
        where = self.gather_point if self.attention_rows else repr(self.gather_point)  # a list when rows moved
        lines = [f"masked rows     gathered at {where}; on masked rows only: {head}",
                 f"fusions         {_counts(self.fusions) if self.fused else 'none'} ({self.fuse_reason})"]
        if self.nan_guards_dropped:
            lines.append(f"NaN guards      {self.nan_guards_dropped} attention-softmax Where(IsNaN) dropped (finite "
                         f"mask: a no-op for every row with a key to attend to)")
        if self.attention_fused or self.attention_note:
            rows = "; the last layer on the masked queries only" if self.attention_rows else ""
            lines.append(f"attention       {self.attention_note or f'{self.attention_fused} MultiHeadAttention{rows}'}")
        if self.rotate_half_folded:
            lines.append(f"rotary          {self.rotate_half_folded} rotate_half as one MatMul by a signed permutation "
                         f"(exact)")
        if self.unpadded_branch:
            lines.append("unpadded        a batch without padding skips the attention mask (an all-zero bias there)")
        if self.fp32_max_abs_diff is not None:
            shapes = ", ".join(f"{b}x{n}" for b, n in self.check_shapes)
            lines.append(f"check           max abs logit difference {self.fp32_max_abs_diff:.2e} at "
                         f"{self.n_checked} masked positions (batches {shapes}; limit {FP32_TOLERANCE:g})")
        if self.int8:
            untied = f"; untied {', '.join(self.untied)}" if self.untied else ""
            lines.append(f"int8            {self._quantization_line()}{untied}")
            agree, ce_change = self.top1_agreement, self.ce_rel_change
            if self.max_abs_diff is not None and agree is not None and ce_change is not None:
                lines.append(f"int8 check      max abs logit difference {self.max_abs_diff:.3g}, top-1 agreement "
                             f"{100 * agree:.2f} %, cross-entropy change "
                             f"{100 * ce_change:+.2f} % (input tokens as labels)")
        elif self.fp32_max_abs_diff is None:
            lines.append("check           skipped")
        lines.append(f"batch           {self._invariance_line()}")
        lines.append(f"wrote           {self.dst}" + (f" (+ {', '.join(self.copied)})" if self.copied else ""))
        return lines

    def int8_warning(self) -> str | None:
        """The warning for an int8 check whose cross-entropy moved by more than ``INT8_CE_CHANGE_LIMIT``; else None."""
        if not self.int8 or self.ce_rel_change is None or abs(self.ce_rel_change) <= INT8_CE_CHANGE_LIMIT:
            return None
        if self.quantization == "dynamic":
            fix = "static int8 calibrated on the model's own kind of text (--calibration FILE; calibration=) may do better"
        else:
            source = (self.calibration or {}).get("source")
            fix = (f"it was calibrated on {source!r}: calibrate on text of the model's own language or alphabet with "
                   f"--calibration FILE (calibration=)")
        return (f"the int8 model changes the check's cross-entropy by {100 * self.ce_rel_change:+.2f} %, more than "
                f"{100 * INT8_CE_CHANGE_LIMIT:g} %: {fix}, and compare it against the original before use")

    def _quantization_line(self) -> str:
        if self.quantization == "dynamic":
            return "MatMul weights quantized (dynamic, per channel; activation scale computed per batch)"
        c = self.calibration or {}
        return (f"MatMul weights and inputs quantized (static, per channel; activation scales from {c.get('method')} "
                f"of {c.get('samples')} samples of {c.get('source')!r}, {c.get('masked_tokens')} masked tokens)")

    def _invariance_line(self) -> str:
        measured = ("" if self.batch_max_abs_diff is None else
                    f"; measured: rows alone and batched differ by {self.batch_max_abs_diff:.3g} at most")
        if self.batch_invariant:
            return f"invariant: a sample's results do not depend on what it is batched with{measured}"
        why = ("dynamic int8 scales activations by the whole batch, padding included"
               if self.quantization == "dynamic" else "rows alone and batched differ")
        return f"NOT invariant: results depend on batch size and composition ({why}{measured})"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {op}" for op, n in sorted(counts.items())) or "none matched"
