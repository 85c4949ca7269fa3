"""Scalp regions of 10-20 channel names (for regional spectra and the posterior alpha peak)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

REGIONS: tuple[str, ...] = ("frontal", "central", "temporal", "parietal", "occipital")
"""Region names, front to back (temporal is the lateral strip FT/T/TP)."""

# Longest prefixes first so "FT7" is temporal, not frontal, and "PO3" occipital, not parietal.
_PREFIX_REGION = (
    ("FT", "temporal"),
    ("TP", "temporal"),
    ("FP", "frontal"),
    ("AF", "frontal"),
    ("FC", "central"),
    ("CP", "parietal"),
    ("PO", "occipital"),
    ("CB", "occipital"),
    ("F", "frontal"),
    ("C", "central"),
    ("T", "temporal"),
    ("P", "parietal"),
    ("O", "occipital"),
)
_LETTERS = re.compile(r"^[A-Z]+")


def channel_region(name: str) -> str:
    """The region of one 10-20 name (``"FC3"`` → ``"central"``, ``"CB1"`` → ``"occipital"``)."""
    match = _LETTERS.match(name.upper())
    letters = match.group(0) if match else ""
    for prefix, region in _PREFIX_REGION:
        if letters.startswith(prefix):
            return region
    raise ValueError(f"channel_region: cannot place channel {name!r} in {list(REGIONS)}")


def region_indices(ch_names: Sequence[str]) -> dict[str, np.ndarray]:
    """Channel indices per region, regions in :data:`REGIONS` order (empty regions left out)."""
    regions = np.array([channel_region(name) for name in ch_names])
    return {
        region: np.flatnonzero(regions == region) for region in REGIONS if np.any(regions == region)
    }


def posterior_indices(ch_names: Sequence[str]) -> np.ndarray:
    """Indices of parietal and occipital channels (all channels if there are none)."""
    regions = region_indices(ch_names)
    picks = [regions[name] for name in ("parietal", "occipital") if name in regions]
    return np.sort(np.concatenate(picks)) if picks else np.arange(len(ch_names))
