"""Which tokens of a tokenizer are special: names from the config files, conventional spellings, policies.

Two special-token policies decide which positions MLM masking may never select (Hugging Face has both):

* ``"template"`` (default; what ``run_mlm.py`` does): the tokens the tokenizer's post-processor added
  (``[CLS]``, ``[SEP]``, ``<s>``, ...) and padding. An ``[UNK]`` or a ``[MASK]`` typed in the text
  is an ordinary, maskable token.
* ``"all_special_ids"`` (what ``DataCollatorForLanguageModeling`` does when the batch carries no
  ``special_tokens_mask``): every id in ``all_special_ids`` -- the named special tokens (bos, eos,
  unk, sep, pad, cls, mask) and the config's additional/extra special tokens -- wherever it occurs,
  so an ``[UNK]`` or an in-text ``[MASK]`` is never selected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..config import SPECIAL_TOKEN_POLICIES, check_policy
from ..errors import InputFileError, TokenizerError
from ..text import check_input_file

__all__ = ["SPECIAL_TOKEN_POLICIES", "check_policy", "ROLES", "CANDIDATES", "read_config", "special_names",
           "other_special_names"]

ROLES = ("mask", "pad", "cls", "sep", "unk")
_NAMED_ONLY = ("bos", "eos")  # named in configs and part of all_special_ids, but no role here
CANDIDATES = {  # fallbacks when no tokenizer_config.json names the special tokens
    "mask": ("[MASK]", "<mask>", "<MASK>"),
    "pad": ("[PAD]", "<pad>", "<PAD>"),
    "cls": ("[CLS]", "<s>", "<cls>"),
    "sep": ("[SEP]", "</s>", "<sep>"),
    "unk": ("[UNK]", "<unk>", "<UNK>"),
}


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    check_input_file(path, what="tokenizer settings file", fix="fix or remove the file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(f"cannot read {str(path)!r} as JSON ({exc}); fix or remove the file") from exc
    if not isinstance(data, dict):
        raise InputFileError(f"{str(path)!r} holds a JSON {type(data).__name__}, not an object; fix or remove it")
    return data


def read_config(directory: Path) -> dict[str, Any]:
    """tokenizer_config.json, with special tokens from special_tokens_map.json where it names none."""
    special_map = _read_json(directory / "special_tokens_map.json")
    return {**special_map, **_read_json(directory / "tokenizer_config.json")}


def _token_text(value: Any) -> str | None:
    """tokenizer_config.json stores a special token as a string or as {"content": ...}."""
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) else None


def special_names(config: dict[str, Any], overrides: dict[str, str], *,
                   spelling: int | None = None) -> dict[str, str | None]:
    """Special token per role: explicit ``<role>_token=`` overrides, then the config, then (when
    ``spelling`` is given) the conventional spelling ``CANDIDATES[role][spelling]``."""
    names = {role: _token_text(config.get(f"{role}_token")) for role in ROLES}
    for key, value in overrides.items():
        role = key[: -len("_token")] if key.endswith("_token") else ""
        if role not in ROLES:
            raise TokenizerError(f"unknown special token {key!r}; use one of {[r + '_token' for r in ROLES]}")
        names[role] = value
    if spelling is not None:
        names = {role: name or CANDIDATES[role][spelling] for role, name in names.items()}
    return names


def other_special_names(config: dict[str, Any]) -> list[str]:
    """bos/eos and the additional (transformers 4) or extra (transformers 5) special tokens of a config."""
    names = [_token_text(config.get(f"{role}_token")) for role in _NAMED_ONLY]
    for key in ("additional_special_tokens", "extra_special_tokens"):
        value = config.get(key)
        items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
        names += [_token_text(item) for item in items]
    return [name for name in names if name]
