"""Reference generators: surrogates keep the PSD but break cross-channel phase structure."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.distributional import two_sample_classifier
from evaluation.spatial import covariance_distance
from evaluation.spectral import log_psd_distance
from evaluation.surrogates import (
    iaaft,
    phase_randomised,
    spectrum_matched_noise,
    variance_matched_white_noise,
)


def mean_abs_offdiagonal_correlation(x: np.ndarray) -> float:
    stacked = x.transpose(1, 0, 2).reshape(x.shape[1], -1)
    correlation = np.corrcoef(stacked)
    mask = ~np.eye(len(correlation), dtype=bool)
    return float(np.abs(correlation[mask]).mean())


def neighbour_correlation(x: np.ndarray, i: int = 0, j: int = 1) -> float:
    """Correlation of FP1 and FPZ (adjacent electrodes) over all clips."""
    return float(np.corrcoef(x[:, i].ravel(), x[:, j].ravel())[0, 1])


@pytest.fixture(scope="module")
def surrogates(heldout, surrogate_independent):
    return {
        "iaaft_independent": surrogate_independent,
        "iaaft_multivariate": iaaft(heldout, n_iter=10, multivariate=True, seed=0),
    }


@pytest.mark.parametrize("multivariate", [False, True])
def test_phase_randomisation_keeps_every_periodogram_exactly(heldout, multivariate):
    surrogate = phase_randomised(heldout[:10], multivariate=multivariate, seed=3)
    original_power = np.abs(np.fft.rfft(heldout[:10].astype(np.float64), axis=-1))
    surrogate_power = np.abs(np.fft.rfft(surrogate.astype(np.float64), axis=-1))
    np.testing.assert_allclose(surrogate_power, original_power, rtol=1e-3, atol=1e-3)
    assert not np.allclose(surrogate, heldout[:10], atol=1.0)


def test_multivariate_phase_randomisation_keeps_cross_spectra(heldout):
    x = heldout[:5].astype(np.float64)
    surrogate = phase_randomised(x, multivariate=True, seed=0).astype(np.float64)
    spectrum_x, spectrum_s = np.fft.rfft(x, axis=-1), np.fft.rfft(surrogate, axis=-1)
    cross_x = spectrum_x[:, 0] * np.conj(spectrum_x[:, 1])
    cross_s = spectrum_s[:, 0] * np.conj(spectrum_s[:, 1])
    np.testing.assert_allclose(cross_s, cross_x, rtol=1e-3, atol=1e-2)


def test_iaaft_keeps_each_channels_values_exactly(heldout, surrogates):
    for surrogate in surrogates.values():
        np.testing.assert_array_equal(np.sort(surrogate, axis=-1), np.sort(heldout, axis=-1))
        assert not np.array_equal(surrogate, heldout)


def test_iaaft_keeps_the_psd(real_set, heldout_set, surrogates):
    noise = variance_matched_white_noise(heldout_set.data, seed=0)
    reference = log_psd_distance(heldout_set, noise)["value"]
    assert reference > 3.0  # white noise is several dB off the 1/f + alpha spectrum
    for surrogate in surrogates.values():
        assert log_psd_distance(heldout_set, surrogate)["value"] < 0.1 * reference
        assert log_psd_distance(real_set, surrogate)["value"] < 0.6


def test_independent_surrogates_break_and_multivariate_keep_cross_channel_structure(
    heldout, surrogates
):
    original = neighbour_correlation(heldout)
    assert original > 0.4  # the fixture has volume conduction
    assert abs(neighbour_correlation(surrogates["iaaft_independent"])) < 0.1
    assert neighbour_correlation(surrogates["iaaft_multivariate"]) == pytest.approx(
        original, abs=0.1
    )
    assert mean_abs_offdiagonal_correlation(surrogates["iaaft_independent"]) < 0.3 * (
        mean_abs_offdiagonal_correlation(heldout)
    )


def test_metrics_detect_the_broken_phase_structure(real_set, heldout_set, surrogates):
    real = real_set
    baseline = covariance_distance(real, heldout_set)
    broken = covariance_distance(real, surrogates["iaaft_independent"])
    kept = covariance_distance(real, surrogates["iaaft_multivariate"])
    assert broken["riemannian"] > 3 * baseline["riemannian"]
    assert broken["correlation_frobenius"] > 3 * baseline["correlation_frobenius"]
    assert kept["correlation_frobenius"] < 2 * baseline["correlation_frobenius"]
    assert two_sample_classifier(real, surrogates["iaaft_independent"])["value"] > 0.9


def test_spectrum_matched_noise_has_the_real_mean_periodogram_and_no_coupling(heldout):
    noise = spectrum_matched_noise(heldout, n_clips=600, seed=0)
    assert noise.shape == (600, 62, 400) and noise.dtype == np.float32
    power_real = (np.abs(np.fft.rfft(heldout, axis=-1)) ** 2).mean(axis=(0, 1))
    power_noise = (np.abs(np.fft.rfft(noise, axis=-1)) ** 2).mean(axis=(0, 1))
    np.testing.assert_allclose(power_noise[1:], power_real[1:], rtol=0.15)
    assert abs(neighbour_correlation(noise)) < 0.05


def test_white_noise_matches_channel_variance(heldout):
    noise = variance_matched_white_noise(heldout, n_clips=300, seed=0)
    np.testing.assert_allclose(
        noise.var(axis=-1).mean(axis=0), heldout.var(axis=-1).mean(axis=0), rtol=0.05
    )


@pytest.mark.parametrize(
    "generator",
    [
        lambda x, seed: phase_randomised(x, seed=seed),
        lambda x, seed: iaaft(x, n_iter=3, seed=seed),
        lambda x, seed: spectrum_matched_noise(x, seed=seed),
        lambda x, seed: variance_matched_white_noise(x, seed=seed),
    ],
)
def test_reference_generators_are_seeded(heldout, generator):
    x = heldout[:4]
    np.testing.assert_array_equal(generator(x, 5), generator(x, 5))
    assert not np.array_equal(generator(x, 5), generator(x, 6))
