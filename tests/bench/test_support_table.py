"""bench/support_table.py's check: the tables of the README and docs/fidelity.md equal the manifest's cells
exactly and the NumPy backend's column (measured on the CPU at hand, whose float32 BLAS differs in the last bits
between vendors) within NUMPY_SLACK, so the check passes on any x86-64 CPU and still fails on a stale table; the same for the NumPy figure of
the float32-against-float64 column, whose torch and ORT figures come from the manifest and must be equal."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[2] / "bench" / "support_table.py"
SPEC = importlib.util.spec_from_file_location("bench_support_table", PATH)
support_table = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(support_table)

HEAD = "| architecture | tokenizer | NumPy backend: max abs logit / CE rel. error |\n|---|---|---|"
MEASURED = HEAD + "\n| BertForMaskedLM | wordpiece | 4.8e-06 / 1.1e-07 |\n| EsmForMaskedLM | residue | — |"


def test_the_numpy_column_measured_on_another_cpu_is_the_same_table():
    other_cpu = MEASURED.replace("4.8e-06 / 1.1e-07", "5.7e-06 / 9.4e-08")
    assert support_table.same_tables(other_cpu, MEASURED)


@pytest.mark.parametrize("cell", ["4.8e-05 / 1.1e-07", "4.8e-06 / 1.1e-06"])
def test_a_numpy_figure_further_than_the_slack_is_stale(cell):
    slack_logit, slack_ce = support_table.NUMPY_SLACK
    assert abs(4.8e-05 - 4.8e-06) > slack_logit and abs(1.1e-06 - 1.1e-07) > slack_ce
    assert not support_table.same_tables(MEASURED.replace("4.8e-06 / 1.1e-07", cell), MEASURED)


@pytest.mark.parametrize("old, new", [("wordpiece", "bpe"), ("| — |", "| 1.0e-06 / 1.0e-08 |"),
                                      ("\n| EsmForMaskedLM | residue | — |", "")])
def test_any_other_cell_or_row_that_differs_is_stale(old, new):
    assert not support_table.same_tables(MEASURED.replace(old, new), MEASURED)


EXACT = ("| architecture | float32 against float64: torch / ORT / NumPy max abs logit error |\n|---|---|\n"
         "| BertForMaskedLM | 4.1e-06 / 5.1e-06 / 3.2e-06 |")


def test_the_numpy_float32_error_against_float64_measured_on_another_cpu_is_the_same_table():
    assert support_table.same_tables(EXACT.replace("/ 3.2e-06", "/ 4.0e-06"), EXACT)


@pytest.mark.parametrize("old, new", [("4.1e-06 /", "4.2e-06 /"), ("/ 5.1e-06 /", "/ 5.0e-06 /"),
                                      ("/ 3.2e-06", "/ 3.2e-04")])
def test_a_torch_or_ort_float64_figure_that_differs_or_a_numpy_one_beyond_the_slack_is_stale(old, new):
    assert not support_table.same_tables(EXACT.replace(old, new), EXACT)


@pytest.mark.golden  # the table's figures are torch's, read from the manifest and the golden cases
def test_the_readme_and_docs_support_tables_are_generated_from_the_manifest():
    assert support_table.main(["--check"]) == 0, "run: python bench/support_table.py --write"
