"""adapt_new_subject: fits only the new subject row; everything else stays bit-identical."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler

from modeling_video2eeg import adapt_new_subject
from modeling_video2eeg.denoiser import diffusion_target
from tests.fixtures.models import build_tiny_config, build_tiny_denoiser, build_tiny_spgn

N_CLIPS = 4


def _clips(seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    # A "new person": strong 10 Hz rhythm with a subject-specific amplitude, in µV.
    times = torch.arange(400) / 200.0
    eeg = 40.0 * torch.sin(2 * torch.pi * 10.0 * times) + 5 * torch.randn(
        N_CLIPS, 62, 400, generator=gen
    )
    tokens = torch.randn(N_CLIPS, 4, 32, generator=gen)
    emotions = torch.tensor([0, 1, 2, 3])
    return eeg, tokens, emotions


def _models():
    spgn = build_tiny_spgn(build_tiny_config(eeg_mean=[0.0] * 62, eeg_std=[20.0] * 62))
    return spgn, build_tiny_denoiser()


def _eval_loss(spgn, denoiser, scheduler, eeg, tokens, emotions, row) -> float:
    """Denoising loss on the clips with fixed noise and timesteps."""
    gen = torch.Generator().manual_seed(123)
    clean = spgn.normalize_eeg(eeg)
    noise = torch.randn(clean.shape, generator=gen)
    timesteps = torch.randint(0, scheduler.config.num_train_timesteps, (len(clean),), generator=gen)
    with torch.no_grad():
        cond = spgn(tokens, torch.full((len(clean),), row), emotions)
        prediction = denoiser(
            scheduler.add_noise(clean, noise, timesteps),
            timesteps,
            cond.node_conditioning,
            cond.video_tokens,
        ).sample
    return F.mse_loss(prediction, diffusion_target(scheduler, clean, noise, timesteps)).item()


def test_only_the_new_row_changes_and_the_loss_drops():
    spgn, denoiser = _models()
    spgn.train()  # the adapter must restore this
    scheduler = DDPMScheduler(num_train_timesteps=100)
    eeg, tokens, emotions = _clips()
    spgn_before = {k: v.clone() for k, v in spgn.state_dict().items()}
    denoiser_before = {k: v.clone() for k, v in denoiser.state_dict().items()}
    buffers_before = {k: v.clone() for k, v in spgn.named_buffers()}
    mean_row = spgn.subject_embedding.weight.detach().mean(dim=0)

    # Loss of the "average subject" start point, for comparison after fitting.
    probe, _ = _models()
    probe_row = probe.add_subject(99)
    loss_before = _eval_loss(probe, denoiser, scheduler, eeg, tokens, emotions, probe_row)

    row = adapt_new_subject(
        spgn, denoiser, scheduler, eeg, tokens, emotions, new_subject_id=99,
        num_steps=10, lr=1.0, batch_size=None, generator=torch.Generator().manual_seed(0),
    )  # fmt: skip

    assert row == 3
    assert spgn.config.subject_ids == [1, 2, 3, 99]
    weight = spgn.subject_embedding.weight
    assert torch.equal(weight[:3], spgn_before["subject_embedding.weight"])
    assert not torch.allclose(weight[3], mean_row)
    for name, tensor in spgn.state_dict().items():
        if name != "subject_embedding.weight":
            assert torch.equal(tensor, spgn_before[name]), name
    for name, tensor in denoiser.state_dict().items():
        assert torch.equal(tensor, denoiser_before[name]), name
    for name, tensor in spgn.named_buffers():
        assert torch.equal(tensor, buffers_before[name]), name
    # Modes and trainability are restored.
    assert spgn.training and not denoiser.training
    assert all(p.requires_grad for p in spgn.parameters())
    assert all(p.requires_grad for p in denoiser.parameters())
    assert all(p.grad is None for p in denoiser.parameters())

    loss_after = _eval_loss(spgn, denoiser, scheduler, eeg, tokens, emotions, row)
    assert loss_after < loss_before


def test_same_generator_seed_same_row():
    rows = []
    for _ in range(2):
        spgn, denoiser = _models()
        eeg, tokens, emotions = _clips()
        adapt_new_subject(
            spgn, denoiser, DDPMScheduler(num_train_timesteps=100), eeg, tokens, emotions,
            new_subject_id=7, num_steps=3, batch_size=3,
            generator=torch.Generator().manual_seed(4),
        )  # fmt: skip
        rows.append(spgn.subject_embedding.weight[spgn.subject_index([7])].detach())
    assert torch.equal(rows[0], rows[1])


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"new_subject_id": 2}, "new_subject_id: subject 2 already has row 1"),
        ({"eeg": torch.zeros(N_CLIPS, 61, 400)}, "eeg must have shape (n_clips, 62, 400)"),
        ({"eeg": torch.full((N_CLIPS, 62, 400), float("nan"))}, "eeg contains NaN or Inf"),
        ({"video_tokens": torch.zeros(N_CLIPS - 1, 4, 32)}, "video_tokens must have shape (4,"),
        ({"emotion_ids": torch.tensor([0, 1])}, "emotion_ids must have shape (4,)"),
        (
            {"scheduler": DDPMScheduler(prediction_type="v_prediction")},
            "must equal denoiser.config.prediction_type ('epsilon')",
        ),
    ],
)
def test_bad_arguments_raise_before_touching_the_model(change, fragment):
    spgn, denoiser = _models()
    eeg, tokens, emotions = _clips()
    kwargs = {
        "spgn": spgn,
        "denoiser": denoiser,
        "scheduler": DDPMScheduler(num_train_timesteps=100),
        "eeg": eeg,
        "video_tokens": tokens,
        "emotion_ids": emotions,
        "new_subject_id": 50,
        "num_steps": 1,
    }
    kwargs.update(change)
    with pytest.raises(ValueError) as info:
        adapt_new_subject(**kwargs)
    assert fragment in str(info.value)
    assert spgn.config.subject_ids == [1, 2, 3]
