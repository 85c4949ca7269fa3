"""Window plans for videos of any length, and the seamless stitching of their EEG.

The model generates one window of ``window`` samples (2 s at 200 Hz) at a time. A longer video
needs one continuous recording with no seams, so windows must agree where they meet. We make
them agree by **inpainting**: a window that overlaps samples already generated is sampled with
those samples imposed as a constraint, RePaint-style (Lugmayr et al., CVPR 2022): at every
denoising step the known samples are replaced by the known clean values noised to the current
noise level with the scheduler's own ``add_noise``, and at the end by the clean values
themselves (:func:`pipelines.pipeline_video2eeg.Video2EEGPipeline.__call__` runs the sampler).
The denoiser sees the known context throughout, so the new samples continue it with the
statistics the model learned for the inside of a window. The overlap regions are not averaged or
cross-faded (which would damp the signal's variance there).

Plan (``L`` = window, ``o`` = overlap, period ``P = 2L − 2o``):

* pass 0: windows ``A_k = [kP, kP + L)``, sampled freely and independently, batched;
* pass 1: windows ``B_k = [kP + L − o, kP + 2L − o)`` between ``A_k`` and ``A_{k+1}``: the first
  and last ``o`` samples are known (from ``A_k`` and ``A_{k+1}``), the middle ``L − 2o`` are new;
* the tail after the last ``A`` window is covered by one window ending exactly at the last sample
  with at least ``o`` known samples on its left (pass 1, or pass 2 when it reaches back into a
  pass-1 window or when a bridging window is needed to keep that overlap).

Every window of a pass is independent of the others in the same pass, so a whole video is
generated in at most three batched passes (not one sequential step per window), and the last
sample of the video is covered exactly, with no drift and no padding.
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
        Which input (video) of the batch the window belongs to.
    start_sample, stop_sample : int
        EEG sample range ``[start_sample, stop_sample)`` in that video's recording at ``sfreq``
        (sample ``k`` is the instant ``k / sfreq`` s after the video's first frame).
    sfreq : float
        EEG sampling frequency in Hz.
    generation_pass : int
        0 for windows sampled freely; 1 or 2 for windows inpainted given earlier passes.
    """

    video_index: int
    start_sample: int
    stop_sample: int
    sfreq: float
    generation_pass: int = 0

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


def plan_clip_windows(n_times: int, window: int) -> list[tuple[int, int]]:
    """Non-overlapping windows ``(start, pass=0)`` from sample 0; a partial tail is dropped."""
    _check_sizes(n_times, window)
    return [(k * window, 0) for k in range(n_times // window)]


def plan_continuous_windows(
    n_times: int, window: int, overlap: int = DEFAULT_OVERLAP
) -> list[tuple[int, int]]:
    """Windows ``(start, generation_pass)`` covering ``[0, n_times)`` for seamless stitching.

    See the module docstring for the layout. Every window with a pass > 0 overlaps samples of
    earlier passes by at least ``overlap`` samples on each side that has a neighbour.

    Parameters
    ----------
    n_times : int
        Length of the recording in samples (>= ``window``).
    window : int
        Window length in samples.
    overlap : int
        Minimum overlap in samples, ``1 <= overlap < window / 2``.

    Returns
    -------
    list of (int, int)
        Sorted by start.
    """
    _check_sizes(n_times, window)
    if not 1 <= overlap < window / 2:
        raise ValueError(f"overlap must be in [1, {(window - 1) // 2}] samples, got {overlap}")
    period = 2 * window - 2 * overlap
    n_free = (n_times - window) // period + 1
    plan = []
    for k in range(n_free):
        plan.append((k * period, 0))
        if k + 1 < n_free:
            plan.append((k * period + window - overlap, 1))
    last = (n_free - 1) * period
    remainder = n_times - (last + window)
    if remainder > window - overlap:
        # One window ending at n_times would overlap the last free window by < overlap
        # samples: add a bridge whose left `overlap` samples are known, then the end window.
        plan.append((last + window - overlap, 1))
        plan.append((n_times - window, 2))
    elif remainder > 0:
        # The end window reaches back into the last in-between window when remainder < overlap.
        reaches_pass_1 = n_free > 1 and remainder < overlap
        plan.append((n_times - window, 2 if reaches_pass_1 else 1))
    return sorted(plan)


def make_windows(
    video_index: int,
    plan: list[tuple[int, int]],
    window: int,
    sfreq: float,
) -> list[EEGWindow]:
    """Turn a plan of ``(start, pass)`` into :class:`EEGWindow` records."""
    return [
        EEGWindow(
            video_index=video_index,
            start_sample=start,
            stop_sample=start + window,
            sfreq=sfreq,
            generation_pass=generation_pass,
        )
        for start, generation_pass in plan
    ]


class RecordingBuffer:
    """The growing continuous EEG of one video: values and which samples are known.

    Parameters
    ----------
    n_chans, n_times : int
        Recording shape.
    dtype : torch.dtype
        Value dtype.
    """

    def __init__(self, n_chans: int, n_times: int, dtype: torch.dtype = torch.float32):
        self.values = torch.zeros((n_chans, n_times), dtype=dtype)
        self.known = torch.zeros(n_times, dtype=torch.bool)

    def context(self, window: EEGWindow) -> tuple[torch.Tensor, torch.Tensor]:
        """Known values ``(n_chans, n)`` and mask ``(n,)`` of the samples under ``window``."""
        span = slice(window.start_sample, window.stop_sample)
        return self.values[:, span].clone(), self.known[span].clone()

    def write(self, window: EEGWindow, sample: torch.Tensor) -> None:
        """Store a generated window; samples already known keep their value."""
        span = slice(window.start_sample, window.stop_sample)
        new = ~self.known[span]
        self.values[:, span][:, new] = sample.to(self.values.dtype)[:, new]
        self.known[span] = True

    def complete(self) -> bool:
        return bool(self.known.all())


def boundary_jumps(
    recording: np.ndarray, windows: list[EEGWindow]
) -> tuple[np.ndarray, np.ndarray]:
    """Sample-to-sample jumps at the edges of generated regions vs everywhere else.

    The seams a stitching method could leave are the steps where the source of a sample changes:
    between the last known and the first newly generated sample of a window (and back). This
    returns the absolute first differences ``|x[t+1] - x[t]|`` at those steps and at all other
    steps, per channel.

    Parameters
    ----------
    recording : np.ndarray
        ``(n_chans, n_times)`` continuous EEG.
    windows : list of EEGWindow
        The windows that made it (one video).

    Returns
    -------
    seam_jumps, inner_jumps : np.ndarray
        1-D arrays of absolute differences (all channels pooled).
    """
    n_times = recording.shape[1]
    source = np.full(n_times, -1, dtype=np.int64)
    # Replay the stitching: each sample keeps the first window (in pass order) that wrote it.
    for index, window in sorted(enumerate(windows), key=lambda item: item[1].generation_pass):
        span = source[window.start_sample : window.stop_sample]
        span[span < 0] = index
    change = source[1:] != source[:-1]
    diffs = np.abs(np.diff(recording, axis=1))
    return diffs[:, change].ravel(), diffs[:, ~change].ravel()


def _check_sizes(n_times: int, window: int) -> None:
    if window < 1:
        raise ValueError(f"window must be >= 1 sample, got {window}")
    if n_times < window:
        raise ValueError(f"n_times ({n_times}) is shorter than one window ({window} samples)")
