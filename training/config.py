"""Training configuration: one dataclass, loadable from YAML and/or command-line flags.

:class:`TrainingConfig` holds every knob of a training run (data, model size, optimiser,
diffusion objective, EMA, checkpointing, validation, self-play, Hub upload).
:func:`parse_training_args` turns ``--config run.yaml`` plus flags into one: the YAML gives
the values, flags given on the command line override them (``transformers.HfArgumentParser``
builds the flags from the dataclass fields, so every field is a flag: ``--learning_rate 3e-4``
or ``--learning-rate 3e-4``).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

PredictionType = Literal["epsilon", "v_prediction"]
MixedPrecision = Literal["no", "fp16", "bf16"]

DEFAULT_VALIDATION_METRICS: tuple[str, ...] = (
    "log_psd_distance",
    "band_power",
    "alpha_peak",
    "covariance",
    "topography",
    "conditional",
)
"""Evaluation-suite metrics run at each validation (cheap ones; the full suite is
``video2eeg evaluate``)."""


def _as_dict(name: str, value: dict[str, Any] | str | None) -> dict[str, Any]:
    """Accept a mapping (YAML) or a JSON object string (command line) for a dict-valued field."""
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as err:
            raise ValueError(
                f"{name} must be a JSON object such as '{{\"hidden_size\": 32}}', got {value!r} ({err})"
            ) from err
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a mapping, got {type(value).__name__}: {value!r}")
    return dict(value)


@dataclass
class TrainingConfig:
    """Everything a training run needs.

    Data
    ----
    dataset : str
        Local folder written by ``video2eeg align`` (Parquet shards + README) or a Hub dataset id.
    train_split, eval_split : str
        Split names; the eval split is the held-out block used for validation.
    dataset_revision : str, optional
        Hub revision of ``dataset``.
    max_train_samples, max_eval_samples : int, optional
        Keep only the first ``n`` rows (quick runs).
    cache_dir : str, optional
        Where per-clip video tokens are cached (default ``<output_dir>/token_cache``).

    Model
    -----
    pretrained_pipeline : str, optional
        Start from a saved ``Video2EEGPipeline`` (folder or Hub id) instead of a fresh model.
    model_config : dict or JSON str
        Keyword arguments for ``Video2EEGConfig`` (e.g. ``hidden_size``); subject ids, emotion
        labels and EEG statistics are filled in from the dataset.
    denoiser_config : dict or JSON str
        Keyword arguments for ``EEGDenoiser``.
    video_encoder : str
        ``"low_level"`` (weight-free default) or a ``transformers`` model id/folder for a frozen
        vision backbone.
    video_encoder_config : dict or JSON str
        Extra keyword arguments for the video encoder.
    unconditional : bool
        Blank every condition (zero video tokens, the first subject, the null emotion) in
        training and generation: the same network as an unconditional baseline.

    Objective and optimiser
    -----------------------
    prediction_type : {"epsilon", "v_prediction"}
        Default v: with the cosine schedule ``ᾱ_T`` is ~1e-8, so an ε-model's clean-signal
        estimate ``(x_t - σ_t ε̂) / α_t`` multiplies any ε error by ``1/α_T`` ~ 1e4 at the
        first sampler step (measured: generated EEG 10⁴× too large after a short run);
        v-prediction (Salimans & Ho, 2022) estimates ``α_t x_t - σ_t v̂`` with no such gain.
    num_train_timesteps, beta_schedule
        The DDPM training schedule (diffusers ``DDPMScheduler``).
    cond_dropout_prob : float
        Probability of replacing the emotion by the null class (classifier-free guidance).
    video_dropout_prob : float, optional
        Probability of replacing a clip's video tokens by the null video (zeros), so that the
        pipeline can guide over the video (``video_guidance_scale``). Recorded in the SPGN
        config. Default: the ``pretrained_pipeline``'s recorded value, else 0 (off).
    learning_rate, adam_beta1, adam_beta2, adam_weight_decay, adam_epsilon, max_grad_norm
    lr_scheduler, lr_warmup_steps
        Any ``diffusers.optimization.get_scheduler`` name and its warm-up.
    train_batch_size : int
        Per-process batch size.
    gradient_accumulation_steps : int
    num_train_epochs : int
    max_train_steps : int, optional
        Overrides ``num_train_epochs`` when given (optimiser steps); 0 skips supervised
        training (e.g. self-play rounds on a ``pretrained_pipeline``).
    mixed_precision : {"no", "fp16", "bf16"}
    use_ema, ema_decay, ema_power
        ``diffusers.training_utils.EMAModel`` settings (warm-up ``1 - (1 + step) ** -power``).

    Checkpoints, validation, logging
    --------------------------------
    output_dir : str
    checkpointing_steps : int
        ``accelerator.save_state`` every this many optimiser steps (0 disables).
    checkpoints_total_limit : int, optional
    resume_from_checkpoint : str, optional
        ``"latest"`` or a checkpoint folder.
    validation_steps : int
        Evaluate on the held-out split every this many steps (0: only at the end).
    num_validation_samples, validation_inference_steps, validation_guidance_scale
    validation_metrics : list of str
        Names from ``evaluation.report.METRICS`` computed at each validation.
    report_to : {"none", "tensorboard"}
        TensorBoard logging if ``tensorboard`` is installed.
    seed : int
    dataloader_num_workers : int

    Self-play (SPIN-Diffusion)
    --------------------------
    self_play_rounds : int
        Rounds after supervised training (0: none).
    self_play_steps : int
        Optimiser steps per round.
    self_play_beta : float
        Strength of the logistic loss on error differences. With β = 100 the loss saturated
        (trainee preferred real EEG in 99 % of pairs after 200 steps) and held-out spectra got
        worse; β = 10 kept it informative (see the learning report).
    self_play_sft_weight : float
        Weight of the supervised denoising loss added as a regulariser.
    self_play_learning_rate : float
    self_play_inference_steps : int
        DPM-Solver steps the frozen opponent uses to generate its samples.

    Hub
    ---
    push_to_hub : str, optional
        Repository id to upload the final pipeline to.
    hub_private : bool
    """

    # data
    dataset: str | None = None
    train_split: str = "train"
    eval_split: str | None = "test"
    dataset_revision: str | None = None
    max_train_samples: int | None = None
    max_eval_samples: int | None = None
    cache_dir: str | None = None
    # model
    pretrained_pipeline: str | None = None
    model_config: dict[str, Any] | str | None = None
    denoiser_config: dict[str, Any] | str | None = None
    video_encoder: str = "low_level"
    video_encoder_config: dict[str, Any] | str | None = None
    unconditional: bool = False
    # objective
    prediction_type: PredictionType = "v_prediction"
    num_train_timesteps: int = 1000
    beta_schedule: str = "squaredcos_cap_v2"
    cond_dropout_prob: float = 0.1
    video_dropout_prob: float | None = None
    # optimiser
    learning_rate: float = 1e-3
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_weight_decay: float = 1e-2
    adam_epsilon: float = 1e-8
    max_grad_norm: float = 1.0
    lr_scheduler: str = "constant_with_warmup"
    lr_warmup_steps: int = 100
    train_batch_size: int = 32
    gradient_accumulation_steps: int = 1
    num_train_epochs: int = 10
    max_train_steps: int | None = None
    mixed_precision: MixedPrecision = "no"
    use_ema: bool = True
    ema_decay: float = 0.999
    ema_power: float = 0.75
    # checkpoints, validation, logging
    output_dir: str | None = None
    checkpointing_steps: int = 500
    checkpoints_total_limit: int | None = 3
    resume_from_checkpoint: str | None = None
    validation_steps: int = 0
    num_validation_samples: int = 64
    validation_metrics: list[str] = field(default_factory=lambda: list(DEFAULT_VALIDATION_METRICS))
    validation_inference_steps: int = 20
    validation_guidance_scale: float = 1.0
    report_to: Literal["none", "tensorboard"] = "none"
    seed: int = 0
    dataloader_num_workers: int = 0
    # self-play
    self_play_rounds: int = 0
    self_play_steps: int = 200
    self_play_beta: float = 10.0
    self_play_sft_weight: float = 1.0
    self_play_learning_rate: float = 5e-5
    self_play_inference_steps: int = 10
    # hub
    push_to_hub: str | None = None
    hub_private: bool = False

    def __post_init__(self) -> None:
        self.model_config = _as_dict("model_config", self.model_config)
        self.denoiser_config = _as_dict("denoiser_config", self.denoiser_config)
        self.video_encoder_config = _as_dict("video_encoder_config", self.video_encoder_config)
        problems = []
        if not self.dataset:
            problems.append("dataset is required (a folder from `video2eeg align` or a Hub id)")
        if not self.output_dir:
            problems.append("output_dir is required")
        positive = (
            "train_batch_size",
            "gradient_accumulation_steps",
            "num_train_epochs",
            "num_train_timesteps",
            "num_validation_samples",
            "validation_inference_steps",
            "self_play_steps",
            "self_play_inference_steps",
        )
        for name in positive:
            if getattr(self, name) < 1:
                problems.append(f"{name} must be >= 1, got {getattr(self, name)}")
        non_negative = ("checkpointing_steps", "validation_steps", "lr_warmup_steps")
        non_negative += ("self_play_rounds", "dataloader_num_workers")
        for name in non_negative:
            if getattr(self, name) < 0:
                problems.append(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.max_train_steps is not None and self.max_train_steps < 0:
            problems.append(f"max_train_steps must be >= 0 or None, got {self.max_train_steps}")
        if not 0.0 <= self.cond_dropout_prob < 1.0:
            problems.append(f"cond_dropout_prob must be in [0, 1), got {self.cond_dropout_prob}")
        if self.video_dropout_prob is not None and not 0.0 <= self.video_dropout_prob < 1.0:
            problems.append(
                f"video_dropout_prob must be in [0, 1) or None, got {self.video_dropout_prob}"
            )
        if not 0.0 <= self.ema_decay < 1.0:
            problems.append(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        for name in ("learning_rate", "self_play_learning_rate", "self_play_beta"):
            if not (getattr(self, name) > 0 and math.isfinite(getattr(self, name))):
                problems.append(
                    f"{name} must be a positive finite number, got {getattr(self, name)}"
                )
        if self.max_grad_norm <= 0:
            problems.append(f"max_grad_norm must be > 0, got {self.max_grad_norm}")
        if self.self_play_sft_weight < 0:
            problems.append(f"self_play_sft_weight must be >= 0, got {self.self_play_sft_weight}")
        if self.prediction_type not in ("epsilon", "v_prediction"):
            problems.append(
                f"prediction_type must be 'epsilon' or 'v_prediction', got {self.prediction_type!r}"
            )
        if self.mixed_precision not in ("no", "fp16", "bf16"):
            problems.append(
                f"mixed_precision must be 'no', 'fp16' or 'bf16', got {self.mixed_precision!r}"
            )
        if problems:
            raise ValueError("Invalid training configuration: " + "; ".join(problems))

    @property
    def token_cache_dir(self) -> Path:
        """Folder of the per-clip video-token cache."""
        if self.cache_dir:
            return Path(self.cache_dir)
        return Path(str(self.output_dir)) / "token_cache"

    def to_dict(self) -> dict[str, Any]:
        """JSON/YAML-serialisable copy of every field."""
        return dataclasses.asdict(self)

    def save_yaml(self, path: str | Path) -> Path:
        """Write the configuration as YAML (atomically); returns the path."""
        import os
        import tempfile

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yaml.safe_dump(self.to_dict(), handle, sort_keys=False)
        os.replace(tmp, path)
        return path

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> TrainingConfig:
        """Read a YAML file of field values (unknown keys are an error), then apply overrides."""
        values = _read_yaml(path)
        values.update(overrides)
        return cls(**values)


def _field_names() -> set[str]:
    return {f.name for f in dataclasses.fields(TrainingConfig)}


def _read_yaml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file {str(path)!r} does not exist")
    values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(values, dict):
        raise ValueError(
            f"config file {str(path)!r} must hold a mapping of field: value, got {type(values).__name__}"
        )
    unknown = sorted(set(values) - _field_names())
    if unknown:
        raise ValueError(
            f"config file {str(path)!r} has unknown keys {unknown}; "
            f"known keys are the TrainingConfig fields (see `python -m training.train --help`)"
        )
    return values


def build_argument_parser(prog: str | None = None):
    """The ``HfArgumentParser`` over :class:`TrainingConfig`, plus ``--config PATH``."""
    from transformers import HfArgumentParser

    parser = HfArgumentParser(TrainingConfig, prog=prog)
    parser.add_argument("--config", type=str, default=None, help="YAML file of field values.")
    return parser


def parse_training_args(argv: Sequence[str] | None = None) -> TrainingConfig:
    """Build a :class:`TrainingConfig` from ``--config FILE.yaml`` and flags (flags win)."""
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_argument_parser()
    pre, _ = parser.parse_known_args(argv)
    if pre.config:
        parser.set_defaults(**_read_yaml(pre.config))
    config, extra = parser.parse_args_into_dataclasses(args=argv, look_for_args_file=False)
    del extra  # the --config namespace
    return config
