"""`fillmask-np pppl`: the pseudo-perplexity figures with their variant and provenance, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import fillmask_np as fm
from fillmask_np.cli import main

pytestmark = pytest.mark.cli


def test_cli_json_carries_the_figures_variant_and_provenance(capsys, bert_dir, eval_texts):
    assert main(["pppl", "--variant", "within_word_l2r", "--limit", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    expected = fm.pseudo_perplexity(fm.OnnxMaskedLM(bert_dir), fm.Tokenizer.from_dir(bert_dir), eval_texts,
                                    variant="within_word_l2r", limit=5)
    assert out["pseudo_perplexity"] == expected.pseudo_perplexity  # JSON floats are written exactly
    assert out["variant"] == out["provenance"]["variant"] == "within_word_l2r"
    provenance = out["provenance"]
    assert len(provenance["model"]["sha256"]) == len(provenance["tokenizer"]["sha256"]) == 64
    assert len(provenance["data"]["sha256"]) == 64 and provenance["onnxruntime"]
    assert provenance["model"]["opsets"] and provenance["counts"]["n_scored_tokens"] == expected.n_scored_tokens


def test_cli_table_names_the_variant_and_the_pppl(capsys):
    assert main(["pppl", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "original" in out and "PPPL" in out and "scored tokens" in out


def test_cli_bad_input_is_one_line_and_exit_2(capsys, tmp_path: Path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    assert main(["pppl", "--data", str(empty)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fillmask-np: error: ") and err.count("\n") == 1
