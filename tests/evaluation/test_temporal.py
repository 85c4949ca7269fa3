from __future__ import annotations

import numpy as np
import pytest

from evaluation.surrogates import variance_matched_white_noise
from evaluation.temporal import (
    autocorrelation,
    autocorrelation_distance,
    hjorth_distance,
    hjorth_parameters,
    mean_autocorrelation,
)

SFREQ = 200.0


def sine(freq: float, n_clips: int = 3) -> np.ndarray:
    t = np.arange(400) / SFREQ
    return np.broadcast_to(np.sin(2 * np.pi * freq * t), (n_clips, 62, 400)).astype(np.float32)


def test_autocorrelation_of_a_sine_is_a_tapered_cosine():
    freq, max_lag = 10.0, 60
    acf = autocorrelation(sine(freq), max_lag)
    lags = np.arange(max_lag + 1)
    # Biased estimator of a whole number of periods: (1 - k/T) cos(2π f k / sfreq).
    expected = (1 - lags / 400) * np.cos(2 * np.pi * freq * lags / SFREQ)
    np.testing.assert_allclose(acf[0, 0], expected, atol=0.02)


def test_autocorrelation_matches_a_direct_lagged_product(real):
    clip = real[0, 3].astype(np.float64)
    centred = clip - clip.mean()
    direct = np.array([np.dot(centred[: 400 - k], centred[k:]) for k in range(11)])
    np.testing.assert_allclose(autocorrelation(real[:1], 10)[0, 3], direct / direct[0], atol=1e-5)


def test_mean_autocorrelation_is_the_clip_mean(real):
    expected = autocorrelation(real[:40], 50).astype(np.float64).mean(axis=0)
    np.testing.assert_allclose(mean_autocorrelation(real[:40], 50), expected, atol=1e-5)


@pytest.mark.parametrize("freq", [5.0, 10.0, 25.0])
def test_hjorth_mobility_of_a_sine_is_its_frequency(freq):
    params = hjorth_parameters(sine(freq), SFREQ)
    # Discrete derivative of a sine: sqrt(var(Δx)/var(x)) = 2 sin(π f / sfreq).
    expected = SFREQ / np.pi * np.sin(np.pi * freq / SFREQ)
    np.testing.assert_allclose(params["mobility"], expected, rtol=0.01)
    np.testing.assert_allclose(params["complexity"], 1.0, atol=0.02)


def test_hjorth_activity_is_the_variance(real):
    np.testing.assert_allclose(
        hjorth_parameters(real, SFREQ)["activity"], real.var(axis=-1), rtol=1e-4
    )


def test_identical_sets_have_zero_temporal_distances(real):
    assert autocorrelation_distance(real, real)["value"] == 0.0
    assert hjorth_distance(real, real)["value"] == 0.0


def test_temporal_distances_separate_white_noise_from_held_out(real, heldout):
    noise = variance_matched_white_noise(heldout, seed=1)
    assert (
        autocorrelation_distance(real, heldout)["value"] * 5
        < autocorrelation_distance(real, noise)["value"]
    )
    assert hjorth_distance(real, heldout)["value"] * 5 < hjorth_distance(real, noise)["value"]


def test_hjorth_distance_reports_mobility_in_hz(real):
    faster = np.diff(real, axis=-1, prepend=real[..., :1])  # differencing raises mobility
    result = hjorth_distance(real, faster)
    assert result["mobility"]["mean_generated"] > result["mobility"]["mean_real"]
    assert 1.0 < result["mobility"]["mean_real"] < 50.0
