"""The bad-input matrix: one row per case, each with the class of outcome it must have.

Every row is bad input: the command line must exit 2 with one ``fillmask-np: error: ...`` line (no
traceback) and the Python API must raise a ``FillMaskError`` subclass, whose message names what was
wrong. Rows that point an output at an input also check that the input is byte-identical afterwards
(no DATA-LOSS). Add a row for every case you touch.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.cli import main
from helpers import EVAL_TXT, GOLDEN
from helpers.files import digests
from helpers.safetensors_files import bad_checkpoint

BERT = GOLDEN / "models" / "bert"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A copy of the golden bert export and its text, with links and odd files beside them."""
    model = tmp_path / "m"
    shutil.copytree(BERT, model)
    shutil.copyfile(EVAL_TXT, tmp_path / "data.txt")
    os.link(tmp_path / "data.txt", tmp_path / "hardlink.txt")
    os.link(model / "model.onnx", tmp_path / "hardlink.onnx")
    (tmp_path / "symlink.txt").symlink_to(tmp_path / "data.txt")
    (tmp_path / "dir").mkdir()
    (tmp_path / "lone_cr.txt").write_bytes(b"the cat sat\rthe dog ran\r\nthe end\n")
    os.mkfifo(tmp_path / "fifo")
    np.save(tmp_path / "masks.npy", np.zeros(3))
    (tmp_path / "broken_config").mkdir()
    for name in ("model.onnx", "tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(BERT / name, tmp_path / "broken_config" / name)
    (tmp_path / "broken_config" / "config.json").write_text("{not json", encoding="utf-8")
    return tmp_path


# (case id, argv with {w} for the work folder, a fragment the one-line error must contain)
CLI_ROWS = [
    ("save-masks-onto-the-data", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--save-masks", "{w}/data.txt"],
     "is an input of this run"),
    ("save-masks-onto-a-hard-link-of-the-data",
     ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--save-masks", "{w}/hardlink.txt"], "is an input"),
    ("save-masks-onto-a-symlink-of-the-data",
     ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--save-masks", "{w}/symlink.txt"], "is an input"),
    ("save-masks-onto-the-model", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt",
                                   "--save-masks", "{w}/m/model.onnx"], "is an input"),
    ("save-masks-onto-the-tokenizer", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt",
                                       "--save-masks", "{w}/m/tokenizer.json"], "is an input"),
    ("tokens-onto-the-data", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--tokens", "{w}/data.txt"],
     "is an input"),
    ("tokens-into-a-directory", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--tokens", "{w}/dir"],
     "is a directory"),
    ("save-masks-in-a-missing-directory", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt",
                                           "--save-masks", "{w}/nowhere/m.npz"], "does not exist"),
    ("save-masks-onto-a-fifo", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--save-masks", "{w}/fifo"],
     "is not a regular file"),
    ("data-is-a-directory", ["eval", "--model", "{w}/m", "--data", "{w}/dir"], "is a directory"),
    ("data-is-a-fifo", ["eval", "--model", "{w}/m", "--data", "{w}/fifo"], "is not a regular file"),
    ("data-is-missing", ["eval", "--model", "{w}/m", "--data", "{w}/missing.txt"], "does not exist"),
    ("masks-is-a-npy", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--masks", "{w}/masks.npy"],
     "is not an .npz archive"),
    ("model-dir-without-model", ["eval", "--model", "{w}/dir", "--data", "{w}/data.txt"], "holds no model.onnx"),
    ("config-json-not-json", ["eval", "--model", "{w}/broken_config", "--data", "{w}/data.txt"],
     "is not valid JSON"),
    ("max-length-zero", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--max-length", "0"],
     "--max-length 0"),
    ("max-length-beyond-the-model", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--max-length", "4096"],
     "exceeds the limit of model"),
    ("limit-zero", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--limit", "0"], "--limit 0"),
    ("batch-size-zero", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--batch-size", "0"], "--batch-size 0"),
    ("threads-zero", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--threads", "0"], "--threads 0"),
    ("pppl-max-length-beyond-the-model", ["pppl", "--model", "{w}/m", "--data", "{w}/data.txt",
                                          "--max-length", "4096"], "exceeds the limit of model"),
    ("pppl-data-is-a-directory", ["pppl", "--model", "{w}/m", "--data", "{w}/dir"], "is a directory"),
    ("predict-without-a-mask", ["predict", "--model", "{w}/m", "the cat sat"], "no mask token"),
    ("generate-without-a-mask", ["generate", "--model", "{w}/m", "the cat sat"], "or pass --new-tokens N"),
    ("generate-length-beyond-the-model", ["generate", "--model", "{w}/m", "--length", "4096"],
     "more than the model's limit 128"),
    ("generate-new-tokens-beyond-the-model", ["generate", "--model", "{w}/m", "--prefix", "the", "--new-tokens",
                                              "200"], "more than the model's limit 128"),
    ("generate-steps-zero", ["generate", "--model", "{w}/m", "the [MASK] sat", "--steps", "0"], "--steps 0"),
    ("generate-more-steps-than-masks", ["generate", "--model", "{w}/m", "the [MASK] sat", "--steps", "2"],
     "--steps 2 is more than the 1 mask(s)"),
    ("generate-schedule-not-summing", ["generate", "--model", "{w}/m", "[MASK] [MASK] [MASK]", "--schedule", "2,2"],
     "fills 4 masks but"),
    ("generate-temperature-zero", ["generate", "--model", "{w}/m", "[MASK]", "--temperature", "0", "--seed", "0"],
     "--temperature 0.0 must be a positive number"),
    ("generate-top-p-above-one", ["generate", "--model", "{w}/m", "[MASK]", "--top-p", "1.5", "--seed", "0"],
     "--top-p 1.5 must be in (0, 1]"),
    ("generate-top-p-zero", ["generate", "--model", "{w}/m", "[MASK]", "--top-p", "0", "--seed", "0"], "--top-p 0.0"),
    ("generate-sampling-without-a-seed", ["generate", "--model", "{w}/m", "[MASK]", "--top-p", "0.9"],
     "sampling needs exactly one of seed= or rng="),
    ("generate-random-order-without-a-seed", ["generate", "--model", "{w}/m", "[MASK]", "--unmask", "random"],
     "unmask='random' needs exactly one of seed="),
    ("generate-history-onto-the-data", ["generate", "--model", "{w}/m", "--data", "{w}/data.txt", "--new-tokens", "2",
                                        "--history", "{w}/hardlink.txt"], "is an input of this run"),
    ("generate-history-onto-the-model", ["generate", "--model", "{w}/m", "[MASK]", "--history", "{w}/m/model.onnx"],
     "is an input of this run"),
    ("generate-history-into-a-directory", ["generate", "--model", "{w}/m", "[MASK]", "--history", "{w}/dir"],
     "is a directory"),
    ("predict-data-is-a-directory", ["predict", "--model", "{w}/m", "--data", "{w}/dir"], "is a directory"),
    ("optimize-onto-a-hard-link-of-the-model", ["optimize", "{w}/m", "-o", "{w}/hardlink.onnx"], "is the input model"),
    ("optimize-onto-the-model-directory", ["optimize", "{w}/m", "-o", "{w}/m"], "is the input model"),
    ("optimize-onto-dev-null", ["optimize", "{w}/m", "-o", "/dev/null"], "is not a directory"),
    ("optimize-onto-a-text-file", ["optimize", "{w}/m", "-o", "{w}/data.txt"], "is not a directory"),
    ("optimize-under-a-file", ["optimize", "{w}/m", "-o", "{w}/data.txt/out"], "is not a directory"),
    ("optimize-negative-seed", ["optimize", "{w}/m", "-o", "{w}/out", "--seed", "-1"], "--seed -1"),
    ("optimize-missing-model", ["optimize", "{w}/missing", "-o", "{w}/out"], "does not exist"),
    ("shard-beyond-the-split", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--shard", "2/2"],
     "must be i/n with 0 <= i < n"),
    ("shard-not-a-fraction", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--shard", "half"],
     "must be i/n with 0 <= i < n"),
    ("shard-with-hf-masking", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--shard", "0/2", "--masking",
                               "hf"], "needs masks drawn per sample"),
    ("shard-with-save-masks", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--shard", "0/2",
                               "--save-masks", "{w}/m.npz"], "save them from a run without a shard"),
    ("pppl-shard-beyond-the-split", ["pppl", "--model", "{w}/m", "--data", "{w}/data.txt", "--shard", "5/5"],
     "must be i/n"),
    ("partial-with-a-wrong-suffix", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--partial", "{w}/p.txt"],
     "must end in .json or .npz"),
    ("partial-onto-the-tokenizer", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--partial",
                                    "{w}/m/tokenizer.json"], "is an input"),
    ("partial-and-html-one-path", ["pppl", "--model", "{w}/m", "--data", "{w}/data.txt", "--partial", "{w}/o.json",
                                   "--html", "{w}/o.json"], "both name"),
    ("compare-partial-onto-the-data", ["compare", "--model", "{w}/m", "--reference", "{w}/m", "--reference-backend",
                                       "numpy", "--data", "{p}/e0.json", "--partial", "{p}/e0.json"], "is an input"),
    ("merge-a-missing-shard", ["merge", "{p}/e0.json"], "shard 1 of 2 is missing"),
    ("ray-with-save-masks", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--ray", "local", "--save-masks",
                             "{w}/out.npz"], "--save-masks is not offered with --ray"),
    ("merge-a-shard-twice", ["merge", "{p}/e0.json", "{p}/e0-copy.npz", "{p}/e1.json"], "shard 0/2 is given twice"),
    ("merge-different-seeds", ["merge", "{p}/e0.json", "{p}/e1-seed1.json"], "seed=0 and seed=1"),
    ("merge-different-splits", ["merge", "{p}/e0.json", "{p}/e0-of-3.json"], "is one of 2 shards but"),
    ("merge-different-data", ["merge", "{p}/e0.json", "{p}/e1-other-data.json"], "different data"),
    ("merge-different-runs", ["merge", "{p}/e0.json", "{p}/pppl1.json"], "partials of different runs"),
    ("merge-another-version", ["merge", "{p}/version0.json"], "version 0 partial"),
    ("merge-not-a-partial", ["merge", "{p}/not-partial.json"], "is not a fillmask_np partial"),
    ("merge-damaged-npz", ["merge", "{p}/damaged.npz"], "is not a readable partial file"),
    ("merge-a-text-file", ["merge", "{w}/data.txt"], "must end in .json or .npz"),
    ("merge-a-missing-file", ["merge", "{w}/missing.json"], "does not exist"),
]


@pytest.mark.cli
@pytest.mark.parametrize("case, argv, fragment", CLI_ROWS, ids=[row[0] for row in CLI_ROWS])
def test_bad_command_line_input_exits_2_with_one_line_and_loses_nothing(work, partials, capsys, case, argv, fragment):
    before, partials_before = digests(work), digests(partials)
    status = main([a.format(w=work, p=partials) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2, (case, err)
    errors = [line for line in err if line.startswith("fillmask-np: error:")]
    assert len(errors) == 1 and "Traceback" not in "\n".join(err), err
    assert fragment in errors[0], errors[0]
    assert digests(work) == before and digests(partials) == partials_before  # no input was touched


@pytest.fixture(scope="module")
def partials(tmp_path_factory) -> Path:
    """Partial files of the golden bert on 30 samples of eval.txt: shards of 2 runs and files that are not partials."""
    root = tmp_path_factory.mktemp("partials")
    model, tok, texts = _model(), _tok(), EVAL_TXT.read_text(encoding="utf-8").splitlines()[:30]
    fm.evaluate(model, tok, EVAL_TXT, limit=30, shard=(0, 2), partial=root / "e0.json")
    fm.evaluate(model, tok, EVAL_TXT, limit=30, shard=(0, 2), partial=root / "e0-copy.npz")
    fm.evaluate(model, tok, EVAL_TXT, limit=30, shard=(1, 2), partial=root / "e1.json")
    fm.evaluate(model, tok, EVAL_TXT, limit=30, shard=(1, 2), seed=1, partial=root / "e1-seed1.json")
    fm.evaluate(model, tok, EVAL_TXT, limit=30, shard=(0, 3), partial=root / "e0-of-3.json")
    fm.evaluate(model, tok, texts[::-1], limit=30, shard=(1, 2), partial=root / "e1-other-data.json")
    fm.pseudo_log_likelihood(model, tok, EVAL_TXT, limit=30, shard=(1, 2), partial=root / "pppl1.json")
    document = json.loads((root / "e0.json").read_text())
    (root / "version0.json").write_text(json.dumps({**document, "version": 0}))
    (root / "not-partial.json").write_text(json.dumps({"cross_entropy": 4.2}))
    (root / "damaged.npz").write_bytes((root / "e0-copy.npz").read_bytes()[:100])
    return root


def _model():
    return fm.OnnxMaskedLM(BERT)


def _tok():
    return fm.Tokenizer.from_dir(BERT)


def _numpy(kind: str):
    """NumpyMaskedLM on a checkpoint broken as ``kind`` (helpers.safetensors_files.BAD_KINDS), in a temp folder."""
    root = Path(tempfile.mkdtemp(prefix="fillmask_np_bad_"))
    atexit.register(shutil.rmtree, root, True)
    return fm.NumpyMaskedLM(bad_checkpoint(kind, root))


def _score_samples_hf():
    from fillmask_np.tasks import eval_config, score_samples

    return score_samples(_model(), _tok(), [(0, 0, "a b")], eval_config(_model(), _tok(), masking="hf"))


# (case id, a call that must raise, the FillMaskError subclass, a regex its message matches)
API_ROWS = [
    ("shard-of-three-numbers", lambda: fm.evaluate(_model(), _tok(), ["a b"], shard=(1, 2, 3)), fm.FillMaskError,
     r"shard=\(1, 2, 3\) must be i/n"),
    ("pppl-shard-one-of-one-past-the-end", lambda: fm.pseudo_log_likelihood(_model(), _tok(), ["a b"], shard="1/1"),
     fm.FillMaskError, "shard='1/1' must be i/n"),
    ("merge-nothing", lambda: fm.merge([]), fm.FillMaskError, "at least one partial file"),
    ("score-samples-with-hf-masking", lambda: _score_samples_hf(), fm.FillMaskError,
     "score_samples needs per-sample masking"),
    ("batch-size-float", lambda: fm.evaluate(_model(), _tok(), ["a b"], batch_size=2.5), fm.FillMaskError,
     "batch_size=2.5"),
    ("batch-size-str", lambda: fm.evaluate(_model(), _tok(), ["a b"], batch_size="16"), fm.FillMaskError,
     "batch_size='16'"),
    ("limit-float", lambda: fm.evaluate(_model(), _tok(), ["a b"], limit=2.5), fm.FillMaskError, "limit=2.5"),
    ("mlm-probability-none", lambda: fm.evaluate(_model(), _tok(), ["a b"], mlm_probability=None), fm.MaskingError,
     "mlm_probability=None"),
    ("unknown-masking-option", lambda: fm.evaluate(_model(), _tok(), ["a b"], sed=1), fm.FillMaskError,
     r"unknown masking option\(s\) \['sed'\]"),
    ("config-and-keywords", lambda: fm.evaluate(_model(), _tok(), ["a b"], config=fm.MaskingConfig(), seed=1),
     fm.FillMaskError, "not both"),
    ("model-none", lambda: fm.evaluate(None, _tok(), ["a b"]), fm.FillMaskError, "model=None is not a masked LM"),
    ("pll-model-none", lambda: fm.pseudo_log_likelihood(None, _tok(), ["a b"]), fm.FillMaskError, "model=None"),
    ("one-text-as-a-bare-string", lambda: fm.pseudo_log_likelihood(_model(), _tok(), "The cat sat."),
     fm.InputFileError, r"list of texts to score one: \['The cat sat.'\]"),
    ("texts-an-int", lambda: fm.evaluate(_model(), _tok(), 5), fm.DataError, "texts=5 is a int"),
    ("mask-token-id-none", lambda: fm.mask_tokens(np.array([[1, 2]]), special_tokens_mask=np.zeros((1, 2)),
                                                   mask_token_id=None, vocab_size=5, rng=np.random.default_rng(0)),
     fm.MaskingError, "mask_token_id=None"),
    ("string-ids-to-mask", lambda: fm.mask_tokens(np.array([["a"]]), special_tokens_mask=np.zeros((1, 1)),
                                                   mask_token_id=1, vocab_size=5, rng=np.random.default_rng(0)),
     fm.MaskingError, "must be integer token ids"),
    ("threads-str", lambda: fm.OnnxMaskedLM(BERT, threads="x"), fm.ModelError, "threads='x'"),
    ("one-dimensional-ids", lambda: _model()(np.array([1, 2, 3]), np.array([1, 1, 1])), fm.FillMaskError,
     "2-D integer"),
    ("negative-id", lambda: _model()(np.array([[1, -2]]), np.array([[1, 1]])), fm.FillMaskError,
     "input id -2 is outside"),
    ("id-beyond-the-vocabulary", lambda: _model()(np.array([[1, 5000]]), np.array([[1, 1]])), fm.FillMaskError,
     "input id 5000 is outside"),
    ("float-ids", lambda: _model()(np.array([[1.0, 2.0]]), np.array([[1, 1]])), fm.FillMaskError, "2-D integer"),
    ("string-logits", lambda: fm.cross_entropy(np.array([["a", "b"]]), np.array([0])), fm.NumericsError,
     "must be a float array"),
    ("empty-vocabulary", lambda: fm.cross_entropy(np.zeros((2, 0)), np.array([0, 1])), fm.NumericsError,
     "empty vocabulary"),
    ("encode-none", lambda: _tok().encode_batch([None]), fm.TokenizerError, r"texts\[0\] is NoneType"),
    ("load-masks-int", lambda: fm.load_masks(5), fm.InputFileError, "is a int, not a path"),
    ("load-masks-directory", lambda: fm.load_masks(GOLDEN), fm.InputFileError, "is a directory"),
    ("max-length-zero", lambda: fm.evaluate(_model(), _tok(), ["a b"], max_length=0), fm.FillMaskError,
     "max_length=0"),
    ("max-length-beyond-the-model", lambda: fm.evaluate(_model(), _tok(), ["a b"], max_length=4096),
     fm.ModelError, "exceeds the limit of model"),
    ("safetensors-header-longer-than-the-file", lambda: _numpy("header-longer-than-file"), fm.InputFileError,
     "header claims 1000000 bytes but the file has"),
    ("safetensors-overlapping-offsets", lambda: _numpy("overlapping-offsets"), fm.InputFileError,
     "tensors 'first' and 'second' overlap"),
    ("safetensors-offsets-out-of-range", lambda: _numpy("offsets-out-of-range"), fm.InputFileError,
     r"tensor 'x' has data_offsets \[0, 16\] outside the 8 data bytes"),
    ("safetensors-unknown-dtype", lambda: _numpy("unknown-dtype"), fm.InputFileError,
     "tensor 'x' has dtype 'F8_E9M9', not one of"),
    ("safetensors-shape-disagrees-with-bytes", lambda: _numpy("shape-disagrees-with-bytes"), fm.InputFileError,
     r"tensor 'x' of dtype F32 and shape \[3\] needs 12 bytes"),
    ("safetensors-missing-tensor", lambda: _numpy("missing-tensor"), fm.ModelError,
     "has no tensor 'bert.encoder.layer.0.intermediate.dense.weight'"),
    ("safetensors-shard-missing", lambda: _numpy("shard-missing"), fm.InputFileError,
     "names shard 'model-00002-of-00002.safetensors', which is not a file"),
    ("pytorch-bin-without-safetensors", lambda: _numpy("pytorch-bin-only"), fm.InputFileError,
     "never unpickles: convert it with python -c"),
    ("numpy-unsupported-model-type", lambda: _numpy("unsupported-model-type"), fm.ModelError,
     "model_type='gpt2'; the NumPy backend runs albert, bert,"),
    ("generate-without-a-mask", lambda: fm.generate(_model(), _tok(), "the cat sat"), fm.FillMaskError,
     r"no mask token '\[MASK\]' in 'the cat sat'.*new_tokens=N"),
    ("generate-length-beyond-the-model", lambda: fm.generate(_model(), _tok(), length=500), fm.FillMaskError,
     "a prompt of 500 masks is 502 tokens, more than the model's limit 128"),
    ("generate-steps-zero", lambda: fm.generate(_model(), _tok(), "[MASK]", steps=0), fm.FillMaskError, "steps=0"),
    ("generate-more-steps-than-masks", lambda: fm.generate(_model(), _tok(), "[MASK] [MASK]", steps=3),
     fm.FillMaskError, r"steps=3 is more than the 2 mask\(s\) of prompt 0"),
    ("generate-schedule-not-summing", lambda: fm.generate(_model(), _tok(), "[MASK] [MASK]", schedule=[1, 2]),
     fm.FillMaskError, r"schedule=\[1, 2\] fills 3 masks but prompt 0 .* has 2"),
    ("generate-temperature-negative", lambda: fm.generate(_model(), _tok(), "[MASK]", temperature=-1.0, seed=0),
     fm.FillMaskError, "temperature=-1.0"),
    ("generate-top-p-outside", lambda: fm.generate(_model(), _tok(), "[MASK]", top_p=0.0, seed=0), fm.FillMaskError,
     r"top_p=0.0 must be in \(0, 1\]"),
    ("generate-sampling-without-a-seed", lambda: fm.generate(_model(), _tok(), "[MASK]", sample=True),
     fm.FillMaskError, "sampling needs exactly one of seed= or rng="),
    ("generate-sample-false-with-top-p", lambda: fm.generate(_model(), _tok(), "[MASK]", sample=False, top_p=0.9),
     fm.FillMaskError, "top_p apply when sampling"),
    ("generate-texts-and-length", lambda: fm.generate(_model(), _tok(), "[MASK]", length=3), fm.FillMaskError,
     "length=N generates from nothing"),
    ("generate-multi-token-target", lambda: fm.generate(_model(), _tok(), "[MASK]", targets=["sleeping"]),
     fm.FillMaskError, r"targets \['sleeping'\] are several tokens"),
    ("generate-history-onto-the-tokenizer", lambda: fm.generate(_model(), _tok(), "[MASK]",
                                                                history=BERT / "tokenizer.json"),
     fm.InputFileError, "is an input of this run"),
    ("fill-mask-empty-list", lambda: fm.fill_mask(_model(), _tok(), []), fm.FillMaskError,
     "must be a str or a non-empty list"),
]


@pytest.mark.parametrize("case, call, error, pattern", API_ROWS, ids=[row[0] for row in API_ROWS])
def test_bad_python_input_raises_a_one_line_fill_mask_error(case, call, error, pattern):
    with pytest.raises(error, match=pattern) as raised:
        call()
    assert "\n" not in str(raised.value)


def test_save_masks_onto_the_data_is_refused_before_the_data_is_touched(work):
    before = (work / "data.txt").read_bytes()
    with pytest.raises(fm.InputFileError, match="is an input of this run"):
        fm.evaluate(_model(), _tok(), work / "data.txt", save_masks=work / "hardlink.txt")
    assert (work / "data.txt").read_bytes() == before


def test_a_lone_carriage_return_ends_a_sample_like_a_newline(work):
    assert [t for _, t in fm.iter_texts(work / "lone_cr.txt")] == ["the cat sat", "the dog ran", "the end"]


def test_standard_input_is_read_with_data_dash(work, monkeypatch, capsys):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"the cat sat on the mat\r\nthe dog ran\n")))
    assert main(["eval", "--model", str(work / "m"), "--data", "-", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"data": "<stdin>"' in out and '"n_samples": 2' in out


def test_threads_above_the_cpu_count_are_capped_with_a_warning():
    with pytest.warns(fm.FillMaskWarning, match="more than the .* CPUs"):
        model = fm.OnnxMaskedLM(BERT, threads=100000)
    assert model.session.get_session_options().intra_op_num_threads == len(os.sched_getaffinity(0))


def test_a_much_wider_model_than_its_tokenizer_is_warned_about(tmp_path):
    from helpers.onnx_graphs import lookup_model

    table = np.zeros((4000, 4000), dtype=np.float32)
    model = fm.OnnxMaskedLM(lookup_model(tmp_path / "model.onnx", table))
    with pytest.warns(fm.FillMaskWarning, match="4000 logits per token but tokenizer .* only 1000 tokens"):
        model.check_tokenizer(_tok())


def test_a_config_pad_id_that_differs_from_the_tokenizer_is_refused(tmp_path):
    shutil.copytree(BERT, tmp_path / "m")
    config = (tmp_path / "m" / "config.json").read_text(encoding="utf-8").replace('"pad_token_id": 0',
                                                                                 '"pad_token_id": 1')
    (tmp_path / "m" / "config.json").write_text(config, encoding="utf-8")
    with pytest.raises(fm.TokenizerError, match="config.json says pad_token_id=1 but tokenizer .* has 0"):
        fm.OnnxMaskedLM(tmp_path / "m").check_tokenizer(_tok())


def test_a_very_long_line_is_cut_before_tokenizing_and_counted_as_truncated():
    from fillmask_np.tokenization.tokenizer import MAX_CHARS_PER_TOKEN

    tok = _tok()
    text = "word " * (20 * MAX_CHARS_PER_TOKEN)
    (row,) = tok.encode_rows([text], max_length=16)
    assert row.truncated and len(row.ids) == 16
    short = tok.encode_rows(["word " * 3], max_length=16)[0]
    assert not short.truncated


@pytest.mark.slow
def test_optimize_replaces_its_output_whole_and_leaves_no_temporary_files(work):
    pytest.importorskip("onnx", reason="optimize needs the onnx package (the test extra)")
    out = work / "out"
    assert main(["optimize", str(work / "m"), "-o", str(out)]) == 0
    first = (out / "model.onnx").read_bytes()
    assert main(["optimize", str(work / "m"), "-o", str(out)]) == 0  # over the previous one
    assert (out / "model.onnx").read_bytes() == first
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert leftovers == []


@pytest.mark.cli
def test_json_into_a_closed_pipe_ends_quietly_without_a_traceback():
    import subprocess
    import sys

    code = ("import sys; from fillmask_np.cli import main; sys.exit(main(['eval', '--json']))")
    proc = subprocess.run(f"{sys.executable} -c \"{code}\" | head -c 10", shell=True, capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout == "{\n \"model\""[:10]
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr, proc.stderr
