"""Spectral fidelity: Welch PSDs, band powers, differential entropy, alpha peak frequency.

All spectra are Welch estimates (:func:`scipy.signal.welch`, Hann window, 1-s segments with
50 % overlap, per-segment mean removal) per clip and channel, in µV²/Hz. Band powers integrate
the PSD over the half-open SEED bands ``[low, high)`` (so the 50 Hz line-noise bin is outside
gamma). Differential entropy (SEED's DE feature) is the entropy of a Gaussian with the band's
power, ``½ ln(2πe P_band)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.signal import welch

from evaluation.inputs import EEGSet, as_eeg_set, as_pair, check_labels
from evaluation.regions import posterior_indices
from evaluation.wasserstein import wasserstein_1d

SEED_BANDS: dict[str, tuple[float, float]] = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 14.0),
    "beta": (14.0, 31.0),
    "gamma": (31.0, 50.0),
}
"""SEED's frequency bands in Hz, ``[low, high)``."""

POWER_FLOOR = 1e-20
"""Added to powers (µV²) before taking logs, so a flat channel gives a finite value."""


def welch_psd(
    data: np.ndarray, sfreq: float, nperseg: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD of every clip and channel.

    Parameters
    ----------
    data : np.ndarray
        Clips, shape ``(n_clips, n_chans, n_times)``, microvolts.
    sfreq : float
        Sampling frequency in Hz.
    nperseg : int, optional
        Segment length in samples; default one second (``round(sfreq)``), capped at
        ``n_times`` (so the resolution is 1 Hz for SEED's 2-s clips).

    Returns
    -------
    freqs : np.ndarray
        Shape ``(n_freqs,)``, Hz.
    psd : np.ndarray
        Shape ``(n_clips, n_chans, n_freqs)``, µV²/Hz, float32.
    """
    n_times = data.shape[-1]
    nperseg = min(round(sfreq) if nperseg is None else int(nperseg), n_times)
    freqs, psd = welch(data, fs=sfreq, nperseg=nperseg, noverlap=nperseg // 2, axis=-1)
    return freqs, psd.astype(np.float32, copy=False)


def set_psd(eeg: EEGSet) -> tuple[np.ndarray, np.ndarray]:
    """The cached Welch PSD of a set (see :func:`welch_psd`)."""
    return eeg.cached("psd", lambda: welch_psd(eeg.data, eeg.sfreq))


def check_bands(
    eeg: EEGSet, metric: str, bands: Mapping[str, tuple[float, float]] = SEED_BANDS
) -> None:
    """Check every band lies below Nyquist and holds at least one PSD bin."""
    nyquist = eeg.sfreq / 2
    for name, (low, high) in bands.items():
        if not 0 <= low < high:
            raise ValueError(f"{metric}: band {name!r} must have 0 <= low < high, got {low, high}")
        if high > nyquist:
            raise ValueError(
                f"{metric}: the {name} band ({low:g}–{high:g} Hz) needs sfreq >= {2 * high:g} Hz, "
                f"got sfreq={eeg.sfreq:g} Hz"
            )
    resolution = eeg.sfreq / min(round(eeg.sfreq), eeg.n_times)
    narrowest = min(high - low for low, high in bands.values())
    if resolution > narrowest:
        raise ValueError(
            f"{metric}: Welch resolution {resolution:g} Hz is coarser than the narrowest band "
            f"({narrowest:g} Hz); needs clips of at least {int(np.ceil(eeg.sfreq / narrowest))} "
            f"samples, got n_times={eeg.n_times}"
        )


def band_powers(
    freqs: np.ndarray, psd: np.ndarray, bands: Mapping[str, tuple[float, float]] = SEED_BANDS
) -> np.ndarray:
    """Integrate a PSD over bands.

    Parameters
    ----------
    freqs : np.ndarray
        Shape ``(n_freqs,)``, evenly spaced, Hz.
    psd : np.ndarray
        Shape ``(..., n_freqs)``, µV²/Hz.
    bands : mapping of str to (low, high)
        Half-open bands ``[low, high)`` in Hz.

    Returns
    -------
    np.ndarray
        Shape ``(..., n_bands)``, µV², float64.
    """
    step = float(freqs[1] - freqs[0])
    masks = np.stack([(freqs >= low) & (freqs < high) for low, high in bands.values()], axis=1)
    # One 2-D product (a stacked matmul would be thousands of tiny ones).
    flat = psd.reshape(-1, psd.shape[-1]) @ masks.astype(psd.dtype)
    return flat.reshape(*psd.shape[:-1], len(bands)).astype(np.float64) * step


def set_band_powers(eeg: EEGSet) -> np.ndarray:
    """The cached SEED band powers of a set, shape ``(n_clips, n_chans, 5)``, µV²."""
    return eeg.cached("band_power", lambda: band_powers(*set_psd(eeg), SEED_BANDS))


def differential_entropy(band_power: np.ndarray) -> np.ndarray:
    """SEED's DE feature from band power: ``½ ln(2πe P)`` (nats), same shape as the input."""
    return 0.5 * np.log(2 * np.pi * np.e * (band_power + POWER_FLOOR))


def log_psd_distance(
    real: Any,
    generated: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
    fmin: float = 1.0,
    fmax: float = 50.0,
) -> dict[str, Any]:
    """Distance between the real and generated median spectra, in dB.

    For each channel, the median PSD over clips is taken in each set; the distance is the RMS
    over frequencies in ``[fmin, fmax)`` of ``10 log10(median_generated / median_real)``,
    averaged over channels. Identical sets give 0.

    Parameters
    ----------
    real, generated : array-like or EEGSet
        Clips, shape ``(n_clips, n_chans, n_times)``.
    sfreq : float
        Sampling frequency in Hz (for arrays).
    ch_names : sequence of str, optional
        Channel names (for arrays); default the SEED montage.
    fmin, fmax : float
        Frequency range in Hz.

    Returns
    -------
    dict
        ``value`` (dB, lower is better), ``per_channel`` (dB, ``n_chans``),
        ``mean_difference_per_frequency`` (dB, generated minus real, averaged over channels)
        and ``freqs``.
    """
    metric = "log_psd_distance"
    real, generated = as_pair(real, generated, metric, sfreq, ch_names)
    if not 0 <= fmin < fmax <= real.sfreq / 2:
        raise ValueError(
            f"{metric}: needs 0 <= fmin < fmax <= sfreq/2 = {real.sfreq / 2:g}, got {fmin}, {fmax}"
        )
    freqs, psd_real = set_psd(real)
    _, psd_generated = set_psd(generated)
    keep = (freqs >= fmin) & (freqs < fmax)
    if not keep.any():
        raise ValueError(f"{metric}: no PSD bin in [{fmin}, {fmax}) Hz at this resolution")
    median_real = np.median(psd_real[..., keep], axis=0).astype(np.float64)
    median_generated = np.median(psd_generated[..., keep], axis=0).astype(np.float64)
    difference_db = 10 * np.log10((median_generated + POWER_FLOOR) / (median_real + POWER_FLOOR))
    per_channel = np.sqrt(np.mean(difference_db**2, axis=1))
    return {
        "value": float(per_channel.mean()),
        "unit": "dB",
        "ideal": 0.0,
        "better": "lower",
        "per_channel": per_channel,
        "freqs": freqs[keep],
        "mean_difference_per_frequency": difference_db.mean(axis=0),
    }


def band_power_difference(
    real: Any,
    generated: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Absolute and relative band-power differences per SEED band and channel.

    Absolute: ``10 log10(mean P_generated / mean P_real)`` per channel and band (dB).
    Relative: the clip-mean share of each band in the 1–50 Hz total, generated minus real,
    in percentage points. Identical sets give 0 everywhere.

    Returns
    -------
    dict
        ``value`` (mean absolute dB difference over channels and bands), ``relative_value``
        (mean absolute percentage-point difference), and ``per_band`` with, per band, the
        per-channel differences ``db`` and ``relative_pp`` (``n_chans`` each).
    """
    metric = "band_power"
    real, generated = as_pair(real, generated, metric, sfreq, ch_names)
    check_bands(real, metric)
    power_real, power_generated = set_band_powers(real), set_band_powers(generated)
    difference_db = 10 * np.log10(
        (power_generated.mean(axis=0) + POWER_FLOOR) / (power_real.mean(axis=0) + POWER_FLOOR)
    )
    relative_real = _relative(power_real).mean(axis=0)
    relative_generated = _relative(power_generated).mean(axis=0)
    difference_pp = 100 * (relative_generated - relative_real)
    return {
        "value": float(np.abs(difference_db).mean()),
        "unit": "dB",
        "relative_value": float(np.abs(difference_pp).mean()),
        "relative_unit": "percentage points",
        "ideal": 0.0,
        "better": "lower",
        "per_band": {
            band: {"db": difference_db[:, i], "relative_pp": difference_pp[:, i]}
            for i, band in enumerate(SEED_BANDS)
        },
    }


def differential_entropy_distance(
    real: Any,
    generated: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Distance between the per-clip DE feature distributions (SEED's DE, nats).

    For each channel and band, the 1-Wasserstein distance between the real and generated
    distributions of clip DE values; ``value`` is their mean. Identical sets give 0.

    Returns
    -------
    dict
        ``value`` (nats), ``per_band`` (mean over channels, nats) and ``mean_difference``
        per band (generated minus real mean DE, averaged over channels).
    """
    metric = "differential_entropy"
    real, generated = as_pair(real, generated, metric, sfreq, ch_names)
    check_bands(real, metric)
    de_real = differential_entropy(set_band_powers(real))
    de_generated = differential_entropy(set_band_powers(generated))
    distance = wasserstein_1d(de_real, de_generated)  # (n_chans, n_bands)
    mean_difference = (de_generated.mean(axis=0) - de_real.mean(axis=0)).mean(axis=0)
    return {
        "value": float(distance.mean()),
        "unit": "nats",
        "ideal": 0.0,
        "better": "lower",
        "per_band": dict(zip(SEED_BANDS, distance.mean(axis=0), strict=True)),
        "mean_difference": dict(zip(SEED_BANDS, mean_difference, strict=True)),
    }


def alpha_peak_frequency(
    eeg: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
    groups: Any = None,
    alpha_range: tuple[float, float] = (7.0, 14.0),
    fit_range: tuple[float, float] = (2.0, 40.0),
) -> dict[str, float]:
    """Individual alpha peak frequency, per group of clips (e.g. per subject).

    The clip-mean PSD of each group, averaged over parietal and occipital channels, is
    flattened by removing a straight-line (1/f) fit in log-log coordinates over
    ``fit_range`` (leaving ``alpha_range`` out of the fit); the peak is the maximum of the
    flattened log spectrum in ``alpha_range``, refined by a parabola through it and its
    neighbours. A group whose flattened spectrum has no positive bump in the range gets NaN.

    Parameters
    ----------
    eeg : array-like or EEGSet
        Clips, shape ``(n_clips, n_chans, n_times)``.
    groups : array-like, optional
        One label per clip (e.g. subject ids); default one group ``"all"``.
    alpha_range, fit_range : (float, float)
        Hz.

    Returns
    -------
    dict of str to float
        Peak frequency in Hz per group (keys are ``str(label)``).
    """
    metric = "alpha_peak"
    eeg = as_eeg_set(eeg, metric, "eeg", sfreq, ch_names)
    if not alpha_range[1] <= eeg.sfreq / 2:
        raise ValueError(f"{metric}: alpha_range {alpha_range} must lie below sfreq/2")
    freqs, psd = set_psd(eeg)
    labels = (
        np.zeros(eeg.n_clips, dtype=np.int64)
        if groups is None
        else check_labels(groups, eeg.n_clips, metric, "groups")
    )
    names, inverse = np.unique(labels, return_inverse=True)
    posterior = psd[:, posterior_indices(eeg.ch_names)].mean(axis=1)  # (n_clips, n_freqs)
    counts = np.bincount(inverse, minlength=len(names)).astype(np.float64)
    group_mean = np.zeros((len(names), len(freqs)))
    np.add.at(group_mean, inverse, posterior.astype(np.float64))
    group_mean /= counts[:, None]
    peaks = _flattened_peak(freqs, group_mean, alpha_range, fit_range, metric)
    keys = ["all"] if groups is None else [str(name) for name in names.tolist()]
    return dict(zip(keys, peaks.tolist(), strict=True))


def alpha_peak_distance(
    real: Any,
    generated: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
    groups_real: Any = None,
    groups_generated: Any = None,
) -> dict[str, Any]:
    """Mean absolute difference of alpha peak frequencies between matched groups (Hz).

    Groups (subjects) present in both sets are compared; without groups the whole sets are.

    Returns
    -------
    dict
        ``value`` (Hz, NaN if no group has a peak in both), ``per_group`` with the two peaks,
        and ``n_groups`` compared.
    """
    metric = "alpha_peak"
    real, generated = as_pair(real, generated, metric, sfreq, ch_names)
    if (groups_real is None) != (groups_generated is None):
        raise ValueError(f"{metric}: give groups for both real and generated, or for neither")
    peaks_real = alpha_peak_frequency(real, groups=groups_real)
    peaks_generated = alpha_peak_frequency(generated, groups=groups_generated)
    shared = [key for key in peaks_real if key in peaks_generated]
    differences = np.array([abs(peaks_generated[k] - peaks_real[k]) for k in shared])
    valid = differences[np.isfinite(differences)] if differences.size else differences
    return {
        "value": float(valid.mean()) if valid.size else float("nan"),
        "unit": "Hz",
        "ideal": 0.0,
        "better": "lower",
        "n_groups": len(valid),
        "per_group": {k: {"real": peaks_real[k], "generated": peaks_generated[k]} for k in shared},
    }


def _flattened_peak(
    freqs: np.ndarray,
    spectra: np.ndarray,
    alpha_range: tuple[float, float],
    fit_range: tuple[float, float],
    metric: str,
) -> np.ndarray:
    """Alpha peak of each row of ``spectra`` (n_groups, n_freqs); see alpha_peak_frequency."""
    log_power = np.log10(spectra + POWER_FLOOR)
    in_alpha = (freqs >= alpha_range[0]) & (freqs <= alpha_range[1])
    in_fit = (freqs >= fit_range[0]) & (freqs <= fit_range[1]) & ~in_alpha & (freqs > 0)
    if in_alpha.sum() < 3 or in_fit.sum() < 2:
        raise ValueError(
            f"{metric}: needs at least 3 PSD bins in {alpha_range} Hz and 2 in {fit_range} Hz "
            f"outside it; the clips are too short for this resolution"
        )
    log_freqs = np.log10(freqs[in_fit])
    slope, intercept = np.polyfit(log_freqs, log_power[:, in_fit].T, 1)
    residual = log_power - (slope[:, None] * np.log10(np.maximum(freqs, freqs[1]))[None, :])
    residual -= intercept[:, None]
    candidates = np.flatnonzero(in_alpha)
    best = candidates[np.argmax(residual[:, candidates], axis=1)]
    rows = np.arange(len(best))
    left = residual[rows, np.maximum(best - 1, 0)]
    centre = residual[rows, best]
    right = residual[rows, np.minimum(best + 1, len(freqs) - 1)]
    curvature = left - 2 * centre + right
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = np.where(curvature < 0, 0.5 * (left - right) / curvature, 0.0)
    step = freqs[1] - freqs[0]
    peaks = freqs[best] + np.clip(offset, -0.5, 0.5) * step
    return np.where(centre > 0, peaks, np.nan)


def _relative(power: np.ndarray) -> np.ndarray:
    return power / (power.sum(axis=-1, keepdims=True) + POWER_FLOOR)
