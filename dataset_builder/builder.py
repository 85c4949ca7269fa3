"""Build the aligned video-EEG-emotion dataset from a SEED-DV tree.

Two paths over the same rows (:class:`ClipRowFactory`):

* :func:`write_aligned_dataset` — what ``video2eeg align`` runs. It writes Parquet shards
  ``data/{split}-{i:05d}-of-{n:05d}.parquet`` (one per (block, recording), block-major, so each
  block video is decoded once and its clips are reused for every subject) and a ``README.md``
  whose YAML ``configs``/``dataset_info`` make ``datasets.load_dataset(folder)`` work with no
  source tree (also with ``streaming=True``). Each shard is written to a hidden temporary file
  and ``os.replace``-d into place, so an interrupted run leaves only complete shards; a rerun
  with the same options skips them and writes the rest (a ``.align_state.json`` fingerprint
  refuses to mix runs with different options).
* :class:`SEEDDVAligned` — a ``datasets.GeneratorBasedBuilder`` for users who prefer the
  datasets-native flow. Loading scripts are gone in datasets 5, but a builder class still
  works locally: ``builder = SEEDDVAligned(seed_dv_root=..., cache_dir=...)``,
  ``builder.download_and_prepare()``, ``builder.as_dataset("train")``.

Splits are by block (default: every block but the last is ``train``, the last is ``test`` —
blocks 1–6 / 7 on SEED-DV), so no 2 s window of one block can appear in two splits.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from datasets.fingerprint import generate_random_fingerprint
from huggingface_hub import DatasetCard, DatasetCardData
from tqdm.auto import tqdm

from dataset_builder.alignment_report import AlignmentReport, check_alignment
from dataset_builder.emotion_labels import (
    UNLABELLED_ASSIGNMENT,
    EmotionSource,
    build_emotion_source,
)
from dataset_builder.features import (
    DEFAULT_EMOTION_LABELS,
    INT_COLUMNS,
    META_COLUMNS,
    aligned_features,
)
from dataset_builder.layout import SEEDDVLayout
from dataset_builder.reader import Recording, SEEDDVReader, infer_layout
from dataset_builder.simulator import load_ground_truth
from dataset_builder.video_clips import BlockVideoReader, encode_frames_mp4

WRITER_VERSION = 1
ROW_GROUP_ROWS = 50
STATE_FILE = ".align_state.json"
DATA_DIR = "data"
_SPLIT_NAME = re.compile(r"^\w+$")


class AlignmentFailedError(RuntimeError):
    """The alignment checks failed; ``report`` says why."""

    def __init__(self, report: AlignmentReport) -> None:
        self.report = report
        codes = ", ".join(sorted(report.codes()))
        super().__init__(
            f"alignment checks failed for {report.root} ({len(report.errors)} errors: {codes}); "
            "run `video2eeg align --report` for details"
        )


# ------------------------------------------------------------------------------ options
def default_split_blocks(layout: SEEDDVLayout) -> dict[str, tuple[int, ...]]:
    """``train`` = every block but the last, ``test`` = the last (SEED-DV: 1–6 / 7)."""
    if layout.n_blocks == 1:
        return {"train": (1,)}
    return {"train": tuple(range(1, layout.n_blocks)), "test": (layout.n_blocks,)}


def validate_split_blocks(
    split_blocks: Mapping[str, Sequence[int]], layout: SEEDDVLayout
) -> dict[str, tuple[int, ...]]:
    """Check a split -> blocks mapping: valid names, blocks in range, no block in two splits."""
    out: dict[str, tuple[int, ...]] = {}
    owner: dict[int, str] = {}
    for split, blocks in split_blocks.items():
        if not _SPLIT_NAME.match(split):
            raise ValueError(f"split names must be letters, digits or '_', got {split!r}")
        blocks = tuple(sorted({int(b) for b in blocks}))
        if not blocks:
            raise ValueError(f"split {split!r} has no blocks")
        bad = [b for b in blocks if not 1 <= b <= layout.n_blocks]
        if bad:
            raise ValueError(f"split {split!r}: blocks {bad} are outside 1..{layout.n_blocks}")
        for b in blocks:
            if b in owner:
                raise ValueError(
                    f"block {b} is in splits {owner[b]!r} and {split!r}; splits must not overlap"
                )
            owner[b] = split
        out[split] = blocks
    if not out:
        raise ValueError("split_blocks is empty")
    return out


def parse_split_blocks(text: str) -> dict[str, tuple[int, ...]]:
    """Parse ``"train=1-6,test=7"`` (ranges and single blocks, ``;`` or ``,`` between splits)."""
    out: dict[str, list[int]] = {}
    current = None
    for part in re.split(r"[;,]", text):
        part = part.strip()
        if not part:
            continue
        if "=" in part:
            current, part = (s.strip() for s in part.split("=", 1))
            out.setdefault(current, [])
        if current is None:
            raise ValueError(
                f"split spec {text!r} must start with NAME=BLOCKS, e.g. 'train=1-6,test=7'"
            )
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if match is None:
            raise ValueError(f"cannot parse blocks {part!r} in split spec {text!r}")
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        out[current].extend(range(low, high + 1))
    return {k: tuple(v) for k, v in out.items()}


@dataclass(frozen=True)
class AlignOptions:
    """What goes into the aligned dataset (everything but the source root and layout).

    Attributes
    ----------
    split_blocks : mapping, optional
        Split name -> blocks; default :func:`default_split_blocks`.
    emotion_labels : tuple of str
        Names of the ``emotion`` ClassLabel.
    emotion_map : str, optional
        Mapping file (JSON/CSV), see :mod:`dataset_builder.emotion_labels`.
    emotion_model : str, optional
        A saved :class:`~dataset_builder.pseudo_labeller.EmotionPseudoLabeller`.
    use_ground_truth : bool
        Use ``ground_truth.json`` of a simulated tree.
    subjects, sessions : tuple of int, optional
        Restrict to these external ids.
    video_size : (width, height), optional
        Rescale clips (even numbers); ``None`` keeps the source size.
    video_crf : int
        x264 quality of the re-encoded clips.
    """

    split_blocks: Mapping[str, Sequence[int]] | None = None
    emotion_labels: tuple[str, ...] = DEFAULT_EMOTION_LABELS
    emotion_map: str | None = None
    emotion_model: str | None = None
    use_ground_truth: bool = False
    subjects: tuple[int, ...] | None = None
    sessions: tuple[int, ...] | None = None
    video_size: tuple[int, int] | None = None
    video_crf: int = 23

    def __post_init__(self) -> None:
        if self.video_size is not None and (
            len(self.video_size) != 2 or any(int(v) < 2 or int(v) % 2 for v in self.video_size)
        ):
            raise ValueError(
                f"video_size must be (width, height), even and >= 2, got {self.video_size}"
            )

    def resolved_splits(self, layout: SEEDDVLayout) -> dict[str, tuple[int, ...]]:
        return validate_split_blocks(self.split_blocks or default_split_blocks(layout), layout)

    def fingerprint(self, root: Path, layout: SEEDDVLayout) -> dict[str, Any]:
        """JSON-serialisable identity of a run (files hashed by content)."""

        def digest(path: str | None) -> str | None:
            return None if path is None else hashlib.sha256(Path(path).read_bytes()).hexdigest()

        return {
            "writer_version": WRITER_VERSION,
            "root": str(root.resolve()),
            "layout": layout.to_dict(),
            "splits": {k: list(v) for k, v in self.resolved_splits(layout).items()},
            "emotion_labels": list(self.emotion_labels),
            "emotion_map_sha256": digest(self.emotion_map),
            "emotion_model_sha256": digest(self.emotion_model),
            "use_ground_truth": self.use_ground_truth,
            "subjects": None if self.subjects is None else sorted(self.subjects),
            "sessions": None if self.sessions is None else sorted(self.sessions),
            "video_size": None if self.video_size is None else list(self.video_size),
            "video_crf": self.video_crf,
        }


# ------------------------------------------------------------------------------ rows
@dataclass(frozen=True)
class ShardPlan:
    """One output shard: a split, its index, and the (block, recording) it holds."""

    split: str
    index: int
    n_shards: int
    block: int
    subject: int
    session: int

    @property
    def file_name(self) -> str:
        return f"{self.split}-{self.index:05d}-of-{self.n_shards:05d}.parquet"


def plan_shards(
    reader: SEEDDVReader,
    split_blocks: Mapping[str, Sequence[int]],
    subjects: Sequence[int] | None = None,
    sessions: Sequence[int] | None = None,
) -> list[ShardPlan]:
    """Shards per split, block-major: ``(block 1, sub1), (block 1, sub2), …, (block 2, sub1)…``."""
    recordings = reader.select(subjects, sessions)
    if not recordings:
        raise ValueError(
            f"no EEG recordings selected in {reader.root} (subjects={subjects}, sessions={sessions})"
        )
    plans = []
    for split, blocks in split_blocks.items():
        units = [(b, r) for b in sorted(blocks) for r in recordings]
        for i, (block, rec) in enumerate(units):
            plans.append(ShardPlan(split, i, len(units), block, rec.subject, rec.session))
    return plans


class ClipRowFactory:
    """Turns one (block, recording) of a SEED-DV tree into dataset rows.

    The block's clips are cut out of its video once (one forward decode), re-encoded as
    standalone mp4s with PyAV, and reused for every recording of that block.

    Parameters
    ----------
    reader : SEEDDVReader
    emotion_labels : sequence of str
        ClassLabel names of ``emotion``.
    emotion_source : EmotionSource, optional
        Labels clips; ``None`` leaves every row ``unlabelled``.
    video_size : (width, height), optional
        Rescale the clips.
    video_crf : int
        x264 quality.
    """

    def __init__(
        self,
        reader: SEEDDVReader,
        emotion_labels: Sequence[str] = DEFAULT_EMOTION_LABELS,
        emotion_source: EmotionSource | None = None,
        video_size: tuple[int, int] | None = None,
        video_crf: int = 23,
    ) -> None:
        self.reader = reader
        self.emotion_labels = list(emotion_labels)
        self.emotion_source = emotion_source
        self.video_size = video_size
        self.video_crf = video_crf
        self._cached_block: int | None = None
        self._cached_videos: list[bytes] = []

    def block_videos(self, block: int) -> list[bytes]:
        """The block's clips as mp4 bytes, in (position, repetition) order."""
        if self._cached_block != block:
            lay = self.reader.layout
            videos = []
            with BlockVideoReader(
                lay.video_path(self.reader.root, block), self.video_size
            ) as video:
                for position in range(lay.n_concepts):
                    for repetition in range(lay.n_repetitions):
                        # Decoded yuv420p frames go straight to the encoder (no RGB trip).
                        frames = video.read_frames(*lay.clip_frame_range(position, repetition))
                        videos.append(encode_frames_mp4(frames, lay.fps, crf=self.video_crf))
            self._cached_block, self._cached_videos = block, videos
        return self._cached_videos

    def rows(self, block: int, recording: Recording) -> list[dict[str, Any]]:
        """Rows (feature dicts ready for :func:`~dataset_builder.features.aligned_features`)."""
        infos = self.reader.block_clip_infos(recording, block)
        lay = self.reader.layout
        eeg = np.empty((len(infos), lay.n_chans, lay.clip_samples), dtype=np.float32)
        for i, info in enumerate(infos):
            eeg[i] = self.reader.read_eeg(info)
        videos = self.block_videos(block)
        if self.emotion_source is None:
            labels = [UNLABELLED_ASSIGNMENT] * len(infos)
        else:
            labels = self.emotion_source.assign(infos, eeg)
        rows = []
        for info, clip_eeg, video, label in zip(infos, eeg, videos, labels, strict=True):
            rows.append(
                {
                    "video": {"bytes": video, "path": f"{info.key}.mp4"},
                    "eeg": clip_eeg,
                    **{name: getattr(info, name) for name in INT_COLUMNS},
                    "concept": info.concept - 1,
                    "caption": info.caption,
                    **{name: info.meta[name] for name in META_COLUMNS},
                    "emotion": -1
                    if label.emotion is None
                    else self.emotion_labels.index(label.emotion),
                    "emotion_source": label.source,
                    "emotion_confidence": label.confidence,
                }
            )
        return rows


def make_row_factory(reader: SEEDDVReader, options: AlignOptions) -> ClipRowFactory:
    """A :class:`ClipRowFactory` with the emotion sources ``options`` name."""
    source = build_emotion_source(
        options.emotion_labels,
        reader.layout,
        emotion_map=options.emotion_map,
        emotion_model=options.emotion_model,
        ground_truth=load_ground_truth(reader.root) if options.use_ground_truth else None,
    )
    return ClipRowFactory(
        reader, options.emotion_labels, source, options.video_size, options.video_crf
    )


# ------------------------------------------------------------------------------ writer
@contextmanager
def quiet_datasets_progress() -> Iterator[None]:
    """Silence datasets' per-file "Creating parquet" bar (ours covers the whole job)."""
    from datasets.utils.tqdm import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )

    was_disabled = are_progress_bars_disabled()
    disable_progress_bars()
    try:
        yield
    finally:
        if not was_disabled:
            enable_progress_bars()


_FIXED_SHAPE_FEATURES = (datasets.Array2D, datasets.Array3D, datasets.Array4D, datasets.Array5D)


def _fixed_shape_column(values: np.ndarray, arrow_type: pa.DataType) -> pa.Array:
    """An ``ArrayND`` column from one ``(n_rows, *shape)`` array without per-row copies.

    The storage is nested ``list<...<value>>`` arrays whose offsets step by each axis size;
    the innermost values wrap the numpy buffer as is.
    """
    storage: pa.Array = pa.array(values.reshape(-1))
    for size in reversed(values.shape[1:]):
        n_lists = len(storage) // size
        if n_lists * size >= 2**31:
            raise ValueError(
                f"{values.shape} is too large for one Arrow list column; use smaller shards"
            )
        offsets = pa.array(np.arange(0, n_lists * size + 1, size, dtype=np.int32))
        storage = pa.ListArray.from_arrays(offsets, storage)
    return pa.ExtensionArray.from_storage(arrow_type, storage)


def _stack_rows(arrays: list[np.ndarray], dtype: str) -> np.ndarray:
    """``np.stack(arrays)``, or the array they are consecutive views of (no copy)."""
    base = arrays[0].base
    if (
        isinstance(base, np.ndarray)
        and base.dtype == np.dtype(dtype)
        and base.flags.c_contiguous
        and base.shape == (len(arrays), *arrays[0].shape)
        and all(
            a.base is base and a.ctypes.data == base[i].ctypes.data for i, a in enumerate(arrays)
        )
    ):
        return base
    return np.stack(arrays).astype(dtype, copy=False)


def rows_to_dataset(
    rows: Sequence[dict[str, Any]], features: datasets.Features
) -> datasets.Dataset:
    """An in-memory ``Dataset`` of feature rows, built without needless conversions.

    * ``Video`` values must be ``{"bytes", "path"}`` dicts: ``Video.encode_example`` imports
      torchcodec (and with it torch) just to look for decoder objects, so those columns are
      built with the storage struct and then given the real feature (same Arrow type).
    * ``Array2D``…``Array5D`` columns whose values are all numpy arrays of the feature's shape are
      stacked once and wrapped zero-copy instead of converted row by row (which holds two extra
      copies of every EEG shard in memory).
    """
    rows = list(rows)
    fixed = [
        name
        for name, feature in features.items()
        if isinstance(feature, _FIXED_SHAPE_FEATURES)
        and rows
        and all(
            isinstance(row[name], np.ndarray) and row[name].shape == tuple(feature.shape)
            for row in rows
        )
    ]
    storage = datasets.Features({k: v for k, v in features.items() if k not in fixed})
    for name, feature in storage.items():
        if isinstance(feature, datasets.Video):
            storage[name] = {"bytes": datasets.Value("binary"), "path": datasets.Value("string")}
    table = datasets.Dataset.from_list(
        [{k: v for k, v in row.items() if k not in fixed} for row in rows], features=storage
    ).data.table
    for name in fixed:
        stacked = _stack_rows([row[name] for row in rows], features[name].dtype)
        table = table.append_column(name, _fixed_shape_column(stacked, features[name]()))
    table = table.select(list(features))
    # An explicit fingerprint: computing one hashes (pickles) the whole table, an extra copy.
    return datasets.Dataset(
        table,
        info=datasets.DatasetInfo(features=features),
        fingerprint=generate_random_fingerprint(),
    )


def _shard_complete(path: Path, expected_rows: int) -> bool:
    try:
        return pq.read_metadata(path).num_rows == expected_rows
    except (OSError, ValueError):
        return False


@dataclass
class AlignResult:
    """What :func:`write_aligned_dataset` did."""

    out_dir: Path
    num_rows: dict[str, int]
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    emotion_sources: dict[str, int] = field(default_factory=dict)


def write_aligned_dataset(
    seed_dv_root: str | Path,
    out_dir: str | Path,
    layout: SEEDDVLayout | None = None,
    options: AlignOptions | None = None,
    check: bool = True,
    overwrite: bool = False,
    progress: bool = True,
) -> AlignResult:
    """Align a SEED-DV tree into a Parquet dataset folder that ``load_dataset`` reads.

    Parameters
    ----------
    seed_dv_root : path-like
        Source tree.
    out_dir : path-like
        Dataset folder (created): ``data/*.parquet``, ``README.md``.
    layout : SEEDDVLayout, optional
        Default: the layout recorded by the simulator in the tree, else SEED-DV's.
    options : AlignOptions, optional
        Splits, emotion sources, subjects, video size.
    check : bool
        Run :func:`~dataset_builder.alignment_report.check_alignment` first and refuse a
        failing tree.
    overwrite : bool
        Discard an existing dataset in ``out_dir`` written with other options.
    progress : bool
        tqdm progress bars.

    Raises
    ------
    AlignmentFailedError
        If ``check`` and the tree fails the checks.
    ValueError
        If ``out_dir`` holds a dataset made with different options and not ``overwrite``.
    """
    root = Path(seed_dv_root)
    layout = layout or infer_layout(root)
    options = options or AlignOptions()
    out = Path(out_dir)
    if check:
        report = check_alignment(root, layout, progress=progress)
        if not report.passed:
            raise AlignmentFailedError(report)
    reader = SEEDDVReader(root, layout)
    splits = options.resolved_splits(layout)
    plans = plan_shards(reader, splits, options.subjects, options.sessions)
    features = aligned_features(layout, options.emotion_labels)
    factory = make_row_factory(reader, options)

    data_dir = out / DATA_DIR
    data_dir.mkdir(parents=True, exist_ok=True)
    state_path = out / STATE_FILE
    state = {
        "fingerprint": options.fingerprint(root, layout),
        "shards": [p.file_name for p in plans],
    }
    if state_path.exists():
        previous = json.loads(state_path.read_text(encoding="utf-8"))
        if previous != state:
            if not overwrite:
                changed = sorted(
                    k
                    for k in state["fingerprint"]
                    if previous.get("fingerprint", {}).get(k) != state["fingerprint"][k]
                ) or ["shards"]
                raise ValueError(
                    f"{out} holds an aligned dataset written with different options "
                    f"({', '.join(changed)} differ); use another --out or overwrite"
                )
            for old in data_dir.glob("*.parquet"):
                old.unlink()
    elif overwrite:
        for old in data_dir.glob("*.parquet"):
            old.unlink()
    _atomic_write_text(state_path, json.dumps(state, indent=1))
    for stale in data_dir.glob(".*.tmp-*"):
        stale.unlink()  # leftovers of an interrupted run (never matched by data/*-*.parquet)
    expected_names = {p.file_name for p in plans}
    for other in data_dir.glob("*.parquet"):
        if other.name not in expected_names:
            other.unlink()  # shards of an older plan would be read by load_dataset

    result = AlignResult(out_dir=out, num_rows={s: 0 for s in splits})
    n_rows = reader.layout.n_clips
    bar = tqdm(plans, desc="align", unit="shard", disable=not progress)
    with quiet_datasets_progress():
        for plan in bar:
            path = data_dir / plan.file_name
            bar.set_postfix_str(
                f"{plan.split} block {plan.block} sub{plan.subject} s{plan.session}"
            )
            result.num_rows[plan.split] += n_rows
            if _shard_complete(path, n_rows):
                result.skipped.append(plan.file_name)
                continue
            rows = factory.rows(plan.block, reader.recording(plan.subject, plan.session))
            tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            # Row groups of 50 clips: cheap random access/streaming and a smaller write buffer.
            rows_to_dataset(rows, features).to_parquet(str(tmp), batch_size=ROW_GROUP_ROWS)
            os.replace(tmp, path)
            del rows
            pa.default_memory_pool().release_unused()  # keep the peak at one shard
            result.written.append(plan.file_name)
    result.emotion_sources = _count_emotion_sources(data_dir)
    write_dataset_card(out, features, splits, layout, root, result)
    return result


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _count_emotion_sources(data_dir: Path) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for path in sorted(data_dir.glob("*.parquet")):
        counts.update(pq.read_table(path, columns=["emotion_source"]).column(0).to_pylist())
    return dict(sorted(counts.items()))


def write_dataset_card(
    out_dir: Path,
    features: datasets.Features,
    splits: Mapping[str, Sequence[int]],
    layout: SEEDDVLayout,
    root: Path,
    result: AlignResult,
) -> Path:
    """Write ``README.md`` with YAML ``configs`` + ``dataset_info`` (atomically)."""
    from datasets.info import DatasetInfo, DatasetInfosDict
    from datasets.splits import SplitDict, SplitInfo
    from datasets.utils.metadata import MetadataConfigs

    data_dir = out_dir / DATA_DIR
    split_dict = SplitDict()
    total_bytes = total_download = 0
    for split in splits:
        files = sorted(data_dir.glob(f"{split}-*.parquet"))
        metas = [pq.read_metadata(f) for f in files]
        num_bytes = sum(
            m.row_group(i).total_byte_size for m in metas for i in range(m.num_row_groups)
        )
        split_dict.add(
            SplitInfo(name=split, num_bytes=num_bytes, num_examples=sum(m.num_rows for m in metas))
        )
        total_bytes += num_bytes
        total_download += sum(f.stat().st_size for f in files)
    info = DatasetInfo(
        features=features, splits=split_dict, dataset_size=total_bytes, download_size=total_download
    )
    card_data = DatasetCardData(tags=["eeg", "video", "seed-dv", "video2eeg"])
    MetadataConfigs(
        {"default": {"data_files": [{"split": s, "path": f"{DATA_DIR}/{s}-*"} for s in splits]}}
    ).to_dataset_card_data(card_data)
    DatasetInfosDict({"default": info}).to_dataset_card_data(card_data)

    simulated = (root / "ground_truth.json").is_file()
    source = (
        "a simulated SEED-DV tree (`video2eeg simulate`; see its ground_truth.json)"
        if simulated
        else "SEED-DV (licensed by BCMI, SJTU; this derived data falls under its licence)"
    )
    split_lines = "\n".join(
        f"| `{s}` | {', '.join(map(str, b))} | {split_dict[s].num_examples} |"
        for s, b in splits.items()
    )
    source_lines = "\n".join(f"| `{k}` | {v} |" for k, v in result.emotion_sources.items())
    body = f"""
# Aligned video-EEG-emotion clips

Built by `video2eeg align` from {source}.

Each row is one 2 s clip: the video clip as embedded mp4 bytes (`video`), the EEG recorded
while it played (`eeg`, {layout.n_chans} channels x {layout.clip_samples} samples at
{layout.sfreq:g} Hz, microvolts, SEED channel order), its subject/session/block/presentation
position/repetition, the concept shown (`concept`, from `All_video_label`), the BLIP caption,
SEED-DV's per-clip meta attributes, and an emotion label with its source and confidence.

## Splits (by block, never by overlapping windows)

| split | blocks | clips |
|---|---|---|
{split_lines}

## Emotion labels

SEED-DV has no emotion labels. `emotion_source` says where each row's label comes from:

| emotion_source | clips |
|---|---|
{source_lines}

## Use

```python
from datasets import load_dataset
ds = load_dataset("path/to/this/folder")
clip = ds["train"][0]
clip["eeg"]      # {layout.n_chans} x {layout.clip_samples} floats
clip["video"]    # torchcodec VideoDecoder over the 2 s clip
```
"""
    card = DatasetCard(f"---\n{card_data}\n---\n{body}")
    path = out_dir / "README.md"
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    card.save(tmp)
    os.replace(tmp, path)
    return path


# ------------------------------------------------------------------------------ datasets builder
@dataclass
class SEEDDVAlignedConfig(datasets.BuilderConfig):
    """Builder config: the source tree, its layout and :class:`AlignOptions` fields."""

    seed_dv_root: str | None = None
    layout: dict | None = None
    split_blocks: dict | None = None
    emotion_labels: tuple[str, ...] = DEFAULT_EMOTION_LABELS
    emotion_map: str | None = None
    emotion_model: str | None = None
    use_ground_truth: bool = False
    subjects: tuple[int, ...] | None = None
    sessions: tuple[int, ...] | None = None
    video_size: tuple[int, int] | None = None
    video_crf: int = 23

    def align_options(self) -> AlignOptions:
        names = {f.name for f in dataclasses.fields(AlignOptions)}
        return AlignOptions(**{name: getattr(self, name) for name in names})

    def resolved_layout(self) -> SEEDDVLayout:
        if self.layout is not None:
            return SEEDDVLayout.from_dict(self.layout)
        return infer_layout(self._root())

    def _root(self) -> Path:
        root = self.seed_dv_root or self.data_dir
        if root is None:
            raise ValueError("SEEDDVAligned needs seed_dv_root= (the SEED-DV tree)")
        return Path(root)


class SEEDDVAligned(datasets.GeneratorBasedBuilder):
    """Aligned SEED-DV clips as a ``datasets`` builder (same rows as ``video2eeg align``).

    Examples
    --------
    >>> builder = SEEDDVAligned(seed_dv_root="SEED-DV", cache_dir="cache")  # doctest: +SKIP
    >>> builder.download_and_prepare()  # doctest: +SKIP
    >>> train = builder.as_dataset("train")  # doctest: +SKIP
    """

    BUILDER_CONFIG_CLASS = SEEDDVAlignedConfig
    VERSION = datasets.Version("1.0.0")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("dataset_name", "seed_dv_aligned")
        super().__init__(*args, **kwargs)
        self._factory: ClipRowFactory | None = None

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description="SEED-DV video clips aligned with the EEG recorded while they played.",
            features=aligned_features(self.config.resolved_layout(), self.config.emotion_labels),
        )

    def _split_generators(self, dl_manager: Any) -> list[datasets.SplitGenerator]:
        root = self.config._root()
        layout = self.config.resolved_layout()
        options = self.config.align_options()
        reader = SEEDDVReader(root, layout)
        splits = options.resolved_splits(layout)
        plans = plan_shards(reader, splits, options.subjects, options.sessions)
        self._factory = make_row_factory(reader, options)
        return [
            datasets.SplitGenerator(
                name=split,
                gen_kwargs={
                    "units": [(p.block, p.subject, p.session) for p in plans if p.split == split]
                },
            )
            for split in splits
        ]

    def _generate_examples(self, units: list[tuple[int, int, int]]) -> Iterator[tuple[str, dict]]:
        factory = self._factory
        for block, subject, session in units:
            recording = factory.reader.recording(subject, session)
            for row in factory.rows(block, recording):
                key = (
                    f"sub{row['subject']}_session{row['session']}_block{row['block']}"
                    f"_pos{row['position']}_rep{row['repetition']}"
                )
                yield key, row
