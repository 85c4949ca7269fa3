"""Checkpoint folders (atomic completion, latest, pruning) and EMA state in safetensors."""

from __future__ import annotations

import pytest
import torch
from diffusers.training_utils import EMAModel

from training import checkpoints as ckpt
from training.ema import EMA_FILE, load_ema, save_ema


def _make(output_dir, step, total_limit=None):
    partial = ckpt.partial_path(output_dir, step)
    partial.mkdir(parents=True)
    (partial / "model.safetensors").write_bytes(b"x")
    return ckpt.finalise(partial, ckpt.TrainingProgress(step, 1, 2), total_limit)


def test_latest_ignores_partial_folders_and_prunes(tmp_path):
    assert ckpt.resolve_checkpoint(tmp_path, "latest") is None
    _make(tmp_path, 5)
    _make(tmp_path, 20)
    ckpt.partial_path(tmp_path, 30).mkdir()  # a save killed half-way
    latest = ckpt.resolve_checkpoint(tmp_path, "latest")
    assert latest.name == "checkpoint-20"
    assert ckpt.read_progress(latest) == ckpt.TrainingProgress(20, 1, 2)
    _make(tmp_path, 40, total_limit=2)
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == ["checkpoint-20", "checkpoint-40"]
    assert ckpt.resolve_checkpoint(tmp_path, "checkpoint-20").name == "checkpoint-20"
    with pytest.raises(FileNotFoundError, match="not a complete checkpoint"):
        ckpt.resolve_checkpoint(tmp_path, "checkpoint-30.partial")


def test_ema_state_round_trips_through_safetensors(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    ema = EMAModel(model.parameters(), decay=0.9, use_ema_warmup=True, power=0.75)
    for _ in range(3):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p))
        ema.step(model.parameters())
    save_ema(ema, tmp_path)
    assert (tmp_path / EMA_FILE).is_file()
    fresh = EMAModel(model.parameters(), decay=0.5)
    load_ema(fresh, tmp_path)
    assert fresh.optimization_step == 3 and fresh.decay == 0.9 and fresh.use_ema_warmup
    for a, b in zip(ema.shadow_params, fresh.shadow_params, strict=True):
        assert torch.equal(a, b)
    other = EMAModel(torch.nn.Linear(5, 5).parameters())
    with pytest.raises(ValueError, match="EMA tensors"):
        load_ema(other, tmp_path)
