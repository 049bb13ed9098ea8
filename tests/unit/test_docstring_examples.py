"""Every runnable ``>>>`` example in the package's docstrings runs and shows what it says.

One test per docstring that holds an example that runs (examples marked ``+SKIP`` need a model and are not
collected), so no test here asserts nothing; a floor on the number of examples fails when examples are lost.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import fillmask_np

# The runnable examples counted when this floor was set (72 in 63 docstrings); raise it when adding examples.
MIN_EXAMPLES = 72

MODULES = ["fillmask_np", *sorted(m.name for m in pkgutil.walk_packages(fillmask_np.__path__, "fillmask_np.")
                                  if not m.name.endswith("__main__"))]


def runnable(test: doctest.DocTest) -> list[doctest.Example]:
    """The examples of ``test`` that doctest runs (not marked ``+SKIP``)."""
    return [example for example in test.examples if not example.options.get(doctest.SKIP)]


def find_examples() -> list[doctest.DocTest]:
    """The docstrings of every package module that hold at least one runnable example, by qualified name."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    found = []
    for name in MODULES:
        module = importlib.import_module(name)
        globs = {"np": importlib.import_module("numpy"), **vars(module)}
        found += [test for test in finder.find(module, name, globs=globs) if runnable(test)]
    return sorted(found, key=lambda test: test.name)


EXAMPLES = find_examples()


@pytest.mark.parametrize("test", EXAMPLES, ids=[test.name for test in EXAMPLES])
def test_docstring_example_shows_what_it_says(test):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.tries == len(runnable(test))
    assert runner.failures == 0, f"{runner.failures} failing example(s) in {test.name}"


def test_the_package_keeps_its_runnable_examples():
    assert sum(len(runnable(test)) for test in EXAMPLES) >= MIN_EXAMPLES
