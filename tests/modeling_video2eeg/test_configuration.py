"""Video2EEGConfig: SEED defaults, JSON round trip (also via AutoConfig), validation."""

from __future__ import annotations

import json

import pytest
from transformers import AutoConfig

from modeling_video2eeg import SEED_CH_NAMES, Video2EEGConfig


def _comparable(config: Video2EEGConfig) -> dict:
    data = config.to_dict()
    data.pop("_name_or_path", None)
    return data


def test_defaults_describe_seed_dv():
    config = Video2EEGConfig()
    assert config.model_type == "video2eeg_spgn"
    assert (config.n_chans, config.n_times, config.sfreq) == (62, 400, 200.0)
    assert config.ch_names == list(SEED_CH_NAMES)
    assert config.subject_ids == list(range(1, 21))
    assert config.num_subjects == 20
    assert config.emotion_labels == ["negative", "neutral", "positive"]
    assert config.num_emotions == 3
    assert config.null_emotion_id == 3
    assert config.num_frames == 6
    assert config.eeg_mean == [0.0] * 62
    assert config.eeg_std == [1.0] * 62


def test_save_and_load_round_trip_exactly(tmp_path):
    config = Video2EEGConfig(
        hidden_size=24,
        num_attention_heads=3,
        subject_ids=[4, 9, 2],
        emotion_labels=["sad", "calm"],
        graph_layer_type="gat",
        eeg_mean=[float(i) for i in range(62)],
        eeg_std=[1.0 + i / 10 for i in range(62)],
    )
    config.save_pretrained(tmp_path)
    stored = json.loads((tmp_path / "config.json").read_text())
    assert stored["model_type"] == "video2eeg_spgn"
    assert stored["subject_ids"] == [4, 9, 2]

    reloaded = Video2EEGConfig.from_pretrained(tmp_path)
    via_auto = AutoConfig.from_pretrained(tmp_path)
    assert type(via_auto) is Video2EEGConfig
    assert _comparable(reloaded) == _comparable(config)
    assert _comparable(via_auto) == _comparable(config)
    assert via_auto.null_emotion_id == 2
    assert via_auto.subject_ids == [4, 9, 2]


def test_channel_subset_takes_seed_order():
    config = Video2EEGConfig(n_chans=3, k_neighbors=1, eeg_mean=None, eeg_std=None)
    assert config.ch_names == ["FP1", "FPZ", "FP2"]
    assert len(config.eeg_mean) == 3


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"eeg_std": [1.0] * 61 + [0.0]}, "eeg_std must be > 0"),
        ({"eeg_mean": [0.0] * 10}, "eeg_mean must have n_chans=62 values, got 10"),
        ({"hidden_size": 10, "num_attention_heads": 4}, "hidden_size (10)"),
        ({"graph_layer_type": "cheb"}, "graph_layer_type must be one of"),
        ({"subject_ids": [1, 1]}, "subject_ids must be unique"),
        ({"subject_ids": []}, "subject_ids must list at least one"),
        ({"emotion_labels": ["a", "a"]}, "emotion_labels must be unique"),
        ({"n_chans": 4, "ch_names": ["FP1", "FP2"]}, "ch_names must have n_chans=4 entries, got 2"),
        ({"ch_names": ["FP1", "XX9"], "n_chans": 2, "k_neighbors": 1}, "XX9"),
        ({"k_neighbors": 62}, "k_neighbors must be in [1, 61], got 62"),
        ({"sfreq": 0}, "sfreq must be positive"),
    ],
)
def test_invalid_values_raise_value_error_naming_the_field(kwargs, fragment):
    with pytest.raises(ValueError) as info:
        Video2EEGConfig(**kwargs)
    assert fragment in str(info.value)


def test_set_eeg_stats_validates_and_keeps_old_values_on_error():
    config = Video2EEGConfig()
    config.set_eeg_stats([1.0] * 62, [2.0] * 62)
    assert config.eeg_mean == [1.0] * 62 and config.eeg_std == [2.0] * 62
    with pytest.raises(ValueError, match="eeg_std"):
        config.set_eeg_stats([0.0] * 62, [-1.0] * 62)
    assert config.eeg_mean == [1.0] * 62 and config.eeg_std == [2.0] * 62
