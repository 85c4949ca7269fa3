"""The unconditional baseline option: same network, every condition blanked."""

from __future__ import annotations

import torch

from tests.fixtures.training import single_thread, tiny_training_config
from tests.training.helpers import token_cache_dir


def _prepared_trainer(dataset_dir, output_dir, cache, **overrides):
    from training.trainer import Video2EEGTrainer

    config = tiny_training_config(
        dataset_dir, output_dir, eval_split=None, cache_dir=cache, **overrides
    )
    trainer = Video2EEGTrainer(config)
    with single_thread():
        trainer.setup()
    return trainer


def test_unconditional_training_sees_blank_conditions(
    aligned_dataset_dir, trained_tiny_pipeline_dir, tmp_path
):
    cache = token_cache_dir(trained_tiny_pipeline_dir)
    plain = _prepared_trainer(aligned_dataset_dir, tmp_path / "plain", cache)
    blank = _prepared_trainer(aligned_dataset_dir, tmp_path / "blank", cache, unconditional=True)

    # the conditional run sees real conditions: varied tokens, both subjects, real emotions
    assert plain.train_clips.tokens.abs().sum() > 0
    assert len(plain.train_clips.subject_index.unique()) == 2
    null_emotion = int(plain.spgn.emotion_ids([None])[0])
    assert (plain.train_clips.emotion_ids != null_emotion).all()

    # the unconditional run: zero tokens, one subject row, the null emotion for every clip
    clips = blank.train_clips
    assert len(clips) == len(plain.train_clips)
    assert torch.count_nonzero(clips.tokens) == 0
    assert clips.subject_index.unique().tolist() == [0]
    assert (clips.emotion_ids == null_emotion).all()
    # and the network is the same size as the conditional one
    assert sum(p.numel() for p in blank.denoiser.parameters()) == sum(
        p.numel() for p in plain.denoiser.parameters()
    )
