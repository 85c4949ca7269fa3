"""A tiny trained-shape Video2EEGPipeline pushed to and pulled from the test hub."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from video2eeg.cli import main

pytestmark = [
    pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The `local_dir_use_symlinks` argument is deprecated"),
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword"),
]


def _generate(pipe) -> np.ndarray:
    """EEG for one fixed token clip, subject = first known id, seed 0 (2 DPM-Solver steps)."""
    spgn = pipe.spgn.config
    generator = torch.Generator().manual_seed(123)
    tokens = torch.rand(
        1,
        pipe.video_encoder.config.num_frames,
        pipe.video_encoder.config.token_dim,
        generator=generator,
    )
    out = pipe(
        video_tokens=tokens,
        subject=spgn.subject_ids[0],
        emotion=spgn.emotion_labels[-1],
        num_inference_steps=2,
        generator=torch.Generator().manual_seed(0),
        output_type="np",
    )
    return np.asarray(out.eeg)


@pytest.fixture(scope="module")
def pushed_pipeline(tiny_pipeline, hub_api, tmp_path_factory):
    """``tiny_pipeline`` pushed with ``push_to_hub`` (v1), then a perturbed copy (v2).

    Returns the repo id, v1's commit id and the two pipelines as loaded from local
    ``save_pretrained`` folders (the reference a pull must reproduce bit for bit).
    """
    from pipelines import Video2EEGPipeline

    repo_id = "video2eeg-tester/tiny-video2eeg-pipeline"
    tiny_pipeline.push_to_hub(repo_id)
    v1 = hub_api.model_info(repo_id).sha
    root = tmp_path_factory.mktemp("pushed")
    tiny_pipeline.save_pretrained(root / "v1")
    v2 = Video2EEGPipeline.from_pretrained(root / "v1")
    with torch.no_grad():
        for parameter in v2.denoiser.parameters():
            parameter.add_(0.05)
    v2.push_to_hub(repo_id, commit_message="v2: perturbed denoiser")
    v2.save_pretrained(root / "v2")
    local = {name: Video2EEGPipeline.from_pretrained(root / name) for name in ("v1", "v2")}
    for pipe in local.values():
        pipe.set_progress_bar_config(disable=True)
    return repo_id, v1, local


def test_from_pretrained_by_repo_id_and_revision_generates_identical_eeg(
    pushed_pipeline, tiny_pipeline, hub_api, hf_cache
):
    from pipelines import Video2EEGPipeline

    repo_id, v1, local = pushed_pipeline
    files = hub_api.list_repo_files(repo_id)
    assert "model_index.json" in files
    assert any(f.startswith("denoiser/") and f.endswith(".safetensors") for f in files)
    assert not any(f.endswith((".bin", ".pt", ".pkl")) for f in files)

    pulled = {
        "v1": Video2EEGPipeline.from_pretrained(repo_id, revision=v1, cache_dir=hf_cache),
        "v2": Video2EEGPipeline.from_pretrained(repo_id, cache_dir=hf_cache),
    }
    for pipe in pulled.values():
        pipe.set_progress_bar_config(disable=True)
    assert type(pulled["v1"].scheduler) is type(tiny_pipeline.scheduler)
    got = {name: _generate(pipe) for name, pipe in pulled.items()}
    assert got["v1"].shape == (1, 62, 400)
    # Same seed -> identical EEG to the pushed pipeline loaded locally, bit for bit.
    np.testing.assert_array_equal(got["v1"], _generate(local["v1"]))
    np.testing.assert_array_equal(got["v2"], _generate(local["v2"]))
    # The in-memory original agrees up to float32 rounding (loaded weights may take other
    # kernels), and v2 really is another model.
    np.testing.assert_allclose(got["v1"], _generate(tiny_pipeline), rtol=1e-5, atol=1e-3)
    assert not np.allclose(got["v1"], got["v2"], atol=1.0)


def test_self_contained_layout_pushed_with_the_cli_loads_with_remote_code(
    tiny_pipeline, hub_repo_id, hf_cache, tmp_path, capsys
):
    from diffusers import DiffusionPipeline
    from huggingface_hub import ModelCard

    from pipelines import save_self_contained

    repo_id = hub_repo_id("remote-code")
    folder = save_self_contained(tiny_pipeline, tmp_path / "self-contained")
    args = ["push-pipeline", str(folder), repo_id, "--training-data", "simulated"]
    assert main([*args, "--emotion-source", "simulator ground truth"]) == 0
    assert "Pushed" in capsys.readouterr().out

    pulled = DiffusionPipeline.from_pretrained(repo_id, trust_remote_code=True, cache_dir=hf_cache)
    pulled.set_progress_bar_config(disable=True)
    # Loaded from the bundled code, not from this package's classes.
    assert type(pulled).__module__ != type(tiny_pipeline).__module__
    np.testing.assert_allclose(_generate(pulled), _generate(tiny_pipeline), rtol=1e-5, atol=1e-3)
    card = ModelCard.load(repo_id)
    assert card.data.library_name == "diffusers" and "simulated-data" in card.data.tags
