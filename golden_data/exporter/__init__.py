"""The golden-data exporter run by ``golden_data/export_golden.py`` (torch + transformers, never ``fillmask_np``).

One module per job, in the order of the export steps:

* ``specs`` -- paths, sizes, tolerances, the model and case specifications, ``ExportError``;
* ``files`` -- sha256, text lines, deterministic JSON and ``.npz`` writing;
* ``tokenization`` -- a. train, save and load the WordPiece and byte-level BPE tokenizers;
* ``slow_tokenizers`` -- a. check the saved vocabulary files with slow tokenizers;
* ``models`` -- b. build the tiny masked-LM models and run torch forwards;
* ``training`` -- b. train them (single-threaded worker processes);
* ``onnx_export`` -- c. ONNX export and verification against torch;
* ``cases`` -- d. golden masking/logit/loss cases;
* ``reference`` -- e. per-sample masked-LM figures (splade-tiny on WikiText-2, tiny models on eval.txt);
* ``run`` -- f. orchestration and ``manifest.json``.

Importing the package sets the Hugging Face defaults (offline, quiet) before any module imports transformers;
spawned training workers import it too.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
