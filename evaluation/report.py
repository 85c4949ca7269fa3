"""The full evaluation report: every metric family on one pair of EEG sets, as JSON.

:func:`evaluate` validates the inputs once, computes the intermediate results several metrics
share (Welch PSDs, band powers, clip covariances, clip features) once per set, runs every
metric whose inputs are available, and returns a JSON-serialisable dict with the seconds
each step took. Metrics that need optional inputs (labels, clip keys, a training set) are
listed under ``skipped`` with the reason when those inputs are absent.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from evaluation.alignment import stimulus_alignment
from evaluation.conditional import conditional_fidelity
from evaluation.distributional import (
    fid_eeg,
    frechet_distance,
    mmd,
    sliced_wasserstein,
    two_sample_classifier,
)
from evaluation.features import clip_features
from evaluation.inputs import EEGSet, as_eeg_set, check_labels, check_pair
from evaluation.memorisation import memorisation
from evaluation.spatial import (
    covariance_distance,
    hemispheric_asymmetry,
    set_clip_covariances,
    topography_correlation,
)
from evaluation.spectral import (
    SEED_BANDS,
    alpha_peak_distance,
    band_power_difference,
    differential_entropy_distance,
    log_psd_distance,
    set_band_powers,
    set_psd,
)
from evaluation.temporal import autocorrelation_distance, hjorth_distance, set_hjorth
from modeling_video2eeg.montage import SEED_CH_NAMES, SEED_SFREQ

METRICS: dict[str, str] = {
    "log_psd_distance": "spectral",
    "band_power": "spectral",
    "differential_entropy": "spectral",
    "alpha_peak": "spectral",
    "covariance": "spatial",
    "topography": "spatial",
    "hemispheric_asymmetry": "spatial",
    "autocorrelation": "temporal",
    "hjorth": "temporal",
    "mmd": "distributional",
    "sliced_wasserstein": "distributional",
    "frechet_distance": "distributional",
    "fid_eeg": "distributional",
    "two_sample_classifier": "distributional",
    "conditional": "conditional",
    "stimulus_alignment": "alignment",
    "memorisation": "memorisation",
}
"""Metric names :func:`evaluate` knows, in report order, with their family."""

FID_LABEL_PREFERENCE: tuple[str, ...] = ("concept", "subject", "emotion")
"""Label the FID-EEG feature extractor is trained on when ``fid_label`` is not given."""


def evaluate(
    real: Any,
    generated: Any,
    sfreq: float = SEED_SFREQ,
    ch_names: Sequence[str] = SEED_CH_NAMES,
    labels_real: Mapping[str, Any] | None = None,
    labels_generated: Mapping[str, Any] | None = None,
    *,
    real_train: Any = None,
    labels_train: Mapping[str, Any] | None = None,
    clip_keys_real: Any = None,
    clip_keys_generated: Any = None,
    sfreq_generated: float | None = None,
    metrics: Sequence[str] | None = None,
    fid_label: str | None = None,
    n_permutations: int = 200,
    seed: int = 0,
    strict: bool = True,
    blas_threads: int | None = 1,
) -> dict[str, Any]:
    """Evaluate generated EEG against real EEG with every metric family.

    Parameters
    ----------
    real : array-like
        Real clips, ``(n_real, n_chans, n_times)``, microvolts (held out from training when
        ``real_train`` is given).
    generated : array-like
        Generated clips, ``(n_generated, n_chans, n_times)``.
    sfreq : float
        Sampling frequency of ``real`` (and of ``generated`` unless ``sfreq_generated``).
    ch_names : sequence of str
        Channel names of both sets (SEED montage names).
    labels_real, labels_generated : mapping of str to array-like, optional
        Per-clip labels by name (``"subject"``, ``"emotion"``, ``"concept"``, ...). Labels
        present in both drive the conditional metrics; ``"subject"`` groups the alpha peak.
    real_train : array-like, optional
        The real clips the generator was trained on: enables memorisation, and FID-EEG's
        extractor and the real-trained conditional classifiers train on it.
    labels_train : mapping of str to array-like, optional
        Labels of ``real_train``.
    clip_keys_real, clip_keys_generated : array-like, optional
        Stimulus clip keys, ``(n,)`` or ``(n, k)``: enable stimulus alignment.
    sfreq_generated : float, optional
        Sampling frequency of ``generated`` if it differs (then an error is raised: the sets
        must be resampled to one rate first).
    metrics : sequence of str, optional
        Subset of :data:`METRICS` to run; default all.
    fid_label : str, optional
        Label for the FID-EEG extractor; default the first of ``concept, subject, emotion``
        available.
    n_permutations : int
        Permutations of the MMD test.
    seed : int
        Seed for every random choice (same seed, same report).
    strict : bool
        If False, a metric that raises ``ValueError`` on these data (e.g. a label with one
        class) is recorded under ``skipped`` instead of aborting the report. Invalid inputs
        (shapes, NaN, mismatched sets) always raise.
    blas_threads : int or None
        BLAS threads while evaluating. Default 1: the work is mostly many small matrix
        products, which threaded BLAS slows down (by 10× and more on a busy machine); None
        keeps the library default.

    Returns
    -------
    dict
        ``meta`` (sizes, sfreq, ch_names, bands, seed), ``metrics`` (name → result dict
        with ``value``, ``ideal``, ``better``, details, ``seconds`` (wall) and
        ``cpu_seconds`` (process CPU, all threads)), ``skipped``
        (name → reason) and ``timing`` (``shared_seconds`` per cached intermediate,
        ``per_metric_seconds``, ``total_seconds``). Plain JSON types only (NaN → None).
    """
    limits = (
        threadpool_limits(limits=blas_threads, user_api="blas")
        if blas_threads is not None
        else nullcontext()
    )
    with limits:
        return _evaluate(
            real,
            generated,
            sfreq,
            ch_names,
            labels_real,
            labels_generated,
            real_train,
            labels_train,
            clip_keys_real,
            clip_keys_generated,
            sfreq_generated,
            metrics,
            fid_label,
            n_permutations,
            seed,
            strict,
        )


def _evaluate(
    real: Any,
    generated: Any,
    sfreq: float,
    ch_names: Sequence[str],
    labels_real: Mapping[str, Any] | None,
    labels_generated: Mapping[str, Any] | None,
    real_train: Any,
    labels_train: Mapping[str, Any] | None,
    clip_keys_real: Any,
    clip_keys_generated: Any,
    sfreq_generated: float | None,
    metrics: Sequence[str] | None,
    fid_label: str | None,
    n_permutations: int,
    seed: int,
    strict: bool,
) -> dict[str, Any]:
    start = time.perf_counter()
    metric = "evaluate"
    real_set = as_eeg_set(real, metric, "real", sfreq, ch_names)
    generated_set = as_eeg_set(
        generated,
        metric,
        "generated",
        sfreq if sfreq_generated is None else sfreq_generated,
        ch_names,
    )
    check_pair(real_set, generated_set, metric)
    train_set = None
    if real_train is not None:
        train_set = as_eeg_set(real_train, metric, "real_train", sfreq, ch_names)
        check_pair(real_set, train_set, metric, roles=("real", "real_train"))
    selected = _select(metrics)
    labels_real = _labels(labels_real, real_set, "labels_real")
    labels_generated = _labels(labels_generated, generated_set, "labels_generated")
    labels_train = _labels(labels_train, train_set, "labels_train") if train_set else {}

    shared_start = time.perf_counter()
    for eeg in (real_set, generated_set):
        _precompute(eeg, selected)
    if train_set is not None and {"fid_eeg", "conditional"} & set(selected):
        _precompute(train_set, ["fid_eeg"])  # its clip features, step by step (timed apart)
    shared_seconds = time.perf_counter() - shared_start

    results: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for name, run in _plan(
        selected,
        real_set,
        generated_set,
        train_set,
        labels_real,
        labels_generated,
        labels_train,
        clip_keys_real,
        clip_keys_generated,
        fid_label,
        n_permutations,
        seed,
        skipped,
    ):
        metric_start, cpu_start = time.perf_counter(), time.process_time()
        try:
            result = run()
        except ValueError as error:
            if strict:
                raise
            skipped[name] = str(error)
            continue
        result["seconds"] = time.perf_counter() - metric_start
        result["cpu_seconds"] = time.process_time() - cpu_start
        results[name] = result

    report = {
        "meta": {
            "n_real": real_set.n_clips,
            "n_generated": generated_set.n_clips,
            "n_train": None if train_set is None else train_set.n_clips,
            "n_chans": real_set.n_chans,
            "n_times": real_set.n_times,
            "sfreq": real_set.sfreq,
            "ch_names": list(real_set.ch_names),
            "bands": {name: list(edges) for name, edges in SEED_BANDS.items()},
            "labels": sorted(set(labels_real) & set(labels_generated)),
            "seed": seed,
        },
        "metrics": results,
        "skipped": skipped,
        "timing": {
            "shared_seconds": {
                f"{role}/{key}": seconds
                for role, eeg in (
                    ("real", real_set),
                    ("generated", generated_set),
                    ("train", train_set),
                )
                if eeg is not None
                for key, seconds in eeg.timings.items()
            },
            "shared_total_seconds": shared_seconds,
            "per_metric_seconds": {name: result["seconds"] for name, result in results.items()},
            "total_seconds": time.perf_counter() - start,
        },
    }
    return to_json(report)


def headline(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per metric: ``name``, ``value``, ``ideal``, ``better``, ``unit``, ``seconds``."""
    return [
        {
            "name": name,
            "value": result.get("value"),
            "ideal": result.get("ideal"),
            "better": result.get("better"),
            "unit": result.get("unit"),
            "seconds": result.get("seconds"),
        }
        for name, result in report["metrics"].items()
    ]


def to_json(value: Any) -> Any:
    """Convert numpy types, arrays and tuples to plain JSON types; NaN and inf become None."""
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return to_json(value.tolist())
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, np.generic):
        return to_json(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _select(metrics: Sequence[str] | None) -> list[str]:
    if metrics is None:
        return list(METRICS)
    unknown = [name for name in metrics if name not in METRICS]
    if unknown:
        raise ValueError(f"evaluate: unknown metrics {unknown}; choose from {list(METRICS)}")
    return [name for name in METRICS if name in metrics]


def _labels(labels: Mapping[str, Any] | None, eeg: EEGSet, role: str) -> dict[str, np.ndarray]:
    if not labels:
        return {}
    return {
        str(name): check_labels(values, eeg.n_clips, "evaluate", f"{role}[{name!r}]")
        for name, values in labels.items()
    }


def _precompute(eeg: EEGSet, selected: Sequence[str]) -> None:
    """Fill the set's cache with what several selected metrics share (timed per entry)."""
    families = {METRICS[name] for name in selected}
    if families & {"spectral", "spatial", "distributional", "conditional"}:
        set_psd(eeg)
        set_band_powers(eeg)
    if families & {"spatial", "distributional", "conditional"}:
        set_clip_covariances(eeg)
    if families & {"distributional", "conditional"}:
        clip_features(eeg, "evaluate")
    if "hjorth" in selected:
        set_hjorth(eeg)


def _plan(
    selected: Sequence[str],
    real: EEGSet,
    generated: EEGSet,
    train: EEGSet | None,
    labels_real: dict[str, np.ndarray],
    labels_generated: dict[str, np.ndarray],
    labels_train: dict[str, np.ndarray],
    clip_keys_real: Any,
    clip_keys_generated: Any,
    fid_label: str | None,
    n_permutations: int,
    seed: int,
    skipped: dict[str, str],
) -> list[tuple[str, Callable[[], dict[str, Any]]]]:
    """The metric calls to make, in report order; records skips for missing inputs."""
    both = [name for name in labels_real if name in labels_generated]
    plan: list[tuple[str, Callable[[], dict[str, Any]]]] = []
    simple = {
        "log_psd_distance": log_psd_distance,
        "band_power": band_power_difference,
        "differential_entropy": differential_entropy_distance,
        "covariance": covariance_distance,
        "topography": topography_correlation,
        "hemispheric_asymmetry": hemispheric_asymmetry,
        "autocorrelation": autocorrelation_distance,
        "hjorth": hjorth_distance,
        "sliced_wasserstein": lambda r, g: sliced_wasserstein(r, g, seed=seed),
        "frechet_distance": frechet_distance,
        "two_sample_classifier": lambda r, g: two_sample_classifier(r, g, seed=seed),
        "mmd": lambda r, g: mmd(r, g, n_permutations=n_permutations, seed=seed),
    }
    for name in selected:
        if name in simple:
            plan.append((name, lambda function=simple[name]: function(real, generated)))
        elif name == "alpha_peak":
            by_subject = "subject" in labels_real and "subject" in labels_generated
            plan.append(
                (
                    name,
                    lambda by_subject=by_subject: alpha_peak_distance(
                        real,
                        generated,
                        groups_real=labels_real["subject"] if by_subject else None,
                        groups_generated=labels_generated["subject"] if by_subject else None,
                    ),
                )
            )
        elif name == "fid_eeg":
            label = fid_label or next((n for n in FID_LABEL_PREFERENCE if n in labels_real), None)
            if label is None and labels_real:
                label = next(iter(labels_real))
            if label is None or label not in labels_real:
                skipped[name] = (
                    "needs labels_real to train the feature extractor "
                    f"(looked for {fid_label or list(FID_LABEL_PREFERENCE)})"
                )
                continue
            use_train = train is not None and label in labels_train
            plan.append(
                (
                    name,
                    lambda label=label, use_train=use_train: {
                        **fid_eeg(
                            real,
                            generated,
                            labels_real[label],
                            train=train if use_train else None,
                            train_labels=labels_train[label] if use_train else None,
                            seed=seed,
                        ),
                        "label": label,
                    },
                )
            )
        elif name == "conditional":
            if not both:
                skipped[name] = "needs a label present in both labels_real and labels_generated"
            for label in both:
                use_train = train is not None and label in labels_train
                plan.append(
                    (
                        f"conditional/{label}",
                        lambda label=label, use_train=use_train: conditional_fidelity(
                            real,
                            generated,
                            labels_real[label],
                            labels_generated[label],
                            train=train if use_train else None,
                            train_labels=labels_train[label] if use_train else None,
                            seed=seed,
                            label_name=label,
                        ),
                    )
                )
        elif name == "stimulus_alignment":
            if clip_keys_real is None or clip_keys_generated is None:
                skipped[name] = "needs clip_keys_real and clip_keys_generated"
                continue
            plan.append(
                (
                    name,
                    lambda: stimulus_alignment(
                        real, generated, clip_keys_real, clip_keys_generated, n_way=None, seed=seed
                    ),
                )
            )
        elif name == "memorisation":
            if train is None:
                skipped[name] = "needs real_train (the clips the generator was trained on)"
                continue
            plan.append((name, lambda: memorisation(train, generated, real)))
    return plan


def write_report(report: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write a report as indented JSON, atomically (temp file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(to_json(report), indent=2, allow_nan=False)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
