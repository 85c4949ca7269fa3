"""Video2EEGPipeline on the tiny models: inputs, outputs, units, determinism, guidance, schedulers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from diffusers import (
    DDIMScheduler,
    DDPMScheduler,
    DPMSolverMultistepScheduler,
    EulerDiscreteScheduler,
)

from modeling_video2eeg import SEED_CH_NAMES
from pipelines import Video2EEGPipeline, Video2EEGPipelineOutput
from pipelines.video_io import open_video, read_clip_frames

STEPS = 3


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def tokens(tiny_pipeline) -> torch.Tensor:
    g = seeded(123)
    return torch.rand(3, tiny_pipeline.num_frames, 32, generator=g)


@pytest.fixture(scope="module")
def default_sample(tiny_pipeline, tokens) -> np.ndarray:
    """tokens[0], subject 1, no emotion, seed 0, default scheduler."""
    return tiny_pipeline(
        video_tokens=tokens[:1], subject=1, num_inference_steps=STEPS, generator=seeded()
    ).eeg


def test_clips_from_tokens_are_microvolts_of_the_final_latents(tiny_pipeline, tokens):
    seen = []

    def keep_latents(pipe, step, timestep, kwargs):
        seen.append(kwargs["latents"].clone())
        return {}

    out = tiny_pipeline(
        video_tokens=tokens,
        subject=[1, 2, 3],
        emotion="positive",
        num_inference_steps=STEPS,
        generator=seeded(),
        output_type="pt",
        callback_on_step_end=keep_latents,
    )
    assert isinstance(out, Video2EEGPipelineOutput)
    assert out.eeg.shape == (3, 62, 400) and out.eeg.dtype == torch.float32
    assert out.sfreq == 200.0 and out.ch_names == list(SEED_CH_NAMES)
    assert [(w.video_index, w.start_sample, w.stop_sample) for w in out.windows] == [
        (0, 0, 400),
        (1, 0, 400),
        (2, 0, 400),
    ]
    assert len(seen) == STEPS
    config = tiny_pipeline.spgn.config
    mean = torch.tensor(config.eeg_mean)[:, None]
    std = torch.tensor(config.eeg_std)[:, None]
    expected = seen[-1].float() * std + mean  # µV = normalised * std + mean, per channel
    torch.testing.assert_close(out.eeg, expected, rtol=1e-5, atol=1e-4)


def test_callback_can_replace_latents(tiny_pipeline, tokens):
    def zero_at_end(pipe, step, timestep, kwargs):
        return {"latents": torch.zeros_like(kwargs["latents"])} if step == STEPS - 1 else {}

    out = tiny_pipeline(
        video_tokens=tokens[:1],
        subject=1,
        num_inference_steps=STEPS,
        output_type="np",
        callback_on_step_end=zero_at_end,
    )
    # Zero in normalised units is the channel mean in µV.
    expected = np.broadcast_to(np.asarray(tiny_pipeline.spgn.config.eeg_mean)[:, None], (62, 400))
    np.testing.assert_allclose(out.eeg[0], expected, rtol=1e-6)


def test_same_seed_is_bit_identical_and_other_seed_differs(tiny_pipeline, tokens, default_sample):
    kwargs = {"video_tokens": tokens[:1], "subject": 1, "num_inference_steps": STEPS}
    again = tiny_pipeline(**kwargs, generator=seeded()).eeg
    other = tiny_pipeline(**kwargs, generator=seeded(8)).eeg
    assert np.array_equal(again, default_sample)
    assert not np.allclose(other, default_sample)


def test_generator_list_gives_per_sample_reproducibility(tiny_pipeline, tokens):
    batch = tiny_pipeline(
        video_tokens=tokens,
        subject=[1, 3, 2],
        emotion=["negative", "positive", None],
        num_inference_steps=STEPS,
        generator=[seeded(10), seeded(11), seeded(12)],
    ).eeg
    alone = tiny_pipeline(
        video_tokens=tokens[1:2],
        subject=3,
        emotion="positive",
        num_inference_steps=STEPS,
        generator=[seeded(11)],
    ).eeg[0]
    # Same draws; only float summation order inside batched matmuls may differ.
    np.testing.assert_allclose(batch[1], alone, rtol=0, atol=1e-5 * np.abs(alone).max())
    assert not np.allclose(batch[0], batch[1])


class _Recorder:
    """Records the batch size of every denoiser forward (a forward pre-hook)."""

    def __init__(self, module):
        self.batches: list[int] = []
        self.handle = module.register_forward_pre_hook(self, with_kwargs=True)

    def __call__(self, module, args, kwargs):
        self.batches.append(kwargs["sample"].shape[0])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.remove()


def test_classifier_free_guidance_batches_cond_and_uncond_in_one_forward(tiny_pipeline, tokens):
    kwargs = {"video_tokens": tokens[:1], "subject": 1, "num_inference_steps": STEPS}
    with _Recorder(tiny_pipeline.denoiser) as plain_calls:
        plain = tiny_pipeline(**kwargs, emotion="positive", generator=seeded()).eeg
    with _Recorder(tiny_pipeline.denoiser) as guided_calls:
        guided = tiny_pipeline(
            **kwargs, emotion="positive", guidance_scale=3.0, generator=seeded()
        ).eeg
    with _Recorder(tiny_pipeline.denoiser) as null_calls:
        null = tiny_pipeline(**kwargs, emotion=None, guidance_scale=3.0, generator=seeded()).eeg
    assert plain_calls.batches == [1] * STEPS  # guidance_scale=1: no unconditional pass
    assert guided_calls.batches == [2] * STEPS  # both passes in one batched forward per step
    assert null_calls.batches == [1] * STEPS  # no emotion: nothing to guide
    assert not np.allclose(plain, guided)
    # Guidance extrapolates away from the null-emotion prediction, so guiding the null class
    # itself changes nothing.
    null_guided = tiny_pipeline(
        **kwargs, emotion="null", guidance_scale=3.0, generator=seeded()
    ).eeg
    scale = np.abs(null).max()
    np.testing.assert_allclose(null_guided, null, rtol=0, atol=1e-5 * scale)


@pytest.mark.parametrize(
    "scheduler_class",
    [DPMSolverMultistepScheduler, DDIMScheduler, DDPMScheduler, EulerDiscreteScheduler],
)
def test_scheduler_swap_with_from_config(tiny_pipeline, tokens, default_sample, scheduler_class):
    pipe = Video2EEGPipeline(**tiny_pipeline.components)
    pipe.set_progress_bar_config(disable=True)
    pipe.scheduler = scheduler_class.from_config(pipe.scheduler.config)
    assert type(pipe.scheduler) is scheduler_class
    assert not pipe.scheduler.config.get("clip_sample", False)
    out = pipe(video_tokens=tokens[:1], subject=1, num_inference_steps=STEPS, generator=seeded())
    assert out.eeg.shape == (1, 62, 400) and np.isfinite(out.eeg).all()
    if scheduler_class is DPMSolverMultistepScheduler:
        np.testing.assert_array_equal(out.eeg, default_sample)
    else:
        assert not np.allclose(out.eeg, default_sample)  # the swapped scheduler really ran


def test_clipping_schedulers_are_refused(tiny_pipeline, tokens):
    pipe = Video2EEGPipeline(**tiny_pipeline.components)
    pipe.scheduler = DDPMScheduler(clip_sample=True)
    with pytest.raises(ValueError, match="clip_sample"):
        pipe(video_tokens=tokens[:1], subject=1, num_inference_steps=1)


def test_carried_clip_sample_is_turned_off(tiny_pipeline):
    training = DDPMScheduler(num_train_timesteps=1000, clip_sample=True)
    fast = DPMSolverMultistepScheduler.from_config(training.config)
    assert fast.config.get("clip_sample") is True
    pipe = Video2EEGPipeline(**{**tiny_pipeline.components, "scheduler": fast})
    assert DDPMScheduler.from_config(pipe.scheduler.config).config.clip_sample is False


def test_video_file_clip_equals_frames_and_tokens(tiny_pipeline, video_files):
    path = video_files["clip_2s"].path
    common = {"subject": 2, "emotion": "neutral", "num_inference_steps": STEPS}
    from_file = tiny_pipeline(video=str(path), generator=seeded(), **common)
    assert from_file.eeg.shape == (1, 62, 400)
    decoded = open_video(path)._decoder.get_frames_in_range(0, 48).data  # all 48 frames
    from_frames = tiny_pipeline(video=decoded, fps=24, generator=seeded(), **common)
    np.testing.assert_array_equal(from_file.eeg, from_frames.eeg)
    sampled = read_clip_frames(path, 0.0, 2.0, tiny_pipeline.num_frames)
    tokens = tiny_pipeline.encode_video(sampled[None])
    from_tokens = tiny_pipeline(video_tokens=tokens, generator=seeded(), **common)
    np.testing.assert_array_equal(from_file.eeg, from_tokens.eeg)


@pytest.mark.parametrize("name", ["vp9_webm", "qcif_mp4", "vfr_mkv"])
def test_files_of_any_container_size_and_rate_give_full_recordings(
    tiny_pipeline, video_files, name
):
    video_file = video_files[name]
    out = tiny_pipeline(video=video_file.path, subject=3, num_inference_steps=2, generator=seeded())
    (recording,) = out.eeg
    expected_n_times = int(np.ceil(open_video(video_file.path).info.duration_s * 200 - 1e-6))
    assert recording.shape == (62, expected_n_times)
    assert np.isfinite(recording).all()
    assert out.windows[0].start_sample == 0 and out.windows[-1].stop_sample == expected_n_times


def test_batch_of_files_of_different_lengths(tiny_pipeline, video_files):
    paths = [video_files["h264_mp4"].path, video_files["mpeg4_avi"].path]
    out = tiny_pipeline(
        video=paths, subject=[1, 2], num_inference_steps=2, generator=[seeded(1), seeded(2)]
    )
    assert [x.shape for x in out.eeg] == [(62, 1000), (62, 600)]
    alone = tiny_pipeline(video=paths[1], subject=2, num_inference_steps=2, generator=[seeded(2)])
    # Deterministic solver: input 1 does not depend on the (longer) input 0 beside it.
    np.testing.assert_allclose(out.eeg[1], alone.eeg[0], rtol=1e-4, atol=1e-3)


def test_clip_mode_on_a_long_video_cuts_back_to_back_windows(tiny_pipeline, video_files):
    out = tiny_pipeline(
        video=video_files["h264_mp4"].path,
        subject=1,
        continuous=False,
        num_inference_steps=2,
        generator=seeded(),
    )
    assert out.eeg.shape == (2, 62, 400)  # 5 s -> two whole 2 s windows, the rest dropped
    assert [(w.start_s, w.stop_s) for w in out.windows] == [(0.0, 2.0), (2.0, 4.0)]


def test_ten_minute_video_plans_one_recording_ending_on_its_last_sample(
    tiny_pipeline, ten_minute_video
):
    windows = tiny_pipeline.plan(video=ten_minute_video.path)  # continuous by default
    assert windows[0].start_sample == 0
    assert windows[-1].stop_sample == 120_120  # 600.6 s at 200 Hz, exactly
    assert windows[-1].stop_s == pytest.approx(600.6)
    starts = np.array([w.start_sample for w in windows])
    assert (np.diff(starts[:-1]) == 300).all()  # window - overlap
    clips = tiny_pipeline.plan(video=ten_minute_video.path, continuous=False)
    assert (clips[-1].start_s, clips[-1].stop_s) == (598.0, 600.0)
