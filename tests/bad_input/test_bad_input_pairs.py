"""Bad-input rows for minimal pairs (``fillmask-np pairs`` / ``fm.score_pairs``).

CLI: exit 2 with one ``fillmask-np: error: ...`` line and no traceback, nothing written. API: a ``FillMaskError``
subclass whose one-line message names the bad value.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import fillmask_np as fm
from fillmask_np.errors import DataError, FillMaskError, InputFileError, MaskingError
from helpers import GOLDEN
from helpers.cli_runs import error_line

BERT = GOLDEN / "models" / "bert"
GOOD = {"sentence_good": "The cat sat.", "sentence_bad": "The cat sit.", "UID": "tense"}


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """Pairs files, each with one thing wrong."""
    def jsonl(name: str, *records: dict) -> None:
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    jsonl("ok.jsonl", GOOD, GOOD)
    jsonl("missing_bad.jsonl", GOOD, {"sentence_good": "The dog ran.", "UID": "tense"})
    jsonl("unknown_fields.jsonl", {"first": "The cat sat.", "second": "The cat sit."})
    jsonl("empty_sentence.jsonl", GOOD, {**GOOD, "sentence_bad": "  "})
    jsonl("no_group.jsonl", GOOD, {"sentence_good": "The dog ran.", "sentence_bad": "The dog run."})
    jsonl("number.jsonl", {**GOOD, "sentence_good": 7})
    (tmp_path / "ragged.csv").write_text("sent_more,sent_less\nThe cat sat.,The cat sit.\nonly one\n",
                                         encoding="utf-8")
    (tmp_path / "not_json.jsonl").write_text(json.dumps(GOOD) + "\n{oops\n", encoding="utf-8")
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    (tmp_path / "pairs.txt").write_text("The cat sat.\tThe cat sit.\n", encoding="utf-8")
    return tmp_path


def _argv(argv: list[str], work: Path) -> list[str]:
    return ["pairs", "--model", str(BERT), *(a.format(w=work) for a in argv)]


# (case id, argv after `pairs --model BERT`, {w} the work folder, a fragment of the one line)
CLI_ROWS = [
    ("a-pair-with-a-missing-field", ["--data", "{w}/missing_bad.jsonl"], "record 2 has no field 'sentence_bad'"),
    ("unknown-field-names-without-good-field", ["--data", "{w}/unknown_fields.jsonl"], "no known pair fields"),
    ("a-good-field-the-file-lacks", ["--data", "{w}/ok.jsonl", "--good-field", "good", "--bad-field", "sentence_bad"],
     "no field 'good'"),
    ("only-one-of-good-and-bad-field", ["--data", "{w}/ok.jsonl", "--good-field", "sentence_good"],
     "name both fields"),
    ("the-same-good-and-bad-field",
     ["--data", "{w}/ok.jsonl", "--good-field", "sentence_good", "--bad-field", "sentence_good"], "two different"),
    ("an-empty-sentence", ["--data", "{w}/empty_sentence.jsonl"], "'sentence_bad' is an empty sentence"),
    ("a-sentence-that-is-not-a-string", ["--data", "{w}/number.jsonl"], "'sentence_good' is int 7"),
    ("a-group-field-no-record-has", ["--data", "{w}/ok.jsonl", "--group-field", "bias_type"],
     "no group field 'bias_type'"),
    ("a-group-field-a-record-lacks", ["--data", "{w}/no_group.jsonl", "--group-field", "UID"],
     "record 2 has no usable group 'UID'"),
    ("a-ragged-csv-row", ["--data", "{w}/ragged.csv"], "row 2 has 1 fields"),
    ("a-line-that-is-not-json", ["--data", "{w}/not_json.jsonl"], "line 2 is not JSON"),
    ("an-empty-file", ["--data", "{w}/empty.jsonl"], "holds no pair"),
    ("a-plain-text-file", ["--data", "{w}/pairs.txt"], "must end in .jsonl"),
    ("a-missing-file", ["--data", "{w}/nope.jsonl"], "does not exist"),
    ("an-empty-data-path", ["--data", ""], "empty path"),
    ("a-bad-variant", ["--data", "{w}/ok.jsonl", "--variant", "l2r"], "invalid choice"),
    ("more-shards-than-pairs", ["--data", "{w}/ok.jsonl", "--shard", "2/3"], "shard 2/3 holds no pair"),
    ("a-partial-with-a-bad-suffix", ["--data", "{w}/ok.jsonl", "--partial", "{w}/p.txt"], "must end in .json"),
    ("html-onto-the-data", ["--data", "{w}/ok.jsonl", "--html", "{w}/ok.jsonl"], "input"),
    ("limit-zero", ["--data", "{w}/ok.jsonl", "--limit", "0"], "--limit 0"),
]


@pytest.mark.cli
@pytest.mark.parametrize("case,argv,fragment", CLI_ROWS, ids=[r[0] for r in CLI_ROWS])
def test_bad_command_line_input_exits_2_with_one_line(work, case, argv, fragment):
    before = {p.name: p.read_bytes() for p in work.iterdir()}
    assert fragment in error_line(*_argv(argv, work))
    assert {p.name: p.read_bytes() for p in work.iterdir()} == before  # nothing written or changed


def _model() -> tuple[fm.OnnxMaskedLM, fm.Tokenizer]:
    return fm.OnnxMaskedLM(BERT), fm.Tokenizer.from_dir(BERT)


# (case id, pairs, keywords, error class, a fragment of the message)
API_ROWS = [
    ("a-tuple-with-three-items", [("a b", "a c", "x")], {}, DataError, "pair 0 has 3 items"),
    ("an-empty-sentence-in-a-tuple", [("The cat sat.", "")], {}, DataError, "field 'bad' is an empty sentence"),
    ("a-record-missing-the-bad-sentence", [GOOD, {"sentence_good": "The dog ran."}], {}, DataError,
     "record 2 has no field 'sentence_bad'"),
    ("unknown-record-fields", [{"a": "x", "b": "y"}], {}, DataError, "no known pair fields"),
    ("a-group-field-with-tuples", [("a b", "a c")], {"group_field": "UID"}, FillMaskError, "group_field='UID'"),
    ("a-dict-instead-of-a-list", {"good": "bad"}, {}, DataError, "pass a list of (good, bad) pairs"),
    ("a-number-group", [{**GOOD, "UID": None}], {"group_field": "UID"}, DataError, "found None"),
    ("no-pairs", [], {}, DataError, "no pair to score"),
    ("a-bad-variant", [("a b", "a c")], {"variant": "l2r"}, MaskingError, "variant='l2r'"),
    ("a-bad-shard", [("a b", "a c")], {"shard": "3/2"}, FillMaskError, "shard='3/2'"),
    ("limit-zero", [("a b", "a c")], {"limit": 0}, FillMaskError, "limit=0"),
    ("a-missing-file", "no/such/pairs.jsonl", {}, InputFileError, "'no/such/pairs.jsonl' does not exist"),
]


@pytest.mark.parametrize("case,pairs,keywords,error,fragment", API_ROWS, ids=[r[0] for r in API_ROWS])
def test_bad_python_input_raises_a_one_line_fill_mask_error(case, pairs, keywords, error, fragment):
    with pytest.raises(error) as info:
        fm.score_pairs(*_model(), pairs, **keywords)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def _state() -> dict:
    """The saved totals of a one-pair run."""
    return fm.score_pairs(*_model(), [("The cat sat.", "The cat sit.")]).totals.state()


# (case id, a damaged state of saved pair totals, a fragment of the message)
TOTALS_ROWS = [
    ("no-rows", {"counts": {}}, "lack 'rows'"),
    ("a-missing-column", "drop good_pll", "lack 'good_pll'"),
    ("ragged-columns", "extend good", "columns of different lengths"),
]


@pytest.mark.parametrize("case,state,fragment", TOTALS_ROWS, ids=[r[0] for r in TOTALS_ROWS])
def test_damaged_pair_totals_are_refused_in_one_line(case, state, fragment):
    from fillmask_np.metrics import PairTotals

    if state == "drop good_pll":
        state = _state()
        del state["rows"]["good_pll"]
    elif state == "extend good":
        state = _state()
        state["rows"]["good"].append("extra")
    with pytest.raises(DataError) as info:
        PairTotals.from_state(state)
    assert fragment in str(info.value) and "\n" not in str(info.value)
