"""Size and render time of the HTML report (``fm.render_html``) for a large evaluation: splade-tiny on WikiText-2.

    python bench/html_report.py                    # 10,000 samples: the test split's lines, repeated
    python bench/html_report.py --lines 2000 --samples 50 --threads 2

Dev-only, no torch. Data: the non-empty, non-heading lines of ../shared/real/wikitext-2-raw/wiki.test.raw (2,183
of them: the test split has fewer than 10,000), repeated in order until there are --lines of them, written to a
text file (the report reads the shown samples' text back from it). Model: ../shared/real/splade-tiny/model.onnx,
max length 512, seed 0. Times, in this one process: ``fm.evaluate(..., return_tokens=True, return_top5=True)``
(what ``--html`` asks for) once, then ``render_html`` --repeat times (median), and the page's size; what the records
cost: the first --overhead-lines lines evaluated plain and with the records, alternately, --repeat times each (medians).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]  # the checkout's fillmask_np, and _workload

import fillmask_np as fm  # noqa: E402
from _workload import REAL_DIR, WIKI  # noqa: E402

MODEL = REAL_DIR / "splade-tiny"


def corpus(n: int) -> tuple[list[str], int]:
    """The first ``n`` lines of the non-empty, non-heading test lines repeated in order, and how many distinct."""
    lines = [line for line in WIKI.read_text(encoding="utf-8").splitlines() if line.strip()
             and not line.startswith(" = ")]
    return [lines[i % len(lines)] for i in range(n)], len(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=50, help="worst samples shown, and as many drawn")
    parser.add_argument("--repeat", type=int, default=3, help="renders timed (median)")
    parser.add_argument("--overhead-lines", type=int, default=500)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if not WIKI.is_file() or not (MODEL / "model.onnx").is_file():
        print(f"needs {WIKI} and {MODEL}/model.onnx (../shared)", file=sys.stderr)
        return 2
    texts, distinct = corpus(args.lines)
    model, tok = fm.OnnxMaskedLM(MODEL / "model.onnx", threads=args.threads), fm.Tokenizer.from_dir(MODEL)
    with tempfile.TemporaryDirectory(prefix="fillmask-html-bench-") as tmp:
        data = Path(tmp) / "wiki.txt"
        data.write_text("\n".join(texts) + "\n", encoding="utf-8")
        first = texts[: args.overhead_lines]
        fm.evaluate(model, tok, first[:20], seed=0)  # warm-up
        spans: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(args.repeat):
            for records in (False, True):
                start = time.perf_counter()
                fm.evaluate(model, tok, first, seed=0, return_tokens=records, return_top5=records)
                spans[records].append(time.perf_counter() - start)
        plain, recorded = statistics.median(spans[False]), statistics.median(spans[True])
        start = time.perf_counter()
        report = fm.evaluate(model, tok, data, seed=0, return_tokens=True, return_top5=True)
        evaluated = time.perf_counter() - start
        times = []
        for k in range(args.repeat):
            start = time.perf_counter()
            page = fm.render_html(report, Path(tmp) / f"report{k}.html", tokenizer=tok, texts=data, model=model,
                                  samples=args.samples)
            times.append(time.perf_counter() - start)
        size = page.stat().st_size
    print(f"data: {args.lines} samples = the {distinct} non-empty, non-heading lines of wiki.test.raw repeated in "
          f"order; splade-tiny, max length {report.settings['max_length']}, seed 0")
    print(f"evaluate with per-token and top-5 records: {evaluated:.1f} s ({report.n_masked} masked tokens in "
          f"{report.n_scored_samples} samples, CE {report.cross_entropy:.6f})")
    print(f"records' cost on the first {len(first)} lines (medians of {args.repeat}): {plain:.2f} s plain, "
          f"{recorded:.2f} s with return_tokens + return_top5 ({100 * (recorded / plain - 1):+.0f} %)")
    print(f"render_html: median {statistics.median(times):.2f} s of {args.repeat} "
          f"({', '.join(f'{t:.2f}' for t in times)}), page {size} bytes ({size / 2**20:.2f} MiB), "
          f"{2 * args.samples} samples shown")
    print(f"command: python bench/html_report.py --lines {args.lines} --samples {args.samples}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
