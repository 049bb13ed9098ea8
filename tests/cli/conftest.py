"""Fixtures of the command-line tests: every kind of model, made once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.model_kinds import make_model_kinds


@pytest.fixture(scope="session")
def model_kinds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{kind: --model path} for every kind in ``helpers.model_kinds.KINDS``."""
    return make_model_kinds(tmp_path_factory.mktemp("model_kinds"))
