"""Render the golden model's evaluation as an HTML report and photograph it with headless Chromium: docs/report.png.

    python docs/make_screenshot.py                 # writes docs/report.png
    python docs/make_screenshot.py --out shot.png

The same functions drive tests/browser/test_html_report_in_chromium.py: ``render_golden`` runs
``fillmask-np eval --html ... --tokens ... --json`` on golden_data/models/bert and golden_data/text/eval.txt,
``run_chromium`` starts Chromium (Debian package ``chromium``) headless with a fresh profile in its own process
group, and kills that group, and only it, if it outlives its timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "golden_data" / "models" / "bert"
DATA = REPO / "golden_data" / "text" / "eval.txt"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
WINDOW = (1280, 2400)


def find_chromium() -> str | None:
    """The Chromium executable on PATH (``chromium``, else ``chromium-browser``), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def run_chromium(binary: str, url: str, *extra: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
    """Run ``binary`` headless on ``url`` with ``FLAGS``, a fresh ``--user-data-dir`` and ``extra`` flags.

    Returns the finished process (stdout and stderr as text). Chromium runs in a session of its own; on timeout
    that process group (this call's Chromium and its helpers) is killed and ``TimeoutError`` raised.
    """
    with tempfile.TemporaryDirectory(prefix="fillmask-chromium-") as profile:
        command = [binary, *FLAGS, f"--user-data-dir={profile}", *extra, url]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the group this call started, by its id
            process.communicate()
            raise TimeoutError(f"chromium did not finish within {timeout} s: {' '.join(command)}") from None
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def render_golden(directory: Path, *, data: Path = DATA) -> tuple[Path, dict, Path]:
    """Run ``fillmask-np eval --html --tokens --json`` on the golden BERT model and ``data``.

    Returns ``(page, the --json report, the .jsonl tokens file)``, both files written in ``directory``.
    """
    from fillmask_np.cli import main

    page, tokens = directory / "report.html", directory / "tokens.jsonl"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(["eval", "--model", str(MODEL), "--data", str(data), "--seed", "0", "--html", str(page),
                       "--tokens", str(tokens), "--json"])
    if status != 0:
        raise RuntimeError(f"fillmask-np eval exited {status}")
    return page, json.loads(printed.getvalue()), tokens


def dump_dom(binary: str, page: Path) -> tuple[str, str]:
    """(the DOM after the page's script ran, Chromium's log on stderr with console messages)."""
    done = run_chromium(binary, page.resolve().as_uri(), "--enable-logging=stderr", "--v=0",
                        "--virtual-time-budget=3000", "--dump-dom")
    if done.returncode != 0:
        raise RuntimeError(f"chromium --dump-dom exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout, done.stderr


def screenshot(binary: str, page: Path, png: Path, *, size: tuple[int, int] = WINDOW) -> Path:
    """Photograph ``page`` at ``size`` pixels into ``png``."""
    done = run_chromium(binary, page.resolve().as_uri(), f"--screenshot={png.resolve()}",
                        f"--window-size={size[0]},{size[1]}", "--hide-scrollbars", "--virtual-time-budget=3000")
    if done.returncode != 0 or not png.is_file():
        raise RuntimeError(f"chromium --screenshot exited {done.returncode}: {done.stderr[-2000:]}")
    return png


def main(argv: list[str] | None = None) -> int:
    """Write the screenshot (one tooltip opened, to show what hovering a token shows)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "report.png")
    args = parser.parse_args(argv)
    binary = find_chromium()
    if binary is None:
        print("chromium is not installed: apt-get install -y chromium", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="fillmask-report-") as tmp:
        page, _, _ = render_golden(Path(tmp))
        html = page.read_text(encoding="utf-8")
        shown = Path(tmp) / "shown.html"  # the first masked token of the samples with its tooltip open
        shown.write_text(html.replace('class="tok"', 'class="tok open"', 1), encoding="utf-8")
        png = screenshot(binary, shown, Path(tmp) / "report.png")
        args.out.write_bytes(png.read_bytes())
    print(f"{args.out} ({args.out.stat().st_size} bytes, {WINDOW[0]}x{WINDOW[1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
