"""The Ray backend's parts that need no cluster: files decoded on the driver exactly as ``iter_texts`` reads them,
the options it refuses, and the one-line error without Ray installed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fillmask_np as fm
import fillmask_np.distributed as fmd
from fillmask_np.distributed.decoding import file_texts
from helpers import EVAL_TXT, GOLDEN, REPO

# the separators that matter: evaluate splits at \n, \r\n and a lone \r only; str.splitlines (ray's read_text)
# also at \v \f \x1c \x1d \x1e \x85 U+2028 U+2029; a byte-order mark is dropped from the first line only
PIECES = ["a", "b c", " ", "", "\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\ufeff", "é",
          "\t"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_a_text_file_decodes_as_iter_texts_reads_it(tmp_path_factory, pieces):
    data = "".join(pieces).encode("utf-8")
    path = tmp_path_factory.mktemp("lines") / "corpus.txt"
    path.write_bytes(data)
    assert list(file_texts(data, str(path))) == list(fm.iter_texts(path))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), st.sampled_from(["", " ", "\r"])), max_size=12),
       st.sampled_from(["\n", "\r\n"]))
def test_a_jsonl_file_decodes_as_iter_texts_reads_it(tmp_path_factory, texts, newline):
    lines = [json.dumps({"body": t}) if t not in ("", " ", "\r") else t for t in texts]  # blank lines included
    data = newline.join(lines).encode("utf-8")
    path = tmp_path_factory.mktemp("jsonl") / "corpus.jsonl"
    path.write_bytes(data)
    assert list(file_texts(data, str(path), text_field="body")) == list(fm.iter_texts(path, text_field="body"))


def test_csv_and_tsv_decode_as_iter_texts_reads_them(tmp_path):
    for name, data in (("c.csv", '\ufeffid,text\n1,"a, b"\n2,\n3,"multi\nline"\n'), ("t.tsv", "text\tn\nx\t1\n\t2\n")):
        path = tmp_path / name
        path.write_text(data, encoding="utf-8", newline="")
        assert list(file_texts(path.read_bytes(), str(path))) == list(fm.iter_texts(path))


def test_a_broken_file_is_named_as_evaluate_names_it(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"fine\n\xff\xfe\n")
    with pytest.raises(fm.DataError, match=r"line 2 is not valid UTF-8") as ours:
        list(file_texts(path.read_bytes(), str(path)))
    with pytest.raises(fm.DataError) as theirs:
        list(fm.iter_texts(path))
    assert str(ours.value) == str(theirs.value)
    jsonl = tmp_path / "bad.jsonl"
    jsonl.write_bytes(b'{"text": "a"}\n{"other": 1}\n')
    with pytest.raises(fm.DataError, match=r"line 2 has no field 'text'"):
        list(file_texts(jsonl.read_bytes(), str(jsonl)))


def test_the_ray_extra_makes_fsspecs_http_filesystem_importable():
    """Ray Data's file listing (in a worker) imports fsspec's HTTP filesystem from several threads at once and
    accepts only ModuleNotFoundError; when that import fails (no aiohttp), a racing thread gets the half-made
    module, an ImportError, and a multi-file read dies at random. The ray extra brings fsspec[http]: no failure,
    no race."""
    pytest.importorskip("ray.data", reason="Ray Data is not installed: pip install '.[ray]'")
    from fsspec.implementations.http import HTTPFileSystem

    assert HTTPFileSystem.protocol == ("http", "https")


def test_the_golden_corpus_positions_are_evaluates():
    assert list(file_texts(EVAL_TXT.read_bytes(), str(EVAL_TXT))) == list(fm.iter_texts(EVAL_TXT))


@pytest.mark.parametrize("options, message", [
    ({"masking": "hf"}, r"masking='hf' is not supported by the Ray backend: HF's collator masks batch by batch"),
    ({"config": fm.MaskingConfig(masking="hf")}, r"masking='hf' is not supported"),
    ({"masks": "m.npz"}, r"masks='m.npz' is not supported by the Ray backend \(a masks file replays one run"),
    ({"save_masks": "m.npz"}, r"save_masks='m.npz' is not supported by the Ray backend \(masks are drawn on the "),
    ({"max_in_flight": 0}, r"max_in_flight=0 must be an integer from 1"),
    ({"workers": 0}, r"workers=0 must be an integer from 1 to 4096"),
])
def test_what_the_ray_backend_cannot_do_is_refused_in_one_line(options, message):
    pytest.importorskip("ray.data", reason="Ray Data is not installed: pip install '.[ray]'")
    with pytest.raises(fm.FillMaskError, match=message) as caught:
        fmd.evaluate(EVAL_TXT, model=GOLDEN / "models" / "bert", **options)
    assert "\n" not in str(caught.value)


def test_without_ray_the_error_says_how_to_install_it():
    code = ("import sys; sys.modules['ray'] = None\n"
            "import fillmask_np.distributed as fmd\n"
            "try:\n"
            f"    fmd.evaluate({str(EVAL_TXT)!r}, model={str(GOLDEN / 'models' / 'bert')!r})\n"
            "except Exception as exc:\n"
            "    print(type(exc).__name__, exc)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    assert line.startswith("FillMaskError fillmask_np.distributed needs the [ray] extra"), line
    assert line.endswith("pip install 'fillmask_np[ray]'") and "\n" not in line
