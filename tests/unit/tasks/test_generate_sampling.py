"""generate's draws: reproducible under a seed, the same for any batch size, and distributed as the
temperature / top_k / top_p cut says (chi-square tests on a fake model with fixed logits)."""

from __future__ import annotations

import numpy as np
import pytest

import fillmask_np as fm

from helpers import FakeMaskedLM, FixedLogits

PROMPTS = ["the [MASK] sat on the [MASK].", "[MASK] [MASK] [MASK] cat", "a [MASK] b [MASK]",
           "[MASK] on a [MASK] [MASK] day"]
CHI2_999 = {1: 10.828, 2: 13.816, 3: 16.266, 4: 18.467, 5: 20.515, 6: 22.458, 7: 24.322}  # p = 0.001


class RowContext(FakeMaskedLM):
    """Logits depend on the token at a position and on the sum of its row's ids (pad id 0 adds nothing), so a
    row's draws change if another row's ids leak into it."""

    def __init__(self, vocab: int = 1000, seed: int = 0) -> None:
        super().__init__(vocab)
        rng = np.random.default_rng(seed)
        self.own = rng.normal(size=(vocab, vocab)).astype(np.float32)  # [V, V]
        self.row = rng.normal(size=(vocab, vocab)).astype(np.float32)  # [V, V]

    def logits(self, input_ids: np.ndarray) -> np.ndarray:
        context = self.row[input_ids.sum(axis=1) % self.vocab_size]  # [B, V]
        return self.own[input_ids] + context[:, None, :]  # [B, L, V]


def _draws(out: fm.Generations) -> list[list[int]]:
    return [g.ids.tolist() for g in out]


@pytest.mark.parametrize("options", [
    {"top_p": 0.9}, {"temperature": 1.5, "top_k": 20}, {"sample": True, "unmask": "random"},
    {"sample": False, "unmask": "random"}, {"num_samples": 3, "schedule": "cosine", "steps": 2},
])
def test_the_same_seed_gives_the_same_output_and_another_seed_another(bert_tok, options):
    model = RowContext()
    first = fm.generate(model, bert_tok, PROMPTS, seed=11, **options)
    assert _draws(fm.generate(model, bert_tok, PROMPTS, seed=11, **options)) == _draws(first)
    assert _draws(fm.generate(model, bert_tok, PROMPTS, seed=12, **options)) != _draws(first)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 16])
def test_the_output_does_not_depend_on_the_batch_size(bert_tok, batch_size):
    model = RowContext()
    options = {"temperature": 2.0, "num_samples": 3, "steps": 2, "seed": 4, "unmask": "random"}
    reference = fm.generate(model, bert_tok, PROMPTS, batch_size=len(PROMPTS) * 3, **options)
    out = fm.generate(model, bert_tok, PROMPTS, batch_size=batch_size, **options)
    assert _draws(out) == _draws(reference)
    for a, b in zip(out, reference):
        for s, t in zip(a.steps, b.steps):
            np.testing.assert_array_equal(s.probs, t.probs)


def test_on_a_real_model_batching_keeps_the_draws(bert_model, bert_tok):
    options = {"top_k": 50, "temperature": 1.5, "num_samples": 2, "steps": 2, "seed": 9}
    batched = fm.generate(bert_model, bert_tok, PROMPTS, **options)
    one_by_one = fm.generate(bert_model, bert_tok, PROMPTS, batch_size=1, **options)
    assert _draws(batched) == _draws(one_by_one)
    for a, b in zip(batched, one_by_one):
        np.testing.assert_allclose(np.concatenate([s.probs for s in a.steps]),
                                   np.concatenate([s.probs for s in b.steps]), rtol=1e-5)


def test_row_p_s_draws_with_default_rng_seed_p_s(bert_tok):
    """Each (prompt, sample) has its own stream: a row's draws are those of default_rng([seed, p, s])."""
    row = np.log(np.array([0.5, 0.3, 0.2]))
    logits = np.full(1000, -1e9, dtype=np.float32)
    logits[[10, 11, 12]] = row
    out = fm.generate(FixedLogits(logits), bert_tok, ["[MASK]", "[MASK]"], num_samples=2, seed=7, sample=True)
    for g in out:
        u = np.random.default_rng([7, g.prompt_index, g.sample_index]).random()
        assert g.ids[1] == 10 + int(np.searchsorted(np.cumsum([0.5, 0.3, 0.2]), u, side="right"))


def _expected(p: np.ndarray, temperature: float, top_k: int | None, top_p: float) -> np.ndarray:
    """The distribution the cut leaves, by hand: p^(1/T) renormalised, top_k best, smallest set reaching top_p."""
    q = p ** (1 / temperature)
    q /= q.sum()
    order = np.argsort(-q, kind="stable")[:top_k]
    kept = q[order] / q[order].sum()
    n = int(np.searchsorted(np.cumsum(kept), top_p - 1e-12) + 1)  # smallest prefix with mass >= top_p
    out = np.zeros_like(p)
    out[order[:n]] = kept[:n] / kept[:n].sum()
    return out


@pytest.mark.parametrize("temperature, top_k, top_p", [(1.0, None, 1.0), (1.0, 5, 0.7), (0.5, None, 0.9),
                                                       (2.0, 4, 1.0), (1.0, 8, 0.55)])
def test_draws_follow_the_cut_distribution_chi_square(bert_tok, temperature, top_k, top_p):
    p = np.array([0.30, 0.20, 0.15, 0.12, 0.10, 0.06, 0.04, 0.03])
    logits = np.full(1000, -1e9, dtype=np.float32)
    logits[10:18] = np.log(p)
    expected = _expected(p, temperature, top_k, top_p)
    n = 4000
    out = fm.generate(FixedLogits(logits), bert_tok, length=1, num_samples=n, seed=2024, temperature=temperature,
                      top_k=top_k, top_p=top_p, batch_size=1000)
    counts = np.bincount([int(g.ids[1]) - 10 for g in out], minlength=8)
    assert counts[expected == 0].sum() == 0  # nothing outside the cut
    kept = expected > 0
    chi2 = float((((counts[kept] - n * expected[kept]) ** 2) / (n * expected[kept])).sum())
    assert chi2 < CHI2_999[int(kept.sum()) - 1], (counts, n * expected)
    assert all(g.steps[0].probs[0] == pytest.approx(p[g.ids[1] - 10], rel=1e-5) for g in out[:20])
