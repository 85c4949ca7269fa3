from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from evaluation.conditional import conditional_fidelity
from evaluation.inputs import EEGSet
from evaluation.synthetic import correlated_noise

N = 90


@cache
def labelled(seed: int, effect: bool = True, weights=(1 / 3, 1 / 3, 1 / 3)):
    """Clips whose class (0, 1, 2) sets a distinct channel-gain topography, if ``effect``.

    Returned as an EEGSet (cached), so the tests share its clip features.
    """
    rng = np.random.default_rng(seed)
    labels = rng.choice(3, size=N, p=weights)
    maps = np.exp(np.random.default_rng(99).uniform(-0.5, 0.5, (3, 62)))  # fixed per class
    gain = maps[labels] if effect else np.ones((N, 62))
    return EEGSet(correlated_noise(N, channel_gain=gain, seed=seed)), labels


def test_generated_with_the_label_effect_recovers_it():
    (real, y_real), (generated, y_generated) = labelled(1), labelled(2)
    result = conditional_fidelity(real, generated, y_real, y_generated)
    for direction in ("tstr", "trts", "trtr"):
        assert result[direction]["accuracy"] > 0.9
        assert result[direction]["chance"] == pytest.approx(1 / 3)
    assert result["value"] == result["tstr"]["accuracy"]
    assert result["n_classes"] == 3


def test_generated_without_the_effect_is_at_chance():
    (real, y_real), (generated, _) = labelled(1), labelled(2, effect=False)
    y_fake = np.random.default_rng(5).choice(3, size=N)  # conditioned labels it ignores
    result = conditional_fidelity(real, generated, y_real, y_fake)
    assert result["trtr"]["accuracy"] > 0.9  # the effect is learnable from real data
    assert result["tstr"]["balanced_accuracy"] < 0.6
    assert result["trts"]["balanced_accuracy"] < 0.6


def test_baselines_describe_the_test_set():
    (real, y_real), (generated, y_generated) = labelled(3, weights=(0.6, 0.2, 0.2)), labelled(4)
    result = conditional_fidelity(real, generated, y_real, y_generated)
    counts = np.bincount(y_real, minlength=3)
    assert result["tstr"]["majority"] == pytest.approx(counts.max() / N)
    assert result["trts"]["majority"] == pytest.approx(np.bincount(y_generated).max() / N)


def test_labels_compare_by_value_across_types():
    (real, y_real), (generated, y_generated) = labelled(1), labelled(2)
    names = np.array(["negative", "neutral", "positive"])
    as_strings = conditional_fidelity(real, generated, names[y_real], names[y_generated])
    as_ints = conditional_fidelity(real, generated, y_real, y_generated)
    assert as_strings["tstr"]["accuracy"] == as_ints["tstr"]["accuracy"]
    # Integral floats and ints are the same labels.
    mixed = conditional_fidelity(real, generated, y_real.astype(float), y_generated)
    assert mixed["tstr"]["accuracy"] == as_ints["tstr"]["accuracy"]


def test_a_held_out_real_training_set_is_used_for_trts_and_trtr():
    (real, y_real), (generated, y_generated), (train, y_train) = (
        labelled(1),
        labelled(2),
        labelled(3),
    )
    result = conditional_fidelity(
        real, generated, y_real, y_generated, train=train, train_labels=y_train
    )
    assert result["trtr"]["accuracy"] > 0.9


def test_one_class_is_rejected_with_the_requirement():
    (real, y_real), (generated, _) = labelled(1), labelled(2)
    with pytest.raises(
        ValueError, match=r"conditional\[emotion\]: needs at least 2 classes in the generated"
    ):
        conditional_fidelity(real, generated, y_real, np.zeros(N), label_name="emotion")
    with pytest.raises(ValueError, match=r"one label per clip"):
        conditional_fidelity(real, generated, y_real[:-1], y_real)
