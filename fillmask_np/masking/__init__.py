"""Masking: HF-collator-identical ``mask_tokens``, the masked batches of a corpus, mask manifests and their
replay, and the masked copies that pseudo-log-likelihood scores."""

from __future__ import annotations

from .batches import MaskedBatch
from .collator import IGNORE_INDEX, mask_tokens, sample_rng, validate_probabilities, validate_seed
from .copies import VARIANTS, CopyBatch, Sample, check_variant, mask_matrix, pack
from .corpus import masked_batches, replay_config, sample_batches, settings_of
from .manifest import ARRAY_KEYS, FORMAT, HEADER_KEYS, MaskManifest, load_masks, manifest_header, save_masks
from .replay import MaskRecorder, ReplayMasker
from .windows import LONG_MODES, Window, Windowing, check_long, owner_windows, window_starts, windowing

__all__ = ["ARRAY_KEYS", "CopyBatch", "LONG_MODES", "Window", "Windowing", "check_long", "owner_windows",
           "window_starts", "windowing", "FORMAT", "HEADER_KEYS", "IGNORE_INDEX", "MaskManifest", "MaskRecorder",
           "MaskedBatch", "ReplayMasker", "Sample", "VARIANTS", "check_variant", "load_masks", "manifest_header",
           "mask_matrix", "mask_tokens", "masked_batches", "pack", "replay_config", "sample_batches", "sample_rng",
           "save_masks", "settings_of", "validate_probabilities", "validate_seed"]
