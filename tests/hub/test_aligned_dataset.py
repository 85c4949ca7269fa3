"""``video2eeg push-dataset`` on a folder written by ``video2eeg align`` (issue 5), loaded back."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from video2eeg.cli import main

pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


def _local_split(folder, split: str) -> pa.Table:
    """A split read straight from the local shards with pyarrow (no datasets, no hub)."""
    files = sorted((folder / "data").glob(f"{split}-*.parquet"))
    return pa.concat_tables(
        [pq.read_table(f, columns=["eeg", "subject", "concept"]) for f in files]
    )


def _eeg(table: pa.Table) -> np.ndarray:
    """``(n, 62, 400)`` float32 from the Array2D column's list<list<float>> storage."""
    column = table.column("eeg").combine_chunks()
    if isinstance(column, pa.ExtensionArray):  # datasets registered its Array2D type
        column = column.storage
    values = column.flatten().flatten().to_numpy()
    return values.reshape(table.num_rows, 62, 400)


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
        assert ds.num_rows == local.num_rows
        eeg = ds.with_format("numpy")[:]["eeg"]
        assert eeg.shape[1:] == (62, 400) and eeg.dtype == np.float32
        np.testing.assert_array_equal(eeg, _eeg(local))
        assert ds["subject"] == local["subject"].to_pylist()
        assert ds["concept"] == local["concept"].to_pylist()
        first = ds[0]["video"]
        frames = first.get_frames_in_range(0, first.metadata.num_frames).data
        assert frames.ndim == 4 and frames.shape[0] >= 1 and frames.shape[1] == 3

    streamed = next(iter(load_dataset(repo_id, split="test", streaming=True)))
    np.testing.assert_array_equal(
        np.asarray(streamed["eeg"]), _eeg(_local_split(aligned_dataset_dir, "test"))[0]
    )

    card = DatasetCard.load(repo_id, repo_type="dataset")
    assert card.text == DatasetCard((aligned_dataset_dir / "README.md").read_text()).text
