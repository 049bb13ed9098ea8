"""The verdict's two profiles, ``Thresholds`` presets by purpose, and which one a comparison gets.

* ``fidelity``: a float32 / float16 conversion (ONNX export, ORT-optimized graph, float16 copy) checked against
  its source (the checkpoint or the float32 export). It should differ by float rounding alone, so it is judged
  on the largest |Δlogit| and on KL, with bounds set from the float noise measured on the nine golden models
  and splade-tiny (python bench/verdict_ladder.py, README "Comparing two models"):

  - float32 conversions (export vs checkpoint on the NumPy backend, ORT-optimized vs export): largest
    |Δlogit| <= 2.1e-5, KL <= 1e-12;
  - float16 copies (golden bert_fp16, splade-tiny float16): largest |Δlogit| 0.007 (bert_fp16) and 0.020
    (splade-tiny), KL <= 1.05e-6;
  - the broken exports of the ladder on bert, roberta, esm, modernbert and splade-tiny (decoder bias zeroed,
    last LayerNorm x0.7, positions shifted, attention mask ignored, 3 % noise on layer 0): largest |Δlogit|
    >= 0.076 (roberta's 3 % layer-0 noise, the mildest) and up to 13.5.

  Bounds: largest |Δlogit| AT_RISK above 0.04 (2x the largest float16 difference), REGRESSION above 0.06
  (below the mildest break); KL AT_RISK above 1e-5 (9.5x the float16 KL), REGRESSION above 5e-5; ΔCE (upper
  95 % bound) above 0.1 % / 1 %; top-1 agreement and top-5 overlap below 95 % / 90 % (float16 near-ties flip a
  few argmaxes: 99.4 % on bert_fp16). Larger float16 models round larger logits: their largest |Δlogit| may
  exceed these bounds (``dataclasses.replace(FIDELITY, max_logit_at_risk=..., max_logit_regression=...)``).
* ``lossy``: int8 and other approximations: ``Thresholds()``'s values (bench/LADDER.md), no bound on the
  largest |Δlogit|.

``pick_profile`` takes lossy when either model's ONNX graph holds quantized operators (``describe()``'s
``quantized_ops``: QuantizeLinear, MatMulInteger, QLinear*, ...) and fidelity otherwise.
"""

from __future__ import annotations

from typing import Any

from ..errors import FillMaskError
from .thresholds import Thresholds

__all__ = ["FIDELITY", "LOSSY", "PROFILES", "pick_profile"]

FIDELITY = Thresholds(at_risk=0.001, regression=0.01, kl_at_risk=1e-5, kl_regression=5e-5, agreement_at_risk=0.95,
                      agreement_regression=0.90, top5_at_risk=0.95, top5_regression=0.90, max_logit_at_risk=0.04,
                      max_logit_regression=0.06)
LOSSY = Thresholds()
PROFILES = {"fidelity": FIDELITY, "lossy": LOSSY}


def pick_profile(profile: str, candidate: dict[str, Any], reference: dict[str, Any] | None) -> tuple[str, str]:
    """The profile's name and why it was picked.

    Args:
        profile: ``"auto"``, ``"fidelity"`` or ``"lossy"`` (the last two are taken as given).
        candidate, reference: the models' ``describe()`` records (reference None for torch logits).
    Returns:
        (name, reason): ``"fidelity"`` or ``"lossy"``, and one line saying why.

    >>> pick_profile("auto", {"backend": "onnx", "quantized_ops": ["MatMulInteger"]}, None)[0]
    'lossy'
    >>> pick_profile("auto", {"backend": "numpy"}, {"backend": "onnx", "quantized_ops": []})
    ('fidelity', 'neither model has quantized operators: a float conversion, judged against float noise')
    """
    if profile in PROFILES:
        return profile, f"chosen: profile={profile!r} (--profile {profile})"
    if profile != "auto":
        raise FillMaskError(f"profile={profile!r} is not one of 'auto', 'fidelity', 'lossy'; 'fidelity' judges a "
                            f"float conversion against its source, 'lossy' an int8 or other approximation")
    for what, info in (("candidate", candidate), ("reference", reference)):
        ops = (info or {}).get("quantized_ops") or []
        if ops:
            return "lossy", f"the {what}'s graph has quantized operators ({', '.join(ops)})"
    return "fidelity", "neither model has quantized operators: a float conversion, judged against float noise"
