"""Every ``>>>`` example in the package's docstrings runs and shows what it says (those marked SKIP need a model)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import fillmask_np

MODULES = sorted(m.name for m in pkgutil.walk_packages(fillmask_np.__path__, "fillmask_np.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name, globs={"np": importlib.import_module("numpy"), **vars(module)}):
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} failing example(s) in {name}"
