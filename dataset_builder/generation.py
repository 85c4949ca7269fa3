"""The generation job: video clips × subjects × emotions → a Parquet video-EEG-emotion dataset.

Rows are planned, not stored: row ``i`` of the plan is clip ``i // (S·E)``, subject
``(i // E) % S`` and emotion ``i % E`` (clip-major, so a clip's video tokens are computed once
per shard and reused for all its subjects and emotions). Shard ``k`` holds rows
``[k·R, (k+1)·R)`` and belongs to rank ``k % world_size``; each rank writes its shards to a
hidden temporary file and ``os.replace``-s it into ``data/train-{k:05d}-of-{n:05d}.parquet``,
so an interrupted run leaves only whole shards. A rerun with the same settings validates the
shards that exist (row count and row keys) and writes the rest: every planned row ends up
exactly once. A ``.generate_state.json`` fingerprint refuses to mix runs with different
settings unless ``overwrite``.

Each row's sampling noise comes from its own generator seeded by
:func:`row_seed` (the base seed and the row key), and the pipeline draws per-sample noise from
per-sample generators, so a row's EEG does not depend on the batch, the shard or the rank it
was generated in: any row can be regenerated exactly.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import torch
from tqdm.auto import tqdm

from dataset_builder.stimuli import CLIP_SECONDS, Stimulus, StimulusSet

WRITER_VERSION = 1
STATE_FILE = ".generate_state.json"
DATA_DIR = "data"
SPLIT = "train"


def row_seed(base_seed: int, key: str) -> int:
    """The seed of one row: 63 bits of ``sha256(f"{base_seed}:{key}")``."""
    digest = hashlib.sha256(f"{int(base_seed)}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


@dataclass(frozen=True)
class GenerationSettings:
    """What to generate and how (everything that changes the rows' EEG or labels).

    Attributes
    ----------
    subjects : tuple of int
        External subject ids known to the pipeline (``spgn.config.subject_ids``).
    emotions : tuple of str
        Emotion names from ``spgn.config.emotion_labels``.
    num_inference_steps, guidance_scale, video_guidance_scale
        Sampler settings passed to the pipeline (``video_guidance_scale > 1`` needs a model
        trained with video dropout).
    seed : int
        Base seed; row seeds derive from it and the row key.
    batch_size : int
        Rows per pipeline call (memory/speed only: output does not depend on it).
    rows_per_shard : int
        Rows per Parquet shard (the unit of atomic writes and of resuming).
    """

    subjects: tuple[int, ...]
    emotions: tuple[str, ...]
    num_inference_steps: int = 25
    guidance_scale: float = 1.0
    video_guidance_scale: float = 1.0
    seed: int = 0
    batch_size: int = 64
    rows_per_shard: int = 256

    def __post_init__(self) -> None:
        if not self.subjects:
            raise ValueError("subjects is empty: name at least one subject id")
        if not self.emotions:
            raise ValueError("emotions is empty: name at least one emotion")
        for name, values in (("subjects", self.subjects), ("emotions", self.emotions)):
            if len(set(values)) != len(values):
                raise ValueError(f"{name} has duplicates: {list(values)}")
        if self.num_inference_steps < 1:
            raise ValueError(f"num_inference_steps must be >= 1, got {self.num_inference_steps}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.rows_per_shard < 1:
            raise ValueError(f"rows_per_shard must be >= 1, got {self.rows_per_shard}")

    def identity(self) -> dict[str, Any]:
        """The settings that define the rows (``batch_size`` does not)."""
        values = asdict(self)
        values.pop("batch_size")
        values["subjects"] = list(self.subjects)
        values["emotions"] = list(self.emotions)
        return values


@dataclass(frozen=True)
class PlannedRow:
    index: int
    stimulus: Stimulus
    subject: int
    emotion: str
    key: str
    seed: int


class GenerationPlan:
    """The rows of a job, computed on demand from their index."""

    def __init__(self, stimuli: StimulusSet, settings: GenerationSettings) -> None:
        self.stimuli = stimuli
        self.settings = settings
        self.num_rows = len(stimuli) * len(settings.subjects) * len(settings.emotions)
        self.num_shards = math.ceil(self.num_rows / settings.rows_per_shard)

    def row(self, index: int) -> PlannedRow:
        n_subjects, n_emotions = len(self.settings.subjects), len(self.settings.emotions)
        stimulus = self.stimuli.stimuli[index // (n_subjects * n_emotions)]
        subject = self.settings.subjects[(index // n_emotions) % n_subjects]
        emotion = self.settings.emotions[index % n_emotions]
        key = f"{stimulus.key}|sub{subject}|{emotion}"
        return PlannedRow(index, stimulus, subject, emotion, key, row_seed(self.settings.seed, key))

    def shard_rows(self, shard: int) -> list[PlannedRow]:
        size = self.settings.rows_per_shard
        return [self.row(i) for i in range(shard * size, min((shard + 1) * size, self.num_rows))]

    def shard_name(self, shard: int) -> str:
        return f"{SPLIT}-{shard:05d}-of-{self.num_shards:05d}.parquet"

    def shards_of_rank(self, rank: int, world_size: int) -> list[int]:
        return list(range(rank, self.num_shards, world_size))


def generated_features(emotion_labels: Sequence[str], n_chans: int, n_times: int):
    """``datasets.Features`` of generated rows (see the dataset card for their meaning)."""
    from datasets import Array2D, ClassLabel, Features, Value, Video

    return Features(
        {
            "key": Value("string"),
            "video": Video(),
            "eeg": Array2D((n_chans, n_times), "float32"),
            "subject": Value("int32"),
            "emotion": ClassLabel(names=list(emotion_labels)),
            "emotion_source": Value("string"),
            "concept": Value("int32"),
            "caption": Value("string"),
            "block": Value("int32"),
            "position": Value("int32"),
            "repetition": Value("int32"),
            "clip_key": Value("string"),
            "source": Value("string"),
            "start_s": Value("float32"),
            "seed": Value("int64"),
            "pipeline": Value("string"),
            "pipeline_revision": Value("string"),
            "scheduler": Value("string"),
            "num_inference_steps": Value("int32"),
            "guidance_scale": Value("float32"),
            "video_guidance_scale": Value("float32"),
        }
    )


def pipeline_revision(path: str | Path) -> str:
    """Content hash of a saved pipeline folder: ``model_index.json`` and its components' files.

    For a Hub snapshot the commit id is the better revision; a local folder has none, so this
    records exactly which weights generated the data (other files in the folder, such as
    training checkpoints, do not count).
    """
    root = Path(path)
    index = root / "model_index.json"
    if not index.is_file():
        raise FileNotFoundError(f"{root} is not a saved pipeline: no model_index.json")
    components = [k for k in json.loads(index.read_text("utf-8")) if not k.startswith("_")]
    files = [
        index,
        *sorted(
            p
            for name in components
            if (root / name).is_dir()
            for p in (root / name).rglob("*")
            if p.is_file()
        ),
    ]
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.relative_to(root).as_posix().encode() + b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return "sha256:" + digest.hexdigest()[:16]


@dataclass
class GenerationResult:
    """What one rank of :func:`generate_dataset` did."""

    out_dir: Path
    num_rows: int
    num_shards: int
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rows_generated: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        """Generation throughput of this process (rows it generated, not skipped)."""
        return self.rows_generated / self.seconds if self.seconds > 0 else 0.0


def check_settings(pipeline, settings: GenerationSettings) -> None:
    """Refuse subjects/emotions the pipeline does not know and guidance it cannot do, before
    anything is written."""
    config = pipeline.spgn.config
    pipeline.check_guidance_scales(settings.guidance_scale, settings.video_guidance_scale)
    unknown_subjects = [s for s in settings.subjects if s not in list(config.subject_ids)]
    if unknown_subjects:
        raise ValueError(
            f"unknown subjects {unknown_subjects}: the pipeline knows subject ids "
            f"{list(config.subject_ids)}"
        )
    unknown_emotions = [e for e in settings.emotions if e not in list(config.emotion_labels)]
    if unknown_emotions:
        raise ValueError(
            f"unknown emotions {unknown_emotions}: the pipeline knows {list(config.emotion_labels)}"
        )


def _state(plan: GenerationPlan, pipeline_id: str, revision: str, scheduler: str) -> dict:
    return {
        "writer_version": WRITER_VERSION,
        "pipeline": pipeline_id,
        "pipeline_revision": revision,
        "scheduler": scheduler,
        "stimuli": {"kind": plan.stimuli.kind, "fingerprint": plan.stimuli.fingerprint()},
        "settings": plan.settings.identity(),
        "num_rows": plan.num_rows,
        "num_shards": plan.num_shards,
    }


def prepare_output(out_dir: Path, state: dict, overwrite: bool) -> None:
    """Create ``out_dir`` for this run, or check that it holds the same run (to resume).

    Raises
    ------
    ValueError
        If ``out_dir`` holds shards of another run (or shards without a state file) and not
        ``overwrite``; the message names the settings that differ.
    """
    data_dir = out_dir / DATA_DIR
    state_path = out_dir / STATE_FILE
    previous = json.loads(state_path.read_text("utf-8")) if state_path.exists() else None
    has_shards = any(data_dir.glob("*.parquet")) if data_dir.is_dir() else False
    if previous != state and (previous is not None or has_shards):
        if not overwrite:
            if previous is None:
                raise ValueError(
                    f"{out_dir} already holds Parquet shards that no generation state describes; "
                    "use another --out or --overwrite"
                )
            differ = sorted(k for k in state if previous.get(k) != state[k])
            raise ValueError(
                f"{out_dir} holds a generation run with different {', '.join(differ)}; "
                "use another --out, or --overwrite to discard it"
            )
        shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_path.with_name(f".{state_path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(state, indent=1), "utf-8")
    os.replace(tmp, state_path)


def shard_is_complete(path: Path, rows: Sequence[PlannedRow]) -> bool:
    """A shard counts as written when it holds exactly the planned keys, in order."""
    try:
        keys = pq.read_table(path, columns=["key"]).column(0).to_pylist()
    except (OSError, ValueError):
        return False
    return keys == [row.key for row in rows]


def _clip_tokens(pipeline, stimuli: StimulusSet, clips: list[Stimulus]):
    """Video bytes and tokens ``(n_clips, num_frames, token_dim)`` of the shard's clips."""
    from pipelines.video_io import read_clip_frames

    videos = stimuli.load_videos(clips)
    frames = torch.stack(
        [read_clip_frames(video, 0.0, CLIP_SECONDS, pipeline.num_frames) for video in videos]
    )
    return videos, pipeline.encode_video(frames)


def generate_shard(
    pipeline, plan: GenerationPlan, rows: Sequence[PlannedRow], provenance: dict[str, Any]
) -> list[dict[str, Any]]:
    """Generate the EEG of ``rows`` and return them as dataset rows."""
    clips = list({row.stimulus.key: row.stimulus for row in rows}.values())
    videos, tokens = _clip_tokens(pipeline, plan.stimuli, clips)
    clip_index = {clip.key: i for i, clip in enumerate(clips)}
    settings = plan.settings
    out = []
    for begin in range(0, len(rows), settings.batch_size):
        batch = rows[begin : begin + settings.batch_size]
        result = pipeline(
            video_tokens=tokens[[clip_index[r.stimulus.key] for r in batch]],
            subject=[r.subject for r in batch],
            emotion=[r.emotion for r in batch],
            num_inference_steps=settings.num_inference_steps,
            guidance_scale=settings.guidance_scale,
            video_guidance_scale=settings.video_guidance_scale,
            generator=[torch.Generator("cpu").manual_seed(r.seed) for r in batch],
            output_type="np",
        )
        eeg = np.asarray(result.eeg, dtype=np.float32)
        labels = list(pipeline.spgn.config.emotion_labels)
        for row, clip_eeg in zip(batch, eeg, strict=True):
            s = row.stimulus
            out.append(
                {
                    "key": row.key,
                    "video": {
                        "bytes": videos[clip_index[s.key]],
                        "path": f"{s.key.replace('/', '_')}.mp4",
                    },
                    "eeg": clip_eeg,
                    "subject": row.subject,
                    "emotion": labels.index(row.emotion),
                    "emotion_source": "conditioning (the emotion the EEG was generated for)",
                    "concept": s.concept,
                    "caption": s.caption,
                    "block": s.block,
                    "position": s.position,
                    "repetition": s.repetition,
                    "clip_key": s.key,
                    "source": s.source,
                    "start_s": s.start_s,
                    "seed": row.seed,
                    **provenance,
                }
            )
    return out


def generate_dataset(
    pipeline,
    stimuli: StimulusSet,
    out_dir: str | Path,
    settings: GenerationSettings,
    *,
    pipeline_id: str,
    revision: str,
    overwrite: bool = False,
    progress: bool = True,
) -> GenerationResult:
    """Generate this process's shards of the job (all of them when not distributed).

    Under ``accelerate launch`` each rank takes shards ``rank, rank + world, …``; the main
    process prepares ``out_dir`` first and every rank waits for the others at the end.

    Parameters
    ----------
    pipeline : Video2EEGPipeline
        The generator (loaded from ``pipeline_id``).
    stimuli : StimulusSet
        The video clips (see :func:`dataset_builder.stimuli.open_stimuli`).
    out_dir : path-like
        Dataset folder: ``data/train-*.parquet`` (+ card and evaluation by :func:`finalize`).
    settings : GenerationSettings
    pipeline_id, revision : str
        Where the pipeline came from (repo id or folder) and its commit or content hash;
        recorded in every row.
    overwrite : bool
        Discard a different run found in ``out_dir``.
    progress : bool
        tqdm bar (main process only) with rows/s.

    Returns
    -------
    GenerationResult
    """
    from accelerate import PartialState

    from dataset_builder.builder import quiet_datasets_progress, rows_to_dataset

    check_settings(pipeline, settings)
    state = PartialState()
    out = Path(out_dir)
    plan = GenerationPlan(stimuli, settings)
    scheduler = type(pipeline.scheduler).__name__
    run_state = _state(plan, pipeline_id, revision, scheduler)
    with state.main_process_first():
        if state.is_main_process:
            prepare_output(out, run_state, overwrite)
    config = pipeline.spgn.config
    features = generated_features(config.emotion_labels, config.n_chans, config.n_times)
    provenance = {
        "pipeline": pipeline_id,
        "pipeline_revision": revision,
        "scheduler": scheduler,
        "num_inference_steps": settings.num_inference_steps,
        "guidance_scale": settings.guidance_scale,
        "video_guidance_scale": settings.video_guidance_scale,
    }
    pipeline.set_progress_bar_config(disable=True)
    result = GenerationResult(out_dir=out, num_rows=plan.num_rows, num_shards=plan.num_shards)
    mine = plan.shards_of_rank(state.process_index, state.num_processes)
    total_rows = sum(len(range(*_bounds(plan, k))) for k in mine)
    bar = tqdm(
        total=total_rows,
        desc=f"generate (rank {state.process_index})",
        unit="row",
        disable=not progress or not state.is_local_main_process,
    )
    start = time.perf_counter()
    with bar, quiet_datasets_progress():
        for shard in mine:
            rows = plan.shard_rows(shard)
            path = out / DATA_DIR / plan.shard_name(shard)
            if shard_is_complete(path, rows):
                result.skipped.append(path.name)
                bar.update(len(rows))
                continue
            records = generate_shard(pipeline, plan, rows, provenance)
            tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            rows_to_dataset(records, features).to_parquet(str(tmp))
            os.replace(tmp, path)
            result.written.append(path.name)
            result.rows_generated += len(rows)
            bar.update(len(rows))
    result.seconds = time.perf_counter() - start
    state.wait_for_everyone()
    return result


def _bounds(plan: GenerationPlan, shard: int) -> tuple[int, int]:
    size = plan.settings.rows_per_shard
    return shard * size, min((shard + 1) * size, plan.num_rows)


@dataclass
class FinalizeResult:
    """What :func:`finalize_generation` wrote."""

    card_path: Path
    report_path: Path | None
    figures: list[Path]
    num_rows: int
    note: str = ""


def missing_shards(out_dir: str | Path, plan: GenerationPlan) -> list[str]:
    """Shards of ``plan`` not (completely) in ``out_dir``."""
    data_dir = Path(out_dir) / DATA_DIR
    return [
        plan.shard_name(k)
        for k in range(plan.num_shards)
        if not shard_is_complete(data_dir / plan.shard_name(k), plan.shard_rows(k))
    ]


def _evaluation_sample(out: Path, plan: GenerationPlan, max_rows: int, seed: int):
    """Up to ``max_rows`` generated rows (spread over all shards) and the matching real EEG.

    Returns ``None`` when the source has no real EEG for any sampled (clip, subject).
    Only these rows are held in memory, whatever the size of the dataset.
    """
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(plan.num_rows, size=min(max_rows, plan.num_rows), replace=False))
    size = plan.settings.rows_per_shard
    generated, gen_subjects, gen_emotions, gen_keys = [], [], [], []
    real, real_subjects, real_keys = [], [], []
    seen: set[tuple[str, int]] = set()
    for shard in np.unique(picked // size):
        local = picked[picked // size == shard] - shard * size
        table = pq.read_table(
            out / DATA_DIR / plan.shard_name(int(shard)),
            columns=["eeg", "subject", "emotion", "clip_key"],
        ).take(local)
        eeg = np.stack([np.asarray(e, dtype=np.float32) for e in table.column("eeg").to_pylist()])
        generated.append(eeg)
        gen_subjects += table.column("subject").to_pylist()
        gen_emotions += table.column("emotion").to_pylist()
        gen_keys += table.column("clip_key").to_pylist()
    by_key = {s.key: s for s in plan.stimuli.stimuli}
    for key, subject in zip(gen_keys, gen_subjects, strict=True):
        if (key, subject) in seen:
            continue
        seen.add((key, subject))
        clip = plan.stimuli.real_eeg(by_key[key], subject)
        if clip is not None:
            real.append(clip)
            real_subjects.append(subject)
            real_keys.append(key)
    if len(real) < 2:
        return None
    return (
        np.stack(real),
        {"subject": np.asarray(real_subjects)},
        np.asarray(real_keys),
        np.concatenate(generated),
        {"subject": np.asarray(gen_subjects), "emotion": np.asarray(gen_emotions)},
        np.asarray(gen_keys),
    )


def finalize_generation(
    out_dir: str | Path,
    plan: GenerationPlan,
    *,
    pipeline_id: str,
    revision: str,
    repo_id: str | None = None,
    evaluate: bool = True,
    max_eval_rows: int = 2000,
    pretty_name: str = "Video2EEG generated video-EEG-emotion dataset",
) -> FinalizeResult:
    """Check every shard is there, evaluate against real EEG when the source has it, write the card.

    Evaluation compares a sample of generated rows with the real EEG of the same subjects
    watching the same clips (SEED-DV trees and aligned datasets have it; a plain video folder
    does not, and the card says so). The report goes to ``evaluation.json``, the figures to
    ``figures/``, and the card (``README.md``, YAML ``configs`` matching the shards) embeds them.

    Raises
    ------
    RuntimeError
        If shards are missing (a rank failed): rerun the same command to complete them.
    """
    from evaluation.figures import write_figures
    from evaluation.report import evaluate as run_evaluation
    from evaluation.report import headline, write_report
    from hub_cards import DataProvenance, copy_figures, dataset_card_for_folder

    out = Path(out_dir)
    missing = missing_shards(out, plan)
    if missing:
        raise RuntimeError(
            f"{len(missing)} of {plan.num_shards} shards are missing or incomplete in {out} "
            f"(first: {missing[0]}); rerun the same generate command to complete them"
        )
    report_path, figures, note = None, [], ""
    sample = _evaluation_sample(out, plan, max_eval_rows, plan.settings.seed) if evaluate else None
    if sample is not None:
        real, labels_real, keys_real, generated, labels_gen, keys_gen = sample
        report = run_evaluation(
            real,
            generated,
            labels_real=labels_real,
            labels_generated=labels_gen,
            clip_keys_real=keys_real,
            clip_keys_generated=keys_gen,
            seed=plan.settings.seed,
            strict=False,
        )
        report_path = write_report(report, out / "evaluation.json")
        figures = write_figures(real, generated, out / "figures")
        rows = [r for r in headline(report) if isinstance(r["value"], int | float)]
        note = (
            f"Evaluation: {len(generated)} generated rows against {len(real)} real clips of the "
            "same subjects and stimuli (full report in `evaluation.json`).\n\n"
            "| metric | value | ideal |\n|---|---|---|\n"
            + "".join(f"| {r['name']} | {r['value']:.4g} | {r['ideal']} |\n" for r in rows)
        )
    elif evaluate:
        note = "No real EEG is available for these stimuli, so the data was not evaluated."
    provenance = DataProvenance(
        kind="generated",
        emotion_source="the emotion each row's EEG was generated for (conditioning)",
        seeds={"generation base seed": plan.settings.seed},
        generator_model=pipeline_id,
        generator_revision=revision,
        source_dataset=plan.stimuli.description,
        notes=note,
    )
    card = dataset_card_for_folder(
        out,
        repo_id=repo_id or out.name,
        pretty_name=pretty_name,
        provenance=provenance,
        figures=copy_figures(figures, out) if figures else (),
    )
    card_path = out / "README.md"
    tmp = card_path.with_name(f".README.md.tmp-{os.getpid()}")
    card.save(tmp)
    os.replace(tmp, card_path)
    return FinalizeResult(card_path, report_path, figures, plan.num_rows, note)
