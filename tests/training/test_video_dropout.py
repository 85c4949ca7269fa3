"""The video-dropout option: recorded with the model, inherited by fine-tuning, enables video guidance."""

from __future__ import annotations

import pytest
import torch

from tests.fixtures.training import single_thread, tiny_training_config
from tests.training.helpers import token_cache_dir


def test_short_run_records_video_dropout_and_its_pipeline_guides_over_the_video(
    aligned_dataset_dir, trained_tiny_pipeline_dir, tmp_path, monkeypatch
):
    import training.trainer
    from pipelines.pipeline_video2eeg import Video2EEGPipeline
    from training.trainer import train

    probs = []
    loss = training.trainer.diffusion_loss

    def recording_loss(*args, **kwargs):
        probs.append(kwargs["video_dropout_prob"])
        return loss(*args, **kwargs)

    monkeypatch.setattr(training.trainer, "diffusion_loss", recording_loss)

    cache = token_cache_dir(trained_tiny_pipeline_dir)
    config = tiny_training_config(
        aligned_dataset_dir,
        tmp_path / "run",
        eval_split=None,
        cache_dir=cache,
        max_train_steps=2,
        checkpointing_steps=0,
        video_dropout_prob=0.25,
    )
    with single_thread():
        train(config)
    assert probs == [0.25, 0.25]  # every training step drops videos
    pipe = Video2EEGPipeline.from_pretrained(str(tmp_path / "run"))
    pipe.set_progress_bar_config(disable=True)
    assert pipe.spgn.config.video_dropout_prob == 0.25
    tokens = torch.rand(1, pipe.num_frames, pipe.spgn.config.video_token_dim)
    kwargs = {"video_tokens": tokens, "subject": pipe.spgn.config.subject_ids[0]}
    kwargs |= {"num_inference_steps": 2, "generator": torch.Generator().manual_seed(0)}
    eeg = pipe(**kwargs, video_guidance_scale=2.0).eeg
    assert eeg.shape == (1, 62, 400) and torch.isfinite(torch.as_tensor(eeg)).all()

    # fine-tuning inherits the recorded value unless told otherwise
    from training.trainer import Video2EEGTrainer

    for override, expected in ((None, 0.25), (0.0, 0.0)):
        tuned = Video2EEGTrainer(
            tiny_training_config(
                aligned_dataset_dir,
                tmp_path / f"tuned-{override}",
                eval_split=None,
                cache_dir=cache,
                pretrained_pipeline=str(tmp_path / "run"),
                video_dropout_prob=override,
            )
        )
        with single_thread():
            tuned.setup()
        assert tuned.spgn.config.video_dropout_prob == expected


def test_default_training_keeps_video_guidance_off(trained_tiny_pipeline_dir):
    from pipelines.pipeline_video2eeg import Video2EEGPipeline

    pipe = Video2EEGPipeline.from_pretrained(str(trained_tiny_pipeline_dir))
    assert pipe.spgn.config.video_dropout_prob == 0.0
    tokens = torch.rand(1, pipe.num_frames, pipe.spgn.config.video_token_dim)
    with pytest.raises(ValueError, match="video_dropout_prob"):
        pipe(video_tokens=tokens, subject=pipe.spgn.config.subject_ids[0], video_guidance_scale=2)
