from __future__ import annotations

import numpy as np
import pytest

from evaluation.alignment import stimulus_alignment

N_KEYS, REPEATS, SIGNAL_STD, NOISE_STD = 16, 6, 1.0, 2.0


@pytest.fixture(scope="module")
def evoked_data():
    """Per-key smooth 'evoked' signals plus independent noise per real repeat.

    For each channel the real repeat-average has reliability
    ``ρ = σ_s² / (σ_s² + σ_n² / R)`` and a noise-free prediction correlates ``sqrt(ρ)``
    with it, which is the noise ceiling's known answer.
    """
    rng = np.random.default_rng(0)
    t = np.arange(400) / 200.0
    freqs = rng.uniform(1, 8, (N_KEYS, 62, 1))
    phases = rng.uniform(0, 2 * np.pi, (N_KEYS, 62, 1))
    evoked = SIGNAL_STD * np.sqrt(2) * np.sin(2 * np.pi * freqs * t + phases)
    keys = np.repeat(np.arange(N_KEYS), REPEATS)
    real = evoked[keys] + NOISE_STD * rng.standard_normal((len(keys), 62, 400))
    return evoked.astype(np.float32), real.astype(np.float32), keys


def test_noise_free_prediction_reaches_the_known_noise_ceiling(evoked_data):
    evoked, real, keys = evoked_data
    result = stimulus_alignment(real, evoked, keys, np.arange(N_KEYS))
    reliability = SIGNAL_STD**2 / (SIGNAL_STD**2 + NOISE_STD**2 / REPEATS)
    assert result["noise_ceiling"] == pytest.approx(np.sqrt(reliability), abs=0.05)
    assert result["value"] == pytest.approx(np.sqrt(reliability), abs=0.05)
    assert result["normalised"] == pytest.approx(1.0, abs=0.08)
    assert result["n_keys"] == N_KEYS
    assert result["identification"]["top1"] == 1.0
    assert result["identification"]["pairwise"] == 1.0


def test_shuffled_keys_drop_to_chance(evoked_data):
    evoked, real, keys = evoked_data
    shuffled = np.roll(np.arange(N_KEYS), 1)  # every key gets another key's signal
    result = stimulus_alignment(real, evoked[shuffled], keys, np.arange(N_KEYS), n_way=4)
    assert abs(result["value"]) < 0.05
    assert result["identification"]["pairwise"] < 0.7
    assert result["identification"]["top1"] <= 2 / N_KEYS
    assert result["identification"]["n_way"]["chance"] == 0.25


def test_noisy_generation_is_between_chance_and_ceiling(evoked_data):
    evoked, real, keys = evoked_data
    rng = np.random.default_rng(2)
    generated = evoked[keys] + 3 * NOISE_STD * rng.standard_normal(real.shape)
    result = stimulus_alignment(real, generated.astype(np.float32), keys, keys, n_way=8)
    assert 0.05 < result["value"] < result["noise_ceiling"]
    assert result["identification"]["n_way"]["accuracy"] > 0.8


def test_keys_can_be_tuples_of_columns(evoked_data):
    evoked, real, keys = evoked_data
    columns = np.stack([keys // 4, keys % 4], axis=1)  # (block, position)-like
    generated_columns = np.stack([np.arange(N_KEYS) // 4, np.arange(N_KEYS) % 4], axis=1)
    result = stimulus_alignment(real, evoked, columns, generated_columns)
    assert result["identification"]["top1"] == 1.0


def test_without_repeats_there_is_no_ceiling(evoked_data):
    evoked, real, _ = evoked_data
    result = stimulus_alignment(real[:N_KEYS], evoked, np.arange(N_KEYS), np.arange(N_KEYS))
    assert result["noise_ceiling"] is None and result["normalised"] is None


def test_too_few_shared_keys_is_an_error(evoked_data):
    evoked, real, keys = evoked_data
    with pytest.raises(
        ValueError, match="stimulus_alignment: needs at least 2 clip keys present in both"
    ):
        stimulus_alignment(real, evoked[:1], keys, np.array([0]))
