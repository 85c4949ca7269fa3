"""A SPIN-Diffusion round on the trained tiny pipeline, pushed to the (test) Hub."""

from __future__ import annotations

import json
import math

import torch

from tests.fixtures.training import single_thread, tiny_training_config
from tests.training.helpers import load_tensors, token_cache_dir


def test_self_play_round_then_push(
    trained_tiny_pipeline_dir, aligned_dataset_dir, tmp_path, hub_api, hub_repo_id
):
    from training.trainer import train

    out = tmp_path / "self-play"
    repo = hub_repo_id("self-play")
    config = tiny_training_config(
        aligned_dataset_dir,
        out,
        pretrained_pipeline=str(trained_tiny_pipeline_dir),
        cache_dir=token_cache_dir(trained_tiny_pipeline_dir),
        max_train_steps=0,
        self_play_rounds=1,
        self_play_steps=2,
        self_play_inference_steps=2,
        push_to_hub=repo,
    )
    with single_thread():
        result = train(config)

    # round 0 is the supervised model: same held-out clips and seeds as the fixture's own
    # final validation, hence the same numbers
    assert [r["round"] for r in result.self_play] == [0, 1]
    fixture_final = json.loads(
        next((trained_tiny_pipeline_dir / "validation").glob("final-step-*.json")).read_text()
    )

    def values(report):
        return {name: m["value"] for name, m in report["metrics"]["metrics"].items()}

    assert values(result.self_play[0]) == values(fixture_final)
    round1 = result.self_play[1]
    assert round1["beta"] == config.self_play_beta and round1["seed"] == config.seed
    assert all(math.isfinite(v) for v in round1["train_tail_mean"].values())
    assert math.isfinite(round1["metrics"]["metrics"]["covariance"]["value"])

    # the opponent generated one clip per training condition
    shard = load_tensors(out / "self_play" / "round-1" / "generated-rank0-of-1.safetensors")
    n_train = 180  # aligned_dataset_dir: 3 recordings x 2 train blocks x 30 clips
    assert sorted(shard["rows"].tolist()) == list(range(n_train))
    assert shard["eeg"].shape == (n_train, 62, 400) and torch.isfinite(shard["eeg"]).all()

    # self-play changed the published weights (and only through training: same keys)
    before = load_tensors(
        trained_tiny_pipeline_dir / "denoiser/diffusion_pytorch_model.safetensors"
    )
    after = load_tensors(out / "denoiser/diffusion_pytorch_model.safetensors")
    assert sorted(before) == sorted(after)
    assert any(not torch.equal(before[k], after[k]) for k in before)

    files = set(hub_api.list_repo_files(repo))
    assert {"model_index.json", "spgn/config.json", "denoiser/config.json"} <= files
    assert "training_report.json" in files
    assert not any(f.startswith(("checkpoints/", "token_cache/", "self_play/")) for f in files)
