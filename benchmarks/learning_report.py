"""Learning proof: does a trained Video2EEG model follow its conditions? (simulated SEED-DV)

The simulator (``dataset_builder.simulator``) writes EEG with known ground truth: each
subject's alpha peak frequency, video motion suppressing occipital alpha, emotion effects
(frontal alpha asymmetry, temporal beta/gamma). This script

1. simulates a small SEED-DV tree (``--subjects`` subjects, the last ``--new-subjects`` kept out
   of training for the adaptation check; ``--blocks`` blocks, the last one held out;
   ``--concepts``), aligns it into two datasets (training subjects / new subjects);
2. trains the conditional model (``--video-dropout-prob`` of its clips also see the null video,
   so that sampling can guide over the video), and an unconditional model of the same size
   (every condition blanked) with the same steps and seed;
3. runs ``--self-play-rounds`` SPIN-Diffusion rounds from the conditional model;
4. generates EEG for every held-out clip of the training subjects with each model, at every
   pair of ``--guidance-scales`` (emotion) and ``--video-guidance-scales``, and checks
   (a) each subject's alpha peak within 0.5 Hz of the simulator's,
   (b) the motion -> occipital alpha slope: same sign as in the real held-out EEG and at least
       half its size,
   (c) a classifier trained on real training EEG recognises the conditioned emotion of the
       generated EEG above chance,
   (d) the conditional model beats the unconditional one and phase-randomised surrogates of
       the training data on the evaluation suite's log-PSD and covariance distances;
5. adapts the conditional model to each held-out subject from ``--adapt-clips`` clips and
   checks their alpha peaks within 0.5 Hz (before: the mean-subject embedding).
   ``--adaptation-only`` redoes just this step for an earlier report in ``--out`` (e.g. with
   more ``--new-subjects``: the trained subjects and their data stay the same).

Everything is seeded (``--seed``); figures go to ``<out>/learning_report.json`` and stdout.

Usage::

    .venv/bin/python benchmarks/learning_report.py --out /tmp/learning [--seed 0]
    .venv/bin/python benchmarks/learning_report.py --out /tmp/small --small   # ~test size
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

ALPHA_TOLERANCE_HZ = 0.5


@dataclass
class LearningSettings:
    """Sizes and budgets of one learning run (defaults: the full report, minutes on 2 cores)."""

    out: Path
    seed: int = 0
    n_subjects: int = 4
    n_blocks: int = 4
    n_concepts: int = 12
    steps: int = 4000
    batch_size: int = 32
    learning_rate: float = 3e-3
    hidden_size: int = 128
    block_out_channels: list[int] = field(default_factory=lambda: [32, 64])
    patch_size: int = 20
    num_frames: int = 4
    inference_steps: int = 50
    guidance_scales: list[float] = field(default_factory=lambda: [1.0, 6.0])
    video_dropout_prob: float = 0.1
    video_guidance_scales: list[float] = field(default_factory=lambda: [1.0, 3.0, 6.0])
    self_play_rounds: int = 1
    self_play_steps: int = 200
    self_play_beta: float = 10.0
    self_play_learning_rate: float = 5e-5
    n_new_subjects: int = 1
    adapt_clips: int = 20
    adapt_steps: int = 200
    adapt_spectral_weight: float = 5.0  # the library default (adaptation.DEFAULT_SPECTRAL_WEIGHT)
    adapt_spectral_sampling_steps: int = 6
    threads: int = 2

    @classmethod
    def small(cls, out: Path, seed: int = 0) -> LearningSettings:
        """Test size: 3 subjects (2 trained), 3 blocks, 6 concepts, a short run."""
        return cls(
            out=out,
            seed=seed,
            n_subjects=3,
            n_blocks=3,
            n_concepts=6,
            steps=150,
            batch_size=32,
            hidden_size=32,
            block_out_channels=[16, 32],
            patch_size=20,
            inference_steps=10,
            guidance_scales=[1.0],
            video_guidance_scales=[1.0],
            self_play_rounds=0,
            adapt_clips=20,
            adapt_steps=60,
            adapt_spectral_sampling_steps=2,
            threads=1,
        )


# ---------------------------------------------------------------------------- data
def build_datasets(s: LearningSettings) -> dict[str, Any]:
    """Simulate the tree and align it: training subjects, and the held-out new subjects."""
    from dataset_builder.builder import AlignOptions, write_aligned_dataset
    from dataset_builder.layout import SEEDDVLayout
    from dataset_builder.simulator import load_ground_truth, simulate_seed_dv

    layout = SEEDDVLayout(
        n_subjects=s.n_subjects, second_sessions=(), n_blocks=s.n_blocks, n_concepts=s.n_concepts
    )
    # one folder per layout: the simulator and the aligner refuse to extend what they wrote
    # with other settings (e.g. a later --adaptation-only with more --new-subjects)
    data_dir = s.out / f"data_{s.n_subjects}x{s.n_blocks}x{s.n_concepts}"
    tree = data_dir / "seed_dv"
    simulate_seed_dv(tree, seed=s.seed, layout=layout, progress=False)
    splits = {"train": tuple(range(1, s.n_blocks)), "test": (s.n_blocks,)}
    # a subject's simulated EEG depends only on (seed, subject): more new subjects leave the
    # training subjects' data unchanged
    first_new = s.n_subjects - s.n_new_subjects + 1
    trained = tuple(range(1, first_new))
    new = tuple(range(first_new, s.n_subjects + 1))
    paths = {}
    for name, subjects in (("train_subjects", trained), ("new_subject", new)):
        paths[name] = data_dir / f"dataset_{name}"
        write_aligned_dataset(
            tree,
            paths[name],
            layout=layout,
            options=AlignOptions(use_ground_truth=True, split_blocks=splits, subjects=subjects),
            progress=False,
        )
    return {
        "paths": paths,
        "ground_truth": load_ground_truth(tree),
        "trained_subjects": list(trained),
        "new_subjects": list(new),
    }


def training_config(s: LearningSettings, dataset: Path, output_dir: Path, **overrides):
    from training.config import TrainingConfig

    values = {
        "dataset": str(dataset),
        "output_dir": str(output_dir),
        "model_config": {
            "hidden_size": s.hidden_size,
            "num_attention_heads": 4 if s.hidden_size >= 64 else 2,
            "position_frequencies": 2,
        },
        "denoiser_config": {
            "patch_size": s.patch_size,
            "block_out_channels": list(s.block_out_channels),
            "attention_head_dim": 16,
            "attention_levels": [],
            "time_embedding_dim": 32,
        },
        "video_encoder_config": {"num_frames": s.num_frames, "image_size": 16},
        "train_batch_size": s.batch_size,
        "max_train_steps": s.steps,
        "learning_rate": s.learning_rate,
        "lr_scheduler": "cosine",
        "lr_warmup_steps": max(1, s.steps // 20),
        "checkpointing_steps": 0,
        "num_validation_samples": 32,
        "validation_inference_steps": s.inference_steps,
        "cache_dir": str(s.out / "token_cache"),
        "seed": s.seed,
        "self_play_beta": s.self_play_beta,
        "self_play_steps": s.self_play_steps,
        "self_play_inference_steps": s.inference_steps,
    }
    values.update(overrides)
    return TrainingConfig(**values)


@dataclass
class HeldOut:
    """Held-out clips of one dataset: real EEG, conditions, and video tokens."""

    eeg: np.ndarray
    subjects: np.ndarray
    emotions: list[str]
    motion: np.ndarray
    tokens: Any

    def subset(self, rows: np.ndarray) -> HeldOut:
        """The clips where the boolean mask ``rows`` is true."""
        index = np.flatnonzero(rows)
        return HeldOut(
            eeg=self.eeg[index],
            subjects=self.subjects[index],
            emotions=[self.emotions[i] for i in index],
            motion=self.motion[index],
            tokens=self.tokens[index],
        )


def load_split_arrays(dataset: Path, split: str, encoder, cache_dir: Path) -> HeldOut:
    from training.data import VideoTokenCache, emotion_names_per_row, load_split

    ds = load_split(str(dataset), split)
    tokens = VideoTokenCache(cache_dir).load_or_compute(
        ds, encoder, encoder.config.num_frames, show_progress=False
    )
    return HeldOut(
        eeg=np.asarray(ds.with_format("numpy", columns=["eeg"])["eeg"], dtype=np.float32),
        subjects=np.asarray(ds["subject"]),
        emotions=list(emotion_names_per_row(ds)),
        motion=np.asarray(ds["optical_flow_score"], dtype=np.float64),
        tokens=tokens,
    )


def generate(
    pipe,
    held: HeldOut,
    s: LearningSettings,
    guidance_scale: float = 1.0,
    video_guidance_scale: float = 1.0,
    unconditional: bool = False,
) -> np.ndarray:
    """EEG for every held-out clip's condition (or blank conditions), seeded per clip."""
    import torch

    from training.sampling import generate_eeg

    n = len(held.subjects)
    if unconditional:
        tokens = torch.zeros_like(held.tokens)
        subjects = [int(pipe.spgn.config.subject_ids[0])] * n
        emotions: list = [None] * n
    else:
        tokens, subjects, emotions = held.tokens, held.subjects.tolist(), held.emotions
    return generate_eeg(
        pipe,
        tokens,
        subjects,
        emotions,
        num_inference_steps=s.inference_steps,
        guidance_scale=guidance_scale,
        video_guidance_scale=video_guidance_scale,
        seed=s.seed + 12345,
    ).numpy()


# ---------------------------------------------------------------------------- checks
def alpha_peaks(eeg: np.ndarray, subjects: np.ndarray) -> dict[str, float]:
    from evaluation.spectral import alpha_peak_frequency

    return alpha_peak_frequency(eeg, groups=subjects)


def occipital_alpha_log_power(eeg: np.ndarray, sfreq: float = 200.0) -> np.ndarray:
    """Per clip: log mean 8–13 Hz Welch power over parietal-occipital/occipital channels."""
    from evaluation.regions import posterior_indices
    from evaluation.spectral import welch_psd
    from modeling_video2eeg import SEED_CH_NAMES

    freqs, psd = welch_psd(eeg, sfreq)
    band = (freqs >= 8.0) & (freqs <= 13.0)
    posterior = posterior_indices(SEED_CH_NAMES)
    return np.log(psd[:, posterior][:, :, band].mean(axis=(1, 2)))


def motion_alpha_slope(eeg: np.ndarray, motion: np.ndarray, subjects: np.ndarray) -> float:
    """OLS slope of occipital log-alpha power on motion score, within subject (demeaned)."""
    y = occipital_alpha_log_power(eeg)
    x = motion.astype(np.float64).copy()
    y = y.astype(np.float64).copy()
    for subject in np.unique(subjects):
        rows = subjects == subject
        x[rows] -= x[rows].mean()
        y[rows] -= y[rows].mean()
    return float((x * y).sum() / (x * x).sum())


def distances(real: np.ndarray, other: np.ndarray, subjects_real, subjects_other) -> dict:
    """Log-PSD (dB) and Riemannian covariance distances, pooled and per-subject mean."""
    from evaluation.spatial import covariance_distance
    from evaluation.spectral import log_psd_distance

    pooled = {
        "log_psd_db": log_psd_distance(real, other)["value"],
        "covariance_riemann": covariance_distance(real, other)["value"],
    }
    per_subject = {"log_psd_db": [], "covariance_riemann": []}
    for subject in np.unique(subjects_real):
        a, b = real[subjects_real == subject], other[subjects_other == subject]
        per_subject["log_psd_db"].append(log_psd_distance(a, b)["value"])
        per_subject["covariance_riemann"].append(covariance_distance(a, b)["value"])
    return {
        "pooled": pooled,
        "per_subject_mean": {k: float(np.mean(v)) for k, v in per_subject.items()},
    }


def emotion_recognition(real_train, train_emotions, real_test, test_emotions, generated) -> dict:
    """Classifier trained on real training EEG, applied to the generated EEG (TRTS).

    ``p_value``: one-sided binomial test of the accuracy against chance.
    """
    from scipy.stats import binomtest

    from evaluation.conditional import conditional_fidelity

    result = conditional_fidelity(
        real_test,
        generated,
        np.asarray(test_emotions),
        np.asarray(test_emotions),
        train=real_train,
        train_labels=np.asarray(train_emotions),
        label_name="emotion",
    )
    n = len(test_emotions)
    accuracy, chance = result["trts"]["accuracy"], result["trts"]["chance"]
    p_value = binomtest(round(accuracy * n), n, chance, alternative="greater").pvalue
    return {
        "generated_accuracy": accuracy,
        "real_heldout_accuracy": result["trtr"]["accuracy"],
        "chance": chance,
        "majority": result["trts"]["majority"],
        "n": n,
        "p_value": float(p_value),
        "pass": bool(p_value < 0.01),
    }


def evaluate_generated(generated: np.ndarray, held: HeldOut, train: HeldOut, truth: dict) -> dict:
    """Checks (a)-(c) and the distances of (d) for one set of generated held-out clips."""
    peaks = alpha_peaks(generated, held.subjects)
    real_peaks = alpha_peaks(held.eeg, held.subjects)
    alpha = {
        str(s): {
            "true_hz": truth["subjects"][str(s)]["alpha_peak_hz"],
            "real_eeg_hz": real_peaks[str(s)],
            "generated_hz": peaks[str(s)],
            "error_hz": abs(peaks[str(s)] - truth["subjects"][str(s)]["alpha_peak_hz"]),
        }
        for s in np.unique(held.subjects)
    }
    slope_real = motion_alpha_slope(held.eeg, held.motion, held.subjects)
    slope_gen = motion_alpha_slope(generated, held.motion, held.subjects)
    same_sign = np.sign(slope_gen) == np.sign(slope_real)
    return {
        "alpha_peak": alpha,
        "alpha_peak_pass": all(v["error_hz"] <= ALPHA_TOLERANCE_HZ for v in alpha.values()),
        "motion_alpha": {
            "slope_real": slope_real,
            "slope_generated": slope_gen,
            "ratio": slope_gen / slope_real if slope_real else float("nan"),
            "pass": bool(same_sign and abs(slope_gen) >= 0.5 * abs(slope_real)),
        },
        "emotion": emotion_recognition(
            train.eeg, train.emotions, held.eeg, held.emotions, generated
        ),
        "distances": distances(held.eeg, generated, held.subjects, held.subjects),
    }


def compare_with_baselines(ours: dict, baselines: dict) -> dict[str, dict[str, bool]]:
    """``{scope: {"<metric> < <baseline>": bool}}`` for both distance scopes."""
    out: dict[str, dict[str, bool]] = {}
    for scope in ("per_subject_mean", "pooled"):
        out[scope] = {
            f"{metric} < {name}": bool(value < baselines[name][scope][metric])
            for name in baselines
            for metric, value in ours[scope].items()
        }
    return out


# ---------------------------------------------------------------------------- main
def check_adaptation(
    s: LearningSettings, data: dict, conditional: Path, encoder, cache: Path
) -> dict:
    """Adapt the conditional model to each held-out subject; alpha peaks before and after.

    Before: the mean-subject row that adaptation starts from.
    """
    from pipelines.pipeline_video2eeg import Video2EEGPipeline
    from training.adapt import adapt_pipeline

    new_dir = data["paths"]["new_subject"]
    truth = data["ground_truth"]
    new_held = load_split_arrays(new_dir, "test", encoder, cache)
    per_subject = {}
    for new in data["new_subjects"]:
        held = new_held.subset(new_held.subjects == new)
        before_pipe = Video2EEGPipeline.from_pretrained(str(conditional))
        before_pipe.set_progress_bar_config(disable=True)
        before_pipe.spgn.add_subject(new)
        adapted_dir = s.out / "adapted" / f"subject-{new}"
        adapt_pipeline(
            conditional,
            str(new_dir),
            adapted_dir,
            subject=new,
            num_clips=s.adapt_clips,
            num_steps=s.adapt_steps,
            seed=s.seed,
            spectral_weight=s.adapt_spectral_weight,
            spectral_sampling_steps=s.adapt_spectral_sampling_steps,
        )
        adapted_pipe = Video2EEGPipeline.from_pretrained(str(adapted_dir))
        adapted_pipe.set_progress_bar_config(disable=True)
        true_peak = truth["subjects"][str(new)]["alpha_peak_hz"]
        before = alpha_peaks(generate(before_pipe, held, s), held.subjects)[str(new)]
        after = alpha_peaks(generate(adapted_pipe, held, s), held.subjects)[str(new)]
        per_subject[str(new)] = {
            "true_hz": true_peak,
            "real_eeg_hz": alpha_peaks(held.eeg, held.subjects)[str(new)],
            "before_hz": before,
            "after_hz": after,
            "error_before_hz": abs(before - true_peak),
            "error_after_hz": abs(after - true_peak),
            "pass": abs(after - true_peak) <= ALPHA_TOLERANCE_HZ,
        }
    return {
        "clips": s.adapt_clips,
        "steps": s.adapt_steps,
        "spectral_weight": s.adapt_spectral_weight,
        "spectral_sampling_steps": s.adapt_spectral_sampling_steps,
        "subjects": per_subject,
        "n_pass": sum(v["pass"] for v in per_subject.values()),
        "n_pass_before": sum(
            v["error_before_hz"] <= ALPHA_TOLERANCE_HZ for v in per_subject.values()
        ),
        "pass": all(v["pass"] for v in per_subject.values()),
    }


def run(s: LearningSettings, adaptation_only: bool = False) -> dict:
    """The whole report; ``adaptation_only`` redoes just the adaptation of an earlier report."""
    import torch

    from pipelines.pipeline_video2eeg import Video2EEGPipeline
    from training.trainer import train

    torch.set_num_threads(s.threads)
    s.out.mkdir(parents=True, exist_ok=True)
    path = s.out / "learning_report.json"
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    data = build_datasets(s)
    timings["simulate_and_align_s"] = time.perf_counter() - t0
    train_dir = data["paths"]["train_subjects"]
    if adaptation_only:
        report = json.loads(path.read_text(encoding="utf-8"))
        conditional = s.out / "conditional"
        encoder = Video2EEGPipeline.from_pretrained(str(conditional)).video_encoder
        t0 = time.perf_counter()
        report["adaptation"] = check_adaptation(
            s, data, conditional, encoder, s.out / "token_cache"
        )
        report["timings"]["adaptation_s"] = time.perf_counter() - t0
        path.write_text(json.dumps(report, indent=2, default=float), encoding="utf-8")
        return report

    t0 = time.perf_counter()
    conditional = s.out / "conditional"
    if not (conditional / "model_index.json").is_file():
        train(training_config(s, train_dir, conditional, video_dropout_prob=s.video_dropout_prob))
    timings["train_conditional_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    unconditional = s.out / "unconditional"
    if not (unconditional / "model_index.json").is_file():
        train(training_config(s, train_dir, unconditional, unconditional=True))
    timings["train_unconditional_s"] = time.perf_counter() - t0
    rounds: list[Path] = []
    if s.self_play_rounds:
        t0 = time.perf_counter()
        sp_dir = s.out / f"self_play_beta{s.self_play_beta:g}_lr{s.self_play_learning_rate:g}"
        if not (sp_dir / "model_index.json").is_file():
            train(
                training_config(
                    s,
                    train_dir,
                    sp_dir,
                    pretrained_pipeline=str(conditional),
                    max_train_steps=0,
                    self_play_rounds=s.self_play_rounds,
                    self_play_learning_rate=s.self_play_learning_rate,
                )
            )
        rounds = [
            sp_dir / "self_play" / f"round-{k}" / "pipeline"
            for k in range(1, s.self_play_rounds + 1)
        ]
        timings["self_play_s"] = time.perf_counter() - t0

    pipe = Video2EEGPipeline.from_pretrained(str(conditional))
    pipe.set_progress_bar_config(disable=True)
    encoder = pipe.video_encoder
    cache = s.out / "token_cache"
    held = load_split_arrays(train_dir, "test", encoder, cache)
    train_arrays = load_split_arrays(train_dir, "train", encoder, cache)
    truth = data["ground_truth"]

    from evaluation.surrogates import phase_randomised

    rng = np.random.default_rng(s.seed)
    pick = rng.choice(len(train_arrays.subjects), size=len(held.subjects), replace=False)
    picked_subjects = train_arrays.subjects[pick]
    t0 = time.perf_counter()
    uncond_pipe = Video2EEGPipeline.from_pretrained(str(unconditional))
    uncond_pipe.set_progress_bar_config(disable=True)
    uncond_eeg = generate(uncond_pipe, held, s, unconditional=True)
    baseline_sets = {
        "unconditional": (uncond_eeg, held.subjects),
        # same random phases on every channel: keeps each clip's cross-spectra (covariance)
        "surrogates_multivariate": (
            phase_randomised(train_arrays.eeg[pick], multivariate=True, seed=s.seed),
            picked_subjects,
        ),
        # independent phases per channel: keeps each channel's spectrum only
        "surrogates_univariate": (
            phase_randomised(train_arrays.eeg[pick], multivariate=False, seed=s.seed),
            picked_subjects,
        ),
    }
    baselines = {
        name: distances(held.eeg, eeg, held.subjects, subjects)
        for name, (eeg, subjects) in baseline_sets.items()
    }
    # not a baseline: the same training clips unscrambled, i.e. the real-vs-real floor that
    # the surrogates (exact per-clip spectra) sit on
    real_floor = distances(held.eeg, train_arrays.eeg[pick], held.subjects, picked_subjects)
    models = {"conditional": pipe}
    for k, round_dir in enumerate(rounds, start=1):
        models[f"self_play_round_{k}"] = Video2EEGPipeline.from_pretrained(str(round_dir))
        models[f"self_play_round_{k}"].set_progress_bar_config(disable=True)
    reports: dict[str, Any] = {}
    for name, model in models.items():
        reports[name] = {}
        # guidance over the video only where the model learned the null video
        video_scales = s.video_guidance_scales if model.spgn.config.video_dropout_prob else [1.0]
        for g in s.guidance_scales:
            for g_video in video_scales:
                eeg = generate(model, held, s, g, g_video)
                result = evaluate_generated(eeg, held, train_arrays, truth)
                result["beats_baselines"] = compare_with_baselines(result["distances"], baselines)
                reports[name][f"guidance_{g:g}_video_{g_video:g}"] = result
    unconditional_report = evaluate_generated(uncond_eeg, held, train_arrays, truth)
    timings["generate_and_evaluate_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    adaptation = check_adaptation(s, data, conditional, encoder, cache)
    timings["adaptation_s"] = time.perf_counter() - t0

    report = {
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(s).items()},
        "n_train_clips": len(train_arrays.subjects),
        "n_heldout_clips": len(held.subjects),
        "models": reports,
        "unconditional": unconditional_report,
        "baselines": baselines,
        "real_training_floor": real_floor,
        "adaptation": adaptation,
        "timings": timings,
    }
    path.write_text(json.dumps(report, indent=2, default=float), encoding="utf-8")
    return report


def summarise(report: dict) -> str:
    """Human-readable figures of a report (what the closing note quotes)."""
    lines = [
        f"{report['n_train_clips']} training clips, {report['n_heldout_clips']} held-out clips; "
        f"seed {report['settings']['seed']}"
    ]
    base = report["baselines"]
    for scope in ("per_subject_mean", "pooled"):
        lines.append(
            f"baselines ({scope}): "
            + "; ".join(
                f"{name} log-PSD {b[scope]['log_psd_db']:.2f} dB, cov {b[scope]['covariance_riemann']:.2f}"
                for name, b in base.items()
            )
        )
    if "real_training_floor" in report:
        floor = report["real_training_floor"]
        lines.append(
            "real training clips vs held-out (floor): "
            + "; ".join(
                f"{scope} log-PSD {floor[scope]['log_psd_db']:.2f} dB, "
                f"cov {floor[scope]['covariance_riemann']:.2f}"
                for scope in ("per_subject_mean", "pooled")
            )
        )
    for name, by_guidance in report["models"].items():
        for guidance, r in by_guidance.items():
            lines.append(f"== {name}, {guidance}")
            for subject, a in r["alpha_peak"].items():
                lines.append(
                    f"  (a) subject {subject}: true {a['true_hz']:.2f} Hz, real EEG "
                    f"{a['real_eeg_hz']:.2f}, generated {a['generated_hz']:.2f} "
                    f"(|err| {a['error_hz']:.2f})"
                )
            m = r["motion_alpha"]
            lines.append(
                f"  (b) motion->occipital log-alpha slope: real {m['slope_real']:.4f}, generated "
                f"{m['slope_generated']:.4f} (ratio {m['ratio']:.2f}) pass={m['pass']}"
            )
            e = r["emotion"]
            lines.append(
                f"  (c) emotion of generated EEG recognised: {e['generated_accuracy']:.3f} (chance "
                f"{e['chance']:.3f}, p={e['p_value']:.1e}; real held-out {e['real_heldout_accuracy']:.3f}) "
                f"pass={e['pass']}"
            )
            for scope in ("per_subject_mean", "pooled"):
                d = r["distances"][scope]
                wins = r["beats_baselines"][scope]
                lines.append(
                    f"  (d) {scope}: log-PSD {d['log_psd_db']:.2f} dB, cov {d['covariance_riemann']:.2f}; "
                    f"beats {sum(wins.values())}/{len(wins)}: "
                    + ", ".join(k for k, v in wins.items() if v)
                )
    u = report["unconditional"]
    lines.append(
        "== unconditional: alpha peaks "
        + ", ".join(f"{k} {v['generated_hz']:.2f}" for k, v in u["alpha_peak"].items())
        + f"; emotion {u['emotion']['generated_accuracy']:.3f}; motion ratio {u['motion_alpha']['ratio']:.2f}"
    )
    a = report["adaptation"]
    lines.append(
        f"== adaptation ({a['clips']} clips, {a['steps']} steps): {a['n_pass']}/{len(a['subjects'])} "
        f"new subjects within {ALPHA_TOLERANCE_HZ} Hz after, {a['n_pass_before']} before"
    )
    for subject, v in a["subjects"].items():
        lines.append(
            f"  subject {subject}: true {v['true_hz']:.2f} Hz (real EEG {v['real_eeg_hz']:.2f}), "
            f"before {v['before_hz']:.2f} (|err| {v['error_before_hz']:.2f}), after "
            f"{v['after_hz']:.2f} (|err| {v['error_after_hz']:.2f}) pass={v['pass']}"
        )
    lines.append("timings (s): " + ", ".join(f"{k} {v:.0f}" for k, v in report["timings"].items()))
    return "\n".join(lines)


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--small", action="store_true", help="test-sized run")
    parser.add_argument(
        "--adaptation-only", action="store_true", help="redo only the adaptation of --out's report"
    )
    parser.add_argument("--subjects", type=int, dest="n_subjects")
    parser.add_argument(
        "--new-subjects", type=int, dest="n_new_subjects", help="the last N are held out (1)"
    )
    parser.add_argument("--blocks", type=int, dest="n_blocks", help="the last is held out")
    parser.add_argument("--concepts", type=int, dest="n_concepts")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--self-play-rounds", type=int)
    parser.add_argument("--self-play-beta", type=float)
    parser.add_argument("--self-play-learning-rate", type=float)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--inference-steps", type=int)
    parser.add_argument("--video-dropout-prob", type=float)
    parser.add_argument(
        "--adapt-spectral-weight", type=float, help="spectral-fingerprint term (0: noise loss only)"
    )
    parser.add_argument("--guidance-scales", type=_floats, help="emotion, e.g. 1,6")
    parser.add_argument("--video-guidance-scales", type=_floats, help="video, e.g. 1,3,6")
    args = parser.parse_args(argv)
    settings = (
        LearningSettings.small(args.out, args.seed)
        if args.small
        else LearningSettings(out=args.out, seed=args.seed)
    )
    for name in (
        "n_subjects",
        "n_new_subjects",
        "n_blocks",
        "n_concepts",
        "steps",
        "self_play_rounds",
        "self_play_beta",
        "self_play_learning_rate",
        "threads",
        "inference_steps",
        "video_dropout_prob",
        "guidance_scales",
        "video_guidance_scales",
        "adapt_spectral_weight",
    ):
        if getattr(args, name) is not None:
            setattr(settings, name, getattr(args, name))
    report = run(settings, adaptation_only=args.adaptation_only)
    print(summarise(report))
    print(f"report: {settings.out / 'learning_report.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
