from __future__ import annotations

import json

import datasets
import numpy as np
import pytest

from video2eeg.cli import main


@pytest.fixture(scope="module")
def tiny_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli") / "tree"
    code = main(
        [
            "simulate", "--out", str(root), "--seed", "3", "--subjects", "1",
            "--second-sessions", "", "--blocks", "2", "--concepts", "3", "--repetitions", "2",
            "--video-size", "32x24", "--artifacts", "none", "--quiet",
        ]
    )  # fmt: skip
    assert code == 0
    return root


def test_simulate_writes_a_checkable_tree(tiny_tree, capsys):
    assert sorted(p.name for p in (tiny_tree / "EEG").iterdir()) == ["sub1.npy"]
    assert np.load(tiny_tree / "EEG" / "sub1.npy", mmap_mode="r").shape == (2, 62, 3 * 7 * 200)
    truth = json.loads((tiny_tree / "ground_truth.json").read_text())
    assert truth["artifacts"]["enabled"] == [] and truth["seed"] == 3
    assert main(["align", "--seed-dv", str(tiny_tree), "--report", "--quiet"]) == 0
    assert "PASSED" in capsys.readouterr().out


def test_train_emotion_then_align_with_pseudo_labels(tiny_tree, tmp_path, capsys):
    model = tmp_path / "emotion.safetensors"
    code = main(
        [
            "train-emotion", "--seed-dv", str(tiny_tree), "--ground-truth-emotions",
            "--blocks", "1", "--eval-blocks", "2", "--out", str(model), "--name", "tiny-de",
        ]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "held-out blocks [2]: accuracy" in out and model.is_file()
    code = main(
        [
            "align", "--seed-dv", str(tiny_tree), "--out", str(tmp_path / "ds"),
            "--emotion-model", str(model), "--splits", "train=1,test=2", "--quiet",
        ]
    )  # fmt: skip
    assert code == 0
    ds = datasets.load_dataset(str(tmp_path / "ds"), split="test").remove_columns("video")
    assert set(ds["emotion_source"]) == {"pseudo:tiny-de"}
    assert all(1 / 3 <= c <= 1 for c in ds["emotion_confidence"])
    assert ds.num_rows == 6


def test_align_with_mapping_and_bad_mapping(tiny_tree, tmp_path, capsys):
    mapping = tmp_path / "map.csv"
    mapping.write_text("concept,emotion\n2,positive\n")
    out = tmp_path / "ds"
    assert (
        main(
            [
                "align",
                "--seed-dv",
                str(tiny_tree),
                "--out",
                str(out),
                "--emotion-map",
                str(mapping),
                "--quiet",
            ]
        )
        == 0
    )
    ds = datasets.load_dataset(str(out), split="train").remove_columns("video")
    for concept, emotion, source in zip(
        ds["concept"], ds["emotion"], ds["emotion_source"], strict=True
    ):
        if concept == 1:  # ClassLabel id 1 is concept "2"
            assert (emotion, source) == (2, "mapping:map.csv")
        else:
            assert (emotion, source) == (-1, "unlabelled")
    mapping.write_text("concept,emotion\n9,positive\n2,elated\n")
    assert (
        main(
            [
                "align",
                "--seed-dv",
                str(tiny_tree),
                "--out",
                str(tmp_path / "x"),
                "--emotion-map",
                str(mapping),
                "--quiet",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "unknown concept ids [9]" in err and "unknown emotions ['elated']" in err


def test_align_rejects_a_root_that_is_not_seed_dv(tmp_path, capsys):
    assert (
        main(["align", "--seed-dv", str(tmp_path), "--out", str(tmp_path / "ds"), "--quiet"]) == 1
    )
    err = capsys.readouterr().err
    assert "missing" in err and "meta-info/" in err
