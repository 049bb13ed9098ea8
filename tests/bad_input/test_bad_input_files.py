"""The bad-input matrix, files and outputs: no output destroys a file the run reads or a file of a model,
no open of a user path hangs on a FIFO or a device, an empty output path is refused, a SIGTERM leaves no
temporary file, and an edited partial or mask manifest is refused instead of reported with false figures.

Each command-line row must exit 2 with one ``fillmask-np: error: ...`` line (no traceback) and leave every
file of the work folder byte-identical; each Python row must raise a one-line ``FillMaskError`` subclass.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pytest

import fillmask_np as fm
from fillmask_np.cli import main
from helpers import EVAL_TXT, GOLDEN
from helpers.files import digests, load_npz

BERT, ROBERTA = GOLDEN / "models" / "bert", GOLDEN / "models" / "roberta"
LIMIT = 20  # samples of eval.txt the fixtures' partials and masks cover


def _copy(source: Path, target: Path, names: tuple[str, ...]) -> Path:
    target.mkdir()
    for name in names:
        shutil.copyfile(source / name, target / name)
    return target


def _fifo_copy(root: Path, folder: str, source: Path, names: tuple[str, ...], fifo: str) -> None:
    """A copy of ``names`` of ``source`` in ``root/folder``, with ``fifo`` a FIFO instead of a file."""
    _copy(source, root / folder, tuple(n for n in names if n != fifo))
    os.mkfifo(root / folder / fifo)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An export (m), a checkpoint (ck), another model never read (other; rbboth: export and checkpoint), a RoBERTa
    model with a slow tokenizer folder (rbm + rbtok), links to their files, masks and partials of the data, and
    FIFOs."""
    w = tmp_path_factory.mktemp("files")
    export = ("config.json", "model.onnx", "tokenizer.json", "tokenizer_config.json", "vocab.txt")
    _copy(BERT, w / "m", export + ("model.safetensors",))
    _copy(BERT, w / "ck", ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"))
    _copy(ROBERTA, w / "other", ("config.json", "model.onnx", "tokenizer.json", "vocab.json", "merges.txt"))
    _copy(ROBERTA, w / "rbm", ("config.json", "model.onnx"))
    _copy(ROBERTA, w / "rbboth", ("config.json", "model.onnx", "model.safetensors", "tokenizer.json"))
    _copy(ROBERTA, w / "rbtok", ("vocab.json", "merges.txt", "tokenizer_config.json"))
    (w / "rbtok" / "special_tokens_map.json").write_text(json.dumps({"mask_token": "<mask>"}), encoding="utf-8")
    shutil.copyfile(EVAL_TXT, w / "data.txt")
    os.link(w / "m" / "config.json", w / "config-link.html")
    os.link(w / "ck" / "model.safetensors", w / "weights-link.json")
    os.link(w / "rbtok" / "merges.txt", w / "merges-link.csv")
    os.link(w / "data.txt", w / "data-link.json")
    (w / "config-symlink.json").symlink_to(w / "m" / "config.json")
    model, tok = fm.OnnxMaskedLM(w / "m"), fm.Tokenizer.from_dir(w / "m")
    fm.evaluate(model, tok, w / "data.txt", limit=LIMIT, save_masks=w / "masks.npz")
    _edited_manifests(w)
    for i in range(2):
        fm.evaluate(model, tok, w / "data.txt", limit=LIMIT, shard=(i, 2), partial=w / f"p{i}.json")
    fm.evaluate(model, tok, w / "data.txt", limit=LIMIT, shard=(0, 2), partial=w / "p0.npz")
    _edited_partials(w)
    _fifo_copy(w, "fifo-config", BERT, export, "config.json")
    _fifo_copy(w, "fifo-tokenizer", BERT, export, "tokenizer.json")
    _fifo_copy(w, "fifo-tokenizer-config", BERT, export, "tokenizer_config.json")
    _fifo_copy(w, "fifo-vocab", BERT, ("vocab.txt", "tokenizer_config.json"), "vocab.txt")
    _fifo_copy(w, "fifo-merges", ROBERTA, ("vocab.json", "merges.txt", "tokenizer_config.json"), "merges.txt")
    _fifo_copy(w, "fifo-special-map", ROBERTA, ("vocab.json", "merges.txt", "special_tokens_map.json"),
               "special_tokens_map.json")
    _fifo_copy(w, "fifo-weights", BERT, ("config.json", "model.safetensors", "tokenizer.json"), "model.safetensors")
    _fifo_copy(w, "fifo-external-data", BERT, export + ("model.onnx.data",), "model.onnx.data")
    for name in ("fifo.npz", "fifo.json", "fifo.txt"):
        os.mkfifo(w / name)
    return w


def _write_manifest(path: Path, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    np.savez_compressed(path, header=np.array(json.dumps(header, sort_keys=True)), **arrays)


def _edited_manifests(w: Path) -> None:
    """masks.npz with its header's seed or mlm_probability edited, and with 3 labels leaked into the input ids."""
    original = load_npz(w / "masks.npz")
    header = json.loads(str(original["header"]))
    arrays = {k: v for k, v in original.items() if k != "header"}
    _write_manifest(w / "masks-seed-edited.npz", {**header, "seed": 7}, arrays)
    _write_manifest(w / "masks-p-edited.npz", {**header, "mlm_probability": 0.2}, arrays)
    ids, labels = arrays["input_ids"].copy(), arrays["labels"]
    hidden = np.argwhere((labels != -100) & (ids != labels))[:3]  # [3, 2] masked positions not showing their label
    ids[hidden[:, 0], hidden[:, 1]] = labels[hidden[:, 0], hidden[:, 1]]
    _write_manifest(w / "masks-leaked.npz", header, {**arrays, "input_ids": ids})


def _edited_partials(w: Path) -> None:
    """p0.json with a loss or a count edited, p0.npz with a column value or a count edited."""
    document = json.loads((w / "p0.json").read_text(encoding="utf-8"))
    nll = document["totals"]["samples"]["nll"]
    edited = {**document, "totals": {**document["totals"], "samples": {**document["totals"]["samples"],
                                                                       "nll": [nll[0] / 2] + nll[1:]}}}
    (w / "p0-nll-edited.json").write_text(json.dumps(edited), encoding="utf-8")
    counts = {**document["totals"]["counts"], "n_tokens": document["totals"]["counts"]["n_tokens"] + 1}
    (w / "p0-count-edited.json").write_text(json.dumps({**document, "totals": {**document["totals"],
                                                                                "counts": counts}}), encoding="utf-8")
    arrays = load_npz(w / "p0.npz")
    header = json.loads(str(arrays.pop("header")))
    column = next(k for k in arrays if k.endswith("nll"))
    np.savez_compressed(w / "p0-column-edited.npz", header=np.array(json.dumps(header)),
                        **{**arrays, column: arrays[column] * 0.5})
    header["totals"]["counts"]["n_tokens"] += 1
    np.savez_compressed(w / "p0-count-edited.npz", header=np.array(json.dumps(header)), **arrays)


@pytest.fixture
def no_hang() -> Iterator[None]:
    """Fail a row that blocks (a FIFO opened) instead of hanging the suite."""
    def stop(signum: int, frame: Any) -> None:
        raise TimeoutError("the command blocked for 60 s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


EVAL = ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--limit", "5"]
INPUT = "is an input of this run"
MODEL_FILE = "is a file of the model in"
NOT_REGULAR = "is not a regular file (a device, FIFO or socket)"
EDITED_PARTIAL = "is an edited or damaged partial file: its content does not match its checksum"
EDITED_MASKS = "are not those its header's settings draw"

# (case id, argv with {w} for the work folder, a fragment the one-line error must contain)
CLI_ROWS = [
    # an output onto a file the run reads, by its path, a hard link or a symlink
    ("html-onto-the-config", EVAL + ["--html", "{w}/m/config.json"], INPUT),
    ("save-masks-onto-the-tokenizer-config", EVAL + ["--save-masks", "{w}/m/tokenizer_config.json"], INPUT),
    ("tokens-onto-a-hard-link-of-the-config", EVAL + ["--tokens", "{w}/config-link.html"], INPUT),
    ("partial-onto-a-symlink-of-the-config", EVAL + ["--partial", "{w}/config-symlink.json"], INPUT),
    ("html-onto-the-vocab-txt", ["eval", "--model", "{w}/m", "--tokenizer", "{w}/m/vocab.txt", "--data",
                                 "{w}/data.txt", "--html", "{w}/m/vocab.txt"], INPUT),
    ("tokens-onto-the-merges", ["eval", "--model", "{w}/rbm", "--tokenizer", "{w}/rbtok", "--data", "{w}/data.txt",
                                "--tokens", "{w}/rbtok/merges.txt"], INPUT),
    ("tokens-onto-a-hard-link-of-the-merges", ["eval", "--model", "{w}/rbm", "--tokenizer", "{w}/rbtok", "--data",
                                               "{w}/data.txt", "--tokens", "{w}/merges-link.csv"], INPUT),
    ("html-onto-the-vocab-json", ["pppl", "--model", "{w}/rbm", "--tokenizer", "{w}/rbtok", "--data", "{w}/data.txt",
                                  "--limit", "2", "--html", "{w}/rbtok/vocab.json"], INPUT),
    ("html-onto-the-special-tokens-map", ["eval", "--model", "{w}/rbm", "--tokenizer", "{w}/rbtok", "--data",
                                          "{w}/data.txt", "--html", "{w}/rbtok/special_tokens_map.json"], INPUT),
    ("html-onto-the-checkpoint-weights", ["eval", "--model", "{w}/ck", "--data", "{w}/data.txt", "--html",
                                          "{w}/ck/model.safetensors"], INPUT),
    ("partial-onto-a-hard-link-of-the-checkpoint-weights", ["pppl", "--model", "{w}/ck", "--data", "{w}/data.txt",
                                                            "--partial", "{w}/weights-link.json"], INPUT),
    ("html-onto-the-checkpoint-config", ["pppl", "--model", "{w}/ck", "--data", "{w}/data.txt", "--html",
                                         "{w}/ck/config.json"], INPUT),
    ("compare-html-onto-the-reference-config", ["compare", "--model", "{w}/m", "--reference", "{w}/ck", "--data",
                                                "{w}/data.txt", "--html", "{w}/ck/config.json"], INPUT),
    ("compare-partial-onto-the-reference-weights", ["compare", "--model", "{w}/m", "--reference", "{w}/ck", "--data",
                                                    "{w}/data.txt", "--partial", "{w}/weights-link.json"], INPUT),
    ("html-onto-the-masks", EVAL[:-2] + ["--masks", "{w}/masks.npz", "--html", "{w}/masks.npz"], INPUT),
    ("tokens-onto-the-masks", EVAL[:-2] + ["--masks", "{w}/masks.npz", "--tokens", "{w}/masks.npz"], INPUT),
    ("pppl-partial-onto-a-hard-link-of-the-data", ["pppl", "--model", "{w}/m", "--data", "{w}/data.txt",
                                                   "--partial", "{w}/data-link.json"], INPUT),
    ("generate-history-onto-the-config", ["generate", "--model", "{w}/m", "[MASK]", "--history",
                                          "{w}/m/config.json"], INPUT),
    # an output onto a file of another model (never read by the run)
    ("html-onto-another-models-config", EVAL + ["--html", "{w}/other/config.json"], MODEL_FILE),
    ("tokens-onto-another-models-merges", EVAL + ["--tokens", "{w}/other/merges.txt"], MODEL_FILE),
    ("save-masks-onto-another-models-graph", EVAL + ["--save-masks", "{w}/other/model.onnx"], MODEL_FILE),
    ("history-onto-another-models-tokenizer", ["generate", "--model", "{w}/m", "[MASK]", "--history",
                                               "{w}/other/tokenizer.json"], MODEL_FILE),
    ("optimize-into-another-models-folder", ["optimize", "{w}/m", "-o", "{w}/other"], "holds another model's"),
    ("optimize-beside-another-model", ["optimize", "{w}/m", "-o", "{w}/other/fast.onnx"], "holds another model's"),
    ("optimize-into-a-checkpoint-folder", ["optimize", "{w}/m", "-o", "{w}/ck"], "is a checkpoint folder"),
    ("optimize-beside-another-models-export-and-checkpoint", ["optimize", "{w}/m/model.onnx", "-o", "{w}/rbboth/x.onnx"],
     "rbboth' holds another model's files (model.onnx, model.safetensors); writing x.onnx there would mix"),
    # empty paths
    ("html-empty", EVAL + ["--html", ""], "--html '' is an empty path"),
    ("tokens-empty", EVAL + ["--tokens", ""], "--tokens '' is an empty path"),
    ("save-masks-empty", EVAL + ["--save-masks", ""], "--save-masks '' is an empty path"),
    ("partial-empty", ["pppl", "--model", "{w}/m", "--partial", ""], "--partial '' is an empty path"),
    ("history-empty", ["generate", "--model", "{w}/m", "[MASK]", "--history", ""], "--history '' is an empty path"),
    ("optimize-output-empty", ["optimize", "{w}/m", "-o", ""], "-o '' is an empty path"),
    ("model-empty", ["eval", "--model", "", "--data", "{w}/data.txt"], "--model '' is an empty path"),
    ("data-empty", ["eval", "--model", "{w}/m", "--data", ""], "--data '' is an empty path"),
    ("masks-empty", ["eval", "--model", "{w}/m", "--masks", " "], "--masks ' ' is an empty path"),
    ("reference-empty", ["compare", "--model", "{w}/m", "--reference", ""], "--reference '' is an empty path"),
    ("merge-empty", ["merge", ""], "PARTIALS '' is an empty path"),
    # FIFOs and devices where a file is read
    ("config-json-a-fifo", ["eval", "--model", "{w}/fifo-config", "--data", "{w}/data.txt"], NOT_REGULAR),
    ("tokenizer-json-a-fifo", ["eval", "--model", "{w}/fifo-tokenizer", "--data", "{w}/data.txt"], NOT_REGULAR),
    ("tokenizer-config-a-fifo", ["eval", "--model", "{w}/fifo-tokenizer-config", "--data", "{w}/data.txt"],
     NOT_REGULAR),
    ("vocab-txt-a-fifo", ["eval", "--model", "{w}/m", "--tokenizer", "{w}/fifo-vocab", "--data", "{w}/data.txt"],
     NOT_REGULAR),
    ("merges-a-fifo", ["eval", "--model", "{w}/rbm", "--tokenizer", "{w}/fifo-merges", "--data", "{w}/data.txt"],
     NOT_REGULAR),
    ("special-tokens-map-a-fifo", ["eval", "--model", "{w}/rbm", "--tokenizer", "{w}/fifo-special-map", "--data",
                                   "{w}/data.txt"], NOT_REGULAR),
    ("safetensors-a-fifo", ["eval", "--model", "{w}/fifo-weights", "--data", "{w}/data.txt"], NOT_REGULAR),
    ("external-data-a-fifo", ["eval", "--model", "{w}/fifo-external-data", "--data", "{w}/data.txt"], NOT_REGULAR),
    ("masks-a-fifo", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--masks", "{w}/fifo.npz"], NOT_REGULAR),
    ("merge-a-fifo", ["merge", "{w}/fifo.json"], NOT_REGULAR),
    ("calibration-a-fifo", ["optimize", "{w}/m", "-o", "{w}/int8", "--int8", "--calibration", "{w}/fifo.txt"],
     NOT_REGULAR),
    ("data-a-device", ["eval", "--model", "{w}/m", "--data", "/dev/zero"], NOT_REGULAR),
    ("masks-a-device", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--masks", "/dev/null"], NOT_REGULAR),
    ("tokenizer-a-device", ["eval", "--model", "{w}/m", "--tokenizer", "/dev/null", "--data", "{w}/data.txt"],
     NOT_REGULAR),
    ("predict-a-10-mb-prompt", ["predict", "--model", "{w}/m", "[MASK] " + "word " * 2_000_000],
     "is longer than the model's limit of 128 tokens can hold"),
    # edited partials and mask manifests
    ("merge-a-partial-with-a-loss-edited", ["merge", "{w}/p0-nll-edited.json", "{w}/p1.json"], EDITED_PARTIAL),
    ("merge-a-partial-with-a-count-edited", ["merge", "{w}/p0-count-edited.json", "{w}/p1.json"], EDITED_PARTIAL),
    ("merge-an-npz-partial-with-a-column-edited", ["merge", "{w}/p0-column-edited.npz", "{w}/p1.json"],
     EDITED_PARTIAL),
    ("merge-an-npz-partial-with-a-count-edited", ["merge", "{w}/p0-count-edited.npz", "{w}/p1.json"], EDITED_PARTIAL),
    ("masks-with-labels-leaked", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--masks",
                                  "{w}/masks-leaked.npz"], EDITED_MASKS),
    ("masks-with-the-seed-edited", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--masks",
                                    "{w}/masks-seed-edited.npz"], EDITED_MASKS),
    ("masks-with-mlm-probability-edited", ["eval", "--model", "{w}/m", "--data", "{w}/data.txt", "--masks",
                                           "{w}/masks-p-edited.npz"], EDITED_MASKS),
    ("compare-masks-with-labels-leaked", ["compare", "--model", "{w}/m", "--reference", "{w}/ck", "--data",
                                          "{w}/data.txt", "--masks", "{w}/masks-leaked.npz"], EDITED_MASKS),
]


@pytest.mark.cli
@pytest.mark.parametrize("case, argv, fragment", CLI_ROWS, ids=[row[0] for row in CLI_ROWS])
def test_bad_file_input_exits_2_with_one_line_and_loses_nothing(work, no_hang, capsys, case, argv, fragment):
    before = digests(work)
    status = main([a.format(w=work) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2, (case, err)
    errors = [line for line in err if line.startswith("fillmask-np: error:")]
    assert len(errors) == 1 and "Traceback" not in "\n".join(err), err
    assert fragment in errors[0], errors[0]
    assert digests(work) == before  # every input and every model file byte-identical; nothing new written


def _bert() -> tuple[Any, Any]:
    return fm.OnnxMaskedLM(BERT), fm.Tokenizer.from_dir(BERT)


def _optimize(src: Path, dst: Path) -> Any:
    from fillmask_np.optimize import optimize_model

    return optimize_model(src, dst)


# (case id, a call on the work folder that must raise, the FillMaskError subclass, a regex its message matches)
API_ROWS: list[tuple[str, Callable[[Path], Any], type, str]] = [
    ("save-masks-onto-a-model-folders-tokenizer-config",
     lambda w: fm.evaluate(*_bert(), w / "data.txt", limit=2, save_masks=w / "m" / "tokenizer_config.json"),
     fm.InputFileError, MODEL_FILE),
    ("html-onto-a-tokenizer-folders-merges",
     lambda w: fm.render_html(fm.evaluate(*_bert(), w / "data.txt", limit=2), w / "rbtok" / "merges.txt"),
     fm.InputFileError, MODEL_FILE),
    ("save-masks-empty", lambda w: fm.evaluate(*_bert(), w / "data.txt", limit=2, save_masks=""), fm.InputFileError,
     "save_masks path '' must be a non-empty file path"),
    ("history-empty", lambda w: fm.generate(*_bert(), "[MASK]", history=" "), fm.InputFileError,
     "path ' ' must be a non-empty file path"),
    ("optimize-into-another-models-folder", lambda w: _optimize(w / "m", w / "other"), fm.InputFileError,
     "holds another model's config.json"),
    ("merge-a-partial-with-a-loss-edited", lambda w: fm.merge([w / "p0-nll-edited.json", w / "p1.json"]),
     fm.DataError, EDITED_PARTIAL),
    ("merge-an-npz-partial-with-a-count-edited", lambda w: fm.merge([w / "p0-count-edited.npz", w / "p1.json"]),
     fm.DataError, EDITED_PARTIAL),
    ("replay-masks-with-labels-leaked", lambda w: fm.evaluate(*_bert(), w / "data.txt", masks=w / "masks-leaked.npz"),
     fm.MaskingError, r"the masks of sample \d+ are not those its header's settings draw \(seed=0, "),
    ("replay-masks-with-the-seed-edited",
     lambda w: fm.evaluate(*_bert(), w / "data.txt", masks=w / "masks-seed-edited.npz"), fm.MaskingError,
     r"\(seed=7, masking='per_sample'"),
    ("load-masks-a-fifo", lambda w: fm.load_masks(w / "fifo.npz"), fm.InputFileError, re.escape(NOT_REGULAR)),
    ("tokenizer-json-a-fifo", lambda w: fm.Tokenizer.from_file(w / "fifo-tokenizer" / "tokenizer.json"),
     fm.InputFileError, re.escape(NOT_REGULAR)),
    ("tokenizer-folder-with-a-fifo-config", lambda w: fm.Tokenizer.from_dir(w / "fifo-tokenizer-config"),
     fm.InputFileError, re.escape(NOT_REGULAR)),
    ("onnx-model-with-a-fifo-config", lambda w: fm.OnnxMaskedLM(w / "fifo-config"), fm.InputFileError,
     re.escape(NOT_REGULAR)),
    ("numpy-model-with-fifo-weights", lambda w: fm.NumpyMaskedLM(w / "fifo-weights"), fm.InputFileError,
     re.escape(NOT_REGULAR)),
    ("iter-texts-a-device", lambda w: list(fm.iter_texts("/dev/zero")), fm.InputFileError, re.escape(NOT_REGULAR)),
]


@pytest.mark.parametrize("case, call, error, pattern", API_ROWS, ids=[row[0] for row in API_ROWS])
def test_bad_python_file_input_raises_a_one_line_fill_mask_error(work, no_hang, case, call, error, pattern):
    before = digests(work)
    with pytest.raises(error, match=pattern) as raised:
        call(work)
    assert "\n" not in str(raised.value)
    assert digests(work) == before


def test_an_untouched_partial_and_manifest_still_merge_and_replay(work):
    """The checks above refuse edits, not the files as written: the fixture's own files pass them."""
    merged = fm.merge([work / "p0.npz", work / "p1.json"])
    whole = fm.evaluate(*_bert(), work / "data.txt", limit=LIMIT)
    replayed = fm.evaluate(*_bert(), work / "data.txt", masks=work / "masks.npz")
    assert merged.cross_entropy == whole.cross_entropy == replayed.cross_entropy


def test_a_python_session_may_write_a_partial_it_read_before(work, tmp_path):
    """Outside the command line nothing is noted as read: merging a partial, then writing it again, is allowed."""
    path = tmp_path / "p0.json"
    shutil.copyfile(work / "p0.json", path)
    fm.merge([path, work / "p1.json"])
    fm.evaluate(*_bert(), work / "data.txt", limit=LIMIT, shard=(0, 2), partial=path)
    again, before = fm.merge([path, work / "p1.json"]), fm.merge([work / "p0.json", work / "p1.json"])
    assert again.cross_entropy == before.cross_entropy


def test_optimize_writes_again_over_its_own_earlier_output(work, tmp_path):
    """A folder whose config and tokenizer files are the source's (an earlier output) is written over."""
    pytest.importorskip("onnx", reason="optimize needs the onnx package (the test extra)")
    first = _optimize(work / "m", tmp_path / "fast")
    again = _optimize(work / "m", tmp_path / "fast")
    assert first.copied == again.copied and "config.json" in again.copied


@pytest.mark.cli
@pytest.mark.parametrize("option, name", [("--html", "out.html"), ("--save-masks", "out.npz"),
                                          ("--partial", "out.json")])
def test_sigterm_while_writing_leaves_no_temporary_file(work, tmp_path, option, name):
    """A real fillmask-np process, paused inside the write by FILLMASK_NP_PAUSE_IN_WRITE, gets SIGTERM there."""
    from fillmask_np.text.outputs import PAUSE_ENV

    ready, out = tmp_path / "ready", tmp_path / "out"
    out.mkdir()
    (out / name).write_bytes(b"the previous file")
    code = "import sys; from fillmask_np.cli import main; sys.exit(main(sys.argv[1:]))"
    argv = ["eval", "--model", str(work / "m"), "--data", str(work / "data.txt"), "--limit", "5", option,
            str(out / name)]
    proc = subprocess.Popen([sys.executable, "-c", code, *argv], env={**os.environ, PAUSE_ENV: str(ready)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), proc.communicate(timeout=5)
        assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")]  # the write is under way
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143 and err.strip().splitlines() == ["fillmask-np: terminated"], err
    assert sorted(p.name for p in out.iterdir()) == [name]  # no temporary file left beside it
    assert (out / name).read_bytes() == b"the previous file"  # and the previous file whole


_PEAK = ("import resource, sys; from fillmask_np.cli import main; status = main(sys.argv[1:]); "
         "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(status)")


def _peak_kib(argv: list[str]) -> int:
    """Peak resident memory (KiB) of a fresh ``fillmask-np`` process running ``argv``."""
    proc = subprocess.run([sys.executable, "-c", _PEAK, *argv], capture_output=True, text=True, timeout=300)
    return int(proc.stderr.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.cli
def test_one_10_mb_line_costs_no_more_memory_than_a_short_file(work, tmp_path):
    """eval cuts the line before tokenizing; predict and generate refuse a prompt too long for the model before
    tokenizing it (they took 1.7 GB for this line): each within 30 MiB of the same command on the short file."""
    words = (work / "data.txt").read_text(encoding="utf-8").split()
    line = " ".join(words[i % len(words)] for i in range(2_000_000))[:10_000_000]
    (tmp_path / "long.txt").write_text(line[:5_000_000] + " [MASK] " + line[5_000_000:] + "\n", encoding="utf-8")
    (tmp_path / "short.txt").write_text("the [MASK] sat on the mat\n", encoding="utf-8")
    for command in (["eval"], ["predict"], ["generate"]):
        short, long = (_peak_kib([*command, "--model", str(work / "m"), "--data", str(tmp_path / name)])
                       for name in ("short.txt", "long.txt"))
        assert long < short + 30 * 1024, (command, short, long)
