"""Decoding, windowing and the video-time → EEG-sample map on real files made with PyAV."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.long_video import (
    boundary_jumps,
    fusion_weights,
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


@settings(max_examples=100, deadline=None)
@given(
    n_times=st.integers(min_value=400, max_value=5000),
    overlap=st.integers(min_value=1, max_value=200),
)
def test_continuous_plan_covers_everything_with_overlapping_neighbours(n_times, overlap):
    window = 400
    starts = plan_continuous_windows(n_times, window, overlap)
    assert starts[0] == 0 and starts[-1] == n_times - window
    assert starts == sorted(set(starts))
    steps = np.diff(starts)
    # Neighbours share at least `overlap` samples (so no gap) and the stride is regular.
    assert (steps <= window - overlap).all()
    assert (steps[:-1] == window - overlap).all()
    covered = np.zeros(n_times, dtype=int)
    for start in starts:
        covered[start : start + window] += 1
    assert (covered >= 1).all()


def test_fusion_weights_cross_fade():
    weights = fusion_weights(400, 100).numpy()
    assert weights.shape == (400,) and (weights > 0).all() and weights.max() == 1.0
    assert np.allclose(weights, weights[::-1])  # symmetric
    assert (np.diff(weights[:100]) > 0).all() and (weights[100:300] == 1).all()
    # In an overlap of two windows one fades out as the other fades in: constant total.
    overlap_sum = weights[300:] + weights[:100]
    assert np.allclose(overlap_sum, overlap_sum[0])


def test_clip_plan_drops_partial_tail():
    assert plan_clip_windows(1000, 400) == [0, 400]
    with pytest.raises(ValueError, match="shorter than one window"):
        plan_clip_windows(399, 400)


def test_boundary_jumps_locate_window_edges():
    windows = make_windows(0, [0, 300, 600], 400, SFREQ)
    recording = np.zeros((2, 1000))
    recording[:, 300:] = 1.0  # a step at t = 300, where window 1 starts
    recording[:, 700:] = 3.0  # a step at t = 700, where window 1 ends (window 2 starts at 600)
    seams, inner = boundary_jumps(recording, windows)
    # Edges inside the recording: 300, 400, 600, 700 on each of 2 channels.
    assert sorted(seams.tolist()) == [0.0] * 4 + [1.0, 1.0, 2.0, 2.0]
    assert (inner == 0).all() and inner.size == 2 * 999 - seams.size
