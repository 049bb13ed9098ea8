"""Headless Chromium for the browser tests: the page's DOM after its script ran, through docs/make_screenshot.py
(the one place that knows how to start Chromium); a test is skipped only when Chromium is absent."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from .paths import REPO

_spec = importlib.util.spec_from_file_location("make_screenshot", REPO / "docs" / "make_screenshot.py")
assert _spec is not None and _spec.loader is not None
shots = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shots)


def rendered_dom(page: Path) -> str:
    """The DOM Chromium dumps for ``page`` once its script ran; skips the test when Chromium is not installed."""
    binary = shots.find_chromium()
    if binary is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it)")
    dom, _ = shots.dump_dom(binary, page)
    return dom
