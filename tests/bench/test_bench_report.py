"""bench/_report.py formats the benchmark table from fake numbers (no timing, no torch)."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))  # _report imports its sibling _summary


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


report = _load("_report")
summary = _load("_summary")
perf_table = _load("perf_table")


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


def _targets_rows():
    paths = [p for _, p, _ in summary.SPEED_ROWS]
    rows = []
    for model, torch_s in (("bert-base", 8.0), ("bert-mini", 1.0)):
        rows.append(dict(_row("torch", "torch", torch_s, 10.0, 1000.0), model=model))
        for path, speed in zip(paths, (2.0, 4.0, 10.0)):
            rows.append(dict(_row(path, "fp32", torch_s / speed, 10.0, 400.0), model=model, loss_s=0.01))
    return rows


def test_targets_summary_reports_each_ratio_and_whether_it_met_its_target():
    text = summary.summary(_targets_rows(), {"peak_gflops": 330.0})
    lines = text.splitlines()
    assert lines[2] == ("| default, exact fp32 model | 2.00x (met; target >= 1.6x) | 2.00x (missed; target >= 6x) |")
    assert "| optimized int8 | 10.00x (met; target >= 4.5x) | 10.00x (missed; target >= 12x) |" in lines
    assert "0.40x–0.40x (met; target <= 0.5x)" in lines[5]
    assert "| NumPy loss share of wall time, optimized mini path | | 4.0% (met; target <= 10%) |" in lines


def test_targets_summary_says_not_measured_for_a_skipped_model():
    rows = [r for r in _targets_rows() if r["model"] != "bert-base"]
    assert "| default, exact fp32 model | not measured |" in summary.summary(rows, {})


def test_the_docs_performance_page_table_is_the_one_in_results_md():
    if not perf_table.RESULTS.is_file():
        pytest.fail("bench/RESULTS.md is missing; run python bench/run.py")
    assert perf_table.main(["--check"]) == 0, "run python bench/perf_table.py --write"


def _numpy_rows():
    """bert-mini with ONNX Runtime default at 1 s and the NumPy backend on both kernel sets: 2 s and 1.6 s."""
    default = summary.SPEED_ROWS[0][1]
    haswell = dict(arch="Haswell", how="OPENBLAS_CORETYPE=Haswell", text="openblas Haswell kernels")
    own = dict(arch="SkylakeX", how="OpenBLAS's own choice", text="openblas SkylakeX kernels")
    return [_row("torch", "torch", 4.0, 10.0, 1000.0), _row(default, "fp32", 1.0, 10.0, 400.0),
            dict(_row(summary.NUMPY, "fp32", 2.0, 10.0, 100.0), kernels=haswell),
            dict(_row(summary.NUMPY_OWN, "fp32", 1.6, 10.0, 100.0), kernels=own)]


def test_the_numpy_backend_rows_name_each_kernel_set_and_compare_them():
    lines = summary.summary(_numpy_rows(), {"checkpoints": {"bert-mini": 45e6}}).splitlines()
    assert ("| NumPy backend on Haswell kernels (OPENBLAS_CORETYPE=Haswell) vs ONNX Runtime default (fp32 export) "
            "| not measured | 0.50x (missed; target >= 1.5x) |") in lines
    assert ("| NumPy backend on SkylakeX kernels (OpenBLAS's own choice) vs ONNX Runtime default (fp32 export) "
            "| not measured | 0.62x (missed; target >= 1.5x) |") in lines
    assert ("| NumPy backend on SkylakeX kernels (OpenBLAS's own choice) / NumPy backend on Haswell kernels "
            "(OPENBLAS_CORETYPE=Haswell) speed | not measured | 1.25x |") in lines
    rss = [line for line in lines if "peak RSS vs checkpoint size" in line]
    assert len(rss) == 2 and all("+60 MB (met" in line for line in rss)  # 100 MiB = 104.9 MB


def test_without_the_second_kernel_set_the_numpy_rows_keep_their_labels():
    rows = [dict(r, kernels=None) for r in _numpy_rows() if r["path"] != summary.NUMPY_OWN]
    text = summary.summary(rows, {})
    assert "| NumPy backend vs ONNX Runtime default (fp32 export) | not measured | 0.50x" in text
    assert "own choice" not in text and " speed |" not in text


def test_the_summary_names_the_numpy_paths_as_run_py_labels_them():
    cases = importlib.import_module("_cases")  # by its name: its dataclass needs its module registered
    assert cases.PATH_LABELS["numpy"] == summary.NUMPY and cases.PATH_LABELS["numpy-own"] == summary.NUMPY_OWN


def test_the_own_kernels_worker_runs_the_same_batches_without_openblas_coretype(tmp_path):
    from helpers.safetensors_files import tiny_bert

    kernels, paths, workload = (importlib.import_module(name) for name in ("_kernels", "_paths", "_workload"))
    tiny_bert(tmp_path, vocab=workload.VOCAB, positions=128)
    env = kernels.env_for(kernels.OWN)
    assert kernels.FORCED not in env and kernels.env_for("numpy") is None
    batches = workload.synthetic_batches(2, 128, 2, 0)
    here = paths.NumpyPath(tmp_path)(batches)
    worker = kernels.WorkerPath(BENCH / "run.py", {"kind": "numpy", "onnx": str(tmp_path / "model.safetensors")}, env)
    try:
        there = worker(batches)
    finally:
        worker.close()
    assert worker.kernels["how"] == "OpenBLAS's own choice" and worker.proc.returncode == 0
    assert there.n_masked == here.n_masked == sum(b.n_masked for b in batches)
    assert there.ce == pytest.approx(here.ce, rel=1e-5) and there.seconds > 0
