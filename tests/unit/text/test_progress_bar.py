"""``text.Progress``: a tqdm bar of done / total with the token rate when shown; nothing at all (tqdm not even
imported) when not."""

from __future__ import annotations

import subprocess
import sys

from fillmask_np.text import Progress, progress_named


def test_a_shown_bar_names_the_command_the_total_and_the_tokens(capsys):
    bar = Progress(enabled=True, label="pppl", total=4)
    bar.update(1, 10)
    bar.update(3, 30)
    bar.close()
    err = capsys.readouterr().err
    assert "pppl: " in err and "4/4 " in err and "40 tokens" in err and "tokens/s" in err


def test_an_upper_bound_total_ends_at_the_count_done(capsys):
    bar = Progress(enabled=True, label="eval", total=10)  # a Parquet row count with empty rows among them
    bar.update(7)
    bar.close()
    assert capsys.readouterr().err.rstrip().split("\r")[-1].count("7/7 ") == 1


def test_a_command_running_another_ones_loop_shows_its_own_name_and_unit(capsys):
    with progress_named("pairs", "sentence"):
        bar = Progress(enabled=True, label="pppl", total=2)
    bar.update(2)
    bar.close()
    err = capsys.readouterr().err
    assert "pairs: " in err and "sentence/s" in err and "pppl" not in err


def test_a_silent_bar_prints_nothing_and_never_imports_tqdm():
    code = ("import sys; from fillmask_np.text import Progress; bar = Progress(enabled=None, label='eval', total=3); "
            "bar.update(3, 9); bar.close(); print('tqdm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert (out.stdout, out.stderr) == ("False\n", "")
