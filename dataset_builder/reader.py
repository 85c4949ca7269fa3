"""Read a SEED-DV tree (real or simulated) and yield aligned clips.

The EEG files are memory-mapped (``np.load(..., mmap_mode="r")``): reading one clip touches
``n_chans`` runs of ``clip_samples`` values, never the whole 180 MB subject file. Concept ids
come from ``meta-info/All_video_label.npy[block, position]`` (the presentation order differs
per block), captions from line ``5p + r`` of the block's caption file, and the other meta
attributes from column ``5p + r`` of their ``(n_blocks, n_clips)`` arrays.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dataset_builder.layout import (
    CAPTION_DIR,
    EEG_DIR,
    LABEL_FILE,
    META_DIR,
    META_FILES,
    VIDEO_DIR,
    SEEDDVLayout,
    parse_eeg_file_name,
)


class SEEDDVFormatError(ValueError):
    """The folder is not (or not a complete, readable) SEED-DV tree; the message says why."""


# ------------------------------------------------------------------------------ npy headers
@dataclass(frozen=True)
class NpyHeader:
    """The header of a ``.npy`` file and what its size implies.

    Attributes
    ----------
    path : Path
    shape : tuple of int
    dtype : np.dtype
    fortran_order : bool
    data_offset : int
        Bytes before the array data.
    file_size : int
        Bytes on disk.
    """

    path: Path
    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    data_offset: int
    file_size: int

    @property
    def expected_size(self) -> int:
        """File size the header promises: offset + prod(shape) * itemsize."""
        return self.data_offset + int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize

    @property
    def truncated(self) -> bool:
        return self.file_size < self.expected_size

    @property
    def missing_bytes(self) -> int:
        return max(0, self.expected_size - self.file_size)


def read_npy_header(path: str | Path) -> NpyHeader:
    """Parse a ``.npy`` header without reading the data.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    SEEDDVFormatError
        If it is not a readable ``.npy`` file (bad magic, damaged header).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"file not found: {path}")
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            else:  # 3.0 (UTF-8 field names) has no public header reader; numpy never writes it for EEG
                raise ValueError(f"unsupported .npy format version {version}")
            offset = f.tell()
    except (ValueError, OSError, SyntaxError) as error:
        raise SEEDDVFormatError(f"{path} is not a readable .npy file: {error}") from error
    return NpyHeader(
        path=path,
        shape=tuple(int(s) for s in shape),
        dtype=np.dtype(dtype),
        fortran_order=bool(fortran),
        data_offset=offset,
        file_size=path.stat().st_size,
    )


def open_eeg(path: str | Path, layout: SEEDDVLayout) -> np.ndarray:
    """Memory-map one EEG file after checking it against the layout.

    Returns
    -------
    np.ndarray
        Read-only ``np.memmap`` of shape ``(n_blocks, n_chans, n_times)``.

    Raises
    ------
    SEEDDVFormatError
        Corrupt header, truncated data, a non-float dtype, Fortran order, or a shape other
        than ``layout.eeg_shape``; the message names the file and the difference.
    """
    header = read_npy_header(path)
    if header.truncated:
        raise SEEDDVFormatError(
            f"{header.path} is truncated: its header promises shape {header.shape} "
            f"({header.expected_size} bytes) but the file has {header.file_size} bytes "
            f"({header.missing_bytes} missing)"
        )
    if header.dtype.kind != "f":
        raise SEEDDVFormatError(
            f"{header.path} holds {header.dtype}; SEED-DV EEG is floating point (microvolts)"
        )
    if header.fortran_order:
        raise SEEDDVFormatError(
            f"{header.path} is stored in Fortran order; expected C order (as numpy saves)"
        )
    if header.shape != layout.eeg_shape:
        raise SEEDDVFormatError(
            f"{header.path} has shape {header.shape}; expected (n_blocks, n_chans, n_times) = "
            f"{layout.eeg_shape}"
        )
    try:
        return np.load(header.path, mmap_mode="r", allow_pickle=False)
    except ValueError as error:
        raise SEEDDVFormatError(f"cannot memory-map {header.path}: {error}") from error


# ------------------------------------------------------------------------------ meta + captions
def load_concept_order(root: str | Path, layout: SEEDDVLayout) -> np.ndarray:
    """``All_video_label.npy`` as ``int64 (n_blocks, n_concepts)`` concept ids, validated."""
    path = layout.meta_path(root, LABEL_FILE)
    array = _load_small_npy(path)
    expected = (layout.n_blocks, layout.n_concepts)
    if array.shape != expected:
        raise SEEDDVFormatError(f"{path} has shape {array.shape}; expected {expected}")
    if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
        raise SEEDDVFormatError(f"{path} must hold integer concept ids")
    order = array.astype(np.int64)
    bad = order[(order < 1) | (order > layout.n_concepts)]
    if bad.size:
        raise SEEDDVFormatError(
            f"{path} holds concept ids {sorted(set(bad.tolist()))[:10]} outside 1..{layout.n_concepts}"
        )
    return order


def load_meta(root: str | Path, layout: SEEDDVLayout) -> dict[str, np.ndarray]:
    """The per-clip meta arrays as ``float32 (n_blocks, n_clips)``, keyed by dataset column."""
    out = {}
    for name, file_name in META_FILES.items():
        path = layout.meta_path(root, file_name)
        array = _load_small_npy(path)
        expected = (layout.n_blocks, layout.n_clips)
        if array.shape != expected:
            raise SEEDDVFormatError(
                f"{path} has shape {array.shape}; expected (n_blocks, n_clips) = {expected}"
            )
        out[name] = array.astype(np.float32)
    return out


def load_captions(root: str | Path, layout: SEEDDVLayout, block: int) -> list[str]:
    """The ``n_clips`` caption lines of a block (line ``5p + r`` describes clip (p, r))."""
    path = layout.caption_path(root, block)
    if not path.is_file():
        raise FileNotFoundError(f"caption file not found: {path}")
    lines = path.read_text(encoding="utf-8").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) != layout.n_clips:
        raise SEEDDVFormatError(
            f"{path} has {len(lines)} caption lines; expected one per clip ({layout.n_clips})"
        )
    return [line.strip() for line in lines]


def _load_small_npy(path: Path) -> np.ndarray:
    if not path.is_file():
        raise FileNotFoundError(f"meta file not found: {path}")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise SEEDDVFormatError(f"{path} is not a readable .npy file: {error}") from error


def missing_layout_items(root: str | Path, layout: SEEDDVLayout) -> list[str]:
    """Folders and files a SEED-DV tree must have but ``root`` lacks (relative paths)."""
    root = Path(root)
    missing = [
        f"{d}/" for d in (EEG_DIR, VIDEO_DIR, META_DIR, CAPTION_DIR) if not (root / d).is_dir()
    ]
    for file_name in (LABEL_FILE, *META_FILES.values()):
        if (root / META_DIR).is_dir() and not layout.meta_path(root, file_name).is_file():
            missing.append(f"{META_DIR}/{file_name}")
    for block in range(1, layout.n_blocks + 1):
        if (root / VIDEO_DIR).is_dir() and not layout.video_path(root, block).is_file():
            missing.append(f"{VIDEO_DIR}/{layout.block_name(block)}.mp4")
        if (root / CAPTION_DIR).is_dir() and not layout.caption_path(root, block).is_file():
            missing.append(f"{CAPTION_DIR}/{layout.block_name(block)}.txt")
    if (root / EEG_DIR).is_dir() and not discover_recordings(root):
        missing.append(f"{EEG_DIR}/sub<N>.npy (no EEG file found)")
    return missing


# ------------------------------------------------------------------------------ clips
@dataclass(frozen=True)
class Recording:
    """One EEG file: an external subject id (1-based) and session."""

    subject: int
    session: int
    path: Path

    @property
    def name(self) -> str:
        return f"sub{self.subject}_session{self.session}"


def discover_recordings(root: str | Path) -> list[Recording]:
    """EEG files under ``root/EEG`` named like SEED-DV's, sorted by (subject, session)."""
    folder = Path(root) / EEG_DIR
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        parsed = parse_eeg_file_name(path.name)
        if parsed is not None and path.is_file():
            found.append(Recording(subject=parsed[0], session=parsed[1], path=path))
    return sorted(found, key=lambda r: (r.subject, r.session))


@dataclass(frozen=True)
class ClipInfo:
    """Everything about one aligned clip except its EEG samples.

    Attributes
    ----------
    subject, session : int
        External ids (``sub1_session2.npy`` -> 1, 2).
    block : int
        1-based block.
    position : int
        Presentation position ``p`` in the block (0-based).
    repetition : int
        Clip ``r`` within the concept (0-based).
    concept : int
        ``All_video_label[block - 1, position]`` (1-based).
    caption : str
        Line ``5p + r`` of the block's caption file.
    meta : dict
        ``color``, ``face_appearance``, ``human_appearance``, ``object_number``,
        ``optical_flow_score`` at column ``5p + r``.
    eeg_range : (int, int)
        Sample range ``[start, stop)`` in the block's EEG.
    frame_range : (int, int)
        Frame range ``[start, stop)`` in the block's video.
    video_path : Path
        The block's video.
    """

    subject: int
    session: int
    block: int
    position: int
    repetition: int
    concept: int
    caption: str
    meta: dict[str, float] = field(hash=False)
    eeg_range: tuple[int, int]
    frame_range: tuple[int, int]
    video_path: Path

    @property
    def key(self) -> str:
        """Unique, deterministic id: ``sub1_session1_block2_pos5_rep3``."""
        return (
            f"sub{self.subject}_session{self.session}_block{self.block}"
            f"_pos{self.position}_rep{self.repetition}"
        )


@dataclass(frozen=True)
class AlignedClip:
    """A clip with its EEG: ``info`` plus ``eeg`` ``float32 (n_chans, clip_samples)`` µV."""

    info: ClipInfo
    eeg: np.ndarray


class SEEDDVReader:
    """A SEED-DV tree: discovery, memory-mapped EEG and aligned clip iteration.

    Parameters
    ----------
    root : path-like
        The folder holding ``EEG/``, ``Video/``, ``meta-info/`` and ``BLIP-caption/``.
    layout : SEEDDVLayout, optional
        Constants; default SEED-DV's.

    Raises
    ------
    SEEDDVFormatError
        If folders or files are missing (all of them are named), or a meta/caption file does
        not match the layout. EEG files are checked when first opened (:meth:`eeg`).
    """

    def __init__(self, root: str | Path, layout: SEEDDVLayout | None = None) -> None:
        self.root = Path(root)
        self.layout = layout or SEEDDVLayout()
        if not self.root.is_dir():
            raise SEEDDVFormatError(f"SEED-DV root {self.root} is not a directory")
        missing = missing_layout_items(self.root, self.layout)
        if missing:
            raise SEEDDVFormatError(
                f"{self.root} is not a complete SEED-DV tree; missing: {', '.join(missing)}"
            )
        self.recordings = discover_recordings(self.root)
        self.concept_order = load_concept_order(self.root, self.layout)
        self.meta = load_meta(self.root, self.layout)
        self.captions = {
            block: load_captions(self.root, self.layout, block)
            for block in range(1, self.layout.n_blocks + 1)
        }
        self._eeg: dict[tuple[int, int], np.ndarray] = {}

    def recording(self, subject: int, session: int = 1) -> Recording:
        for rec in self.recordings:
            if (rec.subject, rec.session) == (subject, session):
                return rec
        available = [(r.subject, r.session) for r in self.recordings]
        raise KeyError(
            f"no EEG for subject {subject} session {session} in {self.root / EEG_DIR}; "
            f"available (subject, session): {available}"
        )

    def eeg(self, subject: int, session: int = 1) -> np.ndarray:
        """The memory-mapped EEG of one recording, ``(n_blocks, n_chans, n_times)``."""
        key = (subject, session)
        if key not in self._eeg:
            self._eeg[key] = open_eeg(self.recording(subject, session).path, self.layout)
        return self._eeg[key]

    def select(
        self,
        subjects: Iterable[int] | None = None,
        sessions: Iterable[int] | None = None,
    ) -> list[Recording]:
        """Recordings filtered by subject and session ids (``None`` keeps all)."""
        subjects = None if subjects is None else set(subjects)
        sessions = None if sessions is None else set(sessions)
        if subjects is not None:
            unknown = subjects - {r.subject for r in self.recordings}
            if unknown:
                raise KeyError(
                    f"subjects {sorted(unknown)} have no EEG file in {self.root / EEG_DIR}; "
                    f"found subjects {sorted({r.subject for r in self.recordings})}"
                )
        return [
            r
            for r in self.recordings
            if (subjects is None or r.subject in subjects)
            and (sessions is None or r.session in sessions)
        ]

    def _check_blocks(self, blocks: Iterable[int] | None) -> list[int]:
        all_blocks = list(range(1, self.layout.n_blocks + 1))
        if blocks is None:
            return all_blocks
        blocks = sorted(set(int(b) for b in blocks))
        bad = [b for b in blocks if b not in all_blocks]
        if bad:
            raise ValueError(f"blocks {bad} are outside 1..{self.layout.n_blocks}")
        return blocks

    def block_clip_infos(self, recording: Recording, block: int) -> list[ClipInfo]:
        """The clips of one block of one recording, in time order."""
        lay = self.layout
        captions = self.captions[block]
        video_path = lay.video_path(self.root, block)
        infos = []
        for position in range(lay.n_concepts):
            concept = int(self.concept_order[block - 1, position])
            for repetition in range(lay.n_repetitions):
                j = lay.meta_index(position, repetition)
                infos.append(
                    ClipInfo(
                        subject=recording.subject,
                        session=recording.session,
                        block=block,
                        position=position,
                        repetition=repetition,
                        concept=concept,
                        caption=captions[j],
                        meta={
                            name: float(values[block - 1, j]) for name, values in self.meta.items()
                        },
                        eeg_range=lay.clip_samples_range(position, repetition),
                        frame_range=lay.clip_frame_range(position, repetition),
                        video_path=video_path,
                    )
                )
        return infos

    def clip_infos(
        self,
        subjects: Iterable[int] | None = None,
        sessions: Iterable[int] | None = None,
        blocks: Iterable[int] | None = None,
    ) -> Iterator[ClipInfo]:
        """Clip descriptions in (subject, session, block, position, repetition) order."""
        blocks = self._check_blocks(blocks)
        for recording in self.select(subjects, sessions):
            for block in blocks:
                yield from self.block_clip_infos(recording, block)

    def read_eeg(self, info: ClipInfo) -> np.ndarray:
        """The clip's EEG: ``float32 (n_chans, clip_samples)`` copied out of the memory map."""
        start, stop = info.eeg_range
        return np.array(
            self.eeg(info.subject, info.session)[info.block - 1, :, start:stop], dtype=np.float32
        )

    def iter_clips(
        self,
        subjects: Iterable[int] | None = None,
        sessions: Iterable[int] | None = None,
        blocks: Iterable[int] | None = None,
    ) -> Iterator[AlignedClip]:
        """Aligned clips (description + EEG) in (subject, session, block, p, r) order."""
        for info in self.clip_infos(subjects, sessions, blocks):
            yield AlignedClip(info=info, eeg=self.read_eeg(info))


def infer_layout(root: str | Path) -> SEEDDVLayout:
    """The layout of a tree: the one a simulator recorded in it, else SEED-DV's defaults.

    Simulated trees store their layout in ``ground_truth.json`` (and ``.simulation.json``
    while being written); real SEED-DV trees have neither.
    """
    import json

    root = Path(root)
    for name in ("ground_truth.json", ".simulation.json"):
        path = root / name
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as error:
                raise SEEDDVFormatError(f"{path} is not valid JSON: {error}") from error
            if isinstance(data, dict) and isinstance(data.get("layout"), dict):
                return SEEDDVLayout.from_dict(data["layout"])
    return SEEDDVLayout()
