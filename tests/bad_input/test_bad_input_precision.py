"""Bad input, precision: ``--precision`` / ``precision=`` and ``--reference-precision`` / ``reference_precision=``
apply to a checkpoint run by the NumPy backend; on an ONNX model, a torch npz, an opened model or Ray they are
refused in one line (exit 2) or a ``FillMaskError`` naming the value; an unknown precision is named."""

from __future__ import annotations

import pytest

import fillmask_np as fm
from fillmask_np.runtime import open_model
from helpers import EVAL_TXT, GOLDEN
from helpers.cli_runs import error_line

BERT = GOLDEN / "models" / "bert"
REPLAY = GOLDEN / "cases"
ONNX = ["--model", str(BERT / "model.onnx"), "--data", str(EVAL_TXT)]

# (case id, argv, a fragment of the one error line)
CLI_ROWS = [
    ("eval-precision-on-an-onnx-model", ["eval", *ONNX, "--precision", "float64"],
     "precision='float64' applies to the NumPy backend"),
    ("pppl-precision-on-an-onnx-model", ["pppl", *ONNX, "--precision", "float32"],
     "precision='float32' applies to the NumPy backend"),
    ("predict-precision-on-an-onnx-dir", ["predict", "--model", str(BERT), "--precision", "float64", "a [MASK] b"],
     "precision='float64' applies to the NumPy backend"),
    ("compare-reference-precision-on-an-onnx-reference",
     ["compare", "--model", str(BERT), "--backend", "numpy", "--reference", str(BERT / "model.onnx"),
      "--reference-precision", "float64", "--data", str(EVAL_TXT)], "precision='float64' applies to the NumPy"),
    ("compare-reference-precision-on-a-torch-npz",
     ["compare", "--model", str(BERT), "--reference", str(REPLAY / "replay_bert_reference.npz"), "--masks",
      str(REPLAY / "replay_bert_masks.npz"), "--reference-precision", "float64", "--data", str(EVAL_TXT)],
     "--reference-precision float64 applies to a checkpoint reference"),
    ("eval-precision-with-ray", ["eval", "--model", str(BERT), "--backend", "numpy", "--data", str(EVAL_TXT),
                                 "--ray", "local", "--precision", "float64"], "--precision is not offered with --ray"),
]


@pytest.mark.cli
@pytest.mark.parametrize("case, argv, fragment", CLI_ROWS, ids=[row[0] for row in CLI_ROWS])
def test_a_precision_where_none_applies_exits_2_with_one_line(case, argv, fragment):
    assert fragment in error_line(*argv), case


# (case id, a call that must raise, the FillMaskError subclass, a fragment of its message)
API_ROWS = [
    ("open-model-precision-on-onnx", lambda: open_model(BERT / "model.onnx", precision="float64"), fm.FillMaskError,
     "precision='float64' applies to the NumPy backend"),
    ("numpy-precision-float16", lambda: fm.NumpyMaskedLM(BERT, precision="float16"), fm.ModelError,
     "precision='float16'"),
    ("open-model-precision-none-string", lambda: open_model(BERT, backend="numpy", precision="double"),
     fm.ModelError, "precision='double'"),
    ("compare-reference-precision-on-an-opened-model",
     lambda: fm.compare(fm.NumpyMaskedLM(BERT), fm.OnnxMaskedLM(BERT), fm.Tokenizer.from_dir(BERT), ["a b c"],
                        reference_precision="float64"), fm.FillMaskError, "reference_precision='float64'"),
]


@pytest.mark.parametrize("case, call, error, fragment", API_ROWS, ids=[row[0] for row in API_ROWS])
def test_a_precision_where_none_applies_raises_a_fill_mask_error(case, call, error, fragment):
    with pytest.raises(error) as caught:
        call()
    assert fragment in str(caught.value), case
