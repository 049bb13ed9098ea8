"""Masking: HF-collator-identical ``mask_tokens``, the masked batches of a corpus, mask manifests and their
replay, and the masked copies that pseudo-log-likelihood scores."""

from __future__ import annotations

from .batches import MaskedBatch
from .collator import IGNORE_INDEX, mask_tokens, sample_rng
from .copies import CopyBatch, Sample, check_variant, pack
from .corpus import masked_batches, replay_config, sample_batches, settings_of
from .manifest import MaskManifest, load_masks, manifest_header, save_masks
from .replay import MaskRecorder
from .windows import Windowing, check_long, owner_windows, window_starts, windowing

__all__ = ["CopyBatch", "IGNORE_INDEX", "MaskManifest", "MaskRecorder", "MaskedBatch", "Sample", "Windowing",
           "check_long", "check_variant", "load_masks", "manifest_header", "mask_tokens", "masked_batches", "owner_windows",
           "pack", "replay_config", "sample_batches", "sample_rng", "save_masks", "settings_of", "window_starts",
           "windowing"]
