"""Memorisation: are generated clips closer to the training clips than new real clips are?

Each clip is z-scored per channel with the training set's channel standard deviations and
compared as a whole (all channels × times, Euclidean). For every generated clip the distance
to its nearest training clip (DCR, "distance to closest record") is compared with the same
distance for real held-out clips, which the model never saw: a generator that copies
training clips has generated distances well below the held-out ones.

Reported: the median distance ratio generated / held-out (≈ 1 for a generator that does not
copy; ≪ 1 when copying), the share of generated clips closer to the training set than the
5th percentile of held-out clips (≈ 0.05 without copying), the share of exact copies, and a
one-sided Mann–Whitney U p-value for "generated clips are closer".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import mannwhitneyu

from evaluation.inputs import EEGSet, as_eeg_set, check_min_clips, check_pair

_CHUNK = 512  # rows per distance block: bounds memory at chunk × n_train floats


def nearest_neighbour_distances(queries: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Euclidean distance from each query row to its nearest reference row.

    Parameters
    ----------
    queries : np.ndarray
        Shape ``(n_queries, n_features)``.
    reference : np.ndarray
        Shape ``(n_reference, n_features)``.

    Returns
    -------
    np.ndarray
        Shape ``(n_queries,)``, float64.
    """
    reference = np.ascontiguousarray(reference, dtype=np.float32)
    reference_sq = np.einsum("ij,ij->i", reference, reference, dtype=np.float64)
    out = np.empty(len(queries))
    for start in range(0, len(queries), _CHUNK):
        block = np.ascontiguousarray(queries[start : start + _CHUNK], dtype=np.float32)
        block_sq = np.einsum("ij,ij->i", block, block, dtype=np.float64)
        squared = block_sq[:, None] + reference_sq[None, :] - 2.0 * (block @ reference.T)
        out[start : start + len(block)] = np.sqrt(np.maximum(squared.min(axis=1), 0.0))
    return out


def memorisation(
    train: Any,
    generated: Any,
    holdout: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
    copy_tolerance: float = 1e-3,
) -> dict[str, Any]:
    """Nearest-training-clip distances of generated clips vs real held-out clips.

    Parameters
    ----------
    train : array-like or EEGSet
        The real clips the generator was trained on, ``(n_train, n_chans, n_times)``.
    generated : array-like or EEGSet
        Generated clips.
    holdout : array-like or EEGSet
        Real clips not used for training.
    copy_tolerance : float
        A generated clip counts as an exact copy when its distance is below this fraction
        of the median held-out distance.

    Returns
    -------
    dict
        ``value`` (median generated / median held-out distance, ideal ≈ 1, lower means
        closer to the training set), ``copy_fraction`` (below the held-out 5th percentile;
        ≈ 0.05 without copying), ``exact_copy_fraction``, ``p_value``, and the medians.
    """
    metric = "memorisation"
    train_set = as_eeg_set(train, metric, "train", sfreq, ch_names)
    generated_set = as_eeg_set(generated, metric, "generated", sfreq, ch_names)
    holdout_set = as_eeg_set(holdout, metric, "holdout", sfreq, ch_names)
    check_pair(holdout_set, generated_set, metric, roles=("holdout", "generated"))
    check_pair(holdout_set, train_set, metric, roles=("holdout", "train"))
    check_min_clips(train_set, metric, 1, "train")
    check_min_clips(holdout_set, metric, 2, "holdout", "a distance distribution needs 2")
    scale = np.sqrt(train_set.data.var(axis=(0, 2), dtype=np.float64))
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)[None, :, None]

    def flat(eeg: EEGSet) -> np.ndarray:
        return (eeg.data / scale).reshape(eeg.n_clips, -1)

    reference = flat(train_set)
    distance_generated = nearest_neighbour_distances(flat(generated_set), reference)
    distance_holdout = nearest_neighbour_distances(flat(holdout_set), reference)
    median_holdout = float(np.median(distance_holdout))
    threshold = float(np.quantile(distance_holdout, 0.05))
    p_value = float(mannwhitneyu(distance_generated, distance_holdout, alternative="less").pvalue)
    return {
        "value": float(np.median(distance_generated)) / max(median_holdout, 1e-12),
        "unit": "distance ratio",
        "ideal": 1.0,
        "better": "not below 1",
        "median_distance_generated": float(np.median(distance_generated)),
        "median_distance_holdout": median_holdout,
        "copy_fraction": float(np.mean(distance_generated < threshold)),
        "copy_fraction_expected": 0.05,
        "exact_copy_fraction": float(np.mean(distance_generated < copy_tolerance * median_holdout)),
        "p_value": p_value,
    }
