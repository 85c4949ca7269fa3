"""Kill a run (SIGKILL) after a checkpoint, resume it, get the uninterrupted run's weights."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.fixtures.training import (
    TINY_CHECKPOINT_EVERY,
    TINY_TRAIN_STEPS,
    single_thread,
    tiny_training_config,
)
from tests.training.helpers import REPO_ROOT, assert_same_tensors, load_tensors, token_cache_dir


def test_killed_run_resumes_bit_identically(
    trained_tiny_pipeline_dir, aligned_dataset_dir, tmp_path
):
    from training.trainer import train

    out = tmp_path / "run"
    cache = token_cache_dir(trained_tiny_pipeline_dir)
    kill_step = TINY_CHECKPOINT_EVERY + 1  # one step past the checkpoint: that step is lost
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tests/training/train_worker.py"), "kill",
         str(aligned_dataset_dir), str(out), cache, str(kill_step)],
        cwd=REPO_ROOT, env=dict(os.environ, OMP_NUM_THREADS="1"),
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert sorted(os.listdir(out / "checkpoints")) == [f"checkpoint-{TINY_CHECKPOINT_EVERY}"]
    assert not (out / "model_index.json").exists()  # it died before saving the pipeline

    with single_thread():
        result = train(
            tiny_training_config(
                aligned_dataset_dir, out, cache_dir=cache, resume_from_checkpoint="latest"
            )
        )
    assert result.global_step == TINY_TRAIN_STEPS
    assert len(result.losses) == TINY_TRAIN_STEPS - TINY_CHECKPOINT_EVERY  # only the rest ran

    # the uninterrupted fixture run, same seed: identical raw weights, optimiser-driven EMA,
    # and published pipeline weights, bit for bit
    reference = trained_tiny_pipeline_dir / "checkpoints" / f"checkpoint-{TINY_TRAIN_STEPS}"
    resumed = out / "checkpoints" / f"checkpoint-{TINY_TRAIN_STEPS}"
    for name in ("model.safetensors", "ema.safetensors"):
        assert_same_tensors(load_tensors(reference / name), load_tensors(resumed / name))
    for name in ("spgn/model.safetensors", "denoiser/diffusion_pytorch_model.safetensors"):
        assert_same_tensors(
            load_tensors(trained_tiny_pipeline_dir / name), load_tensors(out / name)
        )
