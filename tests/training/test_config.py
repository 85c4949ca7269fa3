"""TrainingConfig: YAML + flags, validation of values."""

from __future__ import annotations

import pytest
import yaml

from training.config import TrainingConfig, parse_training_args


def _write(path, values):
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    return path


def test_yaml_values_and_flag_overrides(tmp_path):
    config_file = _write(
        tmp_path / "run.yaml",
        {
            "dataset": "some/folder",
            "output_dir": str(tmp_path / "out"),
            "learning_rate": 0.01,
            "model_config": {"hidden_size": 16},
            "self_play_rounds": 1,
        },
    )
    config = parse_training_args(
        [
            "--config",
            str(config_file),
            "--learning_rate",
            "0.5",
            "--self-play-rounds",
            "2",
            "--denoiser_config",
            '{"base_channels": 8}',
            "--use_ema",
            "false",
        ]
    )
    assert config.dataset == "some/folder"
    assert config.learning_rate == 0.5  # flag beats YAML
    assert config.self_play_rounds == 2  # dashed alias works
    assert config.model_config == {"hidden_size": 16}  # YAML mapping kept
    assert config.denoiser_config == {"base_channels": 8}  # JSON flag parsed
    assert config.use_ema is False
    assert config.train_batch_size == TrainingConfig.train_batch_size  # untouched default


def test_save_yaml_round_trip(tmp_path):
    config = TrainingConfig(dataset="d", output_dir=str(tmp_path), model_config={"hidden_size": 8})
    path = config.save_yaml(tmp_path / "config.yaml")
    assert TrainingConfig.from_yaml(path) == config


def test_unknown_yaml_key_is_named(tmp_path):
    config_file = _write(
        tmp_path / "bad.yaml", {"dataset": "d", "output_dir": "o", "lerning_rate": 1}
    )
    with pytest.raises(ValueError, match="lerning_rate"):
        parse_training_args(["--config", str(config_file)])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("train_batch_size", 0, "train_batch_size must be >= 1"),
        ("cond_dropout_prob", 1.0, "cond_dropout_prob"),
        ("prediction_type", "sample", "prediction_type"),
        ("learning_rate", -1.0, "learning_rate"),
        ("model_config", "{not json", "model_config must be a JSON object"),
    ],
)
def test_bad_values_are_named(field, value, message):
    with pytest.raises(ValueError, match=message):
        TrainingConfig(dataset="d", output_dir="o", **{field: value})


def test_dataset_and_output_dir_required():
    with pytest.raises(ValueError, match=r"dataset is required.*output_dir is required"):
        TrainingConfig()
