"""``benchmarks/learning_report.py`` end to end at a token budget: every stage runs and is reported.

The figures at this budget mean nothing; what is checked is that a run with self-play, guidance
over the video and several new subjects writes a complete report, and that
``--adaptation-only`` with more new subjects keeps the trained subjects' data and models.
"""

from __future__ import annotations

import json

import numpy as np

from tests.fixtures.training import single_thread
from tests.training.test_learning import _learning_report_module


def test_full_run_then_adaptation_only_with_more_new_subjects(tmp_path):
    report = _learning_report_module()
    settings = report.LearningSettings.small(tmp_path, seed=3)
    settings.steps = 10
    settings.inference_steps = 2
    settings.video_guidance_scales = [1.0, 2.0]
    settings.self_play_rounds = 1
    settings.self_play_steps = 2
    settings.adapt_steps = 2
    with single_thread():
        first = report.run(settings)
    assert first == json.loads((tmp_path / "learning_report.json").read_text())
    assert set(first["models"]) == {"conditional", "self_play_round_1"}
    for by_guidance in first["models"].values():
        assert set(by_guidance) == {"guidance_1_video_1", "guidance_1_video_2"}
    result = first["models"]["conditional"]["guidance_1_video_2"]
    assert set(result["alpha_peak"]) == {"1", "2"}  # the trained subjects
    assert np.isfinite(result["motion_alpha"]["slope_generated"])
    assert set(first["baselines"]) == {
        "unconditional",
        "surrogates_multivariate",
        "surrogates_univariate",
    }
    assert set(first["adaptation"]["subjects"]) == {"3"}

    conditional = (tmp_path / "conditional" / "spgn" / "model.safetensors").read_bytes()
    settings.n_subjects, settings.n_new_subjects = 4, 2
    with single_thread():
        again = report.run(settings, adaptation_only=True)
    assert set(again["adaptation"]["subjects"]) == {"3", "4"}
    assert again["models"] == first["models"]  # only the adaptation was redone
    assert (tmp_path / "conditional" / "spgn" / "model.safetensors").read_bytes() == conditional
    # the new subject of the first run kept its simulated EEG in the larger tree
    truth = {
        n: json.loads((tmp_path / d / "seed_dv" / "ground_truth.json").read_text())
        for n, d in (("small", "data_3x3x6"), ("large", "data_4x3x6"))
    }
    assert truth["small"]["subjects"]["3"] == truth["large"]["subjects"]["3"]
    assert (
        again["adaptation"]["subjects"]["3"]["real_eeg_hz"]
        == first["adaptation"]["subjects"]["3"]["real_eeg_hz"]
    )
