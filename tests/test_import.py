"""import fillmask_np stays light: no torch/transformers ever, onnxruntime/tokenizers only on use."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "transformers", "onnxruntime", "tokenizers")


def test_import_loads_no_heavy_module():
    code = ("import sys, fillmask_np; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_using_the_library_loads_onnxruntime_and_tokenizers_but_never_torch(tmp_path):
    code = ("import sys, fillmask_np as fm; from fillmask_np._resources import default_model_dir; "
            "d = default_model_dir(); fm.OnnxMaskedLM(d); fm.Tokenizer.from_dir(d); "
            "print(sorted(m for m in ('torch', 'transformers', 'onnxruntime', 'tokenizers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['onnxruntime', 'tokenizers']"
