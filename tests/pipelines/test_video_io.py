"""Decoding, windowing and the video-time → EEG-sample map on real files made with PyAV."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.long_video import (
    RecordingBuffer,
    boundary_jumps,
    make_windows,
    plan_clip_windows,
    plan_continuous_windows,
)
from pipelines.video_io import (
    ArrayVideo,
    eeg_n_times,
    open_video,
    probe_video,
    read_clip_frames,
    read_windows,
    sample_times,
)
from tests.fixtures.pipeline import frame_index, index_frames

SFREQ = 200.0


@pytest.mark.parametrize("name", ["h264_mp4", "vp9_webm", "mpeg4_avi", "qcif_mp4", "vfr_mkv"])
def test_windows_read_the_frames_on_screen(video_files, name):
    video_file = video_files[name]
    video = open_video(video_file.path)
    assert video.info.duration_s == pytest.approx(video_file.duration_s, abs=1e-3)
    n_times = video.info.n_times(SFREQ)
    windows = make_windows(0, plan_continuous_windows(n_times, 400, 100), 400, SFREQ)
    frames = read_windows(video, [w.start_s for w in windows], 2.0, 6)
    assert frames.shape[:3] == (len(windows), 6, 3)
    assert frames.dtype == torch.uint8
    for window, window_frames in zip(windows, frames, strict=True):
        # Independent expectation: the frame whose written pts is the last one <= the time
        # (window centres, 0.1 ms later so that a centre on a frame boundary reads the next frame).
        for j, frame in enumerate(window_frames):
            t = window.start_sample / SFREQ + (j + 0.5) * 2.0 / 6 + 1e-4
            assert frame_index(frame) == video_file.expected_index(t), (window, j)


def test_odd_resolution_is_kept(video_files):
    info = probe_video(video_files["qcif_mp4"].path)
    assert (info.width, info.height) == (176, 144)
    clip = read_clip_frames(video_files["qcif_mp4"].path, 0.0, 2.0, 4)
    assert clip.shape == (4, 3, 144, 176)


def test_ten_minute_ntsc_video_maps_its_last_windows_exactly(ten_minute_video):
    video = open_video(ten_minute_video.path)
    # 18 000 frames of 1001/30000 s: exactly 600.6 s, i.e. 120 120 samples at 200 Hz.
    exact_duration = Fraction(18_000 * 1001, 30_000)
    assert video.info.duration_s == pytest.approx(float(exact_duration), abs=1e-9)
    assert video.info.n_times(SFREQ) == int(exact_duration * 200) == 120_120

    clip_plan = plan_clip_windows(video.info.n_times(SFREQ), 400)
    assert len(clip_plan) == 300
    last_clip = make_windows(0, clip_plan, 400, SFREQ)[-1]
    assert (last_clip.start_sample, last_clip.stop_sample) == (119_600, 120_000)
    assert last_clip.start_s == 598.0

    continuous = make_windows(0, plan_continuous_windows(120_120, 400, 100), 400, SFREQ)
    last_window = continuous[-1]
    assert last_window.stop_sample == 120_120

    frames = read_windows(video, [last_clip.start_s, last_window.start_s], 2.0, 6)
    for window, window_frames in zip([last_clip, last_window], frames, strict=True):
        for j, frame in enumerate(window_frames):
            t = Fraction(window.start_sample, 200) + Fraction(2 * j + 1, 6) + Fraction(1, 10_000)
            # Frame n is on screen during [n·1001/30000, (n+1)·1001/30000): exact rationals.
            expected = int(t * 30_000 // 1001)
            assert frame_index(frame) == expected


def test_bytes_source_matches_file(video_files):
    path = video_files["h264_mp4"].path
    from_file = read_clip_frames(path, 1.0, 2.0, 6)
    from_bytes = read_clip_frames(path.read_bytes(), 1.0, 2.0, 6)
    assert torch.equal(from_file, from_bytes)
    expected = [video_files["h264_mp4"].expected_index(t) for t in sample_times(1.0, 2.0, 6)]
    assert [frame_index(f) for f in from_file] == expected


def test_array_video_follows_the_same_time_rules(video_files):
    fps = 24
    frames = np.repeat(index_frames(np.arange(120), 48, 64)[..., None], 3, axis=-1)  # NHWC
    array_video = ArrayVideo(frames, fps=fps)
    assert array_video.info.duration_s == pytest.approx(5.0)
    starts = [0.0, 1.5, 3.0]
    from_array = read_windows(array_video, starts, 2.0, 6)
    from_file = read_windows(open_video(video_files["h264_mp4"].path), starts, 2.0, 6)
    assert [frame_index(f) for f in from_array.flatten(0, 1)] == [
        frame_index(f) for f in from_file.flatten(0, 1)
    ]
    # Channels-first and float input give the same frames.
    channels_first = ArrayVideo(torch.from_numpy(frames).permute(0, 3, 1, 2) / 255.0, fps=fps)
    assert torch.equal(read_windows(channels_first, starts, 2.0, 6), from_array)


def test_sample_times_are_window_centres():
    times = sample_times(10.0, 2.0, 6) - 1e-4
    assert np.allclose(np.diff(times), 2.0 / 6)
    assert times[0] - 10.0 == pytest.approx(12.0 - times[-1])
    # SEED-DV: 24 fps, 48 frames a clip, 6 sampled -> frames 4, 12, ..., 44 of the clip.
    assert np.floor(sample_times(0.0, 2.0, 6) * 24).astype(int).tolist() == [4, 12, 20, 28, 36, 44]


@pytest.mark.parametrize(
    ("duration", "sfreq", "expected"),
    [(2.0, 200.0, 400), (600.6, 200.0, 120_120), (2.002, 200.0, 401), (1001 / 30000, 200.0, 7)],
)
def test_eeg_n_times(duration, sfreq, expected):
    assert eeg_n_times(duration, sfreq) == expected


def test_missing_file_raises_file_not_found(tmp_path):
    missing = tmp_path / "nope.mp4"
    with pytest.raises(FileNotFoundError, match=r"nope\.mp4"):
        open_video(missing)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("not_a_video", "could not open .*not_a_video.mp4"),
        ("empty", "empty.mp4.* is empty"),
        ("one_frame", "one_frame.mp4.* has 1 frame"),
        ("no_frames", "no_frames.mkv"),
    ],
)
def test_unreadable_videos_raise_value_error_naming_the_file(video_files, name, message):
    with pytest.raises(ValueError, match=message):
        open_video(video_files[name].path)


def test_times_past_the_end_are_refused(video_files):
    video = open_video(video_files["clip_2s"].path)
    with pytest.raises(ValueError, match="past the end"):
        video.frames_at([2.5])
    # Up to one frame period past the end reads the last frame.
    assert frame_index(video.frames_at([2.01])[0]) == 47
    with pytest.raises(ValueError, match="start_s"):
        read_clip_frames(video_files["clip_2s"].path, -1.0, 2.0, 6)


@settings(max_examples=200, deadline=None)
@given(
    n_times=st.integers(min_value=400, max_value=5000),
    overlap=st.integers(min_value=1, max_value=199),
)
def test_continuous_plan_covers_everything_with_enough_context(n_times, overlap):
    window = 400
    plan = plan_continuous_windows(n_times, window, overlap)
    covered = np.zeros(n_times, dtype=int)
    known_before = np.zeros(n_times, dtype=bool)
    for generation_pass in sorted({p for _, p in plan}):
        starts = [s for s, p in plan if p == generation_pass]
        in_pass = np.zeros(n_times, dtype=int)
        for start in starts:
            assert 0 <= start <= n_times - window
            in_pass[start : start + window] += 1
            if generation_pass > 0:
                known = known_before[start : start + window]
                # Context on the left always; on the right when something is known there.
                assert known[:overlap].all()
                if known[-1]:
                    assert known[-overlap:].all()
                assert not known.all()  # every window adds new samples
        assert in_pass.max() == 1  # windows of one pass are independent
        covered += in_pass
        known_before |= in_pass > 0
    assert known_before.all()
    assert plan[0][1] == 0


def test_clip_plan_drops_partial_tail():
    assert plan_clip_windows(1000, 400) == [(0, 0), (400, 0)]
    with pytest.raises(ValueError, match="shorter than one window"):
        plan_clip_windows(399, 400)


def test_buffer_keeps_known_samples_and_seams_are_located():
    windows = make_windows(0, plan_continuous_windows(700, 400, 100), 400, SFREQ)
    buffer = RecordingBuffer(2, 700)
    for window in sorted(windows, key=lambda w: w.generation_pass):
        _, known = buffer.context(window)
        buffer.write(window, torch.full((2, 400), float(window.generation_pass + 1)))
        assert known.sum() == (0 if window.generation_pass == 0 else 100)
    assert buffer.complete()
    values = buffer.values.numpy()
    assert (values[:, :400] == 1).all() and (values[:, 400:] == 2).all()
    seams, inner = boundary_jumps(values, windows)
    assert seams.tolist() == [1.0, 1.0]  # one seam (399 -> 400) on each of 2 channels
    assert (inner == 0).all()
