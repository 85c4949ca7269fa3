"""``video2eeg evaluate`` on small dataset folders in the aligned layout (Parquet shards)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from evaluation.dataset_io import load_eeg_split, open_dataset
from video2eeg.cli import main

N_PER_SPLIT = 48  # 4 subjects x 12 clips (block 1, positions 0-3, repetitions 0-2)
EMOTIONS = ["negative", "neutral", "positive"]


def write_folder(folder, splits: dict[str, int], seed: int, emotion_names=EMOTIONS) -> None:
    """A dataset folder like ``video2eeg align`` writes: data/{split}-00000-of-00001.parquet."""
    import datasets

    from tests.evaluation.conftest import draw

    features = datasets.Features(
        {
            "eeg": datasets.Array2D((62, 400), "float32"),
            "subject": datasets.Value("int32"),
            "block": datasets.Value("int32"),
            "position": datasets.Value("int32"),
            "repetition": datasets.Value("int32"),
            "concept": datasets.ClassLabel(names=[str(i) for i in range(1, 41)]),
            "emotion": datasets.ClassLabel(names=list(emotion_names)),
        }
    )
    (folder / "data").mkdir(parents=True)
    for index, (split, block) in enumerate(splits.items()):
        eeg, _ = draw(N_PER_SPLIT, seed=seed + index)
        clip = np.arange(N_PER_SPLIT) % 12
        position = clip // 3
        columns = {
            "eeg": eeg,
            "subject": np.arange(N_PER_SPLIT) // 12 + 1,
            "block": np.full(N_PER_SPLIT, block),
            "position": position,
            "repetition": clip % 3,
            "concept": position * 2,  # concept ids 0, 2, 4, 6
            # Emotion follows the concept; ids index emotion_names.
            "emotion": [list(emotion_names).index(EMOTIONS[p % 3]) for p in position],
        }
        dataset = datasets.Dataset.from_dict(columns, features=features)
        dataset.to_parquet(str(folder / "data" / f"{split}-00000-of-00001.parquet"))


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate")
    write_folder(root / "real", {"train": 1, "test": 7}, seed=10)
    # Generated data lists the emotion names in another order: labels must match by name.
    write_folder(root / "generated", {"train": 7}, seed=20, emotion_names=EMOTIONS[::-1])
    return root


@pytest.fixture(scope="module")
def cli_run(folders, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    code = main(
        [
            "evaluate",
            "--real", str(folders / "real"),
            "--generated", str(folders / "generated"),
            "--out", str(out),
            "--seed", "1",
        ]
    )  # fmt: skip
    return code, out


def test_evaluate_writes_report_and_figures(cli_run):
    code, out = cli_run
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["meta"]["n_real"] == N_PER_SPLIT and report["meta"]["n_train"] == N_PER_SPLIT
    assert report["meta"]["sources"]["real"]["split"] == "test"
    assert report["meta"]["sources"]["train"]["split"] == "train"
    assert report["meta"]["sources"]["generated"]["split"] == "train"
    metrics = report["metrics"]
    for name in (
        "log_psd_distance",
        "covariance",
        "mmd",
        "fid_eeg",
        "memorisation",
        "stimulus_alignment",
    ):
        assert name in metrics, (name, report["skipped"])
    for label in ("subject", "emotion", "concept"):
        assert f"conditional/{label}" in metrics
    assert metrics["stimulus_alignment"]["n_keys"] == 12
    assert metrics["fid_eeg"]["label"] == "concept"
    assert sorted(report["figures"]) == [
        "figures/band_power_topomaps.png",
        "figures/covariance.png",
        "figures/psd_by_region.png",
    ]
    for figure in report["figures"]:
        assert (out / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_labels_are_read_by_name(folders):
    real = load_eeg_split(open_dataset(str(folders / "real")), "test")
    generated = load_eeg_split(open_dataset(str(folders / "generated")), "train")
    assert real.eeg.shape == (N_PER_SPLIT, 62, 400) and real.eeg.dtype == np.float32
    # Same positions, different ClassLabel order: the names must agree.
    np.testing.assert_array_equal(real.labels["emotion"], generated.labels["emotion"])
    assert set(real.labels["concept"]) == {"1", "3", "5", "7"}
    assert real.clip_keys.shape == (N_PER_SPLIT, 3)


def test_max_clips_subsamples_with_a_seed(folders):
    dataset = open_dataset(str(folders / "real"))
    a = load_eeg_split(dataset, "test", max_clips=10, seed=3)
    b = load_eeg_split(dataset, "test", max_clips=10, seed=3)
    assert a.eeg.shape[0] == 10
    np.testing.assert_array_equal(a.eeg, b.eeg)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--real-split", "valid"], "has no split 'valid'; splits are ['train', 'test']"),
        (["--metrics", "psd"], "evaluate: unknown metrics ['psd']"),
    ],
)
def test_bad_options_exit_with_a_message(folders, tmp_path, capsys, extra, message):
    code = main(
        [
            "evaluate",
            "--real", str(folders / "real"),
            "--generated", str(folders / "generated"),
            "--out", str(tmp_path),
            *extra,
        ]
    )  # fmt: skip
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "report.json").exists()
