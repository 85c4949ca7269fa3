"""``output_type="mne"``: RawArray / EpochsArray with the SEED montage, exported to EDF and FIF."""

from __future__ import annotations

import mne
import numpy as np
import pytest
import torch

from modeling_video2eeg import SEED_CH_NAMES, make_montage


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _positions(montage) -> np.ndarray:
    ch_pos = montage.get_positions()["ch_pos"]
    return np.stack([ch_pos[name] for name in SEED_CH_NAMES])


def test_continuous_raw_has_montage_and_round_trips_through_edf(
    tiny_pipeline, video_files, tmp_path
):
    kwargs = {"video": video_files["vp9_webm"].path, "subject": 2, "num_inference_steps": 2}
    (raw,) = tiny_pipeline(**kwargs, generator=seeded(), output_type="mne").eeg
    (microvolts,) = tiny_pipeline(**kwargs, generator=seeded(), output_type="np").eeg
    assert isinstance(raw, mne.io.RawArray)
    assert raw.ch_names == list(SEED_CH_NAMES) and raw.info["sfreq"] == 200.0
    assert set(raw.get_channel_types()) == {"eeg"}
    np.testing.assert_allclose(raw.get_data(), microvolts * 1e-6, rtol=1e-6)  # MNE stores volts
    np.testing.assert_allclose(_positions(raw.get_montage()), _positions(make_montage()))

    edf = tmp_path / "generated.edf"
    mne.export.export_raw(edf, raw, fmt="edf", verbose="error")
    back = mne.io.read_raw_edf(edf, preload=True, verbose="error")
    assert back.ch_names == list(SEED_CH_NAMES) and back.info["sfreq"] == 200.0
    assert back.n_times == raw.n_times
    # EDF stores 16-bit integers over each channel's physical range.
    resolution = np.ptp(raw.get_data(), axis=1, keepdims=True) / 2**15
    assert np.all(np.abs(back.get_data() - raw.get_data()) <= resolution)


def test_clips_are_epochs_with_timing_metadata_and_round_trip_through_fif(
    tiny_pipeline, video_files, tmp_path
):
    epochs = tiny_pipeline(
        video=video_files["h264_mp4"].path,
        subject=3,
        emotion="negative",
        continuous=False,
        num_inference_steps=2,
        generator=seeded(),
        output_type="mne",
    ).eeg
    assert isinstance(epochs, mne.EpochsArray)
    assert epochs.get_data().shape == (2, 62, 400)
    assert epochs.metadata["start_s"].tolist() == [0.0, 2.0]
    assert epochs.metadata["subject"].tolist() == [3, 3]
    assert epochs.metadata["emotion"].tolist() == ["negative", "negative"]
    assert epochs.get_montage() is not None

    fif = tmp_path / "generated-epo.fif"
    epochs.save(fif, verbose="error")
    back = mne.read_epochs(fif, verbose="error")
    np.testing.assert_allclose(back.get_data(), epochs.get_data(), rtol=1e-6)
    assert back.metadata["start_s"].tolist() == [0.0, 2.0]
    np.testing.assert_allclose(_positions(back.get_montage()), _positions(make_montage()))


@pytest.mark.parametrize("output_type", ["np", "pt"])
def test_array_output_types(tiny_pipeline, output_type):
    tokens = torch.zeros(1, tiny_pipeline.num_frames, 32)
    out = tiny_pipeline(
        video_tokens=tokens, subject=1, num_inference_steps=1, output_type=output_type
    )
    expected = np.ndarray if output_type == "np" else torch.Tensor
    assert isinstance(out.eeg, expected) and tuple(out.eeg.shape) == (1, 62, 400)
    eeg, sfreq, ch_names, windows = tiny_pipeline(
        video_tokens=tokens, subject=1, num_inference_steps=1, return_dict=False
    )
    assert eeg.shape == (1, 62, 400) and sfreq == 200.0 and len(ch_names) == 62
    assert len(windows) == 1
