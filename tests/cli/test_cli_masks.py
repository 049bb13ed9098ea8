"""`fillmask-np eval --save-masks / --masks`: a mask manifest saved and replayed from the command line, and the
masking options that must agree with it."""

from __future__ import annotations

import json

import pytest

from fillmask_np.cli import main

from helpers import sha256

pytestmark = pytest.mark.cli


def test_cli_saves_and_replays_masks(tmp_path, capsys):
    path = tmp_path / "masks.npz"
    assert main(["eval", "--seed", "3", "--save-masks", str(path), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["saved_masks"] == {"path": str(path), "sha256": sha256(path)}
    assert main(["eval", "--masks", str(path), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    for key in ("cross_entropy", "top1_accuracy", "top5_accuracy", "n_masked", "per_sample"):
        assert again[key] == first[key], key
    assert again["settings"]["seed"] == 3 and again["provenance"]["masks"] == {"path": str(path),
                                                                              "sha256": sha256(path)}
    assert main(["eval", "--masks", str(path)]) == 0
    assert f"masks           replayed from {path}" in capsys.readouterr().out


@pytest.mark.parametrize("option", [["--seed", "4"], ["--masking", "hf"], ["--whole-word"], ["--batch-size", "8"]])
def test_cli_refuses_a_masking_option_that_differs_from_the_masks_file(saved_masks, capsys, option):
    assert main(["eval", "--masks", str(saved_masks[1]), *option]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fillmask-np: error: {option[0]} ") and "conflicts with masks file" in err
    assert len(err.strip().splitlines()) == 1


def test_cli_accepts_a_masking_option_equal_to_the_masks_file(saved_masks, capsys):
    assert main(["eval", "--masks", str(saved_masks[1]), "--seed", "0", "--batch-size", "16", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cross_entropy"] == saved_masks[0].cross_entropy
