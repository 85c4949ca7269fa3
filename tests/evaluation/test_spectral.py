from __future__ import annotations

import numpy as np
import pytest

from evaluation.inputs import EEGSet
from evaluation.spectral import (
    SEED_BANDS,
    alpha_peak_distance,
    alpha_peak_frequency,
    band_power_difference,
    band_powers,
    differential_entropy_distance,
    log_psd_distance,
    welch_psd,
)

SFREQ = 200.0
TIME = np.arange(400) / SFREQ


def sines(
    freq: float, amplitude: float = 10.0, n_clips: int = 8, noise: float = 0.5, seed: int = 0
):
    """Clips of a sine on every channel with random phase per clip, plus white noise."""
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * np.pi, (n_clips, 1, 1))
    clean = amplitude * np.sin(2 * np.pi * freq * TIME + phase)
    return (clean + noise * rng.standard_normal((n_clips, 62, 400))).astype(np.float32)


def test_welch_psd_obeys_parseval_and_peaks_at_the_sine():
    x = sines(10.0, amplitude=4.0, noise=1.0)
    freqs, psd = welch_psd(x, SFREQ)
    assert freqs[1] - freqs[0] == pytest.approx(1.0)  # 1-s segments
    assert freqs[np.argmax(psd.mean(axis=(0, 1)))] == pytest.approx(10.0)
    # Integrated one-sided PSD = variance (Parseval), up to Welch/window bias of a few percent.
    total = psd.sum(axis=-1) * (freqs[1] - freqs[0])
    np.testing.assert_allclose(total, x.var(axis=-1), rtol=0.1)


def test_band_powers_put_a_sine_in_its_band_with_power_a_squared_over_two():
    x = sines(10.0, amplitude=6.0, noise=0.0)
    power = band_powers(*welch_psd(x, SFREQ))  # (n_clips, n_chans, 5)
    alpha = list(SEED_BANDS).index("alpha")
    np.testing.assert_allclose(power[..., alpha], 6.0**2 / 2, rtol=0.02)
    others = np.delete(power, alpha, axis=-1)
    assert others.max() < 1e-3 * power[..., alpha].min()


@pytest.mark.parametrize("freq", [10.0, 9.5, 11.3])
def test_alpha_peak_of_a_sine_is_its_frequency(freq):
    peaks = alpha_peak_frequency(sines(freq))
    assert peaks["all"] == pytest.approx(freq, abs=0.1)


def test_alpha_peak_per_subject_recovers_each_subjects_frequency(real_pair):
    from tests.evaluation.conftest import SUBJECT_ALPHA_HZ

    x, subjects = real_pair
    peaks = alpha_peak_frequency(x, groups=subjects)
    assert set(peaks) == {str(s) for s in SUBJECT_ALPHA_HZ}
    for subject, expected in SUBJECT_ALPHA_HZ.items():
        assert peaks[str(subject)] == pytest.approx(expected, abs=0.4)
    assert peaks["1"] < peaks["2"] < peaks["3"]


def test_alpha_peak_distance_is_the_frequency_shift():
    a = np.concatenate([sines(9.0, seed=1), sines(11.0, seed=2)])
    b = np.concatenate([sines(9.5, seed=3), sines(11.0, seed=4)])
    groups = np.repeat(["s1", "s2"], 8)
    result = alpha_peak_distance(a, b, groups_real=groups, groups_generated=groups)
    assert result["n_groups"] == 2
    assert result["value"] == pytest.approx((0.5 + 0.0) / 2, abs=0.08)
    assert result["per_group"]["s1"]["generated"] == pytest.approx(9.5, abs=0.1)


def test_white_noise_has_no_alpha_peak():
    rng = np.random.default_rng(0)
    # White noise flattened by its own fit has no consistent bump; with a deep notch at
    # alpha there is certainly none (NaN).
    x = rng.standard_normal((20, 62, 400)).astype(np.float32)
    spectrum = np.fft.rfft(x, axis=-1)
    freqs = np.fft.rfftfreq(400, 1 / SFREQ)
    spectrum[..., (freqs >= 6) & (freqs <= 15)] *= 0.01
    notched = np.fft.irfft(spectrum, n=400, axis=-1).astype(np.float32)
    assert np.isnan(alpha_peak_frequency(notched)["all"])


def test_identical_sets_have_zero_spectral_distances(real):
    assert log_psd_distance(real, real)["value"] == 0.0
    bands = band_power_difference(real, real)
    assert bands["value"] == 0.0 and bands["relative_value"] == 0.0
    assert differential_entropy_distance(real, real)["value"] == 0.0


def test_scaling_by_two_shifts_spectra_by_six_db_and_de_by_ln_two(real):
    doubled = 2 * real
    expected_db = 10 * np.log10(4.0)
    assert log_psd_distance(real, doubled)["value"] == pytest.approx(expected_db, rel=1e-4)
    bands = band_power_difference(real, doubled)
    assert bands["value"] == pytest.approx(expected_db, rel=1e-4)
    assert bands["relative_value"] == pytest.approx(0.0, abs=1e-4)  # shares are scale-free
    de = differential_entropy_distance(real, doubled)
    assert de["value"] == pytest.approx(np.log(2.0), rel=1e-4)
    for value in de["mean_difference"].values():
        assert value == pytest.approx(np.log(2.0), rel=1e-4)


def test_band_power_difference_localises_an_alpha_boost(real):
    boosted = real.copy()
    spectrum = np.fft.rfft(boosted, axis=-1)
    freqs = np.fft.rfftfreq(400, 1 / SFREQ)
    spectrum[:, 5][..., (freqs >= 8) & (freqs < 14)] *= 2.0
    boosted = np.fft.irfft(spectrum, n=400, axis=-1).astype(np.float32)
    per_band = band_power_difference(real, boosted)["per_band"]
    alpha_db = np.asarray(per_band["alpha"]["db"])
    assert np.argmax(alpha_db) == 5
    assert alpha_db[5] == pytest.approx(10 * np.log10(4.0), abs=0.7)  # Welch leakage at the edges
    assert np.abs(np.delete(alpha_db, 5)).max() < 1e-3
    assert abs(per_band["gamma"]["db"][5]) < 0.05


def test_spectral_metrics_need_nyquist_above_gamma(real):
    low = EEGSet(real[:, :, ::3], sfreq=SFREQ / 3)
    with pytest.raises(ValueError, match=r"band_power: the gamma band .* needs sfreq >= 100"):
        band_power_difference(low, low)
