"""Bad datasets fail with a clear error before any video is encoded or any step is taken."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.training import tiny_training_config


def _write(folder: Path, **splits) -> Path:
    """A dataset folder of Parquet files that ``load_dataset(folder)`` reads."""
    for split, ds in splits.items():
        ds.to_parquet(str(folder / "data" / f"{split}-00000-of-00001.parquet"))
    return folder


@pytest.fixture(scope="module")
def small_train(aligned_dataset_dir):
    from training.data import load_split

    return load_split(str(aligned_dataset_dir), "train").select(range(24))


def _assert_nothing_started(out: Path) -> None:
    assert not (out / "token_cache").exists()
    assert not (out / "checkpoints").exists()
    assert not (out / "model_index.json").exists()


def test_missing_columns(small_train, tmp_path):
    from training.trainer import train

    folder = _write(tmp_path / "ds", train=small_train.remove_columns(["emotion", "subject"]))
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=r"missing required columns \['subject', 'emotion'\]"):
        train(tiny_training_config(folder, out, eval_split=None))
    _assert_nothing_started(out)


def test_wrong_eeg_shape(small_train, tmp_path):
    import datasets

    from training.trainer import train

    features = small_train.features.copy()
    features["eeg"] = datasets.Array2D((62, 200), "float32")
    cut = small_train.map(
        lambda row: {"eeg": np.asarray(row["eeg"], dtype=np.float32)[:, :200]}, features=features
    )
    folder = _write(tmp_path / "ds", train=cut)
    out = tmp_path / "out"
    with pytest.raises(
        ValueError, match=r"'eeg' has clips of shape \(62, 200\), expected \(62, 400\)"
    ):
        train(tiny_training_config(folder, out, eval_split=None))
    _assert_nothing_started(out)


@pytest.mark.parametrize("model_source", ["model_config", "pretrained_pipeline"])
def test_emotion_unknown_to_the_model(
    model_source, small_train, trained_tiny_pipeline_dir, tmp_path
):
    import datasets

    from training.trainer import train

    renamed = small_train.cast_column(
        "emotion", datasets.ClassLabel(names=["negative", "neutral", "happy"])
    )
    assert "happy" in {renamed.features["emotion"].int2str(i) for i in renamed["emotion"]}
    folder = _write(tmp_path / "ds", train=renamed)
    out = tmp_path / "out"
    if model_source == "model_config":
        overrides = {
            "model_config": {
                **tiny_training_config(folder, out).model_config,
                "emotion_labels": ["negative", "neutral", "positive"],
            }
        }
    else:
        overrides = {"pretrained_pipeline": str(trained_tiny_pipeline_dir)}
    with pytest.raises(ValueError, match=r"labels \['happy'\] that the model config does not know"):
        train(tiny_training_config(folder, out, eval_split=None, **overrides))
    _assert_nothing_started(out)


def test_cli_reports_bad_data_in_one_line(small_train, tmp_path, capsys):
    from video2eeg.cli import main

    folder = _write(tmp_path / "ds", train=small_train.remove_columns(["eeg"]))
    code = main(
        [
            "train",
            "--dataset",
            str(folder),
            "--output_dir",
            str(tmp_path / "out"),
            "--eval_split",
            "",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "video2eeg train: error:" in err and "missing required columns ['eeg']" in err
