"""Hyper-parameters read from config.json with transformers' defaults, each checked, each refusal one line."""

from __future__ import annotations

from typing import Any

from ...errors import ModelError
from ...limits import is_int

__all__ = ["hp_int", "hp_float", "hp_choice", "hp_bool"]


def hp_int(config: dict[str, Any], key: str, default: int | None = None, *, minimum: int = 1) -> int:
    """config.json's integer ``key`` (``default`` when absent), at least ``minimum``.

    >>> hp_int({"num_hidden_layers": 2}, "num_hidden_layers")
    2
    """
    value = config.get(key, default)
    if value is None and default is not None:
        value = default
    if not is_int(value) or value < minimum:
        raise ModelError(f"config.json {key}={value!r} is not an integer >= {minimum}; fix config.json (it must be "
                         f"the one saved with the weights)")
    return value


def hp_float(config: dict[str, Any], key: str, default: float) -> float:
    """config.json's number ``key`` (``default`` when absent or null)."""
    value = config.get(key, default)
    value = default if value is None else value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ModelError(f"config.json {key}={value!r} is not a number; fix config.json")
    return float(value)


def hp_bool(config: dict[str, Any], key: str, default: bool) -> bool:
    """config.json's boolean ``key`` (``default`` when absent or null)."""
    value = config.get(key, default)
    value = default if value is None else value
    if not isinstance(value, bool):
        raise ModelError(f"config.json {key}={value!r} is not true or false; fix config.json")
    return value


def hp_choice(config: dict[str, Any], key: str, default: str, choices: tuple[str, ...]) -> str:
    """config.json's ``key`` (``default`` when absent or null), refused unless one of ``choices``."""
    value = config.get(key, default)
    value = default if value is None else value
    if value not in choices:
        raise ModelError(f"config.json {key}={value!r} is not supported by the NumPy backend (it runs "
                         f"{list(choices)}); run the model's ONNX export instead")
    return value
