"""The ``datasets.Features`` of aligned video-EEG-emotion rows (the cross-area contract)."""

from __future__ import annotations

from collections.abc import Sequence

from datasets import Array2D, ClassLabel, Features, Value, Video

from dataset_builder.layout import META_FILES, SEEDDVLayout

DEFAULT_EMOTION_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")

INT_COLUMNS: tuple[str, ...] = ("subject", "session", "block", "position", "repetition")
META_COLUMNS: tuple[str, ...] = tuple(META_FILES)


def aligned_features(
    layout: SEEDDVLayout | None = None,
    emotion_labels: Sequence[str] = DEFAULT_EMOTION_LABELS,
) -> Features:
    """Features of the aligned dataset.

    ``video`` (``Video()``, embedded mp4 bytes of the clip), ``eeg``
    (``Array2D((n_chans, clip_samples), "float32")``, µV), ``subject``/``session``/``block``/
    ``position``/``repetition`` (int32; block 1-based, position and repetition 0-based),
    ``concept`` (``ClassLabel`` named ``"1"..str(n_concepts)``, id = concept - 1), ``caption``,
    the meta attributes ``color``, ``face_appearance``, ``human_appearance``,
    ``object_number``, ``optical_flow_score`` (float32), ``emotion`` (``ClassLabel`` over
    ``emotion_labels``; -1 when unlabelled), ``emotion_source`` and ``emotion_confidence``.
    """
    layout = layout or SEEDDVLayout()
    labels = list(emotion_labels)
    if not labels or len(set(labels)) != len(labels):
        raise ValueError(f"emotion_labels must be unique and non-empty, got {labels}")
    return Features(
        {
            "video": Video(),
            "eeg": Array2D((layout.n_chans, layout.clip_samples), "float32"),
            **{name: Value("int32") for name in INT_COLUMNS},
            "concept": ClassLabel(names=[str(c) for c in range(1, layout.n_concepts + 1)]),
            "caption": Value("string"),
            **{name: Value("float32") for name in META_COLUMNS},
            "emotion": ClassLabel(names=labels),
            "emotion_source": Value("string"),
            "emotion_confidence": Value("float32"),
        }
    )
