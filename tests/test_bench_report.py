"""bench/_report.py formats the benchmark table from fake numbers (no timing, no torch)."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("bench_report", Path(__file__).parent.parent / "bench" / "_report.py")
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)


def _row(path, kind, seconds, ce, rss):
    return dict(section="synthetic", model="bert-mini", shape="8x128", path=path, kind=kind, tokens=1024,
                seconds=dict(median=seconds, min=seconds * 0.9, max=seconds * 1.2, n=3), flops=33e9, rss_mib=rss,
                ce=ce, loss_s=None)


def test_table_ratios_and_ce_checks():
    rows = [_row("torch", "torch", 2.0, 10.0, 600.0), _row("fm", "fp32", 1.0, 10.00001, 300.0),
            _row("bad", "fp32", 1.0, 10.01, 300.0), _row("q", "int8", 0.5, 10.05, 150.0),
            dict(section="synthetic", model="bert-mini", shape="8x128", path="opt", kind="fp32", skipped="not yet")]
    table = report.format_table(rows, peak_gflops=330.0)
    lines = table.splitlines()
    assert len(lines) == 2 + len(rows)
    expected = ("| bert-mini | 8x128 | fm | 1,024 [853–1,138] | 2.00x | 300 (0.50x) | 33.0 (10%) "
                "| 10.000010 (+1.0e-06) |")
    assert expected in lines
    assert "MISMATCH" in lines[4] and "MISMATCH" not in lines[5]  # fp32 beyond 1e-5 fails; int8 is only reported
    assert "skipped: not yet" in lines[6]
    assert report.ce_check(rows, rows[1])[1] is True
    assert report.ce_check(rows, rows[2])[1] is False
