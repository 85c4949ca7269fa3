from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from dataset_builder.alignment_report import check_alignment
from dataset_builder.video_clips import BlockVideoReader, Mp4Writer
from video2eeg.cli import main


@pytest.fixture
def broken_copy(seed_dv_tree, tmp_path):
    """A fresh copy of the small tree to damage."""
    copy = tmp_path / "tree"
    shutil.copytree(seed_dv_tree, copy)
    return copy


def test_good_tree_passes(seed_dv_tree, small_layout):
    report = check_alignment(seed_dv_tree, small_layout)
    assert report.passed, report.to_text()
    assert [(r.subject, r.session, r.status) for r in report.recordings] == [
        (1, 1, "ok"),
        (1, 2, "ok"),
        (2, 1, "ok"),
    ]
    assert all(v.n_frames == small_layout.n_frames for v in report.videos)
    assert "PASSED" in report.to_text()


def test_truncated_eeg_is_named(broken_copy, small_layout):
    path = broken_copy / "EEG" / "sub2.npy"
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 2)
    report = check_alignment(broken_copy, small_layout)
    assert not report.passed
    (finding,) = report.errors
    assert (finding.code, finding.path, finding.subject) == ("truncated_eeg", "EEG/sub2.npy", 2)
    assert "1 of 3 blocks complete" in finding.message
    summary = {(r.subject, r.session): r for r in report.recordings}
    assert summary[2, 1].status == "FAILED" and summary[1, 1].status == "ok"


def test_wrong_channel_count_is_named(broken_copy, small_layout):
    np.save(broken_copy / "EEG" / "sub1.npy", np.ones((3, 61, small_layout.n_times), np.float32))
    report = check_alignment(broken_copy, small_layout)
    assert report.codes() == {"wrong_channel_count"}
    assert "61 channels; expected 62" in report.errors[0].message


def test_video_shorter_than_eeg_is_named(broken_copy, small_layout):
    path = broken_copy / "Video" / "2nd_10min.mp4"
    with BlockVideoReader(path) as video:
        frames = video.read(0, small_layout.n_frames - 30)  # lose the last 1.25 s
    with Mp4Writer(path, small_layout.fps, frames.shape[2], frames.shape[1]) as writer:
        writer.write(frames)
    report = check_alignment(broken_copy, small_layout)
    (finding,) = report.errors
    assert (finding.code, finding.block, finding.path) == (
        "video_shorter_than_eeg",
        2,
        "Video/2nd_10min.mp4",
    )
    assert f"{small_layout.n_frames - 30} frames" in finding.message
    assert "position 5, repetition 4" in finding.message  # only the last clip lacks video


def test_nan_flat_and_saturated_channels_are_named(broken_copy, small_layout):
    path = broken_copy / "EEG" / "sub1_session2.npy"
    eeg = np.load(path)
    eeg[1, 3, 500:520] = np.nan  # AF3
    eeg[2, 59, :] = 0.0  # OZ dead
    top = eeg[0, 61].max() + 1
    eeg[0, 61, 1000:1100] = top  # CB2 clipped
    np.save(path, eeg)
    report = check_alignment(broken_copy, small_layout)
    by_code = {f.code: f for f in report.findings}
    assert by_code["nan_values"].channels == ["AF3"] and "20 NaN" in by_code["nan_values"].message
    assert by_code["flat_channel"].channels == ["OZ"]
    assert by_code["saturated_channel"].channels == ["CB2"]
    assert by_code["saturated_channel"].severity == "warning"
    assert {f.session for f in report.findings} == {2}
    assert not report.passed


def test_json_report_and_cli_exit_codes(seed_dv_tree, broken_copy, tmp_path, capsys):
    out = tmp_path / "report.json"
    assert (
        main(
            [
                "align",
                "--seed-dv",
                str(seed_dv_tree),
                "--report",
                "--report-json",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    assert json.loads(out.read_text())["passed"] is True
    np.save(broken_copy / "EEG" / "sub2.npy", np.zeros((2, 62, 100), np.float32))
    assert main(["align", "--seed-dv", str(broken_copy), "--report", "--quiet"]) == 1
    text = capsys.readouterr().out
    assert "FAILED" in text and "wrong_block_count" in text and "eeg_duration_mismatch" in text


def test_not_a_seed_dv_root_fails_with_missing_items(tmp_path, small_layout):
    report = check_alignment(tmp_path, small_layout)
    assert report.codes() == {"missing"}
    assert {f.path for f in report.errors} >= {"EEG/", "Video/", "meta-info/", "BLIP-caption/"}
