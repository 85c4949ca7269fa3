"""Video decoding, 2 s windowing and frame sampling with an exact video-time → EEG-sample map.

Time base
---------
All times here are **seconds from the first displayed frame** of the video stream (its first
presentation timestamp, pts), never frame counts: a frame counter times a nominal frame rate
drifts (29.97 fps read as 30 fps is 0.6 s off after 10 minutes) and means nothing for a
variable-frame-rate file. EEG sample ``k`` at ``sfreq`` Hz is the instant ``k / sfreq`` on that
time line, so a window of EEG samples ``[start, stop)`` covers the video interval
``[start / sfreq, stop / sfreq)``. Windows are defined by integer sample indices and times are
derived from them by one division each, so nothing accumulates and the map is exact whatever the
video's length or frame rate.

A video of duration ``D`` seconds (from the first frame's pts to the last frame's pts plus its
duration) maps to ``n_times = ceil(D · sfreq)`` EEG samples: every sample instant that falls
while the video is on screen.

Frame sampling
--------------
A window ``[t0, t0 + duration)`` is split into ``num_frames`` equal parts and the frame *on screen*
at the centre of each part is taken (:func:`sample_times`). Centres often fall exactly on a frame
boundary (at 24 fps every centre of a 2 s / 6-frame split does), where float rounding would pick
either neighbour; the times are therefore moved 0.1 ms later (:data:`TIE_BREAK_S`), so a centre on
a boundary reads the frame that starts there. For SEED-DV (24 fps, 48 frames a 2 s clip, 6
sampled) that is frames 4, 12, 20, 28, 36, 44. Training clips and pipeline windows use the
same rule, so the model sees frames sampled identically at both times.

Decoding
--------
Files and encoded bytes are decoded with torchcodec's :class:`~torchcodec.decoders.VideoDecoder`
in ``"exact"`` seek mode: on opening it scans the container's packet index (demuxing only, no
decoding) to learn every frame's pts, then each request seeks to the nearest key frame and decodes
only up to the frames asked for (:meth:`~torchcodec.decoders.VideoDecoder.get_frames_played_at`).
A window of a long video therefore never decodes the whole file. Already-decoded frames (an array
plus its frame rate) go through :class:`ArrayVideo`, which follows the same time rules.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

DEFAULT_SFREQ: float = 200.0
"""EEG sampling frequency the windows map to (SEED-DV's 200 Hz)."""

WINDOW_S: float = 2.0
"""Length of one model window in seconds (400 samples at 200 Hz)."""

VideoSource = str | os.PathLike | bytes
"""A video file path or the encoded bytes of a video file."""

TIE_BREAK_S: float = 1e-4
"""Offset added to sample times so that a time on a frame boundary reads the later frame
(far below any real frame period, far above float rounding of second-scale timestamps)."""

# Times this close to a frame boundary (in seconds) are treated as on it; well below any real
# frame period and well above float64 rounding of second-scale timestamps.
_TIME_EPS = 1e-9


@dataclass(frozen=True)
class VideoInfo:
    """What the windowing needs to know about a video stream.

    Attributes
    ----------
    name : str
        The path, or ``"<bytes: N>"`` for in-memory sources; used in error messages.
    begin_s : float
        Presentation time of the first frame in the container's clock (our time 0).
    duration_s : float
        From the first frame's pts to the last frame's pts plus its duration.
    num_frames : int
        Frames in the stream.
    average_fps : float
        ``num_frames / duration_s``; informative only (windowing uses timestamps).
    width, height : int
        Frame size in pixels.
    codec : str
        Codec name as FFmpeg reports it (``"array"`` for :class:`ArrayVideo`).
    """

    name: str
    begin_s: float
    duration_s: float
    num_frames: int
    average_fps: float
    width: int
    height: int
    codec: str

    def n_times(self, sfreq: float = DEFAULT_SFREQ) -> int:
        """Number of EEG samples at ``sfreq`` that fall while the video is on screen."""
        return eeg_n_times(self.duration_s, sfreq)


class VideoReader(Protocol):
    """Random access to the frames of one video by time (seconds from the first frame)."""

    info: VideoInfo

    def frames_at(self, times_s: Sequence[float] | np.ndarray) -> torch.Tensor:
        """uint8 frames on screen at ``times_s``, shape ``(n, 3, height, width)``."""
        ...


def eeg_n_times(duration_s: float, sfreq: float = DEFAULT_SFREQ) -> int:
    """``ceil(duration_s · sfreq)``: EEG sample instants ``k / sfreq`` inside ``[0, duration_s)``.

    Products within 1e-6 samples of an integer count as that integer, so a 600.6 s video at
    200 Hz has 120 120 samples, not 120 121 from float rounding.
    """
    if not duration_s >= 0:
        raise ValueError(f"duration_s must be >= 0, got {duration_s}")
    if not sfreq > 0:
        raise ValueError(f"sfreq must be > 0, got {sfreq}")
    product = duration_s * sfreq
    nearest = round(product)
    return int(nearest) if abs(product - nearest) < 1e-6 else math.ceil(product)


def samples_to_seconds(sample: int, sfreq: float = DEFAULT_SFREQ) -> float:
    """Time in seconds (from the first frame) of EEG sample ``sample``."""
    return sample / sfreq


def sample_times(start_s: float, duration_s: float, num_frames: int) -> np.ndarray:
    """Centres of ``num_frames`` equal parts of ``[start_s, start_s + duration_s)``, plus
    :data:`TIE_BREAK_S`.

    Returns
    -------
    np.ndarray
        Shape ``(num_frames,)``, float64 seconds.
    """
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    if not duration_s > 0:
        raise ValueError(f"duration_s must be > 0, got {duration_s}")
    centres = (np.arange(num_frames, dtype=np.float64) + 0.5) * (duration_s / num_frames)
    return start_s + centres + TIE_BREAK_S


def _source_name(source: VideoSource) -> str:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"<bytes: {len(source)}>"
    return os.fspath(source)


def _check_times(info: VideoInfo, times_s: np.ndarray) -> np.ndarray:
    """Validate request times and clamp those within one frame period past the end."""
    if times_s.ndim != 1:
        raise ValueError(f"times_s must be 1-D, got shape {times_s.shape}")
    if times_s.size and (not np.all(np.isfinite(times_s)) or times_s.min() < -_TIME_EPS):
        raise ValueError(
            f"times_s for video {info.name!r} must be finite and >= 0 s (from the first frame), "
            f"got min {times_s.min()}"
        )
    # A window may end up to one frame period after the last frame (a 2 s window over a clip
    # whose encoder dropped the final frame): that tail shows the last frame.
    frame_period = info.duration_s / max(info.num_frames, 1)
    too_late = times_s >= info.duration_s + frame_period
    if np.any(too_late):
        raise ValueError(
            f"times {times_s[too_late].tolist()} s are past the end of video {info.name!r} "
            f"(duration {info.duration_s:.6f} s)"
        )
    # 1 µs is far below any frame duration and far above float64 rounding of the timestamps.
    return np.clip(times_s, 0.0, info.duration_s - 1e-6)


class TorchcodecVideo:
    """A video file (or encoded bytes) opened with torchcodec, read by time.

    Parameters
    ----------
    source : str, path-like or bytes
        Any container/codec FFmpeg reads.
    num_ffmpeg_threads : int
        Decoder threads (0 lets FFmpeg decide).

    Raises
    ------
    FileNotFoundError
        If ``source`` is a path that does not exist.
    ValueError
        If it cannot be opened as a video, has no video stream or fewer than 2 frames.
    """

    def __init__(self, source: VideoSource, num_ffmpeg_threads: int = 1) -> None:
        from torchcodec.decoders import VideoDecoder

        name = _source_name(source)
        if isinstance(source, (bytes, bytearray, memoryview)):
            if len(source) == 0:
                raise ValueError("video bytes are empty (0 bytes): expected an encoded video file")
            decoder_source: str | bytes = bytes(source)
        else:
            path = Path(source)
            if not path.exists():
                raise FileNotFoundError(f"video file not found: {name!r}")
            if not path.is_file():
                raise ValueError(f"video path {name!r} is not a file")
            if path.stat().st_size == 0:
                raise ValueError(f"video file {name!r} is empty (0 bytes)")
            decoder_source = str(path)
        try:
            decoder = VideoDecoder(
                decoder_source, seek_mode="exact", num_ffmpeg_threads=num_ffmpeg_threads
            )
        except (RuntimeError, ValueError) as err:
            raise ValueError(
                f"could not open {name!r} as a video (FFmpeg/torchcodec said: {_short(err)})"
            ) from err
        meta = decoder.metadata
        num_frames = int(meta.num_frames or 0)
        if num_frames < 2:
            raise ValueError(
                f"video {name!r} has {num_frames} frame(s): need at least 2 frames and "
                f"{WINDOW_S:g} s of video"
            )
        begin = float(meta.begin_stream_seconds or 0.0)
        end = meta.end_stream_seconds
        if end is None or not end > begin:
            raise ValueError(f"video {name!r} has no usable duration (begin {begin}, end {end})")
        duration = float(end) - begin
        self._decoder = decoder
        self.info = VideoInfo(
            name=name,
            begin_s=begin,
            duration_s=duration,
            num_frames=num_frames,
            average_fps=num_frames / duration,
            width=int(meta.width or 0),
            height=int(meta.height or 0),
            codec=str(meta.codec),
        )

    def frames_at(self, times_s: Sequence[float] | np.ndarray) -> torch.Tensor:
        """Frames on screen at ``times_s`` (seconds from the first frame).

        Returns
        -------
        torch.Tensor
            uint8, shape ``(n, 3, height, width)``, RGB.
        """
        times = _check_times(self.info, np.asarray(times_s, dtype=np.float64))
        if times.size == 0:
            return torch.empty((0, 3, self.info.height, self.info.width), dtype=torch.uint8)
        batch = self._decoder.get_frames_played_at((times + self.info.begin_s).tolist())
        return batch.data


class ArrayVideo:
    """Already-decoded frames at a constant frame rate, read by time like a file.

    Frame ``n`` is on screen during ``[n / fps, (n + 1) / fps)``.

    Parameters
    ----------
    frames : np.ndarray or torch.Tensor
        ``(n_frames, height, width, 3)`` or ``(n_frames, 3, height, width)``, uint8 (0–255) or
        float in [0, 1]. When both axis 1 and the last axis are 3, channels-first is assumed.
    fps : float
        Frame rate of ``frames``.
    name : str
        Used in error messages.
    """

    def __init__(self, frames: np.ndarray | torch.Tensor, fps: float, name: str = "<frames>"):
        tensor = torch.as_tensor(frames)
        if tensor.ndim != 4:
            raise ValueError(
                f"{name}: decoded frames must have shape (n_frames, H, W, 3) or (n_frames, 3, H, W), "
                f"got {tuple(tensor.shape)}"
            )
        if tensor.shape[1] == 3:
            channels_first = tensor
        elif tensor.shape[-1] == 3:
            channels_first = tensor.permute(0, 3, 1, 2)
        else:
            raise ValueError(
                f"{name}: decoded frames need 3 RGB channels on axis 1 or -1, got shape "
                f"{tuple(tensor.shape)}"
            )
        if channels_first.dtype.is_floating_point:
            if channels_first.numel() and (channels_first.min() < 0 or channels_first.max() > 1):
                raise ValueError(f"{name}: float frames must lie in [0, 1]")
            channels_first = (channels_first * 255).round().to(torch.uint8)
        elif channels_first.dtype != torch.uint8:
            raise ValueError(f"{name}: frames must be uint8 or float, got {channels_first.dtype}")
        if fps is None or not float(fps) > 0:
            raise ValueError(
                f"{name}: fps must be a positive frame rate for decoded frames, got {fps}"
            )
        n_frames = channels_first.shape[0]
        if n_frames < 2:
            raise ValueError(f"{name}: need at least 2 frames, got {n_frames}")
        self._frames = channels_first.contiguous()
        self._fps = float(fps)
        self.info = VideoInfo(
            name=name,
            begin_s=0.0,
            duration_s=n_frames / self._fps,
            num_frames=n_frames,
            average_fps=self._fps,
            width=int(channels_first.shape[3]),
            height=int(channels_first.shape[2]),
            codec="array",
        )

    def frames_at(self, times_s: Sequence[float] | np.ndarray) -> torch.Tensor:
        """Frames on screen at ``times_s``: uint8 ``(n, 3, height, width)``."""
        times = _check_times(self.info, np.asarray(times_s, dtype=np.float64))
        index = np.floor(times * self._fps).astype(np.int64)
        index = np.clip(index, 0, self.info.num_frames - 1)
        return self._frames[torch.from_numpy(index)]


def open_video(source: VideoSource, num_ffmpeg_threads: int = 1) -> TorchcodecVideo:
    """Open a video file or encoded bytes for timed reads (see :class:`TorchcodecVideo`)."""
    return TorchcodecVideo(source, num_ffmpeg_threads=num_ffmpeg_threads)


def probe_video(source: VideoSource) -> VideoInfo:
    """Timing and size of a video, from its packet index (no frame is decoded)."""
    return open_video(source).info


def read_windows(
    video: VideoReader,
    starts_s: Sequence[float] | np.ndarray,
    duration_s: float,
    num_frames: int,
) -> torch.Tensor:
    """Sampled frames of several windows of one video, in one decoder pass.

    Parameters
    ----------
    video : VideoReader
        An opened video (:func:`open_video` or :class:`ArrayVideo`).
    starts_s : sequence of float
        Window starts in seconds from the first frame.
    duration_s : float
        Window length in seconds.
    num_frames : int
        Frames sampled per window (:func:`sample_times`).

    Returns
    -------
    torch.Tensor
        uint8, shape ``(n_windows, num_frames, 3, height, width)``.
    """
    starts = np.asarray(starts_s, dtype=np.float64).reshape(-1)
    offsets = sample_times(0.0, duration_s, num_frames)
    times = (starts[:, None] + offsets[None, :]).reshape(-1)
    # torchcodec decodes forward between seeks: ask in time order, then restore the order.
    order = np.argsort(times, kind="stable")
    frames = video.frames_at(times[order])
    # A plain contiguous layout whatever the decoder gave (torchcodec returns a channels-first
    # view of channels-last memory), so every source yields bit-identical model inputs.
    unsorted = torch.empty(frames.shape, dtype=frames.dtype)
    unsorted[torch.from_numpy(order)] = frames
    return unsorted.reshape(starts.size, num_frames, *frames.shape[1:])


def read_clip_frames(
    source: VideoSource, start_s: float, duration_s: float, num_frames: int
) -> torch.Tensor:
    """Frames sampled from one window of a video file (the training/generation data path).

    Parameters
    ----------
    source : str, path-like or bytes
        A video file or its encoded bytes (e.g. a dataset's embedded 2 s mp4 clip).
    start_s : float
        Window start in seconds from the video's first frame.
    duration_s : float
        Window length in seconds (2.0 for a model window).
    num_frames : int
        Frames to sample, one at the centre of each of ``num_frames`` equal parts.

    Returns
    -------
    torch.Tensor
        uint8, shape ``(num_frames, 3, height, width)``, RGB.

    Raises
    ------
    FileNotFoundError
        If the path does not exist.
    ValueError
        If the source is not a readable video or the window lies outside it.
    """
    if start_s < 0:
        raise ValueError(f"start_s must be >= 0, got {start_s}")
    video = open_video(source)
    return read_windows(video, [start_s], duration_s, num_frames)[0]


def _short(err: BaseException) -> str:
    """The last line of an FFmpeg/torchcodec error, without the C++ source location."""
    text = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
    return text.split(", ")[-1] if text.startswith("SingleStreamDecoder") else text
