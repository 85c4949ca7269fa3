"""hub_cards: metadata and text of model and dataset cards."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import yaml

from hub_cards import (
    DataProvenance,
    EvaluationData,
    card_shard_problems,
    copy_figures,
    dataset_card_for_folder,
    figure_links,
    find_parquet_shards,
    flatten_metrics,
    render_model_card,
    shard_features,
    size_category,
)

pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

SIMULATED = DataProvenance(
    kind="simulated", emotion_source="simulator ground truth", seeds={"simulator": 11}
)
METRICS = {"spectral.alpha_power_corr": 0.8125, "spatial.corr_distance": 0.0625, "fid": 3.5}


def _front_matter(text: str) -> dict:
    match = re.match(r"^---\n(.*?)\n---\n", text, flags=re.DOTALL)
    assert match is not None, "card has no YAML front matter"
    return yaml.safe_load(match.group(1))


def _model_card(**overrides):
    kwargs = dict(
        model_name="video2eeg-tiny",
        repo_id="video2eeg-tester/tiny",
        training_data=SIMULATED,
        metrics=METRICS,
        evaluation_data=EvaluationData(
            "simulated test blocks", "video2eeg-tester/sim", split="test"
        ),
        datasets=["video2eeg-tester/sim"],
        figures=["figures/psd_comparison.png"],
        config_summary={
            "n_chans": 62,
            "sfreq": 200.0,
            "emotion_labels": ["negative", "neutral", "positive"],
        },
        revision="v1",
    )
    kwargs.update(overrides)
    return render_model_card(**kwargs)


def test_model_card_metadata_lists_the_given_metrics():
    card = _model_card()
    meta = _front_matter(str(card))
    assert meta["license"] == "apache-2.0"
    assert meta["library_name"] == "diffusers"
    assert meta["datasets"] == ["video2eeg-tester/sim"]
    assert {"eeg", "video-to-eeg", "simulated-data", "arxiv:2509.05321"} <= set(meta["tags"])
    (model,) = meta["model-index"]
    assert model["name"] == "video2eeg-tiny"
    (result,) = model["results"]
    assert result["dataset"] == {
        "name": "simulated test blocks",
        "type": "video2eeg-tester/sim",
        "split": "test",
    }
    assert {m["type"]: m["value"] for m in result["metrics"]} == METRICS
    # The text table shows the same metrics.
    for name, value in METRICS.items():
        assert re.search(rf"\| `{re.escape(name)}` \| {value:.6g} \|", card.text)


def test_model_card_text_says_what_the_training_data_is():
    card = _model_card()
    text = card.text
    assert "**What it is**: simulated." in text
    assert "simulator ground truth" in text and "simulator = 11" in text
    assert "![Psd comparison](figures/psd_comparison.png)" in text
    assert 'from_pretrained("video2eeg-tester/tiny", revision="v1")' in text
    assert "Our reading of the paper" in text and "2509.05321" in text
    assert "| `emotion_labels` | [negative, neutral, positive] (3) |" in text


def test_generated_training_data_names_its_generator():
    generated = DataProvenance(
        kind="generated",
        emotion_source="user mapping",
        generator_model="me/video2eeg-base",
        generator_revision="0123abcd",
        seeds={"generation": 5},
    )
    text = _model_card(training_data=generated, metrics=None, evaluation_data=None).text
    assert "`me/video2eeg-base` at revision `0123abcd`" in text
    assert "No evaluation results were given" in text


def test_model_card_round_trips_through_the_hub(hub_api, hub_repo_id):
    from huggingface_hub import ModelCard

    repo_id = hub_repo_id("card")
    hub_api.create_repo(repo_id)
    card = _model_card(repo_id=repo_id)
    card.push_to_hub(repo_id)  # the hub validates the YAML (model-index schema included)
    loaded = ModelCard.load(repo_id)
    assert loaded.data.to_dict() == card.data.to_dict()
    results = {r.metric_type: r.metric_value for r in loaded.data.eval_results}
    assert results == METRICS
    assert hub_api.model_info(repo_id).card_data["library_name"] == "diffusers"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metrics": {"fid": math.nan}}, "finite"),
        ({"metrics": {"fid": "3"}}, "finite"),
        ({"evaluation_data": None}, "evaluation_data"),
        ({"figures": ["/abs/psd.png"]}, "repo-relative"),
        ({"figures": ["../psd.png"]}, "repo-relative"),
    ],
)
def test_model_card_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _model_card(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "measured", "emotion_source": "x"}, "kind must be one of"),
        ({"kind": "simulated", "emotion_source": " "}, "emotion_source"),
        ({"kind": "generated", "emotion_source": "x"}, "generator_model"),
        ({"kind": "simulated", "emotion_source": "x", "seeds": {"a": 1.5}}, r"seeds\['a'\]"),
    ],
)
def test_provenance_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataProvenance(**kwargs)


def test_flatten_metrics_keeps_numeric_leaves():
    report = {
        "spectral": {"alpha": np.float32(0.5), "bands": [1.0, 2.0], "psd": np.zeros(3)},
        "n_generated": np.int64(12),
        "ok": True,
        "name": "run-1",
        "nested": {"deep": {"x": 2}},
    }
    assert flatten_metrics(report) == {
        "spectral.alpha": 0.5,
        "n_generated": 12.0,
        "nested.deep.x": 2.0,
    }


def test_dataset_card_configs_and_features_follow_the_shards(dataset_source):
    from datasets import Array2D, ClassLabel, Features

    card = dataset_card_for_folder(
        dataset_source,
        repo_id="u/d",
        pretty_name="D",
        provenance=SIMULATED,
        figures=["figures/psd.png"],
    )
    meta = _front_matter(str(card))
    assert meta["configs"] == [
        {
            "config_name": "default",
            "data_files": [
                {"split": "train", "path": "data/train-*"},
                {"split": "test", "path": "data/test-*"},
            ],
        }
    ]
    assert meta["size_categories"] == ["n<1K"]
    assert meta["license"] == "cc-by-4.0"
    assert {"modality:video", "modality:timeseries", "simulated-data"} <= set(meta["tags"])
    features = Features._from_yaml_list(meta["dataset_info"]["features"])
    assert features["eeg"] == Array2D((62, 400), "float32")
    assert features["emotion"] == ClassLabel(names=["negative", "neutral", "positive"])
    assert [(s["name"], s["num_examples"]) for s in meta["dataset_info"]["splits"]] == [
        ("train", 5),
        ("test", 2),
    ]
    assert "| `train` | 5 | 2 |" in card.text and "| `test` | 2 | 1 |" in card.text
    assert "![Psd](figures/psd.png)" in card.text
    shards = find_parquet_shards(dataset_source)
    assert card_shard_problems(meta, shards, shard_features(dataset_source, shards)) == []


def test_card_shard_problems_catches_mismatches(dataset_source):
    shards = find_parquet_shards(dataset_source)
    features = shard_features(dataset_source, shards)
    base = dataset_card_for_folder(
        dataset_source, repo_id="u/d", pretty_name="D", provenance=SIMULATED
    )
    meta = _front_matter(str(base))

    swapped = {**meta, "configs": [{"config_name": "default", "data_files": [
        {"split": "test", "path": "data/train-*"}, {"split": "train", "path": "data/test-*"}]}]}  # fmt: skip
    assert any("holds split 'train'" in p for p in card_shard_problems(swapped, shards))
    missing = {**meta, "configs": [{"config_name": "default", "data_files": "data/train-*"}]}
    assert any(
        "data/test-00000-of-00001.parquet" in p and "not listed" in p
        for p in card_shard_problems(missing, shards)
    )
    assert card_shard_problems({"license": "mit"}, shards) == [
        "the card has no `configs` metadata listing the data files"
    ]
    wrong_features = {
        **meta,
        "dataset_info": {**meta["dataset_info"], "features": [{"name": "eeg", "dtype": "float32"}]},
    }
    assert any(
        "differ from the shards" in p for p in card_shard_problems(wrong_features, shards, features)
    )


def test_size_category_buckets():
    assert [size_category(n) for n in (0, 999, 1000, 54_000, 2_000_000)] == [
        "n<1K",
        "n<1K",
        "1K<n<10K",
        "10K<n<100K",
        "1M<n<10M",
    ]


def test_copy_figures_puts_external_images_into_the_repo_folder(tmp_path):
    outside = tmp_path / "eval" / "psd.png"
    outside.parent.mkdir()
    outside.write_bytes(b"\x89PNG fake")
    repo = tmp_path / "repo"
    (repo / "figures").mkdir(parents=True)
    (repo / "figures" / "already.png").write_bytes(b"\x89PNG")
    paths = copy_figures([outside, repo / "figures" / "already.png"], repo)
    assert paths == ["figures/psd.png", "figures/already.png"]
    assert (repo / "figures" / "psd.png").read_bytes() == b"\x89PNG fake"
    assert figure_links(paths) == [("Psd", "figures/psd.png"), ("Already", "figures/already.png")]
    with pytest.raises(FileNotFoundError):
        copy_figures([tmp_path / "nope.png"], repo)
    (tmp_path / "table.csv").write_text("a")
    with pytest.raises(ValueError, match="must be one of"):
        copy_figures([tmp_path / "table.csv"], repo)
