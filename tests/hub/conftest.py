"""Fixtures of the Hub tests: a dataset folder of Parquet shards + card + figure."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.hub.dataset_helpers import (
    N_TEST,
    N_TRAIN,
    eeg_rows,
    make_dataset,
    write_card,
    write_shards,
)


@pytest.fixture(scope="session")
def dataset_source(tmp_path_factory) -> Path:
    """A dataset folder: train in 2 shards (5 rows), test in 1 (2 rows), README card, a figure."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("dataset-source")
    write_shards(folder, "train", make_dataset(N_TRAIN, 0, seed=0), 2)
    write_shards(folder, "test", make_dataset(N_TEST, N_TRAIN, seed=1), 1)
    (folder / "figures").mkdir()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(folder / "figures" / "psd.png")
    write_card(folder)
    return folder


@pytest.fixture
def dataset_folder(dataset_source, tmp_path) -> Path:
    """A private copy of ``dataset_source`` a test may change."""
    return Path(shutil.copytree(dataset_source, tmp_path / "dataset"))


@pytest.fixture(scope="session")
def expected_rows(dataset_source) -> dict[str, np.ndarray]:
    """EEG of each split as written, computed from the seeds (not read back from the shards)."""
    return {"train": eeg_rows(N_TRAIN, 0), "test": eeg_rows(N_TEST, 1)}
