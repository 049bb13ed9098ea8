"""Bad-input rows for ``--long`` / ``--stride`` (issue 21, part 3: inputs longer than the model).

CLI rows exit 2 with one ``fillmask-np: error: ...`` line (no traceback) naming the bad value; API rows raise a
``FillMaskError`` subclass whose message names it. Every row is refused before any scoring.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

import fillmask_np as fm
from helpers import EVAL_TXT, GOLDEN, load_golden
from helpers.cli_runs import error_line

BERT = GOLDEN / "models" / "bert"
BASE = ["--model", BERT, "--data", EVAL_TXT, "--max-length", "12"]  # windows of 10 text tokens

# (case id, argv, a fragment the one error line must contain)
CLI_ROWS = [
    ("pppl-stride-0", ["pppl", *BASE, "--long", "window", "--stride", "0"], "--stride 0 must be an integer from 1"),
    ("eval-stride-0", ["eval", *BASE, "--long", "window", "--stride", "0"], "--stride 0 must be an integer from 1"),
    ("pppl-stride-above-the-window", ["pppl", *BASE, "--long", "window", "--stride", "11"],
     "--stride 11 must be from 1 to the window's 10 tokens"),
    ("eval-stride-above-the-window", ["eval", *BASE, "--long", "window", "--stride", "11"],
     "--stride 11 must be from 1 to the window's 10 tokens"),
    ("pppl-long-bogus", ["pppl", *BASE, "--long", "bogus"], "--long 'bogus' is not one of 'truncate', 'window'"),
    ("eval-long-bogus", ["eval", *BASE, "--long", "bogus"], "--long 'bogus' is not one of 'truncate', 'window'"),
    ("pppl-stride-without-long-window", ["pppl", *BASE, "--stride", "4"], "--stride 4 steps the windows of --long"),
    ("eval-stride-without-long-window", ["eval", *BASE, "--long", "truncate", "--stride", "4"],
     "--stride 4 steps the windows of --long"),
    ("eval-window-with-hf-masking", ["eval", *BASE, "--long", "window", "--masking", "hf"], "--masking 'per_sample'"),
    ("eval-window-with-save-masks", ["eval", *BASE, "--long", "window", "--save-masks", "{tmp}/m.npz"],
     "use --long 'truncate' with masks files"),
]


@pytest.mark.cli
@pytest.mark.parametrize("case,argv,fragment", CLI_ROWS, ids=[r[0] for r in CLI_ROWS])
def test_bad_long_options_are_refused_in_one_line(tmp_path, case, argv, fragment) -> None:
    line = error_line(*[str(a).format(tmp=tmp_path) for a in argv])
    assert fragment in line
    assert not (tmp_path / "m.npz").exists()


def _bert() -> Any:
    return load_golden("bert")


# (case id, call, a fragment of the message)
API_ROWS: list[tuple[str, Callable[[], Any], str]] = [
    ("pll-stride-0", lambda: fm.pseudo_log_likelihood(*_bert(), ["a b"], long="window", stride=0),
     "stride=0 must be an integer from 1"),
    ("pll-stride-above-the-window", lambda: fm.pseudo_log_likelihood(*_bert(), ["a b"], max_length=12, long="window",
                                                                     stride=11), "stride=11 must be from 1"),
    ("pll-stride-a-float", lambda: fm.pseudo_log_likelihood(*_bert(), ["a b"], long="window", stride=2.5),
     "stride=2.5 must be an integer"),
    ("pll-long-bogus", lambda: fm.pseudo_log_likelihood(*_bert(), ["a b"], long="bogus"), "long='bogus'"),
    ("eval-stride-without-long-window", lambda: fm.evaluate(*_bert(), ["a b"], stride=4), "stride=4 steps"),
    ("eval-stride-above-the-window", lambda: fm.evaluate(*_bert(), ["a b"], max_length=12, long="window",
                                                         stride=11), "stride=11 must be from 1"),
    ("eval-window-with-a-masks-file", lambda: fm.evaluate(*_bert(), ["a b"], long="window", masks="m.npz"),
     "long='truncate' with masks files"),
    ("eval-window-with-hf-masking", lambda: fm.evaluate(*_bert(), ["a b"], long="window", masking="hf"),
     "masking='per_sample'"),
    ("window-leaving-no-text", lambda: fm.pseudo_log_likelihood(*_bert(), ["a b"], max_length=2, long="window"),
     "max_length=2 leaves no token of text"),
]


@pytest.mark.parametrize("case,call,fragment", API_ROWS, ids=[r[0] for r in API_ROWS])
def test_bad_long_keywords_raise_naming_the_value(case, call, fragment) -> None:
    with pytest.raises(fm.FillMaskError) as caught:
        call()
    assert fragment in str(caught.value)


PAIRS = ["pairs", "--model", BERT, "--data", GOLDEN / "text" / "minimal_pairs.jsonl", "--max-length", "8"]
PAIRS_ROWS = [
    ("pairs-stride-0", [*PAIRS, "--long", "window", "--stride", "0"], "--stride 0 must be an integer from 1"),
    ("pairs-stride-above-the-window", [*PAIRS, "--long", "window", "--stride", "7"],
     "--stride 7 must be from 1 to the window's 6 tokens"),
    ("pairs-long-bogus", [*PAIRS, "--long", "bogus"], "--long 'bogus' is not one of"),
    ("pairs-stride-without-long-window", [*PAIRS, "--stride", "3"], "--stride 3 steps the windows of --long"),
]


@pytest.mark.cli
@pytest.mark.parametrize("case,argv,fragment", PAIRS_ROWS, ids=[r[0] for r in PAIRS_ROWS])
def test_bad_long_options_of_pairs_are_refused_in_one_line(case, argv, fragment) -> None:
    assert fragment in error_line(*argv)
