"""A small EEG-like Gaussian process with known properties, for calibrating the metrics.

Not a simulator of SEED-DV (``dataset_builder`` has that): a stationary multichannel Gaussian
process whose answer is known by construction, used by the tests and the benchmark to check
that each metric measures what it claims. Textbook EEG properties it follows:

* aperiodic ``1/f^β`` background (β ≈ 1–2; default 1.5), tens of µV;
* an alpha rhythm, a spectral bump at ``alpha_peak_hz`` (individual alpha frequency,
  typically 9–11.5 Hz), strongest over parietal/occipital sites;
* volume conduction: channels are mixed by ``Σ^{1/2}`` with
  ``Σ_ij = exp(-d_ij² / (2 ℓ²))`` over template inter-electrode distances ``d_ij``, so
  nearby electrodes are correlated and the correlation decays with distance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.fft

from modeling_video2eeg.montage import SEED_CH_NAMES, SEED_SFREQ, electrode_positions


def spatial_mixing(ch_names: Sequence[str] = SEED_CH_NAMES, spatial_scale_m: float = 0.03):
    """Symmetric square root of the distance-kernel covariance, ``(n_chans, n_chans)``.

    Its square has unit diagonal, so mixing keeps every channel's variance.
    """
    positions = electrode_positions(ch_names)
    squared = np.sum((positions[:, None] - positions[None]) ** 2, axis=-1)
    covariance = np.exp(-squared / (2 * spatial_scale_m**2))
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))) @ eigenvectors.T


def correlated_noise(
    n_clips: int,
    *,
    sfreq: float = SEED_SFREQ,
    n_times: int = 400,
    ch_names: Sequence[str] = SEED_CH_NAMES,
    aperiodic_exponent: float = 1.5,
    alpha_peak_hz: float | Any = 10.0,
    alpha_amplitude: float | Any = 3.0,
    alpha_width_hz: float = 1.0,
    spatial_scale_m: float = 0.03,
    channel_gain: Any = None,
    amplitude_uv: float = 15.0,
    seed: int = 0,
) -> np.ndarray:
    """Draw clips of spatially correlated, spectrally shaped Gaussian EEG-like noise.

    Parameters
    ----------
    n_clips : int
        Number of clips.
    sfreq, n_times : float, int
        Sampling frequency (Hz) and clip length (samples).
    ch_names : sequence of str
        SEED channel names (positions set the spatial correlation).
    aperiodic_exponent : float
        β of the ``1/f^β`` power spectrum (flat below 1 Hz, no DC).
    alpha_peak_hz : float or array-like of shape (n_clips,)
        Centre of the alpha bump, per clip if an array (e.g. one value per subject).
    alpha_amplitude : float or array-like of shape (n_clips,)
        Alpha amplitude at its peak relative to the background amplitude there
        (power ratio ``alpha_amplitude²`` at posterior sites).
    alpha_width_hz : float
        Standard deviation of the Gaussian alpha bump, Hz.
    spatial_scale_m : float
        Length scale ℓ of the volume-conduction kernel, metres (neighbours are ~3 cm apart).
    channel_gain : array-like of shape (n_chans,) or (n_clips, n_chans), optional
        Multiplies each channel (e.g. a class-specific topography).
    amplitude_uv : float
        RMS of the aperiodic background per channel, µV.
    seed : int
        Same seed, same clips.

    Returns
    -------
    np.ndarray
        Shape ``(n_clips, n_chans, n_times)``, float32, µV.
    """
    if n_clips < 1 or n_times < 4:
        raise ValueError(
            f"correlated_noise: needs n_clips >= 1 and n_times >= 4, got {n_clips}, {n_times}"
        )
    rng = np.random.default_rng(seed)
    n_chans = len(ch_names)
    freqs = scipy.fft.rfftfreq(n_times, 1.0 / sfreq)
    background = np.maximum(freqs, 1.0) ** (-aperiodic_exponent / 2)
    background[0] = 0.0
    # Two-sided sum of |A(f)|² / n_times is the variance white noise of unit variance gets.
    weights = np.full(len(freqs), 2.0)
    weights[0] = 1.0
    if n_times % 2 == 0:
        weights[-1] = 1.0
    background *= amplitude_uv / np.sqrt(np.sum(weights * background**2) / n_times)

    peak = np.broadcast_to(np.asarray(alpha_peak_hz, dtype=np.float64), (n_clips,))
    gain_alpha = np.broadcast_to(np.asarray(alpha_amplitude, dtype=np.float64), (n_clips,))
    background_at_peak = np.interp(peak, freqs, background)
    alpha = (gain_alpha * background_at_peak)[:, None] * np.exp(
        -((freqs[None, :] - peak[:, None]) ** 2) / (2 * alpha_width_hz**2)
    )  # (n_clips, n_freqs)

    white = rng.standard_normal((2, n_clips, n_chans, n_times), dtype=np.float32)
    spectra = scipy.fft.rfft(white, axis=-1)
    spectra[0] *= background.astype(np.float32)
    spectra[1] *= alpha[:, None, :].astype(np.float32)
    sources = scipy.fft.irfft(spectra, n=n_times, axis=-1)

    positions = electrode_positions(ch_names)
    # Posterior weighting of alpha: ~1 at occipital sites, ~0.3 frontally (y is anterior).
    posterior = 0.3 + 0.7 / (1.0 + np.exp(positions[:, 1] / 0.02))
    mixing = spatial_mixing(ch_names, spatial_scale_m).astype(np.float32)
    unmixed = sources[0] + posterior[:, None].astype(np.float32) * sources[1]
    # One (n_chans × n_chans) @ (n_chans × n_clips·n_times) GEMM: far faster than a batched matmul.
    flat = mixing @ unmixed.transpose(1, 0, 2).reshape(n_chans, -1)
    eeg = np.ascontiguousarray(flat.reshape(n_chans, n_clips, n_times).transpose(1, 0, 2))
    if channel_gain is not None:
        gain = np.asarray(channel_gain, dtype=np.float32)
        eeg *= gain[..., None] if gain.ndim == 2 else gain[None, :, None]
    return eeg.astype(np.float32, copy=False)
