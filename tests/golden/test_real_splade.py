"""Integration on real material: splade-tiny on WikiText-2 against torch's figure on the same masks.

Skips when ../shared/real is not beside the checkout. The figure was computed by
golden_data/export_golden.py with torch and HF's collator, per-sample masks seeded by [seed, i].
"""

from __future__ import annotations

import hashlib

import pytest

import fillmask_np as fm

from helpers import load_manifest, require_shared, wikitext_lines

pytestmark = [pytest.mark.golden, pytest.mark.shared, pytest.mark.slow]


def test_splade_tiny_cross_entropy_on_wikitext_matches_torch():
    figure = load_manifest()["splade_wikitext_200"]
    data = require_shared("real", "wikitext-2-raw", "wiki.test.raw")
    assert hashlib.sha256(data.read_bytes()).hexdigest() == figure["data_sha256"]
    directory = require_shared("real", "splade-tiny")
    texts = wikitext_lines(figure["n_samples"])
    report = fm.evaluate(fm.OnnxMaskedLM(directory), fm.Tokenizer.from_dir(directory), texts,
                         seed=figure["seed"], max_length=figure["max_length"], batch_size=32)
    assert report.n_masked == figure["n_masked"]
    assert report.n_truncated == figure["n_truncated"]
    rtol = load_manifest()["tolerances"]["loss_rtol_ort_logits"]
    assert report.cross_entropy == pytest.approx(figure["cross_entropy"], rel=rtol)
    # an argmax may flip where ONNX Runtime and torch differ by ~1e-5: allow one token either way
    assert report.top1_accuracy == pytest.approx(figure["top1_accuracy"], abs=1.0 / figure["n_masked"])
