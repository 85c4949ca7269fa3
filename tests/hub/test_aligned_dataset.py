"""``video2eeg push-dataset`` on a folder written by ``video2eeg align`` (issue 5), loaded back."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from video2eeg.cli import main

pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


def _local_split(folder, split: str) -> dict[str, list]:
    """Rows of a split read straight from the local shards with pyarrow (no datasets, no hub)."""
    files = sorted((folder / "data").glob(f"{split}-*.parquet"))
    table = (
        pq.read_table(files)
        if len(files) == 1
        else pa.concat_tables([pq.read_table(f) for f in files])
    )
    return table.to_pydict()


def test_push_aligned_dataset_and_load_it_back(
    aligned_dataset_dir, hub_api, hub_repo_id, tmp_path, capsys
):
    from datasets import load_dataset
    from huggingface_hub import DatasetCard

    repo_id = hub_repo_id("aligned")
    assert main(["push-dataset", str(aligned_dataset_dir), repo_id]) == 0
    assert "Pushed" in capsys.readouterr().out
    assert main(["push-dataset", str(aligned_dataset_dir), repo_id]) == 0
    assert "no new commit" in capsys.readouterr().out

    local_files = {
        p.relative_to(aligned_dataset_dir).as_posix()
        for p in aligned_dataset_dir.rglob("*.parquet")
    }
    remote = set(hub_api.list_repo_files(repo_id, repo_type="dataset"))
    assert local_files <= remote

    loaded = load_dataset(repo_id, cache_dir=str(tmp_path / "cache"))
    assert set(loaded) == {"train", "test"}
    for split, ds in loaded.items():
        local = _local_split(aligned_dataset_dir, split)
        assert ds.num_rows == len(local["eeg"])
        eeg = np.asarray(ds["eeg"], dtype=np.float32)
        assert eeg.shape[1:] == (62, 400)
        np.testing.assert_array_equal(eeg, np.asarray(local["eeg"], dtype=np.float32))
        assert ds["subject"] == local["subject"] and ds["concept"] == local["concept"]
        first = ds[0]["video"]
        frames = first.get_frames_in_range(0, first.metadata.num_frames).data
        assert frames.ndim == 4 and frames.shape[0] >= 1 and frames.shape[1] == 3

    streamed = next(iter(load_dataset(repo_id, split="test", streaming=True)))
    local_test = _local_split(aligned_dataset_dir, "test")
    np.testing.assert_array_equal(np.asarray(streamed["eeg"]), np.asarray(local_test["eeg"][0]))

    card = DatasetCard.load(repo_id, repo_type="dataset")
    assert card.text == DatasetCard((aligned_dataset_dir / "README.md").read_text()).text
