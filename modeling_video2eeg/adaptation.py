"""Few-shot personalisation: fit a new subject's embedding row, everything else frozen.

A new person differs from the training subjects in ways the SPGN's subject embedding is
meant to carry (alpha peak frequency, amplitude scale, spatial emphasis). Given a few of the
new subject's clips (EEG plus the video tokens of what they watched), we append one row to
the subject embedding (:meth:`SPGNModel.add_subject`, initialised at the mean subject) and
minimise the usual DDPM noise-prediction loss with respect to that row only. All other
parameters of the SPGN and the denoiser keep their exact values.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers import SchedulerMixin

from .denoiser import EEGDenoiser, diffusion_target
from .modeling_spgn import SPGNModel


def adapt_new_subject(
    spgn: SPGNModel,
    denoiser: EEGDenoiser,
    scheduler: SchedulerMixin,
    eeg: torch.Tensor,
    video_tokens: torch.Tensor,
    emotion_ids: torch.Tensor,
    new_subject_id: int,
    num_steps: int = 200,
    lr: float = 1e-2,
    batch_size: int | None = 16,
    generator: torch.Generator | None = None,
) -> int:
    r"""Add ``new_subject_id`` to ``spgn`` and fit only its embedding row on the given clips.

    Parameters
    ----------
    spgn : SPGNModel
        The trained graph network; gains one subject row (and ``config.subject_ids`` the id).
    denoiser : EEGDenoiser
        The trained denoiser (frozen here).
    scheduler : diffusers scheduler
        Supplies ``add_noise`` and the training schedule (typically ``DDPMScheduler``); its
        ``config.prediction_type`` must equal ``denoiser.config.prediction_type``.
    eeg : torch.Tensor
        float ``(n_clips, n_chans, n_times)`` in microvolts (normalised here with the SPGN
        config's ``eeg_mean``/``eeg_std``).
    video_tokens : torch.Tensor
        ``(n_clips, num_frames, video_token_dim)`` encoder tokens of the clips' videos.
    emotion_ids : torch.Tensor
        ``(n_clips,)`` emotion ids (``spgn.emotion_ids(...)``); the null id is allowed.
    new_subject_id : int
        External id of the new subject (must not exist yet).
    num_steps : int
        Optimiser (Adam) steps.
    lr : float
        Adam learning rate for the embedding row.
    batch_size : int, optional
        Clips per step, drawn with ``generator``; ``None`` uses all clips every step.
    generator : torch.Generator, optional
        Seeds clip sampling, timesteps and noise (same generator state -> same result).

    Returns
    -------
    int
        The new subject's embedding row (``spgn.subject_index([new_subject_id])``).

    Raises
    ------
    ValueError
        On mismatched shapes, an existing subject id, or disagreeing prediction types.
    """
    config = spgn.config
    if (
        not isinstance(eeg, torch.Tensor)
        or eeg.ndim != 3
        or tuple(eeg.shape[1:])
        != (
            config.n_chans,
            config.n_times,
        )
    ):
        got = tuple(eeg.shape) if isinstance(eeg, torch.Tensor) else type(eeg).__name__
        raise ValueError(
            f"eeg must have shape (n_clips, {config.n_chans}, {config.n_times}), got {got}"
        )
    n_clips = eeg.shape[0]
    if n_clips < 1:
        raise ValueError("eeg must hold at least one clip, got 0")
    if not torch.isfinite(eeg).all():
        raise ValueError("eeg contains NaN or Inf values")
    if (
        not isinstance(video_tokens, torch.Tensor)
        or video_tokens.ndim != 3
        or video_tokens.shape[0] != n_clips
    ):
        got = (
            tuple(video_tokens.shape)
            if isinstance(video_tokens, torch.Tensor)
            else type(video_tokens).__name__
        )
        raise ValueError(
            f"video_tokens must have shape ({n_clips}, num_frames, {config.video_token_dim}), got {got}"
        )
    emotion_ids = torch.as_tensor(emotion_ids, device=spgn.device).long().reshape(-1)
    if emotion_ids.numel() == 1:
        emotion_ids = emotion_ids.expand(n_clips)
    if emotion_ids.numel() != n_clips:
        raise ValueError(
            f"emotion_ids must have shape ({n_clips},), got {tuple(emotion_ids.shape)}"
        )
    if scheduler.config.prediction_type != denoiser.config.prediction_type:
        raise ValueError(
            f"scheduler.config.prediction_type ({scheduler.config.prediction_type!r}) must equal "
            f"denoiser.config.prediction_type ({denoiser.config.prediction_type!r})"
        )
    if num_steps < 1 or lr <= 0:
        raise ValueError(f"num_steps must be >= 1 and lr > 0, got {num_steps} and {lr}")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be >= 1 or None, got {batch_size}")

    row = spgn.add_subject(new_subject_id)
    weight = spgn.subject_embedding.weight
    device = weight.device
    x0 = spgn.normalize_eeg(eeg.to(device=device, dtype=weight.dtype))
    tokens = video_tokens.to(device=device, dtype=weight.dtype)
    num_train_timesteps = scheduler.config.num_train_timesteps

    modules = (spgn, denoiser)
    saved_modes = [m.training for m in modules]
    saved_grad = {p: p.requires_grad for m in modules for p in m.parameters()}
    for module in modules:
        module.eval()  # no dropout: the frozen network must act as it will at inference
        module.requires_grad_(False)
    weight.requires_grad_(True)
    # Only the new row receives gradient; Adam with zero gradient (and zero moments) leaves
    # the other rows bit-identical.
    row_mask = torch.zeros_like(weight)
    row_mask[row] = 1.0
    hook = weight.register_hook(lambda grad: grad * row_mask)
    optimizer = torch.optim.Adam([weight], lr=lr)
    subject_rows = torch.full((n_clips,), row, dtype=torch.long, device=device)
    try:
        for _ in range(num_steps):
            if batch_size is None or batch_size >= n_clips:
                index = torch.arange(n_clips, device=device)
            else:
                index = torch.randperm(n_clips, generator=generator)[:batch_size].to(device)
            clean = x0[index]
            noise = torch.randn(clean.shape, generator=generator, dtype=clean.dtype).to(device)
            timesteps = torch.randint(
                0, num_train_timesteps, (clean.shape[0],), generator=generator
            ).to(device)
            noisy = scheduler.add_noise(clean, noise, timesteps)
            cond = spgn(tokens[index], subject_rows[index], emotion_ids[index])
            prediction = denoiser(
                noisy, timesteps, cond.node_conditioning, cond.video_tokens
            ).sample
            loss = F.mse_loss(prediction, diffusion_target(scheduler, clean, noise, timesteps))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    finally:
        hook.remove()
        for param, flag in saved_grad.items():
            param.requires_grad_(flag)
        for module, mode in zip(modules, saved_modes, strict=True):
            module.train(mode)
    return row


__all__ = ["adapt_new_subject"]
