"""Temporal fidelity: autocorrelation functions and Hjorth parameters.

The autocorrelation of each clip and channel is the biased estimate (mean removed, divided
by the lag-0 value), computed with an FFT of the zero-padded clip. Hjorth parameters use the
first difference as the derivative; mobility is given as a frequency,
``sfreq / (2π) · sqrt(var(Δx) / var(x))`` Hz, so a sine of ``f`` Hz has mobility
``sfreq / π · sin(π f / sfreq) ≈ f`` and complexity ≈ 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.fft

from evaluation.inputs import EEGSet, as_pair
from evaluation.spectral import POWER_FLOOR
from evaluation.wasserstein import wasserstein_1d


def autocorrelation(data: np.ndarray, max_lag: int) -> np.ndarray:
    """Normalised autocorrelation of every clip and channel for lags ``0..max_lag``.

    Parameters
    ----------
    data : np.ndarray
        Clips, shape ``(n_clips, n_chans, n_times)``.
    max_lag : int
        Largest lag in samples (``< n_times``).

    Returns
    -------
    np.ndarray
        Shape ``(n_clips, n_chans, max_lag + 1)``, float32; lag 0 is 1 (0 for a flat channel).
    """
    n_times = data.shape[-1]
    centred = data - data.mean(axis=-1, keepdims=True)
    spectrum = scipy.fft.rfft(centred, n=2 * n_times, axis=-1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    acov = scipy.fft.irfft(power, n=2 * n_times, axis=-1)[..., : max_lag + 1]
    return (acov / np.maximum(acov[..., :1], POWER_FLOOR)).astype(np.float32)


def mean_autocorrelation(data: np.ndarray, max_lag: int) -> np.ndarray:
    """Clip-mean of :func:`autocorrelation`, shape ``(n_chans, max_lag + 1)``, float64.

    Same result, half the work: the inverse FFT is linear, so the per-clip power spectra are
    normalised by their lag-0 value (Parseval) and averaged before one small inverse FFT.
    """
    n_times = data.shape[-1]
    n_fft = 2 * n_times
    centred = data - data.mean(axis=-1, keepdims=True)
    spectrum = scipy.fft.rfft(centred, n=n_fft, axis=-1)
    power = spectrum.real**2 + spectrum.imag**2  # (n_clips, n_chans, n_fft // 2 + 1)
    # irfft(power)[0] = (P_0 + 2 Σ P_k + P_{N/2}) / N: the lag-0 autocovariance.
    weights = np.full(power.shape[-1], 2.0, dtype=power.dtype)
    weights[0] = weights[-1] = 1.0
    lag0 = (power.reshape(-1, power.shape[-1]) @ weights).reshape(power.shape[:-1]) / n_fft
    inverse = (1.0 / np.maximum(lag0.astype(np.float64), POWER_FLOOR)) / data.shape[0]
    mean_power = np.einsum("ncf,nc->cf", power, inverse.astype(power.dtype)).astype(np.float64)
    return scipy.fft.irfft(mean_power, n=n_fft, axis=-1)[..., : max_lag + 1]


def hjorth_parameters(data: np.ndarray, sfreq: float) -> dict[str, np.ndarray]:
    """Hjorth activity, mobility (Hz) and complexity of every clip and channel.

    Parameters
    ----------
    data : np.ndarray
        Clips, shape ``(n_clips, n_chans, n_times)``, ``n_times >= 3``.
    sfreq : float
        Sampling frequency in Hz.

    Returns
    -------
    dict
        ``activity`` (µV²), ``mobility`` (Hz), ``complexity`` (dimensionless), each of shape
        ``(n_clips, n_chans)``.
    """
    first = np.diff(data, axis=-1)
    second = np.diff(first, axis=-1)
    var0 = data.var(axis=-1, dtype=np.float64)
    var1 = first.var(axis=-1, dtype=np.float64)
    var2 = second.var(axis=-1, dtype=np.float64)
    mobility = np.sqrt(var1 / np.maximum(var0, POWER_FLOOR))  # radians per sample
    mobility_first = np.sqrt(var2 / np.maximum(var1, POWER_FLOOR))
    complexity = mobility_first / np.maximum(mobility, POWER_FLOOR)
    return {
        "activity": var0,
        "mobility": mobility * sfreq / (2 * np.pi),
        "complexity": complexity,
    }


def set_hjorth(eeg: EEGSet) -> dict[str, np.ndarray]:
    """The cached Hjorth parameters of a set (see :func:`hjorth_parameters`)."""
    return eeg.cached("hjorth", lambda: hjorth_parameters(eeg.data, eeg.sfreq))


def autocorrelation_distance(
    real: Any,
    generated: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
    max_lag_s: float = 0.5,
) -> dict[str, Any]:
    """RMS difference between the clip-mean autocorrelation functions, per channel.

    Lags ``1 .. max_lag_s · sfreq`` samples are compared (lag 0 is always 1). Identical sets
    give 0; the largest possible value is 2.

    Returns
    -------
    dict
        ``value`` (mean over channels), ``per_channel``, ``lags_s`` and the channel-mean
        ``mean_acf_real`` / ``mean_acf_generated`` curves.
    """
    metric = "autocorrelation"
    real, generated = as_pair(real, generated, metric, sfreq, ch_names)
    max_lag = round(max_lag_s * real.sfreq)
    if not 1 <= max_lag < real.n_times:
        raise ValueError(
            f"{metric}: max_lag_s={max_lag_s} s is {max_lag} samples; needs 1 <= lags < "
            f"n_times={real.n_times}"
        )

    def mean_acf(eeg: EEGSet) -> np.ndarray:
        return eeg.cached(
            f"acf_{max_lag}",
            lambda: mean_autocorrelation(eeg.data, max_lag),
        )

    acf_real, acf_generated = mean_acf(real), mean_acf(generated)  # (n_chans, max_lag + 1)
    per_channel = np.sqrt(np.mean((acf_generated[:, 1:] - acf_real[:, 1:]) ** 2, axis=1))
    return {
        "value": float(per_channel.mean()),
        "unit": "correlation",
        "ideal": 0.0,
        "better": "lower",
        "per_channel": per_channel,
        "lags_s": np.arange(1, max_lag + 1) / real.sfreq,
        "mean_acf_real": acf_real[:, 1:].mean(axis=0),
        "mean_acf_generated": acf_generated[:, 1:].mean(axis=0),
    }


def hjorth_distance(
    real: Any,
    generated: Any,
    sfreq: float = 200.0,
    ch_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Distance between the per-clip Hjorth mobility and complexity distributions.

    For each channel, the 1-Wasserstein distance between the real and generated
    distributions of the parameter, divided by the real standard deviation (an effect size
    that is comparable between parameters); ``value`` averages both parameters over
    channels. Identical sets give 0.

    Returns
    -------
    dict
        ``value``; ``mobility`` and ``complexity`` with the standardised distance
        (``w1_standardised``), the raw ``w1`` (Hz for mobility), and the real and generated
        means (averaged over channels).
    """
    metric = "hjorth"
    real, generated = as_pair(real, generated, metric, sfreq, ch_names)
    if real.n_times < 3:
        raise ValueError(
            f"{metric}: needs n_times >= 3 for a second difference, got {real.n_times}"
        )
    params_real, params_generated = set_hjorth(real), set_hjorth(generated)
    result: dict[str, Any] = {"unit": "real standard deviations", "ideal": 0.0, "better": "lower"}
    standardised = []
    for name in ("mobility", "complexity"):
        w1 = wasserstein_1d(params_real[name], params_generated[name])  # (n_chans,)
        scale = params_real[name].std(axis=0)
        scale = np.where(
            scale > 0, scale, np.maximum(np.abs(params_real[name]).mean(axis=0), 1e-12)
        )
        standardised.append(w1 / scale)
        result[name] = {
            "w1_standardised": float(standardised[-1].mean()),
            "w1": float(w1.mean()),
            "mean_real": float(params_real[name].mean()),
            "mean_generated": float(params_generated[name].mean()),
        }
    result["value"] = float(np.mean(standardised))
    return result
