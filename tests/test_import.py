"""import fillmask_np stays light: no torch/transformers ever, onnxruntime/tokenizers only on use."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("torch", "transformers", "onnxruntime", "tokenizers", "huggingface_hub", "tqdm")


def test_import_loads_no_heavy_module():
    code = ("import sys, fillmask_np; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_using_the_library_loads_onnxruntime_and_tokenizers_but_never_torch(tmp_path):
    code = ("import sys, fillmask_np as fm; from fillmask_np.text import default_model_dir; "
            "d = default_model_dir(); fm.OnnxMaskedLM(d); fm.Tokenizer.from_dir(d); "
            "print(sorted(m for m in ('torch', 'transformers', 'onnxruntime', 'tokenizers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['onnxruntime', 'tokenizers']"


def test_public_modules_are_imported_on_first_use_so_import_and_help_stay_fast():
    code = ("import sys, fillmask_np; loaded = 'numpy' in sys.modules or 'fillmask_np.tasks' in sys.modules; "
            "fillmask_np.evaluate; print(loaded, 'fillmask_np.tasks' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_every_public_name_resolves_and_dir_lists_it():
    import fillmask_np as fm

    assert set(fm.__all__) <= set(dir(fm))
    for name in fm.__all__:
        assert getattr(fm, name) is not None


def test_an_unknown_attribute_is_an_attribute_error():
    import fillmask_np as fm

    with pytest.raises(AttributeError, match="no_such_name"):
        _ = fm.no_such_name


def test_importing_every_stage_does_not_hide_a_public_function():
    code = ("import fillmask_np as fm, fillmask_np.tasks, fillmask_np.tasks.evaluation, fillmask_np.tasks.comparison; "
            "print(callable(fm.evaluate), callable(fm.compare), type(fm.evaluate).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "function"]
