"""What two compared sides must share, and a torch ``reference.npz`` as the reference side.

A ``reference.npz`` (``golden_data/score_masks_torch.py``) holds torch's logits [M, V] at the scored
positions of a mask manifest, in ``np.argwhere(labels != -100)`` order over the manifest's rows.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.lib.format as npy_format

from ._provenance import file_sha256
from .errors import FillMaskError, InputFileError, NumericsError, TokenizerError, _first_line
from .masking import IGNORE_INDEX

if TYPE_CHECKING:  # pragma: no cover
    from .masks_file import MaskManifest
    from .tokenizer import Tokenizer

_REFERENCE_KEYS = ("logits", "labels", "masks_sha256")


def _name(model: Any) -> str:
    return repr(str(getattr(model, "path", type(model).__name__)))


def check_same_tokenizer(tokenizer: Tokenizer, other: Tokenizer) -> None:
    """Raise ``TokenizerError`` unless both tokenizers map the same tokens to the same ids (specials included)."""
    same_file = (Path(str(tokenizer.source)).is_file() and Path(str(other.source)).is_file()
                 and file_sha256(tokenizer.source) == file_sha256(other.source))
    if same_file:
        return
    roles = ("mask_token_id", "pad_token_id", "cls_token_id", "sep_token_id")
    a = (tokenizer.backend.get_vocab(with_added_tokens=True), [getattr(tokenizer, r) for r in roles])
    b = (other.backend.get_vocab(with_added_tokens=True), [getattr(other, r) for r in roles])
    if a != b:
        raise TokenizerError(f"the candidate's tokenizer {tokenizer.source!r} ({len(tokenizer)} tokens) and the "
                             f"reference's {other.source!r} ({len(other)} tokens) map tokens to different ids, so "
                             f"the two models cannot be fed the same masked batches; compare models that share "
                             f"a tokenizer")


def check_vocab(candidate: Any, reference: Any) -> None:
    """Raise ``FillMaskError`` when both models declare a logits width and the widths differ."""
    v_cand, v_ref = getattr(candidate, "vocab_size", None), getattr(reference, "vocab_size", None)
    if v_cand is not None and v_ref is not None and v_cand != v_ref:
        raise FillMaskError(f"the candidate {_name(candidate)} has {v_cand} logits per token but the reference "
                            f"{_name(reference)} has {v_ref}; only models over the same vocabulary can be compared")


def shared_max_length(candidate: Any, reference: Any, tokenizer: Tokenizer,
                      max_length: int | None) -> tuple[int, str]:
    """The longest sequence both models accept, and which limit set it (for the report's settings)."""
    limits = {f"candidate {_name(candidate)}": getattr(candidate, "max_length", None),
              f"reference {_name(reference)}": getattr(reference, "max_length", None),
              "tokenizer model_max_length": tokenizer.model_max_length}
    limits = {k: int(v) for k, v in limits.items() if v}
    if max_length is not None:
        for who, limit in limits.items():
            if who != "tokenizer model_max_length" and int(max_length) > limit:
                raise FillMaskError(f"max_length={max_length!r} exceeds the {who}'s limit of {limit} tokens; both "
                                    f"models must accept the same batches: pass max_length <= {limit}")
        return int(max_length), "max_length argument"
    if not limits:
        return 512, "default (no model or tokenizer limit known)"
    who = min(limits, key=limits.get)
    return limits[who], who


def _npz_array(path: Path, key: str) -> np.ndarray:
    """``key`` of an .npz: memory-mapped when stored uncompressed (``np.savez``), else read whole."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(f"{key}.npy")
        if info.compress_type == zipfile.ZIP_STORED:
            with archive.open(info) as member:
                version = npy_format.read_magic(member)
                read = {(1, 0): npy_format.read_array_header_1_0, (2, 0): npy_format.read_array_header_2_0}
                shape, fortran, dtype = read[version](member) if version in read else ((), False, np.dtype(object))
                header = member.tell()
            if not dtype.hasobject:
                with path.open("rb") as raw:  # the member's data follows its local file header
                    raw.seek(info.header_offset + 26)
                    name_len, extra_len = np.frombuffer(raw.read(4), dtype="<u2")
                offset = info.header_offset + 30 + int(name_len) + int(extra_len) + header
                return np.memmap(path, dtype=dtype, mode="r", shape=shape, offset=offset,
                                 order="F" if fortran else "C")
    with np.load(path, allow_pickle=False) as npz:
        return npz[key]


class TorchReference:
    """torch logits at a manifest's scored positions, served per batch row (by sample index)."""

    def __init__(self, path: str | Path, masks: MaskManifest) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise InputFileError(f"reference npz {str(self.path)!r} does not exist; pass an existing file")
        try:
            with np.load(self.path, allow_pickle=False) as npz:
                missing = [k for k in _REFERENCE_KEYS if k not in npz.files]
                small = {k: npz[k] for k in npz.files if k != "logits"}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise InputFileError(f"cannot read {str(self.path)!r} as a reference npz ({_first_line(exc)}); make it "
                                 f"with golden_data/score_masks_torch.py MODEL_DIR masks.npz reference.npz") from exc
        if missing:
            raise InputFileError(f"reference npz {str(self.path)!r} lacks {missing}; make it with "
                                 f"golden_data/score_masks_torch.py MODEL_DIR masks.npz reference.npz")
        self.masks_sha256 = masks.sha256
        made_for = str(small["masks_sha256"])
        if made_for != self.masks_sha256:
            raise FillMaskError(f"reference npz {str(self.path)!r} was made for a masks file with sha256 {made_for}, "
                                f"but masks file {masks.path!r} has sha256 {self.masks_sha256}; pass the masks file "
                                f"the reference was scored on")
        self.logits = _npz_array(self.path, "logits")  # [M, V]
        labels, sample_index = masks.labels, masks.sample_index  # [N, L], [N]
        scored = labels[labels != IGNORE_INDEX]  # [M] in argwhere order
        if self.logits.shape[0] != len(scored) or not np.array_equal(small["labels"], scored):
            raise NumericsError(f"reference npz {str(self.path)!r} holds {self.logits.shape[0]} logit rows and "
                                f"{len(small['labels'])} labels but masks file {masks.path!r} scores {len(scored)} "
                                f"tokens (or other labels); re-score the manifest with score_masks_torch.py")
        self.vocab_size = int(self.logits.shape[1])
        self.labels = small["labels"]
        counts = np.count_nonzero(labels != IGNORE_INDEX, axis=1)  # [N]
        self.start = {int(s): int(o) for s, o in zip(sample_index, np.concatenate([[0], np.cumsum(counts)[:-1]]))}
        self.count = {int(s): int(c) for s, c in zip(sample_index, counts)}
        self.info = {"kind": "torch_npz", "path": str(self.path), "sha256": file_sha256(self.path),
                     "masks_sha256": self.masks_sha256,
                     "torch_version": str(small.get("torch_version", "")) or None,
                     "torch_cross_entropy": float(small["cross_entropy"]) if "cross_entropy" in small else None}

    def rows(self, sample_indices: list[int], row_of_token: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """[m, V] torch logits for a pass's masked tokens: ``row_of_token`` [m] indexes ``sample_indices``."""
        samples = [sample_indices[r] for r in np.unique(row_of_token)]
        if any(s not in self.start for s in samples):
            raise NumericsError(f"sample {next(s for s in samples if s not in self.start)} is masked in this run but "
                                f"not in reference npz {str(self.path)!r}; replay the masks it was scored on")
        index = np.concatenate([np.arange(self.start[s], self.start[s] + self.count[s]) for s in samples])
        if len(index) != len(targets) or not np.array_equal(self.labels[index], targets):
            raise NumericsError(f"the batch's masked labels differ from those of reference npz {str(self.path)!r}; "
                                f"the masks replayed are not the ones the reference was scored on")
        return np.asarray(self.logits[index])  # [m, V]
