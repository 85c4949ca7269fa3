"""Test data for the Hub tests: tiny mp4 clips, EEG rows, Parquet shards and a card."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

N_TRAIN, N_TEST = 5, 2
EMOTIONS = ["negative", "neutral", "positive"]


def tiny_mp4(n_frames: int, value: int) -> bytes:
    """A 32×32, 24 fps H.264 clip whose frames are uniformly gray ``value``."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "10"}
        frame = np.full((32, 32, 3), value, dtype=np.uint8)
        for _ in range(n_frames):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return buffer.getvalue()


def gray_level(row_index: int) -> int:
    """Gray value of the clip of row ``row_index`` (rows are told apart by their video)."""
    return 30 + 25 * row_index


def eeg_rows(n: int, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((n, 62, 400)) * 20).astype(np.float32)


def make_dataset(n: int, offset: int, seed: int):
    from datasets import Array2D, ClassLabel, Dataset, Features, Value, Video

    features = Features(
        {
            "video": Video(),
            "eeg": Array2D((62, 400), "float32"),
            "subject": Value("int32"),
            "emotion": ClassLabel(names=EMOTIONS),
            "emotion_source": Value("string"),
        }
    )
    return Dataset.from_dict(
        {
            "video": [tiny_mp4(6, gray_level(offset + i)) for i in range(n)],
            "eeg": eeg_rows(n, seed),
            "subject": [1 + (offset + i) % 2 for i in range(n)],
            "emotion": [(offset + i) % 3 for i in range(n)],
            "emotion_source": ["test mapping"] * n,
        },
        features=features,
    )


def write_shards(folder: Path, split: str, dataset, n_shards: int) -> list[Path]:
    paths = []
    for i in range(n_shards):
        path = folder / "data" / f"{split}-{i:05d}-of-{n_shards:05d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        dataset.shard(n_shards, i, contiguous=True).to_parquet(str(path))
        paths.append(path)
    return paths


def write_card(folder: Path, repo_id: str = "video2eeg-tester/eeg-video") -> str:
    from hub_cards import DataProvenance, dataset_card_for_folder

    card = dataset_card_for_folder(
        folder,
        repo_id=repo_id,
        pretty_name="Tiny video-EEG test set",
        provenance=DataProvenance(
            kind="simulated", emotion_source="test mapping", seeds={"simulator": 7}
        ),
        figures=["figures/psd.png"],
    )
    card.save(folder / "README.md")
    return str(card)
