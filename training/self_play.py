"""Self-play fine-tuning (SPIN-Diffusion, Yuan et al., NeurIPS 2024) — our reading.

Round ``k + 1`` starts from the round-``k`` model and keeps a frozen copy of it as the
*opponent*. The opponent first generates EEG for every training condition (same video
tokens, subject and emotion as a real clip) with a fast sampler. The trainee is then pushed
to lower its denoising error on the real clip and raise it on the opponent's clip, relative
to the opponent, through a logistic (DPO-style) loss on the error differences:

.. math::

    m = \\big(e_\\theta(x^{real}_t) - e_{ref}(x^{real}_t)\\big)
        - \\big(e_\\theta(x^{gen}_t) - e_{ref}(x^{gen}_t)\\big),\\qquad
    \\mathcal{L} = \\operatorname{softplus}(\\beta\\, m)

where :math:`e(\\cdot)` is the per-clip mean squared error of the ε/v prediction at the
same timestep ``t`` and the same noise for both clips of a pair (this shared draw lowers
the variance of ``m``, as in Diffusion-DPO). ``softplus(βm) = -log σ(-βm)``: the loss falls
when the trainee explains real EEG better than the opponent does while explaining the
opponent's own samples worse. SPIN-Diffusion's exact objective integrates over whole
sampling trajectories; like its practical approximation we use one forward-process draw per
pair. An optional supervised term ``λ · e_θ(x^{real}_t)`` keeps the model from drifting
away from the data (our addition, ``self_play_sft_weight``; 0 gives the pure SPIN loss).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler

from training.diffusion_loss import NoiseDraw, draw_noise, per_sample_denoising_error


@dataclass
class SelfPlayLoss:
    """Loss and diagnostics of one self-play batch.

    Attributes
    ----------
    loss : torch.Tensor
        Scalar to back-propagate (SPIN loss + ``sft_weight`` · supervised error).
    spin_loss : torch.Tensor
        Scalar mean of ``softplus(β m)``.
    margin : torch.Tensor
        ``(batch,)`` error-difference margins ``m`` (negative = real preferred).
    real_error, generated_error : torch.Tensor
        ``(batch,)`` trainee errors on the real and generated clips.
    """

    loss: torch.Tensor
    spin_loss: torch.Tensor
    margin: torch.Tensor
    real_error: torch.Tensor
    generated_error: torch.Tensor

    def scalars(self) -> dict[str, float]:
        """Detached floats for logging."""
        return {
            "loss": float(self.loss.detach()),
            "spin_loss": float(self.spin_loss.detach()),
            "margin": float(self.margin.detach().mean()),
            "real_preferred": float((self.margin.detach() < 0).float().mean()),
            "real_error": float(self.real_error.detach().mean()),
            "generated_error": float(self.generated_error.detach().mean()),
        }


def spin_diffusion_loss(
    error_real: torch.Tensor,
    opponent_error_real: torch.Tensor,
    error_generated: torch.Tensor,
    opponent_error_generated: torch.Tensor,
    beta: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The logistic self-play loss on per-clip denoising errors.

    Parameters
    ----------
    error_real, opponent_error_real : torch.Tensor
        ``(batch,)`` trainee / frozen-opponent errors on the real clips.
    error_generated, opponent_error_generated : torch.Tensor
        ``(batch,)`` the same on the opponent's generated clips (paired by condition).
    beta : float
        Strength (> 0): scales the margins before the logistic.

    Returns
    -------
    loss, margin : torch.Tensor
        Scalar ``mean(softplus(β m))`` and the ``(batch,)`` margins ``m``.
    """
    if beta <= 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    shapes = {
        tuple(t.shape)
        for t in (error_real, opponent_error_real, error_generated, opponent_error_generated)
    }
    if len(shapes) != 1:
        raise ValueError(f"the four error tensors must have one shape, got {sorted(shapes)}")
    margin = (error_real - opponent_error_real) - (error_generated - opponent_error_generated)
    return F.softplus(beta * margin).mean(), margin


ModelFn = Callable[..., torch.Tensor]


def self_play_loss(
    model: ModelFn,
    opponent: ModelFn,
    scheduler: DDPMScheduler,
    real: torch.Tensor,
    generated: torch.Tensor,
    video_tokens: torch.Tensor,
    subject_index: torch.Tensor,
    emotion_ids: torch.Tensor,
    generator: torch.Generator,
    beta: float,
    sft_weight: float = 0.0,
) -> SelfPlayLoss:
    """Self-play loss for a batch of (real, opponent-generated) pairs under one condition each.

    Real and generated clips of a pair share the timestep and the noise. Trainee and
    opponent each run one forward on the stacked ``(2·batch, …)`` input.

    Parameters
    ----------
    model, opponent : callable
        ``(noisy, timesteps, video_tokens, subject_index, emotion_ids) -> prediction``;
        the opponent is evaluated without gradients.
    real, generated : torch.Tensor
        ``(batch, n_chans, n_times)`` normalised EEG.
    video_tokens, subject_index, emotion_ids : torch.Tensor
        The shared condition of each pair.
    generator : torch.Generator
        Source of the noise and timesteps.
    beta, sft_weight : float
        See :func:`spin_diffusion_loss`; ``sft_weight`` adds the supervised error on real EEG.
    """
    if real.shape != generated.shape:
        raise ValueError(
            f"real and generated must have one shape, got {tuple(real.shape)} and "
            f"{tuple(generated.shape)}"
        )
    batch = real.shape[0]
    draw = draw_noise(real, scheduler.config.num_train_timesteps, generator)
    paired = NoiseDraw(noise=draw.noise.repeat(2, 1, 1), timesteps=draw.timesteps.repeat(2))
    clean = torch.cat([real, generated])
    condition = (video_tokens.repeat(2, 1, 1), subject_index.repeat(2), emotion_ids.repeat(2))
    errors = per_sample_denoising_error(model, scheduler, clean, paired, *condition)
    with torch.no_grad():
        opponent_errors = per_sample_denoising_error(opponent, scheduler, clean, paired, *condition)
    spin, margin = spin_diffusion_loss(
        errors[:batch], opponent_errors[:batch], errors[batch:], opponent_errors[batch:], beta
    )
    loss = spin + sft_weight * errors[:batch].mean() if sft_weight else spin
    return SelfPlayLoss(
        loss=loss,
        spin_loss=spin,
        margin=margin,
        real_error=errors[:batch],
        generated_error=errors[batch:],
    )
