"""Video stimuli for the generation job: 2 s clips from a SEED-DV tree, a dataset or a folder.

A :class:`StimulusSet` lists its clips up front as small :class:`Stimulus` records (a key and
labels, no video bytes), so a plan over 1 400 clips × 20 subjects costs kilobytes; the mp4
bytes of a clip are produced only when a shard needs them (:meth:`StimulusSet.load_videos`).

Sources
-------
* a SEED-DV root (real or simulated): one stimulus per (block, position, repetition), cut from
  the block video at frames ``[24·t0, 24·t0 + 48)``; concept, caption and meta attributes come
  along, and the subjects' real EEG for the same clip is available for evaluation;
* an aligned dataset folder (``video2eeg align`` output) or Hub id: its distinct clips
  (by block, position, repetition), with the rows' EEG available for evaluation;
* a folder of video files: each file cut into back-to-back 2 s windows on its own timestamps
  (a partial last window is dropped). Files FFmpeg cannot read are skipped with the reason
  recorded in :attr:`StimulusSet.skipped`, or refused, as ``on_error`` says.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from dataset_builder.layout import SEEDDVLayout

logger = logging.getLogger(__name__)

CLIP_SECONDS = 2.0
VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".avi", ".mov", ".m4v", ".mpg", ".mpeg", ".ogv")


@dataclass(frozen=True)
class Stimulus:
    """One 2 s video clip to generate EEG for (no bytes: see :meth:`StimulusSet.load_videos`).

    ``key`` is stable across runs and machines (it seeds the clip's rows); the label fields are
    ``None`` where the source has no such label.
    """

    key: str
    source: str
    start_s: float
    concept: int | None = None
    caption: str | None = None
    block: int | None = None
    position: int | None = None
    repetition: int | None = None
    meta: dict[str, float] = field(default_factory=dict, hash=False, compare=False)


class StimulusSet:
    """Clips of one source; subclasses load their bytes and, where they can, real EEG."""

    kind: str = ""

    def __init__(self, stimuli: Sequence[Stimulus], description: str) -> None:
        keys = [s.key for s in stimuli]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{description}: stimulus keys are not unique")
        if not stimuli:
            raise ValueError(f"{description}: no 2 s video clips found")
        self.stimuli = list(stimuli)
        self.description = description
        self.skipped: list[dict[str, str]] = []

    def __len__(self) -> int:
        return len(self.stimuli)

    def fingerprint(self) -> str:
        """Hash of the source kind and clip keys: a resumed run must see the same clips."""
        digest = hashlib.sha256(self.kind.encode())
        for stimulus in self.stimuli:
            digest.update(b"\0" + stimulus.key.encode())
        return digest.hexdigest()

    def load_videos(self, stimuli: Sequence[Stimulus]) -> list[bytes]:
        """The clips' mp4 bytes, in the order given."""
        raise NotImplementedError

    def real_eeg(self, stimulus: Stimulus, subject: int) -> np.ndarray | None:
        """Real EEG ``(n_chans, n_times)`` of ``subject`` watching ``stimulus``, if recorded."""
        return None


class SEEDDVStimuli(StimulusSet):
    """The video clips of a SEED-DV tree (see :mod:`dataset_builder.reader`)."""

    kind = "seed-dv"

    def __init__(
        self,
        root: str | Path,
        layout: SEEDDVLayout | None = None,
        blocks: Iterable[int] | None = None,
        video_size: tuple[int, int] | None = None,
    ) -> None:
        from dataset_builder.reader import SEEDDVReader, infer_layout

        self.reader = SEEDDVReader(root, layout or infer_layout(root))
        self.video_size = video_size
        lay = self.reader.layout
        recording = self.reader.recordings[0] if self.reader.recordings else None
        if recording is None:
            raise ValueError(f"{root}: no EEG recordings found (the clip table needs one)")
        all_blocks = range(1, lay.n_blocks + 1)
        blocks = list(all_blocks) if blocks is None else sorted({int(b) for b in blocks})
        if not set(blocks) <= set(all_blocks):
            raise ValueError(f"blocks {blocks} must lie in 1..{lay.n_blocks}")
        stimuli = []
        for block in blocks:
            for info in self.reader.block_clip_infos(recording, block):
                stimuli.append(
                    Stimulus(
                        key=f"block{block}_pos{info.position}_rep{info.repetition}",
                        source=lay.video_path(self.reader.root, block).name,
                        start_s=info.frame_range[0] / lay.fps,
                        concept=info.concept,
                        caption=info.caption,
                        block=block,
                        position=info.position,
                        repetition=info.repetition,
                        meta=dict(info.meta),
                    )
                )
        # Names, not absolute paths: the description ends up in dataset cards.
        super().__init__(stimuli, f"SEED-DV tree {Path(root).name}")

    def load_videos(self, stimuli: Sequence[Stimulus]) -> list[bytes]:
        from torchcodec.decoders import VideoDecoder

        lay = self.reader.layout
        out = []
        decoders: dict[int, VideoDecoder] = {}
        for stimulus in stimuli:
            block = int(stimulus.block)  # type: ignore[arg-type]
            if block not in decoders:
                decoders[block] = VideoDecoder(
                    str(lay.video_path(self.reader.root, block)), seek_mode="exact"
                )
            start, stop = lay.clip_frame_range(stimulus.position, stimulus.repetition)
            frames = decoders[block].get_frames_in_range(start, stop).data  # (n, 3, H, W)
            out.append(_encode(frames.permute(0, 2, 3, 1).numpy(), lay.fps, self.video_size))
        return out

    def real_eeg(self, stimulus: Stimulus, subject: int) -> np.ndarray | None:
        lay = self.reader.layout
        if not any(r.subject == subject and r.session == 1 for r in self.reader.recordings):
            return None
        start, stop = lay.clip_samples_range(stimulus.position, stimulus.repetition)
        eeg = self.reader.eeg(subject, 1)
        return np.array(eeg[stimulus.block - 1, :, start:stop], dtype=np.float32)


class DatasetStimuli(StimulusSet):
    """The distinct clips of an aligned dataset (a ``video2eeg align`` folder or Hub id).

    Rows are read with ``datasets`` without decoding the video (the embedded mp4 bytes are
    reused as they are). A clip is identified by (block, position, repetition); its real EEG
    for a subject is that subject's session-1 row for the clip.
    """

    kind = "dataset"

    def __init__(self, source: str, split: str | None = None) -> None:
        import datasets

        dataset = datasets.load_dataset(source)
        splits = [split] if split is not None else list(dataset)
        missing = [s for s in splits if s not in dataset]
        if missing:
            raise ValueError(f"{source}: no split {missing}; it has {list(dataset)}")
        required = {"video", "eeg", "subject", "block", "position", "repetition"}
        self._rows: dict[tuple[str, int], tuple[str, int]] = {}
        self._dataset = {}
        stimuli: dict[str, Stimulus] = {}
        for name in splits:
            part = dataset[name]
            absent = required - set(part.column_names)
            if absent:
                raise ValueError(
                    f"{source} split {name!r} lacks columns {sorted(absent)} needed to "
                    "recover its video clips"
                )
            part = part.cast_column("video", datasets.Video(decode=False))
            self._dataset[name] = part
            labels = part.select_columns(
                [
                    c
                    for c in (
                        "subject",
                        "session",
                        "block",
                        "position",
                        "repetition",
                        "concept",
                        "caption",
                    )
                    if c in part.column_names
                ]
            ).to_dict()
            concept_names = (
                part.features["concept"].names
                if "concept" in part.column_names and hasattr(part.features["concept"], "names")
                else None
            )
            for i in range(part.num_rows):
                key = (
                    f"block{labels['block'][i]}_pos{labels['position'][i]}"
                    f"_rep{labels['repetition'][i]}"
                )
                if labels.get("session", [1] * part.num_rows)[i] == 1:
                    self._rows[(key, int(labels["subject"][i]))] = (name, i)
                if key in stimuli:
                    continue
                concept = labels.get("concept", [None] * part.num_rows)[i]
                if concept is not None and concept_names is not None:
                    concept = int(concept_names[concept])
                stimuli[key] = Stimulus(
                    key=key,
                    source=f"{source}:{name}",
                    start_s=0.0,
                    concept=concept,
                    caption=labels.get("caption", [None] * part.num_rows)[i],
                    block=int(labels["block"][i]),
                    position=int(labels["position"][i]),
                    repetition=int(labels["repetition"][i]),
                )
                self._rows.setdefault((key, -1), (name, i))
        name = Path(source).name if Path(source).exists() else source
        super().__init__(sorted(stimuli.values(), key=_seed_dv_order), f"dataset {name}")

    def load_videos(self, stimuli: Sequence[Stimulus]) -> list[bytes]:
        out = []
        for stimulus in stimuli:
            split, index = self._rows[(stimulus.key, -1)]
            out.append(self._dataset[split][index]["video"]["bytes"])
        return out

    def real_eeg(self, stimulus: Stimulus, subject: int) -> np.ndarray | None:
        where = self._rows.get((stimulus.key, subject))
        if where is None:
            return None
        split, index = where
        return np.asarray(self._dataset[split][index]["eeg"], dtype=np.float32)


class VideoFolderStimuli(StimulusSet):
    """Back-to-back 2 s windows of every video file in a folder (recursively, sorted)."""

    kind = "video-folder"

    def __init__(
        self,
        folder: str | Path,
        on_error: Literal["skip", "error"] = "skip",
        video_size: tuple[int, int] | None = None,
    ) -> None:
        from pipelines.video_io import probe_video

        if on_error not in ("skip", "error"):
            raise ValueError(f"on_error must be 'skip' or 'error', got {on_error!r}")
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise FileNotFoundError(f"videos folder not found: {self.folder}")
        self.video_size = video_size
        files = sorted(
            p for p in self.folder.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
        )
        if not files:
            raise ValueError(
                f"{self.folder} holds no video files (looked for {', '.join(VIDEO_SUFFIXES)})"
            )
        stimuli, skipped = [], []
        for path in files:
            name = path.relative_to(self.folder).as_posix()
            try:
                info = probe_video(path)
                n_windows = int(info.duration_s // CLIP_SECONDS)
                if n_windows < 1:
                    raise ValueError(
                        f"lasts {info.duration_s:.3f} s, shorter than one {CLIP_SECONDS:g} s clip"
                    )
            except (ValueError, RuntimeError, OSError) as error:
                if on_error == "error":
                    raise ValueError(f"cannot use video {path}: {error}") from error
                logger.warning("skipping video %s: %s", path, error)
                skipped.append({"file": name, "reason": str(error)})
                continue
            for w in range(n_windows):
                stimuli.append(Stimulus(key=f"{name}#w{w}", source=name, start_s=w * CLIP_SECONDS))
        super().__init__(stimuli, f"videos folder {self.folder.name}")
        self.skipped = skipped

    def load_videos(self, stimuli: Sequence[Stimulus]) -> list[bytes]:
        from torchcodec.decoders import VideoDecoder

        out = []
        for stimulus in stimuli:
            decoder = VideoDecoder(str(self.folder / stimulus.source), seek_mode="exact")
            batch = decoder.get_frames_played_in_range(
                stimulus.start_s, stimulus.start_s + CLIP_SECONDS
            )
            frames = batch.data.permute(0, 2, 3, 1).numpy()
            fps = len(frames) / CLIP_SECONDS
            out.append(_encode(frames, fps, self.video_size))
        return out


def open_stimuli(
    videos: str | Path,
    *,
    on_error: Literal["skip", "error"] = "skip",
    split: str | None = None,
    blocks: Iterable[int] | None = None,
    video_size: tuple[int, int] | None = None,
) -> StimulusSet:
    """Pick the source kind of ``videos``: a SEED-DV root, a dataset folder/Hub id, or videos.

    A folder with ``EEG/`` and ``Video/`` is a SEED-DV tree; one with ``README.md`` and Parquet
    files under ``data/`` is a dataset; any other folder is a folder of videos; a string that
    is no local path is taken as a Hub dataset id.
    """
    path = Path(videos)
    if path.is_dir():
        if (path / "EEG").is_dir() and (path / "Video").is_dir():
            return SEEDDVStimuli(path, blocks=blocks, video_size=video_size)
        if (path / "README.md").is_file() and any(path.glob("data/*.parquet")):
            return DatasetStimuli(str(path), split=split)
        return VideoFolderStimuli(path, on_error=on_error, video_size=video_size)
    if path.exists():
        raise ValueError(f"--videos must be a folder or a Hub dataset id, got the file {path}")
    if str(videos).startswith((".", "/", "~")) or str(videos).count("/") != 1:
        raise FileNotFoundError(f"videos source not found: {videos}")
    return DatasetStimuli(str(videos), split=split)


def _encode(frames: np.ndarray, fps: float, size: tuple[int, int] | None) -> bytes:
    """H.264 mp4 of ``(n, H, W, 3)`` frames, optionally resized, even-sized for yuv420p."""
    from dataset_builder.video_clips import encode_mp4_bytes

    if size is not None:
        import torch
        import torch.nn.functional as F

        tensor = torch.from_numpy(frames).permute(0, 3, 1, 2).float()
        tensor = F.interpolate(tensor, size=(size[1], size[0]), mode="area")
        frames = tensor.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    h, w = frames.shape[1] - frames.shape[1] % 2, frames.shape[2] - frames.shape[2] % 2
    return encode_mp4_bytes(np.ascontiguousarray(frames[:, :h, :w]), fps)


def _seed_dv_order(stimulus: Stimulus) -> tuple[int, int, int]:
    return (stimulus.block or 0, stimulus.position or 0, stimulus.repetition or 0)
