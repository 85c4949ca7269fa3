"""Session fixtures for the evaluation tests: EEG-like sets with known properties.

The sets come from :func:`evaluation.synthetic.correlated_noise` (1/f background, a
posterior alpha bump, volume-conduction correlation over the SEED montage). Three "subjects"
differ in their alpha peak frequency, which gives the label-dependent tests a known effect.
"""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from evaluation.inputs import EEGSet
from evaluation.surrogates import iaaft
from evaluation.synthetic import correlated_noise

N_CLIPS = 150


@pytest.fixture(scope="package", autouse=True)
def single_blas_thread():
    """Test-side numpy work (corrcoef, mixing products) on one BLAS thread, like evaluate().

    Package scope: the limit is lifted when this folder's tests are done.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        yield


SUBJECT_ALPHA_HZ = {1: 9.0, 2: 10.5, 3: 12.0}


def _subjects(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).permutation(np.resize(list(SUBJECT_ALPHA_HZ), n))


def draw(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` clips and their subject labels (alpha peak set by subject)."""
    subjects = _subjects(n, seed + 1000)
    peaks = np.array([SUBJECT_ALPHA_HZ[s] for s in subjects])
    return correlated_noise(n, alpha_peak_hz=peaks, seed=seed), subjects


@pytest.fixture(scope="session")
def real_pair() -> tuple[np.ndarray, np.ndarray]:
    return draw(N_CLIPS, seed=1)


@pytest.fixture(scope="session")
def heldout_pair() -> tuple[np.ndarray, np.ndarray]:
    return draw(N_CLIPS, seed=2)


@pytest.fixture(scope="session")
def train_pair() -> tuple[np.ndarray, np.ndarray]:
    return draw(N_CLIPS, seed=3)


@pytest.fixture(scope="session")
def real(real_pair) -> np.ndarray:
    return real_pair[0]


@pytest.fixture(scope="session")
def heldout(heldout_pair) -> np.ndarray:
    return heldout_pair[0]


@pytest.fixture(scope="session")
def real_set(real) -> EEGSet:
    """``real`` as an EEGSet, so tests share its cached PSDs, covariances and features."""
    return EEGSet(real)


@pytest.fixture(scope="session")
def heldout_set(heldout) -> EEGSet:
    return EEGSet(heldout)


@pytest.fixture(scope="session")
def surrogate_independent(heldout) -> np.ndarray:
    """Per-channel IAAFT surrogates of the held-out clips (PSD kept, phase coupling broken)."""
    return iaaft(heldout, n_iter=10, multivariate=False, seed=0)
