"""Classifier-free guidance over the video (``video_guidance_scale``), alone and with emotion guidance."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.fixtures.pipeline import build_tiny_pipeline

STEPS = 3


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def video_guided_pipeline():
    """The tiny pipeline, recorded as trained with video dropout."""
    return build_tiny_pipeline(video_dropout_prob=0.1)


@pytest.fixture(scope="module")
def tokens(video_guided_pipeline) -> torch.Tensor:
    return torch.rand(2, video_guided_pipeline.num_frames, 32, generator=seeded(5))


class _Forwards:
    """Records every denoiser forward's conditioning inputs and output."""

    def __init__(self, module):
        self.calls: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
        self.handle = module.register_forward_hook(self, with_kwargs=True)

    def __call__(self, module, args, kwargs, output):
        prediction = output[0] if isinstance(output, tuple) else output.sample
        self.calls.append((kwargs["node_conditioning"], kwargs["video_tokens"], prediction))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.remove()


def test_refused_for_a_model_never_trained_without_video(tiny_pipeline, tokens):
    assert tiny_pipeline.spgn.config.video_dropout_prob == 0
    with pytest.raises(ValueError, match="video_dropout_prob"):
        tiny_pipeline(video_tokens=tokens[:1], subject=1, video_guidance_scale=3.0)
    with pytest.raises(ValueError, match="`video_guidance_scale`"):
        tiny_pipeline(video_tokens=tokens[:1], subject=1, video_guidance_scale=float("inf"))


def test_guidance_combines_the_null_video_and_null_emotion_branches(video_guided_pipeline, tokens):
    pipe = video_guided_pipeline
    g, g_video = 3.0, 4.0
    seen_steps = []

    def keep_model_output(original):
        def step(model_output, timestep, sample, **kwargs):
            seen_steps.append(model_output.clone())
            return original(model_output, timestep, sample, **kwargs)

        return step

    original_step = pipe.scheduler.step
    pipe.scheduler.step = keep_model_output(original_step)
    try:
        with _Forwards(pipe.denoiser) as forwards:
            pipe(
                video_tokens=tokens,
                subject=[1, 2],
                emotion=["positive", "negative"],
                num_inference_steps=STEPS,
                guidance_scale=g,
                video_guidance_scale=g_video,
                generator=seeded(),
            )
    finally:
        pipe.scheduler.step = original_step
    assert [call[2].shape[0] for call in forwards.calls] == [6] * STEPS  # 3 branches x 2 clips

    # identify the branches by their conditioning, computed independently with the SPGN
    rows = pipe.spgn.subject_index([1, 2])
    emotions = pipe.spgn.emotion_ids(["positive", "negative"])
    null_emotion = torch.full_like(emotions, pipe.spgn.config.null_emotion_id)
    with torch.no_grad():
        expected = {
            "cond": pipe.spgn(tokens, rows, emotions).node_conditioning,
            "no_emotion": pipe.spgn(tokens, rows, null_emotion).node_conditioning,
            "no_video": pipe.spgn(torch.zeros_like(tokens), rows, emotions).node_conditioning,
        }
    for (conditioning, _, prediction), model_output in zip(forwards.calls, seen_steps, strict=True):
        branch = {}
        for name, cond in expected.items():
            match = [
                k
                for k in range(0, 6, 2)
                if torch.allclose(conditioning[k : k + 2], cond, atol=1e-6)
            ]
            assert len(match) == 1, f"branch {name} not found exactly once"
            branch[name] = prediction[match[0] : match[0] + 2]
        guided = (
            branch["cond"]
            + (g - 1) * (branch["cond"] - branch["no_emotion"])
            + (g_video - 1) * (branch["cond"] - branch["no_video"])
        )
        torch.testing.assert_close(model_output, guided, rtol=1e-5, atol=1e-5)


def test_video_guidance_alone_adds_one_branch_and_changes_the_eeg(video_guided_pipeline, tokens):
    pipe = video_guided_pipeline
    kwargs = {"video_tokens": tokens[:1], "subject": 1, "emotion": "positive"}
    kwargs["num_inference_steps"] = STEPS
    plain = pipe(**kwargs, generator=seeded()).eeg
    with _Forwards(pipe.denoiser) as forwards:
        guided = pipe(**kwargs, video_guidance_scale=3.0, generator=seeded()).eeg
    assert [call[2].shape[0] for call in forwards.calls] == [2] * STEPS
    assert not np.allclose(plain, guided)
    # Guidance extrapolates away from the null video, so guiding the null video itself
    # changes nothing.
    blank = {**kwargs, "video_tokens": torch.zeros_like(tokens[:1])}
    null = pipe(**blank, generator=seeded()).eeg
    null_guided = pipe(**blank, video_guidance_scale=3.0, generator=seeded()).eeg
    np.testing.assert_allclose(null_guided, null, rtol=0, atol=1e-5 * np.abs(null).max())
