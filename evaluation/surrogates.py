"""Reference generators: what a metric should say for "not quite EEG".

* :func:`phase_randomised` — Fourier-transform surrogates (Theiler et al. 1992): each clip's
  amplitude spectrum is kept exactly and its phases replaced by random ones.
* :func:`iaaft` — iterative amplitude-adjusted Fourier transform surrogates (Schreiber &
  Schmitz 1996): keep each channel's amplitude distribution exactly and its power spectrum
  approximately.

Both come in two flavours. ``multivariate=True`` adds the *same* random phase to every
channel at each frequency (Prichard & Theiler 1994; for IAAFT the phase step of Schreiber &
Schmitz 2000), so the cross-spectra — and with them the channel correlations — survive.
``multivariate=False`` draws phases independently per channel, which keeps every channel's
spectrum but destroys the cross-channel phase structure: a good generator of per-channel
spectra that gets the spatial structure wrong.

* :func:`spectrum_matched_noise` — independent Gaussian noise per channel with the real
  set's mean power spectrum (no clip-to-clip variation, no spatial structure).
* :func:`variance_matched_white_noise` — white Gaussian noise with each channel's variance.

All functions are batched over clips and channels (no per-clip Python loops).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.fft

from evaluation.inputs import check_array


def phase_randomised(x: Any, multivariate: bool = True, seed: int = 0) -> np.ndarray:
    """Fourier-transform surrogates of every clip.

    Parameters
    ----------
    x : array-like
        Clips, shape ``(n_clips, n_chans, n_times)``.
    multivariate : bool
        Same random phases for all channels of a clip (keeps cross-spectra) or independent
        phases per channel (breaks them).
    seed : int
        Random seed.

    Returns
    -------
    np.ndarray
        Shape ``(n_clips, n_chans, n_times)``, float32, with each clip's and channel's
        periodogram unchanged (to float precision).
    """
    x = check_array(x, "phase_randomised", "x")
    rng = np.random.default_rng(seed)
    spectrum = scipy.fft.rfft(x, axis=-1)
    return scipy.fft.irfft(
        spectrum * _random_phasors(rng, x.shape, multivariate), n=x.shape[-1], axis=-1
    ).astype(np.float32)


def iaaft(x: Any, n_iter: int = 30, multivariate: bool = False, seed: int = 0) -> np.ndarray:
    """Iterative amplitude-adjusted Fourier-transform surrogates of every clip.

    Each iteration imposes the original amplitude spectrum (keeping the current phases, or
    in the multivariate version the original phases shifted by one common, least-squares
    phase per frequency) and then the original amplitude distribution (rank-order
    remapping). The result has exactly the original values of each channel, reordered.

    Parameters
    ----------
    x : array-like
        Clips, shape ``(n_clips, n_chans, n_times)``.
    n_iter : int
        Iterations (the spectrum error shrinks quickly; 20–50 is usual).
    multivariate : bool
        Keep the cross-channel phase structure (True) or break it (False, default).
    seed : int
        Random seed.

    Returns
    -------
    np.ndarray
        Shape ``(n_clips, n_chans, n_times)``, float32.
    """
    x = check_array(x, "iaaft", "x")
    if n_iter < 1:
        raise ValueError(f"iaaft: n_iter must be >= 1, got {n_iter}")
    rng = np.random.default_rng(seed)
    n_times = x.shape[-1]
    original = scipy.fft.rfft(x, axis=-1)
    amplitude = np.abs(original)
    sorted_values = np.sort(x, axis=-1)
    # Start from the (multivariate) phase-randomised clip, rank-remapped.
    surrogate = scipy.fft.irfft(
        original * _random_phasors(rng, x.shape, multivariate), n=n_times, axis=-1
    )
    surrogate = _rank_remap(surrogate, sorted_values)
    for _ in range(n_iter):
        current = scipy.fft.rfft(surrogate, axis=-1)
        if multivariate:
            # The common phase α(f) minimising Σ_c |S_c − X_c e^{iα}|² is arg Σ_c conj(X_c) S_c.
            common = np.sum(np.conj(original) * current, axis=1, keepdims=True)
            phasor = _unit(common)
            phasor[..., 0] = 1.0
            if n_times % 2 == 0:
                phasor[..., -1] = 1.0
            target = original * phasor
        else:
            target = amplitude * _unit(current)
        surrogate = _rank_remap(scipy.fft.irfft(target, n=n_times, axis=-1), sorted_values)
    return surrogate.astype(np.float32)


def spectrum_matched_noise(real: Any, n_clips: int | None = None, seed: int = 0) -> np.ndarray:
    """Independent Gaussian noise per channel with the real set's mean power spectrum.

    Parameters
    ----------
    real : array-like
        Clips, shape ``(n_real, n_chans, n_times)``.
    n_clips : int, optional
        Number of clips to draw; default ``n_real``.
    seed : int
        Random seed.

    Returns
    -------
    np.ndarray
        Shape ``(n_clips, n_chans, n_times)``, float32; its expected periodogram per channel
        equals the real clip-mean periodogram.
    """
    real = check_array(real, "spectrum_matched_noise", "real")
    n_clips = real.shape[0] if n_clips is None else int(n_clips)
    n_times = real.shape[-1]
    spectrum = scipy.fft.rfft(real, axis=-1)
    mean_power = np.mean(spectrum.real**2 + spectrum.imag**2, axis=0)  # (n_chans, n_freqs)
    rng = np.random.default_rng(seed)
    white = rng.standard_normal((n_clips, real.shape[1], n_times), dtype=np.float32)
    # White noise of unit variance has E|W(f)|² = n_times, so this gives E|Y(f)|² = mean_power.
    shaped = scipy.fft.rfft(white, axis=-1) * np.sqrt(mean_power / n_times).astype(np.float32)
    return scipy.fft.irfft(shaped, n=n_times, axis=-1).astype(np.float32)


def variance_matched_white_noise(
    real: Any, n_clips: int | None = None, seed: int = 0
) -> np.ndarray:
    """White Gaussian noise with each channel's mean within-clip variance.

    Returns
    -------
    np.ndarray
        Shape ``(n_clips, n_chans, n_times)``, float32.
    """
    real = check_array(real, "variance_matched_white_noise", "real")
    n_clips = real.shape[0] if n_clips is None else int(n_clips)
    std = np.sqrt(real.var(axis=-1).mean(axis=0))  # (n_chans,)
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((n_clips, *real.shape[1:]), dtype=np.float32)
    return (noise * std[None, :, None]).astype(np.float32)


def _random_phasors(
    rng: np.random.Generator, shape: tuple[int, ...], multivariate: bool
) -> np.ndarray:
    """Unit phasors ``(n_clips, n_chans or 1, n_freqs)``; DC and Nyquist stay real."""
    n_clips, n_chans, n_times = shape
    n_freqs = n_times // 2 + 1
    phases = rng.uniform(0, 2 * np.pi, size=(n_clips, 1 if multivariate else n_chans, n_freqs))
    phases[..., 0] = 0.0
    if n_times % 2 == 0:
        phases[..., -1] = 0.0  # the Nyquist bin is real; a random phase would change its power
    return np.exp(1j * phases).astype(np.complex64)


def _unit(spectrum: np.ndarray) -> np.ndarray:
    """``exp(i·angle(z))`` without transcendental functions (``z / |z|``; 1 where z = 0)."""
    magnitude = np.abs(spectrum)
    return np.where(magnitude > 0, spectrum / np.where(magnitude > 0, magnitude, 1), 1).astype(
        spectrum.dtype, copy=False
    )


def _rank_remap(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """Give ``values`` the amplitude distribution ``sorted_values`` keeping their rank order."""
    order = np.argsort(values, axis=-1)
    out = np.empty_like(sorted_values)
    np.put_along_axis(out, order, sorted_values, axis=-1)
    return out
