"""The trainable pair (SPGN + EEG denoiser) as one ``nn.Module``.

Training updates the SPGN and the denoiser together; wrapping them in one module lets
``accelerator.prepare`` put a single DistributedDataParallel around both (one gradient
all-reduce per step) and ``accelerator.save_state`` store both in one checkpoint file.
The two models stay the models engineer's classes: this wrapper only chains their calls,
exactly as the pipeline's denoising loop does.
"""

from __future__ import annotations

import torch
from torch import nn


class ConditionedDenoiser(nn.Module):
    """``(noisy EEG, timestep, condition) -> denoiser prediction`` through SPGN then denoiser.

    Parameters
    ----------
    spgn : modeling_video2eeg.SPGNModel
        Turns video tokens, subject rows and emotion ids into per-electrode conditioning.
    denoiser : modeling_video2eeg.EEGDenoiser
        Predicts noise (or velocity) of normalised EEG under that conditioning.
    """

    def __init__(self, spgn: nn.Module, denoiser: nn.Module) -> None:
        super().__init__()
        self.spgn = spgn
        self.denoiser = denoiser

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor,
        video_tokens: torch.Tensor,
        subject_index: torch.Tensor,
        emotion_ids: torch.Tensor,
    ) -> torch.Tensor:
        """Predict the diffusion target.

        Parameters
        ----------
        sample : torch.Tensor
            ``(batch, n_chans, n_times)`` noisy EEG in normalised units.
        timestep : torch.Tensor
            ``(batch,)`` long diffusion timesteps.
        video_tokens : torch.Tensor
            ``(batch, num_frames, token_dim)`` video-encoder tokens.
        subject_index : torch.Tensor
            ``(batch,)`` long subject-embedding rows (``spgn.subject_index(ids)``).
        emotion_ids : torch.Tensor
            ``(batch,)`` long emotion ids (the null class allowed).

        Returns
        -------
        torch.Tensor
            ``(batch, n_chans, n_times)`` prediction (``denoiser.config.prediction_type``).
        """
        conditioning = self.spgn(video_tokens, subject_index, emotion_ids)
        return self.denoiser(
            sample, timestep, conditioning.node_conditioning, conditioning.video_tokens
        ).sample
