"""Bad-input rows for the verbs on Ray (``--ray`` on eval, pppl, compare, pairs and variants; ``fillmask_np.distributed``).

CLI: exit 2 with one ``fillmask-np: error: ...`` line and no traceback, nothing written. API: a ``FillMaskError``
subclass whose one-line message names the bad value. Every case is refused before Ray starts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fillmask_np.errors import DataError, FillMaskError, MaskingError
from helpers import EVAL_TXT, GOLDEN
from helpers.cli_runs import error_line
from helpers.ray_cluster import ray_missing

pytestmark = pytest.mark.skipif(ray_missing() is not None, reason=str(ray_missing()))

BERT = GOLDEN / "models" / "bert"
ESM = GOLDEN / "models" / "esm"
PAIRS = GOLDEN / "text" / "minimal_pairs.jsonl"
WILD = (GOLDEN / "text" / "protein_eval.txt").read_text(encoding="utf-8").split("\n")[1]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A mutations table and a copy of the corpus."""
    (tmp_path / "dms.csv").write_text("mutant,DMS_score\nA2T,0.5\n", encoding="utf-8")
    (tmp_path / "data.txt").write_bytes(EVAL_TXT.read_bytes())
    return tmp_path


# (case id, argv with {w} for the work folder, {b} the bert export, a fragment of the one line)
CLI_ROWS = [
    ("pppl-precision-on-ray", ["pppl", "--model", "{b}", "--backend", "numpy", "--data", "{w}/data.txt", "--ray",
                               "local", "--precision", "float64"], "--precision is not offered with --ray"),
    ("pppl-standard-input-on-ray", ["pppl", "--model", "{b}", "--data", "-", "--ray", "local"],
     "--data - is not offered with --ray"),
    ("pppl-workers-zero", ["pppl", "--model", "{b}", "--data", "{w}/data.txt", "--ray", "local", "--workers", "0"],
     "--workers 0"),
    ("pairs-logits-output-on-ray", ["pairs", "--model", "{b}", "--data", str(PAIRS), "--ray", "local",
                                    "--logits-output", "logits"], "--logits-output is not offered with --ray"),
    ("variants-position-ids-on-ray", ["variants", "--model", str(ESM), "--sequence", WILD, "--mutations",
                                      "{w}/dms.csv", "--ray", "local", "--position-ids", "arange"],
     "--position-ids is not offered with --ray"),
    ("compare-masks-on-ray", ["compare", "--model", "{b}", "--reference", "{b}", "--reference-backend", "numpy",
                              "--data", "{w}/data.txt", "--ray", "local", "--masks", "{w}/m.npz"],
     "--masks is not offered with --ray"),
    ("eval-spinning-on-ray", ["eval", "--model", "{b}", "--data", "{w}/data.txt", "--ray", "local", "--spinning"],
     "--spinning is not offered with --ray"),
]


@pytest.mark.cli
@pytest.mark.parametrize("case,argv,fragment", CLI_ROWS, ids=[r[0] for r in CLI_ROWS])
def test_bad_command_line_input_on_ray_exits_2_with_one_line(work, case, argv, fragment):
    before = {p.name: p.read_bytes() for p in work.iterdir()}
    assert fragment in error_line(*(a.format(w=work, b=BERT) for a in argv))
    assert {p.name: p.read_bytes() for p in work.iterdir()} == before  # nothing written or changed


def _call(verb: str, **keywords):
    import fillmask_np.distributed as fmd

    if verb == "score_variants":
        return fmd.score_variants(WILD, keywords.pop("mutations", ["A2T"]), model=ESM, **keywords)
    data = keywords.pop("data", PAIRS if verb == "score_pairs" else EVAL_TXT)
    return getattr(fmd, verb)(data, model=BERT, **keywords)


# (case id, verb of fillmask_np.distributed, keywords, error class, a fragment of the message)
API_ROWS = [
    ("pppl-in-flight-zero", "pseudo_log_likelihood", {"max_in_flight": 0}, FillMaskError, "max_in_flight=0"),
    ("pppl-a-bad-variant", "pseudo_log_likelihood", {"variant": "l2r"}, MaskingError, "variant='l2r'"),
    ("pppl-a-partial-of-a-glob", "pseudo_log_likelihood", {"data": str(GOLDEN / "text" / "*.txt"),
                                                            "partial": "p.json"}, FillMaskError,
     "needs data to be one file's path"),
    ("pairs-block-zero", "score_pairs", {"block_pairs": 0}, FillMaskError, "block_pairs=0"),
    ("variants-a-mutation-of-another-residue", "score_variants", {"mutations": ["W2T"]}, DataError, "W2T"),
    ("variants-more-shards-than-mutations", "score_variants", {"shard": "2/3"}, DataError,
     "holds no mutation of 1"),
    ("compare-a-torch-npz-reference", "compare", {"reference": "ref.npz"}, FillMaskError,
     "'ref.npz' is a torch logits npz"),
    ("compare-hf-masking", "compare", {"reference": BERT, "masking": "hf"}, FillMaskError,
     "masking='hf' are not supported by the Ray backend"),
    ("eval-save-masks", "evaluate", {"save_masks": "m.npz"}, FillMaskError, "save_masks='m.npz' is not supported"),
]


@pytest.mark.parametrize("case,verb,keywords,error,fragment", API_ROWS, ids=[r[0] for r in API_ROWS])
def test_bad_python_input_on_ray_raises_a_one_line_fill_mask_error(case, verb, keywords, error, fragment):
    with pytest.raises(error) as info:
        _call(verb, **dict(keywords))
    assert fragment in str(info.value) and "\n" not in str(info.value)
