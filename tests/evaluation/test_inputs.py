"""Bad input: every metric names itself and the requirement that failed."""

from __future__ import annotations

import re

import numpy as np
import pytest

from evaluation import evaluate
from evaluation.alignment import stimulus_alignment
from evaluation.conditional import conditional_fidelity
from evaluation.distributional import (
    fid_eeg,
    frechet_distance,
    mmd,
    sliced_wasserstein,
    two_sample_classifier,
)
from evaluation.inputs import EEGSet
from evaluation.memorisation import memorisation
from evaluation.spatial import covariance_distance, hemispheric_asymmetry, topography_correlation
from evaluation.spectral import (
    alpha_peak_distance,
    band_power_difference,
    differential_entropy_distance,
    log_psd_distance,
)
from evaluation.temporal import autocorrelation_distance, hjorth_distance
from modeling_video2eeg.montage import SEED_CH_NAMES

N = 6
LABELS = np.arange(N) % 2

METRICS = {
    "log_psd_distance": log_psd_distance,
    "band_power": band_power_difference,
    "differential_entropy": differential_entropy_distance,
    "alpha_peak": alpha_peak_distance,
    "covariance": covariance_distance,
    "topography": topography_correlation,
    "hemispheric_asymmetry": hemispheric_asymmetry,
    "autocorrelation": autocorrelation_distance,
    "hjorth": hjorth_distance,
    "mmd": mmd,
    "sliced_wasserstein": sliced_wasserstein,
    "frechet_distance": frechet_distance,
    "two_sample_classifier": two_sample_classifier,
    "fid_eeg": lambda r, g: fid_eeg(r, g, LABELS[: _n(r)]),
    "conditional[label]": lambda r, g: conditional_fidelity(r, g, LABELS[: _n(r)], LABELS[: _n(g)]),
    "stimulus_alignment": lambda r, g: stimulus_alignment(r, g, np.arange(_n(r)), np.arange(_n(g))),
    "memorisation": lambda r, g: memorisation(r, g, r),
    "evaluate": evaluate,
}


def _n(x) -> int:
    return x.n_clips if isinstance(x, EEGSet) else len(x)


def clips(n: int = N, n_chans: int = 62, n_times: int = 400, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, n_chans, n_times)).astype(np.float32)


@pytest.mark.parametrize("name", list(METRICS))
def test_mismatched_channel_counts(name):
    with pytest.raises(ValueError, match=rf"^{re.escape(name)}: generated has 61 channels"):
        METRICS[name](clips(), clips(n_chans=61))
    fewer = EEGSet(clips(n_chans=61), ch_names=SEED_CH_NAMES[:61])
    with pytest.raises(ValueError, match=rf"^{re.escape(name)}: .*must have the same channels"):
        METRICS[name](EEGSet(clips()), fewer)


@pytest.mark.parametrize("name", list(METRICS))
def test_mismatched_sampling_rates(name):
    with pytest.raises(
        ValueError, match=rf"^{re.escape(name)}: .*must have the same sfreq.*200 Hz.*250 Hz"
    ):
        METRICS[name](EEGSet(clips(), sfreq=200.0), EEGSet(clips(), sfreq=250.0))


@pytest.mark.parametrize("name", list(METRICS))
def test_nan_is_rejected(name):
    bad = clips()
    bad[2, 5, 100] = np.nan
    with pytest.raises(
        ValueError, match=rf"^{re.escape(name)}: generated contains NaN or infinite values \(1 of"
    ):
        METRICS[name](clips(), bad)


@pytest.mark.parametrize("name", list(METRICS))
def test_wrong_rank_is_rejected(name):
    # memorisation checks its training set (here the same array) first.
    role = "train" if name == "memorisation" else "real"
    with pytest.raises(
        ValueError,
        match=rf"^{re.escape(name)}: {role} must have shape \(n_clips, n_chans, n_times\)",
    ):
        METRICS[name](clips()[0], clips())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda x: mmd(x[:1], x), r"^mmd: needs at least 2 clips in real \(the unbiased estimate"),
        (
            lambda x: frechet_distance(x, x[:1]),
            r"^frechet_distance: needs at least 2 clips in generated",
        ),
        (lambda x: fid_eeg(x[:1], x, [0]), r"^fid_eeg: needs at least 2 clips in real"),
        (
            lambda x: two_sample_classifier(x[:3], x),
            r"^two_sample_classifier: needs at least 5 clips in real \(one per fold",
        ),
        (
            lambda x: fid_eeg(x, x, np.zeros(len(x))),
            r"^fid_eeg: needs at least 2 classes in the training labels",
        ),
        (
            lambda x: conditional_fidelity(x, x, [0, 1, 1, 1, 1, 1], LABELS),
            r"^conditional\[label\]: TRTR cross-validation needs at least 2 real clips per class",
        ),
        (
            lambda x: autocorrelation_distance(x[..., :80], x[..., :80]),
            r"^autocorrelation: max_lag_s=0.5 s is 100 samples; needs 1 <= lags < n_times=80",
        ),
        (
            lambda x: band_power_difference(x[..., :50], x[..., :50]),
            r"^band_power: Welch resolution 4 Hz is coarser than the narrowest band",
        ),
        (
            lambda x: evaluate(x, x, metrics=["psd"]),
            r"^evaluate: unknown metrics \['psd'\]",
        ),
        (
            lambda x: evaluate(x, x, sfreq_generated=250.0),
            r"^evaluate: real and generated must have the same sfreq",
        ),
        (
            lambda x: evaluate(x, x, labels_real={"subject": [1, 2]}),
            r"^evaluate: labels_real\['subject'\] must have one label per clip",
        ),
    ],
)
def test_too_few_samples_and_other_requirements(call, message):
    with pytest.raises(ValueError, match=message):
        call(clips())


def test_ch_names_must_be_seed_names():
    with pytest.raises(
        ValueError, match=r"^covariance: Invalid ch_names: unknown channel names \['XX'\]"
    ):
        covariance_distance(clips(n_chans=2), clips(n_chans=2), ch_names=["FP1", "XX"])


def test_integer_input_is_accepted_as_float32():
    x = (clips() * 10).astype(np.int16)
    assert EEGSet(x).data.dtype == np.float32
