"""Long videos: one continuous recording whose window seams cannot be told from the inside.

The seam test needs signals with real temporal structure: a random tiny network outputs
near-white noise, where any stitching looks seamless. So besides the tiny model, the pipeline
runs with an *exact* denoiser for a known prior, a stationary Gaussian process per channel
(squared-exponential covariance, length scale 10 samples, so neighbouring samples correlate at
0.995): ``E[ε | x_t] = s (a² C + s² I)⁻¹ x_t`` with ``a² = ᾱ_t``, ``s² = 1 − ᾱ_t``. Its samples
are smooth, independent windows glued together show large jumps, and a correct sampler must
reproduce the prior's variance everywhere, overlaps included.
"""

from __future__ import annotations

import numpy as np
import torch
from diffusers import ConfigMixin, DDPMScheduler, DPMSolverMultistepScheduler, ModelMixin
from diffusers.configuration_utils import register_to_config
from scipy import stats

from pipelines import Video2EEGPipeline
from pipelines.long_video import EEGWindow, boundary_jumps


class GaussianProcessDenoiser(ModelMixin, ConfigMixin):
    """Exact ε-prediction for x0 ~ N(0, C) per channel (a test double of EEGDenoiser's API)."""

    @register_to_config
    def __init__(
        self,
        n_times: int = 400,
        length_scale: float = 10.0,
        num_train_timesteps: int = 1000,
        prediction_type: str = "epsilon",
    ):
        super().__init__()
        lags = np.arange(n_times)
        covariance = np.exp(-((lags[:, None] - lags[None, :]) ** 2) / (2 * length_scale**2))
        eigenvalues, eigenvectors = np.linalg.eigh(covariance + 1e-6 * np.eye(n_times))
        self.register_buffer("eigenvalues", torch.from_numpy(eigenvalues))
        self.register_buffer("eigenvectors", torch.from_numpy(eigenvectors))
        alphas_cumprod = DDPMScheduler(num_train_timesteps=num_train_timesteps).alphas_cumprod
        self.register_buffer("alphas_cumprod", alphas_cumprod.double())
        self.unused = torch.nn.Parameter(torch.zeros(1))  # gives the module a float32 dtype

    def forward(self, sample, timestep, node_conditioning, video_tokens, return_dict=True):
        alpha_bar = self.alphas_cumprod[torch.as_tensor(timestep).long()].view(-1, 1, 1)
        noise_std = (1 - alpha_bar).sqrt()
        coefficients = sample.double() @ self.eigenvectors
        gain = noise_std / (alpha_bar * self.eigenvalues + noise_std**2)
        epsilon = (coefficients * gain) @ self.eigenvectors.T
        return (epsilon.to(sample.dtype),)


def _normalised(pipe, eeg: np.ndarray) -> np.ndarray:
    config = pipe.spgn.config
    return (eeg - np.asarray(config.eeg_mean)[:, None]) / np.asarray(config.eeg_std)[:, None]


def _frames(seconds: float, fps: int = 24) -> torch.Tensor:
    shape = (int(seconds * fps), 16, 16, 3)
    return torch.randint(0, 256, shape, generator=torch.Generator().manual_seed(3)).to(torch.uint8)


def _overlap_mask(windows: list[EEGWindow], n_times: int) -> np.ndarray:
    cover = np.zeros(n_times, dtype=int)
    for w in windows:
        cover[w.start_sample : w.stop_sample] += 1
    return cover > 1


def test_seams_are_indistinguishable_for_an_exact_smooth_prior(tiny_pipeline):
    pipe = Video2EEGPipeline(**{**tiny_pipeline.components, "denoiser": GaussianProcessDenoiser()})
    pipe.set_progress_bar_config(disable=True)
    kwargs = {"video": _frames(20.0), "fps": 24, "subject": 1, "num_inference_steps": 10}
    out = pipe(**kwargs, generator=torch.Generator().manual_seed(0))
    recording = _normalised(pipe, out.eeg[0])
    assert recording.shape == (62, 4000) and len(out.windows) == 13

    seams, inner = boundary_jumps(recording, out.windows)
    assert seams.size == 62 * 24  # 12 window starts + 12 window ends inside the recording
    assert stats.ks_2samp(seams, inner).pvalue > 1e-3
    assert abs(seams.mean() / inner.mean() - 1) < 0.1
    # The sampler reproduces the prior: unit variance, also where windows were fused.
    overlap = _overlap_mask(out.windows, recording.shape[1])
    assert 0.9 < recording.std() < 1.1
    assert abs(recording[:, overlap].std() / recording[:, ~overlap].std() - 1) < 0.1

    # Control: the same windows generated independently and glued have obvious seams.
    clips = pipe(**kwargs, continuous=False, generator=torch.Generator().manual_seed(0))
    glued = _normalised(pipe, np.concatenate(list(clips.eeg), axis=1))
    glue_windows = [EEGWindow(0, 400 * k, 400 * (k + 1), 200.0) for k in range(len(clips.eeg))]
    glued_seams, glued_inner = boundary_jumps(glued, glue_windows)
    assert stats.ks_2samp(glued_seams, glued_inner).pvalue < 1e-10
    assert glued_seams.mean() > 5 * glued_inner.mean()


def test_stochastic_scheduler_keeps_full_variance_in_overlaps(tiny_pipeline):
    pipe = Video2EEGPipeline(**{**tiny_pipeline.components, "denoiser": GaussianProcessDenoiser()})
    pipe.set_progress_bar_config(disable=True)
    pipe.scheduler = DDPMScheduler.from_config(pipe.scheduler.config)
    out = pipe(
        video=_frames(12.0),
        fps=24,
        subject=1,
        num_inference_steps=100,
        generator=torch.Generator().manual_seed(1),
    )
    recording = _normalised(pipe, out.eeg[0])
    overlap = _overlap_mask(out.windows, recording.shape[1])
    # Fusing per-window *latents* would average independent step noises in the overlaps
    # (too smooth there); fusing predictions and stepping once keeps one noise field.
    assert abs(recording[:, overlap].std() / recording[:, ~overlap].std() - 1) < 0.15
    seams, inner = boundary_jumps(recording, out.windows)
    assert stats.ks_2samp(seams, inner).pvalue > 1e-3


def test_tiny_model_long_recording_has_no_seam_signature(tiny_pipeline):
    out = tiny_pipeline(
        video=_frames(10.0),
        fps=24,
        subject=2,
        emotion="neutral",
        num_inference_steps=3,
        generator=torch.Generator().manual_seed(0),
    )
    recording = _normalised(tiny_pipeline, out.eeg[0])
    assert recording.shape == (62, 2000)
    seams, inner = boundary_jumps(recording, out.windows)
    z = (seams.mean() - inner.mean()) / (inner.std() / np.sqrt(seams.size))
    assert abs(z) < 4, z
    assert stats.ks_2samp(seams, inner).pvalue > 1e-3


def test_default_scheduler_is_a_fast_multistep_solver(tiny_pipeline):
    assert isinstance(tiny_pipeline.scheduler, DPMSolverMultistepScheduler)
    assert tiny_pipeline.scheduler.config.solver_order == 2
