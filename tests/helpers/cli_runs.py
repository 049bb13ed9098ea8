"""Running ``fillmask-np`` in the test process and reading what it wrote: exit status, stdout, stderr, the
JSON report, the figures of an HTML page."""

from __future__ import annotations

import html
import io
import json
import re
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any, NamedTuple

from fillmask_np.cli import main


class Run(NamedTuple):
    """A finished run: its exit status and what it printed."""

    status: int
    out: str
    err: str


def cli(*argv: Any) -> Run:
    """``fillmask-np ARGV`` in this process: its exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main([str(a) for a in argv])
    return Run(status, out.getvalue(), err.getvalue())


def error_line(*argv: Any) -> str:
    """The one ``fillmask-np: error: ...`` line of ``fillmask-np ARGV``, which must exit 2 without a traceback."""
    run = cli(*argv)
    errors = [line for line in run.err.splitlines() if line.startswith("fillmask-np: error:")]
    assert run.status == 2 and len(errors) == 1 and "Traceback" not in run.err, (run.status, run.err)
    return errors[0]


def ok_json(*argv: Any) -> dict[str, Any]:
    """The JSON printed by ``fillmask-np ARGV --json``, which must exit 0 and say nothing on stderr."""
    run = cli(*argv, "--json")
    assert (run.status, run.err) == (0, ""), run.err
    return json.loads(run.out)


def html_metrics(path: Path) -> dict[str, float]:
    """The figures an HTML page carries in its ``data-metric`` / ``data-value`` attributes."""
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    values = {k: json.loads(html.unescape(v))
              for k, v in re.findall(r'data-metric="([a-z0-9_.]+)" data-value="([^"]+)"', page)}
    return {k: float(v) for k, v in values.items() if isinstance(v, (int, float))}
