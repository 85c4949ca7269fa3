from __future__ import annotations

import numpy as np
import pytest

from evaluation.spatial import (
    clip_covariances,
    covariance_distance,
    hemispheric_asymmetry,
    riemannian_distance,
    topography_correlation,
)
from evaluation.synthetic import correlated_noise
from modeling_video2eeg.montage import SEED_CH_NAMES, hemispheric_pairs

N_TIMES = 400


def orthogonal_sines(n_clips: int = 4) -> np.ndarray:
    """Channel c is a sine with c + 1 cycles per clip: exactly orthogonal, zero-mean channels,
    so every clip covariance is exactly diagonal with variance 1/2 (times 400/399)."""
    t = np.arange(N_TIMES)
    cycles = np.arange(1, 63)[:, None]
    clip = np.sin(2 * np.pi * cycles * t / N_TIMES)
    return np.repeat(clip[None], n_clips, axis=0).astype(np.float32)


def test_clip_covariance_matches_numpy_cov(real):
    covariances = clip_covariances(real[:3])
    for clip, covariance in zip(real[:3], covariances, strict=True):
        np.testing.assert_allclose(covariance, np.cov(clip), rtol=1e-4, atol=1e-3)


def test_identical_sets_have_zero_covariance_distances(real):
    result = covariance_distance(real, real)
    assert result["riemannian"] == pytest.approx(0.0, abs=1e-6)
    assert result["frobenius_relative"] == 0.0
    assert result["correlation_frobenius"] == 0.0


@pytest.mark.parametrize("gain", [1.5, 3.0])
def test_scaling_one_channel_gives_the_known_riemannian_distance(gain):
    x = orthogonal_sines()
    scaled = x.copy()
    scaled[:, 7] *= gain
    result = covariance_distance(x, scaled, shrinkage=0.0)
    # Diagonal covariances: the only generalised eigenvalue != 1 is gain², so d = |ln gain²|.
    assert result["riemannian"] == pytest.approx(abs(np.log(gain**2)), rel=1e-4)
    # ||ΔC||_F / ||C||_F with C = v I: v (gain² - 1) / (v sqrt(62)).
    assert result["frobenius_relative"] == pytest.approx((gain**2 - 1) / np.sqrt(62), rel=1e-4)
    # Correlations do not see channel scaling.
    assert result["correlation_frobenius"] == pytest.approx(0.0, abs=1e-5)


def test_scaling_one_channel_moves_the_distance_monotonically(real):
    real = real[:40]
    distances = []
    for gain in (1.0, 1.2, 1.5, 2.0):
        scaled = real.copy()
        scaled[:, 20] *= gain
        distances.append(covariance_distance(real, scaled)["riemannian"])
    assert distances[0] == pytest.approx(0.0, abs=1e-6)
    assert np.all(np.diff(distances) > 0)


def test_riemannian_distance_is_affine_invariant_and_frobenius_is_not(real, heldout):
    rng = np.random.default_rng(0)
    mixing = (np.eye(62) + 0.3 * rng.standard_normal((62, 62))).astype(np.float32)
    before = covariance_distance(real, heldout)
    after = covariance_distance(mixing @ real, mixing @ heldout, shrinkage=0.0)
    unridged = covariance_distance(real, heldout, shrinkage=0.0)
    assert after["riemannian"] == pytest.approx(unridged["riemannian"], rel=1e-3)
    assert after["frobenius_relative"] != pytest.approx(before["frobenius_relative"], rel=0.05)


def test_riemannian_distance_rejects_singular_matrices():
    with pytest.raises(ValueError, match="symmetric positive definite"):
        riemannian_distance(np.zeros((3, 3)), np.eye(3))


def test_topography_correlation_follows_the_channel_gain_maps():
    # Gain maps far larger than the sampling noise: the log band-power maps are 2 ln(gain)
    # plus a constant, so their correlation is that of the log gains.
    rng = np.random.default_rng(3)
    log_gain = rng.uniform(-1, 1, 62)
    base = dict(n_clips=60, alpha_amplitude=0.0)
    a = correlated_noise(**base, channel_gain=np.exp(log_gain), spatial_scale_m=0.005, seed=1)
    same = correlated_noise(**base, channel_gain=np.exp(log_gain), spatial_scale_m=0.005, seed=2)
    flipped = correlated_noise(
        **base, channel_gain=np.exp(-log_gain), spatial_scale_m=0.005, seed=3
    )
    assert topography_correlation(a, a)["value"] == pytest.approx(1.0)
    assert topography_correlation(a, same)["value"] > 0.99
    assert topography_correlation(a, flipped)["value"] < -0.99


def test_hemispheric_asymmetry_of_a_scaled_hemisphere_is_two_ln_gain(real):
    pairs = hemispheric_pairs(SEED_CH_NAMES)
    right = [j for _, j in pairs]
    scaled = real.copy()
    scaled[:, right] *= 1.5
    result = hemispheric_asymmetry(real, scaled)
    assert len(result["pairs"]) == len(pairs) == 27
    assert result["value"] == pytest.approx(2 * np.log(1.5), rel=1e-4)
    for values in result["difference"].values():
        np.testing.assert_allclose(values, 2 * np.log(1.5), rtol=1e-4)
    assert hemispheric_asymmetry(real, real)["value"] == 0.0
