"""The masking settings of an evaluation, validated once and carried as one value: ``MaskingConfig``.

Every verb that masks a corpus (``evaluate``, ``compare``, a mask manifest's replay) and every command
that takes masking flags reads its settings from one ``MaskingConfig``; a mask manifest writes them in
its header (``to_header``) and a replay reads them back (``from_header``). A leaf module: it imports
nothing of the package but ``errors``, and no numpy.
"""

from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from .errors import FillMaskError, MaskingError, TokenizerError
from .limits import check_count, option_label

__all__ = ["MaskingConfig", "MASKING_MODES", "UNK_SHARE_LIMIT", "SPECIAL_TOKEN_POLICIES", "SETTING_KEYS", "validate_probabilities",
           "validate_seed", "check_policy", "masking_config"]

MASKING_MODES = ("per_sample", "hf")
SPECIAL_TOKEN_POLICIES = ("template", "all_special_ids")
# above this share of a run's non-special tokens being the tokenizer's unknown token, the run warns (CLI: one
# ``fillmask-np: warning:`` line) and ``optimize`` refuses a calibration text
UNK_SHARE_LIMIT = 0.05
SETTING_KEYS = ("seed", "masking", "mlm_probability", "mask_replace_prob", "random_replace_prob", "whole_word",
                "special_tokens", "max_length", "batch_size", "limit")


def validate_probabilities(mlm_probability: float, mask_replace_prob: float, random_replace_prob: float, *,
                           flags: bool | None = None) -> None:
    """Raise ``MaskingError`` unless the three masking probabilities make sense.

    Args:
        mlm_probability: share of maskable tokens selected, in (0, 1].
        mask_replace_prob: share of selected tokens replaced by the mask token, in [0, 1].
        random_replace_prob: share replaced by a random token, in [0, 1]; the two shares sum to <= 1.
        flags: the values came from the command line: messages name the flags (``--mlm-probability 0.0``); None:
            as ``limits.naming_flags`` says.

    >>> validate_probabilities(0.15, 0.8, 0.1)
    """
    values = {"mlm_probability": mlm_probability, "mask_replace_prob": mask_replace_prob,
              "random_replace_prob": random_replace_prob}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
            raise MaskingError(f"{option_label(name, value, flags=flags)} must be a number (the defaults: 0.15 "
                               f"selected, of which 0.8 masked and 0.1 random)")
    if not (0.0 < float(mlm_probability) <= 1.0):
        raise MaskingError(f"{option_label('mlm_probability', mlm_probability, flags=flags)} must be in (0, 1]; the "
                           f"usual value is 0.15")
    for name in ("mask_replace_prob", "random_replace_prob"):
        if not (0.0 <= float(values[name]) <= 1.0):
            raise MaskingError(f"{option_label(name, values[name], flags=flags)} must be in [0, 1] (defaults: 0.8 "
                               f"and 0.1)")
    if float(mask_replace_prob) + float(random_replace_prob) > 1.0:
        raise MaskingError(
            f"{option_label('mask_replace_prob', mask_replace_prob, flags=flags)} + "
            f"{option_label('random_replace_prob', random_replace_prob, flags=flags)} exceeds 1; the remainder "
            f"1 - both is the share kept unchanged, so lower one of them"
        )


def validate_seed(seed: int) -> int:
    """Return ``seed`` as an int, or raise ``MaskingError`` unless it is a non-negative integer.

    >>> validate_seed(42)
    42
    """
    return check_count("seed", seed, hint="e.g. 0 or 42", error=MaskingError)


def check_policy(policy: str) -> str:
    """Return ``policy`` or raise ``TokenizerError`` naming the two special-token policies.

    >>> check_policy("template")
    'template'
    """
    if policy not in SPECIAL_TOKEN_POLICIES:
        raise TokenizerError(f"special_tokens={policy!r} is not one of {list(SPECIAL_TOKEN_POLICIES)}: 'template' "
                             f"keeps the tokenizer's added [CLS]/[SEP] out of masking, 'all_special_ids' every "
                             f"special id wherever it occurs")
    return policy


def replacement_shares(whole_word: bool, mask_replace_prob: float | None, random_replace_prob: float | None, *,
                       flags: bool | None = None) -> tuple[float, float]:
    """The replacement shares: HF's defaults, or (1, 0) for whole-word masking, which allows nothing else
    (``flags``: messages name the command line's flags; None: as ``limits.naming_flags`` says).

    >>> replacement_shares(False, None, None), replacement_shares(True, None, None)
    ((0.8, 0.1), (1.0, 0.0))
    """
    if not whole_word:
        return (0.8 if mask_replace_prob is None else mask_replace_prob,
                0.1 if random_replace_prob is None else random_replace_prob)
    if (mask_replace_prob not in (None, 1, 1.0)) or (random_replace_prob not in (None, 0, 0.0)):
        raise FillMaskError(f"whole-word masking replaces every selected token with the mask token (HF's collator "
                            f"forces it); got {option_label('mask_replace_prob', mask_replace_prob, flags=flags)}, "
                            f"{option_label('random_replace_prob', random_replace_prob, flags=flags)}: leave them "
                            f"unset or pass 1.0 and 0.0")
    return 1.0, 0.0


@dataclass(frozen=True)
class MaskingConfig:
    """How a corpus is masked and batched: HF's collator settings plus this library's batching.

    Construct it with ``MaskingConfig(...)`` (unset replacement shares take HF's defaults, or 1.0/0.0
    with ``whole_word``), or ``MaskingConfig.from_header(manifest_header)``; every instance is valid.
    ``max_length=None`` means "the model's or tokenizer's limit", resolved by ``with_max_length``.

    >>> MaskingConfig(seed=42).mask_replace_prob, MaskingConfig(whole_word=True).mask_replace_prob
    (0.8, 1.0)
    """

    seed: int = 0
    masking: Literal["per_sample", "hf"] = "per_sample"
    mlm_probability: float = 0.15
    mask_replace_prob: float | None = None
    random_replace_prob: float | None = None
    whole_word: bool = False
    special_tokens: Literal["template", "all_special_ids"] = "template"
    batch_size: int = 16
    max_length: int | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        mask_p, random_p = replacement_shares(self.whole_word, self.mask_replace_prob, self.random_replace_prob)
        validate_probabilities(self.mlm_probability, mask_p, random_p)
        check_policy(self.special_tokens)
        seed = validate_seed(self.seed)
        limit = check_count("limit", self.limit, allow_none=True, hint="or None for the whole corpus")
        if self.masking not in MASKING_MODES:
            raise FillMaskError(f"masking={self.masking!r} is not 'per_sample' or 'hf'")
        batch_size = check_count("batch_size", self.batch_size, hint="samples per batch, e.g. 16")
        max_length = check_count("max_length", self.max_length, allow_none=True, hint="or None for the model's limit")
        for name, value in (("seed", seed), ("mask_replace_prob", mask_p), ("random_replace_prob", random_p),
                            ("whole_word", bool(self.whole_word)), ("batch_size", batch_size),
                            ("max_length", max_length), ("limit", limit)):
            object.__setattr__(self, name, value)

    @classmethod
    def from_header(cls, header: dict[str, Any]) -> MaskingConfig:
        """The settings recorded in a mask manifest's header (``SETTING_KEYS``)."""
        return cls(**{key: header[key] for key in SETTING_KEYS})

    def to_header(self) -> dict[str, Any]:
        """The settings as a manifest header records them (``SETTING_KEYS``, JSON-ready)."""
        return {key: getattr(self, key) for key in SETTING_KEYS}

    def with_max_length(self, max_length: int) -> MaskingConfig:
        """A copy with ``max_length`` set (the resolved limit)."""
        return replace(self, max_length=int(max_length))

    def as_dict(self) -> dict[str, Any]:
        """Every setting by name, as a report's ``settings`` lists them."""
        return asdict(self)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The settings' names, in declaration order."""
        return tuple(f.name for f in fields(cls))


def masking_config(config: MaskingConfig | None, options: dict[str, Any]) -> MaskingConfig:
    """The ``MaskingConfig`` a verb was given: ``config`` itself, or one built from keyword ``options``.

    Args:
        config: a ``MaskingConfig``, or None.
        options: masking keywords (``MaskingConfig``'s field names), used when ``config`` is None.
    Returns:
        a valid ``MaskingConfig``.

    >>> masking_config(None, {"seed": 3}).seed
    3
    """
    unknown = sorted(set(options) - set(SETTING_KEYS))
    if unknown:
        raise FillMaskError(f"unknown masking option(s) {unknown}; the masking options are MaskingConfig's fields "
                            f"{list(SETTING_KEYS)}")
    if config is None:
        return MaskingConfig(**options)
    if not isinstance(config, MaskingConfig):
        raise FillMaskError(f"config={config!r} is not a MaskingConfig; pass fm.MaskingConfig(seed=0, ...)")
    if options:
        raise FillMaskError(f"pass the masking settings as config=MaskingConfig(...) or as keywords, not both "
                            f"(got config and {sorted(options)})")
    return config
