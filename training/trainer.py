"""The accelerate training loop: supervised DDPM training, then optional self-play rounds.

:func:`train` is the whole run for one :class:`~training.config.TrainingConfig`:

1. load the train and held-out splits and check them (:mod:`training.data`) before anything
   is built; compute the per-channel EEG statistics of the training split;
2. build (or load) the video encoder, SPGN, denoiser and DDPM scheduler; cache the frozen
   encoder's video tokens per clip;
3. train SPGN + denoiser with the ε/v DDPM loss, classifier-free emotion dropout, AdamW,
   gradient clipping, LR warm-up, EMA weights and mixed precision where the device has it,
   under ``accelerate`` (one process, or DDP with ``accelerate launch``);
4. every ``checkpointing_steps`` save a checkpoint (``--resume_from_checkpoint latest``
   continues bit-identically on CPU), every ``validation_steps`` generate EEG for held-out
   clips and score it with the evaluation suite;
5. optionally run SPIN-Diffusion self-play rounds (:mod:`training.self_play`);
6. ``save_pretrained`` the whole ``Video2EEGPipeline`` into ``output_dir`` (EEG statistics in
   the SPGN config) and push it to the Hub when asked.

Reproducibility: every random draw of a training step (noise, timesteps, emotion dropout,
dropout inside the models) comes from a generator seeded by ``(seed, rank, epoch, batch)``,
and the batch order from accelerate's seedable sampler (``seed + epoch``). A step is thus a
function of the weights, the optimiser state and its position in the schedule, all of which
a checkpoint stores, so a resumed run repeats the uninterrupted one exactly on CPU.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import logging
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from training import checkpoints as ckpt
from training.config import TrainingConfig
from training.data import (
    ClipTensors,
    VideoTokenCache,
    collate_prebatched,
    eeg_channel_stats,
    emotion_label_order,
    emotion_names_per_row,
    load_split,
    validate_dataset,
)
from training.diffusion_loss import diffusion_loss
from training.modeling import ConditionedDenoiser

logger = logging.getLogger(__name__)


def step_seed(seed: int, *keys: int) -> int:
    """A 63-bit seed derived from ``seed`` and integer ``keys`` (numpy ``SeedSequence``)."""
    state = np.random.SeedSequence([int(seed), *[int(k) for k in keys]]).generate_state(2)
    return int((int(state[0]) << 31) ^ int(state[1]))


@dataclass
class StepInfo:
    """What a ``step_callback`` receives after every optimiser step."""

    global_step: int
    epoch: int
    loss: float
    lr: float
    checkpoint: Path | None


@dataclass
class TrainingResult:
    """Summary of a finished run.

    Attributes
    ----------
    output_dir : Path
        Holds the saved pipeline (``model_index.json`` + components) and ``training_report.json``.
    global_step : int
        Supervised optimiser steps taken.
    losses : list of float
        Training loss per optimiser step (this process).
    validation : list of dict
        ``{"step": …, "metrics": {…}}`` per validation.
    self_play : list of dict
        Per-round reports (see :mod:`training.self_play`).
    eeg_mean, eeg_std : list of float
        Per-channel statistics written into the SPGN config.
    """

    output_dir: Path
    global_step: int
    losses: list[float] = field(default_factory=list)
    validation: list[dict] = field(default_factory=list)
    self_play: list[dict] = field(default_factory=list)
    eeg_mean: list[float] = field(default_factory=list)
    eeg_std: list[float] = field(default_factory=list)


def _resolve_mixed_precision(requested: str) -> str:
    """``fp16`` needs CUDA (or another GPU); ``bf16`` runs on CPU autocast. Fall back to ``no``."""
    if requested == "fp16" and not torch.cuda.is_available():
        logger.warning("mixed_precision='fp16' needs a GPU; training in float32 instead")
        return "no"
    if requested == "bf16" and torch.cuda.is_available() and not torch.cuda.is_bf16_supported():
        logger.warning("this GPU has no bfloat16; training in float32 instead")
        return "no"
    return requested


def _allow_new_mixed_precision(mixed_precision: str) -> None:
    """Let a later run in the same process (a notebook, a test session) pick another precision.

    accelerate keeps one ``AcceleratorState`` per process and refuses a second ``Accelerator``
    with a different ``mixed_precision``. Clearing that state (not the process group, which
    lives in ``PartialState``) is what transformers' ``TrainingArguments._setup_devices`` does too.
    """
    from accelerate.state import AcceleratorState

    state = AcceleratorState._shared_state
    if state.get("_mixed_precision", mixed_precision) != mixed_precision:
        AcceleratorState._reset_state(reset_partial_state=False)


def _tensorboard_available() -> bool:
    return importlib.util.find_spec("tensorboard") is not None


def _atomic_write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2, default=str)
    os.replace(tmp, path)


class Video2EEGTrainer:
    """One training run; use :func:`train` unless you need the pieces.

    Parameters
    ----------
    config : TrainingConfig
    step_callback : callable, optional
        Called with a :class:`StepInfo` after every optimiser step (progress hooks, tests).
    """

    def __init__(
        self, config: TrainingConfig, step_callback: Callable[[StepInfo], None] | None = None
    ) -> None:
        from accelerate import Accelerator
        from accelerate.utils import DataLoaderConfiguration, ProjectConfiguration

        self.config = config
        self.step_callback = step_callback
        self.output_dir = Path(str(config.output_dir))
        log_with = None
        if config.report_to == "tensorboard":
            if _tensorboard_available():
                log_with = "tensorboard"
            else:
                logger.warning(
                    "report_to='tensorboard' but tensorboard is not installed; not logging"
                )
        mixed_precision = _resolve_mixed_precision(config.mixed_precision)
        _allow_new_mixed_precision(mixed_precision)
        self.accelerator = Accelerator(
            gradient_accumulation_steps=config.gradient_accumulation_steps,
            mixed_precision=mixed_precision,
            log_with=log_with,
            project_config=ProjectConfiguration(
                project_dir=str(self.output_dir), logging_dir=str(self.output_dir / "logs")
            ),
            dataloader_config=DataLoaderConfiguration(
                use_seedable_sampler=True, data_seed=config.seed
            ),
        )
        self.result = TrainingResult(output_dir=self.output_dir, global_step=0)

    # ------------------------------------------------------------------ setup
    def _load_data(self) -> None:
        config = self.config
        self.train_ds = load_split(config.dataset, config.train_split, config.dataset_revision)
        if config.max_train_samples is not None:
            self.train_ds = self.train_ds.select(
                range(min(config.max_train_samples, len(self.train_ds)))
            )
        self.eval_ds = None
        if config.eval_split:
            self.eval_ds = load_split(config.dataset, config.eval_split, config.dataset_revision)
            if config.max_eval_samples is not None:
                self.eval_ds = self.eval_ds.select(
                    range(min(config.max_eval_samples, len(self.eval_ds)))
                )

    def _build_components(self) -> None:
        """Video encoder, SPGN, denoiser (fresh or from ``pretrained_pipeline``) and schedulers."""
        from diffusers import DDPMScheduler

        config = self.config
        if config.pretrained_pipeline:
            from pipelines.pipeline_video2eeg import Video2EEGPipeline

            pipe = Video2EEGPipeline.from_pretrained(config.pretrained_pipeline)
            self.video_encoder, self.spgn, self.denoiser = (
                pipe.video_encoder,
                pipe.spgn,
                pipe.denoiser,
            )
            scheduler_config = dict(pipe.scheduler.config)
            scheduler_config["prediction_type"] = self.denoiser.config.prediction_type
            self.noise_scheduler = DDPMScheduler.from_config(scheduler_config)
            # check the data against what the saved model knows, before any training
            for name, ds in (("train", self.train_ds), ("eval", self.eval_ds)):
                if ds is not None:
                    validate_dataset(
                        ds,
                        n_chans=self.spgn.config.n_chans,
                        n_times=self.spgn.config.n_times,
                        emotion_labels=self.spgn.config.emotion_labels,
                        subject_ids=self.spgn.config.subject_ids,
                        split=getattr(config, f"{name}_split"),
                    )
            self.eeg_mean = np.asarray(self.spgn.config.eeg_mean)
            self.eeg_std = np.asarray(self.spgn.config.eeg_std)
            return

        from modeling_video2eeg import EEGDenoiser, SPGNModel, Video2EEGConfig

        self.video_encoder = self._make_video_encoder()
        model_kwargs = dict(config.model_config)
        n_chans = int(model_kwargs.get("n_chans", 62))
        n_times = int(model_kwargs.get("n_times", 400))
        emotion_labels = model_kwargs.pop("emotion_labels", None)
        subject_ids = model_kwargs.pop("subject_ids", None)
        for name, ds in (("train", self.train_ds), ("eval", self.eval_ds)):
            if ds is not None:
                validate_dataset(
                    ds,
                    n_chans=n_chans,
                    n_times=n_times,
                    emotion_labels=emotion_labels,
                    subject_ids=subject_ids,
                    split=getattr(config, f"{name}_split"),
                )
        if emotion_labels is None:
            emotion_labels = emotion_label_order(self.train_ds)
        if subject_ids is None:
            subjects = set(self.train_ds.unique("subject"))
            if self.eval_ds is not None:
                subjects |= set(self.eval_ds.unique("subject"))
            subject_ids = sorted(int(s) for s in subjects)
        self.eeg_mean, self.eeg_std = eeg_channel_stats(self.train_ds)
        spgn_config = Video2EEGConfig(
            subject_ids=subject_ids,
            emotion_labels=list(emotion_labels),
            num_frames=self.video_encoder.config.num_frames,
            video_token_dim=self.video_encoder.config.token_dim,
            eeg_mean=self.eeg_mean.tolist(),
            eeg_std=self.eeg_std.tolist(),
            **model_kwargs,
        )
        self.spgn = SPGNModel(spgn_config)
        denoiser_kwargs = {
            "n_chans": spgn_config.n_chans,
            "n_times": spgn_config.n_times,
            "conditioning_dim": spgn_config.hidden_size,
            "prediction_type": config.prediction_type,
        }
        denoiser_kwargs.update(config.denoiser_config)
        self.denoiser = EEGDenoiser(**denoiser_kwargs)
        self.noise_scheduler = DDPMScheduler(
            num_train_timesteps=config.num_train_timesteps,
            beta_schedule=config.beta_schedule,
            prediction_type=self.denoiser.config.prediction_type,
        )

    def _make_video_encoder(self):
        from modeling_video2eeg import LowLevelVideoEncoder, TransformersVideoEncoder

        kwargs = dict(self.config.video_encoder_config)
        if self.config.video_encoder == "low_level":
            return LowLevelVideoEncoder(**kwargs)
        return TransformersVideoEncoder.from_backbone(self.config.video_encoder, **kwargs)

    def conditions(self, ds, tokens: torch.Tensor) -> tuple[torch.Tensor, list[int], list]:
        """Video tokens, external subject ids and emotion names the model sees for ``ds``'s rows.

        With ``unconditional=True`` every condition is blanked (zero tokens, the first
        subject, the null emotion ``None``), in training and generation alike.
        """
        if self.config.unconditional:
            first = int(self.spgn.config.subject_ids[0])
            return torch.zeros_like(tokens), [first] * len(ds), [None] * len(ds)
        return tokens, [int(s) for s in ds["subject"]], list(emotion_names_per_row(ds))

    def _prepare_tokens(self) -> None:
        cache = VideoTokenCache(self.config.token_cache_dir)
        num_frames = self.spgn.config.num_frames
        show = self.accelerator.is_local_main_process
        # the main process encodes and writes the cache; the others then read it
        with self.accelerator.main_process_first():
            self.train_tokens = cache.load_or_compute(
                self.train_ds, self.video_encoder, num_frames, show_progress=show
            )
            self.val_ds, self.val_tokens = None, None
            if self.eval_ds is not None:
                # validation uses an evenly spaced subset of the held-out split
                n = len(self.eval_ds)
                count = min(self.config.num_validation_samples, n)
                index = np.unique(np.linspace(0, n - 1, count).round().astype(int))
                self.val_ds = self.eval_ds.select(index.tolist())
                self.val_tokens = cache.load_or_compute(
                    self.val_ds, self.video_encoder, num_frames, show_progress=show
                )

    def setup(self) -> None:
        """Load and check data, build models, cache tokens, prepare everything with accelerate."""
        from accelerate.utils import set_seed
        from diffusers.optimization import get_scheduler
        from diffusers.training_utils import EMAModel

        config, accelerator = self.config, self.accelerator
        set_seed(config.seed)  # identical initial weights on every rank
        self._load_data()
        self._build_components()
        if config.video_dropout_prob is not None:
            # saved with the model: the pipeline allows video guidance only if this is > 0
            self.spgn.config.video_dropout_prob = float(config.video_dropout_prob)
        self.video_encoder.requires_grad_(False)
        self.video_encoder.eval()
        self._prepare_tokens()
        tokens, subjects, emotions = self.conditions(self.train_ds, self.train_tokens)
        self.train_clips = ClipTensors(
            self.train_ds,
            tokens,
            self.spgn.subject_index(subjects),
            self.spgn.emotion_ids(emotions),
            self.eeg_mean,
            self.eeg_std,
        )
        if len(self.train_clips) < config.train_batch_size * accelerator.num_processes:
            raise ValueError(
                f"train_batch_size={config.train_batch_size} x {accelerator.num_processes} "
                f"process(es) is larger than the training split ({len(self.train_clips)} clips)"
            )
        dataloader = torch.utils.data.DataLoader(
            self.train_clips,
            batch_size=config.train_batch_size,
            shuffle=True,
            drop_last=True,
            collate_fn=collate_prebatched,
            num_workers=config.dataloader_num_workers,
        )
        # the sharded loader's length (batches per process) fixes the step budget
        self.dataloader = accelerator.prepare(dataloader)
        self.steps_per_epoch = max(1, len(self.dataloader) // config.gradient_accumulation_steps)
        self.max_train_steps = (
            config.max_train_steps
            if config.max_train_steps is not None
            else config.num_train_epochs * self.steps_per_epoch
        )
        self.num_epochs = math.ceil(self.max_train_steps / self.steps_per_epoch)
        model = ConditionedDenoiser(self.spgn, self.denoiser)
        model.train()
        optimizer = torch.optim.AdamW(
            model.parameters(),
            lr=config.learning_rate,
            betas=(config.adam_beta1, config.adam_beta2),
            weight_decay=config.adam_weight_decay,
            eps=config.adam_epsilon,
        )
        # the prepared scheduler steps once per process per optimiser step
        lr_scheduler = get_scheduler(
            config.lr_scheduler,
            optimizer=optimizer,
            num_warmup_steps=config.lr_warmup_steps * accelerator.num_processes,
            num_training_steps=max(1, self.max_train_steps) * accelerator.num_processes,
        )
        self.model, self.optimizer, self.lr_scheduler = accelerator.prepare(
            model, optimizer, lr_scheduler
        )
        self.ema = None
        if config.use_ema:
            from training.ema import register_ema_checkpointing

            self.ema = EMAModel(
                self.unwrapped.parameters(),
                decay=config.ema_decay,
                use_ema_warmup=True,
                power=config.ema_power,
            )
            register_ema_checkpointing(accelerator, self.ema)
        if accelerator.is_main_process:
            config.save_yaml(self.output_dir / "training_config.yaml")
        if accelerator.log_with:
            tracker_config = {
                k: v for k, v in config.to_dict().items() if isinstance(v, int | float | str | bool)
            }
            accelerator.init_trackers("video2eeg", config=tracker_config)

    @property
    def unwrapped(self) -> ConditionedDenoiser:
        return self.accelerator.unwrap_model(self.model)

    # ------------------------------------------------------------------ checkpoints
    def save_checkpoint(self, progress: ckpt.TrainingProgress) -> Path:
        accelerator = self.accelerator
        partial = ckpt.partial_path(self.output_dir, progress.global_step)
        accelerator.wait_for_everyone()
        accelerator.save_state(str(partial))
        accelerator.wait_for_everyone()
        final = partial.with_name(partial.name.removesuffix(".partial"))
        if accelerator.is_main_process:
            final = ckpt.finalise(partial, progress, self.config.checkpoints_total_limit)
        accelerator.wait_for_everyone()
        return final

    def maybe_resume(self) -> ckpt.TrainingProgress:
        path = ckpt.resolve_checkpoint(self.output_dir, self.config.resume_from_checkpoint)
        if path is None:
            if self.config.resume_from_checkpoint:
                logger.info("no checkpoint in %s; starting from scratch", self.output_dir)
            return ckpt.TrainingProgress()
        self.accelerator.load_state(str(path))
        progress = ckpt.read_progress(path)
        logger.info("resumed from %s at step %d", path, progress.global_step)
        return progress

    # ------------------------------------------------------------------ pipeline / validation
    def eval_model(self) -> ConditionedDenoiser:
        """A detached copy of the current model with EMA weights (when EMA is on)."""
        model = copy.deepcopy(self.unwrapped)
        if self.ema is not None:
            self.ema.copy_to(model.parameters())
        return model.eval()

    def make_pipeline(self, model: ConditionedDenoiser):
        from pipelines.pipeline_video2eeg import Video2EEGPipeline
        from training.sampling import fast_scheduler

        pipe = Video2EEGPipeline(
            video_encoder=self.video_encoder,
            spgn=model.spgn,
            denoiser=model.denoiser,
            scheduler=fast_scheduler(self.noise_scheduler.config),
        )
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def validate(self, model: ConditionedDenoiser, step: int, tag: str = "val") -> dict | None:
        """Generate EEG for held-out clips and score it against their real EEG (main process)."""
        if self.val_ds is None:
            return None
        accelerator = self.accelerator
        metrics = None
        if accelerator.is_main_process:
            from evaluation.report import evaluate
            from training.sampling import generate_eeg

            subset = self.val_ds
            tokens, subjects, emotions = self.conditions(subset, self.val_tokens)
            generated = generate_eeg(
                self.make_pipeline(model),
                tokens,
                subjects,
                emotions,
                num_inference_steps=self.config.validation_inference_steps,
                guidance_scale=self.config.validation_guidance_scale,
                seed=self.config.seed,
            ).numpy()
            real = np.asarray(subset.with_format("numpy", columns=["eeg"])["eeg"], dtype=np.float32)
            labels = {
                "subject": np.asarray(subset["subject"]),
                "emotion": np.asarray(emotion_names_per_row(subset)),
            }
            metrics = evaluate(
                real,
                generated,
                sfreq=float(self.spgn.config.sfreq),
                ch_names=list(self.spgn.config.ch_names),
                labels_real=labels,
                labels_generated=labels,
                metrics=self.config.validation_metrics,
                seed=self.config.seed,
                strict=False,
            )
            record = {"step": step, "tag": tag, "n_clips": len(subset), "metrics": metrics}
            self.result.validation.append(record)
            _atomic_write_json(self.output_dir / "validation" / f"{tag}-step-{step}.json", record)
            if accelerator.log_with:
                values = {
                    f"{tag}/{name}": result.get("value")
                    for name, result in metrics.get("metrics", {}).items()
                }
                values = {k: v for k, v in values.items() if isinstance(v, int | float)}
                accelerator.log(values, step=step)
        accelerator.wait_for_everyone()
        return metrics

    # ------------------------------------------------------------------ loop
    def _train_step(self, batch: dict[str, torch.Tensor], generator_seed: int) -> torch.Tensor:
        config, accelerator = self.config, self.accelerator
        generator = torch.Generator().manual_seed(generator_seed)
        devices = [accelerator.device] if accelerator.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            # dropout inside the models draws from the global RNG: seed it per step too
            torch.manual_seed(generator_seed)
            with accelerator.accumulate(self.model):
                loss = diffusion_loss(
                    self.model,
                    self.noise_scheduler,
                    batch["eeg"],
                    batch["video_tokens"],
                    batch["subject_index"],
                    batch["emotion_ids"],
                    generator,
                    null_emotion_id=self.spgn.config.null_emotion_id,
                    cond_dropout_prob=config.cond_dropout_prob,
                    video_dropout_prob=self.spgn.config.video_dropout_prob,
                )
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    accelerator.clip_grad_norm_(self.model.parameters(), config.max_grad_norm)
                self.optimizer.step()
                self.lr_scheduler.step()
                self.optimizer.zero_grad(set_to_none=True)
        return loss.detach()

    def train_supervised(self, progress: ckpt.TrainingProgress) -> ckpt.TrainingProgress:
        from tqdm.auto import tqdm

        config, accelerator = self.config, self.accelerator
        bar = tqdm(
            total=self.max_train_steps,
            initial=progress.global_step,
            desc="training",
            disable=not accelerator.is_local_main_process,
        )
        rank = accelerator.process_index
        while progress.global_step < self.max_train_steps and progress.epoch < self.num_epochs:
            self.dataloader.set_epoch(progress.epoch)
            loader = self.dataloader
            if progress.batches_in_epoch:
                loader = accelerator.skip_first_batches(self.dataloader, progress.batches_in_epoch)
            for batch in loader:
                seed = step_seed(config.seed, rank, 0, progress.epoch, progress.batches_in_epoch)
                loss = self._train_step(batch, seed)
                progress.batches_in_epoch += 1
                if not accelerator.sync_gradients:
                    continue
                progress.global_step += 1
                if self.ema is not None:
                    self.ema.step(self.unwrapped.parameters())
                loss_value = float(accelerator.reduce(loss, reduction="mean"))
                lr = float(self.lr_scheduler.get_last_lr()[0])
                self.result.losses.append(loss_value)
                bar.update(1)
                bar.set_postfix(loss=f"{loss_value:.4f}", lr=f"{lr:.2e}")
                if accelerator.log_with:
                    accelerator.log(
                        {"train/loss": loss_value, "train/lr": lr}, step=progress.global_step
                    )
                saved = None
                end_of_epoch = progress.batches_in_epoch >= len(self.dataloader)
                if (
                    config.checkpointing_steps
                    and progress.global_step % config.checkpointing_steps == 0
                ):
                    snapshot = copy.copy(progress)
                    if end_of_epoch:
                        snapshot.epoch, snapshot.batches_in_epoch = progress.epoch + 1, 0
                    saved = self.save_checkpoint(snapshot)
                if config.validation_steps and progress.global_step % config.validation_steps == 0:
                    self.validate(self.eval_model(), progress.global_step)
                if self.step_callback is not None:
                    self.step_callback(
                        StepInfo(progress.global_step, progress.epoch, loss_value, lr, saved)
                    )
                if progress.global_step >= self.max_train_steps:
                    break
            else:
                progress.epoch += 1
                progress.batches_in_epoch = 0
                continue
            break
        bar.close()
        return progress

    # ------------------------------------------------------------------ finish
    def final_model(self) -> ConditionedDenoiser:
        """The model to publish: EMA weights when EMA is on."""
        return self.eval_model()

    def save_pipeline(self, model: ConditionedDenoiser, folder: Path) -> Path:
        """``save_pretrained`` of the whole pipeline (main process), atomically per folder."""
        if self.accelerator.is_main_process:
            import shutil

            folder = Path(folder)
            staging = (
                folder.with_name(f".{folder.name}.saving") if folder != self.output_dir else None
            )
            target = staging or folder
            if staging is not None and staging.exists():
                shutil.rmtree(staging)
            self.make_pipeline(model).save_pretrained(str(target))
            if staging is not None:
                if folder.exists():
                    shutil.rmtree(folder)
                os.replace(staging, folder)
        self.accelerator.wait_for_everyone()
        return Path(folder)

    def write_report(self) -> Path:
        path = self.output_dir / "training_report.json"
        if self.accelerator.is_main_process:
            report = asdict(self.result)
            report["output_dir"] = str(self.output_dir)
            report["config"] = self.config.to_dict()
            report["num_processes"] = self.accelerator.num_processes
            report["mixed_precision"] = self.accelerator.mixed_precision
            _atomic_write_json(path, report)
        return path

    def push_to_hub(self) -> None:
        if not self.config.push_to_hub or not self.accelerator.is_main_process:
            return
        from huggingface_hub import HfApi

        api = HfApi()
        repo = api.create_repo(
            self.config.push_to_hub, private=self.config.hub_private, exist_ok=True
        )
        api.upload_folder(
            repo_id=repo.repo_id,
            folder_path=str(self.output_dir),
            commit_message=f"video2eeg training: {self.result.global_step} steps",
            ignore_patterns=["checkpoints/*", "token_cache/*", "logs/*", "self_play/*", ".*"],
        )

    def run(self) -> TrainingResult:
        """Everything: :meth:`setup`, then :meth:`fit`."""
        self.setup()
        return self.fit()

    def fit(self) -> TrainingResult:
        """After :meth:`setup`: resume, supervised loop, self-play, save, validate, push."""
        progress = self.maybe_resume()
        progress = self.train_supervised(progress)
        self.result.global_step = progress.global_step
        self.result.eeg_mean = [float(v) for v in self.eeg_mean]
        self.result.eeg_std = [float(v) for v in self.eeg_std]
        model = self.final_model()
        if self.config.self_play_rounds:
            from training.self_play import run_self_play

            model = run_self_play(self, model)
        self.save_pipeline(model, self.output_dir)
        every = self.config.validation_steps
        validated_last_step = bool(every) and progress.global_step % every == 0
        if not self.config.self_play_rounds and not validated_last_step:
            # self-play validates every round itself (round 0 is this model)
            self.validate(model, progress.global_step, tag="final")
        self.write_report()
        self.push_to_hub()
        self.accelerator.wait_for_everyone()
        self.accelerator.end_training()
        return self.result


def train(
    config: TrainingConfig, step_callback: Callable[[StepInfo], None] | None = None
) -> TrainingResult:
    """Run a whole training job (see the module docstring); returns its :class:`TrainingResult`."""
    return Video2EEGTrainer(config, step_callback=step_callback).run()
