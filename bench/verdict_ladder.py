"""The verdict ladder: ``fm.compare`` of a model against converted, broken and damaged copies of itself.

    python bench/verdict_ladder.py                      # golden BERT on eval.txt + splade-tiny on WikiText-2
    python bench/verdict_ladder.py --skip-real --out /tmp/LADDER.md

Rungs, each judged by the profile ``fm.compare`` picks (``profile="auto"``: lossy when either graph holds
quantized operators, else fidelity) and, for comparison, by the other one:

* float conversions (fidelity; must PASS): the export against its checkpoint run by the NumPy backend, a copy
  of the export, a float16 copy, the float32 ORT-optimized graph (``optimize_model(src, dst)``);
* broken exports (fidelity; must be REGRESSION): the decoder bias zeroed, the last LayerNorm's weight x0.7, the
  position embeddings shifted by one, the attention mask ignored, 3 % noise on layer 0's weights
  (bench/_broken_models.py);
* int8 (lossy; PASS or AT_RISK): ``optimize_model(int8="static")`` (calibrated activation scales) and
  ``int8="dynamic"`` (per-batch activation scales);
* the feed-forward MatMul weights plus seeded Gaussian noise of 0.3 % ... 100 % of each weight's standard
  deviation (bench/_ladder_models.py), other checkpoints sharing the tokenizer (golden distilbert and electra
  against bert), the model read through its tokenizer with the non-special ids permuted.

1000 bootstrap resamples, seed 0. splade-tiny is skipped, saying so, when ../shared/real is absent. Writes --out
(default bench/LADDER.md); exits 1 when a check fails. numpy, onnx, onnxruntime only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT)]

import fillmask_np as fm  # noqa: E402
import _broken_models as bm  # noqa: E402
import _ladder_models as lm  # noqa: E402
from fillmask_np.metrics import PROFILES  # noqa: E402
from fillmask_np.metrics.criteria import SEVERITY  # noqa: E402
from fillmask_np.optimize import optimize_model  # noqa: E402
from fillmask_np.report import CompareReport  # noqa: E402

GOLDEN = ROOT / "golden_data"
REAL = ROOT.parent / "shared" / "real"
LEVELS = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)  # noise std / weight std
SHORT = {"delta_ce": "ΔCE", "mean_kl": "KL", "top1_agreement": "top-1", "top5_overlap": "top-5",
         "max_abs_logit_diff": "max |Δlogit|"}
Rung = tuple[str, str, Callable[[], Any], Callable[[], Any] | None]  # name, kind, candidate, reference (None: export)


def _load(path: Path) -> Any:
    return fm.OnnxMaskedLM(path, allow_spinning=False)


def _copy(src: Path, dst: Path) -> Path:
    """``dst``: the export's model.onnx and side files (the same model, another file)."""
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src / "model.onnx", dst / "model.onnx")
    lm.copy_side_files(src, dst)
    return dst


def _optimized(src: Path, dst: Path, **options: Any) -> Any:
    optimize_model(src, dst, **options)
    return _load(dst)


def rungs(src: Path, tok: fm.Tokenizer, work: Path, fp16: Path | None, others: dict[str, Path],
          fused: Path | None = None) -> list[Rung]:
    """(name, kind, make the candidate, make the reference or None for the export) of every rung, in order."""
    vocab = int(json.loads((src / "config.json").read_text(encoding="utf-8"))["vocab_size"])
    out: list[Rung] = [
        ("export vs its checkpoint (NumPy)", "conversion", lambda: _load(src), lambda: fm.NumpyMaskedLM(src)),
        ("a copy of the export", "conversion", lambda: _load(_copy(src, work / "copy")), None),
        ("float16", "conversion", lambda: _load(fp16 or lm.float16_copy(src, work / "fp16")), None),
        ("ORT-optimized float32", "conversion", lambda: _optimized(src, work / "optimized"), None)]
    if fused is not None:  # a graph of onnxruntime.transformers' fused operators (Attention, SkipLayerNorm, ...)
        out.append((f"ORT-fused float32 ({fused.name})", "conversion", lambda: _load(fused), None))
    for name, make in bm.BREAKS:
        out.append((name, "broken", lambda make=make, name=name: _load(make(src, work / name.replace(" ", "_"),
                                                                             vocab)), None))
    for mode in ("static", "dynamic"):
        out.append((f"int8 {mode}", "int8", lambda mode=mode: _optimized(src, work / f"int8_{mode}", int8=mode), None))
    for level in LEVELS:
        def noisy(level: float = level) -> Any:
            lm.perturb_feed_forward(src, work / f"noise{level}", level, seed=0)
            return _load(work / f"noise{level}")
        out.append((f"FF noise {100 * level:g} %", "noise", noisy, None))
    for name, path in others.items():
        out.append((f"checkpoint {name}", "checkpoint", lambda path=path: _load(path), None))

    def wrong() -> Any:
        wrong_tok = fm.Tokenizer.from_dir(lm.permuted_tokenizer(src, work / "wrong_tokenizer", seed=0))
        return lm.PermutedIds(_load(_copy(src, work / "wrong_copy")), lm.id_map(tok, wrong_tok))

    out.append(("wrong tokenizer (ids permuted)", "tokenizer", wrong, None))
    return out


def rejudged(report: Any, profile: str) -> str:
    """The verdict the same figures get under ``profile``."""
    return CompareReport.from_totals(report.totals, report.candidate, report.reference,
                                     bootstrap=report.settings["bootstrap"], bootstrap_seed=0,
                                     thresholds=PROFILES[profile], settings=report.settings,
                                     provenance=report.provenance).verdict


def section(title: str, src: Path, texts: Any, data: str, *, fp16: Path | None, others: dict[str, Path],
            bootstrap: int, fused: Path | None = None) -> dict[str, Any]:
    """Run every rung of one model; returns the rows and the checks."""
    tok, export, rows = fm.Tokenizer.from_dir(src), _load(src), []
    with tempfile.TemporaryDirectory() as tmp:
        for name, kind, make, make_reference in rungs(src, tok, Path(tmp), fp16, others, fused):
            start = time.perf_counter()
            r = fm.compare(make(), export if make_reference is None else make_reference(), tok, texts,
                           bootstrap=bootstrap, bootstrap_seed=0, progress=False)
            other = "lossy" if r.profile["name"] == "fidelity" else "fidelity"
            rows.append({"name": name, "kind": kind, "report": r, "other": (other, rejudged(r, other)),
                         "seconds": time.perf_counter() - start})
            print(f"  {name:<36} {r.profile['name']:<8} {r.verdict:<10} (under {other}: {rows[-1]['other'][1]}) "
                  f"max |Δlogit| {r.max_abs_logit_diff:.3g}, KL {r.mean_kl:.3g}, top-1 "
                  f"{100 * r.top1_agreement:.1f} %  ({rows[-1]['seconds']:.0f} s)", flush=True)
    return {"title": title, "data": data, "rows": rows, "checks": checks(rows)}


def checks(rows: list[dict[str, Any]]) -> list[tuple[bool, str]]:
    """The ladder's claims, each (holds, statement)."""
    by_kind = {k: [r for r in rows if r["kind"] == k] for k in ("conversion", "broken", "int8", "noise",
                                                               "checkpoint", "tokenizer")}

    def named(kind: str) -> str:
        return ", ".join(f"{r['name']} {r['report'].profile['name']} {r['report'].verdict}" for r in by_kind[kind])

    noise = [SEVERITY.index(r["report"].verdict) for r in by_kind["noise"]]
    out = [(all(r["report"].profile["name"] == "fidelity" and r["report"].verdict == "PASS"
                for r in by_kind["conversion"]), "float conversions PASS under fidelity: " + named("conversion")),
           (all(r["report"].profile["name"] == "fidelity" and r["report"].verdict == "REGRESSION"
                for r in by_kind["broken"]), "broken exports are REGRESSION under fidelity: " + named("broken")),
           (all(r["report"].profile["name"] == "lossy" and r["report"].verdict in ("PASS", "AT_RISK")
                for r in by_kind["int8"]), "int8 judged by the lossy profile, PASS or AT_RISK: " + named("int8")),
           (noise == sorted(noise), "verdict non-decreasing along the noise levels"),
           (bool(noise) and noise[-1] == 2, "the largest noise level is a REGRESSION"),
           (all(r["report"].verdict == "REGRESSION" for r in by_kind["tokenizer"]),
            "the wrong tokenizer is a REGRESSION")]
    out += [(r["report"].verdict != "PASS", f"{r['name']} is flagged") for r in by_kind["checkpoint"]]
    return out


def table(sec: dict[str, Any]) -> list[str]:
    """The markdown lines of one section."""
    ref = sec["rows"][1]["report"]  # a copy of the export against the export
    lines = [f"### {sec['title']}", "", f"Data: {sec['data']}; {ref.n_masked} masked tokens (per-sample masking, "
             f"seed 0, p 0.15); CE(reference) {ref.reference.cross_entropy:.6f} nats.", "",
             "| rung | profile | ΔCE rel. | ΔCE rel. upper | KL (nats) | top-1 agreement | top-5 overlap | "
             "max \\|Δlogit\\| | verdict | decided by | other profile |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in sec["rows"]:
        r = row["report"]
        decided = ", ".join(SHORT[c["name"]] for c in r.criteria if c["status"] == r.verdict)
        upper = r.delta_ci95[1] / r.reference.cross_entropy
        lines.append(f"| {row['name']} | {r.profile['name']} | {100 * r.relative_delta:+.3f} % | "
                     f"{100 * upper:+.3f} % | {r.mean_kl:.2e} | {100 * r.top1_agreement:.2f} % | "
                     f"{100 * r.top5_overlap:.2f} % | {r.max_abs_logit_diff:.3g} | **{r.verdict}** | "
                     f"{decided if r.verdict != 'PASS' else 'all within'} | {row['other'][0]}: {row['other'][1]} |")
    lines += ["", "Checks:", ""] + [f"* {'OK' if ok else 'FAILED'}: {text}" for ok, text in sec["checks"]] + [""]
    return lines


def _bounds(name: str) -> list[str]:
    t = PROFILES[name]
    logit = ("not judged" if t.max_logit_at_risk is None else
             f"AT_RISK above {t.max_logit_at_risk:g}, REGRESSION above {t.max_logit_regression:g}")
    return [f"* relative ΔCE at the upper end of the paired bootstrap 95 % interval: AT_RISK above "
            f"{100 * t.at_risk:g} %, REGRESSION above {100 * t.regression:g} %",
            f"* mean KL(reference || candidate): AT_RISK above {t.kl_at_risk:g}, REGRESSION above "
            f"{t.kl_regression:g} nats per masked token",
            f"* top-1 agreement: AT_RISK below {100 * t.agreement_at_risk:g} %, REGRESSION below "
            f"{100 * t.agreement_regression:g} %",
            f"* top-5 overlap: AT_RISK below {100 * t.top5_at_risk:g} %, REGRESSION below "
            f"{100 * t.top5_regression:g} %", f"* largest |Δlogit|: {logit}"]


def markdown(sections: list[dict[str, Any]], notes: list[str], command: str) -> str:
    """LADDER.md: both profiles' thresholds, each section's table and checks, the notes."""
    head = ["# Verdict ladder", "", f"Made by `{command}` (fillmask_np {fm.__version__}, onnxruntime "
            f"{__import__('onnxruntime').__version__}, onnx {__import__('onnx').__version__}).", "",
            "Each rung is judged by the profile `fm.compare` picks (`profile=\"auto\"`: *lossy* when either ONNX "
            "graph holds quantized operators, else *fidelity*); the last column is the verdict the same figures "
            "get under the other profile. PASS only when every criterion is within its AT_RISK threshold, "
            "REGRESSION when any is beyond its REGRESSION threshold, else AT_RISK (inclusive).", "",
            "Fidelity (`metrics.FIDELITY`: a float32/float16 conversion against its source; bounds from the float "
            "noise measured in `fillmask_np/metrics/profiles.py`):", "", *_bounds("fidelity"), "",
            "Lossy (`metrics.LOSSY`, `Thresholds()`: int8 and other approximations):", "", *_bounds("lossy"), ""]
    body = [line for sec in sections for line in table(sec)]
    return "\n".join(head + body + ["Notes:", ""] + [f"* {n}" for n in notes]) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=str(BENCH / "LADDER.md"), help="markdown output (default bench/LADDER.md)")
    p.add_argument("--lines", type=int, default=300, help="WikiText-2 test lines for splade-tiny (default 300)")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--skip-real", action="store_true", help="golden BERT only")
    args = p.parse_args(argv)
    notes = ["FF noise x %: `w + x/100 * std(w) * N(0, 1)` on each feed-forward MatMul weight (the non-square "
             "ones: up and down projection of every layer), `numpy.random.default_rng([0, i])` for the i-th "
             "(bench/_ladder_models.py); attention, embeddings and the head are untouched.",
             "wrong tokenizer: the model fed the ids of its tokenizer.json with the non-special ids permuted "
             "(seed 0), its logits read back in the right ids, on the reference's masks. The CLI refuses such a "
             "candidate outright when its tokenizer files differ (exit 2); this rung is what the verdict says "
             "when the tokenizer mix-up is not caught earlier.",
             "ΔCE rel. upper is the ΔCE criterion's value: the upper end of the 95 % interval over CE(reference). "
             "decided by: the criteria at the verdict's status."]
    notes.append("int8 static: `optimize_model(int8=\"static\")` (the `--int8` default: activation scales "
                 "calibrated on the bundled text); int8 dynamic: `optimize_model(int8=\"dynamic\")` (activation "
                 "scales per batch). Broken exports: bench/_broken_models.py (one ONNX graph edit each).")
    models = GOLDEN / "models"
    print("golden BERT on golden_data/text/eval.txt", flush=True)
    sections = [section("Golden BERT (hidden 64, 2 layers, vocabulary 1000)", models / "bert",
                        str(GOLDEN / "text" / "eval.txt"), "golden_data/text/eval.txt (all 156 lines)",
                        fp16=GOLDEN / "variants" / "bert_fp16", fused=GOLDEN / "variants" / "bert_ort_optimized",
                        bootstrap=args.bootstrap,
                        others={"distilbert": models / "distilbert", "electra": models / "electra"})]
    splade, wiki = REAL / "splade-tiny", REAL / "wikitext-2-raw" / "wiki.test.raw"
    if args.skip_real:
        notes.append("splade-tiny: skipped (--skip-real).")
    elif not (splade.is_dir() and wiki.is_file()):
        print(f"splade-tiny skipped: {splade} or {wiki} is absent (../shared/real not mounted)", flush=True)
        notes.append(f"splade-tiny: skipped, {REAL} is absent.")
    else:
        from _workload import real_lines

        print(f"splade-tiny on the first {args.lines} WikiText-2 test lines", flush=True)
        sections.append(section("splade-tiny (hidden 128, 2 layers, vocabulary 30522)", splade,
                                real_lines(args.lines), f"the first {args.lines} non-heading, non-empty lines of "
                                f"WikiText-2 raw test", fp16=None, others={}, bootstrap=args.bootstrap))
    command = "python bench/verdict_ladder.py" + ("" if argv is None else " " + " ".join(argv))
    if argv is None and len(sys.argv) > 1:
        command += " " + " ".join(sys.argv[1:])
    Path(args.out).write_text(markdown(sections, notes, command), encoding="utf-8")
    failed = [text for sec in sections for ok, text in sec["checks"] if not ok]
    print(f"wrote {args.out}; " + (f"FAILED: {'; '.join(failed)}" if failed else "every check holds"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
