from __future__ import annotations

import numpy as np
import pytest

from evaluation.inputs import EEGSet
from evaluation.memorisation import memorisation, nearest_neighbour_distances
from modeling_video2eeg.montage import SEED_CH_NAMES


def test_nearest_neighbour_distances_match_brute_force():
    rng = np.random.default_rng(0)
    queries, reference = rng.normal(size=(700, 5)), rng.normal(size=(40, 5))
    brute = np.sqrt(((queries[:, None] - reference[None]) ** 2).sum(-1)).min(axis=1)
    np.testing.assert_allclose(nearest_neighbour_distances(queries, reference), brute, rtol=1e-4)


def test_copies_of_training_clips_are_flagged(real, heldout, train_pair):
    train = train_pair[0]
    rng = np.random.default_rng(0)
    copies = train[rng.permutation(len(train))[:100]]
    copies = copies + 1e-4 * rng.standard_normal(copies.shape).astype(np.float32)
    result = memorisation(train, copies, heldout)
    assert result["value"] < 0.01
    assert result["copy_fraction"] == 1.0
    assert result["exact_copy_fraction"] == 1.0
    assert result["p_value"] < 1e-10


def test_a_fresh_sample_is_not_flagged(real, heldout, train_pair):
    result = memorisation(train_pair[0], real, heldout)
    assert result["value"] == pytest.approx(1.0, abs=0.05)
    assert result["copy_fraction"] < 0.15
    assert result["exact_copy_fraction"] == 0.0


def test_memorisation_checks_its_three_sets(real, heldout, train_pair):
    short_train = EEGSet(train_pair[0][:, :61], ch_names=SEED_CH_NAMES[:61])
    with pytest.raises(
        ValueError, match=r"memorisation: holdout and train must have the same channels"
    ):
        memorisation(short_train, real, heldout)
    with pytest.raises(ValueError, match=r"memorisation: needs at least 2 clips in holdout"):
        memorisation(train_pair[0], real, heldout[:1])
