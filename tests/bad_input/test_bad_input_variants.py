"""Bad-input rows for variant scoring (``fillmask-np variants`` / ``fm.score_variants``).

CLI: exit 2 with one ``fillmask-np: error: ...`` line and no traceback, nothing written. API: a ``FillMaskError``
subclass whose one-line message names the bad value.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import fillmask_np as fm
from fillmask_np.errors import DataError, FillMaskError, TokenizerError
from helpers import GOLDEN, load_golden
from helpers.cli_runs import error_line

ESM = GOLDEN / "models" / "esm"
WILD = (GOLDEN / "text" / "protein_eval.txt").read_text(encoding="utf-8").split("\n")[1]  # MATIIAKPMK..., 66


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """Mutation tables and FASTA files, each with one thing wrong."""
    def table(name: str, text: str) -> None:
        (tmp_path / name).write_text(text, encoding="utf-8")

    table("ok.csv", "mutant,DMS_score\nA2T,0.5\nR13T,0.1\n")
    table("unknown_residue.csv", "mutant\nA2T\nA2J\n")
    table("out_of_range.csv", "mutant\nA99T\n")
    table("mismatch.csv", "mutant\nK2T\n")
    table("empty_cell.csv", "mutant,DMS_score\nA2T,0.5\n,0.2\n")
    table("malformed.csv", "mutant\nA2\n")
    table("twice.csv", "mutant\nA2T:A2K\n")
    table("no_column.csv", "variant\nA2T\n")
    table("text_target.csv", "mutant,DMS_score\nA2T,high\n")
    table("has_score.csv", "mutant,score\nA2T,1\n")
    table("ragged.csv", "mutant,DMS_score\nA2T\n")
    table("two.fasta", f">a\n{WILD}\n>b\n{WILD}\n")
    table("no_header.fasta", f"{WILD}\n")
    table("mutations.txt", "A2T\n")
    return tmp_path


# (case id, argv after `variants --model ESM`, {w} the work folder, a fragment of the one line)
CLI_ROWS = [
    ("unknown-residue", ["--sequence", WILD, "--mutations", "{w}/unknown_residue.csv"],
     "unknown residue 'J' in the mutation 'A2J'"),
    ("unknown-residue-in-the-wild-type", ["--sequence", "MAJK", "--mutations", "{w}/ok.csv"],
     "unknown residue 'J' in the wild type"),
    ("position-out-of-range", ["--sequence", WILD, "--mutations", "{w}/out_of_range.csv"],
     "position 99 is outside the 66-residue sequence"),
    ("wild-type-mismatch", ["--sequence", WILD, "--mutations", "{w}/mismatch.csv"],
     "mutation 'K2T': the wild type has 'A' at position 2, not 'K'"),
    ("mismatch-from-an-offset", ["--sequence", WILD, "--mutations", "{w}/ok.csv", "--offset", "0"],
     "the wild type has 'T' at position 2"),
    ("empty-mutation", ["--sequence", WILD, "--mutations", "{w}/empty_cell.csv"], "mutation 1 is empty"),
    ("malformed-mutation", ["--sequence", WILD, "--mutations", "{w}/malformed.csv"],
     "'A2' is not a substitution like 'A24P'"),
    ("one-position-twice", ["--sequence", WILD, "--mutations", "{w}/twice.csv"], "changes position 2 twice"),
    ("missing-mutation-column", ["--sequence", WILD, "--mutations", "{w}/no_column.csv"],
     "has no column 'mutant' (columns: ['variant']); pick it with --mutation-column"),
    ("mutation-column-the-table-lacks",
     ["--sequence", WILD, "--mutations", "{w}/ok.csv", "--mutation-column", "variant"], "has no column 'variant'"),
    ("target-column-the-table-lacks", ["--sequence", WILD, "--mutations", "{w}/ok.csv", "--target-column", "fitness"],
     "has no column 'fitness'"),
    ("target-that-is-not-a-number", ["--sequence", WILD, "--mutations", "{w}/text_target.csv"],
     "column 'DMS_score' row 1 holds 'high', not a number"),
    ("score-column-already-there", ["--sequence", WILD, "--mutations", "{w}/has_score.csv"],
     "already has a column 'score'"),
    ("ragged-table-row", ["--sequence", WILD, "--mutations", "{w}/ragged.csv"], "row 2 has 1 fields"),
    ("mutations-not-a-table", ["--sequence", WILD, "--mutations", "{w}/mutations.txt"], "is not a table"),
    ("missing-mutations-file", ["--sequence", WILD, "--mutations", "{w}/nope.csv"], "does not exist"),
    ("empty-mutations-path", ["--sequence", WILD, "--mutations", ""], "--mutations '' is an empty path"),
    ("fasta-with-two-records", ["--fasta", "{w}/two.fasta", "--mutations", "{w}/ok.csv"], "holds 2 records"),
    ("fasta-without-a-header", ["--fasta", "{w}/no_header.fasta", "--mutations", "{w}/ok.csv"], "has no record"),
    ("empty-sequence", ["--sequence", " ", "--mutations", "{w}/ok.csv"], "is not a protein sequence"),
    ("output-not-a-table", ["--sequence", WILD, "--mutations", "{w}/ok.csv", "-o", "{w}/scores.txt"],
     "must end in .csv, .tsv or .parquet"),
    ("output-onto-the-mutations", ["--sequence", WILD, "--mutations", "{w}/ok.csv", "-o", "{w}/ok.csv"],
     "is an input of this run"),
    ("html-onto-the-output", ["--sequence", WILD, "--mutations", "{w}/ok.csv", "-o", "{w}/s.csv", "--html",
                              "{w}/s.csv"], "both name"),
    ("stride-longer-than-a-window", ["--sequence", WILD, "--mutations", "{w}/ok.csv", "--max-length", "20",
                                     "--stride", "30"], "--stride 30 must be from 1 to the window's 18 tokens"),
    ("mutation-beyond-a-truncated-wild-type", ["--sequence", WILD, "--mutations", "{w}/ok.csv", "--long", "truncate",
                                               "--max-length", "12"], "mutation 'R13T' is at residue 13, beyond the 10 residues the model sees with --long 'truncate'; score it with "
     "--long 'window'"),
    ("stride-with-truncate", ["--sequence", WILD, "--mutations", "{w}/ok.csv", "--long", "truncate", "--stride", "4"],
     "--stride 4 steps the windows of --long 'window'"),
    ("unknown-long-mode", ["--sequence", WILD, "--mutations", "{w}/ok.csv", "--long", "split"],
     "--long 'split' is not one of"),
    ("stride-zero", ["--sequence", WILD, "--mutations", "{w}/ok.csv", "--stride", "0"], "--stride 0"),
]


@pytest.mark.cli
@pytest.mark.parametrize("case,argv,fragment", CLI_ROWS, ids=[r[0] for r in CLI_ROWS])
def test_bad_command_line_input_exits_2_with_one_line(work, case, argv, fragment):
    before = {p.name: p.read_bytes() for p in work.iterdir()}
    line = error_line("variants", "--model", ESM, *(a.format(w=work) for a in argv))
    assert fragment in line, line
    assert {p.name: p.read_bytes() for p in work.iterdir()} == before  # nothing written, nothing changed


@pytest.mark.cli
def test_a_tokenizer_that_splits_residues_is_refused_in_one_line(work):
    line = error_line("variants", "--model", GOLDEN / "models" / "albert", "--sequence", WILD,
                      "--mutations", work / "ok.csv")
    assert "reads residue" in line and "not one: scoring variants needs one token per residue" in line, line


# (case id, keyword arguments of score_variants beyond model and tokenizer, error class, fragment)
API_ROWS = [
    ("unknown-residue", dict(wild_type=WILD, mutations=["A2J"]), TokenizerError, "unknown residue 'J'"),
    ("position-out-of-range", dict(wild_type=WILD, mutations=["A0T"]), DataError, "position 0 is outside"),
    ("wild-type-mismatch", dict(wild_type=WILD, mutations=["K2T"]), DataError, "has 'A' at position 2, not 'K'"),
    ("empty-mutation", dict(wild_type=WILD, mutations=["A2T", " "]), DataError, "mutation 1 is empty (' ')"),
    ("mutation-not-a-string", dict(wild_type=WILD, mutations=[7]), DataError, "mutation 0 is int 7"),
    ("one-string-for-the-list", dict(wild_type=WILD, mutations="A2T"), DataError, "is one string"),
    ("no-mutation", dict(wild_type=WILD, mutations=[]), DataError, "no mutation to score"),
    ("unknown-strategy", dict(wild_type=WILD, mutations=["A2T"], strategy="masked_marginals"), DataError,
     "strategy='masked_marginals' is not one of"),
    ("offset-not-an-integer", dict(wild_type=WILD, mutations=["A2T"], offset=1.5), DataError, "offset=1.5"),
    ("targets-of-another-length", dict(wild_type=WILD, mutations=["A2T"], targets=[1.0, 2.0]), DataError,
     "not one value per mutation (1)"),
    ("a-nan-target", dict(wild_type=WILD, mutations=["A2T", "R13T"], targets=[1.0, float("nan")]), DataError,
     "1 of the 2 targets are NaN"),
    ("wild-type-not-a-string", dict(wild_type=None, mutations=["A2T"]), DataError, "wild_type=None"),
    ("stride-zero", dict(wild_type=WILD, mutations=["A2T"], stride=0), FillMaskError, "stride=0"),
    ("mutation-beyond-truncation", dict(wild_type=WILD, mutations=["R13T"], long="truncate", max_length=12), DataError,
     "beyond the 10 residues the model sees with long='truncate'"),
]


@pytest.mark.parametrize("case,kwargs,error,fragment", API_ROWS, ids=[r[0] for r in API_ROWS])
def test_bad_api_input_raises_a_fillmask_error_naming_it(case, kwargs, error, fragment):
    model, tok = load_golden("esm")
    with pytest.raises(error) as info:
        fm.score_variants(model, tok, **kwargs)
    assert fragment in str(info.value) and "\n" not in str(info.value), str(info.value)


def test_a_word_piece_tokenizer_that_splits_residues_is_refused():
    model, tok = load_golden("albert")
    with pytest.raises(TokenizerError, match="as 2 tokens"):
        fm.score_variants(model, tok, "MKQ", ["K2A"])
