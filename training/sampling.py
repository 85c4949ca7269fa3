"""Generating EEG for a list of dataset conditions with a ``Video2EEGPipeline``.

Validation, self-play (the opponent's samples) and the learning report all need "EEG for
these rows": cached video tokens plus subject and emotion per row. Each row gets its own
generator seeded ``seed + row``, so a row's sample does not depend on the batch size or on
which other rows are generated with it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from diffusers import DPMSolverMultistepScheduler


def fast_scheduler(scheduler_config) -> DPMSolverMultistepScheduler:
    """DPM-Solver++ (multistep) on the training schedule: the few-step sampler."""
    return DPMSolverMultistepScheduler.from_config(scheduler_config)


@torch.no_grad()
def generate_eeg(
    pipeline,
    video_tokens: torch.Tensor,
    subjects: Sequence[int],
    emotions: Sequence[str | int | None],
    *,
    num_inference_steps: int = 10,
    guidance_scale: float = 1.0,
    video_guidance_scale: float = 1.0,
    batch_size: int = 64,
    seed: int = 0,
    show_progress: bool = False,
) -> torch.Tensor:
    """EEG for each row's condition.

    Parameters
    ----------
    pipeline : pipelines.Video2EEGPipeline
        The model to sample from (its scheduler is used as is).
    video_tokens : torch.Tensor
        ``(n, num_frames, token_dim)`` cached video tokens.
    subjects : sequence of int
        ``n`` external subject ids.
    emotions : sequence of str or int
        ``n`` emotion names or ids (the null class allowed).
    num_inference_steps, guidance_scale, video_guidance_scale : int, float, float
        Passed to the pipeline.
    batch_size : int
        Rows per pipeline call.
    seed : int
        Row ``i`` is sampled with ``torch.Generator().manual_seed(seed + i)``.

    Returns
    -------
    torch.Tensor
        float32 ``(n, n_chans, n_times)`` in microvolts.
    """
    from tqdm.auto import tqdm

    n = video_tokens.shape[0]
    if len(subjects) != n or len(emotions) != n:
        raise ValueError(
            f"need one subject and one emotion per row: {n} token rows, {len(subjects)} subjects, "
            f"{len(emotions)} emotions"
        )
    outputs = []
    starts = range(0, n, batch_size)
    for start in tqdm(starts, desc="generating EEG", disable=not show_progress):
        stop = min(start + batch_size, n)
        generators = [torch.Generator().manual_seed(seed + i) for i in range(start, stop)]
        result = pipeline(
            video_tokens=video_tokens[start:stop],
            subject=[int(s) for s in subjects[start:stop]],
            emotion=list(emotions[start:stop]),
            num_inference_steps=num_inference_steps,
            guidance_scale=guidance_scale,
            video_guidance_scale=video_guidance_scale,
            generator=generators,
            output_type="pt",
        )
        outputs.append(torch.as_tensor(result.eeg).float().cpu())
    return torch.cat(outputs)
