# Score a fillmask_np mask manifest with PyTorch: python score_masks_torch.py MODEL_DIR masks.npz reference.npz
import hashlib
import sys
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForMaskedLM

model_dir, masks_path, reference_path = sys.argv[1:4]
with np.load(masks_path, allow_pickle=False) as npz:
    masks = dict(npz)  # input_ids, attention_mask, labels: [N, L] int64 (+ header)
model = AutoModelForMaskedLM.from_pretrained(model_dir).eval()
logits, labels = [], []
with torch.no_grad():
    for start in range(0, len(masks["input_ids"]), 16):
        ids, attention, target = (torch.from_numpy(masks[key][start : start + 16])
                                  for key in ("input_ids", "attention_mask", "labels"))
        logits.append(model(input_ids=ids, attention_mask=attention).logits[target != -100])  # [m, V]
        labels.append(target[target != -100])  # [m]
logits, labels = torch.cat(logits), torch.cat(labels)
cross_entropy = torch.nn.functional.cross_entropy(logits.double(), labels)
np.savez(reference_path, logits=logits.numpy(), labels=labels.numpy(), cross_entropy=cross_entropy.numpy(),
         masks_sha256=hashlib.sha256(Path(masks_path).read_bytes()).hexdigest(), torch_version=torch.__version__)
