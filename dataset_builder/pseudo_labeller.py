"""An EEG emotion pseudo-labeller: SEED differential-entropy features + a linear classifier.

SEED-DV has no emotion labels. The SEED emotion datasets (Zheng & Lu, 2015, *IEEE TAMD*
7:162) record the same 62-channel cap at 200 Hz with negative/neutral/positive film clips, and
their standard features are the differential entropy (DE) of each channel in five bands
(δ 1–4, θ 4–8, α 8–14, β 14–31, γ 31–50 Hz). For a band-limited Gaussian signal of variance
σ², DE = ½ log(2πe σ²); σ² is the band power, which we take from Welch's PSD (1 s Hann
windows, 50 % overlap) integrated over the band.

:class:`EmotionPseudoLabeller` standardises the ``n_chans × 5`` DE features and fits a
multinomial logistic regression (scikit-learn); it labels a clip with the most probable emotion
and that probability as the confidence. It saves to ``.safetensors`` (arrays + JSON metadata),
never pickle. :func:`seed_emotion_features` streams labelled windows out of a SEED
``Preprocessed_EEG`` folder to train on real data.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import scipy.io
import scipy.signal
from safetensors.numpy import load_file, save_file
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from modeling_video2eeg.montage import SEED_CH_NAMES, SEED_SFREQ, validate_ch_names

SEED_BANDS: dict[str, tuple[float, float]] = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 14.0),
    "beta": (14.0, 31.0),
    "gamma": (31.0, 50.0),
}
"""SEED's frequency bands in Hz, ``[low, high)``."""

SEED_LABELS: dict[int, str] = {-1: "negative", 0: "neutral", 1: "positive"}
"""SEED's ``label.mat`` codes."""


def differential_entropy(
    eeg: np.ndarray,
    sfreq: float = SEED_SFREQ,
    bands: Mapping[str, tuple[float, float]] = SEED_BANDS,
) -> np.ndarray:
    """Differential entropy per channel and band.

    Parameters
    ----------
    eeg : np.ndarray
        ``(n_epochs, n_chans, n_times)`` (or ``(n_chans, n_times)``) in µV.
    sfreq : float
        Sampling frequency (Hz).
    bands : mapping
        Band name -> ``(low, high)`` Hz.

    Returns
    -------
    np.ndarray
        ``(n_epochs, n_chans, n_bands)`` (or ``(n_chans, n_bands)``) float64, ½ log(2πe·power).
    """
    eeg = np.asarray(eeg, dtype=np.float64)
    if eeg.ndim not in (2, 3):
        raise ValueError(
            f"eeg must be (n_chans, n_times) or (n_epochs, n_chans, n_times), got {eeg.shape}"
        )
    n_times = eeg.shape[-1]
    nperseg = min(n_times, round(sfreq))
    freqs, psd = scipy.signal.welch(eeg, fs=sfreq, nperseg=nperseg, axis=-1)
    df = freqs[1] - freqs[0]
    out = []
    for name, (low, high) in bands.items():
        mask = (freqs >= low) & (freqs < high)
        if not mask.any():
            raise ValueError(
                f"band {name} ({low}-{high} Hz) has no frequency bin at sfreq={sfreq} with "
                f"{n_times} samples"
            )
        power = psd[..., mask].sum(axis=-1) * df
        out.append(0.5 * np.log(2 * np.pi * np.e * np.maximum(power, 1e-12)))
    return np.stack(out, axis=-1)


class EmotionPseudoLabeller:
    """DE features + standardisation + multinomial logistic regression.

    Parameters
    ----------
    emotion_labels : sequence of str
        Names the classifier may output (the dataset's ``emotion`` ClassLabel names).
    sfreq : float
        EEG sampling frequency (Hz).
    ch_names : sequence of str
        Channel order of the EEG it sees (SEED's by default).
    C : float
        Inverse L2 regularisation strength (small: DE features are many and trials few).
    name : str
        Recorded in ``emotion_source`` as ``"pseudo:<name>"``.
    """

    def __init__(
        self,
        emotion_labels: Sequence[str] = ("negative", "neutral", "positive"),
        sfreq: float = SEED_SFREQ,
        ch_names: Sequence[str] = SEED_CH_NAMES,
        C: float = 0.01,
        name: str = "de-logreg",
    ) -> None:
        self.emotion_labels = list(emotion_labels)
        if len(set(self.emotion_labels)) != len(self.emotion_labels) or not self.emotion_labels:
            raise ValueError(
                f"emotion_labels must be unique and non-empty, got {self.emotion_labels}"
            )
        self.sfreq = float(sfreq)
        self.ch_names = validate_ch_names(ch_names)
        self.C = float(C)
        self.name = name
        self.scaler: StandardScaler | None = None
        self.classifier: LogisticRegression | None = None

    # ------------------------------------------------------------------ features
    def features(self, eeg: np.ndarray) -> np.ndarray:
        """``(n_epochs, n_chans * n_bands)`` DE features of ``(n_epochs, n_chans, n_times)``."""
        eeg = np.asarray(eeg)
        if eeg.ndim != 3 or eeg.shape[1] != len(self.ch_names):
            raise ValueError(
                f"eeg must be (n_epochs, {len(self.ch_names)}, n_times), got {eeg.shape}"
            )
        return differential_entropy(eeg, self.sfreq).reshape(len(eeg), -1)

    def _label_ids(self, labels: Sequence[str | int]) -> np.ndarray:
        ids = []
        for label in labels:
            if isinstance(label, (int, np.integer)):
                if not 0 <= int(label) < len(self.emotion_labels):
                    raise ValueError(
                        f"emotion id {label} out of range for labels {self.emotion_labels}"
                    )
                ids.append(int(label))
            elif label in self.emotion_labels:
                ids.append(self.emotion_labels.index(label))
            else:
                raise ValueError(
                    f"unknown emotion {label!r}; expected one of {self.emotion_labels}"
                )
        return np.asarray(ids, dtype=np.int64)

    # ------------------------------------------------------------------ training
    def fit_features(
        self, features: np.ndarray, labels: Sequence[str | int]
    ) -> EmotionPseudoLabeller:
        """Fit on precomputed DE features ``(n_epochs, n_chans * n_bands)``."""
        y = self._label_ids(labels)
        if len(y) != len(features):
            raise ValueError(f"{len(features)} feature rows but {len(y)} labels")
        if len(np.unique(y)) < 2:
            raise ValueError("training needs at least two different emotions in labels")
        self.scaler = StandardScaler().fit(features)
        self.classifier = LogisticRegression(C=self.C, max_iter=5000)
        self.classifier.fit(self.scaler.transform(features), y)
        return self

    def fit(self, eeg: np.ndarray, labels: Sequence[str | int]) -> EmotionPseudoLabeller:
        """Fit on EEG epochs ``(n_epochs, n_chans, n_times)`` with emotion names or ids."""
        return self.fit_features(self.features(eeg), labels)

    # ------------------------------------------------------------------ inference
    @property
    def fitted(self) -> bool:
        return self.classifier is not None

    def predict_proba_features(self, features: np.ndarray) -> np.ndarray:
        """``(n_epochs, n_emotions)`` probabilities over ``emotion_labels`` (0 for unseen classes)."""
        if not self.fitted:
            raise RuntimeError("the pseudo-labeller is not fitted; call fit() or load()")
        proba = self.classifier.predict_proba(self.scaler.transform(features))
        out = np.zeros((len(features), len(self.emotion_labels)))
        out[:, self.classifier.classes_] = proba
        return out

    def predict_proba(self, eeg: np.ndarray) -> np.ndarray:
        return self.predict_proba_features(self.features(eeg))

    def predict(self, eeg: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Most probable emotion per epoch and its probability (the confidence)."""
        proba = self.predict_proba(eeg)
        best = proba.argmax(axis=1)
        return [self.emotion_labels[i] for i in best], proba[np.arange(len(best)), best]

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write a ``.safetensors`` file (written atomically)."""
        if not self.fitted:
            raise RuntimeError("cannot save an unfitted pseudo-labeller")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # C-contiguous copies: safetensors stores raw buffers, and liblinear/lbfgs may leave
        # coef_ in Fortran order (it would load back transposed).
        tensors = {
            "scaler_mean": np.ascontiguousarray(self.scaler.mean_, dtype=np.float64),
            "scaler_scale": np.ascontiguousarray(self.scaler.scale_, dtype=np.float64),
            "coef": np.ascontiguousarray(self.classifier.coef_, dtype=np.float64),
            "intercept": np.ascontiguousarray(self.classifier.intercept_, dtype=np.float64),
            "classes": np.ascontiguousarray(self.classifier.classes_, dtype=np.int64),
        }
        metadata = {
            "format": "video2eeg-emotion-pseudo-labeller",
            "version": "1",
            "name": self.name,
            "emotion_labels": json.dumps(self.emotion_labels),
            "sfreq": repr(self.sfreq),
            "ch_names": json.dumps(list(self.ch_names)),
            "bands": json.dumps(SEED_BANDS),
            "C": repr(self.C),
        }
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        save_file(tensors, str(tmp), metadata=metadata)
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> EmotionPseudoLabeller:
        """Load a model written by :meth:`save`.

        Raises
        ------
        ValueError
            If the file is not one of ours (wrong format tag, missing arrays).
        """
        from safetensors import safe_open

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"pseudo-labeller file not found: {path}")
        try:
            with safe_open(str(path), framework="numpy") as f:
                metadata = f.metadata() or {}
            tensors = load_file(str(path))
        except Exception as error:  # safetensors raises its own error types
            raise ValueError(f"{path} is not a readable safetensors file: {error}") from error
        if metadata.get("format") != "video2eeg-emotion-pseudo-labeller":
            raise ValueError(
                f"{path} is not a video2eeg emotion pseudo-labeller (metadata {metadata})"
            )
        model = cls(
            emotion_labels=json.loads(metadata["emotion_labels"]),
            sfreq=float(metadata["sfreq"]),
            ch_names=json.loads(metadata["ch_names"]),
            C=float(metadata["C"]),
            name=metadata["name"],
        )
        model.scaler = StandardScaler()
        model.scaler.mean_ = tensors["scaler_mean"]
        model.scaler.scale_ = tensors["scaler_scale"]
        model.scaler.var_ = tensors["scaler_scale"] ** 2
        model.scaler.n_features_in_ = len(tensors["scaler_mean"])
        model.classifier = LogisticRegression(C=model.C)
        model.classifier.coef_ = tensors["coef"]
        model.classifier.intercept_ = tensors["intercept"]
        model.classifier.classes_ = tensors["classes"]
        model.classifier.n_features_in_ = tensors["coef"].shape[1]
        return model


# ------------------------------------------------------------------------------ SEED (emotion)
_TRIAL_KEY = re.compile(r"^(?P<prefix>\w+?)_eeg(?P<trial>\d+)$")


def read_seed_emotion_file(path: str | Path) -> dict[int, np.ndarray]:
    """Trials of one SEED ``Preprocessed_EEG/*.mat`` file: trial number -> ``(62, n_times)``.

    SEED stores each film's EEG under ``<initials>_eeg<k>`` (k = 1..15), 62 channels at 200 Hz.
    """
    try:
        mat = scipy.io.loadmat(str(path))
    except Exception as error:  # scipy raises several unrelated types for broken files
        raise ValueError(f"cannot read SEED .mat file {path}: {error}") from error
    trials = {}
    for key, value in mat.items():
        match = _TRIAL_KEY.match(key)
        if match and isinstance(value, np.ndarray) and value.ndim == 2:
            trials[int(match.group("trial"))] = value
    if not trials:
        raise ValueError(
            f"{path} has no '<name>_eeg<k>' trial arrays (not a SEED Preprocessed_EEG file)"
        )
    return trials


def seed_emotion_features(
    root: str | Path,
    labeller: EmotionPseudoLabeller,
    window_s: float = 2.0,
    max_windows_per_trial: int | None = None,
) -> tuple[np.ndarray, list[str], list[str]]:
    """DE features of non-overlapping windows from a SEED ``Preprocessed_EEG`` folder.

    Parameters
    ----------
    root : path-like
        Folder with ``label.mat`` and ``<subject>_<date>.mat`` files.
    labeller : EmotionPseudoLabeller
        Supplies the feature function (sfreq, channel count).
    window_s : float
        Window length; 2 s matches SEED-DV clips.
    max_windows_per_trial : int, optional
        Cap per film (evenly spaced), to bound training time.

    Returns
    -------
    features : np.ndarray
        ``(n_windows, n_chans * 5)``.
    labels : list of str
        ``"negative"``, ``"neutral"`` or ``"positive"``.
    groups : list of str
        Source file stem (subject_date) per window.
    """
    root = Path(root)
    label_path = root / "label.mat"
    if not label_path.is_file():
        raise FileNotFoundError(f"{label_path} not found: not a SEED Preprocessed_EEG folder")
    codes = np.asarray(scipy.io.loadmat(str(label_path))["label"]).ravel().astype(int)
    files = sorted(p for p in root.glob("*.mat") if p.name != "label.mat")
    if not files:
        raise FileNotFoundError(f"no <subject>_<date>.mat files in {root}")
    n_window = round(window_s * labeller.sfreq)
    features, labels, groups = [], [], []
    for path in files:
        for trial, data in sorted(read_seed_emotion_file(path).items()):
            if data.shape[0] != len(labeller.ch_names):
                raise ValueError(
                    f"{path}: trial {trial} has {data.shape[0]} channels; expected {len(labeller.ch_names)}"
                )
            if not 1 <= trial <= len(codes):
                raise ValueError(f"{path}: trial {trial} has no entry in {label_path}")
            n = data.shape[1] // n_window
            starts = np.arange(n) * n_window
            if max_windows_per_trial is not None and n > max_windows_per_trial:
                starts = starts[np.linspace(0, n - 1, max_windows_per_trial).round().astype(int)]
            epochs = np.stack([data[:, s : s + n_window] for s in starts]).astype(np.float32)
            features.append(labeller.features(epochs))
            labels += [SEED_LABELS[int(codes[trial - 1])]] * len(starts)
            groups += [path.stem] * len(starts)
    return np.concatenate(features), labels, groups
