"""Training data: load the aligned triples, check them before training, cache video tokens.

* :func:`load_split` reads a split of a dataset written by ``video2eeg align`` (a local folder
  of Parquet shards) or a Hub dataset id, with the ``video`` column left as undecoded mp4
  bytes (decoding happens once, in the token cache).
* :func:`validate_dataset` checks required columns, the EEG shape and the labels against the
  model configuration and raises one ``ValueError`` that names every problem, so a bad
  dataset fails before any model is built or step is taken.
* :func:`eeg_channel_stats` gives the per-channel mean/std of the training EEG (written into
  the SPGN config so the denoiser works in normalised units and outputs come back in µV).
* :class:`VideoTokenCache` runs the frozen video encoder once per clip and stores the tokens
  in a safetensors file keyed by the dataset fingerprint and the encoder configuration;
  later epochs, later runs and the other DDP ranks read the file.
* :class:`ClipTensors` is the map-style ``torch`` dataset the training loop iterates over.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

REQUIRED_COLUMNS: tuple[str, ...] = ("video", "eeg", "subject", "emotion")
"""Columns the training loop reads (the data issue's aligned-dataset features)."""

EEG_SHAPE_HINT = "(n_chans, n_times) float32 microvolts in SEED channel order"


def load_split(dataset: str, split: str, revision: str | None = None):
    """Load one split of an aligned video-EEG dataset.

    Parameters
    ----------
    dataset : str
        A local folder (Parquet shards + README, as written by ``video2eeg align``) or a Hub
        dataset id.
    split : str
        Split name, e.g. ``"train"`` or ``"test"``.
    revision : str, optional
        Hub revision.

    Returns
    -------
    datasets.Dataset
        With the ``video`` column cast to ``Video(decode=False)`` (``{"bytes", "path"}``
        dicts) when it is a video feature.
    """
    import datasets

    path = Path(dataset).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"dataset must be a dataset folder or a Hub id, got the file {dataset!r}")
    source = str(path) if path.is_dir() else dataset
    try:
        ds = datasets.load_dataset(source, split=split, revision=revision)
    except ValueError as err:
        if "split" in str(err).lower():
            raise ValueError(f"dataset {dataset!r} has no split {split!r}: {err}") from err
        raise
    video = ds.features.get("video")
    if isinstance(video, datasets.Video) and video.decode:
        ds = ds.cast_column("video", datasets.Video(decode=False))
    return ds


def _eeg_feature_shape(ds) -> tuple[int, ...] | None:
    import datasets

    feature = ds.features.get("eeg")
    if isinstance(feature, datasets.Array2D | datasets.Array3D):
        return tuple(feature.shape)
    return None


def _label_names(ds, column: str) -> list[str] | None:
    import datasets

    feature = ds.features.get(column)
    if isinstance(feature, datasets.ClassLabel):
        return list(feature.names)
    return None


def validate_dataset(
    ds,
    *,
    n_chans: int,
    n_times: int,
    emotion_labels: Sequence[str] | None = None,
    subject_ids: Sequence[int] | None = None,
    split: str = "train",
) -> None:
    """Check a split before training; raise one ``ValueError`` naming every problem.

    Parameters
    ----------
    ds : datasets.Dataset
        The split to check.
    n_chans, n_times : int
        The EEG shape the model expects per clip.
    emotion_labels : sequence of str, optional
        The model configuration's emotion names; every emotion in the data must be one of
        them. ``None`` skips the check (a fresh model takes its labels from the data).
    subject_ids : sequence of int, optional
        External subject ids the model knows; ``None`` skips the check.
    split : str
        Name used in messages.

    Raises
    ------
    ValueError
        Missing columns, an empty split, EEG of another shape, or labels unknown to the model.
    """
    problems: list[str] = []
    columns = list(ds.column_names)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append(
            f"missing required columns {missing} (the split has {columns}; required: "
            f"{list(REQUIRED_COLUMNS)})"
        )
    if len(ds) == 0:
        problems.append("the split has no rows")
    if "eeg" in columns and len(ds):
        shape = _eeg_feature_shape(ds)
        if shape is None:
            shape = np.asarray(ds.with_format("numpy", columns=["eeg"])[0]["eeg"]).shape
        if tuple(shape) != (n_chans, n_times):
            problems.append(
                f"column 'eeg' has clips of shape {tuple(shape)}, expected ({n_chans}, {n_times}) "
                f"= {EEG_SHAPE_HINT}"
            )
    if "emotion" in columns and emotion_labels is not None and len(ds):
        names = dataset_emotion_names(ds)
        unknown = sorted(set(names) - set(emotion_labels))
        if unknown:
            problems.append(
                f"column 'emotion' has labels {unknown} that the model config does not know "
                f"(config.emotion_labels = {list(emotion_labels)})"
            )
    if "subject" in columns and subject_ids is not None and len(ds):
        present = sorted({int(s) for s in ds.unique("subject")})
        unknown_subjects = sorted(set(present) - {int(s) for s in subject_ids})
        if unknown_subjects:
            problems.append(
                f"column 'subject' has subjects {unknown_subjects} that the model does not know "
                f"(config.subject_ids = {list(subject_ids)}); add them with `video2eeg adapt`"
            )
    if problems:
        raise ValueError(
            f"Dataset split {split!r} cannot be used for training: " + "; ".join(problems)
        )


def dataset_emotion_names(ds) -> list[str]:
    """The emotion names used by a split (its ``ClassLabel`` names, or its distinct strings)."""
    names = _label_names(ds, "emotion")
    if names is not None:
        used = sorted({int(i) for i in ds.unique("emotion")})
        return [names[i] for i in used]
    return sorted({str(v) for v in ds.unique("emotion")})


def emotion_label_order(ds) -> list[str]:
    """All emotion names a dataset declares (``ClassLabel`` order), for a fresh model config."""
    names = _label_names(ds, "emotion")
    return names if names is not None else dataset_emotion_names(ds)


def emotion_names_per_row(ds) -> list[str]:
    """Per-row emotion names, ``len(ds)`` strings."""
    names = _label_names(ds, "emotion")
    values = ds["emotion"]
    if names is not None:
        return [names[int(v)] for v in values]
    return [str(v) for v in values]


def iter_eeg(ds, batch_size: int = 256):
    """Yield ``(start, eeg)`` with ``eeg`` float32 ``(batch, n_chans, n_times)`` numpy arrays."""
    view = ds.with_format("numpy", columns=["eeg"])
    for start in range(0, len(ds), batch_size):
        yield start, np.asarray(view[start : start + batch_size]["eeg"], dtype=np.float32)


def eeg_channel_stats(ds, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of the EEG over a split (float64 sums).

    Returns
    -------
    mean, std : np.ndarray
        Each ``(n_chans,)`` float64, microvolts.

    Raises
    ------
    ValueError
        If any clip holds NaN or Inf (its row indices are named) or a channel is flat.
    """
    total = None
    total_sq = None
    count = 0
    bad_rows: list[int] = []
    for start, eeg in iter_eeg(ds, batch_size):
        finite = np.isfinite(eeg).all(axis=(1, 2))
        if not finite.all():
            bad_rows.extend(int(start + i) for i in np.flatnonzero(~finite))
            continue
        eeg64 = eeg.astype(np.float64)
        sums = eeg64.sum(axis=(0, 2))
        sums_sq = np.square(eeg64).sum(axis=(0, 2))
        total = sums if total is None else total + sums
        total_sq = sums_sq if total_sq is None else total_sq + sums_sq
        count += eeg.shape[0] * eeg.shape[2]
    if bad_rows:
        raise ValueError(
            f"column 'eeg' holds NaN or Inf in {len(bad_rows)} rows (first: {bad_rows[:10]}); "
            "clean or drop them before training"
        )
    if total is None:
        raise ValueError("cannot compute EEG statistics of an empty split")
    mean = total / count
    std = np.sqrt(np.maximum(total_sq / count - mean**2, 0.0))
    flat = np.flatnonzero(std < 1e-6)
    if flat.size:
        raise ValueError(
            f"column 'eeg' has flat channels (std < 1e-6 µV) at indices {flat.tolist()}"
        )
    return mean, std


def _atomic_save_safetensors(tensors: dict[str, torch.Tensor], path: Path, metadata: dict) -> None:
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        save_file({k: v.contiguous() for k, v in tensors.items()}, tmp, metadata=metadata)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _encoder_signature(encoder) -> str:
    config = getattr(encoder, "config", None)
    items = dict(config) if config is not None else {}
    items = {k: v for k, v in items.items() if not k.startswith("_")}
    items["__class__"] = type(encoder).__name__
    return json.dumps(items, sort_keys=True, default=str)


def clip_frames(video: dict | bytes | str, num_frames: int) -> torch.Tensor:
    """Decode ``num_frames`` frames of a 2 s clip row (``{"bytes", "path"}``, bytes or path).

    Returns
    -------
    torch.Tensor
        uint8 ``(num_frames, 3, H, W)``.
    """
    from pipelines.video_io import read_clip_frames

    if isinstance(video, dict):
        source = video.get("bytes") or video.get("path")
        if source is None:
            raise ValueError("video row has neither 'bytes' nor 'path'")
    else:
        source = video
    return read_clip_frames(source, 0.0, 2.0, num_frames)


@dataclass
class VideoTokenCache:
    """Per-clip video tokens of a dataset split, computed once by a frozen encoder.

    Parameters
    ----------
    cache_dir : Path
        Folder of ``tokens-<key>.safetensors`` files.
    batch_size : int
        Clips decoded and encoded together.
    """

    cache_dir: Path
    batch_size: int = 32

    def key(self, ds, encoder, num_frames: int) -> str:
        """Cache key: dataset fingerprint, row count, encoder class/config and frame count."""
        payload = json.dumps(
            [getattr(ds, "_fingerprint", None), len(ds), _encoder_signature(encoder), num_frames]
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:24]

    def path(self, ds, encoder, num_frames: int) -> Path:
        return Path(self.cache_dir) / f"tokens-{self.key(ds, encoder, num_frames)}.safetensors"

    def load_or_compute(
        self,
        ds,
        encoder,
        num_frames: int,
        show_progress: bool = True,
        frames_fn: Callable[[object, int], torch.Tensor] = clip_frames,
    ) -> torch.Tensor:
        """Tokens for every row of ``ds``: read from the cache file, or encode and write it.

        Returns
        -------
        torch.Tensor
            float32 ``(len(ds), num_frames, token_dim)``.
        """
        from safetensors.torch import load_file

        path = self.path(ds, encoder, num_frames)
        if path.is_file():
            tokens = load_file(path)["tokens"]
            if tokens.shape[0] == len(ds):
                return tokens
        tokens = encode_clips(ds, encoder, num_frames, self.batch_size, show_progress, frames_fn)
        _atomic_save_safetensors(
            {"tokens": tokens},
            path,
            metadata={"num_rows": str(len(ds)), "encoder": _encoder_signature(encoder)},
        )
        return tokens


@torch.no_grad()
def encode_clips(
    ds,
    encoder,
    num_frames: int,
    batch_size: int = 32,
    show_progress: bool = True,
    frames_fn: Callable[[object, int], torch.Tensor] = clip_frames,
) -> torch.Tensor:
    """Decode every clip's ``num_frames`` frames and run the (frozen) video encoder.

    Returns
    -------
    torch.Tensor
        float32 ``(len(ds), num_frames, token_dim)`` on the CPU, row ``i`` for clip ``i``.
    """
    from tqdm.auto import tqdm

    was_training = encoder.training
    encoder.eval()
    device = next(iter(encoder.parameters()), torch.empty(0)).device
    videos = ds.select_columns(["video"])
    chunks = []
    progress = tqdm(
        total=len(ds), desc="encoding video clips", unit="clip", disable=not show_progress
    )
    for start in range(0, len(ds), batch_size):
        rows = videos[start : start + batch_size]["video"]
        frames = [frames_fn(row, num_frames) for row in rows]
        chunks.append(_encode_frames(encoder, frames, device))
        progress.update(len(rows))
    progress.close()
    encoder.train(was_training)
    return torch.cat(chunks).float().cpu()


def _encode_frames(encoder, frames: list[torch.Tensor], device: torch.device) -> torch.Tensor:
    # clips of one dataset share a size: one batch; otherwise one clip at a time
    shapes = {tuple(f.shape) for f in frames}
    groups = [torch.stack(frames)] if len(shapes) == 1 else [f[None] for f in frames]
    outputs = [encoder(encoder.preprocess(group).to(device)) for group in groups]
    return torch.cat(outputs)


class ClipTensors(torch.utils.data.Dataset):
    """Map-style dataset of training clips: normalised EEG, video tokens and condition ids.

    EEG stays in the Arrow table (memory-mapped) and is read per batch; tokens and ids are
    in memory. ``__getitems__`` returns a ready batch, so the ``DataLoader`` does one
    Arrow read per batch instead of one per clip.

    Parameters
    ----------
    ds : datasets.Dataset
        The split (its ``eeg`` column is read).
    tokens : torch.Tensor
        ``(len(ds), num_frames, token_dim)`` cached video tokens.
    subject_index : torch.Tensor
        ``(len(ds),)`` long subject-embedding rows.
    emotion_ids : torch.Tensor
        ``(len(ds),)`` long emotion ids in the model's label order.
    eeg_mean, eeg_std : array-like
        ``(n_chans,)`` normalisation statistics (µV).
    """

    def __init__(self, ds, tokens, subject_index, emotion_ids, eeg_mean, eeg_std) -> None:
        n = len(ds)
        for name, tensor in (
            ("tokens", tokens),
            ("subject_index", subject_index),
            ("emotion_ids", emotion_ids),
        ):
            if tensor.shape[0] != n:
                raise ValueError(f"{name} has {tensor.shape[0]} rows, expected len(ds) = {n}")
        self._eeg = ds.with_format("numpy", columns=["eeg"])
        self.tokens = tokens
        self.subject_index = subject_index.long()
        self.emotion_ids = emotion_ids.long()
        self.eeg_mean = torch.as_tensor(np.asarray(eeg_mean), dtype=torch.float32)[:, None]
        self.eeg_std = torch.as_tensor(np.asarray(eeg_std), dtype=torch.float32)[:, None]

    def __len__(self) -> int:
        return self.tokens.shape[0]

    def normalise(self, eeg_uv: torch.Tensor) -> torch.Tensor:
        """``(x - mean) / std`` per channel; ``eeg_uv`` is ``(..., n_chans, n_times)``."""
        return (eeg_uv - self.eeg_mean) / self.eeg_std

    def __getitems__(self, indices: Sequence[int]) -> dict[str, torch.Tensor]:
        index = torch.as_tensor(list(indices), dtype=torch.long)
        eeg = torch.from_numpy(np.asarray(self._eeg[index.tolist()]["eeg"], dtype=np.float32))
        return {
            "eeg": self.normalise(eeg),
            "video_tokens": self.tokens[index],
            "subject_index": self.subject_index[index],
            "emotion_ids": self.emotion_ids[index],
            "row": index,
        }

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        batch = self.__getitems__([int(i)])
        return {k: v[0] for k, v in batch.items()}


def collate_prebatched(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``collate_fn`` for :class:`ClipTensors` (its ``__getitems__`` already batches)."""
    return batch
