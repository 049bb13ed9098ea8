"""`fillmask-np eval --html PATH` and `pppl --html PATH`: the page is written atomically with the --json's figures
and provenance, and a bad path is refused before any work (an input, a directory, another output's path)."""

from __future__ import annotations

import json
import re

import pytest

from fillmask_np.cli import main
from fillmask_np.metrics import EVAL_REPORT_COUNTS

from helpers import EVAL_TXT

pytestmark = pytest.mark.cli


def _values(page: str) -> dict[str, object]:
    return {m[0]: json.loads(m[1].replace("&quot;", '"'))
            for m in re.findall(r'data-metric="([^"]+)" data-value="([^"]*)"', page)}


def test_eval_html_holds_the_json_figures_and_provenance(tmp_path, capsys):
    path = tmp_path / "report.html"
    assert main(["eval", "--seed", "2", "--html", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    page = path.read_text(encoding="utf-8")
    assert out["html_file"] == str(path) and "tokens" not in out
    values = _values(page)
    for key in ("cross_entropy", "perplexity", "top1_accuracy", "top5_accuracy", *EVAL_REPORT_COUNTS):
        assert values[key] == out[key], key
    prov = out["provenance"]
    for digest in (prov["model"]["sha256"], prov["tokenizer"]["sha256"], prov["data"]["sha256"]):
        assert digest in page
    assert page.count('class="chart"') == 5 and 'class="tok"' in page


def test_eval_html_in_the_table_and_without_json(tmp_path, capsys):
    path = tmp_path / "r.html"
    assert main(["eval", "--html", str(path)]) == 0
    assert f"html report     {path}" in capsys.readouterr().out
    assert path.read_text(encoding="utf-8").rstrip().endswith("</html>")


def test_eval_json_is_the_same_with_or_without_html(tmp_path, capsys):
    assert main(["eval", "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["eval", "--json", "--html", str(tmp_path / "r.html")]) == 0
    with_html = json.loads(capsys.readouterr().out)
    assert with_html.pop("html_file") == str(tmp_path / "r.html") and plain.pop("html_file") is None
    assert with_html == plain


@pytest.mark.parametrize("command", [["eval"], ["pppl", "--limit", "3"]])
def test_html_onto_an_input_or_a_directory_is_refused_before_any_work(tmp_path, capsys, command):
    data = tmp_path / "data.txt"
    data.write_bytes(EVAL_TXT.read_bytes())
    before = data.read_bytes()
    assert main([*command, "--data", str(data), "--html", str(data)]) == 2
    err = capsys.readouterr().err
    assert "--html" in err and "is an input of this run" in err and len(err.strip().splitlines()) == 1
    assert data.read_bytes() == before
    assert main([*command, "--data", str(data), "--html", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_html_and_tokens_may_not_name_one_file(tmp_path, capsys):
    path = tmp_path / "same.csv"
    assert main(["eval", "--tokens", str(path), "--html", str(path)]) == 2
    assert "--tokens and --html both name" in capsys.readouterr().err and not path.exists()


def test_pppl_html_has_the_heat_map_and_the_json_figures(tmp_path, capsys):
    path = tmp_path / "pppl.html"
    assert main(["pppl", "--limit", "12", "--html", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    page = path.read_text(encoding="utf-8")
    values = _values(page)
    for key in ("pseudo_perplexity", "pseudo_log_likelihood", "nll_per_token", "n_scored_tokens", "n_samples",
                "variant"):
        assert values[key] == out[key], key
    assert out["tokens"] is None and out["html_file"] == str(path)
    assert page.count('class="tok"') == out["n_scored_tokens"]  # 12 samples: every one shown, every token coloured
    assert out["provenance"]["data"]["sha256"] in page


def test_compare_html_shows_the_verdict_and_criteria_of_the_json(tmp_path, capsys, bert_dir):
    path = tmp_path / "cmp.html"
    args = ["compare", "--model", str(bert_dir), "--reference", str(bert_dir), "--reference-backend", "numpy",
            "--bootstrap", "20"]
    assert main([*args, "--html", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    page = path.read_text(encoding="utf-8")
    values = _values(page)
    for key in ("delta_cross_entropy", "delta_ci95", "mean_kl", "top1_agreement", "top5_overlap", "n_masked"):
        assert values[key] == out[key], key
    assert f'verdict-{out["verdict"]}' in page and page.count("data-criterion=") == len(out.get("criteria", []))
    assert main([*args, "--html", str(path)]) == 0
    assert f"html report      {path}" in capsys.readouterr().out
    assert main([*args, "--html", str(bert_dir / "model.onnx")]) == 2
    assert "is an input of this run" in capsys.readouterr().err
