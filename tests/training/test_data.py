"""Training data: checks, EEG statistics, the per-clip video-token cache, batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from training.data import (
    ClipTensors,
    VideoTokenCache,
    clip_frames,
    eeg_channel_stats,
    validate_dataset,
)


def _table(n=4, shape=(62, 400), emotions=("negative", "positive"), subjects=(1, 2)):
    import datasets

    rng = np.random.default_rng(0)
    features = datasets.Features(
        {
            "video": datasets.Value("string"),
            "eeg": datasets.Array2D(shape, "float32"),
            "subject": datasets.Value("int32"),
            "emotion": datasets.ClassLabel(names=list(emotions)),
        }
    )
    return datasets.Dataset.from_dict(
        {
            "video": ["x"] * n,
            "eeg": rng.normal(size=(n, *shape)).astype(np.float32),
            "subject": [subjects[i % len(subjects)] for i in range(n)],
            "emotion": [i % len(emotions) for i in range(n)],
        },
        features=features,
    )


def test_validate_names_every_problem_at_once():
    ds = _table(shape=(60, 400), emotions=("negative", "joy")).remove_columns(["video"])
    with pytest.raises(ValueError) as info:
        validate_dataset(
            ds, n_chans=62, n_times=400, emotion_labels=["negative", "neutral"], subject_ids=[1]
        )
    message = str(info.value)
    assert "missing required columns ['video']" in message
    assert "(60, 400), expected (62, 400)" in message
    assert "labels ['joy'] that the model config does not know" in message
    assert "subjects [2] that the model does not know" in message
    validate_dataset(_table(), n_chans=62, n_times=400)  # a good table passes


def test_channel_stats_and_non_finite_rows():
    ds = _table(n=5)
    mean, std = eeg_channel_stats(ds, batch_size=2)
    eeg = np.stack(ds.with_format("numpy")["eeg"]).astype(np.float64)
    np.testing.assert_allclose(mean, eeg.mean(axis=(0, 2)), atol=1e-12)
    np.testing.assert_allclose(std, eeg.std(axis=(0, 2)), rtol=1e-10)
    bad = eeg.astype(np.float32)
    bad[3, 7, 11] = np.nan
    import datasets

    broken = datasets.Dataset.from_dict(
        {"eeg": bad}, features=datasets.Features({"eeg": ds.features["eeg"]})
    )
    with pytest.raises(ValueError, match=r"NaN or Inf in 1 rows \(first: \[3\]\)"):
        eeg_channel_stats(broken, batch_size=2)


@pytest.fixture(scope="module")
def few_clips(aligned_dataset_dir):
    from training.data import load_split

    ds = load_split(str(aligned_dataset_dir), "train")
    return ds.select([0, 7, 14, 21, 28, 35])


def test_token_cache_encodes_each_clip_once(few_clips, tmp_path):
    from modeling_video2eeg import LowLevelVideoEncoder

    encoder = LowLevelVideoEncoder(num_frames=4, image_size=16)
    decoded = []

    def counting_frames(video, num_frames):
        decoded.append(1)
        return clip_frames(video, num_frames)

    cache = VideoTokenCache(tmp_path, batch_size=4)
    tokens = cache.load_or_compute(
        few_clips, encoder, 4, show_progress=False, frames_fn=counting_frames
    )
    assert len(decoded) == len(few_clips)
    assert tokens.shape == (len(few_clips), 4, encoder.config.token_dim)
    again = cache.load_or_compute(
        few_clips, encoder, 4, show_progress=False, frames_fn=counting_frames
    )
    assert len(decoded) == len(few_clips)  # second epoch / run: read from the file, no decoding
    assert torch.equal(tokens, again)
    # row i holds clip i's tokens (one clip encoded on its own)
    from pipelines.video_io import read_clip_frames

    for i in (0, 3):
        frames = read_clip_frames(few_clips[i]["video"]["bytes"], 0.0, 2.0, 4)
        alone = encoder(encoder.preprocess(frames[None]))[0]
        torch.testing.assert_close(tokens[i], alone)
    # clips differ (distinct concepts), so a row mix-up would show
    assert not torch.allclose(tokens[0], tokens[3])
    # another encoder configuration is another cache entry
    other = LowLevelVideoEncoder(num_frames=3, image_size=16)
    assert cache.path(few_clips, other, 3) != cache.path(few_clips, encoder, 4)


def test_clip_batches_are_normalised_and_aligned(few_clips):
    n = len(few_clips)
    tokens = torch.randn(n, 4, 32)
    subjects = torch.arange(n) % 2
    emotions = torch.arange(n) % 3
    mean = np.linspace(-1, 1, 62)
    std = np.linspace(1, 3, 62)
    clips = ClipTensors(few_clips, tokens, subjects, emotions, mean, std)
    batch = clips.__getitems__([4, 1, 2])
    raw = np.stack(few_clips.with_format("numpy")["eeg"])[[4, 1, 2]]
    expected = (raw - mean[None, :, None]) / std[None, :, None]
    np.testing.assert_allclose(batch["eeg"].numpy(), expected, rtol=1e-5, atol=1e-5)
    assert torch.equal(batch["video_tokens"], tokens[[4, 1, 2]])
    assert batch["subject_index"].tolist() == [0, 1, 0]
    assert batch["emotion_ids"].tolist() == [1, 1, 2]
    assert batch["row"].tolist() == [4, 1, 2]
    with pytest.raises(ValueError, match="tokens has 2 rows"):
        ClipTensors(few_clips, tokens[:2], subjects, emotions, mean, std)
