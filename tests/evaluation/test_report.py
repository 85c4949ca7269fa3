from __future__ import annotations

import json

import numpy as np
import pytest

from evaluation import METRICS, evaluate, headline, write_figures
from evaluation.report import to_json, write_report

N = 60


@pytest.fixture(scope="module")
def inputs(real_pair, heldout_pair, train_pair):
    (real, subjects), (generated, generated_subjects), (train, train_subjects) = (
        (pair[0][:N], pair[1][:N]) for pair in (real_pair, heldout_pair, train_pair)
    )
    keys = np.arange(N) % 12  # 12 stimulus clips, 5 repeats each
    return {
        "real": real,
        "generated": generated,
        "labels_real": {"subject": subjects, "emotion": np.arange(N) % 3},
        "labels_generated": {"subject": generated_subjects, "emotion": np.arange(N) % 3},
        "real_train": train,
        "labels_train": {"subject": train_subjects},
        "clip_keys_real": keys,
        "clip_keys_generated": keys,
        "n_permutations": 20,
    }


@pytest.fixture(scope="module")
def full_report(inputs):
    return evaluate(**inputs)


def test_full_report_has_every_metric_with_timing_and_is_strict_json(full_report):
    expected = {name for name in METRICS if name != "conditional"} | {
        "conditional/subject",
        "conditional/emotion",
    }
    assert set(full_report["metrics"]) == expected
    assert full_report["skipped"] == {}
    for name, result in full_report["metrics"].items():
        assert result["seconds"] >= 0 and result["cpu_seconds"] >= 0, name
        assert "value" in result, name
    assert full_report["timing"]["per_metric_seconds"].keys() == full_report["metrics"].keys()
    assert "real/psd" in full_report["timing"]["shared_seconds"]
    assert full_report["timing"]["total_seconds"] >= sum(
        full_report["timing"]["per_metric_seconds"].values()
    )
    text = json.dumps(full_report, allow_nan=False)
    assert json.loads(text)["meta"]["n_real"] == N
    assert full_report["meta"]["ch_names"][0] == "FP1"
    assert full_report["metrics"]["fid_eeg"]["label"] == "subject"
    assert full_report["metrics"]["fid_eeg"]["trained_on"] == "train"
    assert set(full_report["metrics"]["alpha_peak"]["per_group"]) == {"1", "2", "3"}


def test_report_values_equal_the_metric_functions(inputs, full_report):
    from evaluation.spatial import covariance_distance
    from evaluation.spectral import log_psd_distance

    assert full_report["metrics"]["log_psd_distance"]["value"] == pytest.approx(
        log_psd_distance(inputs["real"], inputs["generated"])["value"]
    )
    assert full_report["metrics"]["covariance"]["riemannian"] == pytest.approx(
        covariance_distance(inputs["real"], inputs["generated"])["riemannian"]
    )


def test_same_seed_same_report(inputs, full_report):
    again = evaluate(**inputs)
    strip = lambda report: {  # noqa: E731
        name: {key: value for key, value in result.items() if key not in ("seconds", "cpu_seconds")}
        for name, result in report["metrics"].items()
    }
    assert strip(again) == strip(full_report)


def test_missing_optional_inputs_are_skipped_with_reasons(inputs):
    report = evaluate(inputs["real"], inputs["generated"], n_permutations=10, metrics=[
        "covariance", "fid_eeg", "conditional", "stimulus_alignment", "memorisation"
    ])  # fmt: skip
    assert set(report["metrics"]) == {"covariance"}
    assert "labels_real" in report["skipped"]["fid_eeg"]
    assert "both labels_real and labels_generated" in report["skipped"]["conditional"]
    assert "clip_keys" in report["skipped"]["stimulus_alignment"]
    assert "real_train" in report["skipped"]["memorisation"]


def test_non_strict_mode_records_a_failing_metric(inputs):
    kwargs = dict(
        labels_real={"emotion": np.zeros(N, dtype=int)},
        labels_generated={"emotion": np.arange(N) % 2},
        metrics=["conditional", "band_power"],
    )
    with pytest.raises(
        ValueError, match=r"conditional\[emotion\]: needs at least 2 classes in the real"
    ):
        evaluate(inputs["real"], inputs["generated"], **kwargs)
    report = evaluate(inputs["real"], inputs["generated"], strict=False, **kwargs)
    assert "band_power" in report["metrics"]
    assert report["skipped"]["conditional/emotion"].startswith(
        "conditional[emotion]: needs at least 2"
    )


def test_headline_rows(full_report):
    rows = {row["name"]: row for row in headline(full_report)}
    assert rows["two_sample_classifier"]["ideal"] == 0.5
    assert rows["log_psd_distance"]["unit"] == "dB"


def test_to_json_and_atomic_write(tmp_path):
    converted = to_json(
        {"a": np.float32(1.5), "b": np.arange(3), "c": float("nan"), "d": (np.int64(2),)}
    )
    assert converted == {"a": 1.5, "b": [0, 1, 2], "c": None, "d": [2]}
    path = write_report({"x": np.float64(np.inf)}, tmp_path / "sub" / "report.json")
    assert json.loads(path.read_text()) == {"x": None}
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]


def test_write_figures_validates_before_drawing(tmp_path, real):
    with pytest.raises(
        ValueError, match=r"^write_figures: real and generated must have the same channels"
    ):
        write_figures(_set(real), _set(real[:, :61], 61), tmp_path)
    assert not any(tmp_path.iterdir())


def _set(x, n_chans=62):
    from evaluation.inputs import EEGSet
    from modeling_video2eeg.montage import SEED_CH_NAMES

    return EEGSet(x, ch_names=SEED_CH_NAMES[:n_chans])
