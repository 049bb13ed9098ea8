"""Bad-input rows for text the tokenizer cannot read (issue 19, part 6: no silent [UNK]).

Two tables. REFUSED: the command line exits 2 with one ``fillmask-np: error: ...`` line (no traceback), the
Python API raises a ``FillMaskError`` subclass naming what was wrong. WARNED: the run is scored (exit 0) and
stderr has exactly one ``fillmask-np: warning: ...`` line giving the unknown share; before, these exited 0
without a word (unspaced protein on a word-level protein tokenizer: 4 masked tokens, CE 25.3).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable

import pytest

import fillmask_np as fm
from fillmask_np.cli import main
from fillmask_np.errors import DataError
from fillmask_np.metrics import PLLTotals, Totals
from fillmask_np.optimize import optimize_model

from helpers import EVAL_TXT, GOLDEN
from helpers.protein import ESM, PROTEIN_TXT, word_level_protein

BERT = GOLDEN / "models" / "bert"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The word-level protein model, its unspaced and spaced text, and a text of characters BERT does not know."""
    word_level_protein(tmp_path)
    lines = [line.strip() for line in PROTEIN_TXT.read_text(encoding="utf-8").splitlines() if line.strip()][:8]
    (tmp_path / "unspaced.txt").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    (tmp_path / "spaced.txt").write_text("".join(f"{' '.join(line)}\n" for line in lines), encoding="utf-8")
    (tmp_path / "symbols.txt").write_text("\u2603 \u2604 \u2605 the\n" * 20, encoding="utf-8")
    shutil.copyfile(EVAL_TXT, tmp_path / "english.txt")
    return tmp_path


def _paths(argv: list[str], work: Path) -> list[str]:
    return [a.format(w=work, esm=ESM, bert=BERT) for a in argv]


# (case id, argv with {w} the work folder, {esm} and {bert} the golden exports, a fragment the one line must contain)
REFUSED = [
    ("optimize-int8-of-a-protein-model-on-the-bundled-english", ["optimize", "{esm}", "-o", "{w}/out", "--int8"],
     "--calibration FILE"),
    ("optimize-int8-of-a-protein-model-calibrated-on-english",
     ["optimize", "{esm}", "-o", "{w}/out", "--int8", "--calibration", "{w}/english.txt"], "unknown token"),
    ("optimize-int8-calibrated-on-unspaced-protein-for-a-word-level-tokenizer",
     ["optimize", "{w}/esm_word_level", "-o", "{w}/out", "--int8", "--calibration", "{w}/unspaced.txt"],
     "(100.0 %)"),
    ("optimize-int8-calibrated-on-symbols-bert-cannot-read",
     ["optimize", "{bert}", "-o", "{w}/out", "--int8", "--calibration", "{w}/symbols.txt"], "60 of 80 text tokens"),
]

# (case id, argv, a fragment the one warning line must contain)
WARNED = [
    ("eval-of-unspaced-protein-on-a-word-level-tokenizer",
     ["eval", "--model", "{w}/esm_word_level", "--data", "{w}/unspaced.txt", "--mlm-probability", "1.0"],
     "8 of 8 text tokens (100.0 %)"),
    ("pppl-of-unspaced-protein-on-a-word-level-tokenizer",
     ["pppl", "--model", "{w}/esm_word_level", "--data", "{w}/unspaced.txt"], "8 of 8 text tokens (100.0 %)"),
    ("eval-of-english-on-a-protein-model", ["eval", "--model", "{esm}", "--data", "{w}/english.txt", "--limit", "5"],
     "37 of 48 text tokens (77.1 %)"),
    ("eval-of-symbols-on-bert", ["eval", "--model", "{bert}", "--data", "{w}/symbols.txt"], "(75.0 %)"),
    ("predict-of-unspaced-protein-on-a-word-level-tokenizer",
     ["predict", "--model", "{w}/esm_word_level", "MKTAYIAKQR <mask>"], "1 of 1 text tokens (100.0 %)"),
    ("generate-from-an-unspaced-prefix-on-a-word-level-tokenizer",
     ["generate", "--model", "{w}/esm_word_level", "--prefix", "MKTAYIAK", "--new-tokens", "3"], "(100.0 %)"),
    ("compare-of-unspaced-protein-on-a-word-level-tokenizer",
     ["compare", "--model", "{w}/esm_word_level/model.onnx", "--reference", "{w}/esm_word_level",
      "--reference-backend", "numpy", "--data", "{w}/unspaced.txt", "--mlm-probability", "1.0"], "(100.0 %)"),
]


@pytest.mark.cli
@pytest.mark.parametrize("case,argv,fragment", REFUSED, ids=[r[0] for r in REFUSED])
def test_a_text_the_tokenizer_cannot_read_is_refused_in_one_line(work, capsys, case, argv, fragment):
    assert main(_paths(argv, work)) == 2
    err = capsys.readouterr().err
    assert err.startswith("fillmask-np: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert fragment in err
    assert not (work / "out").exists()  # refused before anything was written


@pytest.mark.cli
@pytest.mark.parametrize("case,argv,fragment", WARNED, ids=[r[0] for r in WARNED])
def test_a_text_the_tokenizer_cannot_read_is_scored_with_one_warning(work, capsys, case, argv, fragment):
    assert main(_paths(argv, work)) in ((1, 0) if argv[0] == "compare" else (0,))
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if line.startswith("fillmask-np: warning: ")]
    assert fragment in line and "unknown token" in line and "Traceback" not in err


@pytest.mark.cli
@pytest.mark.parametrize("argv", [["eval", "--data", "{w}/spaced.txt"], ["predict", "M K T A <mask>"],
                                  ["generate", "--prefix", "M K T A", "--new-tokens", "3"]], ids=["eval", "predict",
                                                                                                 "generate"])
def test_the_same_residues_spaced_are_read_without_a_warning(work, capsys, argv):
    assert main(_paths([argv[0], "--model", "{w}/esm_word_level", *argv[1:]], work)) == 0
    assert "warning" not in capsys.readouterr().err


def _counts_without_unk(totals: type) -> Callable[[], Any]:
    state = (Totals() if totals is Totals else PLLTotals(return_tokens=False)).state()
    del state["counts"]["unk_tokens"]
    return lambda: totals.from_state(state)


def _negative_text_tokens() -> Any:
    state = PLLTotals(return_tokens=False).state()
    state["counts"]["text_tokens"] = -1
    return PLLTotals.from_state(state)


# (case id, call, error class, a fragment of the message)
API_ROWS = [
    ("optimize-int8-of-a-protein-model-on-the-bundled-english",
     lambda out: optimize_model(ESM, out, int8=True), fm.FillMaskError, "calibration="),
    ("optimize-int8-of-a-protein-model-calibrated-on-english",
     lambda out: optimize_model(ESM, out, int8=True, calibration=EVAL_TXT), fm.FillMaskError, str(EVAL_TXT)),
    ("totals-of-an-older-partial-without-unk-counts", lambda out: _counts_without_unk(Totals)(), DataError,
     "another version of fillmask_np"),
    ("pll-totals-of-an-older-partial-without-unk-counts", lambda out: _counts_without_unk(PLLTotals)(), DataError,
     "another version of fillmask_np"),
    ("pll-totals-with-a-negative-count", lambda out: _negative_text_tokens(), DataError, "text_tokens=-1"),
]


@pytest.mark.parametrize("case,call,error,fragment", API_ROWS, ids=[r[0] for r in API_ROWS])
def test_bad_python_input_raises_a_one_line_fill_mask_error(tmp_path, case, call, error, fragment):
    with pytest.raises(error) as info:
        call(tmp_path / "out")
    assert fragment in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "out").exists()
