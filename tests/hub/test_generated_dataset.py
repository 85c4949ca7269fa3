"""A dataset made by the generation job (issue 5), pushed with ``video2eeg push-dataset``."""

from __future__ import annotations

import fnmatch
from fractions import Fraction

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from video2eeg.cli import main

pytestmark = [
    pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword"),
]


@pytest.fixture(scope="module")
def generated_folder(tiny_pipeline, tmp_path_factory):
    """2 clips × 1 subject × 2 emotions = 4 rows in 2 shards, finalised with its card."""
    from dataset_builder.generation import (
        GenerationPlan,
        GenerationSettings,
        finalize_generation,
        generate_dataset,
    )
    from dataset_builder.stimuli import VideoFolderStimuli
    from tests.fixtures.pipeline import write_cfr_video

    videos = tmp_path_factory.mktemp("gen-videos")
    write_cfr_video(videos / "clip.mp4", 96, Fraction(24))  # 4 s -> two 2 s windows
    settings = GenerationSettings(
        subjects=(1,),
        emotions=("negative", "positive"),
        num_inference_steps=2,
        batch_size=4,
        rows_per_shard=2,
        seed=5,
    )
    out = tmp_path_factory.mktemp("generated") / "dataset"
    stimuli = VideoFolderStimuli(videos)
    generate_dataset(
        tiny_pipeline, stimuli, out, settings, pipeline_id="me/tiny", revision="r0", progress=False
    )
    finalize_generation(
        out,
        GenerationPlan(stimuli, settings),
        pipeline_id="me/tiny",
        revision="r0",
        repo_id="video2eeg-tester/generated",
        evaluate=False,
    )
    return out


def test_generated_dataset_pushes_and_loads_back(
    generated_folder, hub_api, hub_repo_id, tmp_path, capsys
):
    from datasets import Array2D, ClassLabel, Video, load_dataset
    from huggingface_hub import DatasetCard

    repo_id = hub_repo_id("generated")
    assert main(["push-dataset", str(generated_folder), repo_id]) == 0
    assert "Pushed" in capsys.readouterr().out

    local_shards = sorted((generated_folder / "data").glob("*.parquet"))
    assert len(local_shards) == 2
    local = pa.concat_tables([pq.read_table(p) for p in local_shards]).to_pydict()
    remote = set(hub_api.list_repo_files(repo_id, repo_type="dataset"))
    assert {f"data/{p.name}" for p in local_shards} <= remote

    loaded = load_dataset(repo_id, split="train", cache_dir=str(tmp_path / "cache"))
    assert isinstance(loaded.features["video"], Video)
    assert loaded.features["eeg"] == Array2D((62, 400), "float32")
    assert isinstance(loaded.features["emotion"], ClassLabel)
    assert loaded["key"] == local["key"]
    np.testing.assert_array_equal(
        np.asarray(loaded["eeg"], dtype=np.float32), np.asarray(local["eeg"], dtype=np.float32)
    )
    frames = loaded[0]["video"].get_frames_in_range(0, 4).data
    assert frames.ndim == 4 and frames.shape[0] == 4 and frames.shape[1] == 3

    streamed = list(load_dataset(repo_id, split="train", streaming=True))
    assert [row["key"] for row in streamed] == local["key"]
    np.testing.assert_array_equal(np.asarray(streamed[-1]["eeg"]), np.asarray(local["eeg"][-1]))

    card = DatasetCard.load(repo_id, repo_type="dataset")
    (config,) = card.data.configs
    (data_files,) = config["data_files"]
    parquet = {f for f in remote if f.endswith(".parquet")}
    assert {f for f in parquet if fnmatch.fnmatch(f, data_files["path"])} == parquet
    assert "generated-data" in card.data.tags
    assert "`me/tiny` at revision `r0`" in card.text
