"""SEED-DV layout constants: folders, file names, shapes and the clip timing formula.

SEED-DV (Liu et al., "EEG2Video", NeurIPS 2024; the "SEED-VD" of arXiv 2509.05321) ships::

    EEG/sub1.npy … sub20.npy, sub1_session2.npy      (n_blocks, n_chans, n_times) per file
    Video/1st_10min.mp4 … 7th_10min.mp4              one video per block, 24 fps
    meta-info/All_video_label.npy                    (n_blocks, n_concepts), concept ids 1..40
    meta-info/All_video_{color,face_apperance,human_apperance,obj_number,optical_flow_score}.npy
                                                     (n_blocks, n_clips), indexed 5p + r
    BLIP-caption/1st_10min.txt … 7th_10min.txt       n_clips lines per block, line 5p + r

A block shows ``n_concepts`` concepts in a block-specific order; each concept gets a
``hint_s`` hint followed by ``n_repetitions`` clips of ``clip_s`` seconds. The clip at
presentation position ``p`` and repetition ``r`` starts at
``t0 = p * (hint_s + n_repetitions * clip_s) + hint_s + r * clip_s`` seconds
(``13p + 3 + 2r`` for SEED-DV), i.e. EEG samples ``[sfreq*t0, sfreq*t0 + sfreq*clip_s)`` and
video frames ``[fps*t0, fps*t0 + fps*clip_s)``.

:class:`SEEDDVLayout` keeps every one of these numbers in one place, with SEED-DV's values as
defaults; the simulator and the tests use smaller layouts (fewer subjects, blocks, concepts).
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modeling_video2eeg.montage import SEED_CH_NAMES, validate_ch_names

EEG_DIR = "EEG"
VIDEO_DIR = "Video"
META_DIR = "meta-info"
CAPTION_DIR = "BLIP-caption"

LABEL_FILE = "All_video_label.npy"
"""Concept id per (block, presentation position), shape ``(n_blocks, n_concepts)``."""

META_FILES: dict[str, str] = {
    "color": "All_video_color.npy",
    "face_appearance": "All_video_face_apperance.npy",  # spelling as shipped
    "human_appearance": "All_video_human_apperance.npy",  # spelling as shipped
    "object_number": "All_video_obj_number.npy",
    "optical_flow_score": "All_video_optical_flow_score.npy",
}
"""Dataset column -> SEED-DV meta file, each shaped ``(n_blocks, n_clips)`` and indexed 5p + r."""

_EEG_NAME = re.compile(r"^sub(?P<subject>\d+)(?:_session(?P<session>\d+))?\.npy$")


def ordinal(n: int) -> str:
    """English ordinal of a positive integer: 1 -> ``"1st"``, 2 -> ``"2nd"``, 11 -> ``"11th"``."""
    if n < 1:
        raise ValueError(f"ordinal needs a positive integer, got {n}")
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def eeg_file_name(subject: int, session: int = 1) -> str:
    """SEED-DV EEG file name: ``sub3.npy`` (session 1) or ``sub1_session2.npy``."""
    if subject < 1 or session < 1:
        raise ValueError(
            f"subject and session are 1-based, got subject={subject}, session={session}"
        )
    return f"sub{subject}.npy" if session == 1 else f"sub{subject}_session{session}.npy"


def parse_eeg_file_name(name: str) -> tuple[int, int] | None:
    """``(subject, session)`` from a SEED-DV EEG file name, or ``None`` if it is not one."""
    match = _EEG_NAME.match(name)
    if match is None:
        return None
    return int(match.group("subject")), int(match.group("session") or 1)


@dataclass(frozen=True)
class SEEDDVLayout:
    """Every constant of the SEED-DV layout; defaults are SEED-DV's.

    Parameters
    ----------
    n_subjects : int
        Subjects ``1..n_subjects`` (files ``sub{N}.npy``); the reader discovers what exists,
        this is what the simulator writes and what the report expects.
    second_sessions : tuple of int
        Subjects that also have ``sub{N}_session2.npy`` (SEED-DV: subject 1).
    n_blocks : int
        Blocks per session (one video each).
    n_concepts : int
        Concepts per block (each shown once per block, in a block-specific order).
    n_repetitions : int
        Clips per concept presentation.
    hint_s, clip_s : float
        Seconds of the hint before a concept's clips, and of each clip.
    sfreq : float
        EEG sampling frequency (Hz).
    fps : float
        Video frame rate (frames per second).
    ch_names : tuple of str
        EEG channels in row order (SEED's 62 by default).
    """

    n_subjects: int = 20
    second_sessions: tuple[int, ...] = (1,)
    n_blocks: int = 7
    n_concepts: int = 40
    n_repetitions: int = 5
    hint_s: float = 3.0
    clip_s: float = 2.0
    sfreq: float = 200.0
    fps: float = 24.0
    ch_names: tuple[str, ...] = field(default=SEED_CH_NAMES)

    def __post_init__(self) -> None:
        for name in ("n_subjects", "n_blocks", "n_concepts", "n_repetitions"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"SEEDDVLayout.{name} must be a positive int, got {value!r}")
        if not self.hint_s >= 0:
            raise ValueError(f"SEEDDVLayout.hint_s must be >= 0, got {self.hint_s!r}")
        for name in ("clip_s", "sfreq", "fps"):
            if not getattr(self, name) > 0:
                raise ValueError(
                    f"SEEDDVLayout.{name} must be positive, got {getattr(self, name)!r}"
                )
        # Sample and frame indices must be exact integers for every clip onset.
        for seconds_name in ("hint_s", "clip_s"):
            for rate_name in ("sfreq", "fps"):
                count = getattr(self, seconds_name) * getattr(self, rate_name)
                if abs(count - round(count)) > 1e-9:
                    raise ValueError(
                        f"SEEDDVLayout.{seconds_name} * {rate_name} must be a whole number of "
                        f"samples/frames, got {getattr(self, seconds_name)} * "
                        f"{getattr(self, rate_name)} = {count}"
                    )
        object.__setattr__(self, "ch_names", validate_ch_names(self.ch_names))
        object.__setattr__(self, "second_sessions", tuple(int(s) for s in self.second_sessions))
        bad = [s for s in self.second_sessions if not 1 <= s <= self.n_subjects]
        if bad:
            raise ValueError(
                f"SEEDDVLayout.second_sessions must name subjects in 1..{self.n_subjects}, got {bad}"
            )

    # ----------------------------------------------------------------- derived sizes
    @property
    def n_chans(self) -> int:
        return len(self.ch_names)

    @property
    def n_clips(self) -> int:
        """Clips per block (``n_concepts * n_repetitions``; 200 for SEED-DV)."""
        return self.n_concepts * self.n_repetitions

    @property
    def concept_s(self) -> float:
        """Seconds per concept presentation (hint + its clips; 13 for SEED-DV)."""
        return self.hint_s + self.n_repetitions * self.clip_s

    @property
    def block_s(self) -> float:
        """Seconds per block (520 for SEED-DV)."""
        return self.n_concepts * self.concept_s

    @property
    def n_times(self) -> int:
        """EEG samples per block (104 000 for SEED-DV)."""
        return round(self.block_s * self.sfreq)

    @property
    def n_frames(self) -> int:
        """Video frames per block (12 480 for SEED-DV)."""
        return round(self.block_s * self.fps)

    @property
    def clip_samples(self) -> int:
        """EEG samples per clip (400 for SEED-DV)."""
        return round(self.clip_s * self.sfreq)

    @property
    def clip_frames(self) -> int:
        """Video frames per clip (48 for SEED-DV)."""
        return round(self.clip_s * self.fps)

    @property
    def eeg_shape(self) -> tuple[int, int, int]:
        """Shape of one EEG file: ``(n_blocks, n_chans, n_times)``."""
        return (self.n_blocks, self.n_chans, self.n_times)

    def sessions(self) -> list[tuple[int, int]]:
        """``(subject, session)`` pairs a complete tree holds, sorted."""
        pairs = [(s, 1) for s in range(1, self.n_subjects + 1)]
        pairs += [(s, 2) for s in self.second_sessions]
        return sorted(pairs)

    # ----------------------------------------------------------------- timing
    def _check_clip(self, position: int, repetition: int) -> None:
        if not 0 <= position < self.n_concepts:
            raise ValueError(f"position must be in [0, {self.n_concepts}), got {position}")
        if not 0 <= repetition < self.n_repetitions:
            raise ValueError(f"repetition must be in [0, {self.n_repetitions}), got {repetition}")

    def clip_onset_s(self, position: int, repetition: int) -> float:
        """Clip onset ``t0`` in seconds from block start (``13p + 3 + 2r`` for SEED-DV)."""
        self._check_clip(position, repetition)
        return position * self.concept_s + self.hint_s + repetition * self.clip_s

    def clip_samples_range(self, position: int, repetition: int) -> tuple[int, int]:
        """EEG sample range ``[start, stop)`` of a clip within its block."""
        start = round(self.clip_onset_s(position, repetition) * self.sfreq)
        return start, start + self.clip_samples

    def clip_frame_range(self, position: int, repetition: int) -> tuple[int, int]:
        """Video frame range ``[start, stop)`` of a clip within its block video."""
        start = round(self.clip_onset_s(position, repetition) * self.fps)
        return start, start + self.clip_frames

    def meta_index(self, position: int, repetition: int) -> int:
        """``n_repetitions * p + r``: the clip's column in meta arrays and its caption line."""
        self._check_clip(position, repetition)
        return position * self.n_repetitions + repetition

    # ----------------------------------------------------------------- paths
    def block_name(self, block: int) -> str:
        """Stem shared by a block's video and caption file: ``"1st_10min"`` for block 1."""
        if not 1 <= block <= self.n_blocks:
            raise ValueError(f"block must be in [1, {self.n_blocks}] (1-based), got {block}")
        return f"{ordinal(block)}_10min"

    def video_path(self, root: str | Path, block: int) -> Path:
        return Path(root) / VIDEO_DIR / f"{self.block_name(block)}.mp4"

    def caption_path(self, root: str | Path, block: int) -> Path:
        return Path(root) / CAPTION_DIR / f"{self.block_name(block)}.txt"

    def eeg_path(self, root: str | Path, subject: int, session: int = 1) -> Path:
        return Path(root) / EEG_DIR / eeg_file_name(subject, session)

    def meta_path(self, root: str | Path, file_name: str) -> Path:
        return Path(root) / META_DIR / file_name

    # ----------------------------------------------------------------- (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (tuples as lists)."""
        return {
            f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
            for f in dataclasses.fields(self)
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SEEDDVLayout:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"Unknown SEEDDVLayout fields {unknown}; known fields are {sorted(known)}"
            )
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**kwargs)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)
