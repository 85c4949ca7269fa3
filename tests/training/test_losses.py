"""The DDPM objective and the SPIN-Diffusion self-play loss, on toy models with known answers."""

from __future__ import annotations

import math

import pytest
import torch
from diffusers import DDPMScheduler

from modeling_video2eeg import diffusion_target
from training.diffusion_loss import (
    diffusion_loss,
    draw_noise,
    drop_emotion,
    drop_video,
    per_sample_denoising_error,
)
from training.self_play import self_play_loss, spin_diffusion_loss


def _scheduler(prediction_type="epsilon"):
    return DDPMScheduler(
        num_train_timesteps=100, beta_schedule="squaredcos_cap_v2", prediction_type=prediction_type
    )


def _oracle(scheduler, clean):
    """A 'model' that knows x_0, so it can recover the exact ε or v target from x_t."""
    alphas = scheduler.alphas_cumprod

    def model(noisy, timesteps, video_tokens, subject_index, emotion_ids):
        a = alphas[timesteps].sqrt()[:, None, None]
        s = (1 - alphas[timesteps]).sqrt()[:, None, None]
        noise = (noisy - a * clean) / s
        if scheduler.config.prediction_type == "epsilon":
            return noise
        return a * noise - s * clean

    return model


@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
def test_oracle_has_zero_error_and_zero_model_does_not(prediction_type):
    scheduler = _scheduler(prediction_type)
    clean = torch.randn(4, 3, 50, generator=torch.Generator().manual_seed(0))
    draw = draw_noise(clean, 100, torch.Generator().manual_seed(1))
    cond = (
        torch.zeros(4, 2, 5),
        torch.zeros(4, dtype=torch.long),
        torch.zeros(4, dtype=torch.long),
    )
    oracle_error = per_sample_denoising_error(
        _oracle(scheduler, clean), scheduler, clean, draw, *cond
    )
    assert torch.allclose(oracle_error, torch.zeros(4), atol=1e-4)

    def zero(noisy, *args):
        return torch.zeros_like(noisy)

    zero_error = per_sample_denoising_error(zero, scheduler, clean, draw, *cond)
    target = diffusion_target(scheduler, clean, draw.noise, draw.timesteps)
    assert torch.allclose(zero_error, target.pow(2).flatten(1).mean(1))
    assert (zero_error > 0.1).all()


def test_v_target_is_diffusers_velocity():
    scheduler = _scheduler("v_prediction")
    clean, noise = torch.randn(2, 3, 8), torch.randn(2, 3, 8)
    t = torch.tensor([3, 90])
    a = scheduler.alphas_cumprod[t].sqrt()[:, None, None]
    s = (1 - scheduler.alphas_cumprod[t]).sqrt()[:, None, None]
    assert torch.allclose(diffusion_target(scheduler, clean, noise, t), a * noise - s * clean)


def test_draws_are_reproducible_from_the_generator():
    like = torch.zeros(5, 2, 7)
    a = draw_noise(like, 1000, torch.Generator().manual_seed(3))
    b = draw_noise(like, 1000, torch.Generator().manual_seed(3))
    c = draw_noise(like, 1000, torch.Generator().manual_seed(4))
    assert torch.equal(a.noise, b.noise) and torch.equal(a.timesteps, b.timesteps)
    assert not torch.equal(a.noise, c.noise)


def test_emotion_dropout_rate_and_null_id():
    ids = torch.zeros(20000, dtype=torch.long)
    dropped = drop_emotion(
        ids, null_emotion_id=3, prob=0.25, generator=torch.Generator().manual_seed(0)
    )
    assert set(dropped.unique().tolist()) == {0, 3}
    assert abs((dropped == 3).float().mean().item() - 0.25) < 0.02
    kept = drop_emotion(ids, 3, 0.0, torch.Generator().manual_seed(0))
    assert torch.equal(kept, ids)


def test_diffusion_loss_uses_the_null_class_for_dropped_rows():
    seen = []

    def model(noisy, timesteps, video_tokens, subject_index, emotion_ids):
        seen.append(emotion_ids.clone())
        return torch.zeros_like(noisy)

    scheduler = _scheduler()
    clean = torch.randn(256, 2, 4)
    emotions = torch.ones(256, dtype=torch.long)
    loss = diffusion_loss(
        model, scheduler, clean, torch.zeros(256, 1, 1), torch.zeros(256, dtype=torch.long),
        emotions, torch.Generator().manual_seed(0), null_emotion_id=7, cond_dropout_prob=0.5,
    )  # fmt: skip
    assert loss.ndim == 0 and loss.item() > 0
    values = set(seen[0].tolist())
    assert values == {1, 7}


def test_video_dropout_zeroes_whole_clips_at_the_rate():
    tokens = torch.rand(4000, 3, 5) + 0.1  # no token is zero by chance
    dropped = drop_video(tokens, prob=0.3, generator=torch.Generator().manual_seed(0))
    blank = (dropped == 0).flatten(1).all(dim=1)
    # a clip is either untouched or entirely the null video
    assert torch.equal(dropped[~blank], tokens[~blank])
    assert abs(blank.float().mean().item() - 0.3) < 0.03
    assert torch.equal(drop_video(tokens, 0.0, torch.Generator().manual_seed(0)), tokens)


def test_video_dropout_off_keeps_the_noise_draws_of_training_without_it():
    """prob 0 must train exactly as before the option: the dropout draw follows the noise."""
    seen = {}

    def model(noisy, timesteps, video_tokens, subject_index, emotion_ids):
        seen.setdefault("calls", []).append((noisy.clone(), timesteps.clone(), video_tokens))
        return torch.zeros_like(noisy)

    scheduler = _scheduler()
    clean, tokens = torch.randn(64, 2, 4), torch.rand(64, 1, 3) + 0.1
    ids = torch.zeros(64, dtype=torch.long)
    for prob in (0.0, 0.5):
        diffusion_loss(
            model, scheduler, clean, tokens, ids, ids, torch.Generator().manual_seed(0),
            null_emotion_id=1, cond_dropout_prob=0.1, video_dropout_prob=prob,
        )  # fmt: skip
    (noisy_off, t_off, tokens_off), (noisy_on, t_on, tokens_on) = seen["calls"]
    assert torch.equal(noisy_off, noisy_on) and torch.equal(t_off, t_on)
    assert torch.equal(tokens_off, tokens)
    blank = (tokens_on == 0).flatten(1).all(dim=1)
    assert 0 < blank.sum() < 64


def test_spin_loss_values():
    zeros = torch.zeros(3)
    loss, _ = spin_diffusion_loss(zeros, zeros, zeros, zeros, beta=10.0)
    assert math.isclose(loss.item(), math.log(2), rel_tol=1e-6)  # no preference: log 2
    # trainee better than opponent on real, worse on generated -> margin < 0, loss < log 2
    better = spin_diffusion_loss(zeros - 0.1, zeros, zeros + 0.1, zeros, beta=10.0)
    assert torch.allclose(better[1], torch.full((3,), -0.2))
    assert math.isclose(better[0].item(), math.log1p(math.exp(-2.0)), rel_tol=1e-6)
    worse = spin_diffusion_loss(zeros + 0.1, zeros, zeros - 0.1, zeros, beta=10.0)
    assert worse[0].item() > math.log(2) > better[0].item()
    with pytest.raises(ValueError, match="beta"):
        spin_diffusion_loss(zeros, zeros, zeros, zeros, beta=0.0)


def test_self_play_gradient_prefers_real_over_generated():
    """One gradient step on a scalar-gain model moves it towards explaining real data."""
    torch.manual_seed(0)
    scheduler = _scheduler()
    real = torch.randn(64, 2, 16)
    generated = 3.0 * torch.randn(64, 2, 16)  # the opponent's samples are too loud

    class Gain(torch.nn.Module):
        def __init__(self, value):
            super().__init__()
            self.g = torch.nn.Parameter(torch.tensor(value))

        def forward(self, noisy, timesteps, video_tokens, subject_index, emotion_ids):
            return self.g * noisy

    model, opponent = Gain(0.5), Gain(0.5)
    cond = (
        torch.zeros(64, 1, 1),
        torch.zeros(64, dtype=torch.long),
        torch.zeros(64, dtype=torch.long),
    )
    out = self_play_loss(
        model, opponent, scheduler, real, generated, *cond,
        generator=torch.Generator().manual_seed(0), beta=1.0,
    )  # fmt: skip
    # identical trainee and opponent: every margin is exactly zero, loss log 2
    assert torch.allclose(out.margin, torch.zeros(64), atol=1e-6)
    assert math.isclose(out.spin_loss.item(), math.log(2), rel_tol=1e-5)
    out.loss.backward()
    assert model.g.grad is not None and model.g.grad.abs() > 0
    assert opponent.g.grad is None  # the opponent is frozen
    optimiser = torch.optim.SGD(model.parameters(), lr=0.05)
    for step in range(30):
        optimiser.zero_grad()
        self_play_loss(
            model, opponent, scheduler, real, generated, *cond,
            generator=torch.Generator().manual_seed(100 + step), beta=1.0,
        ).loss.backward()  # fmt: skip
        optimiser.step()
    check = self_play_loss(
        model, opponent, scheduler, real, generated, *cond,
        generator=torch.Generator().manual_seed(999), beta=1.0,
    )  # fmt: skip
    # after training, the trainee explains real EEG better than its opponent does, relative
    # to the opponent's own samples: the mean margin turns negative and the loss drops
    assert check.margin.mean() < 0
    assert check.spin_loss.item() < math.log(2)
