"""Metrics order a graded series: real vs held-out < real vs surrogates < real vs white noise.

The surrogates are per-channel IAAFT surrogates of the held-out clips: they keep every
channel's values and spectrum and break the cross-channel phase structure; white noise
keeps only each channel's variance. So:

* metrics that see both spectra and spatial structure (the distribution distances) order
  all three strictly;
* spatial metrics separate held-out from both (surrogates and white noise alike have no
  spatial structure, so those two may tie);
* spectral and temporal metrics separate white noise from both (surrogates keep the
  spectrum, so they sit with held-out data).
"""

from __future__ import annotations

import pytest

from evaluation import evaluate
from evaluation.surrogates import variance_matched_white_noise

DISTRIBUTION_METRICS = ["mmd", "sliced_wasserstein", "frechet_distance", "fid_eeg"]
SPATIAL_METRICS = [("covariance", "riemannian"), ("covariance", "correlation_frobenius")]
SPECTRAL_TEMPORAL_METRICS = [
    "log_psd_distance",
    "band_power",
    "differential_entropy",
    "autocorrelation",
    "hjorth",
]
RUN = [
    *DISTRIBUTION_METRICS,
    "two_sample_classifier",
    "covariance",
    *SPECTRAL_TEMPORAL_METRICS,
    "topography",
]


@pytest.fixture(scope="module")
def series(real_set, real_pair, heldout_set, surrogate_independent):
    subjects = real_pair[1]
    candidates = {
        "heldout": heldout_set,
        "surrogate": surrogate_independent,
        "noise": variance_matched_white_noise(heldout_set.data, seed=0),
    }
    return {
        name: evaluate(
            real_set, generated, labels_real={"subject": subjects}, metrics=RUN, n_permutations=20
        )["metrics"]
        for name, generated in candidates.items()
    }


@pytest.mark.parametrize("name", DISTRIBUTION_METRICS)
def test_distribution_distances_order_all_three(series, name):
    values = [series[level][name]["value"] for level in ("heldout", "surrogate", "noise")]
    assert values[0] < values[1] < values[2], values


def test_two_sample_classifier_orders_all_three(series):
    accuracy = [
        series[level]["two_sample_classifier"]["value"]
        for level in ("heldout", "surrogate", "noise")
    ]
    assert abs(accuracy[0] - 0.5) < 0.1
    assert accuracy[0] < accuracy[1] <= accuracy[2]  # the last two may both be perfect


@pytest.mark.parametrize(("name", "field"), SPATIAL_METRICS)
def test_spatial_metrics_separate_held_out_from_both(series, name, field):
    heldout, surrogate, noise = (
        series[level][name][field] for level in ("heldout", "surrogate", "noise")
    )
    assert 3 * heldout < surrogate, (heldout, surrogate)
    assert 3 * heldout < noise, (heldout, noise)


@pytest.mark.parametrize("name", SPECTRAL_TEMPORAL_METRICS)
def test_spectral_and_temporal_metrics_separate_noise_from_both(series, name):
    heldout, surrogate, noise = (
        series[level][name]["value"] for level in ("heldout", "surrogate", "noise")
    )
    assert heldout < noise and surrogate < noise, (heldout, surrogate, noise)
    assert surrogate < 0.5 * noise  # the surrogate keeps the spectrum


def test_topography_correlation_drops_for_white_noise(series):
    heldout = series["heldout"]["topography"]["per_band"]["alpha"]
    noise = series["noise"]["topography"]["per_band"]["alpha"]
    assert heldout > 0.9 > noise  # the alpha map is posterior; white noise spreads it evenly
