"""Personalisation: add a new subject to a trained pipeline from a few of their clips.

:func:`adapt_pipeline` loads a saved ``Video2EEGPipeline``, reads the new person's aligned
clips (a dataset folder or Hub id, same columns as for training), checks them, encodes the
videos with the pipeline's own encoder and calls the models' ``adapt_new_subject``, which
fits one new subject-embedding row with everything else frozen. The adapted pipeline is
saved with ``save_pretrained`` (the new id is in ``spgn.config.subject_ids``).
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from modeling_video2eeg.adaptation import DEFAULT_SPECTRAL_SAMPLING_STEPS, DEFAULT_SPECTRAL_WEIGHT
from training.data import emotion_names_per_row, encode_clips, load_split, validate_dataset

logger = logging.getLogger(__name__)


@dataclass
class AdaptResult:
    """What :func:`adapt_pipeline` did.

    Attributes
    ----------
    output_dir : Path
        The saved, adapted pipeline.
    subject_id : int
        External id the new subject got.
    row : int
        Its subject-embedding row.
    n_clips : int
        Clips used for the fit.
    source_subject : int
        Subject id of those clips in the dataset.
    """

    output_dir: Path
    subject_id: int
    row: int
    n_clips: int
    source_subject: int


def select_subject_clips(ds, subject: int | None, num_clips: int):
    """The first ``num_clips`` rows of one subject (dataset order) as a ``datasets.Dataset``.

    Raises
    ------
    ValueError
        If ``subject`` is ``None`` while the data hold several subjects, the subject is
        absent, or it has fewer than ``num_clips`` clips.
    """
    subjects = np.asarray(ds["subject"])
    present = sorted({int(s) for s in subjects})
    if subject is None:
        if len(present) != 1:
            raise ValueError(f"subject_data holds subjects {present}; choose one with --subject")
        subject = present[0]
    rows = np.flatnonzero(subjects == int(subject))
    if rows.size == 0:
        raise ValueError(f"subject {subject} has no clips in subject_data (present: {present})")
    if rows.size < num_clips:
        raise ValueError(
            f"subject {subject} has {rows.size} clips in subject_data, fewer than "
            f"num_clips={num_clips}"
        )
    return ds.select(rows[:num_clips].tolist()), int(subject)


def adapt_pipeline(
    pipeline: str | Path,
    subject_data: str,
    output_dir: str | Path,
    *,
    subject: int | None = None,
    new_subject_id: int | None = None,
    split: str = "train",
    num_clips: int = 20,
    num_steps: int = 200,
    lr: float = 1e-2,
    batch_size: int | None = 16,
    seed: int = 0,
    revision: str | None = None,
    spectral_weight: float = DEFAULT_SPECTRAL_WEIGHT,
    spectral_sampling_steps: int = DEFAULT_SPECTRAL_SAMPLING_STEPS,
) -> AdaptResult:
    """Fit a new subject's embedding from a few clips and save the adapted pipeline.

    Parameters
    ----------
    pipeline : str or Path
        A saved ``Video2EEGPipeline`` (folder or Hub id).
    subject_data : str
        Dataset folder or Hub id with the new person's aligned clips (``video``, ``eeg``,
        ``subject``, ``emotion`` columns).
    output_dir : str or Path
        Where the adapted pipeline is written (replaced atomically).
    subject : int, optional
        Which subject of ``subject_data`` to use (required if it holds several).
    new_subject_id : int, optional
        External id for the new subject in the model; default the data's subject id.
    split : str
        Split of ``subject_data`` to read.
    num_clips : int
        Clips to fit on (the first ones of that subject, dataset order).
    num_steps, lr, batch_size : int, float, int
        Passed to ``adapt_new_subject``.
    spectral_weight, spectral_sampling_steps : float, int
        The spectral-fingerprint term of ``adapt_new_subject`` (0 turns it off).
    seed : int
        Seeds the fit (clip sampling, noise, timesteps).

    Returns
    -------
    AdaptResult

    Raises
    ------
    ValueError
        Bad data (missing columns, EEG shape, emotions the model does not know), too few
        clips, or a ``new_subject_id`` the model already has.
    """
    from diffusers import DDPMScheduler

    from modeling_video2eeg import adapt_new_subject
    from pipelines.pipeline_video2eeg import Video2EEGPipeline

    if num_clips < 1:
        raise ValueError(f"num_clips must be >= 1, got {num_clips}")
    pipe = Video2EEGPipeline.from_pretrained(str(pipeline))
    spgn, denoiser, encoder = pipe.spgn, pipe.denoiser, pipe.video_encoder
    ds = load_split(subject_data, split, revision)
    validate_dataset(
        ds,
        n_chans=spgn.config.n_chans,
        n_times=spgn.config.n_times,
        emotion_labels=spgn.config.emotion_labels,
        split=split,
    )
    clips, source_subject = select_subject_clips(ds, subject, num_clips)
    new_id = int(source_subject if new_subject_id is None else new_subject_id)
    if new_id in spgn.config.subject_ids:
        raise ValueError(
            f"new_subject_id {new_id} is already a subject of this model "
            f"(spgn.config.subject_ids = {spgn.config.subject_ids}); pass another --new-subject-id"
        )
    tokens = encode_clips(clips, encoder, spgn.config.num_frames, show_progress=False)
    eeg = torch.from_numpy(
        np.asarray(clips.with_format("numpy", columns=["eeg"])["eeg"], dtype=np.float32)
    )
    emotion_ids = spgn.emotion_ids(emotion_names_per_row(clips))
    scheduler_config = dict(pipe.scheduler.config)
    scheduler_config["prediction_type"] = denoiser.config.prediction_type
    scheduler = DDPMScheduler.from_config(scheduler_config)
    row = adapt_new_subject(
        spgn,
        denoiser,
        scheduler,
        eeg,
        tokens,
        emotion_ids,
        new_id,
        num_steps=num_steps,
        lr=lr,
        batch_size=batch_size,
        generator=torch.Generator().manual_seed(seed),
        spectral_weight=spectral_weight,
        spectral_sampling_steps=spectral_sampling_steps,
    )
    output_dir = Path(output_dir)
    staging = output_dir.with_name(f".{output_dir.name}.saving")
    if staging.exists():
        shutil.rmtree(staging)
    pipe.save_pretrained(str(staging))
    if output_dir.exists():
        shutil.rmtree(output_dir)
    os.replace(staging, output_dir)
    logger.info("subject %d (row %d) fitted on %d clips", new_id, row, len(clips))
    return AdaptResult(output_dir, new_id, row, len(clips), source_subject)
