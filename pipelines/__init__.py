"""Diffusers pipelines of video2eeg: Video2EEGPipeline and video decoding/windowing.

The pipeline classes are imported on first use, so ``pipelines.video_io`` (decoding only) does
not pull in the models.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Video2EEGPipeline": "pipelines.pipeline_video2eeg",
    "Video2EEGPipelineOutput": "pipelines.pipeline_video2eeg",
    "save_self_contained": "pipelines.hub_export",
    "EEGWindow": "pipelines.long_video",
    "plan_continuous_windows": "pipelines.long_video",
    "plan_clip_windows": "pipelines.long_video",
    "ArrayVideo": "pipelines.video_io",
    "VideoInfo": "pipelines.video_io",
    "open_video": "pipelines.video_io",
    "probe_video": "pipelines.video_io",
    "read_clip_frames": "pipelines.video_io",
    "read_windows": "pipelines.video_io",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'pipelines' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
