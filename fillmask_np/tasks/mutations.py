"""Mutations as protein engineers write them: ``A24P`` (wild-type residue, position, mutant residue), several
joined by ``:`` (``A24P:D30N``, ProteinGym's ``mutant`` column), positions 1-based unless an offset says otherwise.
Every wild-type letter is checked against the sequence."""

from __future__ import annotations

import re
from typing import Any, NamedTuple, Sequence

from ..errors import DataError
from ..limits import is_int, option_label, option_name

__all__ = ["Mutation", "parse_mutations"]

_ONE = re.compile(r"(\S)(-?\d+)(\S)")


class Mutation(NamedTuple):
    """One substitution: the wild-type and mutant residues at a 0-based index of the sequence."""

    wild_type: str
    position: int  # 0-based index in the wild-type sequence
    mutant: str


def parse_mutations(mutations: Sequence[str], sequence: str, *, offset: int = 1) -> list[tuple[Mutation, ...]]:
    """Each ``:``-joined mutation string as its substitutions, checked against the wild-type ``sequence``.

    Args:
        mutations: strings like ``"A24P"`` or ``"A24P:D30N"``.
        sequence: the wild-type protein, one letter per residue.
        offset: the number written for the sequence's first residue (1: 1-based, as ESM's ``--offset-idx``).
    Returns:
        one tuple of ``Mutation`` per string, in order.
    Raises:
        DataError: an empty or malformed mutation, a position outside the sequence, a wild-type letter that is not
            the sequence's residue there, or one position changed twice in one mutant; the message names it.
    """
    if isinstance(mutations, str):
        raise DataError(f"mutations={mutations!r} is one string; pass a list of mutations, e.g. [{mutations!r}]")
    if not is_int(offset):
        raise DataError(f"{option_label('offset', offset)} is not an integer; pass the number of the first residue (1 by default)")
    return [_parse_one(text, k, sequence, int(offset)) for k, text in enumerate(mutations)]


def _parse_one(text: Any, k: int, sequence: str, offset: int) -> tuple[Mutation, ...]:
    """The substitutions of mutation string ``k``."""
    if not isinstance(text, str):
        raise DataError(f"mutation {k} is {type(text).__name__} {text!r}, not a string like 'A24P' or 'A24P:D30N'")
    if not text.strip():
        raise DataError(f"mutation {k} is empty ({text!r}); write it as 'A24P' (wild type, position, mutant), "
                        f"several joined by ':'")
    parsed: list[Mutation] = []
    for part in text.strip().split(":"):
        match = _ONE.fullmatch(part.strip())
        if match is None:
            raise DataError(f"mutation {text!r}: {part!r} is not a substitution like 'A24P' (wild-type residue, "
                            f"position, mutant residue)")
        wild, digits, mutant = match.groups()
        number = int(digits)
        index = number - offset
        if not 0 <= index < len(sequence):
            raise DataError(f"mutation {text!r}: position {number} is outside the {len(sequence)}-residue sequence "
                            f"(positions {offset}..{offset + len(sequence) - 1} with offset {offset}); check "
                            f"the position or {option_name('offset')}")
        if sequence[index] != wild:
            raise DataError(f"mutation {text!r}: the wild type has {sequence[index]!r} at position {number}, not "
                            f"{wild!r}; check the sequence, the position or {option_name('offset')}")
        if parsed and any(m.position == index for m in parsed):
            raise DataError(f"mutation {text!r} changes position {number} twice; give each position once")
        parsed.append(Mutation(wild, index, mutant))
    return tuple(parsed)
