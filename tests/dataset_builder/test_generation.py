"""The generation job: sharding, per-row determinism, resume, multi-process kill/resume, errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch

from dataset_builder.generation import (
    DATA_DIR,
    GenerationPlan,
    GenerationSettings,
    finalize_generation,
    generate_dataset,
    missing_shards,
    row_seed,
)
from dataset_builder.stimuli import VideoFolderStimuli, open_stimuli
from tests.fixtures.pipeline import write_cfr_video

SETTINGS = {"num_inference_steps": 2, "batch_size": 4, "rows_per_shard": 3, "seed": 11}


@pytest.fixture(scope="module")
def videos_dir(tmp_path_factory) -> Path:
    """Two short videos (5 s at 24 fps, 4.2 s at 30 fps) -> 2 + 2 clips of 2 s."""
    root = tmp_path_factory.mktemp("videos")
    write_cfr_video(root / "a.mp4", 120, Fraction(24))
    (root / "sub").mkdir()
    write_cfr_video(root / "sub" / "b.mp4", 126, Fraction(30))
    return root


@pytest.fixture(scope="module")
def pipeline_dir(tiny_pipeline, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pipe") / "tiny"
    tiny_pipeline.save_pretrained(path)
    return path


def _settings(**overrides) -> GenerationSettings:
    return GenerationSettings(
        subjects=(1, 2), emotions=("negative", "positive"), **{**SETTINGS, **overrides}
    )


def _read(out: Path) -> dict[str, np.ndarray]:
    """key -> EEG over every shard (asserting no key appears twice)."""
    rows: dict[str, np.ndarray] = {}
    for path in sorted((out / DATA_DIR).glob("*.parquet")):
        table = pq.read_table(path, columns=["key", "eeg"])
        for key, eeg in zip(table["key"].to_pylist(), table["eeg"].to_pylist(), strict=True):
            assert key not in rows, f"{key} appears twice"
            rows[key] = np.asarray(eeg, dtype=np.float32)
    return rows


def _generate(pipe, stimuli, out, settings):
    return generate_dataset(
        pipe, stimuli, out, settings, pipeline_id="tiny", revision="r0", progress=False
    )


@pytest.fixture(scope="module")
def reference(tiny_pipeline, videos_dir, tmp_path_factory):
    """An uninterrupted single-process run (1 thread, like the accelerate workers)."""
    out = tmp_path_factory.mktemp("gen") / "reference"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = _generate(tiny_pipeline, VideoFolderStimuli(videos_dir), out, _settings())
    finally:
        torch.set_num_threads(threads)
    return out, result


def test_plan_is_clip_major_with_stable_row_seeds(videos_dir):
    stimuli = VideoFolderStimuli(videos_dir)
    assert [s.key for s in stimuli.stimuli] == [
        "a.mp4#w0",
        "a.mp4#w1",
        "sub/b.mp4#w0",
        "sub/b.mp4#w1",
    ]
    assert [s.start_s for s in stimuli.stimuli] == [0.0, 2.0, 0.0, 2.0]
    plan = GenerationPlan(stimuli, _settings())
    assert plan.num_rows == 4 * 2 * 2 and plan.num_shards == 6
    keys = [plan.row(i).key for i in range(plan.num_rows)]
    assert len(set(keys)) == plan.num_rows
    assert keys[:4] == [
        "a.mp4#w0|sub1|negative",
        "a.mp4#w0|sub1|positive",
        "a.mp4#w0|sub2|negative",
        "a.mp4#w0|sub2|positive",
    ]
    assert plan.row(5).seed == row_seed(11, keys[5]) != row_seed(12, keys[5])
    ranks = [plan.shards_of_rank(r, 2) for r in range(2)]
    assert sorted(ranks[0] + ranks[1]) == list(range(6)) and not set(ranks[0]) & set(ranks[1])


def test_reference_run_writes_every_row_once_and_loads(reference, videos_dir):
    import datasets
    import yaml

    out, result = reference
    rows = _read(out)
    plan = GenerationPlan(VideoFolderStimuli(videos_dir), _settings())
    assert set(rows) == {plan.row(i).key for i in range(plan.num_rows)}
    assert result.rows_generated == plan.num_rows and len(result.written) == plan.num_shards
    assert all(eeg.shape == (62, 400) and np.isfinite(eeg).all() for eeg in rows.values())
    # Different subjects/emotions of one clip get different EEG.
    assert not np.array_equal(rows["a.mp4#w0|sub1|negative"], rows["a.mp4#w0|sub2|negative"])

    final = finalize_generation(
        out, plan, pipeline_id="tiny", revision="r0", repo_id="me/generated"
    )
    assert final.report_path is None  # a plain video folder has no real EEG
    card_text = final.card_path.read_text()
    metadata = yaml.safe_load(card_text.split("---")[1])
    files = metadata["configs"][0]["data_files"][0]["path"]
    assert files.startswith("data/train-")
    assert "generated" in card_text and "r0" in card_text

    loaded = datasets.load_dataset(str(out), split="train")
    assert loaded.num_rows == plan.num_rows
    assert loaded.features["emotion"].names == ["negative", "neutral", "positive"]
    first = loaded[0]
    np.testing.assert_array_equal(np.asarray(first["eeg"], np.float32), rows[first["key"]])
    frames = first["video"].get_frames_in_range(0, 4).data
    assert frames.shape[1:] == (3, 48, 64)


def test_row_eeg_does_not_depend_on_batching_or_sharding(
    reference, tiny_pipeline, videos_dir, tmp_path
):
    out_ref, _ = reference
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _generate(
            tiny_pipeline,
            VideoFolderStimuli(videos_dir),
            tmp_path / "b",
            _settings(batch_size=1, rows_per_shard=5),
        )
    finally:
        torch.set_num_threads(threads)
    ref, other = _read(out_ref), _read(tmp_path / "b")
    assert set(ref) == set(other)
    for key in ref:
        # Same noise; only float32 rounding of differently-shaped batched matmuls differs.
        np.testing.assert_allclose(other[key], ref[key], rtol=1e-5, atol=1e-3, err_msg=key)


def test_interrupted_run_resumes_to_identical_rows(reference, tiny_pipeline, videos_dir, tmp_path):
    out_ref, _ = reference
    out = tmp_path / "resumed"
    stimuli = VideoFolderStimuli(videos_dir)
    _generate(tiny_pipeline, stimuli, out, _settings())
    data = out / DATA_DIR
    shards = sorted(data.glob("*.parquet"))
    # A crash mid-write leaves a hidden temp file; a crash before the rename, no shard.
    (data / f".{shards[2].name}.tmp-999").write_bytes(b"partial")
    shards[2].unlink()
    shards[4].write_bytes(shards[4].read_bytes()[:100])  # a torn file (not ours, but be safe)
    plan = GenerationPlan(stimuli, _settings())
    assert missing_shards(out, plan) == [shards[2].name, shards[4].name]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = _generate(tiny_pipeline, stimuli, out, _settings())
    finally:
        torch.set_num_threads(threads)
    assert result.written == [shards[2].name, shards[4].name]
    assert len(result.skipped) == 4
    ref, rows = _read(out_ref), _read(out)
    assert set(rows) == set(ref)
    for key in ref:
        np.testing.assert_array_equal(rows[key], ref[key], err_msg=key)


def _cli(pipeline_dir: Path, videos_dir: Path, out: Path) -> list[str]:
    return [
        "-m", "video2eeg", "generate", "--pipeline", str(pipeline_dir), "--videos", str(videos_dir),
        "--subjects", "1,2", "--emotions", "negative,positive", "--out", str(out),
        "--num-inference-steps", "2", "--batch-size", "4", "--rows-per-shard", "3",
        "--seed", "11", "--no-evaluate",
    ]  # fmt: skip


def test_two_processes_killed_mid_run_then_resumed(reference, pipeline_dir, videos_dir, tmp_path):
    """accelerate launch with 2 CPU processes (gloo), SIGKILL one worker, rerun: every key once,
    and the same EEG as an uninterrupted single-process run with the same settings.

    Same seeds, same batches; across processes CPU BLAS kernels may still round differently
    (their blocking can depend on buffer alignment), so equality is to float32 rounding here;
    within one process a resumed run is bit-identical (test_interrupted_run_resumes_...)."""
    env = {**os.environ, "ACCELERATE_USE_CPU": "true", "OMP_NUM_THREADS": "1"}
    uninterrupted = tmp_path / "uninterrupted"
    subprocess.run(
        [sys.executable, *_cli(pipeline_dir, videos_dir, uninterrupted)],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    out = tmp_path / "ddp"
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
        "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
        *_cli(pipeline_dir, videos_dir, out),
    ]  # fmt: skip
    launcher = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while not any((out / DATA_DIR).glob("*.parquet")):
        assert launcher.poll() is None, launcher.stdout.read().decode()[-3000:]
        assert time.monotonic() < deadline, "no shard appeared in 120 s"
        time.sleep(0.02)
    import psutil

    workers = [
        p for p in psutil.Process(launcher.pid).children(recursive=True)
        if "generate" in " ".join(p.cmdline())
    ]  # fmt: skip
    assert len(workers) == 2
    workers[1].send_signal(signal.SIGKILL)
    launcher.wait(timeout=120)
    assert launcher.returncode != 0
    plan = GenerationPlan(VideoFolderStimuli(videos_dir), _settings())
    assert missing_shards(out, plan), "the run finished before the kill: nothing was interrupted"

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    assert missing_shards(out, plan) == []
    ref, rows = _read(uninterrupted), _read(out)
    assert set(rows) == set(ref) == {plan.row(i).key for i in range(plan.num_rows)}
    for key in ref:
        np.testing.assert_allclose(rows[key], ref[key], rtol=1e-5, atol=1e-3, err_msg=key)


def test_unknown_subject_or_emotion_is_refused_before_writing(tiny_pipeline, videos_dir, tmp_path):
    stimuli = VideoFolderStimuli(videos_dir)
    known = {"subjects": (1,), "emotions": ("negative",)}
    for settings, needle in (
        (GenerationSettings(subjects=(99,), emotions=("negative",)), "unknown subjects \\[99\\]"),
        (GenerationSettings(subjects=(1,), emotions=("bored",)), "unknown emotions \\['bored'\\]"),
        # the tiny pipeline was never trained with video dropout
        (GenerationSettings(**known, video_guidance_scale=3.0), "video_dropout_prob"),
    ):
        with pytest.raises(ValueError, match=needle):
            generate_dataset(
                tiny_pipeline, stimuli, tmp_path / "x", settings, pipeline_id="t", revision="r"
            )
    assert not (tmp_path / "x").exists()
    with pytest.raises(ValueError, match="duplicates"):
        GenerationSettings(subjects=(1, 1), emotions=("negative",))


def test_output_of_another_run_is_refused_unless_overwrite(
    reference, tiny_pipeline, videos_dir, tmp_path
):
    out = tmp_path / "out"
    stimuli = VideoFolderStimuli(videos_dir)
    small = GenerationSettings(subjects=(1,), emotions=("negative",), num_inference_steps=1)
    _generate(tiny_pipeline, stimuli, out, small)
    before = {p.name: p.read_bytes() for p in (out / DATA_DIR).glob("*.parquet")}
    with pytest.raises(ValueError, match=r"different .*settings"):
        _generate(tiny_pipeline, stimuli, out, _settings(num_inference_steps=1))
    assert {p.name: p.read_bytes() for p in (out / DATA_DIR).glob("*.parquet")} == before
    generate_dataset(
        tiny_pipeline,
        stimuli,
        out,
        _settings(num_inference_steps=1),
        pipeline_id="tiny",
        revision="r0",
        overwrite=True,
        progress=False,
    )
    assert len(_read(out)) == 16


def test_corrupt_video_is_skipped_with_reason_or_refused(videos_dir, tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / "good.mp4").write_bytes((videos_dir / "a.mp4").read_bytes())
    (folder / "broken.mp4").write_bytes(b"this is not a video")
    write_cfr_video(folder / "short.mp4", 24, Fraction(24))  # 1 s: no full 2 s clip
    stimuli = open_stimuli(folder)
    assert [s.source for s in stimuli.stimuli] == ["good.mp4", "good.mp4"]
    reasons = {item["file"]: item["reason"] for item in stimuli.skipped}
    assert set(reasons) == {"broken.mp4", "short.mp4"}
    assert "shorter than one 2 s clip" in reasons["short.mp4"]
    with pytest.raises(ValueError, match=r"broken\.mp4"):
        open_stimuli(folder, on_error="error")


def test_seed_dv_root_gives_clips_with_labels_and_real_eeg(seed_dv_tree, small_layout):
    from dataset_builder.reader import SEEDDVReader

    stimuli = open_stimuli(seed_dv_tree, blocks=[2])
    assert len(stimuli) == small_layout.n_concepts * small_layout.n_repetitions
    clip = stimuli.stimuli[7]
    position, repetition = divmod(7, small_layout.n_repetitions)
    assert (clip.block, clip.position, clip.repetition) == (2, position, repetition)
    reader = SEEDDVReader(seed_dv_tree, small_layout)
    assert clip.concept == int(reader.concept_order[1, position])
    start, stop = small_layout.clip_samples_range(position, repetition)
    np.testing.assert_array_equal(
        stimuli.real_eeg(clip, 2), np.asarray(reader.eeg(2)[1, :, start:stop], np.float32)
    )
    assert stimuli.real_eeg(clip, 99) is None
    (video,) = stimuli.load_videos([clip])
    from pipelines.video_io import read_clip_frames

    frames = read_clip_frames(video, 0.0, 2.0, 4)
    assert frames.shape == (4, 3, 48, 64)
