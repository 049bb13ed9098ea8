"""The verdict ladder: ``fm.compare`` of a model against damaged copies of itself, damage growing rung by rung.

    python bench/verdict_ladder.py                      # golden BERT on eval.txt + splade-tiny on WikiText-2
    python bench/verdict_ladder.py --skip-real --out /tmp/LADDER.md

Rungs: the same model; a float16 export; int8 dynamic quantization (``optimize_model(int8=True)``); the
feed-forward MatMul weights plus seeded Gaussian noise of 0.3 % ... 100 % of each weight's standard
deviation (bench/_ladder_models.py); other checkpoints sharing the tokenizer (golden distilbert and electra
against bert); the model read through its tokenizer with the non-special ids permuted. Every rung runs with
the library's default thresholds (``fm.compare`` defaults, ``metrics.Thresholds``), 1000 bootstrap
resamples, seed 0. splade-tiny is skipped, saying so, when ../shared/real is absent. Writes --out
(default bench/LADDER.md); exits 1 when a check of the ladder's order fails. numpy, onnx, onnxruntime only.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT)]

import fillmask_np as fm  # noqa: E402
import _ladder_models as lm  # noqa: E402
from fillmask_np.metrics import DEFAULT_THRESHOLDS, SEVERITY  # noqa: E402
from fillmask_np.optimize import optimize_model  # noqa: E402

GOLDEN = ROOT / "golden_data"
REAL = ROOT.parent / "shared" / "real"
LEVELS = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)  # noise std / weight std
SHORT = {"delta_ce": "ΔCE", "mean_kl": "KL", "top1_agreement": "top-1", "top5_overlap": "top-5"}


def _load(path: Path) -> Any:
    return fm.OnnxMaskedLM(path, allow_spinning=False)


def rungs(src: Path, tok: fm.Tokenizer, work: Path, fp16: Path | None,
          others: dict[str, Path]) -> list[tuple[str, str, Callable[[], Any]]]:
    """(name, kind, make the candidate) of every rung, in order of growing damage within each kind."""
    out: list[tuple[str, str, Callable[[], Any]]] = [("same model", "same", lambda: _load(src))]
    out.append(("float16", "fp16", lambda: _load(fp16 or lm.float16_copy(src, work / "fp16"))))

    def int8() -> Any:
        optimize_model(src, work / "int8", int8=True)
        return _load(work / "int8")

    out.append(("int8 dynamic", "int8", int8))
    for level in LEVELS:
        def noisy(level: float = level) -> Any:
            lm.perturb_feed_forward(src, work / f"noise{level}", level, seed=0)
            return _load(work / f"noise{level}")
        out.append((f"FF noise {100 * level:g} %", "noise", noisy))
    for name, path in others.items():
        out.append((f"checkpoint {name}", "checkpoint", lambda path=path: _load(path)))

    def wrong() -> Any:
        wrong_tok = fm.Tokenizer.from_dir(lm.permuted_tokenizer(src, work / "wrong_tokenizer", seed=0))
        return lm.PermutedIds(_load(src), lm.id_map(tok, wrong_tok))

    out.append(("wrong tokenizer (ids permuted)", "tokenizer", wrong))
    return out


def section(title: str, src: Path, texts: Any, data: str, *, fp16: Path | None, others: dict[str, Path],
            bootstrap: int) -> dict[str, Any]:
    """Run every rung of one model; returns the rows and the checks of their order."""
    tok, reference, rows = fm.Tokenizer.from_dir(src), _load(src), []
    with tempfile.TemporaryDirectory() as tmp:
        for name, kind, make in rungs(src, tok, Path(tmp), fp16, others):
            start = time.perf_counter()
            r = fm.compare(make(), reference, tok, texts, bootstrap=bootstrap, bootstrap_seed=0, progress=False)
            rows.append({"name": name, "kind": kind, "report": r, "seconds": time.perf_counter() - start})
            print(f"  {name:<32} {r.verdict:<10} KL {r.mean_kl:.4g}, top-1 {100 * r.top1_agreement:.1f} %, "
                  f"ΔCE {100 * r.relative_delta:+.3f} %  ({rows[-1]['seconds']:.0f} s)", flush=True)
    return {"title": title, "data": data, "rows": rows, "checks": checks(rows)}


def checks(rows: list[dict[str, Any]]) -> list[tuple[bool, str]]:
    """The ladder's claims, each (holds, statement)."""
    level = {r["name"]: SEVERITY.index(r["report"].verdict) for r in rows}
    by_kind = {k: [r for r in rows if r["kind"] == k] for k in ("same", "fp16", "int8", "noise", "checkpoint",
                                                               "tokenizer")}
    chain = [SEVERITY.index(r["report"].verdict) for k in ("same", "fp16", "int8", "noise", "tokenizer")
             for r in by_kind[k]]
    first = next((r["name"] for r in by_kind["noise"] if r["report"].verdict != "PASS"), None)
    out = [(all(level[r["name"]] == 0 for r in by_kind["same"] + by_kind["fp16"]), "same model and float16 PASS"),
           (all(level[r["name"]] <= 1 for r in by_kind["int8"]),
            "int8 dynamic PASS or AT_RISK: " + ", ".join(r["report"].verdict for r in by_kind["int8"])),
           (chain == sorted(chain), "verdict non-decreasing along same < float16 < int8 < noise levels < wrong "
                                    "tokenizer"),
           (first is not None, f"perturbed models flagged from {first or 'no level'} up"),
           (by_kind["noise"][-1]["report"].verdict == "REGRESSION", "the largest noise level is a REGRESSION"),
           (all(level[r["name"]] == 2 for r in by_kind["tokenizer"]), "the wrong tokenizer is a REGRESSION")]
    out += [(level[r["name"]] > 0, f"{r['name']} is flagged") for r in by_kind["checkpoint"]]
    return out


def table(sec: dict[str, Any]) -> list[str]:
    """The markdown lines of one section."""
    ref = sec["rows"][0]["report"]
    lines = [f"### {sec['title']}", "", f"Data: {sec['data']}; {ref.n_masked} masked tokens (per-sample masking, "
             f"seed 0, p 0.15); CE(reference) {ref.reference.cross_entropy:.6f} nats.", "",
             "| rung | ΔCE (nats) | 95 % CI (nats) | ΔCE rel. | ΔCE rel. upper | KL (nats) | top-1 agreement | "
             "top-5 overlap | verdict | decided by |", "|---|---|---|---|---|---|---|---|---|---|"]
    for row in sec["rows"]:
        r = row["report"]
        low, high = r.delta_ci95
        decided = ", ".join(SHORT[c["name"]] for c in r.criteria if c["status"] == r.verdict)
        upper = high / r.reference.cross_entropy
        lines.append(f"| {row['name']} | {r.delta_cross_entropy:+.2e} | [{low:+.2e}, {high:+.2e}] | "
                     f"{100 * r.relative_delta:+.3f} % | {100 * upper:+.3f} % | {r.mean_kl:.2e} | "
                     f"{100 * r.top1_agreement:.2f} % | {100 * r.top5_overlap:.2f} % | **{r.verdict}** | "
                     f"{decided if r.verdict != 'PASS' else 'all within'} |")
    lines += ["", "Checks:", ""] + [f"* {'OK' if ok else 'FAILED'}: {text}" for ok, text in sec["checks"]] + [""]
    return lines


def markdown(sections: list[dict[str, Any]], notes: list[str], command: str) -> str:
    """LADDER.md: the thresholds, each section's table and checks, the notes."""
    t = DEFAULT_THRESHOLDS
    head = ["# Verdict ladder", "", f"Made by `{command}` (fillmask_np {fm.__version__}, onnxruntime "
            f"{__import__('onnxruntime').__version__}, onnx {__import__('onnx').__version__}).", "",
            "Default thresholds (`metrics.Thresholds`; PASS only when every criterion is within its AT_RISK "
            "threshold, REGRESSION when any is beyond its REGRESSION threshold, else AT_RISK; inclusive):", "",
            f"* relative ΔCE at the upper end of the paired bootstrap 95 % interval: AT_RISK above "
            f"{100 * t.at_risk:g} %, REGRESSION above {100 * t.regression:g} %",
            f"* mean KL(reference || candidate): AT_RISK above {t.kl_at_risk:g}, REGRESSION above "
            f"{t.kl_regression:g} nats per masked token",
            f"* top-1 agreement: AT_RISK below {100 * t.agreement_at_risk:g} %, REGRESSION below "
            f"{100 * t.agreement_regression:g} %",
            f"* top-5 overlap: AT_RISK below {100 * t.top5_at_risk:g} %, REGRESSION below "
            f"{100 * t.top5_regression:g} %", ""]
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
    if "static" not in inspect.signature(optimize_model).parameters:
        notes.append("static int8 quantization: not measured, `optimize_model` has no static option yet.")
    models = GOLDEN / "models"
    print("golden BERT on golden_data/text/eval.txt", flush=True)
    sections = [section("Golden BERT (hidden 64, 2 layers, vocabulary 1000)", models / "bert",
                        str(GOLDEN / "text" / "eval.txt"), "golden_data/text/eval.txt (all 156 lines)",
                        fp16=GOLDEN / "variants" / "bert_fp16", bootstrap=args.bootstrap,
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
