from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from dataset_builder.reader import SEEDDVFormatError, SEEDDVReader, infer_layout


@pytest.fixture(scope="module")
def reader(seed_dv_tree, small_layout):
    return SEEDDVReader(seed_dv_tree, small_layout)


def test_discovers_subjects_and_sessions(reader):
    assert [(r.subject, r.session) for r in reader.recordings] == [(1, 1), (1, 2), (2, 1)]
    assert infer_layout(reader.root) == reader.layout


def test_eeg_is_memory_mapped(reader):
    eeg = reader.eeg(2)
    assert isinstance(eeg, np.memmap)
    assert eeg.shape == reader.layout.eeg_shape


def test_clip_eeg_equals_raw_slice_at_documented_indices(reader, seed_dv_tree, small_layout):
    lay = small_layout
    concept_s = lay.hint_s + lay.n_repetitions * lay.clip_s
    for subject, session, name in [
        (1, 1, "sub1.npy"),
        (1, 2, "sub1_session2.npy"),
        (2, 1, "sub2.npy"),
    ]:
        raw = np.load(Path(seed_dv_tree) / "EEG" / name)  # tiny test file: load it whole
        clips = list(reader.iter_clips(subjects=[subject], sessions=[session]))
        assert len(clips) == lay.n_blocks * lay.n_concepts * lay.n_repetitions
        for clip in clips:
            info = clip.info
            t0 = info.position * concept_s + lay.hint_s + info.repetition * lay.clip_s
            start = round(t0 * 200)
            assert info.eeg_range == (start, start + 400)
            assert info.frame_range == (round(t0 * 24), round(t0 * 24) + 48)
            np.testing.assert_array_equal(clip.eeg, raw[info.block - 1, :, start : start + 400])
            assert clip.eeg.dtype == np.float32 and clip.eeg.shape == (62, 400)


def test_concept_follows_all_video_label_not_position(reader, seed_dv_tree):
    labels = np.load(Path(seed_dv_tree) / "meta-info" / "All_video_label.npy")
    infos = list(reader.clip_infos(subjects=[1], sessions=[1]))
    assert all(info.concept == labels[info.block - 1, info.position] for info in infos)
    # The simulated order is shuffled per block, so position and concept really differ.
    assert any(info.concept != info.position + 1 for info in infos)
    assert len({tuple(row) for row in labels}) > 1


def test_concept_change_in_label_file_changes_clip_concept(seed_dv_tree, small_layout, tmp_path):
    copy = tmp_path / "tree"
    shutil.copytree(seed_dv_tree, copy)
    path = copy / "meta-info" / "All_video_label.npy"
    labels = np.load(path)
    labels[1] = labels[1][::-1]
    np.save(path, labels)
    info = next(
        i for i in SEEDDVReader(copy, small_layout).clip_infos(blocks=[2]) if i.position == 0
    )
    assert info.concept == labels[1, 0]


def test_caption_and_meta_use_line_5p_plus_r(reader, seed_dv_tree):
    root = Path(seed_dv_tree)
    for block, stem in [(1, "1st_10min"), (3, "3rd_10min")]:
        lines = (root / "BLIP-caption" / f"{stem}.txt").read_text().splitlines()
        flow = np.load(root / "meta-info" / "All_video_optical_flow_score.npy")
        objects = np.load(root / "meta-info" / "All_video_obj_number.npy")
        for info in reader.clip_infos(subjects=[2], blocks=[block]):
            row = 5 * info.position + info.repetition
            assert info.caption == lines[row]
            # The simulator writes the concept id and clip number into each caption.
            assert f"(concept {info.concept}, clip {info.repetition + 1})" in info.caption
            assert info.meta["optical_flow_score"] == pytest.approx(flow[block - 1, row])
            assert info.meta["object_number"] == objects[block - 1, row]


def test_not_seed_dv_root_names_what_is_missing(tmp_path, small_layout):
    (tmp_path / "EEG").mkdir()
    with pytest.raises(SEEDDVFormatError) as error:
        SEEDDVReader(tmp_path, small_layout)
    message = str(error.value)
    for missing in ("Video/", "meta-info/", "BLIP-caption/", "EEG/sub<N>.npy"):
        assert missing in message


def test_missing_files_are_named(seed_dv_tree, small_layout, tmp_path):
    copy = tmp_path / "tree"
    shutil.copytree(seed_dv_tree, copy)
    (copy / "meta-info" / "All_video_face_apperance.npy").unlink()
    (copy / "Video" / "2nd_10min.mp4").unlink()
    with pytest.raises(SEEDDVFormatError, match=r"All_video_face_apperance\.npy.*2nd_10min\.mp4"):
        SEEDDVReader(copy, small_layout)


def test_corrupt_and_truncated_npy_raise_clear_errors(seed_dv_tree, small_layout, tmp_path):
    copy = tmp_path / "tree"
    shutil.copytree(seed_dv_tree, copy)
    (copy / "EEG" / "sub2.npy").write_bytes(b"not a numpy file at all")
    path = copy / "EEG" / "sub1.npy"
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size - 1000)
    reader = SEEDDVReader(copy, small_layout)
    with pytest.raises(SEEDDVFormatError, match=r"sub2\.npy is not a readable \.npy"):
        reader.eeg(2)
    with pytest.raises(SEEDDVFormatError, match=r"sub1\.npy is truncated.*1000 missing"):
        reader.eeg(1)
    np.save(copy / "EEG" / "sub1.npy", np.zeros((3, 60, small_layout.n_times), np.float32))
    with pytest.raises(SEEDDVFormatError, match=r"shape \(3, 60, 15600\); expected"):
        SEEDDVReader(copy, small_layout).eeg(1)
    (copy / "meta-info" / "All_video_label.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(SEEDDVFormatError, match=r"All_video_label\.npy is not a readable"):
        SEEDDVReader(copy, small_layout)


def test_unknown_subject_is_a_clear_error(reader):
    with pytest.raises(KeyError, match="subjects \\[9\\]"):
        list(reader.clip_infos(subjects=[9]))
    with pytest.raises(ValueError, match="blocks \\[4\\]"):
        list(reader.clip_infos(blocks=[4]))
