"""Read EEG clips, labels and clip keys from a ``datasets`` dataset for evaluation.

Works with the aligned folders ``video2eeg align`` writes (Parquet shards + README YAML),
generated datasets in the same layout, and Hub dataset ids: anything
:func:`datasets.load_dataset` opens. Only the needed columns are read (``video`` is never
decoded). ``ClassLabel`` columns come back as their names, so labels of two datasets are
compared by name even when their id orders differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modeling_video2eeg.montage import SEED_SFREQ


@dataclass
class EEGSplit:
    """One split's EEG with its labels and clip keys.

    Attributes
    ----------
    eeg : np.ndarray
        ``(n_clips, n_chans, n_times)`` float32, microvolts.
    sfreq : float
        Hz.
    labels : dict of str to np.ndarray
        Per-clip label columns found (ClassLabel ids mapped to names).
    clip_keys : np.ndarray or None
        ``(n_clips, k)`` clip-key columns, when all were found.
    source, split : str
        Where it came from.
    """

    eeg: np.ndarray
    sfreq: float
    labels: dict[str, np.ndarray] = field(default_factory=dict)
    clip_keys: np.ndarray | None = None
    source: str = ""
    split: str = ""


def open_dataset(source: str, revision: str | None = None):
    """Open a local dataset folder or a Hub id as a :class:`datasets.DatasetDict`."""
    import datasets

    loaded = datasets.load_dataset(str(source), revision=revision)
    if isinstance(loaded, datasets.Dataset):  # a single split without a name
        loaded = datasets.DatasetDict({"train": loaded})
    return loaded


def pick_split(
    dataset_dict: Any, wanted: str | None, source: str, preference: Sequence[str] = ("test",)
) -> str:
    """Choose a split: ``wanted`` if given, else the only one, else the first of ``preference``."""
    names = list(dataset_dict.keys())
    if wanted is not None:
        if wanted not in names:
            raise ValueError(
                f"evaluate: dataset {source!r} has no split {wanted!r}; splits are {names}"
            )
        return wanted
    if len(names) == 1:
        return names[0]
    for name in preference:
        if name in names:
            return name
    raise ValueError(f"evaluate: dataset {source!r} has splits {names}; choose one explicitly")


def load_eeg_split(
    dataset: Any,
    split: str,
    *,
    label_columns: Sequence[str] = ("subject", "emotion", "concept"),
    key_columns: Sequence[str] = ("block", "position", "repetition"),
    eeg_column: str = "eeg",
    default_sfreq: float = SEED_SFREQ,
    max_clips: int | None = None,
    seed: int = 0,
    source: str = "",
) -> EEGSplit:
    """Read one split of an opened dataset into arrays.

    Parameters
    ----------
    dataset : datasets.DatasetDict
        From :func:`open_dataset`.
    split : str
        Split name.
    label_columns, key_columns : sequence of str
        Columns to read when present (missing ones are skipped; clip keys need all).
    eeg_column : str
        Column holding ``(n_chans, n_times)`` arrays.
    default_sfreq : float
        Used unless the dataset has an ``sfreq`` column (which must hold one value).
    max_clips : int, optional
        Read a random subset of at most this many rows (seeded).

    Raises
    ------
    ValueError
        If the EEG column is missing or the ``sfreq`` column holds several values.
    """
    table = dataset[split]
    columns = set(table.column_names)
    if eeg_column not in columns:
        raise ValueError(
            f"evaluate: split {split!r} of {source!r} has no {eeg_column!r} column; columns are "
            f"{sorted(columns)}"
        )
    if max_clips is not None and len(table) > max_clips:
        rng = np.random.default_rng(seed)
        table = table.select(np.sort(rng.choice(len(table), size=max_clips, replace=False)))
    labels_found = [name for name in label_columns if name in columns]
    keys_found = list(key_columns) if all(name in columns for name in key_columns) else []
    extra = ["sfreq"] if "sfreq" in columns else []
    wanted = [eeg_column, *labels_found, *keys_found, *extra]
    rows = table.select_columns(list(dict.fromkeys(wanted))).with_format("numpy")[:]
    eeg = np.asarray(rows[eeg_column], dtype=np.float32)
    if eeg.dtype == object or eeg.ndim != 3:
        eeg = np.stack([np.asarray(clip, dtype=np.float32) for clip in rows[eeg_column]])
    sfreq = default_sfreq
    if extra:
        values = np.unique(np.asarray(rows["sfreq"], dtype=np.float64))
        if values.size != 1:
            raise ValueError(
                f"evaluate: split {split!r} of {source!r} mixes sampling rates {values.tolist()}"
            )
        sfreq = float(values[0])
    labels = {}
    for name in labels_found:
        values = np.asarray(rows[name])
        feature = table.features[name]
        names = getattr(feature, "names", None)
        labels[name] = np.asarray(names, dtype=object)[values].astype(str) if names else values
    clip_keys = (
        np.stack([np.asarray(rows[name]) for name in keys_found], axis=1) if keys_found else None
    )
    return EEGSplit(
        eeg=eeg, sfreq=sfreq, labels=labels, clip_keys=clip_keys, source=source, split=split
    )
