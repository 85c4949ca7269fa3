"""Distribution distances between real and generated clips, in the clip-feature space.

Clips are compared through the per-clip features of :mod:`evaluation.features` (DE per
channel and band + montage-neighbour correlations), standardised with the real set's mean
and standard deviation so that every feature weighs the same:

* MMD² (unbiased, RBF kernel, bandwidth = median pairwise distance of the pooled sample)
  with a permutation p-value (Gretton et al. 2012);
* sliced 2-Wasserstein distance over random unit directions (exact 1-D distances);
* Fréchet distance between Gaussian fits (the FID formula) of the standardised features,
  and "FID-EEG", the same on the hidden features of a small classifier trained on real
  labels (:mod:`evaluation.feature_classifier`);
* a classifier two-sample test (Lopez-Paz & Oquab 2017): cross-validated accuracy of
  shrinkage LDA telling real from generated, ideal 0.5, with a binomial p-value.

Classifier fits run with one BLAS thread (small matrices, where threading only costs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.linalg import eigh, eigvalsh
from scipy.stats import binomtest
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from evaluation.feature_classifier import FeatureClassifier
from evaluation.features import clip_features
from evaluation.inputs import EEGSet, as_eeg_set, as_pair, check_labels, check_min_clips
from evaluation.wasserstein import wasserstein_1d


def standardised_features(
    real: EEGSet, generated: EEGSet, metric: str
) -> tuple[np.ndarray, np.ndarray]:
    """Clip features of both sets, standardised with the real mean and standard deviation."""
    features_real = clip_features(real, metric)
    features_generated = clip_features(generated, metric)
    mean = features_real.mean(axis=0)
    std = features_real.std(axis=0)
    std = np.where(std > 1e-12, std, 1.0)  # a constant real feature is compared unscaled
    return (features_real - mean) / std, (features_generated - mean) / std


def mmd(
    real: Any,
    generated: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
    n_permutations: int = 200,
    bandwidth_samples: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Unbiased MMD² with an RBF kernel on standardised clip features.

    ``k(x, y) = exp(-||x - y||² / (2 σ²))`` with σ the median pairwise distance of (up to
    ``bandwidth_samples`` clips of) the pooled sample. Two samples of the same distribution
    give MMD² ≈ 0 (it can be slightly negative); identical sets of ``n`` clips give the
    documented floor ``2 (k̄ - 1) / n`` with ``k̄`` the mean off-diagonal kernel value
    (between ``-2/n`` and 0). The p-value is the share of label permutations with an MMD²
    at least as large.

    Returns
    -------
    dict
        ``value`` (MMD²), ``mmd`` (``sqrt(max(MMD², 0))``), ``bandwidth``, ``p_value``,
        ``n_permutations``.
    """
    metric = "mmd"
    real, generated = as_pair(
        real, generated, metric, sfreq, ch_names, 2, "the unbiased estimate drops self-pairs"
    )
    features_real, features_generated = standardised_features(real, generated, metric)
    pooled = np.concatenate([features_real, features_generated])
    n_real = len(features_real)
    rng = np.random.default_rng(seed)
    subset = pooled[rng.permutation(len(pooled))[:bandwidth_samples]]
    bandwidth = float(
        np.sqrt(np.median(_pairwise_sq_distances(subset, subset)[np.triu_indices(len(subset), 1)]))
    )
    bandwidth = bandwidth if bandwidth > 0 else 1.0
    kernel = np.exp(-_pairwise_sq_distances(pooled, pooled) / (2 * bandwidth**2))

    in_real = np.zeros((len(pooled), 1 + n_permutations))
    in_real[:n_real, 0] = 1.0
    shuffled = np.argsort(rng.random((n_permutations, len(pooled))), axis=1)[:, :n_real]
    in_real[shuffled.T, np.arange(1, 1 + n_permutations)[None, :]] = 1.0
    statistics = _mmd2_unbiased(kernel, in_real, n_real)
    observed = float(statistics[0])
    p_value = float((1 + np.sum(statistics[1:] >= observed)) / (1 + n_permutations))
    return {
        "value": observed,
        "unit": "squared kernel distance",
        "ideal": 0.0,
        "better": "lower",
        "mmd": float(np.sqrt(max(observed, 0.0))),
        "bandwidth": bandwidth,
        "p_value": p_value,
        "n_permutations": n_permutations,
    }


def sliced_wasserstein(
    real: Any,
    generated: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
    n_projections: int = 256,
    seed: int = 0,
) -> dict[str, Any]:
    """Sliced 2-Wasserstein distance between the standardised clip features.

    ``sqrt(mean_θ W_2²(θᵀX, θᵀY))`` over ``n_projections`` random unit directions θ; the 1-D
    distances are exact (:func:`evaluation.wasserstein.wasserstein_1d`). Identical sets give 0.

    Returns
    -------
    dict
        ``value`` (in real standard deviations) and ``n_projections``.
    """
    metric = "sliced_wasserstein"
    real, generated = as_pair(real, generated, metric, sfreq, ch_names)
    features_real, features_generated = standardised_features(real, generated, metric)
    rng = np.random.default_rng(seed)
    directions = rng.standard_normal((features_real.shape[1], n_projections))
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    w2 = wasserstein_1d(features_real @ directions, features_generated @ directions, p=2)
    return {
        "value": float(np.sqrt(np.mean(w2**2))),
        "unit": "real standard deviations",
        "ideal": 0.0,
        "better": "lower",
        "n_projections": n_projections,
    }


@threadpool_limits.wrap(limits=1, user_api="blas")
def frechet_distance_between(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussian fits of two feature samples ``(n, n_features)``.

    ``||μ_a − μ_b||² + tr(Σ_a + Σ_b − 2 (Σ_a^{1/2} Σ_b Σ_a^{1/2})^{1/2})``, computed with
    symmetric eigendecompositions; identical samples give 0 up to rounding (clipped at 0).
    """
    mean_a, mean_b = features_a.mean(axis=0), features_b.mean(axis=0)
    cov_a = np.atleast_2d(np.cov(features_a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(features_b, rowvar=False))
    eigenvalues, eigenvectors = eigh(cov_a)
    root_a = (eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))) @ eigenvectors.T
    cross = eigvalsh(root_a @ cov_b @ root_a)
    trace_sqrt = np.sum(np.sqrt(np.clip(cross, 0, None)))
    distance = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_sqrt
    return float(max(distance, 0.0))


def frechet_distance(
    real: Any,
    generated: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Fréchet distance between Gaussian fits of the standardised clip features.

    Returns
    -------
    dict
        ``value`` (squared real standard deviations, summed over features); identical sets
        give 0.
    """
    metric = "frechet_distance"
    real, generated = as_pair(real, generated, metric, sfreq, ch_names, 2, "a covariance needs 2")
    features_real, features_generated = standardised_features(real, generated, metric)
    return {
        "value": frechet_distance_between(features_real, features_generated),
        "unit": "squared real standard deviations",
        "ideal": 0.0,
        "better": "lower",
        "n_features": int(features_real.shape[1]),
    }


@threadpool_limits.wrap(limits=1, user_api="blas")
def fid_eeg(
    real: Any,
    generated: Any,
    labels: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
    train: Any = None,
    train_labels: Any = None,
    seed: int = 0,
) -> dict[str, Any]:
    """FID-EEG: Fréchet distance on the hidden features of a classifier trained on real EEG.

    The :class:`~evaluation.feature_classifier.FeatureClassifier` is trained on ``train``
    with ``train_labels`` when given (a real training set disjoint from ``real``: the
    unbiased choice), else on ``real`` with ``labels``. Both ``real`` and ``generated`` are
    then embedded and compared with :func:`frechet_distance_between`. Identical sets give 0.

    Parameters
    ----------
    labels : array-like
        Labels of the ``real`` clips, shape ``(n_real,)`` (used to train when ``train`` is
        None, and to report the extractor's accuracy on ``real``).
    train, train_labels : array-like or EEGSet, array-like, optional
        Real clips to train the extractor on, and their labels.

    Returns
    -------
    dict
        ``value``, ``trained_on`` ("train" or "real"), the extractor's
        ``train_accuracy`` and ``real_accuracy``, ``chance``, ``embedding_dim``.
    """
    metric = "fid_eeg"
    real, generated = as_pair(real, generated, metric, sfreq, ch_names, 2, "a covariance needs 2")
    labels = check_labels(labels, real.n_clips, metric, "labels")
    if train is None:
        train_set, train_y, trained_on = real, labels, "real"
    else:
        if train_labels is None:
            raise ValueError(f"{metric}: train_labels are needed with train")
        train_set = as_eeg_set(train, metric, "train", real.sfreq, real.ch_names)
        train_y = check_labels(train_labels, train_set.n_clips, metric, "train_labels")
        trained_on = "train"
        check_min_clips(train_set, metric, 2, "train")
    if np.unique(train_y).size < 2:
        raise ValueError(
            f"{metric}: needs at least 2 classes in the training labels to train the feature extractor"
        )
    classifier = FeatureClassifier(seed=seed).fit(clip_features(train_set, metric), train_y)
    embedded_real = classifier.embed(clip_features(real, metric))
    embedded_generated = classifier.embed(clip_features(generated, metric))
    return {
        "value": frechet_distance_between(embedded_real, embedded_generated),
        "unit": "squared embedding units",
        "ideal": 0.0,
        "better": "lower",
        "trained_on": trained_on,
        "train_accuracy": classifier.score(clip_features(train_set, metric), train_y),
        "real_accuracy": classifier.score(clip_features(real, metric), labels),
        "chance": 1.0 / np.unique(train_y).size,
        "embedding_dim": classifier.hidden_layer_sizes[-1],
    }


@threadpool_limits.wrap(limits=1, user_api="blas")
def two_sample_classifier(
    real: Any,
    generated: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
    n_splits: int = 5,
    seed: int = 0,
) -> dict[str, Any]:
    """Classifier two-sample test: can shrinkage LDA tell real from generated clips?

    The larger set is subsampled (seeded) to the size of the smaller, so chance is exactly
    0.5; accuracy is the share of clips classified correctly across ``n_splits`` stratified
    folds, and the p-value the one-sided binomial probability of doing that well by chance.
    Two samples of one distribution give ≈ 0.5; perfectly separable sets give 1. Identical
    (duplicated) sets give less than 0.5: each held-out clip's twin sits in the training
    folds with the other label, so accuracy well below 0.5 is itself a sign of copying.

    Returns
    -------
    dict
        ``value`` (accuracy, ideal 0.5), ``fold_accuracies``, ``p_value``, ``n_per_class``.
    """
    metric = "two_sample_classifier"
    real, generated = as_pair(
        real,
        generated,
        metric,
        sfreq,
        ch_names,
        n_splits,
        f"one per fold of the {n_splits}-fold cross-validation",
    )
    features_real = clip_features(real, metric)
    features_generated = clip_features(generated, metric)
    rng = np.random.default_rng(seed)
    n = min(len(features_real), len(features_generated))
    features = np.concatenate(
        [
            features_real[rng.permutation(len(features_real))[:n]],
            features_generated[rng.permutation(len(features_generated))[:n]],
        ]
    )
    target = np.repeat([0, 1], n)
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    classifier = make_pipeline(
        StandardScaler(), LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")
    )
    predicted = cross_val_predict(classifier, features, target, cv=folds)
    correct = predicted == target
    fold_accuracies = [float(correct[test].mean()) for _, test in folds.split(features, target)]
    n_correct = int(correct.sum())
    return {
        "value": n_correct / len(target),
        "unit": "accuracy",
        "ideal": 0.5,
        "better": "closer to 0.5",
        "fold_accuracies": fold_accuracies,
        "p_value": float(binomtest(n_correct, len(target), 0.5, alternative="greater").pvalue),
        "n_per_class": n,
    }


def _pairwise_sq_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    squared = np.sum(a**2, axis=1)[:, None] + np.sum(b**2, axis=1)[None, :] - 2 * a @ b.T
    return np.maximum(squared, 0.0)


def _mmd2_unbiased(kernel: np.ndarray, in_real: np.ndarray, n_real: int) -> np.ndarray:
    """Unbiased MMD² for each column of a 0/1 membership matrix ``(n, n_splits)``, batched.

    With ``a`` the membership of the first sample and ``b = 1 - a``:
    ``aᵀKa``, ``aᵀKb`` and ``bᵀKb`` all follow from ``K a`` and ``K 1``.
    """
    n_total = kernel.shape[0]
    n_generated = n_total - n_real
    kernel_a = kernel @ in_real  # (n, n_splits)
    row_sums = kernel.sum(axis=1)
    aa = np.sum(in_real * kernel_a, axis=0)
    one_a = row_sums @ in_real
    ab = one_a - aa
    bb = row_sums.sum() - 2 * one_a + aa
    trace_a = np.sum(np.diagonal(kernel)[:, None] * in_real, axis=0)
    trace_b = np.trace(kernel) - trace_a
    return (
        (aa - trace_a) / (n_real * (n_real - 1))
        + (bb - trace_b) / (n_generated * (n_generated - 1))
        - 2 * ab / (n_real * n_generated)
    )
