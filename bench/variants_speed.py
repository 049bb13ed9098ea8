"""Speed of ``fillmask-np variants --strategy masked-marginals`` against a torch loop written as ESM's
``examples/variant-prediction/predict.py`` runs it, on a deep-mutational scan of one 250-residue protein.

    python bench/variants_speed.py                     # 250 residues, 3 interleaved rounds, 1 thread each
    python bench/variants_speed.py --residues 120 --rounds 2 --threads 2

Run it with the golden venv (torch + transformers; fillmask_np importable there): dev-only.

Model: the golden ESM-2 (golden_data/models/esm: hidden 64, 2 layers, 4 heads, rotary positions, 33 tokens) with
its limit raised to 1026 positions as ESM-2's own (rotary embeddings have no table to outgrow, so the weights are
the same): a copy of its folder in --cache with config.json's max_position_embeddings and tokenizer_config.json's
model_max_length changed, so that the 252-token protein is one row for every path, as in predict.py.
Protein: 250 residues drawn from the 20 amino acids by a seeded numpy Generator; the scan: all 19 substitutions at
every position (4750 mutations, ProteinGym's ``A24P`` form).

Paths, timed in this one process after a warm-up, interleaved round by round (the machine is shared):

* torch (predict.py): ``for i in range(tokens.size(1))``: a clone of the tokens with position i masked, one torch
  forward of that one row, ``log_softmax`` of its logits, row i kept; then ``label_row`` per mutation;
* fm, model.onnx, that model rewritten by ``fm.optimize_model`` into --cache at each run (LM head and last attention
  layer on the masked rows only, its query projection and rotation too, attention fused, the exporter's NaN guards
  dropped, rotate_half as one exact MatMul, the attention-mask bias skipped for unpadded batches) and the NumPy
  checkpoint (its last layer on the masked rows too):
  ``fm.score_variants(..., strategy="masked-marginals")``: one masked row per mutated position, rows batched by
  the token budget.

Every path's 4750 scores must agree with torch's within 1e-4 nats, or the script exits 1. The ratio printed is the
median seconds of torch over the median seconds of each fm path.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent)]  # the checkout's fillmask_np

import fillmask_np as fm  # noqa: E402
from _measure import interleaved  # noqa: E402

GOLDEN_ESM = BENCH.parent / "golden_data" / "models" / "esm"
AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
POSITIONS = 1026  # ESM-2's max_position_embeddings


def esm_copy(cache: Path) -> Path:
    """The golden ESM folder with its length limit raised to ESM-2's (written once into ``cache``)."""
    target = cache / "esm-1026"
    if not (target / "model.onnx").is_file():
        shutil.copytree(GOLDEN_ESM, target, dirs_exist_ok=True)
        for name, key, value in (("config.json", "max_position_embeddings", POSITIONS),
                                 ("tokenizer_config.json", "model_max_length", POSITIONS - 2)):
            record = json.loads((target / name).read_text(encoding="utf-8"))
            record[key] = value
            (target / name).write_text(json.dumps(record, indent=1), encoding="utf-8")
    return target


def scan(residues: int, seed: int = 250) -> tuple[str, list[str]]:
    """(wild type, every single substitution at every position, 1-based)."""
    rng = np.random.default_rng(seed)
    sequence = "M" + "".join(AMINO_ACIDS[i] for i in rng.integers(len(AMINO_ACIDS), size=residues - 1))
    return sequence, [f"{w}{i + 1}{a}" for i, w in enumerate(sequence) for a in AMINO_ACIDS if a != w]


def predict_py_masked_marginals(model, alphabet: dict[str, int], mask_id: int, sequence: str,
                                mutations: list[str]) -> list[float]:
    """ESM predict.py's masked-marginals: a forward per token position with it masked, then label_row."""
    import torch

    batch_tokens = torch.tensor([[alphabet["<cls>"], *[alphabet[a] for a in sequence], alphabet["<eos>"]]])
    all_token_probs = []
    for i in range(batch_tokens.size(1)):
        batch_tokens_masked = batch_tokens.clone()
        batch_tokens_masked[0, i] = mask_id
        with torch.no_grad():
            token_probs = torch.log_softmax(model(batch_tokens_masked).logits, dim=-1)
        all_token_probs.append(token_probs[:, i])  # vocab size
    token_probs = torch.cat(all_token_probs, dim=0).unsqueeze(0)
    scores = []
    for row in mutations:  # label_row
        wt, idx, mt = row[0], int(row[1:-1]) - 1, row[-1]
        assert sequence[idx] == wt, "The listed wildtype does not match the provided sequence"
        score = token_probs[0, 1 + idx, alphabet[mt]] - token_probs[0, 1 + idx, alphabet[wt]]  # add 1 for BOS
        scores.append(score.item())
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residues", type=int, default=250, help="length of the protein (default 250)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="torch and ONNX Runtime intra-op threads (default 1)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fillmask_np_variants_bench"),
                        help="where the ESM copy and its optimized model are written (default "
                             "/tmp/fillmask_np_variants_bench)")
    args = parser.parse_args(argv)
    import torch
    import transformers

    torch.set_num_threads(args.threads)
    folder = esm_copy(args.cache)
    tok = fm.Tokenizer.from_dir(folder)
    torch_model = transformers.AutoModelForMaskedLM.from_pretrained(str(folder), dtype=torch.float32).eval()
    alphabet = {token: index for index, token in
                enumerate((folder / "vocab.txt").read_text(encoding="utf-8").split())}
    onnx = fm.OnnxMaskedLM(folder / "model.onnx", threads=args.threads)
    optimized_dir = args.cache / "esm-1026-optimized"
    shutil.rmtree(optimized_dir, ignore_errors=True)  # rewritten by this checkout's optimize, every run (seconds)
    print("\n".join(fm.optimize_model(folder, optimized_dir).summary()[:-1]) + "\n")
    optimized = fm.OnnxMaskedLM(optimized_dir, threads=args.threads)
    numpy_lm = fm.NumpyMaskedLM(folder, threads=args.threads)
    sequence, mutations = scan(args.residues)
    paths = {
        "torch, ESM predict.py loop (a forward per position)":
            lambda: predict_py_masked_marginals(torch_model, alphabet, alphabet["<mask>"], sequence, mutations),
        "fm.score_variants, model.onnx":
            lambda: fm.score_variants(onnx, tok, sequence, mutations, strategy="masked-marginals").scores,
        "fm.score_variants, optimized model":
            lambda: fm.score_variants(optimized, tok, sequence, mutations, strategy="masked-marginals").scores,
        "fm.score_variants, NumPy checkpoint":
            lambda: fm.score_variants(numpy_lm, tok, sequence, mutations, strategy="masked-marginals").scores,
    }
    for run in paths.values():  # warm-up
        run()
    scores, seconds = interleaved(paths, args.rounds)
    names = list(paths)
    reference = np.array(scores[names[0]])
    worst = max(float(np.max(np.abs(np.array(v) - reference))) for v in scores.values())
    print(f"golden ESM-2 shape (hidden 64, 2 layers, 1026 positions), a {len(sequence)}-residue protein, "
          f"{len(mutations)} single substitutions (masked-marginals), {args.threads} thread(s); torch "
          f"{torch.__version__}, onnxruntime {__import__('onnxruntime').__version__}; median of {args.rounds} "
          f"interleaved rounds\n")
    print("| path | median seconds | mutations/s | speed-up over torch |")
    print("|---|---:|---:|---:|")
    base = statistics.median(seconds[names[0]])
    for name in names:
        median = statistics.median(seconds[name])
        print(f"| {name} | {median:.3f} | {len(mutations) / median:,.0f} | {base / median:.1f}x |")
    print(f"\nlargest score difference from torch: {worst:.2e} nats")
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
