from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.signal
import scipy.stats

from dataset_builder.layout import SEEDDVLayout
from dataset_builder.reader import SEEDDVReader
from dataset_builder.simulator import (
    SimulatorConfig,
    draw_subject_params,
    make_simulator,
    simulate_seed_dv,
)
from modeling_video2eeg.montage import SEED_CH_NAMES, electrode_positions
from tests.fixtures.seed_dv import SMALL_TREE_SEED

OCCIPITAL = [SEED_CH_NAMES.index(c) for c in ("O1", "OZ", "O2", "PO3", "POZ", "PO4")]


@pytest.fixture(scope="module")
def ground_truth(seed_dv_tree):
    return json.loads((Path(seed_dv_tree) / "ground_truth.json").read_text())


def test_tree_has_seed_dv_names_and_shapes(seed_dv_tree, small_layout):
    root = Path(seed_dv_tree)
    assert sorted(p.name for p in (root / "EEG").iterdir()) == [
        "sub1.npy",
        "sub1_session2.npy",
        "sub2.npy",
    ]
    assert sorted(p.name for p in (root / "Video").iterdir()) == [
        "1st_10min.mp4",
        "2nd_10min.mp4",
        "3rd_10min.mp4",
    ]
    assert sorted(p.name for p in (root / "meta-info").iterdir()) == sorted(
        [
            "All_video_label.npy",
            "All_video_color.npy",
            "All_video_face_apperance.npy",
            "All_video_human_apperance.npy",
            "All_video_obj_number.npy",
            "All_video_optical_flow_score.npy",
        ]
    )
    assert len((root / "BLIP-caption" / "2nd_10min.txt").read_text().splitlines()) == 30
    eeg = np.load(root / "EEG" / "sub2.npy", mmap_mode="r")
    assert eeg.shape == small_layout.eeg_shape and eeg.dtype == np.float32
    labels = np.load(root / "meta-info" / "All_video_label.npy")
    assert all(sorted(row) == list(range(1, 7)) for row in labels)  # each concept once per block


def test_amplitudes_are_scalp_eeg_like(seed_dv_tree):
    eeg = np.load(Path(seed_dv_tree) / "EEG" / "sub1.npy")
    sd = eeg.std(axis=-1)
    # Tens of microvolts peak to peak: SDs of a few to a few tens of µV on every channel.
    assert 3 < np.median(sd) < 30 and sd.min() > 2 and sd.max() < 60
    assert np.isfinite(eeg).all()


def test_same_seed_same_eeg_and_the_tree_is_reproducible(seed_dv_tree, small_layout):
    config = SimulatorConfig(video_width=64, video_height=48)
    params = draw_subject_params(SMALL_TREE_SEED, 2, config)
    block = make_simulator(small_layout, SMALL_TREE_SEED, config).simulate_block(params, 1, 2)
    again = make_simulator(small_layout, SMALL_TREE_SEED, config).simulate_block(params, 1, 2)
    np.testing.assert_array_equal(block, again)
    on_disk = np.load(Path(seed_dv_tree) / "EEG" / "sub2.npy", mmap_mode="r")[1]
    np.testing.assert_array_equal(block, on_disk)
    other = make_simulator(small_layout, SMALL_TREE_SEED + 1, config).simulate_block(
        draw_subject_params(SMALL_TREE_SEED + 1, 2, config), 1, 2
    )
    assert not np.allclose(block, other)


def test_per_subject_alpha_peak_is_measurable(seed_dv_tree, ground_truth):
    peaks = {}
    for subject in (1, 2):
        eeg = np.load(Path(seed_dv_tree) / "EEG" / f"sub{subject}.npy")[:, OCCIPITAL]
        freqs, psd = scipy.signal.welch(eeg, fs=200, nperseg=800, axis=-1)
        spectrum = psd.mean(axis=(0, 1))
        band = (freqs >= 7) & (freqs <= 14)
        peaks[subject] = freqs[band][np.argmax(spectrum[band])]
        expected = ground_truth["subjects"][str(subject)]["alpha_peak_hz"]
        assert abs(peaks[subject] - expected) <= 0.5, (subject, peaks[subject], expected)
        # Alpha is posterior: occipital alpha power well above frontal.
        frontal = np.load(Path(seed_dv_tree) / "EEG" / f"sub{subject}.npy")[:, [9, 10, 8]]
        _, psd_f = scipy.signal.welch(frontal, fs=200, nperseg=800, axis=-1)
        assert spectrum[band].max() > 3 * psd_f.mean(axis=(0, 1))[band].max()
    gt = {s: ground_truth["subjects"][str(s)]["alpha_peak_hz"] for s in (1, 2)}
    assert abs(gt[1] - gt[2]) > 0.5  # the fixture's subjects really differ
    assert (peaks[1] > peaks[2]) == (gt[1] > gt[2])


def _clip_alpha_vs_motion(reader, subject, peak_hz):
    alpha, flow = [], []
    for clip in reader.iter_clips(subjects=[subject]):
        freqs, psd = scipy.signal.welch(clip.eeg[OCCIPITAL], fs=200, nperseg=200, axis=-1)
        band = (freqs >= peak_hz - 2) & (freqs <= peak_hz + 2)
        alpha.append(np.log(psd[:, band].mean()))
        flow.append(clip.info.meta["optical_flow_score"])
    return scipy.stats.spearmanr(flow, alpha)


def test_motion_suppresses_occipital_alpha(seed_dv_tree, small_layout, ground_truth):
    reader = SEEDDVReader(seed_dv_tree, small_layout)
    for subject in (1, 2):
        peak = ground_truth["subjects"][str(subject)]["alpha_peak_hz"]
        rho, p = _clip_alpha_vs_motion(reader, subject, peak)
        print(f"subject {subject}: Spearman(optical flow, occipital alpha) = {rho:.2f} (p={p:.1e})")
        assert rho < -0.25 and p < 1e-3


def test_luminance_change_evokes_occipital_p100(small_layout):
    # Same seed with and without the evoked response: the difference is exactly the VEP.
    sim = make_simulator(small_layout, 1)
    params = draw_subject_params(1, 1, sim.config)
    no_vep = dataclasses.replace(params, p100_uv_per_luminance=0.0)
    vep = sim.simulate_block(params, 1, 1) - sim.simulate_block(no_vep, 1, 1)
    onsets = [small_layout.clip_samples_range(p, 0)[0] for p in range(small_layout.n_concepts)]
    erp = np.mean([vep[:, t : t + 60] for t in onsets], axis=0)  # 0..300 ms
    oz, fpz = SEED_CH_NAMES.index("OZ"), SEED_CH_NAMES.index("FPZ")
    assert 90 <= 5 * np.argmax(erp[oz]) <= 110  # positive peak ~100 ms (5 ms per sample)
    assert erp[oz].max() > 1.0  # µV for the hint -> clip luminance step
    assert erp[oz].max() > 20 * np.abs(erp[fpz]).max()


def test_background_correlation_decays_with_distance(small_layout):
    config = SimulatorConfig(artifacts=())
    sim = make_simulator(small_layout, 3, config)
    params = draw_subject_params(3, 1, config)
    eeg = sim.simulate_block(params, 1, 1)
    corr = np.corrcoef(eeg)
    positions = electrode_positions()
    dist = np.linalg.norm(positions[:, None] - positions[None], axis=-1)
    upper = np.triu_indices(len(corr), 1)
    rho, _ = scipy.stats.spearmanr(dist[upper], corr[upper])
    assert rho < -0.5
    c3, c1, c4 = (SEED_CH_NAMES.index(c) for c in ("FC3", "FC1", "FC4"))
    assert corr[c3, c1] > corr[c3, c4] + 0.2


def test_artifacts_are_switchable_and_where_expected(small_layout):
    params = draw_subject_params(5, 1, SimulatorConfig())
    sim = make_simulator(small_layout, 5)
    clean = sim.with_config(SimulatorConfig(artifacts=())).simulate_block(params, 1, 1)
    blink = sim.with_config(SimulatorConfig(artifacts=("blink",))).simulate_block(params, 1, 1)
    line = sim.with_config(SimulatorConfig(artifacts=("line",))).simulate_block(params, 1, 1)
    blink_part = (blink - clean).std(axis=1)
    fp1, oz = SEED_CH_NAMES.index("FP1"), SEED_CH_NAMES.index("OZ")
    assert blink_part[fp1] > 5 and blink_part[fp1] > 10 * blink_part[oz]
    freqs, psd_line = scipy.signal.welch(line[oz], fs=200, nperseg=400)
    _, psd_clean = scipy.signal.welch(clean[oz], fs=200, nperseg=400)
    at50, near = freqs == 50, (freqs >= 44) & (freqs <= 48)
    assert psd_line[at50][0] > 20 * psd_line[near].mean()
    assert psd_clean[at50][0] < 3 * psd_clean[near].mean()
    with pytest.raises(ValueError, match="unknown artifacts"):
        SimulatorConfig(artifacts=("sweat",))


def test_rerun_resumes_and_refuses_other_settings(tmp_path):
    layout = SEEDDVLayout(
        n_subjects=1, second_sessions=(), n_blocks=1, n_concepts=2, n_repetitions=1
    )
    config = SimulatorConfig(write_video=False)
    simulate_seed_dv(tmp_path, seed=1, layout=layout, config=config, progress=False)
    eeg_path = tmp_path / "EEG" / "sub1.npy"
    stamp = eeg_path.stat().st_mtime_ns
    simulate_seed_dv(tmp_path, seed=1, layout=layout, config=config, progress=False)
    assert eeg_path.stat().st_mtime_ns == stamp  # complete files are kept
    with pytest.raises(ValueError, match="different settings"):
        simulate_seed_dv(tmp_path, seed=2, layout=layout, config=config, progress=False)
