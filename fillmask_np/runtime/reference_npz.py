"""A torch ``reference.npz`` as the reference side of a comparison: logits at a manifest's scored positions.

A ``reference.npz`` (``golden_data/score_masks_torch.py``) holds torch's logits [M, V] at the scored
positions of a mask manifest, in ``np.argwhere(labels != -100)`` order over the manifest's rows.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.lib.format as npy_format

from ..errors import FillMaskError, InputFileError, NumericsError, first_line
from ..masking import IGNORE_INDEX
from ..text import check_input_file, file_sha256

if TYPE_CHECKING:  # pragma: no cover
    from ..masking import MaskManifest

__all__ = ["TorchReference"]

_REFERENCE_KEYS = ("logits", "labels", "masks_sha256")


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
        check_input_file(self.path, what="reference npz", fix="pass the file the torch snippet wrote")
        try:
            with np.load(self.path, allow_pickle=False) as npz:
                missing = [k for k in _REFERENCE_KEYS if k not in npz.files]
                small = {k: npz[k] for k in npz.files if k != "logits"}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise InputFileError(f"cannot read {str(self.path)!r} as a reference npz ({first_line(exc)}); make it "
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
        self.name = str(self.path)
        self.max_length = None  # the manifest's rows fix the lengths
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
