from __future__ import annotations

import pytest

from dataset_builder.layout import SEEDDVLayout, eeg_file_name, ordinal, parse_eeg_file_name


def test_seed_dv_defaults_match_the_published_layout():
    lay = SEEDDVLayout()
    assert lay.eeg_shape == (7, 62, 104000)
    assert lay.n_frames == 12480
    assert lay.n_clips == 200
    assert (lay.clip_samples, lay.clip_frames) == (400, 48)
    assert lay.sessions()[:2] == [(1, 1), (1, 2)] and len(lay.sessions()) == 21


@pytest.mark.parametrize(("p", "r"), [(0, 0), (0, 4), (1, 0), (17, 3), (39, 4)])
def test_clip_timing_is_13p_plus_3_plus_2r(p, r):
    lay = SEEDDVLayout()
    t0 = 13 * p + 3 + 2 * r
    assert lay.clip_onset_s(p, r) == t0
    assert lay.clip_samples_range(p, r) == (200 * t0, 200 * t0 + 400)
    assert lay.clip_frame_range(p, r) == (24 * t0, 24 * t0 + 48)
    assert lay.meta_index(p, r) == 5 * p + r


def test_last_clip_ends_exactly_at_block_end():
    lay = SEEDDVLayout()
    assert lay.clip_samples_range(39, 4)[1] == lay.n_times
    assert lay.clip_frame_range(39, 4)[1] == lay.n_frames


def test_small_layout_uses_the_same_formula():
    lay = SEEDDVLayout(n_concepts=4, n_repetitions=3, hint_s=1.0, clip_s=2.0)
    # concept period = 1 + 3 * 2 = 7 s
    assert lay.clip_onset_s(2, 1) == 7 * 2 + 1 + 2
    assert lay.n_times == (4 * 7 * 200)


def test_names():
    assert [ordinal(n) for n in (1, 2, 3, 4, 7, 11, 12, 13, 21, 22)] == [
        "1st", "2nd", "3rd", "4th", "7th", "11th", "12th", "13th", "21st", "22nd",
    ]  # fmt: skip
    assert SEEDDVLayout().block_name(7) == "7th_10min"
    assert eeg_file_name(3) == "sub3.npy"
    assert eeg_file_name(1, 2) == "sub1_session2.npy"
    assert parse_eeg_file_name("sub12.npy") == (12, 1)
    assert parse_eeg_file_name("sub1_session2.npy") == (1, 2)
    assert parse_eeg_file_name("sub1.npy.bak") is None
    assert parse_eeg_file_name("subject1.npy") is None


def test_invalid_layouts_name_the_field():
    with pytest.raises(ValueError, match="n_blocks"):
        SEEDDVLayout(n_blocks=0)
    with pytest.raises(ValueError, match="whole number"):
        SEEDDVLayout(clip_s=2.01)
    with pytest.raises(ValueError, match="second_sessions"):
        SEEDDVLayout(n_subjects=2, second_sessions=(5,))
    with pytest.raises(ValueError, match="position"):
        SEEDDVLayout().clip_onset_s(40, 0)
    with pytest.raises(ValueError, match="repetition"):
        SEEDDVLayout().clip_onset_s(0, 5)
    with pytest.raises(ValueError, match="Unknown SEEDDVLayout fields"):
        SEEDDVLayout.from_dict({"n_block": 3})


def test_layout_round_trips_through_json_dict():
    lay = SEEDDVLayout(n_subjects=2, second_sessions=(), n_blocks=3, n_concepts=6)
    assert SEEDDVLayout.from_dict(lay.to_dict()) == lay
