"""The bad-input matrix, values and types: counts beyond their bounds, ids and texts of the wrong type, models
whose inputs cannot be fed without a model_type, damaged tokenizer files, a Ray address that does not answer or
answers but is not Ray.

Every row is bad input: the command line exits 2 with one ``fillmask-np: error: ...`` line naming the flag
(``--limit 0``), and the Python API raises a ``FillMaskError`` subclass naming the keyword (``limit=0``).
"""

from __future__ import annotations

import io
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.cli import main
from helpers import EVAL_TXT, GOLDEN
from helpers.cli_runs import cli, error_line

BERT = GOLDEN / "models" / "bert"
ROBERTA_POSITIONS = GOLDEN / "variants" / "roberta_position_ids"
INT32 = GOLDEN / "variants" / "bert_int32"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The golden bert export; the roberta export that takes position_ids, without model_type and without a
    config.json; bert exports whose tokenizer.json is empty, cut short or not JSON; a JSONL with a huge integer."""
    shutil.copytree(BERT, tmp_path / "m")
    for name, edit in (("no_model_type", "drop"), ("no_config", "remove")):
        folder = tmp_path / name
        shutil.copytree(ROBERTA_POSITIONS, folder)
        for file in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copyfile(GOLDEN / "models" / "roberta" / file, folder / file)
        if edit == "remove":
            (folder / "config.json").unlink()
        else:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            del config["model_type"]
            (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    whole = (BERT / "tokenizer.json").read_bytes()
    for name, content in (("tok_empty", b""), ("tok_cut", whole[:300]), ("tok_not_json", b"vocab: [MASK]\n")):
        folder = tmp_path / name
        folder.mkdir()
        for file in ("model.onnx", "config.json", "tokenizer_config.json"):
            shutil.copyfile(BERT / file, folder / file)
        (folder / "tokenizer.json").write_bytes(content)
    (tmp_path / "huge.jsonl").write_text('{"text": "the cat sat", "n": ' + "9" * 5000 + "}\n", encoding="utf-8")
    return tmp_path


# (case id, argv with {w} for the work folder, a fragment the one-line error must contain)
CLI_ROWS = [
    ("roberta-position-ids-without-model-type", ["eval", "--model", "{w}/no_model_type", "--limit", "5"],
     'has no model_type, so how to fill them is unknown'),
    ("roberta-position-ids-without-config-json", ["eval", "--model", "{w}/no_config", "--limit", "5"],
     "config.json' does not exist, so how to fill them"),
    ("pppl-position-ids-without-model-type", ["pppl", "--model", "{w}/no_model_type", "--limit", "2"],
     'set "model_type" in config.json'),
    ("compare-bootstrap-beyond-its-bound", ["compare", "--model", "{w}/m", "--reference", "{w}/m", "--bootstrap",
                                            "1000000000"], "--bootstrap 1000000000 must be an integer from 0 to"),
    ("compare-bootstrap-negative", ["compare", "--model", "{w}/m", "--reference", "{w}/m", "--bootstrap", "-1"],
     "--bootstrap -1 must be an integer from 0"),
    ("limit-beyond-its-bound", ["eval", "--model", "{w}/m", "--limit", "10000000000000"], "--limit 10000000000000"),
    ("batch-size-beyond-its-bound", ["eval", "--model", "{w}/m", "--batch-size", "2000000"],
     "--batch-size 2000000 must be an integer from 1 to 1000000"),
    ("worst-negative", ["eval", "--model", "{w}/m", "--worst", "-1"], "--worst -1"),
    ("seed-beyond-int64", ["eval", "--model", "{w}/m", "--seed", str(2**63)], f"--seed {2**63}"),
    ("pppl-batch-tokens-zero", ["pppl", "--model", "{w}/m", "--batch-tokens", "0"], "--batch-tokens 0"),
    ("pppl-limit-zero", ["pppl", "--model", "{w}/m", "--limit", "0"], "--limit 0 must be an integer from 1"),
    ("predict-top-k-beyond-its-bound", ["predict", "--model", "{w}/m", "the [MASK] sat", "--top-k", "2000000000"],
     "--top-k 2000000000"),
    ("generate-num-samples-beyond-its-bound", ["generate", "--model", "{w}/m", "[MASK]", "--seed", "0",
                                               "--num-samples", "1000000000"], "--num-samples 1000000000"),
    ("generate-max-steps-zero", ["generate", "--model", "{w}/m", "[MASK]", "--max-steps", "0"], "--max-steps 0"),
    ("optimize-calibration-samples-zero", ["optimize", "{w}/m", "-o", "{w}/out", "--int8", "--calibration-samples",
                                           "0"], "--calibration-samples 0"),
    ("ray-workers-zero", ["eval", "--model", "{w}/m", "--ray", "local", "--workers", "0"], "--workers 0"),
    ("shard-negative", ["eval", "--model", "{w}/m", "--shard", "-1/2"], "--shard '-1/2' must be i/n with 0 <= i < n"),
    ("shard-count-beyond-its-bound", ["eval", "--model", "{w}/m", "--shard", "0/2000000"], "n at most 1000000"),
    ("mlm-probability-zero", ["eval", "--model", "{w}/m", "--mlm-probability", "0"],
     "--mlm-probability 0.0 must be in (0, 1]"),
    ("random-share-above-what-the-default-mask-share-leaves",
     ["eval", "--model", "{w}/m", "--random-replace-prob", "0.3"],
     "--mask-replace-prob 0.8 + --random-replace-prob 0.3 exceeds 1"),
    ("whole-word-with-a-mask-share", ["eval", "--model", "{w}/m", "--whole-word", "--mask-replace-prob", "0.5"],
     "got --mask-replace-prob 0.5"),
    ("jsonl-holding-a-huge-integer", ["eval", "--model", "{w}/m", "--data", "{w}/huge.jsonl"],
     "huge.jsonl' line 1 is not JSON (Exceeds the limit (4300 digits)"),
    ("tokenizer-json-empty", ["eval", "--model", "{w}/tok_empty"], "tokenizer.json' is empty, not a Hugging Face"),
    ("tokenizer-json-cut-short", ["eval", "--model", "{w}/tok_cut"], "tokenizer.json' is not a Hugging Face"),
    ("tokenizer-json-not-json", ["eval", "--model", "{w}/tok_not_json"], "tokenizer.json' is not a Hugging Face"),
    # the tasks' messages name the flags typed, not the API's keywords (limits.naming_flags)
    ("predict-top-p-without-iterative", ["predict", "--model", "{w}/m", "the [MASK] sat.", "--top-p", "0.5"],
     "--sample, --temperature and --top-p apply to --strategy 'iterative'"),
    ("predict-temperature-zero", ["predict", "--model", "{w}/m", "the [MASK] sat.", "--strategy", "iterative",
                                  "--sample", "--temperature", "0"], "--temperature 0.0 must be a positive number"),
    ("generate-without-prompts", ["generate", "--model", "{w}/m"],
     "or --prefix P with --new-tokens N, or --length N; exactly one of texts / --prefix / --length"),
    ("generate-prefix-without-new-tokens", ["generate", "--model", "{w}/m", "--prefix", "the"],
     "--prefix 'the' needs --new-tokens N"),
    ("generate-more-steps-than-new-tokens", ["generate", "--model", "{w}/m", "--prefix", "the", "--new-tokens", "3",
                                             "--steps", "5"], "--steps 5 is more than the 3 mask(s) of prompt 0 'the'"
                                                              "; every step fills at least one mask: pass --steps <= 3"),
    ("generate-top-p-above-one", ["generate", "--model", "{w}/m", "--prefix", "the", "--new-tokens", "3", "--top-p",
                                  "1.5", "--sample"], "--top-p 1.5 must be in (0, 1]"),
    ("eval-max-length-beyond-the-model", ["eval", "--model", "{w}/m", "--max-length", "100000"],
     "--max-length 100000 exceeds the limit of model"),
    ("pppl-max-length-beyond-the-model", ["pppl", "--model", "{w}/m", "--max-length", "100000"],
     "pass --max-length <= 128"),
    ("compare-max-length-beyond-the-models", ["compare", "--model", "{w}/m", "--reference", str(INT32),
                                              "--max-length", "100000"], "pass --max-length <= 128"),
    ("compare-at-risk-above-regression", ["compare", "--model", "{w}/m", "--reference", str(INT32), "--at-risk",
                                          "0.5", "--regression", "0.1"], "--at-risk 0.5 is above --regression 0.1"),
    ("compare-fidelity-at-risk-negative", ["compare", "--model", "{w}/m", "--reference", str(INT32), "--profile",
                                           "fidelity", "--at-risk", "-1"], "--at-risk -1.0 must be a finite"),
    # argparse's own refusals: one line naming the flag and the rule, no usage block
    ("eval-limit-not-an-integer", ["eval", "--model", "{w}/m", "--limit", "2.5"],
     "--limit '2.5' must be an integer from 1 to 1000000000000"),
    ("pppl-batch-tokens-not-an-integer", ["pppl", "--model", "{w}/m", "--batch-tokens", "many"],
     "--batch-tokens 'many' must be an integer from 1 to"),
    ("generate-seed-not-an-integer", ["generate", "--model", "{w}/m", "[MASK]", "--seed", "0x1"],
     "--seed '0x1' must be an integer from 0 to"),
    ("compare-at-risk-not-a-number", ["compare", "--model", "{w}/m", "--reference", str(INT32), "--at-risk", "5%"],
     "--at-risk '5%' must be a number"),
    ("optimize-calibration-samples-not-an-integer", ["optimize", "{w}/m", "-o", "{w}/out", "--int8",
                                                     "--calibration-samples", "1e3"], "--calibration-samples '1e3'"),
    ("predict-unknown-strategy", ["predict", "--model", "{w}/m", "a [MASK]", "--strategy", "greedy"],
     "--strategy: invalid choice: 'greedy'"),
    ("eval-unknown-flag", ["eval", "--model", "{w}/m", "--limt", "3"], "unrecognized arguments: --limt 3"),
]


@pytest.mark.cli
@pytest.mark.parametrize("case, argv, fragment", CLI_ROWS, ids=[row[0] for row in CLI_ROWS])
def test_bad_values_on_the_command_line_exit_2_with_one_line_naming_the_flag(work, case, argv, fragment):
    run = cli(*[a.format(w=work) for a in argv])
    assert run.status == 2 and run.err.startswith("fillmask-np: error: ") and run.err.count("\n") == 1, run.err
    assert fragment in run.err, run.err  # one line, nothing else: no usage block, no traceback, no log lines
    assert not (work / "out").exists()


def _model():
    return fm.OnnxMaskedLM(BERT)


def _int32():
    return fm.OnnxMaskedLM(GOLDEN / "variants" / "bert_int32")


def _tok():
    return fm.Tokenizer.from_dir(BERT)


def _run(ids, mask=None):
    ids = np.asarray(ids) if not isinstance(ids, list) else ids
    return _model()(ids, np.ones((1, 3), dtype=np.int64) if mask is None else mask)


def _distributed_evaluate(**options):
    from fillmask_np.distributed import evaluate

    return evaluate(EVAL_TXT, model=BERT, **options)


# (case id, the call, the error class, a regex the message must match)
API_ROWS = [
    ("evaluate-tokenizer-none", lambda: fm.evaluate(_model(), None, ["a b"]), fm.TokenizerError,
     "tokenizer=None is not a Tokenizer"),
    ("pll-tokenizer-none", lambda: fm.pseudo_log_likelihood(_model(), None, ["a b"]), fm.TokenizerError,
     "tokenizer=None is not a Tokenizer"),
    ("fill-mask-tokenizer-none", lambda: fm.fill_mask(_model(), None, "a [MASK]"), fm.TokenizerError,
     "tokenizer=None"),
    ("generate-tokenizer-none", lambda: fm.generate(_model(), None, "a [MASK]"), fm.TokenizerError, "tokenizer=None"),
    ("compare-tokenizer-none", lambda: fm.compare(_int32(), _model(), None, ["a b"]), fm.TokenizerError,
     "tokenizer=None"),
    ("tokenizer-from-file-none", lambda: fm.Tokenizer.from_file(None), fm.InputFileError, "path=None is a NoneType"),
    ("tokenizer-from-dir-an-int", lambda: fm.Tokenizer.from_dir(3), fm.InputFileError, "directory=3 is a int"),
    ("tokenizer-from-bpe-none", lambda: fm.Tokenizer.from_bpe(BERT / "vocab.json", None), fm.InputFileError,
     "merges_txt=None"),
    ("merge-none", lambda: fm.merge(None), fm.FillMaskError, "partials=None must be a path or a list of paths"),
    ("merge-a-list-holding-none", lambda: fm.merge([None]), fm.FillMaskError, r"partials=\[None\]"),
    ("merge-an-int", lambda: fm.merge(5), fm.FillMaskError, "partials=5"),
    ("boolean-input-ids", lambda: _run(np.ones((1, 3), dtype=bool)), fm.FillMaskError,
     "input_ids must be a 2-D integer .* got bool"),
    ("float-input-ids", lambda: _run(np.full((1, 3), 2.5)), fm.FillMaskError, "input_ids .* got float64"),
    ("ragged-input-ids", lambda: _run([[1, 2, 3], [4]]), fm.FillMaskError,
     r"input_ids is not a \[batch, length\] array"),
    ("boolean-token-type-ids", lambda: _model()(np.ones((1, 3), dtype=np.int64), np.ones((1, 3), dtype=np.int64),
                                                np.zeros((1, 3), dtype=bool)), fm.FillMaskError,
     "token_type_ids must be a 2-D integer .* got bool"),
    ("texts-a-dict", lambda: fm.evaluate(_model(), _tok(), {"the cat sat": 1}), fm.DataError,
     r"texts=\{'the cat sat': 1\} is a dict"),
    ("texts-a-set", lambda: fm.evaluate(_model(), _tok(), {"the cat sat"}), fm.DataError, "is a set"),
    ("pll-texts-a-dict", lambda: fm.pseudo_log_likelihood(_model(), _tok(), {"the cat": 0}), fm.DataError,
     "is a dict"),
    ("texts-bytes", lambda: fm.evaluate(_model(), _tok(), b"the cat"), fm.DataError, "is a bytes"),
    ("limit-a-float", lambda: fm.evaluate(_model(), _tok(), ["a b"], limit=2.5), fm.FillMaskError,
     "limit=2.5 must be an integer from 1 to .*, not a float"),
    ("limit-a-bool", lambda: fm.evaluate(_model(), _tok(), ["a b"], limit=True), fm.FillMaskError,
     "limit=True must be an integer .* not a bool"),
    ("pll-limit-a-float", lambda: fm.pseudo_log_likelihood(_model(), _tok(), ["a b"], limit=2.5), fm.FillMaskError,
     "limit=2.5 must be an integer"),
    ("seed-beyond-int64", lambda: fm.evaluate(_model(), _tok(), ["a b"], seed=2**70), fm.MaskingError,
     f"seed={2**70} must be an integer from 0 to {2**63 - 1}"),
    ("batch-size-beyond-its-bound", lambda: fm.evaluate(_model(), _tok(), ["a b"], batch_size=10**12),
     fm.FillMaskError, "batch_size=1000000000000 must be an integer from 1 to 1000000"),
    ("compare-bootstrap-beyond-its-bound", lambda: fm.compare(_int32(), _model(), _tok(), ["a b"], bootstrap=10**9),
     fm.FillMaskError, "bootstrap=1000000000 must be an integer from 0 to 100000"),
    ("compare-bootstrap-seed-a-float", lambda: fm.compare(_int32(), _model(), _tok(), ["a b"], bootstrap_seed=1.5),
     fm.FillMaskError, "bootstrap_seed=1.5 must be an integer"),
    ("logits-budget-a-float", lambda: fm.evaluate(_model(), _tok(), ["the cat sat"], logits_budget=2.5),
     fm.FillMaskError, "logits_budget=2.5 must be an integer"),
    ("compare-logits-budget-zero", lambda: fm.compare(_int32(), _model(), _tok(), ["the cat sat"], logits_budget=0),
     fm.FillMaskError, "logits_budget=0 must be an integer from 1"),
    ("pll-token-budget-zero", lambda: fm.pseudo_log_likelihood(_model(), _tok(), ["a b"], token_budget=0),
     fm.FillMaskError, "token_budget=0"),
    ("fill-mask-top-k-a-float", lambda: fm.fill_mask(_model(), _tok(), "a [MASK]", top_k=2.5), fm.FillMaskError,
     "top_k=2.5 must be an integer"),
    ("generate-num-samples-beyond-its-bound",
     lambda: fm.generate(_model(), _tok(), "[MASK]", num_samples=10**9, seed=0), fm.FillMaskError,
     "num_samples=1000000000 must be an integer from 1 to 100000"),
    ("shard-count-beyond-its-bound", lambda: fm.evaluate(_model(), _tok(), ["a b"], shard=(0, 10**9)),
     fm.FillMaskError, r"shard=\(0, 1000000000\) must be i/n"),
    ("sample-rng-index-a-float", lambda: fm.sample_rng(0, 2.5), fm.MaskingError, "index=2.5 must be"),
    ("sample-rng-index-a-bool", lambda: fm.sample_rng(0, True), fm.MaskingError, "index=True must be"),
    ("threads-a-float", lambda: fm.OnnxMaskedLM(BERT, threads=2.0), fm.ModelError, "threads=2.0 must be an integer"),
    ("ray-workers-beyond-its-bound", lambda: _distributed_evaluate(workers=10**6), fm.FillMaskError,
     "workers=1000000 must be an integer from 1 to 4096"),
]


@pytest.mark.parametrize("case, call, error, pattern", API_ROWS, ids=[row[0] for row in API_ROWS])
def test_bad_values_in_the_api_raise_a_fillmask_error_naming_the_keyword(case, call, error, pattern):
    if case.startswith("ray-"):
        pytest.importorskip("ray", reason="the Ray backend needs the [ray] extra")
    with pytest.raises(error, match=pattern) as raised:
        call()
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("folder", ["no_model_type", "no_config"])
def test_position_ids_without_a_model_type_are_refused_by_the_api_with_the_keyword(work, folder):
    with pytest.raises(fm.ModelError, match=r"takes position_ids.*pass position_ids='arange' or 'padding_offset'"):
        fm.OnnxMaskedLM(work / folder)


@pytest.mark.cli
def test_jsonl_on_standard_input_scores_as_the_same_file(tmp_path, monkeypatch, capsys):
    lines = EVAL_TXT.read_text(encoding="utf-8").splitlines()[:30]
    path = tmp_path / "data.jsonl"
    path.write_text("".join(json.dumps({"body": line}) + "\n" for line in lines), encoding="utf-8")
    assert main(["eval", "--data", str(path), "--text-field", "body", "--json"]) == 0
    from_file = json.loads(capsys.readouterr().out)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    assert main(["eval", "--data", "-", "--text-field", "body", "--json"]) == 0
    from_stdin = json.loads(capsys.readouterr().out)
    for report in (from_file, from_stdin):
        del report["data"], report["provenance"]
    assert from_stdin == from_file


@pytest.mark.cli
def test_shares_that_keep_nothing_are_a_valid_masking(capsys):
    # 0.1 / (1 - 0.9) rounds to 1.0000000000000002: HF's collator raises numpy's ValueError; the keep share is 0
    argv = ["eval", "--mask-replace-prob", "0.9", "--random-replace-prob", "0.1", "--limit", "20", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["settings"]["random_replace_prob"] == 0.1 and report["n_masked"] > 0


@pytest.mark.cli
def test_a_ray_address_that_does_not_answer_fails_in_one_line_within_30_s():
    pytest.importorskip("ray", reason="the Ray backend needs the [ray] extra")
    with socket.socket() as probe:  # a port nothing listens on: bound, then released
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    start = time.monotonic()
    line = error_line("eval", "--ray", f"127.0.0.1:{port}", "--limit", "3")
    assert time.monotonic() - start < 30
    assert line == (f"fillmask-np: error: nothing answers at the Ray address '127.0.0.1:{port}' (Connection "
                    f"refused); start the cluster (ray start --head) or check the address and port")


@pytest.mark.cli
def test_a_ray_address_that_accepts_but_is_not_ray_fails_in_one_line_within_30_s():
    pytest.importorskip("ray", reason="the Ray backend needs the [ray] extra")
    with socket.socket() as listener:  # accepts TCP connections (the kernel's backlog) and never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        start = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "fillmask_np", "eval", "--model", str(BERT), "--data",
                              str(EVAL_TXT), "--ray", address], capture_output=True, text=True, timeout=60)
        elapsed = time.monotonic() - start
    assert elapsed < 30 and run.returncode == 2
    assert run.stderr == (  # one line: no Ray log lines before it
        f"fillmask-np: error: the Ray address '{address}' accepts connections but is not a Ray cluster's port (no "
        f"gRPC answer within 10 s); pass the head's GCS address (ray start --head prints it; port 6379 by default) or "
        f"ray://host:10001\n")
