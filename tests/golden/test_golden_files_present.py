"""Every golden section and file a test reads is present: a missing one fails here, never skips a test elsewhere.

The golden tests parametrize over the manifest's sections (an empty section would collect no test; setup.cfg's
``empty_parameter_set_mark = fail_at_collect`` makes that an error too) and open the files those sections name.
Each such file must exist and be listed in ``manifest["files"]``, so that its sha256 is checked.
"""

from __future__ import annotations

import hashlib

import pytest

from helpers import GOLDEN, load_manifest

MANIFEST = load_manifest()
# Sections the tests read, each non-empty.
SECTIONS = ("cases", "models", "pll", "pairs", "fill_mask", "generate", "replay", "variants", "text", "tokenizers",
            "tolerances", "files", "versions", "splade_wikitext_200", "float64", "protein_variants", "long_inputs")
# The models, variants and tolerances tests name explicitly.
MODELS = {"albert", "bert", "deberta_v2", "distilbert", "electra", "esm", "modernbert", "roberta", "xlm_roberta"}
GENERATE_MODELS = {"bert", "roberta", "esm"}
REPLAY_MODELS = {"bert", "roberta"}
PAIRS_MODELS = {"bert", "roberta"}
PROTEIN_VARIANTS = {"models", "mutations", "wild_type", "window", "offset", "tolerances"}
LONG_INPUT_MODELS = {"bert", "esm"}
VARIANTS = {"bert_fixed_1x128", "bert_fixed_4x64", "bert_fp16", "bert_int32", "bert_no_token_type_ids",
            "bert_ort_optimized", "bert_position_ids", "bert_renamed_extra_outputs", "roberta_position_ids"}
TOLERANCES = {"loss_rtol_ort_logits", "loss_rtol_torch_logits", "ort_logits_atol", "float64_logits_rtol"}
MODEL_FILES = ("config.json", "model.onnx", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
VARIANT_FILES = ("config.json", "model.onnx")
SLOW_TOKENIZER_FILES = {"wordpiece": ("vocab.txt",)}  # by tokenizer_kind; and RoBERTa's vocab.json + merges.txt
TEXTS = ("text/eval.txt", "text/protein_eval.txt")


def files_read_by_tests() -> list[str]:
    """The golden files (relative to golden_data/) the tests open, as the manifest's sections name them."""
    m = MANIFEST
    files = [spec["file"] for spec in m.get("cases", {}).values()]
    files += [name for spec in m.get("pll", {}).values() for name in (spec["file"], spec["text_file"])]
    files += [spec["file"] for spec in m.get("generate", {}).values()]
    files += [spec["file"] for spec in m.get("float64", {}).get("families", {}).values()]
    files += [name for spec in m.get("pairs", {}).values() for name in (spec["file"], spec["text_file"])]
    files += [spec["file"] for spec in m.get("protein_variants", {}).get("models", {}).values()]
    files += [spec["file"] for spec in m.get("long_inputs", {}).values()]
    files += [name for spec in m.get("replay", {}).values() for name in (spec["masks"], spec["reference"])]
    files += [f"{spec['dir']}/{name}" for spec in m.get("models", {}).values() for name in MODEL_FILES]
    files += [f"{spec['dir']}/{name}" for spec in m.get("models", {}).values()
              for name in SLOW_TOKENIZER_FILES.get(spec["tokenizer_kind"], ())]
    roberta = m.get("models", {}).get("roberta", {}).get("dir", "models/roberta")
    files += [f"{roberta}/vocab.json", f"{roberta}/merges.txt"]
    files += [f"{spec['dir']}/{name}" for spec in m.get("variants", {}).values() for name in VARIANT_FILES]
    return sorted(set(files) | set(TEXTS))


@pytest.mark.parametrize("section", SECTIONS)
def test_every_section_the_tests_read_is_in_the_manifest_and_not_empty(section):
    assert MANIFEST.get(section), f"golden_data/manifest.json has no {section!r} section: re-run the exporter"


@pytest.mark.parametrize(("section", "names"), [("models", MODELS), ("pll", MODELS), ("fill_mask", MODELS),
                                                ("generate", GENERATE_MODELS), ("replay", REPLAY_MODELS),
                                                ("pairs", PAIRS_MODELS), ("long_inputs", LONG_INPUT_MODELS),
                                                ("protein_variants", PROTEIN_VARIANTS),
                                                ("variants", VARIANTS), ("tolerances", TOLERANCES)])
def test_each_section_holds_every_entry_a_test_names(section, names):
    assert names <= set(MANIFEST.get(section, {})), sorted(names - set(MANIFEST.get(section, {})))


def test_every_file_the_tests_read_exists():
    missing = [relative for relative in files_read_by_tests() if not (GOLDEN / relative).is_file()]
    assert not missing, f"missing under {GOLDEN}: {missing}; re-run the exporter"


def test_every_file_the_tests_read_has_its_sha256_checked():
    unlisted = [relative for relative in files_read_by_tests() if relative not in MANIFEST["files"]]
    assert not unlisted, f"not in the manifest's files, so no sha256 is checked: {unlisted}"


def test_every_golden_file_matches_its_manifest_sha256():
    for relative, digest in MANIFEST["files"].items():
        assert hashlib.sha256((GOLDEN / relative).read_bytes()).hexdigest() == digest, relative


def test_the_float64_reference_covers_every_family():
    m = MANIFEST  # its family names only, no torch figure
    assert set(m.get("float64", {}).get("families", {})) == MODELS
