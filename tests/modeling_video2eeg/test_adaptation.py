"""adapt_new_subject: fits only the new subject row; everything else stays bit-identical."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler

from modeling_video2eeg import adapt_new_subject
from modeling_video2eeg.adaptation import log_power_spectrum
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
        spectral_weight=0.0,  # the noise loss alone, so that its drop is what is measured
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


# ---------------------------------------------------------------- spectral-fingerprint term
def test_log_power_spectrum_is_the_log_of_the_set_mean_welch_psd():
    from scipy.signal import welch

    eeg = torch.randn(3, 5, 400, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    ours = log_power_spectrum(eeg, 200.0)
    _, psd = welch(eeg.numpy(), fs=200.0, nperseg=200, noverlap=100, axis=-1)
    reference = torch.from_numpy(psd.mean(axis=0)).log()
    assert ours.shape == (5, 101)
    # scipy's density scaling is one constant for the interior bins (DC and Nyquist are not
    # doubled); the shape of the spectrum, which is what the term compares, must agree.
    offset = ours[:, 1:-1] - reference[:, 1:-1]
    torch.testing.assert_close(offset, torch.full_like(offset, offset[0, 0].item()))


def test_the_term_ignores_level_and_slope_but_sees_a_shifted_alpha_peak():
    from modeling_video2eeg.adaptation import (
        _aperiodic_projection,
        periodic_mismatch,
        spectral_band_mask,
        spectral_frequencies,
    )

    freqs = spectral_frequencies(400, 200.0)[spectral_band_mask(400, 200.0, (1.0, 45.0))]
    projection = _aperiodic_projection(freqs)

    def alpha(peak_hz: float) -> torch.Tensor:
        return torch.exp(-0.5 * ((freqs - peak_hz) / 1.0) ** 2)

    target = alpha(10.0) - 1.0 * freqs.log()
    other_level_and_slope = alpha(10.0) + 2.5 - 2.3 * freqs.log()
    assert periodic_mismatch(other_level_and_slope, target, projection) < 1e-20
    shifted = alpha(9.0) - 1.0 * freqs.log()  # the alpha peak 1 Hz lower
    raw = (shifted - target).square().mean()
    assert periodic_mismatch(shifted, target, projection) > 0.9 * raw


def test_spectral_term_changes_only_the_new_row():
    spgn, denoiser = _models()
    before = {k: v.clone() for k, v in spgn.state_dict().items()}
    denoiser_before = {k: v.clone() for k, v in denoiser.state_dict().items()}
    eeg, tokens, emotions = _clips()
    row = adapt_new_subject(
        spgn, denoiser, DDPMScheduler(num_train_timesteps=100), eeg, tokens, emotions,
        new_subject_id=99, num_steps=2, lr=0.5, spectral_weight=1.0, spectral_batch_size=2,
        spectral_sampling_steps=2, generator=torch.Generator().manual_seed(0),
    )  # fmt: skip
    weight = spgn.subject_embedding.weight
    assert torch.equal(weight[:row], before["subject_embedding.weight"])
    for name, tensor in spgn.state_dict().items():
        if name != "subject_embedding.weight":
            assert torch.equal(tensor, before[name]), name
    for name, tensor in denoiser.state_dict().items():
        assert torch.equal(tensor, denoiser_before[name]), name
    assert all(p.grad is None for p in denoiser.parameters())


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"spectral_weight": -1.0}, "spectral_weight must be >= 0"),
        ({"spectral_weight": 1.0, "spectral_sampling_steps": 0}, "got 1.0, 8, 0"),
        ({"spectral_weight": 1.0, "spectral_band": (120.0, 130.0)}, "holds no frequency bin"),
        ({"spectral_band": (0.0, 45.0)}, "must start above 0 Hz"),
    ],
)
def test_bad_spectral_arguments_raise_before_touching_the_model(change, fragment):
    spgn, denoiser = _models()
    eeg, tokens, emotions = _clips()
    with pytest.raises(ValueError, match="spectral") as info:
        adapt_new_subject(
            spgn, denoiser, DDPMScheduler(num_train_timesteps=100), eeg, tokens, emotions,
            new_subject_id=50, **change,
        )  # fmt: skip
    assert fragment in str(info.value)
    assert spgn.config.subject_ids == [1, 2, 3]


def test_spectral_term_differentiates_through_the_sampler():
    """The term's gradient reaches the subject row through every sampler step: autograd
    agrees with central finite differences (float64), so the fit is steered by what the
    model generates from the row."""
    from diffusers import DPMSolverMultistepScheduler
    from torch.func import functional_call

    from modeling_video2eeg.adaptation import (
        _aperiodic_projection,
        _sample_with_grad,
        periodic_mismatch,
        spectral_frequencies,
    )

    projection = _aperiodic_projection(spectral_frequencies(400, 200.0)[1:45])
    spgn, denoiser = _models()
    spgn, denoiser = spgn.double().requires_grad_(False), denoiser.double().requires_grad_(False)
    eeg, tokens, emotions = _clips()
    tokens = tokens[:2].double()
    target = log_power_spectrum(spgn.normalize_eeg(eeg.double()), 200.0)[:, 1:45]
    sampler = DPMSolverMultistepScheduler.from_config(DDPMScheduler(num_train_timesteps=100).config)
    base = spgn.subject_embedding.weight.detach()
    direction = torch.randn(base.shape[1], generator=torch.Generator().manual_seed(5)).double()

    def term(step: torch.Tensor) -> torch.Tensor:
        weight = base.clone()
        weight[0] = base[0] + step * direction
        cond = functional_call(
            spgn, {"subject_embedding.weight": weight},
            (tokens, torch.zeros(2, dtype=torch.long), emotions[:2]),
        )  # fmt: skip
        samples = _sample_with_grad(
            denoiser, sampler, 3, cond, 400, torch.Generator().manual_seed(0)
        )
        return periodic_mismatch(log_power_spectrum(samples, 200.0)[:, 1:45], target, projection)

    step = torch.zeros((), dtype=torch.float64, requires_grad=True)
    (gradient,) = torch.autograd.grad(term(step), step)
    # the DPM-Solver++ step computes in float32 whatever the input dtype, hence a wide step
    eps = 3e-2
    with torch.no_grad():
        plus, minus = term(torch.tensor(eps).double()), term(torch.tensor(-eps).double())
    assert gradient.item() != 0.0
    assert gradient.item() == pytest.approx(((plus - minus) / (2 * eps)).item(), rel=5e-3)
