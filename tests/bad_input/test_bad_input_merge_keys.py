"""Bad input, merge keys: partials that differ only in execution settings (batch size, pppl's token budget) merge;
partials from another backend or another precision, whose last bits differ, are refused: exit 2 with one line, or
a ``DataError`` naming both."""

from __future__ import annotations

from pathlib import Path

import pytest

import fillmask_np as fm
from fillmask_np.cli import main
from helpers import EVAL_TXT, GOLDEN

BERT = GOLDEN / "models" / "bert"


@pytest.fixture(scope="module")
def partials(tmp_path_factory) -> Path:
    """Shard partials of the golden bert on 30 samples of eval.txt, made by both backends."""
    root = tmp_path_factory.mktemp("merge_keys")
    tok, onnx, numpy = fm.Tokenizer.from_dir(BERT), fm.OnnxMaskedLM(BERT), fm.NumpyMaskedLM(BERT)
    fm.evaluate(onnx, tok, EVAL_TXT, limit=30, shard=(0, 2), partial=root / "onnx0.json")
    fm.evaluate(numpy, tok, EVAL_TXT, limit=30, shard=(1, 2), partial=root / "numpy1.json")
    fm.evaluate(numpy, tok, EVAL_TXT, limit=30, shard=(0, 2), partial=root / "numpy0.json")
    exact = fm.NumpyMaskedLM(BERT, precision="float64")
    fm.evaluate(exact, tok, EVAL_TXT, limit=30, shard=(1, 2), partial=root / "numpy64-1.json")
    return root


# (case id, the partials to merge, a fragment of the one error line / the DataError's message)
ROWS = [
    ("merge-onnx-and-numpy-shards", ["onnx0.json", "numpy1.json"],
     "different backends or precisions (model: onnx/float32 and numpy/float32)"),
    ("merge-float32-and-float64-shards", ["numpy0.json", "numpy64-1.json"],
     "different backends or precisions (model: numpy/float32 and numpy/float64)"),
]


@pytest.mark.cli
@pytest.mark.parametrize("case, names, fragment", ROWS, ids=[row[0] for row in ROWS])
def test_merging_partials_that_differ_in_a_run_setting_exits_2_with_one_line(partials, capsys, case, names, fragment):
    status = main(["merge", *(str(partials / name) for name in names)])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2, (case, err)
    assert len(err) == 1 and err[0].startswith("fillmask-np: error:") and fragment in err[0], err


@pytest.mark.parametrize("case, names, fragment", ROWS, ids=[row[0] for row in ROWS])
def test_merging_partials_that_differ_in_a_run_setting_raises_a_data_error(partials, case, names, fragment):
    with pytest.raises(fm.DataError) as caught:
        fm.merge([partials / name for name in names])
    assert fragment in str(caught.value)
