"""Video files with PyAV: write block videos, probe them, and cut/re-encode 2 s clips.

PyAV bundles its own FFmpeg (with libx264), so the simulator and the aligner can encode
without the system FFmpeg; decoding for models lives in ``pipelines.video_io`` (torchcodec).
Frames are ``uint8`` arrays ``(n_frames, height, width, 3)`` in RGB order.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np
from av.video.reformatter import VideoReformatter


class VideoTooShortError(ValueError):
    """A requested frame range runs past the end of a video."""


def _rate(fps: float) -> Fraction:
    return Fraction(fps).limit_denominator(1001)


def _check_frames(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(
            "frames must be uint8 of shape (n_frames, height, width, 3), "
            f"got {frames.dtype} {frames.shape}"
        )
    if frames.shape[1] % 2 or frames.shape[2] % 2:
        raise ValueError(f"yuv420p needs even height and width, got {frames.shape[1:3]}")
    return frames


class Mp4Writer:
    """Stream frames into an H.264 mp4 (libx264, yuv420p), written atomically.

    Frames go to a temporary file next to ``path`` which replaces ``path`` only when the
    writer closes without an exception, so an interrupted run never leaves a short video
    under the final name.

    Parameters
    ----------
    path : path-like
        Output ``.mp4``.
    fps : float
        Frame rate; frame ``i`` gets the timestamp ``i / fps``.
    width, height : int
        Frame size in pixels (even numbers).
    crf : int
        x264 constant rate factor (lower is better quality; 18 is visually lossless).
    preset : str
        x264 speed preset.
    """

    def __init__(
        self,
        path: str | Path,
        fps: float,
        width: int,
        height: int,
        crf: int = 18,
        preset: str = "veryfast",
    ) -> None:
        if width % 2 or height % 2 or width < 2 or height < 2:
            raise ValueError(f"width and height must be even and >= 2, got {width}x{height}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        self._container = av.open(str(self._tmp), mode="w", format="mp4")
        self._stream = _add_h264_stream(self._container, fps, width, height, crf, preset)
        self.n_frames = 0

    def write(self, frames: np.ndarray) -> None:
        """Append frames ``(n, height, width, 3)`` uint8."""
        frames = _check_frames(frames)
        expected = (self._stream.height, self._stream.width)
        if frames.shape[1:3] != expected:
            raise ValueError(f"frames must be {expected[1]}x{expected[0]}, got {frames.shape[1:3]}")
        for frame in frames:
            video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
            video_frame.pts = self.n_frames
            self._container.mux(self._stream.encode(video_frame))
            self.n_frames += 1

    def close(self, commit: bool = True) -> None:
        if self._container is None:
            return
        try:
            if commit:
                self._container.mux(self._stream.encode(None))
        finally:
            self._container.close()
            self._container = None
        if commit:
            os.replace(self._tmp, self.path)
        else:
            self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(commit=exc_type is None)


def _add_h264_stream(container, fps: float, width: int, height: int, crf: int, preset: str):
    stream = container.add_stream("libx264", rate=_rate(fps))
    stream.width = width
    stream.height = height
    stream.pix_fmt = "yuv420p"
    stream.time_base = 1 / _rate(fps)
    # One thread: the machines this runs on are small and shared; clips are tiny.
    stream.options = {"crf": str(int(crf)), "preset": preset, "threads": "1"}
    return stream


def encode_mp4_bytes(
    frames: np.ndarray, fps: float, crf: int = 18, preset: str = "veryfast"
) -> bytes:
    """Encode frames ``(n_frames, height, width, 3)`` uint8 into an in-memory H.264 mp4.

    Frame ``i`` gets the timestamp ``i / fps``, so a clip starts at 0 s.
    """
    frames = _check_frames(frames)
    return encode_frames_mp4(
        [av.VideoFrame.from_ndarray(frame, format="rgb24") for frame in frames], fps, crf, preset
    )


def encode_frames_mp4(
    frames: Sequence[av.VideoFrame], fps: float, crf: int = 18, preset: str = "veryfast"
) -> bytes:
    """Encode PyAV frames (e.g. decoded ones, no RGB round trip) into an in-memory H.264 mp4.

    Frames are re-timed to ``i / fps`` and their picture types cleared, so x264 places
    keyframes itself (a decoded P-frame must not force anything in the new stream).
    """
    if not frames:
        raise ValueError("no frames to encode")
    width, height = frames[0].width, frames[0].height
    if width % 2 or height % 2:
        raise ValueError(f"yuv420p needs even height and width, got {width}x{height}")
    time_base = 1 / _rate(fps)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = _add_h264_stream(container, fps, width, height, crf, preset)
        for i, frame in enumerate(frames):
            frame.pts = i
            frame.time_base = time_base
            frame.pict_type = av.video.frame.PictureType.NONE
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


@dataclass(frozen=True)
class VideoProbe:
    """What the container says about a video, with the frame count from demuxing.

    Attributes
    ----------
    n_frames : int
        Video packets in the stream (one per frame for the codecs used here), counted by
        demuxing the whole file: exact even when the header is wrong.
    fps : float
        Average frame rate of the stream.
    duration_s : float
        ``n_frames / fps``.
    width, height : int
        Frame size.
    """

    n_frames: int
    fps: float
    duration_s: float
    width: int
    height: int


def probe_video(path: str | Path) -> VideoProbe:
    """Frame count, frame rate, duration and size of a video file.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If FFmpeg cannot open it or it has no video stream.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"video file not found: {path}")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ValueError(f"{path} has no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate
            fps = float(rate) if rate else 0.0
            n_frames = sum(1 for packet in container.demux(stream) if packet.size > 0)
            return VideoProbe(
                n_frames=n_frames,
                fps=fps,
                duration_s=n_frames / fps if fps else 0.0,
                width=stream.codec_context.width,
                height=stream.codec_context.height,
            )
    except av.error.FFmpegError as error:
        raise ValueError(f"cannot read video {path}: {error}") from error


class BlockVideoReader:
    """Read frame ranges of one (long) video in increasing order with a single decode pass.

    Aligning a SEED-DV block cuts its clips in time order, so decoding forward once is far
    cheaper than seeking per clip. Frame ``i`` is the ``i``-th decoded frame (the block videos
    have constant frame rate and start at 0). Asking for an earlier range reopens the file.

    Parameters
    ----------
    path : path-like
        The video.
    size : (width, height), optional
        Rescale frames to this size (FFmpeg's swscale); ``None`` keeps the source size.
    """

    def __init__(self, path: str | Path, size: tuple[int, int] | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"video file not found: {self.path}")
        self.size = size
        self._container = None
        self._frames = None
        self._next = 0
        # One reformatter for all frames: a per-frame one rebuilds the swscale context each
        # time, which is ~10x slower.
        self._reformatter = VideoReformatter()

    def _open(self) -> None:
        self.close()
        self._container = av.open(str(self.path))
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        self._frames = self._container.decode(stream)
        self._next = 0

    def _to_array(self, frame: av.VideoFrame) -> np.ndarray:
        width, height = self.size if self.size is not None else (None, None)
        rgb = self._reformatter.reformat(frame, format="rgb24", width=width, height=height)
        return rgb.to_ndarray()

    def read_frames(self, start: int, stop: int) -> list[av.VideoFrame]:
        """Frames ``[start, stop)`` as decoded PyAV frames in ``yuv420p`` (rescaled if asked).

        Odd sizes are cut down to even ones (yuv420p); handing these straight to
        :func:`encode_frames_mp4` avoids a YUV -> RGB -> YUV round trip.

        Raises
        ------
        VideoTooShortError
            If the video ends before ``stop``; the message gives the frame count found.
        """
        if not 0 <= start < stop:
            raise ValueError(f"need 0 <= start < stop, got start={start}, stop={stop}")
        if self._frames is None or start < self._next:
            self._open()
        out = []
        for frame in self._frames:
            index = self._next
            self._next += 1
            if index >= start:
                width, height = self.size if self.size is not None else (frame.width, frame.height)
                out.append(
                    self._reformatter.reformat(
                        frame, format="yuv420p", width=width - width % 2, height=height - height % 2
                    )
                )
                if self._next >= stop:
                    return out
        raise VideoTooShortError(
            f"{self.path} has {self._next} frames; frames [{start}, {stop}) were requested"
        )

    def read(self, start: int, stop: int) -> np.ndarray:
        """Frames ``[start, stop)`` as RGB ``uint8 (stop - start, height, width, 3)``.

        Raises
        ------
        VideoTooShortError
            If the video ends before ``stop``; the message gives the frame count found.
        """
        if not 0 <= start < stop:
            raise ValueError(f"need 0 <= start < stop, got start={start}, stop={stop}")
        if self._frames is None or start < self._next:
            self._open()
        out = []
        for frame in self._frames:
            index = self._next
            self._next += 1
            if index >= start:
                out.append(self._to_array(frame))
                if self._next >= stop:
                    return np.stack(out)
        raise VideoTooShortError(
            f"{self.path} has {self._next} frames; frames [{start}, {stop}) were requested"
        )

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = None
        self._frames = None

    def __enter__(self) -> BlockVideoReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
