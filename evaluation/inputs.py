"""Validated EEG sets for the metrics, with a per-set cache of shared intermediate results.

Every metric takes two sets of clips, ``real`` and ``generated``, each an array of shape
``(n_clips, n_chans, n_times)`` in microvolts (or an :class:`EEGSet` wrapping one). Arrays are
checked once (shape, finiteness, channel names) and wrapped; metrics then check that the two
sets are comparable (same ``ch_names``, ``sfreq`` and ``n_times``) and large enough for what
they compute. Every error names the metric and the requirement that failed.

Intermediate results several metrics share (Welch PSDs, clip covariances, feature vectors)
are cached on the set, keyed by name, so :func:`evaluation.report.evaluate` computes them once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from modeling_video2eeg.montage import SEED_CH_NAMES, SEED_SFREQ, validate_ch_names

T = TypeVar("T")


def check_array(x: Any, metric: str, role: str) -> np.ndarray:
    """Check one set of clips and return it as a C-contiguous float32 array.

    Parameters
    ----------
    x : array-like
        EEG clips, shape ``(n_clips, n_chans, n_times)``.
    metric : str
        Name of the metric asking (used in error messages).
    role : str
        Which input this is (``"real"``, ``"generated"``, ...), used in error messages.

    Raises
    ------
    ValueError
        If ``x`` is not a 3-D numeric array with at least one clip, one channel and two
        samples, or if it contains NaN or infinite values.
    """
    try:
        array = np.asarray(x)
    except Exception as error:  # ragged lists and the like
        raise ValueError(f"{metric}: {role} is not an array of EEG clips ({error})") from error
    if array.dtype.kind not in "fiu":
        raise ValueError(
            f"{metric}: {role} must be numeric EEG (microvolts), got dtype {array.dtype}"
        )
    if array.ndim != 3:
        raise ValueError(
            f"{metric}: {role} must have shape (n_clips, n_chans, n_times), got shape {array.shape}"
        )
    n_clips, n_chans, n_times = array.shape
    if n_clips < 1 or n_chans < 1 or n_times < 2:
        raise ValueError(
            f"{metric}: {role} needs at least 1 clip, 1 channel and 2 samples, got shape {array.shape}"
        )
    array = np.ascontiguousarray(array, dtype=np.float32)
    finite = np.isfinite(array)
    if not finite.all():
        bad = int(array.size - np.count_nonzero(finite))
        raise ValueError(
            f"{metric}: {role} contains NaN or infinite values ({bad} of {array.size} samples); "
            "metrics need finite EEG"
        )
    return array


class EEGSet:
    """A validated set of EEG clips plus a cache of results computed from it.

    Parameters
    ----------
    data : array-like
        Clips, shape ``(n_clips, n_chans, n_times)``, microvolts. Stored as float32.
    sfreq : float
        Sampling frequency in Hz.
    ch_names : sequence of str
        Channel names (SEED montage names, any order), length ``n_chans``.

    Attributes
    ----------
    timings : dict of str to float
        Seconds spent computing each cached entry.
    """

    def __init__(
        self,
        data: Any,
        sfreq: float = SEED_SFREQ,
        ch_names: Sequence[str] = SEED_CH_NAMES,
        *,
        _metric: str = "EEGSet",
        _role: str = "data",
    ) -> None:
        self.data = check_array(data, _metric, _role)
        if not np.isfinite(sfreq) or sfreq <= 0:
            raise ValueError(f"{_metric}: sfreq must be a positive number of Hz, got {sfreq}")
        self.sfreq = float(sfreq)
        try:
            self.ch_names = validate_ch_names(ch_names)
        except ValueError as error:
            raise ValueError(f"{_metric}: {error}") from error
        if len(self.ch_names) != self.n_chans:
            raise ValueError(
                f"{_metric}: {_role} has {self.n_chans} channels but ch_names lists "
                f"{len(self.ch_names)}; they must match"
            )
        self.timings: dict[str, float] = {}
        self._cache: dict[str, Any] = {}

    @property
    def n_clips(self) -> int:
        return int(self.data.shape[0])

    @property
    def n_chans(self) -> int:
        return int(self.data.shape[1])

    @property
    def n_times(self) -> int:
        return int(self.data.shape[2])

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """Return ``compute()``, computing it only the first time ``key`` is asked for."""
        if key not in self._cache:
            start = time.perf_counter()
            self._cache[key] = compute()
            self.timings[key] = time.perf_counter() - start
        return self._cache[key]

    def __repr__(self) -> str:
        return (
            f"EEGSet(n_clips={self.n_clips}, n_chans={self.n_chans}, n_times={self.n_times}, "
            f"sfreq={self.sfreq})"
        )


def as_eeg_set(
    x: Any,
    metric: str,
    role: str,
    sfreq: float = SEED_SFREQ,
    ch_names: Sequence[str] | None = None,
) -> EEGSet:
    """Wrap an array as an :class:`EEGSet` (an ``EEGSet`` is returned as it is).

    ``sfreq`` and ``ch_names`` apply to arrays only; an ``EEGSet`` keeps its own. With
    ``ch_names=None`` an array must have the 62 SEED channels in SEED order.
    """
    if isinstance(x, EEGSet):
        return x
    return EEGSet(
        x, sfreq, SEED_CH_NAMES if ch_names is None else ch_names, _metric=metric, _role=role
    )


def check_pair(
    real: EEGSet,
    generated: EEGSet,
    metric: str,
    min_clips: int = 1,
    reason: str = "",
    roles: tuple[str, str] = ("real", "generated"),
) -> None:
    """Check that two sets are comparable and each has at least ``min_clips`` clips.

    Parameters
    ----------
    real, generated : EEGSet
        The two sets.
    metric : str
        Name used in error messages.
    min_clips : int
        Minimum number of clips in each set.
    reason : str
        Why ``min_clips`` are needed (shown in the error).
    roles : (str, str)
        Names of the two sets in error messages.

    Raises
    ------
    ValueError
        Naming ``metric`` and the mismatch (channels, sampling rate, clip length) or the
        minimum number of clips and why it is needed.
    """
    first, second = roles
    if real.n_chans != generated.n_chans or real.ch_names != generated.ch_names:
        raise ValueError(
            f"{metric}: {first} and {second} must have the same channels; {first} has "
            f"{real.n_chans} ({_short(real.ch_names)}), {second} has {generated.n_chans} "
            f"({_short(generated.ch_names)})"
        )
    if real.sfreq != generated.sfreq:
        raise ValueError(
            f"{metric}: {first} and {second} must have the same sfreq; got {first}={real.sfreq:g} "
            f"Hz, {second}={generated.sfreq:g} Hz (resample one of them first)"
        )
    if real.n_times != generated.n_times:
        raise ValueError(
            f"{metric}: {first} and {second} clips must have the same n_times; got "
            f"{first}={real.n_times}, {second}={generated.n_times}"
        )
    check_min_clips(real, metric, min_clips, first, reason)
    check_min_clips(generated, metric, min_clips, second, reason)


def check_min_clips(eeg: EEGSet, metric: str, min_clips: int, role: str, reason: str = "") -> None:
    """Raise a ValueError naming ``metric`` if ``eeg`` has fewer than ``min_clips`` clips."""
    if eeg.n_clips < min_clips:
        why = f" ({reason})" if reason else ""
        raise ValueError(
            f"{metric}: needs at least {min_clips} clips in {role}{why}, got {eeg.n_clips}"
        )


def check_labels(labels: Any, n_clips: int, metric: str, role: str) -> np.ndarray:
    """Check a per-clip label vector (any hashable values) and return it as a 1-D array."""
    array = np.asarray(labels)
    if array.ndim != 1 or array.shape[0] != n_clips:
        raise ValueError(
            f"{metric}: {role} must have one label per clip, shape ({n_clips},); got shape "
            f"{array.shape}"
        )
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"{metric}: {role} contains NaN labels")
    return array


def _short(names: Sequence[str]) -> str:
    names = list(names)
    return ", ".join(names) if len(names) <= 4 else f"{', '.join(names[:3])}, ..., {names[-1]}"


def as_pair(
    real: Any,
    generated: Any,
    metric: str,
    sfreq: float = SEED_SFREQ,
    ch_names: Sequence[str] | None = None,
    min_clips: int = 1,
    reason: str = "",
) -> tuple[EEGSet, EEGSet]:
    """Wrap both inputs (:func:`as_eeg_set`) and check them (:func:`check_pair`)."""
    real = as_eeg_set(real, metric, "real", sfreq, ch_names)
    generated = as_eeg_set(generated, metric, "generated", sfreq, ch_names)
    check_pair(real, generated, metric, min_clips, reason)
    return real, generated
