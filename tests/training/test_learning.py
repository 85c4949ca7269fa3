"""Small-budget learning check on the simulated SEED-DV fixture (the full proof is
``benchmarks/learning_report.py``).

150 optimiser steps of a small model on 180 clips (2 subjects, blocks 1-2), then EEG is
generated for the 90 held-out clips of block 3 and compared with the real held-out EEG and
with the simulator's ground truth. The same network at its initial weights (same seed, 0
steps) is the control: it must fail what the trained one passes.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.training import single_thread, tiny_training_config
from tests.training.helpers import REPO_ROOT, token_cache_dir

LEARNING_STEPS = 150


def _learning_report_module():
    spec = importlib.util.spec_from_file_location(
        "learning_report", REPO_ROOT / "benchmarks" / "learning_report.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def learned(aligned_dataset_dir, seed_dv_tree, trained_tiny_pipeline_dir, tmp_path_factory):
    from pipelines.pipeline_video2eeg import Video2EEGPipeline
    from training.trainer import train

    report = _learning_report_module()
    out = tmp_path_factory.mktemp("learning")
    cache = token_cache_dir(trained_tiny_pipeline_dir)  # same encoder settings: reuse tokens
    settings = {
        "model_config": {"hidden_size": 64, "num_attention_heads": 2, "position_frequencies": 2},
        "denoiser_config": {
            "patch_size": 20,
            "block_out_channels": [32, 64],
            "attention_head_dim": 16,
            "attention_levels": [],
            "time_embedding_dim": 32,
        },
        "train_batch_size": 16,
        "learning_rate": 3e-3,
        "lr_scheduler": "constant_with_warmup",
        "lr_warmup_steps": 10,
        "use_ema": False,  # an EMA over 150 steps would mostly average the early weights
        "checkpointing_steps": 0,
        "eval_split": None,
        "cache_dir": cache,
    }
    generated = {}
    with single_thread():
        for name, steps in (("initial", 0), ("trained", LEARNING_STEPS)):
            train(
                tiny_training_config(
                    aligned_dataset_dir, out / name, max_train_steps=steps, **settings
                )
            )
            pipe = Video2EEGPipeline.from_pretrained(str(out / name))
            pipe.set_progress_bar_config(disable=True)
            held = report.load_split_arrays(
                aligned_dataset_dir, "test", pipe.video_encoder, Path(cache)
            )
            settings_obj = report.LearningSettings(out=out, inference_steps=10)
            generated[name] = report.generate(pipe, held, settings_obj)
    truth = json.loads((seed_dv_tree / "ground_truth.json").read_text())
    true_peaks = {s: v["alpha_peak_hz"] for s, v in truth["subjects"].items()}
    return report, held, generated, true_peaks


def test_training_brings_spectra_and_covariance_towards_held_out_eeg(learned):
    report, held, generated, _ = learned
    initial = report.distances(held.eeg, generated["initial"], held.subjects, held.subjects)
    trained = report.distances(held.eeg, generated["trained"], held.subjects, held.subjects)
    for scope in ("pooled", "per_subject_mean"):
        assert trained[scope]["log_psd_db"] < 0.6 * initial[scope]["log_psd_db"], (initial, trained)
        assert trained[scope]["covariance_riemann"] < 0.8 * initial[scope]["covariance_riemann"]


def test_each_subject_gets_its_own_alpha_peak(learned):
    report, held, generated, true_peaks = learned
    assert len(true_peaks) == 2 and abs(true_peaks["1"] - true_peaks["2"]) > 1.0
    peaks = {name: report.alpha_peaks(eeg, held.subjects) for name, eeg in generated.items()}

    def own_peak_is_nearest(found):
        return all(
            np.isfinite(found[s])
            and abs(found[s] - true_peaks[s])
            < min(abs(found[s] - true_peaks[o]) for o in true_peaks if o != s)
            for s in true_peaks
        )

    assert own_peak_is_nearest(peaks["trained"]), (peaks, true_peaks)
    assert all(abs(peaks["trained"][s] - true_peaks[s]) < 1.0 for s in true_peaks)
    assert not own_peak_is_nearest(peaks["initial"])  # the control cannot tell subjects apart
