"""The DDPM training objective (ε- or v-prediction) with classifier-free condition dropout.

The forward process and the targets are diffusers' (``DDPMScheduler.add_noise``, and
``modeling_video2eeg.diffusion_target``: ε, or ``get_velocity`` for v); this module only
decides what is drawn and how the error is averaged. All randomness comes from an explicit ``torch.Generator`` so that a training
step is a pure function of (weights, batch, generator state): that is what makes resuming
bit-identical.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from diffusers import DDPMScheduler

from modeling_video2eeg import diffusion_target

ModelFn = Callable[
    [torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor
]
"""``model(noisy, timesteps, video_tokens, subject_index, emotion_ids) -> prediction``."""


@dataclass
class NoiseDraw:
    """One draw of the forward process for a batch.

    Attributes
    ----------
    noise : torch.Tensor
        ``(batch, n_chans, n_times)`` standard normal.
    timesteps : torch.Tensor
        ``(batch,)`` long, uniform in ``[0, num_train_timesteps)``.
    """

    noise: torch.Tensor
    timesteps: torch.Tensor


def draw_noise(
    like: torch.Tensor, num_train_timesteps: int, generator: torch.Generator
) -> NoiseDraw:
    """Draw Gaussian noise shaped like ``like`` and uniform timesteps, from ``generator``.

    Drawn on the generator's device (CPU) and moved to ``like``'s device, so the same seed
    gives the same draw on any accelerator.
    """
    device = generator.device
    noise = torch.randn(like.shape, generator=generator, device=device, dtype=torch.float32)
    timesteps = torch.randint(
        0, num_train_timesteps, (like.shape[0],), generator=generator, device=device
    )
    return NoiseDraw(noise=noise.to(like.device, like.dtype), timesteps=timesteps.to(like.device))


def drop_emotion(
    emotion_ids: torch.Tensor, null_emotion_id: int, prob: float, generator: torch.Generator
) -> torch.Tensor:
    """Replace each emotion id by ``null_emotion_id`` with probability ``prob``.

    Classifier-free guidance needs the model to also learn the unconditional (null) case.
    The uniform draw happens even when ``prob == 0`` so the generator advances the same way
    whatever the setting.
    """
    keep = torch.rand(emotion_ids.shape, generator=generator, device=generator.device) >= prob
    keep = keep.to(emotion_ids.device)
    return torch.where(keep, emotion_ids, torch.full_like(emotion_ids, null_emotion_id))


def drop_video(video_tokens: torch.Tensor, prob: float, generator: torch.Generator) -> torch.Tensor:
    """Replace each clip's tokens ``(batch, num_frames, token_dim)`` by the null video (zeros)
    with probability ``prob``.

    Guidance over the video needs the model to also learn EEG without a video. Like
    :func:`drop_emotion` the draw happens whatever ``prob``; callers make it after the noise
    draw, so that ``prob == 0`` trains exactly as before the option existed.
    """
    drop = torch.rand(video_tokens.shape[0], generator=generator, device=generator.device) < prob
    drop = drop.to(video_tokens.device)[:, None, None]
    return torch.where(drop, torch.zeros_like(video_tokens), video_tokens)


def per_sample_denoising_error(
    model: ModelFn,
    scheduler: DDPMScheduler,
    clean: torch.Tensor,
    draw: NoiseDraw,
    video_tokens: torch.Tensor,
    subject_index: torch.Tensor,
    emotion_ids: torch.Tensor,
) -> torch.Tensor:
    """Mean squared error of the model's prediction per sample.

    Parameters
    ----------
    clean : torch.Tensor
        ``(batch, n_chans, n_times)`` normalised EEG ``x_0``.
    draw : NoiseDraw
        Noise and timesteps for the batch.

    Returns
    -------
    torch.Tensor
        ``(batch,)`` float32: ``mean((model(x_t) - target)²)`` over channels and time.
    """
    noisy = scheduler.add_noise(clean, draw.noise, draw.timesteps)
    target = diffusion_target(scheduler, clean, draw.noise, draw.timesteps)
    prediction = model(noisy, draw.timesteps, video_tokens, subject_index, emotion_ids)
    if prediction.shape != target.shape:
        raise ValueError(
            f"model prediction has shape {tuple(prediction.shape)}, expected {tuple(target.shape)}"
        )
    return (prediction.float() - target.float()).pow(2).flatten(1).mean(dim=1)


def diffusion_loss(
    model: ModelFn,
    scheduler: DDPMScheduler,
    clean: torch.Tensor,
    video_tokens: torch.Tensor,
    subject_index: torch.Tensor,
    emotion_ids: torch.Tensor,
    generator: torch.Generator,
    null_emotion_id: int,
    cond_dropout_prob: float = 0.0,
    video_dropout_prob: float = 0.0,
) -> torch.Tensor:
    """The DDPM loss on a batch with classifier-free emotion (and optionally video) dropout.

    Returns
    -------
    torch.Tensor
        Scalar mean over the batch of :func:`per_sample_denoising_error`.
    """
    emotion_ids = drop_emotion(emotion_ids, null_emotion_id, cond_dropout_prob, generator)
    draw = draw_noise(clean, scheduler.config.num_train_timesteps, generator)
    video_tokens = drop_video(video_tokens, video_dropout_prob, generator)
    errors = per_sample_denoising_error(
        model, scheduler, clean, draw, video_tokens, subject_index, emotion_ids
    )
    return errors.mean()
