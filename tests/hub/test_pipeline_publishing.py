"""``push_pipeline_folder`` / ``video2eeg push-pipeline`` with a real (tiny) diffusers pipeline."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from dataset_builder.publishing import push_pipeline_folder
from video2eeg.cli import main

pytestmark = [
    pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The `local_dir_use_symlinks` argument is deprecated"),
]


def _ddpm(seed: int):
    from diffusers import DDPMPipeline, DDPMScheduler, UNet2DModel

    torch.manual_seed(seed)
    unet = UNet2DModel(
        sample_size=8,
        in_channels=1,
        out_channels=1,
        layers_per_block=1,
        block_out_channels=(8, 8),
        down_block_types=("DownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "UpBlock2D"),
        norm_num_groups=4,
    )
    return DDPMPipeline(unet=unet, scheduler=DDPMScheduler(num_train_timesteps=10))


def _sample(pipe) -> np.ndarray:
    generator = torch.Generator().manual_seed(0)
    return pipe(batch_size=1, num_inference_steps=2, generator=generator, output_type="np").images


def test_cli_push_pipeline_then_pull_by_revision(tmp_path, hub_api, hub_repo_id, hf_cache, capsys):
    from diffusers import DDPMPipeline
    from huggingface_hub import ModelCard

    repo_id = hub_repo_id("pipe")
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"spectral": {"alpha_corr": 0.75}, "fid": 2.5, "label": "x"}))
    card_args = ["--training-data", "simulated", "--emotion-source", "simulator ground truth"]
    card_args += ["--metrics", str(report), "--eval-dataset", "u/sim", "--seed", "train=3"]

    first, second = _ddpm(0), _ddpm(1)
    first.save_pretrained(tmp_path / "v1")
    assert main(["push-pipeline", str(tmp_path / "v1"), repo_id, *card_args]) == 0
    assert "Pushed" in capsys.readouterr().out
    v1 = hub_api.model_info(repo_id).sha
    assert main(["push-pipeline", str(tmp_path / "v1"), repo_id, *card_args]) == 0
    assert "no new commit" in capsys.readouterr().out
    second.save_pretrained(tmp_path / "v2")
    assert main(["push-pipeline", str(tmp_path / "v2"), repo_id, *card_args]) == 0

    files = set(hub_api.list_repo_files(repo_id))
    assert {"model_index.json", "unet/diffusion_pytorch_model.safetensors", "README.md"} <= files
    pinned = DDPMPipeline.from_pretrained(repo_id, revision=v1, cache_dir=hf_cache)
    latest = DDPMPipeline.from_pretrained(repo_id, cache_dir=hf_cache)
    # Pulled from the Hub == loaded from the folder that was pushed, bit for bit (same seed).
    got_v1, got_v2 = _sample(pinned), _sample(latest)
    np.testing.assert_array_equal(got_v1, _sample(DDPMPipeline.from_pretrained(tmp_path / "v1")))
    np.testing.assert_array_equal(got_v2, _sample(DDPMPipeline.from_pretrained(tmp_path / "v2")))
    np.testing.assert_allclose(got_v1, _sample(first), rtol=0, atol=1e-5)
    assert not np.allclose(got_v1, got_v2, atol=1e-3)

    card = ModelCard.load(repo_id)
    results = {r.metric_type: r.metric_value for r in card.data.eval_results}
    assert results == {"spectral.alpha_corr": 0.75, "fid": 2.5}
    assert "train = 3" in card.text


def test_bad_pipeline_folders_fail_before_any_request(tmp_path, hub_server, hub_token):
    good = tmp_path / "good"
    _ddpm(0).save_pretrained(good)
    (good / "README.md").write_text("---\nlicense: apache-2.0\n---\n# card\n")
    pickled = tmp_path / "pickled"
    _ddpm(0).save_pretrained(pickled, safe_serialization=False)
    (pickled / "README.md").write_text("---\nlicense: apache-2.0\n---\n")
    no_index = tmp_path / "no-index"
    no_index.mkdir()
    no_card = tmp_path / "no-card"
    _ddpm(0).save_pretrained(no_card)
    broken = tmp_path / "broken"
    _ddpm(0).save_pretrained(broken)
    (broken / "README.md").write_text("---\nlicense: apache-2.0\n---\n")
    for path in (broken / "unet").iterdir():
        path.unlink()
    cases = [
        (good, "not a valid id!", "repo_id"),
        (tmp_path / "missing", "u/p", "does not exist"),
        (pickled, "u/p", "pickle-based"),
        (no_index, "u/p", "model_index.json is missing"),
        (no_card, "u/p", "no README.md"),
        (broken, "u/p", "component 'unet'"),
    ]
    for folder, repo_id, message in cases:
        mark = len(hub_server.requests)
        with pytest.raises((ValueError, OSError), match=message):
            push_pipeline_folder(folder, repo_id)
        assert hub_server.requests_since(mark) == [], folder
