"""One protein from a FASTA file: the residues of its single record, lines joined, whitespace dropped."""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError
from .inputs import check_input_file

__all__ = ["read_fasta"]


def read_fasta(path: str | Path) -> str:
    """The sequence of the one record in a FASTA file (``>name`` header, then residue lines).

    Args:
        path: the file.
    Returns:
        the residues as one string.
    Raises:
        InputFileError / DataError: a missing file, no record, several records, or an empty sequence.
    """
    path = check_input_file(path, what="FASTA file", fix="pass a FASTA file holding the wild type")
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"FASTA file {str(path)!r} is not valid UTF-8 ({exc.reason}); re-encode it") from exc
    headers = [k for k, line in enumerate(lines) if line.startswith(">")]
    if not headers:
        raise DataError(f"FASTA file {str(path)!r} has no record (no '>' header line); pass a FASTA file, or the "
                        f"residues with --sequence")
    if len(headers) > 1:
        raise DataError(f"FASTA file {str(path)!r} holds {len(headers)} records; pass a file with the wild type "
                        f"alone")
    sequence = "".join("".join(line.split()) for line in lines[headers[0] + 1:])
    if not sequence:
        raise DataError(f"FASTA file {str(path)!r}: record {lines[headers[0]].strip()!r} has no residues")
    return sequence
