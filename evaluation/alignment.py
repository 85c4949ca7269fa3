"""Stimulus alignment: is the generated EEG for a clip like the real EEG for that clip?

Clips are matched by a *clip key* (e.g. ``(block, position, repetition)`` in SEED-DV: the
same 2-s video every subject saw). For every key present in both sets, real and generated
EEG are averaged over their repeats (subjects, sessions, samples), and:

* **correlation** — Pearson correlation over time between the generated and real averages,
  per channel, averaged over channels and keys;
* **noise ceiling** — what a perfect, noise-free prediction would reach against the noisy
  real average: the real repeats of each key are split in two halves (alternately), the
  split-half correlation ``r_half`` is Spearman–Brown corrected to the reliability of the
  full average ``ρ = 2 r_half / (1 + r_half)``, and the ceiling is ``sqrt(ρ)`` (as in
  encoding-model work, e.g. Gifford et al. 2022). Needs keys with at least two real repeats;
* **zero-shot identification** — for each key, correlate its generated average with the real
  average of every key (all channels and times, each channel z-scored): top-1 accuracy among
  all keys (chance ``1/K``), pairwise 2-way accuracy (chance 0.5) and, optionally, n-way
  accuracy against ``n_way − 1`` random distractors (chance ``1/n_way``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse

from evaluation.inputs import as_pair


def clip_key_strings(keys: Any, n_clips: int, metric: str, role: str) -> np.ndarray:
    """One string key per clip from a 1-D array of hashables or a 2-D ``(n_clips, k)`` array."""
    array = np.asarray(keys)
    if array.ndim == 2 and array.shape[0] == n_clips:
        return np.array(["|".join(map(str, row)) for row in array.tolist()])
    if array.ndim != 1 or array.shape[0] != n_clips:
        raise ValueError(
            f"{metric}: {role} must give one clip key per clip, shape ({n_clips},) or "
            f"({n_clips}, k); got shape {array.shape}"
        )
    return array.astype(str)


def group_means(flat: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Mean of the rows of ``flat`` ``(n, d)`` per group id in ``[0, n_groups)`` (``-1`` skips)."""
    keep = groups >= 0
    rows = groups[keep]
    counts = np.bincount(rows, minlength=n_groups).astype(np.float64)
    weights = 1.0 / counts[rows]
    indicator = sparse.csr_matrix(
        (weights, (rows, np.flatnonzero(keep))), shape=(n_groups, flat.shape[0])
    )
    return np.asarray(indicator @ flat, dtype=np.float64)


def stimulus_alignment(
    real: Any,
    generated: Any,
    keys_real: Any,
    keys_generated: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
    n_way: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Generated-vs-real correlation for the same clip, its noise ceiling, and identification.

    Parameters
    ----------
    real, generated : array-like or EEGSet
        Clips, shape ``(n_clips, n_chans, n_times)``.
    keys_real, keys_generated : array-like
        Clip keys, shape ``(n_clips,)`` or ``(n_clips, k)`` (e.g. block, position,
        repetition columns).
    n_way : int, optional
        Also report n-way identification against ``n_way - 1`` random distractor keys.

    Returns
    -------
    dict
        ``value`` (mean correlation), ``noise_ceiling`` (None without repeats),
        ``normalised`` (value / ceiling), ``split_half_r``, ``n_keys``,
        ``identification`` with ``top1``, ``top1_chance``, ``pairwise``, and ``n_way``.
    """
    metric = "stimulus_alignment"
    real, generated = as_pair(real, generated, metric, sfreq, ch_names)
    names_real = clip_key_strings(keys_real, real.n_clips, metric, "keys_real")
    names_generated = clip_key_strings(keys_generated, generated.n_clips, metric, "keys_generated")
    shared = np.intersect1d(names_real, names_generated)
    if shared.size < 2:
        raise ValueError(
            f"{metric}: needs at least 2 clip keys present in both real and generated, got "
            f"{shared.size}"
        )
    n_keys = shared.size
    group_real = _group_ids(names_real, shared)
    group_generated = _group_ids(names_generated, shared)
    shape = (n_keys, real.n_chans, real.n_times)
    flat_real = real.data.reshape(real.n_clips, -1)
    mean_real = group_means(flat_real, group_real, n_keys).reshape(shape)
    mean_generated = group_means(
        generated.data.reshape(generated.n_clips, -1), group_generated, n_keys
    ).reshape(shape)
    z_real, z_generated = _zscore_time(mean_real), _zscore_time(mean_generated)
    correlation = np.mean(z_real * z_generated, axis=-1)  # (n_keys, n_chans)
    value = float(correlation.mean())

    split_half, ceiling = _noise_ceiling(flat_real, group_real, n_keys, shape)
    identification = _identification(z_generated, z_real, n_way, seed)
    return {
        "value": value,
        "unit": "Pearson r",
        "ideal": ceiling,
        "better": "higher (up to the noise ceiling)",
        "noise_ceiling": ceiling,
        "split_half_r": split_half,
        "normalised": None if not ceiling else value / ceiling,
        "n_keys": int(n_keys),
        "identification": identification,
    }


def _group_ids(names: np.ndarray, shared: np.ndarray) -> np.ndarray:
    position = np.searchsorted(shared, names)
    position = np.minimum(position, shared.size - 1)
    return np.where(shared[position] == names, position, -1)


def _zscore_time(x: np.ndarray) -> np.ndarray:
    centred = x - x.mean(axis=-1, keepdims=True)
    std = centred.std(axis=-1, keepdims=True)
    return centred / np.where(std > 0, std, 1.0)


def _noise_ceiling(
    flat_real: np.ndarray, group_real: np.ndarray, n_keys: int, shape: tuple[int, ...]
) -> tuple[float | None, float | None]:
    """Split-half r over keys with >= 2 real repeats, and sqrt of its Spearman–Brown value."""
    counts = np.bincount(group_real[group_real >= 0], minlength=n_keys)
    repeated = counts >= 2
    if not repeated.any():
        return None, None
    # Rank of each clip among its key's clips (stable, in input order): even/odd halves.
    order = np.argsort(group_real, kind="stable")
    sorted_groups = group_real[order]
    first = np.searchsorted(sorted_groups, sorted_groups, side="left")
    rank = np.empty_like(group_real)
    rank[order] = np.arange(len(order)) - first
    half = np.where((group_real >= 0) & repeated[np.maximum(group_real, 0)], rank % 2, -1)
    halves = []
    for parity in (0, 1):
        groups = np.where(half == parity, group_real, -1)
        halves.append(group_means(flat_real, groups, n_keys).reshape(shape)[repeated])
    split_half = float(np.mean(_zscore_time(halves[0]) * _zscore_time(halves[1]), axis=-1).mean())
    reliability = 2 * split_half / (1 + split_half) if split_half > -1 else 0.0
    return split_half, float(np.sqrt(max(reliability, 0.0)))


def _identification(
    z_generated: np.ndarray, z_real: np.ndarray, n_way: int | None, seed: int
) -> dict[str, Any]:
    n_keys = z_generated.shape[0]
    flat_generated = z_generated.reshape(n_keys, -1)
    flat_real = z_real.reshape(n_keys, -1)
    similarity = flat_generated @ flat_real.T / flat_generated.shape[1]  # (n_keys, n_keys)
    matched = np.diagonal(similarity)
    off_diagonal = ~np.eye(n_keys, dtype=bool)
    wins = (matched[:, None] > similarity) & off_diagonal
    result: dict[str, Any] = {
        "top1": float(np.mean(np.argmax(similarity, axis=1) == np.arange(n_keys))),
        "top1_chance": 1.0 / n_keys,
        "pairwise": float(wins.sum() / off_diagonal.sum()),
        "pairwise_chance": 0.5,
    }
    if n_way is not None:
        if not 2 <= n_way <= n_keys:
            raise ValueError(
                f"stimulus_alignment: n_way must be in [2, {n_keys}] (the shared keys), got {n_way}"
            )
        rng = np.random.default_rng(seed)
        # n_way - 1 distinct distractors per key: random order of the other keys.
        others = np.argsort(rng.random((n_keys, n_keys - 1)), axis=1)[:, : n_way - 1]
        distractors = others + (others >= np.arange(n_keys)[:, None])
        best_distractor = np.take_along_axis(similarity, distractors, axis=1).max(axis=1)
        result["n_way"] = {
            "n": int(n_way),
            "accuracy": float(np.mean(matched > best_distractor)),
            "chance": 1.0 / n_way,
        }
    return result
