"""Measure fillmask_np against every golden case: logits, loss and per-token loss errors vs torch.

    python bench/golden_errors.py

Prints one row per case (max |ORT - torch| logit on non-padding positions, relative CE error on
torch's and on ORT's logits, max per-token loss error, masks identical). Dev-only; not a test.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import fillmask_np as fm
from support_table import case_masks_identical

GOLDEN = Path(__file__).resolve().parent.parent / "golden_data"


def main() -> None:
    manifest = json.loads((GOLDEN / "manifest.json").read_text())
    print("| case | shape | masked | masks identical | max abs logit err | CE rel err (torch logits) "
          "| CE rel err (ORT logits) | max per-token err (ORT) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, spec in sorted(manifest["cases"].items()):
        model_spec = manifest["models"][spec["model"]]
        with np.load(GOLDEN / spec["file"], allow_pickle=False) as npz:
            case = {k: npz[k] for k in npz.files}
        model = fm.OnnxMaskedLM(GOLDEN / model_spec["dir"])
        same = case_masks_identical(spec, model_spec)
        labels = case["labels"]
        logits = model(case["masked_input_ids"], case["attention_mask"], case.get("token_type_ids"))
        real = case["attention_mask"] == 1
        logit_err = float(np.abs(logits[real] - case["logits"][real]).max())
        torch_loss = float(case["loss"])
        rel_torch = abs(fm.cross_entropy(case["logits"], case["labels"]) - torch_loss) / torch_loss
        rel_ort = abs(fm.cross_entropy(logits, case["labels"]) - torch_loss) / torch_loss
        per_token = fm.cross_entropy(logits, case["labels"], reduction="none").reshape(-1)
        token_err = float(np.abs(per_token - case["per_token_loss"]).max())
        print(f"| {name} | {case['input_ids'].shape} | {int((labels != -100).sum())} | {same} | {logit_err:.1e} "
              f"| {rel_torch:.1e} | {rel_ort:.1e} | {token_err:.1e} |")


if __name__ == "__main__":
    main()
