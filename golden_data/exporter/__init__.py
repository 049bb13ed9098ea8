"""The golden-data exporter run by ``golden_data/export_golden.py`` (torch + transformers, never ``fillmask_np``).

One module per job, in the order of the export steps:

* ``specs`` -- paths, sizes, tolerances, the model and case specifications, ``ExportError``;
* ``families`` -- the specifications of the further families (ALBERT, ELECTRA, XLM-R, DeBERTa-v3,
  ModernBERT, ESM-2), all models together and the ``--models`` selection;
* ``files`` -- sha256, text lines, deterministic JSON and ``.npz`` writing;
* ``tokenization`` -- a. train, save and load the tokenizers (WordPiece and byte-level BPE here, the others
  from ``unigram`` and ``protein``);
* ``unigram`` -- a. the SentencePiece-style Unigram tokenizers (ALBERT, XLM-R, DeBERTa-v3 layouts);
* ``protein`` -- a. the synthetic protein text and the ESM-2 residue tokenizer;
* ``slow_tokenizers`` -- a. check the saved vocabulary files with slow tokenizers;
* ``models`` -- b. build the tiny masked-LM models and run torch forwards;
* ``family_models`` -- b. configs, MLM heads and decoder ties of the further families;
* ``training`` -- b. train them (single-threaded worker processes);
* ``onnx_export`` -- c. ONNX export and verification against torch;
* ``stable_export`` -- c. the export of ModernBERT in a child with a fixed str-hash seed (stable node order);
* ``exported`` -- c. ``export_model``: one trained model loaded, exported and verified, returned as an
  ``ExportedModel`` (model, tokenizer, ORT session, manifest entry) that the later steps take; ``Timer``;
* ``cases`` -- d. golden masking/logit/loss cases;
* ``float64_reference`` -- d. each family's case batch in torch float64 (the exact reference) and float32's error;
* ``variants`` -- d. the export variants of bert / roberta (int32, no token types, fixed shapes, renamed and
  extra outputs, position_ids, float16, ORT-optimized), after the cases: ``variant_exports`` writes them
  (``VariantSpec``), ``variant_checks`` verifies them, ``variant_feeds`` feeds them like the library (numpy +
  ORT only, also used by ``check_golden.py``);
* ``replay`` -- d. mask manifests of eval.txt (bert, roberta) scored by the torch script of docs/fidelity.md
  (``golden_data/score_masks_torch.py``, run unchanged), checked against ``reference``;
* ``pipeline`` -- d. the ``fill_mask`` section: HF's fill-mask pipeline, multi-token target PLLs, iterative fills;
* ``pll`` -- d. pseudo-log-likelihoods (both variants) of every model on its eval text, torch, one copy per token;
* ``minimal_pairs`` -- d. the PLL of each sentence of the hand-written ``text/minimal_pairs.jsonl`` on bert and
  roberta, scored as minicons' ``MaskedLMScorer`` scores it (torch, both variants);
* ``long_inputs`` -- d. windowed (``long="window"``) pseudo-log-likelihood and evaluation of a text longer than
  the window, on bert and esm (max_length 32), torch loops written from the issue's definition;
* ``reference`` -- e. per-sample masked-LM figures (splade-tiny on WikiText-2, tiny models on eval.txt);
* ``run`` -- f. orchestration and ``manifest.json`` (``manifest_parts``: its text and tokenizer sections).

Importing the package sets the Hugging Face defaults (offline, quiet) before any module imports transformers;
spawned training workers import it too.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
