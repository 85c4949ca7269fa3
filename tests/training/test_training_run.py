"""A real (tiny) training run: what it writes, and that the result is a working pipeline."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.fixtures.training import TINY_CHECKPOINT_EVERY, TINY_TRAIN_STEPS
from tests.training.helpers import load_tensors


@pytest.fixture(scope="module")
def train_split(aligned_dataset_dir):
    import datasets

    return datasets.load_dataset(str(aligned_dataset_dir), split="train")


def test_output_is_a_loadable_pipeline_with_training_eeg_stats(
    trained_tiny_pipeline_dir, train_split
):
    from pipelines.pipeline_video2eeg import Video2EEGPipeline

    index = json.loads((trained_tiny_pipeline_dir / "model_index.json").read_text())
    assert index["_class_name"] == "Video2EEGPipeline"
    assert {"video_encoder", "spgn", "denoiser", "scheduler"} <= set(index)
    pipe = Video2EEGPipeline.from_pretrained(str(trained_tiny_pipeline_dir))
    config = pipe.spgn.config
    # per-channel statistics of the training EEG, computed here independently
    eeg = np.stack(train_split.with_format("numpy")["eeg"]).astype(np.float64)
    np.testing.assert_allclose(config.eeg_mean, eeg.mean(axis=(0, 2)), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(config.eeg_std, eeg.std(axis=(0, 2)), rtol=1e-5)
    assert config.subject_ids == sorted(set(train_split["subject"]))
    assert config.emotion_labels == train_split.features["emotion"].names
    assert pipe.denoiser.config.prediction_type == pipe.scheduler.config.prediction_type
    # it generates EEG in microvolts on the data's scale
    out = pipe(
        video_tokens=torch.zeros(2, config.num_frames, config.video_token_dim),
        subject=config.subject_ids[0],
        emotion=config.emotion_labels[0],
        num_inference_steps=3,
        generator=torch.Generator().manual_seed(0),
        output_type="np",
    )
    assert out.eeg.shape == (2, 62, 400) and np.isfinite(out.eeg).all()


def test_report_checkpoints_and_ema(trained_tiny_pipeline_dir):
    report = json.loads((trained_tiny_pipeline_dir / "training_report.json").read_text())
    assert report["global_step"] == TINY_TRAIN_STEPS
    losses = report["losses"]
    assert len(losses) == TINY_TRAIN_STEPS and all(np.isfinite(losses))
    assert np.mean(losses[-4:]) < np.mean(losses[:4])  # it is learning
    names = sorted(
        (p.name for p in (trained_tiny_pipeline_dir / "checkpoints").iterdir()),
        key=lambda name: int(name.rsplit("-", 1)[1]),
    )
    assert names == [
        f"checkpoint-{s}"
        for s in range(TINY_CHECKPOINT_EVERY, TINY_TRAIN_STEPS + 1, TINY_CHECKPOINT_EVERY)
    ]
    last = trained_tiny_pipeline_dir / "checkpoints" / f"checkpoint-{TINY_TRAIN_STEPS}"
    raw = load_tensors(last / "model.safetensors")
    ema = load_tensors(last / "ema.safetensors")
    from pipelines.pipeline_video2eeg import Video2EEGPipeline
    from training.modeling import ConditionedDenoiser

    pipe = Video2EEGPipeline.from_pretrained(str(trained_tiny_pipeline_dir))
    published = dict(ConditionedDenoiser(pipe.spgn, pipe.denoiser).named_parameters())
    # EMA shadow tensors are stored in parameter order; the pipeline publishes them
    assert len(ema) == len(published)
    for i, (name, param) in enumerate(published.items()):
        assert torch.equal(param.detach(), ema[f"shadow.{i:05d}"]), name
    assert any(not torch.equal(p.detach(), raw[n]) for n, p in published.items())
    # the final validation on the held-out block was scored by the evaluation suite
    final = json.loads(
        (
            trained_tiny_pipeline_dir / "validation" / f"final-step-{TINY_TRAIN_STEPS}.json"
        ).read_text()
    )
    assert set(final["metrics"]["metrics"]) == {"log_psd_distance", "covariance"}
