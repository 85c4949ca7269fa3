"""Window plans for videos of any length, and seamless fusion of overlapping windows.

The model generates one window of ``window`` samples (2 s at 200 Hz). A longer video needs one
continuous recording with no seams. We use **MultiDiffusion** (Bar-Tal et al., "MultiDiffusion:
Fusing Diffusion Paths for Controlled Image Generation", ICML 2023): the whole recording is one
noisy signal; at every denoising step each overlapping window reads its slice, the denoiser
predicts its noise (or v), the predictions are fused into one prediction for the whole signal by
a weighted average, and the scheduler takes one step on the whole signal. All windows thus
follow one shared diffusion path and agree by construction. The fusion weights
(:func:`fusion_weights`) ramp linearly over the first and last ``overlap`` samples of each window,
so in an overlap one window fades out while the next fades in: a hard 0/1 weight change at a
window edge would leave a visible step there (measured by :func:`boundary_jumps`).

Fusing the *prediction* rather than each window's next latent keeps the scheduler's own noise
global, so stochastic schedulers (DDPM, ancestral samplers) inject full-variance noise in
overlaps instead of an average of independent draws (which would be too smooth there).

Windows (:func:`plan_continuous_windows`) start every ``window - overlap`` samples from sample 0
and the last one ends exactly at the last sample of the video, so the recording covers the whole
video with no drift and no padding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

DEFAULT_OVERLAP: int = 100
"""Samples shared by neighbouring windows in continuous mode (0.5 s at 200 Hz)."""


@dataclass(frozen=True)
class EEGWindow:
    """One model window: where its EEG sits and when its video plays.

    Attributes
    ----------
    video_index : int
        Which input of the batch the window belongs to.
    start_sample, stop_sample : int
        EEG sample range ``[start_sample, stop_sample)`` on that video's time line at ``sfreq``
        (sample ``k`` is the instant ``k / sfreq`` s after the video's first frame).
    sfreq : float
        EEG sampling frequency in Hz.
    """

    video_index: int
    start_sample: int
    stop_sample: int
    sfreq: float

    @property
    def start_s(self) -> float:
        """Video time (s from the first frame) where the window starts."""
        return self.start_sample / self.sfreq

    @property
    def stop_s(self) -> float:
        """Video time (s from the first frame) where the window ends (exclusive)."""
        return self.stop_sample / self.sfreq

    @property
    def n_times(self) -> int:
        return self.stop_sample - self.start_sample


def plan_clip_windows(n_times: int, window: int) -> list[int]:
    """Starts of back-to-back windows from sample 0; a partial last window is dropped."""
    _check_sizes(n_times, window)
    return [k * window for k in range(n_times // window)]


def plan_continuous_windows(n_times: int, window: int, overlap: int = DEFAULT_OVERLAP) -> list[int]:
    """Starts of overlapping windows covering ``[0, n_times)``.

    Windows start every ``window - overlap`` samples; the last one is moved to end exactly at
    ``n_times`` (so it may overlap its neighbour by more than ``overlap``).

    Parameters
    ----------
    n_times : int
        Length of the recording in samples (>= ``window``).
    window : int
        Window length in samples.
    overlap : int
        Samples shared by neighbours, ``1 <= overlap <= window / 2``.
    """
    _check_sizes(n_times, window)
    if not 1 <= overlap <= window // 2:
        raise ValueError(f"overlap must be in [1, {window // 2}] samples, got {overlap}")
    starts = list(range(0, n_times - window + 1, window - overlap))
    if starts[-1] != n_times - window:
        starts.append(n_times - window)
    return starts


def make_windows(video_index: int, starts: list[int], window: int, sfreq: float) -> list[EEGWindow]:
    """:class:`EEGWindow` records for window ``starts`` of one video."""
    return [EEGWindow(video_index, start, start + window, sfreq) for start in starts]


def fusion_weights(window: int, overlap: int) -> torch.Tensor:
    """Cross-fade weights ``(window,)``: a linear ramp over the first and last ``overlap`` samples.

    Weights are ``(k + 1) / (overlap + 1)`` at distance ``k`` from the nearer edge, capped at 1:
    strictly positive (a sample covered by one window keeps that window's value) and, in an
    overlap of two windows, summing to about 1 (one fades out as the other fades in).
    """
    if not 1 <= overlap <= window // 2:
        raise ValueError(f"overlap must be in [1, {window // 2}] samples, got {overlap}")
    position = torch.arange(window, dtype=torch.float64)
    distance = torch.minimum(position, window - 1 - position)
    return ((distance + 1) / (overlap + 1)).clamp(max=1.0)


def boundary_jumps(
    recording: np.ndarray, windows: list[EEGWindow]
) -> tuple[np.ndarray, np.ndarray]:
    """Sample-to-sample jumps at window edges vs everywhere else.

    A stitching method leaves seams where a window starts or ends inside the recording. This
    returns ``|x[t] - x[t-1]|`` for ``t`` a window start or stop strictly inside the recording,
    and for all other ``t``, pooled over channels.

    Parameters
    ----------
    recording : np.ndarray
        ``(n_chans, n_times)`` continuous EEG.
    windows : list of EEGWindow
        The windows that made it (one video).

    Returns
    -------
    seam_jumps, inner_jumps : np.ndarray
        1-D arrays of absolute differences.
    """
    n_times = recording.shape[1]
    edges = np.zeros(n_times, dtype=bool)
    for window in windows:
        for edge in (window.start_sample, window.stop_sample):
            if 0 < edge < n_times:
                edges[edge] = True
    diffs = np.abs(np.diff(recording, axis=1))  # diffs[:, t - 1] = |x[t] - x[t-1]|
    at_edge = edges[1:]
    return diffs[:, at_edge].ravel(), diffs[:, ~at_edge].ravel()


def _check_sizes(n_times: int, window: int) -> None:
    if window < 1:
        raise ValueError(f"window must be >= 1 sample, got {window}")
    if n_times < window:
        raise ValueError(f"n_times ({n_times}) is shorter than one window ({window} samples)")
