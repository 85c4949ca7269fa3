from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import wasserstein_distance

from evaluation.distributional import (
    _mmd2_unbiased,
    fid_eeg,
    frechet_distance,
    frechet_distance_between,
    mmd,
    sliced_wasserstein,
    two_sample_classifier,
)
from evaluation.features import clip_features, feature_names
from evaluation.inputs import EEGSet
from evaluation.surrogates import variance_matched_white_noise
from evaluation.wasserstein import wasserstein_1d


@pytest.fixture(scope="module")
def noise_set(heldout):
    return EEGSet(variance_matched_white_noise(heldout, seed=0))


def test_wasserstein_1d_matches_scipy_for_unequal_sizes():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(37, 4)), rng.normal(1.0, 2.0, size=(53, 4))
    expected = [wasserstein_distance(a[:, k], b[:, k]) for k in range(4)]
    np.testing.assert_allclose(wasserstein_1d(a, b), expected, rtol=1e-10)
    # W2 between shifted copies is the shift.
    np.testing.assert_allclose(wasserstein_1d(a, a + 0.7, p=2), 0.7, rtol=1e-10)


def test_unbiased_mmd_matches_the_direct_formula():
    rng = np.random.default_rng(1)
    points = rng.normal(size=(12, 3))
    kernel = np.exp(-np.sum((points[:, None] - points[None]) ** 2, axis=-1) / 2)
    n_real = 5
    kxx, kyy, kxy = kernel[:5, :5], kernel[5:, 5:], kernel[:5, 5:]
    direct = (
        (kxx.sum() - np.trace(kxx)) / (5 * 4)
        + (kyy.sum() - np.trace(kyy)) / (7 * 6)
        - 2 * kxy.mean()
    )
    membership = np.zeros((12, 1))
    membership[:n_real] = 1
    assert _mmd2_unbiased(kernel, membership, n_real)[0] == pytest.approx(direct, rel=1e-12)


def test_frechet_distance_of_one_dimensional_gaussians():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, (500, 1)), rng.normal(2, 3, (400, 1))
    # 1-D: (μa − μb)² + (σa − σb)² with the sample moments (ddof=1, as np.cov).
    expected = (a.mean() - b.mean()) ** 2 + (a.std(ddof=1) - b.std(ddof=1)) ** 2
    assert frechet_distance_between(a, b) == pytest.approx(expected, rel=1e-8)
    assert frechet_distance_between(a, a) == pytest.approx(0.0, abs=1e-9)


def test_clip_features_are_de_and_neighbour_correlations(real):
    eeg = EEGSet(real)
    features = clip_features(eeg)
    names = feature_names(eeg.ch_names)
    assert features.shape == (len(real), len(names))
    assert names[0] == "DE FP1 delta"
    index = names.index("r FP1-FPZ")
    expected = np.arctanh(np.corrcoef(real[0, 0], real[0, 1])[0, 1])
    assert features[0, index] == pytest.approx(expected, rel=1e-3)


def test_identical_sets_hit_the_documented_floors(real_set):
    real, n = real_set, real_set.n_clips
    result = mmd(real, real, n_permutations=50)
    assert -2 / n <= result["value"] <= 0.0
    assert sliced_wasserstein(real, real)["value"] == 0.0
    assert frechet_distance(real, real)["value"] == pytest.approx(0.0, abs=1e-6)
    # Duplicates straddle every fold, so a classifier is pushed below chance (documented).
    assert two_sample_classifier(real, real)["value"] <= 0.5


def test_same_process_gives_mmd_near_zero_and_classifier_near_chance(
    real_set, heldout_set, noise_set
):
    real, heldout = real_set, heldout_set
    result = mmd(real, heldout, n_permutations=200)
    noise = mmd(real, noise_set, n_permutations=50)
    assert abs(result["value"]) < 0.05 * noise["value"]
    assert result["p_value"] > 0.01
    assert noise["p_value"] < 0.05
    c2st = two_sample_classifier(real, heldout)
    assert abs(c2st["value"] - 0.5) < 0.1
    assert c2st["p_value"] > 0.01
    assert c2st["n_per_class"] == real.n_clips


def test_classifier_separates_white_noise(real_set, noise_set):
    c2st = two_sample_classifier(real_set, noise_set)
    assert c2st["value"] > 0.95 and c2st["p_value"] < 1e-10


def test_fid_eeg_extractor_learns_the_label_and_zero_for_identical(
    real_pair, heldout_pair, train_pair
):
    real, subjects = real_pair
    result = fid_eeg(
        real, heldout_pair[0], subjects, train=train_pair[0], train_labels=train_pair[1]
    )
    assert result["trained_on"] == "train"
    # Subjects differ in alpha peak, so the extractor generalises well above chance.
    assert result["real_accuracy"] > result["chance"] + 0.2
    assert fid_eeg(real, real, subjects)["value"] == pytest.approx(0.0, abs=1e-6)


def test_distances_are_seeded(real_set, heldout_set):
    real, heldout = real_set, heldout_set
    assert mmd(real, heldout, seed=3, n_permutations=50) == mmd(
        real, heldout, seed=3, n_permutations=50
    )
    assert sliced_wasserstein(real, heldout, seed=3) == sliced_wasserstein(real, heldout, seed=3)
    assert sliced_wasserstein(real, heldout, seed=3) != sliced_wasserstein(real, heldout, seed=4)
