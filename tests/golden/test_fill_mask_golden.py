"""fill_mask against the manifest's ``fill_mask`` section: Hugging Face's real fill-mask pipeline, multi-token
target pseudo-log-likelihoods and greedy iterative fills, all computed with torch by the golden exporter."""

from __future__ import annotations

import pytest

import fillmask_np as fm

from helpers import load_golden, load_manifest

pytestmark = pytest.mark.golden

MANIFEST = load_manifest()
SECTION = MANIFEST.get("fill_mask", {})
MODELS = sorted(SECTION)
KEYS = {"score", "token", "token_str", "sequence"}
SCORE_ATOL = 1e-5  # the bound for the pipeline's float32 softmax scores
PLL_RTOL = 1e-5  # multi-token scores are products of small probabilities: relative


def test_the_golden_manifest_has_fill_mask_references_for_every_model():
    assert set(SECTION) == set(MANIFEST["models"])


def _cases(part: str) -> list[tuple[str, int]]:
    return [(name, i) for name in MODELS for i in range(len(SECTION[name][part]))]


def _per_mask(result: list) -> list[list[dict]]:
    """One list of candidates per mask, whether the result is the one-mask or the several-mask shape."""
    return result if result and isinstance(result[0], list) else [result]


def _assert_same_candidates(ours: list[dict], expected: list[dict], *, score_close) -> None:
    assert all(set(c) == KEYS for c in ours)
    assert all(isinstance(c["score"], float) for c in ours)
    assert [c["token"] for c in ours] == [c["token"] for c in expected]
    assert [c["token_str"] for c in ours] == [c["token_str"] for c in expected]
    assert [c["sequence"] for c in ours] == [c["sequence"] for c in expected]
    assert [c["score"] for c in ours] == score_close([c["score"] for c in expected])


@pytest.mark.parametrize("name, index", _cases("pipeline"))
def test_fill_mask_is_hugging_face_pipeline(name, index):
    run = SECTION[name]["pipeline"][index]
    model, tok = load_golden(name)
    ours = fm.fill_mask(model, tok, run["text"], top_k=run["top_k"], targets=run["targets"])
    expected = run["result"]
    assert isinstance(ours[0], list) == isinstance(expected[0], list)  # one mask: a flat list, as the pipeline
    assert len(_per_mask(ours)) == len(_per_mask(expected))
    for mine, theirs in zip(_per_mask(ours), _per_mask(expected)):
        _assert_same_candidates(mine, theirs, score_close=lambda s: pytest.approx(s, abs=SCORE_ATOL))


@pytest.mark.parametrize("name, index", _cases("pll"))
def test_multi_token_targets_score_the_torch_pseudo_log_likelihood(name, index):
    run = SECTION[name]["pll"][index]
    model, tok = load_golden(name)
    ours = _per_mask(fm.fill_mask(model, tok, run["text"], targets=run["targets"], top_k=len(run["targets"])))
    assert len(ours) == len(run["result"])
    assert any(isinstance(c["token"], list) for c in run["result"][0])  # the run does test multi-token targets
    for mine, theirs in zip(ours, run["result"]):
        _assert_same_candidates(mine, theirs, score_close=lambda s: pytest.approx(s, rel=PLL_RTOL))


@pytest.mark.parametrize("name, index", _cases("iterative"))
def test_iterative_fill_is_the_torch_greedy_loop(name, index):
    run = SECTION[name]["iterative"][index]
    model, tok = load_golden(name)
    ours = fm.fill_mask(model, tok, run["text"], strategy="iterative")
    assert all(set(step) == KEYS | {"mask"} for step in ours)
    for key in ("mask", "token", "token_str", "sequence"):
        assert [step[key] for step in ours] == [step[key] for step in run["steps"]], key
    assert [step["score"] for step in ours] == pytest.approx([s["score"] for s in run["steps"]], abs=SCORE_ATOL)
