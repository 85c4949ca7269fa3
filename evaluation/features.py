"""Per-clip feature vectors for the distributional and conditional metrics.

Raw clips (62 × 400 = 24 800 numbers) are too many dimensions for kernel and classifier
statistics on a few thousand clips, and their sample-level values carry phase that differs
between any two clips of real EEG. The metrics therefore compare clips through features the
EEG literature classifies with, which capture both what a clip's spectrum and its spatial
structure look like:

* SEED's differential entropy per channel and band (``n_chans × 5``, nats), and
* the Fisher-z correlation between each pair of electrodes joined in the montage graph
  (:func:`modeling_video2eeg.montage.build_electrode_graph`, 4 nearest neighbours plus the
  left/right homologous pairs), i.e. the local volume-conduction and interhemispheric
  coupling that a generator must reproduce clip by clip.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from evaluation.inputs import EEGSet
from evaluation.spatial import set_clip_covariances
from evaluation.spectral import (
    POWER_FLOOR,
    SEED_BANDS,
    check_bands,
    differential_entropy,
    set_band_powers,
)
from modeling_video2eeg.montage import build_electrode_graph

GRAPH_K_NEIGHBORS = 4
"""Nearest neighbours per electrode whose correlations enter the features."""


@lru_cache(maxsize=8)
def graph_edges(ch_names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Upper-triangle electrode pairs ``(rows, cols)`` of the montage graph for ``ch_names``."""
    k = min(GRAPH_K_NEIGHBORS, len(ch_names) - 1)
    if k < 1:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    adjacency = build_electrode_graph(ch_names, k_neighbors=k, hemispheric_weight=0.5).adjacency
    rows, cols = np.nonzero(np.triu(adjacency, k=1))
    return rows, cols


def feature_names(ch_names: tuple[str, ...]) -> list[str]:
    """Names of the columns of :func:`clip_features` (``"DE FP1 alpha"``, ``"r FP1-FPZ"``)."""
    rows, cols = graph_edges(ch_names)
    return [f"DE {name} {band}" for name in ch_names for band in SEED_BANDS] + [
        f"r {ch_names[i]}-{ch_names[j]}" for i, j in zip(rows, cols, strict=True)
    ]


def clip_features(eeg: EEGSet, metric: str = "clip_features") -> np.ndarray:
    """The cached feature matrix of a set.

    Parameters
    ----------
    eeg : EEGSet
        The clips.
    metric : str
        Name used in error messages.

    Returns
    -------
    np.ndarray
        Shape ``(n_clips, n_chans * 5 + n_edges)``, float64: DE (nats) then Fisher-z
        correlations, in the order of :func:`feature_names`.
    """
    check_bands(eeg, metric)

    def compute() -> np.ndarray:
        de = differential_entropy(set_band_powers(eeg)).reshape(eeg.n_clips, -1)
        rows, cols = graph_edges(eeg.ch_names)
        covariance = set_clip_covariances(eeg)
        variance = np.maximum(np.diagonal(covariance, axis1=1, axis2=2), POWER_FLOOR)
        correlation = covariance[:, rows, cols] / np.sqrt(variance[:, rows] * variance[:, cols])
        return np.concatenate([de, np.arctanh(np.clip(correlation, -0.999999, 0.999999))], axis=1)

    return eeg.cached("clip_features", compute)
