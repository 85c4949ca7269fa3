"""Few-shot personalisation: fit a new subject's embedding row, everything else frozen.

A new person differs from the training subjects in ways the SPGN's subject embedding is
meant to carry (alpha peak frequency, amplitude scale, spatial emphasis). Given a few of the
new subject's clips (EEG plus the video tokens of what they watched), we append one row to
the subject embedding (:meth:`SPGNModel.add_subject`, initialised at the mean subject) and
minimise the usual DDPM noise-prediction loss with respect to that row only. All other
parameters of the SPGN and the denoiser keep their exact values.

The noise-prediction loss is a likelihood: it ranks candidate rows mostly by what carries the
most power (overall amplitude, the 1/f slope), so a row can explain a person's clips well and
still put their alpha rhythm at the wrong frequency. ``spectral_weight > 0`` adds a
spectral-fingerprint term: EEG is *sampled* from the new row with a few differentiable
DPM-Solver++ steps, and the shape of the log power spectrum of those samples (per channel,
Welch, 1-s Hann segments) is pulled towards that of the person's real clips, after each
channel's level and 1/f slope are projected out of the difference: the term compares the
periodic part of the spectrum (the alpha peak first of all, the classic individual EEG
fingerprint), the noise loss keeps fitting level and slope.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers import DPMSolverMultistepScheduler, SchedulerMixin

from .denoiser import EEGDenoiser, diffusion_target
from .modeling_spgn import SPGNModel, SPGNOutput

# Chosen on the learning report's models (benchmarks/LEARNING_RESULTS.md): weights 1, 5, 10 and 20
# were tried; 5 and above beat 1 where the training subjects are few, and 10-20 gained nothing
# over 5. Six sampler steps keep one fit step near 0.5 s on one CPU core (the model of the report).
DEFAULT_SPECTRAL_WEIGHT = 5.0
DEFAULT_SPECTRAL_SAMPLING_STEPS = 6


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
    spectral_weight: float = DEFAULT_SPECTRAL_WEIGHT,
    spectral_batch_size: int = 8,
    spectral_sampling_steps: int = DEFAULT_SPECTRAL_SAMPLING_STEPS,
    spectral_band: tuple[float, float] = (1.0, 45.0),
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
    spectral_weight : float
        Weight of the spectral-fingerprint term (0 turns it off: pure noise-prediction fit).
        The term is the mean squared difference of natural-log power spectra after projecting
        out each channel's level and 1/f slope, so a weight of 1 puts a 1-neper (4.3 dB) error
        in the periodic part on the scale of the normalised noise-prediction loss.
    spectral_batch_size : int
        Clips sampled per step for the term (conditions drawn from the given clips).
    spectral_sampling_steps : int
        DPM-Solver++ steps of the differentiable sampler (back-propagated through).
    spectral_band : (float, float)
        Frequency range in Hz ``[low, high)`` the spectra are compared over.

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
    if spectral_weight < 0 or spectral_batch_size < 1 or spectral_sampling_steps < 1:
        raise ValueError(
            "spectral_weight must be >= 0 and spectral_batch_size, spectral_sampling_steps >= 1, "
            f"got {spectral_weight}, {spectral_batch_size}, {spectral_sampling_steps}"
        )
    band = spectral_band_mask(config.n_times, config.sfreq, spectral_band)

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
    if spectral_weight > 0:
        target_log_psd = log_power_spectrum(x0, config.sfreq)[..., band]
        aperiodic_projection = _aperiodic_projection(
            spectral_frequencies(config.n_times, config.sfreq)[band]
        ).to(device=device, dtype=weight.dtype)
        sampler = DPMSolverMultistepScheduler.from_config(scheduler.config)
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
            if spectral_weight > 0:
                index = torch.randint(0, n_clips, (spectral_batch_size,), generator=generator)
                index = index.to(device)
                samples = _sample_with_grad(
                    denoiser,
                    sampler,
                    spectral_sampling_steps,
                    spgn(tokens[index], subject_rows[index], emotion_ids[index]),
                    config.n_times,
                    generator,
                )
                generated_log_psd = log_power_spectrum(samples, config.sfreq)[..., band]
                loss = loss + spectral_weight * periodic_mismatch(
                    generated_log_psd, target_log_psd, aperiodic_projection
                )
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


def _segment_length(n_times: int, sfreq: float, nperseg: int | None) -> int:
    """Welch segment length: ``nperseg`` or 1 s, at most the clip (as the evaluation suite)."""
    return min(round(sfreq) if nperseg is None else nperseg, n_times)


def spectral_frequencies(n_times: int, sfreq: float, nperseg: int | None = None) -> torch.Tensor:
    """Frequencies in Hz of :func:`log_power_spectrum`'s bins (float64)."""
    nperseg = _segment_length(n_times, sfreq, nperseg)
    return torch.fft.rfftfreq(nperseg, d=1.0 / sfreq, dtype=torch.float64)


def spectral_band_mask(
    n_times: int, sfreq: float, band: tuple[float, float], nperseg: int | None = None
) -> torch.Tensor:
    """Boolean mask over :func:`log_power_spectrum`'s frequency bins inside ``[low, high)`` Hz."""
    freqs = spectral_frequencies(n_times, sfreq, nperseg)
    mask = (freqs >= band[0]) & (freqs < band[1])
    if band[0] <= 0 and mask.any():
        raise ValueError(f"spectral_band {band} Hz must start above 0 Hz (log frequency)")
    if not mask.any():
        raise ValueError(f"spectral_band {band} Hz holds no frequency bin at this resolution")
    return mask


def periodic_mismatch(
    generated_log_psd: torch.Tensor,
    target_log_psd: torch.Tensor,
    aperiodic_projection: torch.Tensor,
) -> torch.Tensor:
    """The spectral-fingerprint term: mean squared log-spectrum difference ``(n_chans, n_freqs)``
    after each channel's level and 1/f slope (a line in log-log) are projected out.

    Why only the periodic part: a few-step sampler under-powers its samples by a broadband
    factor, and with few training subjects the slope comes bundled with the other traits of
    the row that has it; the noise loss fits level and slope.
    """
    difference = generated_log_psd - target_log_psd
    return (difference - difference @ aperiodic_projection).square().mean()


def _aperiodic_projection(freqs: torch.Tensor) -> torch.Tensor:
    """``(n_freqs, n_freqs)`` projector onto ``span{1, log f}``: ``d @ P`` is the least-squares
    level + 1/f-slope fit of each row of ``d`` (log power against log frequency)."""
    design = torch.stack([torch.ones_like(freqs), freqs.log()], dim=1)
    return design @ torch.linalg.pinv(design)


def log_power_spectrum(
    eeg: torch.Tensor, sfreq: float, nperseg: int | None = None, floor: float = 1e-8
) -> torch.Tensor:
    r"""Natural log of the clip-mean Welch power spectrum per channel, differentiable.

    The torch twin of the evaluation suite's Welch estimate (Hann window, ``nperseg``
    samples, default 1 s, 50 % overlap) so that gradients flow; the power is averaged over
    segments *and clips* before the log (the log of a set's spectrum, not a mean of logs).

    Parameters
    ----------
    eeg : torch.Tensor
        ``(n_clips, n_chans, n_times)``.
    sfreq : float
        Sampling frequency in Hz.

    Returns
    -------
    torch.Tensor
        ``(n_chans, nperseg // 2 + 1)``; bin ``k`` is at ``k * sfreq / nperseg`` Hz.
    """
    nperseg = _segment_length(eeg.shape[-1], sfreq, nperseg)
    hop = max(nperseg // 2, 1)
    segments = eeg.unfold(-1, nperseg, hop)  # (clips, chans, segments, nperseg)
    segments = segments - segments.mean(dim=-1, keepdim=True)  # Welch's constant detrend
    # periodic Hann, as scipy.signal.get_window('hann') gives welch
    window = torch.hann_window(nperseg, periodic=True, dtype=eeg.dtype, device=eeg.device)
    power = torch.fft.rfft(segments * window, dim=-1).abs().square()
    return torch.log(power.mean(dim=(0, 2)) + floor)


def _sample_with_grad(
    denoiser: EEGDenoiser,
    sampler: DPMSolverMultistepScheduler,
    num_steps: int,
    cond: SPGNOutput,
    n_times: int,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """A few DPM-Solver++ steps from noise under ``cond``, autograd on: normalised EEG
    ``(batch, n_chans, n_times)``."""
    node_conditioning = cond.node_conditioning
    batch, n_chans = node_conditioning.shape[:2]
    device = node_conditioning.device
    latents = torch.randn(
        (batch, n_chans, n_times), generator=generator, dtype=node_conditioning.dtype
    ).to(device)
    latents = latents * sampler.init_noise_sigma
    sampler.set_timesteps(num_steps, device=device)
    for t in sampler.timesteps:
        model_input = sampler.scale_model_input(latents, t)
        timesteps = t.expand(batch).to(device)
        output = denoiser(model_input, timesteps, node_conditioning, cond.video_tokens).sample
        latents = sampler.step(output, t, latents, return_dict=False)[0]
    return latents


__all__ = [
    "DEFAULT_SPECTRAL_SAMPLING_STEPS",
    "DEFAULT_SPECTRAL_WEIGHT",
    "adapt_new_subject",
    "log_power_spectrum",
    "periodic_mismatch",
]
