from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.io
import scipy.stats

from dataset_builder.emotion_labels import (
    EmotionMappingError,
    GroundTruthSource,
    MappingSource,
    labelled_clips,
    load_emotion_mapping,
)
from dataset_builder.pseudo_labeller import (
    SEED_BANDS,
    EmotionPseudoLabeller,
    differential_entropy,
    seed_emotion_features,
)
from dataset_builder.reader import SEEDDVReader
from dataset_builder.simulator import SimulatorConfig, draw_subject_params, make_simulator
from tests.fixtures.seed_dv import SMALL_TREE_SEED

LABELS = ["negative", "neutral", "positive"]


@pytest.fixture(scope="module")
def reader(seed_dv_tree, small_layout):
    return SEEDDVReader(seed_dv_tree, small_layout)


@pytest.fixture(scope="module")
def ground_truth_source(seed_dv_tree):
    return GroundTruthSource(json.loads((seed_dv_tree / "ground_truth.json").read_text()), LABELS)


# ------------------------------------------------------------------------------ mapping files
def test_json_concept_and_clip_mapping(tmp_path, small_layout, reader):
    path = tmp_path / "map.json"
    path.write_text(
        json.dumps(
            {
                "concepts": {"1": "positive", "2": "negative"},
                "clips": [{"block": 2, "position": 0, "repetition": 1, "emotion": "neutral"}],
            }
        )
    )
    mapping = load_emotion_mapping(path, LABELS, small_layout)
    infos = list(reader.clip_infos(subjects=[1], sessions=[1]))
    labels = MappingSource(mapping).assign(infos, np.zeros((len(infos), 62, 400)))
    for info, label in zip(infos, labels, strict=True):
        if (info.block, info.position, info.repetition) == (2, 0, 1):
            expected = "neutral"  # clip entries override concept entries
        else:
            expected = {1: "positive", 2: "negative"}.get(info.concept)
        assert label.emotion == expected
        assert label.source == ("mapping:map.json" if expected else "unlabelled")
        assert label.confidence == (1.0 if expected else 0.0)


def test_bare_json_and_csv_mappings(tmp_path, small_layout):
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps({"3": "neutral", "6": "positive"}))
    assert load_emotion_mapping(bare, LABELS, small_layout).by_concept == {
        3: "neutral",
        6: "positive",
    }
    by_concept = tmp_path / "concepts.csv"
    by_concept.write_text("concept,emotion\n1,negative\n4,positive\n")
    assert load_emotion_mapping(by_concept, LABELS, small_layout).by_concept == {
        1: "negative",
        4: "positive",
    }
    by_clip = tmp_path / "clips.csv"
    by_clip.write_text("block, position, repetition, emotion\n3,5,4,neutral\n")
    assert load_emotion_mapping(by_clip, LABELS, small_layout).by_clip == {(3, 5, 4): "neutral"}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "a.json",
            '{"concepts": {"7": "positive", "0": "neutral"}}',
            r"unknown concept ids \[0, 7\]",
        ),
        ("b.json", '{"1": "happy", "2": "sad"}', r"unknown emotions \['happy', 'sad'\]"),
        ("c.csv", "concept,feeling\n1,positive\n", "CSV header must be"),
        ("d.csv", "block,position,repetition,emotion\n4,0,0,neutral\n", "clips out of range"),
        ("e.csv", "concept,emotion\n1,positive\n1,negative\n", "mapped to both"),
        ("f.json", "{not json", "not valid JSON"),
        ("g.txt", "1 positive", "must be .json or .csv"),
        ("h.csv", "concept,emotion\none,positive\n", "concept id must be an integer"),
    ],
)
def test_bad_mapping_files_raise_clear_errors(tmp_path, small_layout, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(EmotionMappingError, match=message):
        load_emotion_mapping(path, LABELS, small_layout)


def test_missing_mapping_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="emotion mapping file not found"):
        load_emotion_mapping(tmp_path / "nope.json", LABELS)


# ------------------------------------------------------------------------------ DE features
def test_differential_entropy_of_white_noise_matches_closed_form():
    rng = np.random.default_rng(0)
    sigma = 3.0
    noise = rng.normal(0, sigma, (200, 2, 400))
    de = differential_entropy(noise, sfreq=200.0)
    assert de.shape == (200, 2, 5)
    # Back to band power (DE = ½ log(2πe·P)) and average: the mean of logs is biased low.
    measured = (np.exp(2 * de) / (2 * np.pi * np.e)).mean(axis=(0, 1))
    for i, (low, high) in enumerate(SEED_BANDS.values()):
        # Flat spectrum: band power = σ² · bandwidth / Nyquist (1 Hz Welch bins, [low, high)).
        assert measured[i] == pytest.approx(sigma**2 * (high - low) / 100.0, rel=0.05)


# ------------------------------------------------------------------------------ pseudo-labeller
def _held_out_accuracy(eeg_train, y_train, eeg_test, y_test):
    model = EmotionPseudoLabeller(LABELS).fit(eeg_train, y_train)
    predicted, confidence = model.predict(eeg_test)
    accuracy = float(np.mean([p == t for p, t in zip(predicted, y_test, strict=True)]))
    return model, accuracy, confidence


@pytest.fixture(scope="module")
def tree_held_out(reader, ground_truth_source):
    """Train on blocks 1-2 of the fixture tree (ground-truth labels), test on block 3."""
    eeg_train, y_train, _ = labelled_clips(reader, ground_truth_source, blocks=[1, 2])
    eeg_test, y_test, infos = labelled_clips(reader, ground_truth_source, blocks=[3])
    assert {i.block for i in infos} == {3}
    _, accuracy, confidence = _held_out_accuracy(eeg_train, y_train, eeg_test, y_test)
    return accuracy, confidence, y_test


def test_pseudo_labeller_recovers_ground_truth_on_held_out_block(tree_held_out):
    accuracy, confidence, y_test = tree_held_out
    chance = max(y_test.count(name) for name in LABELS) / len(y_test)
    p_value = scipy.stats.binomtest(
        round(accuracy * len(y_test)), len(y_test), chance, "greater"
    ).pvalue
    print(
        f"held-out block 3: accuracy {accuracy:.3f}, chance {chance:.3f}, n={len(y_test)}, p={p_value:.1e}"
    )
    assert accuracy >= chance + 0.15 and p_value < 1e-3
    assert np.all((confidence >= 1 / 3) & (confidence <= 1))


def test_without_emotion_effects_the_labeller_drops_towards_chance(small_layout, tree_held_out):
    # Control: the fixture tree's EEG again (same seed 7 and stimuli) with the emotion effects
    # switched off; what the labeller learnt on the tree must be the effects, not the stimuli.
    config = SimulatorConfig(frontal_alpha_asymmetry=0.0, temporal_beta_gamma_gain=0.0)
    sim = make_simulator(small_layout, SMALL_TREE_SEED, config)
    eeg, y, block = [], [], []
    for subject, session in small_layout.sessions():
        data = sim.simulate_session(draw_subject_params(SMALL_TREE_SEED, subject, config), session)
        for b in range(small_layout.n_blocks):
            for p in range(small_layout.n_concepts):
                concept = sim.video.concept_order[b, p]
                for r in range(small_layout.n_repetitions):
                    start, stop = small_layout.clip_samples_range(p, r)
                    eeg.append(data[b, :, start:stop])
                    y.append(LABELS[sim.concept_emotions[concept - 1]])
                    block.append(b + 1)
    eeg, y, block = np.stack(eeg), np.array(y), np.array(block)
    train, test = block < 3, block == 3
    without = _held_out_accuracy(eeg[train], list(y[train]), eeg[test], list(y[test]))[1]
    with_effects = tree_held_out[0]
    print(f"accuracy with emotion effects {with_effects:.3f}, without {without:.3f}")
    assert with_effects - without >= 0.1


def test_pseudo_labeller_save_load_round_trip(tmp_path, reader, ground_truth_source):
    eeg, y, _ = labelled_clips(reader, ground_truth_source, blocks=[1], subjects=[2])
    model = EmotionPseudoLabeller(LABELS, name="tiny").fit(eeg, y)
    path = model.save(tmp_path / "model.safetensors")
    loaded = EmotionPseudoLabeller.load(path)
    assert loaded.name == "tiny" and loaded.emotion_labels == LABELS
    np.testing.assert_allclose(loaded.predict_proba(eeg), model.predict_proba(eeg), rtol=1e-12)
    from safetensors.numpy import save_file

    save_file({"x": np.zeros(3)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(ValueError, match="not a video2eeg emotion pseudo-labeller"):
        EmotionPseudoLabeller.load(tmp_path / "other.safetensors")
    with pytest.raises(RuntimeError, match="unfitted"):
        EmotionPseudoLabeller(LABELS).save(tmp_path / "x.safetensors")
    with pytest.raises(ValueError, match="unknown emotion 'joy'"):
        EmotionPseudoLabeller(LABELS).fit(eeg[:2], ["joy", "negative"])


def test_seed_emotion_folder_is_read_into_labelled_windows(tmp_path):
    rng = np.random.default_rng(0)
    scipy.io.savemat(tmp_path / "label.mat", {"label": np.array([[1, 0, -1]])})
    for stem in ("1_20131027", "2_20140404"):
        scipy.io.savemat(
            tmp_path / f"{stem}.mat",
            {f"ab_eeg{k}": rng.normal(0, 10, (62, 200 * 5 + 17)) for k in (1, 2, 3)},
        )
    model = EmotionPseudoLabeller(LABELS)
    features, labels, groups = seed_emotion_features(tmp_path, model)
    assert features.shape == (2 * 3 * 2, 62 * 5)  # 2 files x 3 films x two whole 2 s windows
    assert labels[:6] == ["positive"] * 2 + ["neutral"] * 2 + ["negative"] * 2
    assert groups[0] == "1_20131027" and groups[-1] == "2_20140404"
    (tmp_path / "label.mat").unlink()
    with pytest.raises(FileNotFoundError, match=r"label\.mat"):
        seed_emotion_features(tmp_path, model)
