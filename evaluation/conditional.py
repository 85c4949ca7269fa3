"""Conditional fidelity: does generated EEG carry the label it was conditioned on?

For one label (concept, subject, emotion, ...) with values for both sets:

* TSTR — train on synthetic, test on real (Esteban et al. 2017): can a classifier learn the
  label from generated clips alone?
* TRTS — train on real, test on synthetic: *class recovery*, the share of generated clips a
  real-trained classifier assigns to the label they were conditioned on.
* TRTR — train on real, test on real (stratified cross-validation): what the classifier
  reaches on real data, the reference for both.

Each is reported with its chance level (1 / number of classes in the test set), its
majority baseline (share of the test set's most frequent class) and balanced accuracy. The
classifier is shrinkage LDA (Ledoit–Wolf, the standard linear EEG classifier) on standardised
clip features (:mod:`evaluation.features`). The fits run with one BLAS thread: the matrices
are small (features × features), and threaded BLAS on them is slower, much slower on a
shared machine.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from evaluation.features import clip_features
from evaluation.inputs import as_eeg_set, as_pair, check_labels


def label_classifier() -> Pipeline:
    """The classifier used for TSTR/TRTS/TRTR: standardisation + shrinkage LDA."""
    return make_pipeline(
        StandardScaler(), LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")
    )


@threadpool_limits.wrap(limits=1, user_api="blas")
def conditional_fidelity(
    real: Any,
    generated: Any,
    labels_real: Any,
    labels_generated: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
    train: Any = None,
    train_labels: Any = None,
    n_splits: int = 5,
    seed: int = 0,
    label_name: str = "label",
) -> dict[str, Any]:
    """TSTR, TRTS (class recovery) and TRTR accuracies for one label.

    Parameters
    ----------
    real, generated : array-like or EEGSet
        Clips, shape ``(n_clips, n_chans, n_times)``.
    labels_real, labels_generated : array-like
        One label per clip (any hashable values; compared by equality).
    train, train_labels : optional
        A real training set disjoint from ``real`` and its labels; when given, the
        real-trained classifier of TRTS is trained on it and TRTR trains on it and tests on
        ``real``; otherwise both use ``real`` (TRTR by cross-validation).
    n_splits : int
        Folds for TRTR cross-validation (reduced to the smallest class count, at least 2).
    label_name : str
        Used in error messages.

    Returns
    -------
    dict
        ``value`` (TSTR accuracy), and for ``tstr``, ``trts`` and ``trtr`` each:
        ``accuracy``, ``balanced_accuracy``, ``chance``, ``majority``; ``n_classes``.
    """
    metric = f"conditional[{label_name}]"
    real, generated = as_pair(real, generated, metric, sfreq, ch_names)
    y_real = check_labels(labels_real, real.n_clips, metric, "labels_real")
    y_generated = check_labels(labels_generated, generated.n_clips, metric, "labels_generated")
    y_real, y_generated = _harmonise(y_real, y_generated)
    for role, y in (("real", y_real), ("generated", y_generated)):
        if np.unique(y).size < 2:
            raise ValueError(
                f"{metric}: needs at least 2 classes in the {role} labels, got {np.unique(y).tolist()}"
            )
    features_real = clip_features(real, metric)
    features_generated = clip_features(generated, metric)

    tstr = _scores(label_classifier().fit(features_generated, y_generated), features_real, y_real)
    if train is None:
        features_train, y_train = features_real, y_real
        smallest = int(np.unique(y_real, return_counts=True)[1].min())
        if smallest < 2:
            raise ValueError(
                f"{metric}: TRTR cross-validation needs at least 2 real clips per class; the "
                f"smallest class has {smallest}"
            )
        folds = StratifiedKFold(n_splits=min(n_splits, smallest), shuffle=True, random_state=seed)
        predicted = cross_val_predict(label_classifier(), features_real, y_real, cv=folds)
        trtr = _summary(predicted, y_real)
    else:
        if train_labels is None:
            raise ValueError(f"{metric}: train_labels are needed with train")
        train_set = as_eeg_set(train, metric, "train", real.sfreq, real.ch_names)
        y_train = check_labels(train_labels, train_set.n_clips, metric, "train_labels")
        y_train, _ = _harmonise(y_train, y_real)
        if np.unique(y_train).size < 2:
            raise ValueError(f"{metric}: needs at least 2 classes in train_labels")
        features_train = clip_features(train_set, metric)
        trtr = None
    real_trained = label_classifier().fit(features_train, y_train)
    trts = _scores(real_trained, features_generated, y_generated)
    if trtr is None:
        trtr = _scores(real_trained, features_real, y_real)
    return {
        "value": tstr["accuracy"],
        "unit": "accuracy",
        "better": "higher (reference: trtr)",
        "tstr": tstr,
        "trts": trts,
        "trtr": trtr,
        "n_classes": int(np.unique(np.concatenate([y_real, y_generated])).size),
    }


def _scores(classifier: Pipeline, features: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    return _summary(classifier.predict(features), labels)


def _summary(predicted: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    _, counts = np.unique(labels, return_counts=True)
    with warnings.catch_warnings():
        # Predicting a class the test set lacks is a plain error here, not a warning matter.
        warnings.simplefilter("ignore", UserWarning)
        balanced = float(balanced_accuracy_score(labels, predicted))
    return {
        "accuracy": float(np.mean(predicted == labels)),
        "balanced_accuracy": balanced,
        "chance": 1.0 / len(counts),
        "majority": float(counts.max() / counts.sum()),
    }


def _harmonise(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Make two label vectors comparable: integers (or integral floats) as int64, else str."""

    def as_int(labels: np.ndarray) -> np.ndarray | None:
        if labels.dtype.kind in "iub":
            return labels.astype(np.int64)
        if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
            return labels.astype(np.int64)
        return None

    int_a, int_b = as_int(a), as_int(b)
    if int_a is not None and int_b is not None:
        return int_a, int_b
    return (
        (int_a if int_a is not None else a).astype(str),
        (int_b if int_b is not None else b).astype(str),
    )
