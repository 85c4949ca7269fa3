"""Dataset cards for video-EEG-emotion datasets stored as Parquet shards.

The card's ``configs`` and ``dataset_info`` are derived from the shards themselves
(:func:`find_parquet_shards`), so they match what is pushed; :func:`card_shard_problems` checks
an existing card against a folder's shards.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from hub_cards.figures import figure_links
from hub_cards.paper import PAPER_ARXIV_ID, PAPER_READING
from hub_cards.provenance import DataProvenance

if TYPE_CHECKING:
    from datasets import Features
    from huggingface_hub import DatasetCard

# datasets' own shard naming: data/{split}-{index:05d}-of-{total:05d}.parquet
SHARD_NAME = re.compile(r"^(?P<split>[A-Za-z0-9_]+)-(?P<index>\d{5})-of-(?P<total>\d{5})\.parquet$")
DEFAULT_DATA_DIR = "data"
DEFAULT_TASK_CATEGORIES = ("video-classification", "time-series-forecasting")
DEFAULT_DATASET_TAGS = (
    "video2eeg",
    "eeg",
    "video",
    "emotion",
    "seed-dv",
    "brain-computer-interface",
)
DEFAULT_LICENSES = {"simulated": "cc-by-4.0", "real-aligned": "other", "generated": "other"}
COLUMN_MEANINGS = {
    "video": "the 2 s video clip shown while the EEG was recorded (embedded mp4)",
    "eeg": "EEG window, µV, 62 channels × 400 samples (2 s at 200 Hz)",
    "subject": "subject id (SEED-DV `subN` → N)",
    "session": "recording session (1-based)",
    "block": "video block (1..7, 1-based)",
    "position": "presentation position of the concept in the block (0..39)",
    "repetition": "which of the 5 clips of that concept (0..4)",
    "concept": "video concept (SEED-DV class 1..40; label id = concept − 1)",
    "caption": "BLIP caption of the clip",
    "color": "SEED-DV meta: dominant colour",
    "face_appearance": "SEED-DV meta: a face appears",
    "human_appearance": "SEED-DV meta: a human appears",
    "object_number": "SEED-DV meta: number of objects",
    "optical_flow_score": "SEED-DV meta: optical flow score",
    "emotion": "emotion label (see 'Emotion labels' above for its source)",
    "emotion_source": "where this row's emotion label comes from",
    "emotion_confidence": "confidence of the emotion label (1.0 for given labels)",
}


@dataclass(frozen=True)
class ParquetShard:
    """One Parquet file of a dataset folder."""

    path: str  # relative to the folder, POSIX
    config: str
    split: str
    index: int
    total: int
    num_rows: int
    num_bytes: int  # uncompressed size of the data


def _config_of(relative_dir: str) -> str:
    return "default" if relative_dir in ("", DEFAULT_DATA_DIR) else relative_dir.replace("/", "--")


def find_parquet_shards(folder: str | os.PathLike[str]) -> list[ParquetShard]:
    """Parse the Parquet shards of a dataset folder (``data/{split}-00000-of-00002.parquet``).

    Shards directly in ``data/`` (or the folder root) form the ``default`` config; shards in
    another sub-folder form a config named after it.

    Raises
    ------
    FileNotFoundError
        If ``folder`` does not exist.
    NotADirectoryError
        If ``folder`` is a file.
    ValueError
        If there is no shard, a shard name does not say its split, or a split's shards are
        incomplete (e.g. an interrupted export left ``00001-of-00003`` without ``00002``).
    """
    import pyarrow.parquet as pq

    root = Path(folder)
    if not root.exists():
        raise FileNotFoundError(f"dataset folder {str(folder)!r} does not exist")
    if not root.is_dir():
        raise NotADirectoryError(f"dataset folder {str(folder)!r} is not a directory")
    paths = sorted(
        p
        for p in root.rglob("*.parquet")
        if not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    if not paths:
        raise ValueError(
            f"dataset folder {str(folder)!r} has no Parquet shards (expected "
            f"{DEFAULT_DATA_DIR}/{{split}}-00000-of-00001.parquet files)"
        )
    shards = []
    for path in paths:
        relative = path.relative_to(root).as_posix()
        match = SHARD_NAME.match(path.name)
        if match is None:
            raise ValueError(
                f"cannot tell the split of shard {relative!r}: name shards "
                "'{split}-{index:05d}-of-{total:05d}.parquet'"
            )
        metadata = pq.ParquetFile(path).metadata
        shards.append(
            ParquetShard(
                path=relative,
                config=_config_of(path.parent.relative_to(root).as_posix().strip(".")),
                split=match["split"],
                index=int(match["index"]),
                total=int(match["total"]),
                num_rows=metadata.num_rows,
                num_bytes=sum(
                    metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)
                ),
            )
        )
    # train / validation / test first, as datasets orders them; then others by name.
    rank = {"train": 0, "validation": 1, "test": 2}
    shards.sort(
        key=lambda s: (s.config != "default", s.config, rank.get(s.split, 3), s.split, s.index)
    )
    groups: dict[tuple[str, str], list[ParquetShard]] = defaultdict(list)
    for shard in shards:
        groups[(shard.config, shard.split)].append(shard)
    for (config, split), group in groups.items():
        totals = {s.total for s in group}
        indices = sorted(s.index for s in group)
        if len(totals) != 1 or indices != list(range(next(iter(totals)))):
            raise ValueError(
                f"incomplete shards for config {config!r} split {split!r}: found indices {indices} "
                f"of totals {sorted(totals)} in {[s.path for s in group]}"
            )
    return shards


def shard_features(
    folder: str | os.PathLike[str], shards: Sequence[ParquetShard]
) -> dict[str, Features]:
    """The ``datasets.Features`` of each config, read from the shards' schema metadata.

    Raises
    ------
    ValueError
        If shards of the same config disagree on their features.
    """
    import pyarrow.parquet as pq
    from datasets import Features

    by_config: dict[str, Features] = {}
    for shard in shards:
        features = Features.from_arrow_schema(pq.read_schema(Path(folder) / shard.path))
        known = by_config.setdefault(shard.config, features)
        if known != features:
            raise ValueError(
                f"shard {shard.path!r} has features {features} but other shards of config "
                f"{shard.config!r} have {known}"
            )
    return by_config


def size_category(num_examples: int) -> str:
    """The Hub's ``size_categories`` bucket for a row count."""
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
              (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")]  # fmt: skip
    for bound, name in bounds:
        if num_examples < bound:
            return name
    return "n>1T" if num_examples > 10**12 else "1B<n<10B"


def _data_files(shards: Sequence[ParquetShard], config: str) -> list[dict[str, str]]:
    splits: dict[str, str] = {}
    for shard in shards:
        if shard.config == config:
            directory = shard.path.rsplit("/", 1)[0] + "/" if "/" in shard.path else ""
            splits.setdefault(shard.split, f"{directory}{shard.split}-*")
    return [{"split": split, "path": pattern} for split, pattern in splits.items()]


def _feature_type(feature: object) -> str:
    from datasets import Array2D, Array3D, ClassLabel, Value, Video

    if isinstance(feature, Video):
        return "Video"
    if isinstance(feature, (Array2D, Array3D)):
        return f"{type(feature).__name__}{tuple(feature.shape)} {feature.dtype}"
    if isinstance(feature, ClassLabel):
        names = ", ".join(feature.names[:6]) + (", …" if feature.num_classes > 6 else "")
        return f"ClassLabel ({feature.num_classes}: {names})"
    if isinstance(feature, Value):
        return feature.dtype
    return type(feature).__name__


def render_dataset_card(
    *,
    repo_id: str,
    pretty_name: str,
    provenance: DataProvenance,
    shards: Sequence[ParquetShard],
    features: Mapping[str, Features],
    summary: str | None = None,
    license: str | None = None,
    task_categories: Sequence[str] = DEFAULT_TASK_CATEGORIES,
    tags: Sequence[str] = (),
    figures: Sequence[str] = (),
    ch_names: Sequence[str] | None = None,
) -> DatasetCard:
    """Render the card of a dataset made of ``shards`` (see :func:`find_parquet_shards`).

    Parameters
    ----------
    repo_id : str
        Repo the card is for (used in the usage snippet).
    pretty_name : str
        Title of the card.
    provenance : DataProvenance
        What the data is (simulated / real-aligned / generated), emotion label source, seeds,
        generating model and revision.
    shards : sequence of ParquetShard
        The data files; they define the card's ``configs`` and split sizes.
    features : mapping of config name to datasets.Features
        Features of each config (see :func:`shard_features`).
    license : str, optional
        Defaults by kind: ``cc-by-4.0`` for simulated data, ``other`` otherwise (SEED-DV's
        licence applies to real recordings and to what models trained on them generate).
    task_categories, tags
        Card metadata; ``tags`` add to :data:`DEFAULT_DATASET_TAGS`.
    figures : sequence of str
        Repo-relative image paths to embed (see :func:`hub_cards.copy_figures`).
    ch_names : sequence of str, optional
        EEG channel order shown in the card (default: SEED's 62 channels).

    Returns
    -------
    huggingface_hub.DatasetCard
    """
    from datasets import DatasetInfo, SplitDict, SplitInfo, Video
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCard, DatasetCardData

    if not isinstance(provenance, DataProvenance):
        raise TypeError(f"provenance must be a DataProvenance, got {type(provenance).__name__}")
    if not shards:
        raise ValueError("shards is empty: a dataset card needs the data files it describes")
    configs = sorted({s.config for s in shards}, key=lambda c: (c != "default", c))
    missing = [c for c in configs if c not in features]
    if missing:
        raise ValueError(f"features missing for configs {missing} (have {sorted(features)})")
    if ch_names is None:
        from modeling_video2eeg.montage import SEED_CH_NAMES

        ch_names = SEED_CH_NAMES
    num_examples = sum(s.num_rows for s in shards)
    card_data = DatasetCardData(
        pretty_name=pretty_name,
        license=license or DEFAULT_LICENSES[provenance.kind],
        task_categories=list(task_categories),
        size_categories=[size_category(num_examples)],
        tags=[
            *DEFAULT_DATASET_TAGS,
            f"{provenance.kind}-data",
            "modality:video",
            "modality:timeseries",
            f"arxiv:{PAPER_ARXIV_ID}",
            *tags,
        ],
    )
    MetadataConfigs(
        {c: {"data_files": _data_files(shards, c)} for c in configs}
    ).to_dataset_card_data(card_data)
    infos = {}
    for config in configs:
        splits = SplitDict()
        for split in dict.fromkeys(s.split for s in shards if s.config == config):
            members = [s for s in shards if s.config == config and s.split == split]
            splits.add(
                SplitInfo(
                    name=split,
                    num_bytes=sum(s.num_bytes for s in members),
                    num_examples=sum(s.num_rows for s in members),
                )
            )
        infos[config] = DatasetInfo(features=features[config], splits=splits, config_name=config)
    DatasetInfosDict(infos).to_dataset_card_data(card_data)

    first_features = features[configs[0]]
    split_rows = []
    for split in dict.fromkeys(s.split for s in shards):
        members = [s for s in shards if s.split == split]
        split_rows.append((split, sum(s.num_rows for s in members), len(members)))
    template = files("hub_cards").joinpath("templates/dataset_card.md").read_text(encoding="utf-8")
    return DatasetCard.from_template(
        card_data,
        template_str=template,
        repo_id=repo_id,
        pretty_name=pretty_name,
        summary=summary
        or (
            "Video clips paired with 62-channel EEG windows and labels (subject, concept, emotion), "
            "for training and evaluating video-to-EEG and EEG-to-video models."
        ),
        provenance=provenance,
        seed_items=list(provenance.seeds.items()),
        split_rows=split_rows,
        feature_rows=[
            (name, _feature_type(feature), COLUMN_MEANINGS.get(name, ""))
            for name, feature in first_features.items()
        ],
        ch_names=" ".join(ch_names),
        first_split=split_rows[0][0],
        has_video=any(isinstance(f, Video) for f in first_features.values()),
        figures=figure_links(figures),
        paper_reading=PAPER_READING,
    )


def dataset_card_for_folder(
    folder: str | os.PathLike[str],
    *,
    repo_id: str,
    pretty_name: str,
    provenance: DataProvenance,
    **kwargs,
) -> DatasetCard:
    """:func:`render_dataset_card` with shards and features read from ``folder``."""
    shards = find_parquet_shards(folder)
    return render_dataset_card(
        repo_id=repo_id,
        pretty_name=pretty_name,
        provenance=provenance,
        shards=shards,
        features=shard_features(folder, shards),
        **kwargs,
    )


def _glob_regex(pattern: str) -> re.Pattern[str]:
    # fsspec glob semantics as datasets resolves data_files: '*' stays in one folder, '**' crosses.
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _split_patterns(data_files: object) -> list[tuple[str, list[str]]]:
    if isinstance(data_files, str):
        return [("train", [data_files])]
    if isinstance(data_files, list) and all(isinstance(d, str) for d in data_files):
        return [("train", list(data_files))]
    if isinstance(data_files, list):
        result = []
        for item in data_files:
            if not isinstance(item, Mapping) or "split" not in item or "path" not in item:
                raise ValueError(f"invalid data_files entry {item!r}")
            paths = item["path"]
            result.append((str(item["split"]), [paths] if isinstance(paths, str) else list(paths)))
        return result
    raise ValueError(f"invalid data_files {data_files!r}")


def card_shard_problems(
    metadata: Mapping[str, object],
    shards: Sequence[ParquetShard],
    features: Mapping[str, Features] | None = None,
) -> list[str]:
    """Why a card's YAML ``configs`` (and ``dataset_info`` features) do not match the shards.

    Every shard must be matched by exactly one config split of the same name, every
    ``data_files`` pattern must match a shard, and declared features must equal the shards'.
    Returns an empty list when they match.
    """
    from datasets import Features

    configs = metadata.get("configs")
    if not isinstance(configs, list) or not configs:
        return ["the card has no `configs` metadata listing the data files"]
    problems: list[str] = []
    matched: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for config in configs:
        name = config.get("config_name", "default") if isinstance(config, Mapping) else None
        try:
            split_patterns = _split_patterns(
                config.get("data_files") if isinstance(config, Mapping) else None
            )
        except ValueError as error:
            problems.append(f"config {name!r}: {error}")
            continue
        for split, patterns in split_patterns:
            for pattern in patterns:
                regex = _glob_regex(pattern)
                hits = [s for s in shards if regex.match(s.path)]
                if not hits:
                    problems.append(
                        f"config {name!r} split {split!r}: {pattern!r} matches no shard"
                    )
                for shard in hits:
                    matched[shard.path].append((name, split))
    for shard in shards:
        owners = matched.get(shard.path, [])
        if not owners:
            problems.append(f"shard {shard.path!r} is not listed in any config")
        elif len(set(owners)) > 1:
            problems.append(
                f"shard {shard.path!r} is listed by several configs/splits: {sorted(set(owners))}"
            )
        elif owners[0][1] != shard.split:
            problems.append(
                f"shard {shard.path!r} holds split {shard.split!r} but the card lists it as {owners[0][1]!r}"
            )
    infos = metadata.get("dataset_info")
    if features is not None and infos is not None:
        for info in infos if isinstance(infos, list) else [infos]:
            if not isinstance(info, Mapping) or "features" not in info:
                continue
            name = info.get("config_name", "default")
            declared = Features._from_yaml_list(info["features"])
            if name in features and declared != features[name]:
                problems.append(
                    f"config {name!r}: card features {declared} differ from the shards' {features[name]}"
                )
    return problems
