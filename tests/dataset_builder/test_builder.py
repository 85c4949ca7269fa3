from __future__ import annotations

import json
import shutil

import datasets
import numpy as np
import pyarrow.parquet as pq
import pytest

import dataset_builder.builder as builder_module
from dataset_builder.builder import (
    AlignmentFailedError,
    AlignOptions,
    SEEDDVAligned,
    parse_split_blocks,
    validate_split_blocks,
    write_aligned_dataset,
)
from dataset_builder.reader import SEEDDVReader
from dataset_builder.video_clips import BlockVideoReader

KEY_COLUMNS = ("subject", "session", "block", "position", "repetition")


def _key(row):
    return tuple(int(row[c]) for c in KEY_COLUMNS)


@pytest.fixture(scope="module")
def loaded(aligned_dataset_dir):
    return datasets.load_dataset(str(aligned_dataset_dir))


@pytest.fixture(scope="module")
def ground_truth(seed_dv_tree):
    return json.loads((seed_dv_tree / "ground_truth.json").read_text())


def test_folder_layout_and_card(aligned_dataset_dir):
    shards = sorted(p.name for p in (aligned_dataset_dir / "data").iterdir())
    # One shard per (block, recording): train = 2 blocks x 3 recordings, test = 1 x 3.
    assert shards == [f"test-{i:05d}-of-00003.parquet" for i in range(3)] + [
        f"train-{i:05d}-of-00006.parquet" for i in range(6)
    ]
    card = (aligned_dataset_dir / "README.md").read_text()
    assert "config_name: default" in card and "path: data/train-*" in card
    assert "dataset_info:" in card and "simulator-ground-truth" in card


def test_rows_match_the_source_tree(loaded, seed_dv_tree, small_layout, ground_truth):
    reader = SEEDDVReader(seed_dv_tree, small_layout)
    labels = np.load(seed_dv_tree / "meta-info" / "All_video_label.npy")
    emotions = loaded["train"].features["emotion"].names
    assert emotions == ["negative", "neutral", "positive"]
    assert loaded["train"].features["concept"].names == [str(c) for c in range(1, 7)]
    n = 0
    for split in ("train", "test"):
        table = loaded[split].remove_columns("video").with_format("numpy")
        for row in table:
            subject, session, block, position, repetition = _key(row)
            info = next(
                i
                for i in reader.block_clip_infos(reader.recording(subject, session), block)
                if (i.position, i.repetition) == (position, repetition)
            )
            raw = np.load(
                seed_dv_tree / "EEG" / reader.recording(subject, session).path.name, mmap_mode="r"
            )
            start = info.eeg_range[0]
            assert row["eeg"].dtype == np.float32
            assert (
                row["eeg"].tobytes()
                == np.ascontiguousarray(raw[block - 1, :, start : start + 400]).tobytes()
            )
            assert row["concept"] == labels[block - 1, position] - 1  # ClassLabel id = concept - 1
            assert row["caption"] == info.caption
            assert row["optical_flow_score"] == np.float32(info.meta["optical_flow_score"])
            expected = ground_truth["concept_emotions"][str(labels[block - 1, position])]
            assert emotions[row["emotion"]] == expected
            assert (
                row["emotion_source"] == "simulator-ground-truth"
                and row["emotion_confidence"] == 1.0
            )
            n += 1
    assert n == 3 * 3 * 30


def test_block_split_has_no_clip_in_two_splits(loaded):
    keys = {
        split: {_key(r) for r in loaded[split].select_columns(list(KEY_COLUMNS))}
        for split in loaded
    }
    assert {k[2] for k in keys["train"]} == {1, 2} and {k[2] for k in keys["test"]} == {3}
    assert not keys["train"] & keys["test"]
    assert len(keys["train"]) == loaded["train"].num_rows  # every clip once


def test_video_is_the_right_clip(loaded, seed_dv_tree, small_layout):
    test = loaded["test"]
    for index in (0, 17, 29):
        row = test[index]
        decoder = row["video"]
        assert decoder.metadata.num_frames == 48 and decoder.metadata.average_fps == pytest.approx(
            24
        )
        start, _ = small_layout.clip_frame_range(row["position"], row["repetition"])
        with BlockVideoReader(small_layout.video_path(seed_dv_tree, row["block"])) as source:
            for i in (0, 23, 47):
                decoded = decoder.get_frame_at(i).data.permute(1, 2, 0).numpy().astype(int)
                expected = source.read(start + i, start + i + 1)[0].astype(int)
                error = np.abs(decoded - expected).mean()
                assert error < 6, (index, i, error)  # codec error only
            # ... and not the frames of what played 2 s earlier (previous clip or hint).
            other = source.read(start - 48 + 12, start - 48 + 13)[0].astype(int)
            last = decoder.get_frame_at(12).data.permute(1, 2, 0).numpy().astype(int)
            assert (
                np.abs(last - other).mean()
                > 3 * np.abs(last - source.read(start + 12, start + 13)[0]).mean()
            )


def test_streaming_reads_the_same_rows(aligned_dataset_dir, loaded):
    streamed = datasets.load_dataset(str(aligned_dataset_dir), split="test", streaming=True)
    reference = {_key(r): r for r in loaded["test"].remove_columns("video").with_format("numpy")}
    rows = list(streamed.take(4))
    assert len(rows) == 4
    for row in rows:
        ref = reference[_key(row)]
        np.testing.assert_array_equal(np.asarray(row["eeg"], dtype=np.float32), ref["eeg"])
        assert row["caption"] == ref["caption"] and row["emotion"] == ref["emotion"]
        assert row["video"].get_frame_at(0).data.shape == (3, 48, 64)


def test_split_options_are_validated(small_layout):
    assert parse_split_blocks("train=1-2,test=3") == {"train": (1, 2), "test": (3,)}
    assert parse_split_blocks("train=1,2;val=3") == {"train": (1, 2), "val": (3,)}
    with pytest.raises(ValueError, match="block 2 is in splits 'train' and 'test'"):
        validate_split_blocks({"train": [1, 2], "test": [2, 3]}, small_layout)
    with pytest.raises(ValueError, match=r"blocks \[4\] are outside 1..3"):
        validate_split_blocks({"train": [4]}, small_layout)
    with pytest.raises(ValueError, match="split names"):
        validate_split_blocks({"tr-ain": [1]}, small_layout)


def test_interrupted_align_leaves_only_whole_shards_and_resumes(
    seed_dv_tree, small_layout, tmp_path, monkeypatch
):
    out = tmp_path / "ds"
    options = AlignOptions(subjects=(2,), use_ground_truth=True, video_size=(32, 24))
    real = builder_module.rows_to_dataset
    calls = []

    class Crashing:
        def __init__(self, dataset):
            self.dataset = dataset

        def to_parquet(self, path, **kwargs):
            # Die half-way through writing the third shard, leaving a partial file behind.
            with open(path, "wb") as f:
                f.write(b"PAR1 partial")
            raise KeyboardInterrupt

    def flaky(rows, features):
        calls.append(1)
        dataset = real(rows, features)
        return Crashing(dataset) if len(calls) == 3 else dataset

    monkeypatch.setattr(builder_module, "rows_to_dataset", flaky)
    with pytest.raises(KeyboardInterrupt):
        write_aligned_dataset(seed_dv_tree, out, small_layout, options, check=False, progress=False)
    monkeypatch.setattr(builder_module, "rows_to_dataset", real)

    visible = sorted(p.name for p in (out / "data").glob("*.parquet"))
    assert visible == ["train-00000-of-00002.parquet", "train-00001-of-00002.parquet"]
    assert all(pq.read_metadata(out / "data" / name).num_rows == 30 for name in visible)
    assert not (out / "README.md").exists()
    partial = datasets.load_dataset(str(out))  # only the complete shards are read
    assert partial["train"].num_rows == 60

    result = write_aligned_dataset(
        seed_dv_tree, out, small_layout, options, check=False, progress=False
    )
    assert sorted(result.skipped) == visible and result.written == ["test-00000-of-00001.parquet"]
    assert not list((out / "data").glob(".*"))  # the stale temporary file is gone
    final = datasets.load_dataset(str(out))
    assert (final["train"].num_rows, final["test"].num_rows) == (60, 30)
    assert final["test"][0]["video"].get_frame_at(0).data.shape == (3, 24, 32)

    with pytest.raises(ValueError, match="different options"):
        write_aligned_dataset(
            seed_dv_tree,
            out,
            small_layout,
            AlignOptions(subjects=(1,)),
            check=False,
            progress=False,
        )


def test_dataset_survives_deleting_the_source_tree(seed_dv_tree, small_layout, tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(seed_dv_tree, tree)
    out = tmp_path / "ds"
    write_aligned_dataset(
        tree,
        out,
        small_layout,
        AlignOptions(split_blocks={"train": [1], "test": [3]}, sessions=(2,), video_size=(32, 24)),
        progress=False,
    )
    shutil.rmtree(tree)
    ds = datasets.load_dataset(str(out))
    assert (ds["train"].num_rows, ds["test"].num_rows) == (30, 30)
    row = ds["test"][5]
    assert (row["subject"], row["session"], row["block"]) == (1, 2, 3)
    assert row["emotion"] == -1 and row["emotion_source"] == "unlabelled"
    assert row["video"].get_frame_at(47).data.shape == (3, 24, 32)


def test_failing_tree_is_refused(seed_dv_tree, small_layout, tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(seed_dv_tree, tree)
    eeg = np.load(tree / "EEG" / "sub2.npy")
    eeg[0, 10, :5] = np.nan
    np.save(tree / "EEG" / "sub2.npy", eeg)
    with pytest.raises(AlignmentFailedError, match="nan_values") as error:
        write_aligned_dataset(tree, tmp_path / "ds", small_layout, progress=False)
    assert not error.value.report.passed
    assert not (tmp_path / "ds").exists()


def test_generator_based_builder_gives_the_same_rows(seed_dv_tree, small_layout, loaded, tmp_path):
    builder = SEEDDVAligned(
        seed_dv_root=str(seed_dv_tree),
        layout=small_layout.to_dict(),
        subjects=(2,),
        use_ground_truth=True,
        cache_dir=str(tmp_path / "cache"),
    )
    builder.download_and_prepare()
    test = builder.as_dataset("test")
    assert test.num_rows == 30 and builder.as_dataset("train").num_rows == 60
    assert test.features == loaded["test"].features
    reference = {_key(r): r for r in loaded["test"].remove_columns("video").with_format("numpy")}
    for row in test.remove_columns("video").with_format("numpy"):
        ref = reference[_key(row)]
        np.testing.assert_array_equal(row["eeg"], ref["eeg"])
        for column in ("concept", "caption", "emotion", "emotion_source", "color"):
            assert row[column] == ref[column]
    assert test[0]["video"].get_frame_at(0).data.shape == (3, 48, 64)


def test_rows_to_dataset_matches_datasets_own_encoding(small_layout):
    features = builder_module.aligned_features(small_layout)
    rng = np.random.default_rng(0)
    shard = rng.normal(size=(3, 62, 400)).astype(np.float32)

    def row(i, eeg):
        return {
            "video": {"bytes": b"\x00\x01", "path": f"{i}.mp4"},
            "eeg": eeg,
            **dict.fromkeys(KEY_COLUMNS, i),
            "concept": i,
            "caption": f"clip {i}",
            **dict.fromkeys(builder_module.META_COLUMNS, 0.5 * i),
            "emotion": i - 1,
            "emotion_source": "test",
            "emotion_confidence": 1.0,
        }

    views = [row(i, shard[i]) for i in range(3)]  # consecutive views: wrapped without a copy
    copies = [row(i, shard[i].copy()) for i in range(3)]  # separate arrays: stacked
    no_video = datasets.Features({k: v for k, v in features.items() if k != "video"})
    expected = datasets.Dataset.from_list(
        [{k: v for k, v in r.items() if k != "video"} for r in copies], features=no_video
    ).data.table
    for rows in (views, copies):
        ds = builder_module.rows_to_dataset(rows, features)
        assert ds.features == features and ds.num_rows == 3
        assert ds.data.table.drop_columns(["video"]).equals(expected)
        assert ds.data.table.column("video").to_pylist()[1] == {
            "bytes": b"\x00\x01",
            "path": "1.mp4",
        }
        np.testing.assert_array_equal(np.asarray(ds.with_format("numpy")["eeg"]), shard)
