"""Mask manifests: the exact masked ids and labels of an evaluation, for any backend to replay.

``evaluate(..., save_masks="masks.npz")`` writes one; ``evaluate(..., masks="masks.npz")`` scores it
instead of drawing new masks. The file is a plain ``.npz`` (read it with ``allow_pickle=False``):

* ``header``: 0-d unicode array, a JSON object (sorted keys): ``format`` (``"fillmask_np.masks/1"``),
  ``tokenizer_sha256`` (of the tokenizer's source file), ``data_sha256`` (of the data file, or of a
  list of strings as the file of those lines), the masking settings ``seed``, ``masking``,
  ``mlm_probability``, ``mask_replace_prob``, ``random_replace_prob``, ``whole_word``,
  ``special_tokens``, ``max_length``, ``batch_size``, ``limit``, and ``mask_token_id``,
  ``pad_token_id``, ``vocab_size`` (``len(tokenizer)``), ``n_samples`` (non-empty samples read),
  ``n_rows`` (N);
* ``sample_index`` [N] int64, ascending: the i-th non-empty sample of each row (samples in which
  nothing was masked are left out);
* ``input_ids`` [N, L] int64: the masked ids fed to the model, right-padded with ``pad_token_id``;
* ``attention_mask`` [N, L] int64: 1 on real tokens, 0 on padding;
* ``labels`` [N, L] int64: the original id at each scored position, -100 elsewhere.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import SETTING_KEYS
from ..errors import InputFileError, MaskingError, first_line
from ..text import AtomicFile, check_input_file, check_output, data_sha256, file_sha256
from .manifest_checks import ARRAY_KEYS, FORMAT, HEADER_KEYS, check_arrays, parse_header

if TYPE_CHECKING:  # pragma: no cover
    from ..config import MaskingConfig
    from ..tokenization import Tokenizer

__all__ = ["FORMAT", "ARRAY_KEYS", "HEADER_KEYS", "MaskManifest", "load_masks", "save_masks", "manifest_header"]



@dataclass(frozen=True)
class MaskManifest:
    """A mask manifest in memory: the JSON ``header`` and the [N] / [N, L] int64 arrays (module docstring).

    ``path`` and ``sha256`` name the file it was read from or written to (None for one not on disk).
    """

    header: dict[str, Any]
    sample_index: np.ndarray  # [N]
    input_ids: np.ndarray  # [N, L]
    attention_mask: np.ndarray  # [N, L]
    labels: np.ndarray  # [N, L]
    path: str | None = None
    sha256: str | None = None

    @property
    def settings(self) -> dict[str, Any]:
        """The masking settings recorded in the header (``seed``, ``masking``, ... ``limit``)."""
        return {key: self.header[key] for key in SETTING_KEYS}

    @property
    def config(self) -> MaskingConfig:
        """The recorded settings as a ``MaskingConfig``."""
        from ..config import MaskingConfig

        return MaskingConfig.from_header(self.header)

    def row(self, sample: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(masked ids, labels) of sample ``sample``, unpadded ([l] int64 each), or None when it has no row."""
        r = int(np.searchsorted(self.sample_index, sample))
        if r == len(self.sample_index) or self.sample_index[r] != sample:
            return None
        length = int(self.attention_mask[r].sum())
        return self.input_ids[r, :length], self.labels[r, :length]

    def check(self, tokenizer: Tokenizer, data: Any) -> None:
        """Raise ``MaskingError`` unless the manifest was made with this tokenizer and this data.

        Hashes are compared when both sides have one (a tokenizer built in memory or a one-shot
        iterator of texts has none); the special ids and vocabulary size are always compared, and a
        replay also checks every row against the data's own tokens.
        """
        name = self.path or "<memory>"
        source = tokenizer.source
        ours = file_sha256(source) if source and Path(source).is_file() else None
        theirs = self.header["tokenizer_sha256"]
        if ours and theirs and ours != theirs:
            raise MaskingError(f"masks file {name!r} was made for another tokenizer: its tokenizer_sha256 is {theirs}, "
                               f"but {source!r} has sha256 {ours}; pass the tokenizer the masks were made with, "
                               f"or draw new masks (drop masks=/--masks)")
        ours, theirs = data_sha256(data), self.header["data_sha256"]
        if ours and theirs and ours != theirs:
            label = str(data) if isinstance(data, (str, Path)) else f"the {type(data).__name__} of texts"
            raise MaskingError(f"masks file {name!r} was made for other data: its data_sha256 is {theirs}, but "
                               f"{label!r} has sha256 {ours}; pass the data the masks were made from, or draw new "
                               f"masks (drop masks=/--masks)")
        for key, value in (("mask_token_id", tokenizer.mask_token_id), ("pad_token_id", tokenizer.pad_token_id),
                           ("vocab_size", len(tokenizer))):
            if self.header[key] != value:
                raise MaskingError(f"masks file {name!r} has {key}={self.header[key]!r} but tokenizer {source!r} has "
                                   f"{value!r}; pass the tokenizer the masks were made with")


def manifest_header(tokenizer: Tokenizer, data: Any, config: MaskingConfig, *, n_samples: int,
                    n_rows: int) -> dict[str, Any]:
    """The header of a manifest made with ``tokenizer`` from ``data`` under the masking ``config``."""
    source = tokenizer.source
    header = config.to_header()
    header.update(format=FORMAT, tokenizer_sha256=file_sha256(source) if source and Path(source).is_file() else None,
                  data_sha256=data_sha256(data), mask_token_id=int(tokenizer.mask_token_id),
                  pad_token_id=int(tokenizer.pad_token_id), vocab_size=len(tokenizer), n_samples=int(n_samples),
                  n_rows=int(n_rows))
    return header


def save_masks(path: str | Path, manifest: MaskManifest) -> MaskManifest:
    """Write ``manifest`` to ``path`` (compressed ``.npz``, the name kept as given), atomically.

    The file is written beside ``path`` and renamed over it, so a crash never leaves a partial manifest.

    Returns:
        the manifest with ``path`` and ``sha256`` of the bytes written.

    >>> saved = save_masks("masks.npz", report_manifest)  # doctest: +SKIP
    """
    check_arrays(manifest.header, {k: getattr(manifest, k) for k in ARRAY_KEYS}, str(path))
    path = check_output(path, what="masks file")
    written = AtomicFile(path, what="masks file")
    with written as handle:  # a file object: numpy would append ".npz" to a bare name
        # Any: numpy's stub would check a **dict of arrays against savez_compressed's allow_pickle: bool too
        arrays: dict[str, Any] = {k: np.ascontiguousarray(getattr(manifest, k), dtype=np.int64) for k in ARRAY_KEYS}
        np.savez_compressed(handle, header=np.array(json.dumps(manifest.header, sort_keys=True)), **arrays)
    return replace(manifest, path=str(path), sha256=written.sha256)


def load_masks(path: str | Path) -> MaskManifest:
    """Read and validate a mask manifest (``allow_pickle=False``).

    Raises ``InputFileError`` when the file is missing or not an ``.npz``, ``MaskingError`` when its
    keys, header or arrays are not those of a ``fillmask_np.masks/1`` manifest.

    >>> manifest = load_masks("masks.npz")  # doctest: +SKIP
    """
    path = check_input_file(path, what="masks file", fix="write one with --save-masks / save_masks=")
    if not zipfile.is_zipfile(path):  # e.g. a .npy: np.load would return an array, not an archive
        raise InputFileError(f"masks file {str(path)!r} is not an .npz archive; write one with --save-masks / "
                             f"save_masks=")
    try:
        with np.load(path, allow_pickle=False) as npz:
            files = set(npz.files)
            missing = sorted({"header", *ARRAY_KEYS} - files)
            if missing:
                raise MaskingError(f"masks file {str(path)!r} lacks {missing} (has {sorted(files)}); it is not a "
                                   f"{FORMAT} manifest: write one with --save-masks / save_masks=")
            header_array = npz["header"]
            arrays = {k: npz[k] for k in ARRAY_KEYS}
    except MaskingError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # not a zip, truncated, pickled objects
        raise InputFileError(f"masks file {str(path)!r} is not a readable .npz ({first_line(exc)}); "
                             f"write one with --save-masks / save_masks=") from exc
    header = parse_header(header_array, str(path))
    check_arrays(header, arrays, str(path))
    index, ids, attention, labels = (arrays[k].astype(np.int64) for k in ARRAY_KEYS)
    return MaskManifest(header, index, ids, attention, labels, path=str(path), sha256=file_sha256(path))
