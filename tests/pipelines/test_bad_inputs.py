"""Bad inputs fail before any generation with an error that names the input."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch


class _CountCalls:
    def __init__(self, module):
        self.calls = 0
        self.handle = module.register_forward_pre_hook(self._hook)

    def _hook(self, module, args):
        self.calls += 1


@pytest.fixture
def denoiser_calls(tiny_pipeline):
    counter = _CountCalls(tiny_pipeline.denoiser)
    yield counter
    counter.handle.remove()


def _tokens(n: int = 1) -> torch.Tensor:
    return torch.zeros(n, 4, 32)


def test_missing_file(tiny_pipeline, tmp_path, denoiser_calls):
    missing = tmp_path / "nowhere.mp4"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        tiny_pipeline(video=missing, subject=1)
    assert denoiser_calls.calls == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("not_a_video", r"could not open .*not_a_video\.mp4"),
        ("empty", r"empty\.mp4.* is empty"),
        ("one_frame", r"one_frame\.mp4.* has 1 frame"),
        ("no_frames", r"no_frames\.mkv"),
        ("short_1s", r"short\.mp4.* lasts 1\.500 s, shorter than one model window \(2 s"),
    ],
)
def test_unusable_videos(tiny_pipeline, video_files, denoiser_calls, name, message):
    with pytest.raises(ValueError, match=message):
        tiny_pipeline(video=str(video_files[name].path), subject=1)
    assert denoiser_calls.calls == 0


def test_one_bad_video_in_a_batch_stops_everything(tiny_pipeline, video_files, denoiser_calls):
    good, bad = video_files["clip_2s"].path, video_files["not_a_video"].path
    with pytest.raises(ValueError, match="not_a_video"):
        tiny_pipeline(video=[good, bad], subject=1)
    assert denoiser_calls.calls == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"subject": 99}, ValueError, r"unknown subject ids \[99\]"),
        ({"subject": [1, 99]}, ValueError, r"`subject` has 2 entries but 1 input"),
        ({"subject": None}, ValueError, r"`subject` is required"),
        ({"subject": 1, "emotion": "ecstatic"}, ValueError, r"unknown emotion name 'ecstatic'"),
        ({"subject": 1, "emotion": 7}, ValueError, r"emotion id 7 out of range"),
        ({"subject": 1, "num_inference_steps": 0}, ValueError, r"`num_inference_steps`.*got 0"),
        ({"subject": 1, "num_inference_steps": 2.5}, ValueError, r"`num_inference_steps`"),
        ({"subject": 1, "guidance_scale": float("nan")}, ValueError, r"`guidance_scale`"),
        ({"subject": 1, "output_type": "pil"}, ValueError, r"`output_type` must be one of"),
        ({"subject": 1, "overlap": 0}, ValueError, r"`overlap` must be in \[1, 200\]"),
        (
            {"subject": 1, "generator": [torch.Generator(), torch.Generator()]},
            ValueError,
            r"`generator` is a list of 2 generators but 1 input",
        ),
        (
            {"subject": 1, "latents": torch.zeros(1, 62, 300)},
            ValueError,
            r"`latents` must have shape \(1, 62, 400\)",
        ),
        (
            {"subject": 1, "callback_on_step_end_tensor_inputs": ["noise"]},
            ValueError,
            r"`callback_on_step_end_tensor_inputs`",
        ),
    ],
)
def test_bad_arguments(tiny_pipeline, denoiser_calls, kwargs, error, message):
    with pytest.raises(error, match=message):
        tiny_pipeline(video_tokens=_tokens(), **kwargs)
    assert denoiser_calls.calls == 0


def test_video_and_tokens_are_exclusive(tiny_pipeline, video_files):
    with pytest.raises(ValueError, match="exactly one of `video`"):
        tiny_pipeline(video=video_files["clip_2s"].path, video_tokens=_tokens(), subject=1)
    with pytest.raises(ValueError, match="exactly one of `video`"):
        tiny_pipeline(subject=1)


def test_decoded_frames_need_a_frame_rate_and_a_sane_shape(tiny_pipeline):
    frames = np.zeros((48, 16, 16, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"`fps` is required with decoded frames \(video\[0\]\)"):
        tiny_pipeline(video=frames, subject=1)
    with pytest.raises(ValueError, match=r"video\[0\].*need at least 2 frames"):
        tiny_pipeline(video=frames[:1], fps=24, subject=1)
    with pytest.raises(ValueError, match="3 RGB channels"):
        tiny_pipeline(video=np.zeros((48, 16, 16, 4), dtype=np.uint8), fps=24, subject=1)
    with pytest.raises(ValueError, match=r"video\[0\].* lasts 1\.000 s"):
        tiny_pipeline(video=frames[:24], fps=24, subject=1)


def test_wrong_token_shape(tiny_pipeline):
    with pytest.raises(ValueError, match="video_tokens"):
        tiny_pipeline(video_tokens=torch.zeros(4), subject=1)
    with pytest.raises(ValueError, match="video_tokens must have shape"):
        tiny_pipeline(video_tokens=torch.zeros(1, 4, 31), subject=1)


def test_mismatched_prediction_type_is_refused(tiny_pipeline):
    from diffusers import DDIMScheduler

    from pipelines import Video2EEGPipeline

    pipe = Video2EEGPipeline(**tiny_pipeline.components)
    pipe.scheduler = DDIMScheduler.from_config(
        pipe.scheduler.config, prediction_type="v_prediction"
    )
    with pytest.raises(ValueError, match="prediction_type is 'v_prediction' but the denoiser"):
        pipe(video_tokens=_tokens(), subject=1)
