"""Spatial fidelity: channel covariance and correlation, band-power topographies, asymmetry.

Covariances are per clip (mean removed within each clip) and pooled over clips by the
arithmetic mean, i.e. the set's average within-clip covariance. The affine-invariant
Riemannian distance between two SPD matrices is ``sqrt(Σ ln² λ_i)`` over the generalised
eigenvalues of ``(B, A)`` (:func:`scipy.linalg.eigh`): it does not change when both sets are
mixed by the same invertible matrix, and scaling one set by ``s`` adds ``|ln s²|`` per
channel to the log-eigenvalues. EEG that is average-referenced has rank ``n_chans - 1``, so both matrices get the same
small ridge ``shrinkage · trace / n_chans`` before the Riemannian distance (default 1e-3:
the documented floor for rank-deficient input).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.linalg import eigh
from threadpoolctl import threadpool_limits

from evaluation.inputs import EEGSet, as_pair
from evaluation.spectral import POWER_FLOOR, SEED_BANDS, check_bands, set_band_powers
from modeling_video2eeg.montage import hemispheric_pairs


@threadpool_limits.wrap(limits=1, user_api="blas")
def clip_covariances(data: np.ndarray) -> np.ndarray:
    """Per-clip channel covariance (one BLAS thread: thousands of small products).

    Parameters
    ----------
    data : np.ndarray
        Clips, shape ``(n_clips, n_chans, n_times)``.

    Returns
    -------
    np.ndarray
        Shape ``(n_clips, n_chans, n_chans)``, µV², float32 (unbiased, ``n_times - 1``).
    """
    centred = data - data.mean(axis=-1, keepdims=True)
    return np.matmul(centred, centred.transpose(0, 2, 1)) / np.float32(data.shape[-1] - 1)


def set_clip_covariances(eeg: EEGSet) -> np.ndarray:
    """The cached per-clip covariances of a set, ``(n_clips, n_chans, n_chans)``."""
    return eeg.cached("clip_covariance", lambda: clip_covariances(eeg.data))


def set_mean_covariance(eeg: EEGSet) -> np.ndarray:
    """The set's mean within-clip covariance, ``(n_chans, n_chans)``, float64."""
    return eeg.cached(
        "mean_covariance", lambda: set_clip_covariances(eeg).astype(np.float64).mean(axis=0)
    )


def covariance_to_correlation(covariance: np.ndarray) -> np.ndarray:
    """Correlation matrix (or matrices, leading axes batched) from covariance."""
    scale = np.sqrt(np.maximum(np.diagonal(covariance, axis1=-2, axis2=-1), POWER_FLOOR))
    return covariance / (scale[..., :, None] * scale[..., None, :])


def riemannian_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Affine-invariant Riemannian distance between two SPD matrices ``(n, n)``.

    ``d(A, B) = || log(A^{-1/2} B A^{-1/2}) ||_F = sqrt(Σ ln² λ_i)`` with ``λ`` the
    generalised eigenvalues of ``B v = λ A v``. Symmetric, zero iff ``A = B``, and
    ``d(W A Wᵀ, W B Wᵀ) = d(A, B)`` for any invertible ``W``.

    Raises
    ------
    ValueError
        If either matrix is not symmetric positive definite.
    """
    try:
        eigenvalues = eigh(b, a, eigvals_only=True)
    except np.linalg.LinAlgError as error:
        raise ValueError(
            "riemannian_distance: both matrices must be symmetric positive definite "
            f"(use shrinkage > 0 for rank-deficient EEG): {error}"
        ) from error
    if np.any(eigenvalues <= 0):
        raise ValueError(
            "riemannian_distance: both matrices must be symmetric positive definite "
            "(use shrinkage > 0 for rank-deficient EEG)"
        )
    return float(np.sqrt(np.sum(np.log(eigenvalues) ** 2)))


def covariance_distance(
    real: Any,
    generated: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
    shrinkage: float = 1e-3,
) -> dict[str, Any]:
    """Distances between the real and generated mean channel covariances and correlations.

    Parameters
    ----------
    real, generated : array-like or EEGSet
        Clips, shape ``(n_clips, n_chans, n_times)``.
    shrinkage : float
        Ridge added to both covariances before the Riemannian distance, as a fraction of
        the mean eigenvalue (``trace / n_chans``); 0 for none.

    Returns
    -------
    dict
        ``value`` = ``riemannian`` (affine-invariant distance between the mean covariances),
        ``frobenius_relative`` (``||C_g - C_r||_F / ||C_r||_F``), ``correlation_frobenius``
        (``||R_g - R_r||_F`` of the correlation matrices) and ``correlation_rms`` (RMS of
        the off-diagonal correlation differences). All 0 for identical sets; correlation
        distances ignore channel scaling.
    """
    metric = "covariance"
    real, generated = as_pair(real, generated, metric, sfreq, ch_names)
    if shrinkage < 0:
        raise ValueError(f"{metric}: shrinkage must be >= 0, got {shrinkage}")
    cov_real, cov_generated = set_mean_covariance(real), set_mean_covariance(generated)
    n_chans = real.n_chans
    ridged = [
        c + shrinkage * np.trace(c) / n_chans * np.eye(n_chans) for c in (cov_real, cov_generated)
    ]
    corr_real = covariance_to_correlation(cov_real)
    corr_generated = covariance_to_correlation(cov_generated)
    correlation_frobenius = float(np.linalg.norm(corr_generated - corr_real))
    off_diagonal = max(n_chans * (n_chans - 1), 1)
    try:
        riemannian = riemannian_distance(*ridged)
    except ValueError as error:
        raise ValueError(f"{metric}: {error}") from error
    return {
        "value": riemannian,
        "unit": "dimensionless",
        "ideal": 0.0,
        "better": "lower",
        "riemannian": riemannian,
        "frobenius_relative": float(
            np.linalg.norm(cov_generated - cov_real) / max(np.linalg.norm(cov_real), POWER_FLOOR)
        ),
        "correlation_frobenius": correlation_frobenius,
        "correlation_rms": correlation_frobenius / np.sqrt(off_diagonal),
        "shrinkage": shrinkage,
    }


def topography_correlation(
    real: Any,
    generated: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Pearson correlation across electrodes of the mean log band-power maps, per band.

    The topography of a band is ``log10`` of the clip-mean band power at each electrode.
    Identical sets give 1; a map that is flat in either set gives NaN for that band.

    Returns
    -------
    dict
        ``value`` (mean over bands, higher is better, ideal 1) and ``per_band``.
    """
    metric = "topography"
    real, generated = as_pair(real, generated, metric, sfreq, ch_names)
    check_bands(real, metric)
    if real.n_chans < 3:
        raise ValueError(
            f"{metric}: needs at least 3 channels for a topography, got {real.n_chans}"
        )
    maps_real = np.log10(set_band_powers(real).mean(axis=0) + POWER_FLOOR)  # (n_chans, n_bands)
    maps_generated = np.log10(set_band_powers(generated).mean(axis=0) + POWER_FLOOR)
    centred_real = maps_real - maps_real.mean(axis=0)
    centred_generated = maps_generated - maps_generated.mean(axis=0)
    norm = np.linalg.norm(centred_real, axis=0) * np.linalg.norm(centred_generated, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_band = np.where(norm > 0, (centred_real * centred_generated).sum(axis=0) / norm, np.nan)
    return {
        "value": float(np.nanmean(per_band)) if np.isfinite(per_band).any() else float("nan"),
        "unit": "Pearson r",
        "ideal": 1.0,
        "better": "higher",
        "per_band": dict(zip(SEED_BANDS, per_band, strict=True)),
    }


def hemispheric_asymmetry(
    real: Any,
    generated: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Difference in hemispheric band-power asymmetry on the montage's homologous pairs.

    Asymmetry of a pair (left, right) in a band is the clip mean of ``ln P_right − ln P_left``
    (the frontal-alpha-asymmetry convention, applied to every pair and band). The distance is
    the generated minus real asymmetry; identical sets give 0.

    Returns
    -------
    dict
        ``value`` (mean absolute difference over pairs and bands, ln units), ``per_band``
        (mean absolute difference), ``pairs`` (names ``"F3-F4"``) and ``difference`` per
        band (one value per pair).
    """
    metric = "hemispheric_asymmetry"
    real, generated = as_pair(real, generated, metric, sfreq, ch_names)
    check_bands(real, metric)
    pairs = hemispheric_pairs(real.ch_names)
    if not pairs:
        raise ValueError(f"{metric}: needs at least one left/right electrode pair in ch_names")
    left, right = np.array(pairs).T

    def asymmetry(eeg: EEGSet) -> np.ndarray:
        log_power = np.log(set_band_powers(eeg) + POWER_FLOOR)
        return (log_power[:, right] - log_power[:, left]).mean(axis=0)  # (n_pairs, n_bands)

    difference = asymmetry(generated) - asymmetry(real)
    return {
        "value": float(np.abs(difference).mean()),
        "unit": "ln power ratio",
        "ideal": 0.0,
        "better": "lower",
        "per_band": dict(zip(SEED_BANDS, np.abs(difference).mean(axis=0), strict=True)),
        "pairs": [f"{real.ch_names[i]}-{real.ch_names[j]}" for i, j in pairs],
        "difference": {band: difference[:, k] for k, band in enumerate(SEED_BANDS)},
    }
