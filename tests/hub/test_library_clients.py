"""transformers, diffusers and datasets push to and pull from the test hub, unmodified.

The project's SPGN is the transformers model (PreTrainedModel, AutoModel-registered), its
EEG denoiser the diffusers model (ModelMixin).
"""

from __future__ import annotations

import copy
import fnmatch

import numpy as np
import pytest
import torch

from tests.hub.dataset_helpers import tiny_mp4

pytestmark = [
    # Raised inside huggingface_hub / diffusers by their own calls, not by the code under test.
    pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The `local_dir_use_symlinks` argument is deprecated"),
]


def test_project_models_push_and_pull_through_auto_classes(
    tiny_spgn, tiny_denoiser, hub_api, hub_repo_id, hf_cache
):
    from transformers import AutoModel

    from modeling_video2eeg import EEGDenoiser, SPGNModel

    spgn_repo, denoiser_repo = hub_repo_id("spgn"), hub_repo_id("denoiser")
    tiny_spgn.push_to_hub(spgn_repo)  # transformers PreTrainedModel.push_to_hub
    v1 = hub_api.model_info(spgn_repo).sha
    retrained = copy.deepcopy(tiny_spgn)
    with torch.no_grad():
        for parameter in retrained.parameters():
            parameter.add_(0.01)
    retrained.push_to_hub(spgn_repo, commit_message="v2")
    tiny_denoiser.push_to_hub(denoiser_repo)  # diffusers ModelMixin.push_to_hub

    files = hub_api.list_repo_files(spgn_repo)
    assert "model.safetensors" in files and not any(f.endswith(".bin") for f in files)
    spgn = AutoModel.from_pretrained(spgn_repo, revision=v1, cache_dir=hf_cache).eval()
    _assert_same_weights(AutoModel.from_pretrained(spgn_repo, cache_dir=hf_cache), retrained)
    denoiser = EEGDenoiser.from_pretrained(denoiser_repo, cache_dir=hf_cache).eval()
    assert isinstance(spgn, SPGNModel)
    assert spgn.config.subject_ids == tiny_spgn.config.subject_ids
    _assert_same_weights(spgn, tiny_spgn)
    _assert_same_weights(denoiser, tiny_denoiser)
    # Non-persistent buffers (electrode graph) are rebuilt, not left as meta-device garbage.
    for (name, a), (_, b) in zip(spgn.named_buffers(), tiny_spgn.named_buffers(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)

    generator = torch.Generator().manual_seed(0)
    config = tiny_spgn.config
    tokens = torch.rand(2, config.num_frames, config.video_token_dim, generator=generator)
    subjects = tiny_spgn.subject_index(config.subject_ids[:2])
    emotions = tiny_spgn.emotion_ids([0, config.null_emotion_id])
    sample = torch.randn(2, config.n_chans, config.n_times, generator=generator)
    with torch.no_grad():
        expected = tiny_spgn(tokens, subjects, emotions)
        got = spgn(tokens, subjects, emotions)
        torch.testing.assert_close(got.node_conditioning, expected.node_conditioning)
        t = torch.tensor([10, 500])
        torch.testing.assert_close(
            denoiser(sample, t, got.node_conditioning, got.video_tokens).sample,
            tiny_denoiser(sample, t, expected.node_conditioning, expected.video_tokens).sample,
        )


def _assert_same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        torch.testing.assert_close(sa[key], sb[key], rtol=0, atol=0, msg=key)


@pytest.fixture(scope="module")
def eeg_video_dataset():
    from datasets import Array2D, ClassLabel, Dataset, Features, Value, Video

    rng = np.random.default_rng(0)
    n = 4
    features = Features(
        {
            "video": Video(),
            "eeg": Array2D((62, 400), "float32"),
            "subject": Value("int32"),
            "emotion": ClassLabel(names=["negative", "neutral", "positive"]),
        }
    )
    data = {
        "video": [tiny_mp4(6, 40 + 50 * i) for i in range(n)],
        "eeg": (rng.standard_normal((n, 62, 400)) * 20).astype(np.float32),
        "subject": [1, 1, 2, 2],
        "emotion": [0, 1, 2, 1],
    }
    return Dataset.from_dict(data, features=features), data


def _check_rows(rows, expected) -> None:
    for i, row in enumerate(rows):
        np.testing.assert_array_equal(np.asarray(row["eeg"], dtype=np.float32), expected["eeg"][i])
        assert row["emotion"] == expected["emotion"][i]
        frames = row["video"].get_frames_in_range(0, 6).data  # (6, 3, 32, 32) uint8
        assert tuple(frames.shape) == (6, 3, 32, 32)
        assert abs(frames.float().mean().item() - (40 + 50 * i)) < 3


def test_datasets_push_to_hub_then_load_dataset_and_stream(
    eeg_video_dataset, hub_api, hub_repo_id, tmp_path
):
    from datasets import load_dataset

    dataset, expected = eeg_video_dataset
    repo_id = hub_repo_id("eeg-video")
    dataset.push_to_hub(repo_id, split="train")

    loaded = load_dataset(repo_id, split="train", cache_dir=str(tmp_path / "datasets"))
    assert loaded.features == dataset.features
    assert loaded.num_rows == 4
    _check_rows(loaded, expected)

    streamed = load_dataset(repo_id, split="train", streaming=True)
    _check_rows(list(streamed), expected)

    # The YAML configs written by push_to_hub point at the shards that are in the repo.
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(repo_id, repo_type="dataset")
    shards = [
        f for f in hub_api.list_repo_files(repo_id, repo_type="dataset") if f.endswith(".parquet")
    ]
    (config,) = card.data.configs
    (data_files,) = config["data_files"]
    assert data_files["split"] == "train"

    assert shards and all(fnmatch.fnmatch(s, data_files["path"]) for s in shards)
