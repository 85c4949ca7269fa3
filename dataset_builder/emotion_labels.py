"""Where each aligned clip's emotion label comes from, and the mapping-file format.

SEED-DV has no emotion labels, so every label is either a user mapping, a pseudo-label from an
EEG classifier, or (on simulated trees) the simulator's ground truth, and each dataset row
records which in ``emotion_source``:

* ``"mapping:<file name>"`` — :class:`EmotionMapping` (confidence 1);
* ``"pseudo:<model name>"`` — :class:`~dataset_builder.pseudo_labeller.EmotionPseudoLabeller`
  (confidence = the predicted probability);
* ``"simulator-ground-truth"`` — ``ground_truth.json`` of a simulated tree (confidence 1);
* ``"unlabelled"`` — nothing applied (``emotion`` = -1, confidence 0).

Mapping files (JSON or CSV) give either concept -> emotion or (block, position, repetition) ->
emotion; clip entries override concept entries:

.. code-block:: json

    {"concepts": {"1": "positive", "2": "neutral"},
     "clips": [{"block": 1, "position": 0, "repetition": 3, "emotion": "negative"}]}

A bare object ``{"1": "positive", ...}`` is a concept mapping. CSV files have the header
``concept,emotion`` or ``block,position,repetition,emotion`` (block 1-based, position and
repetition 0-based, as in the dataset columns).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from dataset_builder.layout import SEEDDVLayout
from dataset_builder.pseudo_labeller import EmotionPseudoLabeller
from dataset_builder.reader import ClipInfo, SEEDDVReader

UNLABELLED = "unlabelled"
GROUND_TRUTH_SOURCE = "simulator-ground-truth"


class EmotionMappingError(ValueError):
    """A mapping file is malformed or names unknown concepts, clips or emotions."""


@dataclass(frozen=True)
class EmotionAssignment:
    """The label of one clip: emotion name (``None`` if unlabelled), source and confidence."""

    emotion: str | None
    source: str
    confidence: float


UNLABELLED_ASSIGNMENT = EmotionAssignment(None, UNLABELLED, 0.0)


@dataclass
class EmotionMapping:
    """A validated concept/clip -> emotion mapping.

    Attributes
    ----------
    name : str
        Recorded as ``mapping:<name>`` (the file name).
    by_concept : dict
        Concept id (1-based) -> emotion name.
    by_clip : dict
        ``(block, position, repetition)`` -> emotion name.
    """

    name: str
    by_concept: dict[int, str] = field(default_factory=dict)
    by_clip: dict[tuple[int, int, int], str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return f"mapping:{self.name}"

    def lookup(self, info: ClipInfo) -> str | None:
        key = (info.block, info.position, info.repetition)
        if key in self.by_clip:
            return self.by_clip[key]
        return self.by_concept.get(info.concept)


def _as_int(value: object, what: str, path: Path) -> int:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise EmotionMappingError(f"{path}: {what} must be an integer, got {value!r}") from None
    if number != int(number):
        raise EmotionMappingError(f"{path}: {what} must be an integer, got {value!r}")
    return int(number)


def load_emotion_mapping(
    path: str | Path, emotion_labels: Sequence[str], layout: SEEDDVLayout | None = None
) -> EmotionMapping:
    """Read and validate a JSON or CSV mapping file.

    Parameters
    ----------
    path : path-like
        ``.json`` or ``.csv`` (see the module docstring).
    emotion_labels : sequence of str
        Allowed emotion names.
    layout : SEEDDVLayout, optional
        Ranges for concept ids, blocks, positions and repetitions (default SEED-DV's).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    EmotionMappingError
        Unknown format, missing columns, unknown emotions, concept ids or clip indices out of
        range, or the same key mapped to two emotions; the message lists the offenders.
    """
    path = Path(path)
    layout = layout or SEEDDVLayout()
    labels = list(emotion_labels)
    if not path.is_file():
        raise FileNotFoundError(f"emotion mapping file not found: {path}")
    concept_rows: list[tuple[object, object]] = []
    clip_rows: list[tuple[object, object, object, object]] = []
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise EmotionMappingError(f"{path} is not valid JSON: {error}") from error
        if not isinstance(data, dict):
            raise EmotionMappingError(f"{path}: expected a JSON object, got {type(data).__name__}")
        if not ({"concepts", "clips"} & set(data)):
            data = {"concepts": data}  # a bare {concept: emotion} object
        unknown_keys = sorted(set(data) - {"concepts", "clips"})
        if unknown_keys:
            raise EmotionMappingError(
                f"{path}: unknown top-level keys {unknown_keys}; use 'concepts' and/or 'clips'"
            )
        concepts = data.get("concepts", {})
        if not isinstance(concepts, dict):
            raise EmotionMappingError(f"{path}: 'concepts' must be an object concept -> emotion")
        concept_rows = list(concepts.items())
        for i, entry in enumerate(data.get("clips", [])):
            if not isinstance(entry, dict) or not {
                "block",
                "position",
                "repetition",
                "emotion",
            } <= set(entry):
                raise EmotionMappingError(
                    f"{path}: clips[{i}] must have block, position, repetition and emotion, got {entry!r}"
                )
            clip_rows.append(
                (entry["block"], entry["position"], entry["repetition"], entry["emotion"])
            )
    elif suffix == ".csv":
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            columns = [c.strip() for c in (reader.fieldnames or [])]
            reader.fieldnames = columns
            rows = list(reader)
        if set(columns) == {"concept", "emotion"}:
            concept_rows = [(row["concept"], row["emotion"]) for row in rows]
        elif set(columns) == {"block", "position", "repetition", "emotion"}:
            clip_rows = [
                (row["block"], row["position"], row["repetition"], row["emotion"]) for row in rows
            ]
        else:
            raise EmotionMappingError(
                f"{path}: CSV header must be 'concept,emotion' or "
                f"'block,position,repetition,emotion', got {','.join(columns)!r}"
            )
    else:
        raise EmotionMappingError(f"{path}: mapping files must be .json or .csv, got {suffix!r}")

    mapping = EmotionMapping(name=path.name)
    problems: list[str] = []
    unknown_emotions: set[str] = set()

    def check_emotion(value: object) -> str | None:
        name = str(value).strip()
        if name not in labels:
            unknown_emotions.add(name)
            return None
        return name

    bad_concepts = []
    for key, value in concept_rows:
        concept = _as_int(key, "concept id", path)
        emotion = check_emotion(value)
        if not 1 <= concept <= layout.n_concepts:
            bad_concepts.append(concept)
            continue
        if emotion is None:
            continue
        if mapping.by_concept.get(concept, emotion) != emotion:
            problems.append(
                f"concept {concept} mapped to both {mapping.by_concept[concept]!r} and {emotion!r}"
            )
        mapping.by_concept[concept] = emotion
    if bad_concepts:
        problems.append(
            f"unknown concept ids {sorted(set(bad_concepts))} (expected 1..{layout.n_concepts})"
        )
    bad_clips = []
    for block, position, repetition, value in clip_rows:
        key = (
            _as_int(block, "block", path),
            _as_int(position, "position", path),
            _as_int(repetition, "repetition", path),
        )
        emotion = check_emotion(value)
        if not (
            1 <= key[0] <= layout.n_blocks
            and 0 <= key[1] < layout.n_concepts
            and 0 <= key[2] < layout.n_repetitions
        ):
            bad_clips.append(key)
            continue
        if emotion is None:
            continue
        if mapping.by_clip.get(key, emotion) != emotion:
            problems.append(f"clip {key} mapped to both {mapping.by_clip[key]!r} and {emotion!r}")
        mapping.by_clip[key] = emotion
    if bad_clips:
        problems.append(
            f"clips out of range {bad_clips[:5]}{' …' if len(bad_clips) > 5 else ''} (block "
            f"1..{layout.n_blocks}, position 0..{layout.n_concepts - 1}, repetition "
            f"0..{layout.n_repetitions - 1})"
        )
    if unknown_emotions:
        problems.append(f"unknown emotions {sorted(unknown_emotions)} (expected one of {labels})")
    if problems:
        raise EmotionMappingError(f"{path}: " + "; ".join(problems))
    if not mapping.by_concept and not mapping.by_clip:
        raise EmotionMappingError(f"{path}: the mapping is empty")
    return mapping


# ------------------------------------------------------------------------------ label sources
class EmotionSource(Protocol):
    """Anything that labels a batch of clips (their descriptions and EEG)."""

    def assign(self, infos: Sequence[ClipInfo], eeg: np.ndarray) -> list[EmotionAssignment]: ...


class MappingSource:
    """Labels from an :class:`EmotionMapping`; unmapped clips stay unlabelled."""

    def __init__(self, mapping: EmotionMapping) -> None:
        self.mapping = mapping

    def assign(self, infos: Sequence[ClipInfo], eeg: np.ndarray) -> list[EmotionAssignment]:
        out = []
        for info in infos:
            emotion = self.mapping.lookup(info)
            out.append(
                EmotionAssignment(emotion, self.mapping.source, 1.0)
                if emotion is not None
                else UNLABELLED_ASSIGNMENT
            )
        return out


class GroundTruthSource:
    """The simulator's concept -> emotion ground truth (``ground_truth.json``)."""

    def __init__(self, ground_truth: dict, emotion_labels: Sequence[str]) -> None:
        concept_emotions = ground_truth.get("concept_emotions")
        if not isinstance(concept_emotions, dict):
            raise ValueError("ground truth has no 'concept_emotions' object")
        unknown = sorted(set(concept_emotions.values()) - set(emotion_labels))
        if unknown:
            raise ValueError(
                f"ground-truth emotions {unknown} are not in emotion_labels {list(emotion_labels)}"
            )
        self.by_concept = {int(k): v for k, v in concept_emotions.items()}

    def assign(self, infos: Sequence[ClipInfo], eeg: np.ndarray) -> list[EmotionAssignment]:
        return [
            EmotionAssignment(self.by_concept[info.concept], GROUND_TRUTH_SOURCE, 1.0)
            if info.concept in self.by_concept
            else UNLABELLED_ASSIGNMENT
            for info in infos
        ]


class PseudoLabelSource:
    """Labels every clip with a trained :class:`EmotionPseudoLabeller` and its confidence."""

    def __init__(self, model: EmotionPseudoLabeller, emotion_labels: Sequence[str]) -> None:
        if not model.fitted:
            raise ValueError("the pseudo-labeller is not fitted")
        unknown = sorted(set(model.emotion_labels) - set(emotion_labels))
        if unknown:
            raise ValueError(
                f"pseudo-labeller emotions {unknown} are not in the dataset's emotion_labels "
                f"{list(emotion_labels)}"
            )
        self.model = model

    @property
    def source(self) -> str:
        return f"pseudo:{self.model.name}"

    def assign(self, infos: Sequence[ClipInfo], eeg: np.ndarray) -> list[EmotionAssignment]:
        if not len(infos):
            return []
        names, confidence = self.model.predict(eeg)
        return [
            EmotionAssignment(name, self.source, float(c))
            for name, c in zip(names, confidence, strict=True)
        ]


class ChainedSource:
    """The first source that labels a clip wins (e.g. a partial mapping, then pseudo-labels)."""

    def __init__(self, sources: Sequence[EmotionSource]) -> None:
        self.sources = list(sources)

    def assign(self, infos: Sequence[ClipInfo], eeg: np.ndarray) -> list[EmotionAssignment]:
        out = [UNLABELLED_ASSIGNMENT] * len(infos)
        for source in self.sources:
            todo = [i for i, a in enumerate(out) if a.emotion is None]
            if not todo:
                break
            labelled = source.assign([infos[i] for i in todo], eeg[todo])
            for i, assignment in zip(todo, labelled, strict=True):
                out[i] = assignment
        return out


def build_emotion_source(
    emotion_labels: Sequence[str],
    layout: SEEDDVLayout | None = None,
    emotion_map: str | Path | None = None,
    emotion_model: str | Path | None = None,
    ground_truth: dict | None = None,
) -> EmotionSource | None:
    """Combine the configured label sources, most trusted first.

    Order: the user mapping, then the simulator's ground truth, then the pseudo-labeller; a
    clip takes the first label it gets. Returns ``None`` when nothing is configured (every row
    is then ``unlabelled``).
    """
    sources: list[EmotionSource] = []
    if emotion_map is not None:
        sources.append(MappingSource(load_emotion_mapping(emotion_map, emotion_labels, layout)))
    if ground_truth is not None:
        sources.append(GroundTruthSource(ground_truth, emotion_labels))
    if emotion_model is not None:
        sources.append(PseudoLabelSource(EmotionPseudoLabeller.load(emotion_model), emotion_labels))
    if not sources:
        return None
    return sources[0] if len(sources) == 1 else ChainedSource(sources)


def labelled_clips(
    reader: SEEDDVReader,
    source: EmotionSource,
    blocks: Sequence[int] | None = None,
    subjects: Sequence[int] | None = None,
) -> tuple[np.ndarray, list[str], list[ClipInfo]]:
    """EEG and labels of the clips ``source`` labels, to train or evaluate a pseudo-labeller.

    Returns
    -------
    eeg : np.ndarray
        ``(n_clips, n_chans, clip_samples)`` float32.
    emotions : list of str
    infos : list of ClipInfo
        Unlabelled clips are left out.
    """
    infos = list(reader.clip_infos(subjects=subjects, blocks=blocks))
    if not infos:
        raise ValueError("no clips selected")
    eeg = np.stack([reader.read_eeg(info) for info in infos])
    labels = source.assign(infos, eeg)
    keep = [i for i, a in enumerate(labels) if a.emotion is not None]
    return eeg[keep], [labels[i].emotion for i in keep], [infos[i] for i in keep]
