"""Bad-input rows for `compare` (issue 19, part 5): a model compared with itself, and which model of a directory
holding both a checkpoint and model.onnx is the reference.

REFUSED: the command line exits 2 with one ``fillmask-np: error: ...`` line (no traceback), the Python API
raises a ``FillMaskError`` naming what was wrong. Before, a candidate and a reference read from the same file
(``--reference DIR`` holding the candidate's model.onnx, a hard link of it) passed with every difference 0.
NOTED: a reference directory holding both a checkpoint and model.onnx is run, and one ``fillmask-np: note:``
line on stderr (and the provenance's reference ``note``) says which of the two ran.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest

import fillmask_np as fm
from fillmask_np.cli import main

from helpers import EVAL_TXT, GOLDEN

BERT = GOLDEN / "models" / "bert"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A copy of the golden bert (export, checkpoint and tokenizer), a hard link and a symlink of its model.onnx,
    and the export alone in ``export/``."""
    shutil.copytree(BERT, tmp_path / "m")
    os.link(tmp_path / "m" / "model.onnx", tmp_path / "hardlink.onnx")
    (tmp_path / "symlink.onnx").symlink_to(tmp_path / "m" / "model.onnx")
    (tmp_path / "export").mkdir()
    for name in ("model.onnx", "config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(BERT / name, tmp_path / "export" / name)
    return tmp_path


def _paths(argv: list[str], work: Path) -> list[str]:
    return [a.format(w=work) for a in argv]


# (case id, argv with {w} the work folder, a fragment the one error line must contain)
REFUSED = [
    ("reference-directory-holds-the-candidates-model-onnx",
     ["compare", "--model", "{w}/m/model.onnx", "--reference", "{w}/m", "--limit", "20"],
     "are the same file"),
    ("reference-is-the-candidate-directory", ["compare", "--model", "{w}/m", "--reference", "{w}/m", "--limit", "20"],
     "--reference-backend numpy"),
    ("reference-is-a-hard-link-of-the-candidate",
     ["compare", "--model", "{w}/m", "--reference", "{w}/hardlink.onnx", "--limit", "20"], "are the same file"),
    ("reference-is-a-symlink-of-the-candidate",
     ["compare", "--model", "{w}/m", "--reference", "{w}/symlink.onnx", "--limit", "20"], "are the same file"),
    ("both-run-the-same-checkpoint", ["compare", "--model", "{w}/m", "--backend", "numpy", "--reference", "{w}/m",
                                      "--reference-backend", "numpy", "--limit", "20"], "model.safetensors"),
    ("max-logit-at-risk-alone-under-lossy", ["compare", "--model", "{w}/export", "--reference", "{w}/m",
                                             "--profile", "lossy", "--max-logit-at-risk", "0.1"],
     "--max-logit-at-risk 0.1 and --max-logit-regression None: set both"),
    ("max-logit-negative", ["compare", "--model", "{w}/export", "--reference", "{w}/m", "--max-logit-regression",
                            "-1"], "--max-logit-regression -1.0 must be a finite logit difference"),
]


@pytest.mark.cli
@pytest.mark.parametrize("case, argv, fragment", REFUSED, ids=[row[0] for row in REFUSED])
def test_a_refused_comparison_exits_2_with_one_line(work, capsys, case, argv, fragment):
    assert main(_paths(argv, work) + ["--data", str(EVAL_TXT)]) == 2, case
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert captured.out == "" and len(err) == 1 and err[0].startswith("fillmask-np: error: "), err
    assert fragment in err[0], err


def _model(path: Path, backend: str = "auto") -> Any:
    from fillmask_np.runtime import open_model

    return open_model(path, backend=backend)


# (case id, call of the work folder, fragment of the one-line FillMaskError)
API_ROWS: list[tuple[str, Callable[[Path], Any], str]] = [
    ("same-onnx-file-twice", lambda w: fm.compare(_model(w / "m"), _model(w / "m" / "model.onnx"),
                                                  fm.Tokenizer.from_dir(w / "m"), [EVAL_TXT.read_text()[:200]]),
     "are the same file"),
    ("a-hard-link-of-the-candidate", lambda w: fm.compare(_model(w / "m"), w / "hardlink.onnx",
                                                          fm.Tokenizer.from_dir(w / "m"), ["the cat sat"]),
     "model.onnx' and '"),
    ("reference-path-holding-the-candidates-model-onnx",
     lambda w: fm.compare(_model(w / "m"), w / "m", fm.Tokenizer.from_dir(w / "m"), ["the cat sat"]),
     "are the same file"),
    ("thresholds-as-a-dict", lambda w: fm.compare(_model(w / "export"), w / "m", fm.Tokenizer.from_dir(w / "m"),
                                                  ["the cat sat"], thresholds={"kl_at_risk": 0.1}),
     "is not a Thresholds"),
    ("profile-not-a-profile", lambda w: fm.compare(_model(w / "export"), w / "m", fm.Tokenizer.from_dir(w / "m"),
                                                   ["the cat sat"], profile="strict"),
     "profile='strict' is not one of 'auto', 'fidelity', 'lossy'"),
    ("an-old-threshold-keyword", lambda w: fm.compare(_model(w / "export"), w / "m", fm.Tokenizer.from_dir(w / "m"),
                                                      ["the cat sat"], kl_at_risk=0.1),
     "unknown masking option"),
]


@pytest.mark.parametrize("case, call, fragment", API_ROWS, ids=[row[0] for row in API_ROWS])
def test_a_refused_comparison_raises_a_one_line_fill_mask_error(work, case, call, fragment):
    with pytest.raises(fm.FillMaskError) as raised:
        call(work)
    assert fragment in str(raised.value) and "\n" not in str(raised.value)


# (case id, argv, the model that ran, the note's fragment)
NOTED = [
    ("reference-directory-with-both-runs-model-onnx",
     ["compare", "--model", "{w}/export", "--reference", "{w}/m", "--limit", "20", "--json"], "onnx",
     "model.onnx was run (ONNX Runtime); backend='numpy' (--reference-backend numpy) runs the checkpoint"),
    ("reference-directory-with-both-and-reference-backend-numpy",
     ["compare", "--model", "{w}/export", "--reference", "{w}/m", "--reference-backend", "numpy", "--limit", "20",
      "--json"], "numpy", "the checkpoint was run (NumPy backend); backend='onnx' (--reference-backend onnx)"),
]


@pytest.mark.cli
@pytest.mark.parametrize("case, argv, backend, fragment", NOTED, ids=[row[0] for row in NOTED])
def test_a_reference_directory_with_both_models_says_which_one_ran(work, capsys, case, argv, backend, fragment):
    assert main(_paths(argv, work) + ["--data", str(EVAL_TXT)]) == 0
    captured = capsys.readouterr()
    notes = captured.err.strip().splitlines()
    assert len(notes) == 1 and notes[0].startswith(f"fillmask-np: note: --reference {str(work / 'm')!r} holds a "
                                                   f"checkpoint") and fragment in notes[0]
    reference = json.loads(captured.out)["provenance"]["reference"]
    assert reference["backend"] == backend and fragment in reference["note"]


def test_an_export_directory_alone_gets_no_note(work, capsys):
    assert main(["compare", "--model", str(work / "m"), "--reference", str(work / "export"), "--limit", "20",
                 "--data", str(EVAL_TXT), "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and "note" not in json.loads(captured.out)["provenance"]["reference"]
