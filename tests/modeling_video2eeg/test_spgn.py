"""SPGNModel: shapes, gradients, label helpers, validation, graph buffers, save/load, growth."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoModel

from modeling_video2eeg import SPGNModel, build_electrode_graph, electrode_positions
from modeling_video2eeg.modeling_spgn import SPGNOutput
from tests.fixtures.models import build_tiny_config, build_tiny_spgn


def _tokens(batch: int = 3, frames: int = 4, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, frames, 32, generator=torch.Generator().manual_seed(seed))


def _run(spgn: SPGNModel, subjects, emotions, tokens=None) -> torch.Tensor:
    tokens = _tokens(len(subjects)) if tokens is None else tokens
    with torch.no_grad():
        out = spgn(tokens, spgn.subject_index(subjects), spgn.emotion_ids(emotions))
    return out.node_conditioning


def test_forward_shapes_and_dtype(tiny_spgn):
    out = tiny_spgn(_tokens(), tiny_spgn.subject_index([1, 2, 3]), torch.tensor([0, 1, 3]))
    assert isinstance(out, SPGNOutput)
    assert out.node_conditioning.shape == (3, 62, 16)
    assert out.video_tokens.shape == (3, 4, 16)
    assert out.node_conditioning.dtype == torch.float32
    node, video = tiny_spgn(_tokens(), torch.tensor([0, 1, 2]), 1, return_dict=False)
    assert node.shape == (3, 62, 16) and video.shape == (3, 4, 16)


def test_any_number_of_frames(tiny_spgn):
    out = tiny_spgn(_tokens(2, frames=7), torch.tensor([0, 1]), torch.tensor([0, 0]))
    assert out.video_tokens.shape == (2, 7, 16)


def test_gradients_reach_every_parameter():
    spgn = build_tiny_spgn().train()
    out = spgn(_tokens(), torch.tensor([0, 1, 2]), torch.tensor([0, 1, 3]))
    (out.node_conditioning.pow(2).mean() + out.video_tokens.pow(2).mean()).backward()
    for name, param in spgn.named_parameters():
        if name.startswith(("subject_embedding", "emotion_embedding")):
            continue  # only the rows used get gradient
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, name
    used = spgn.emotion_embedding.weight.grad.abs().sum(dim=1)
    assert torch.all(used[[0, 1, 3]] > 0) and used[2] == 0


@pytest.mark.parametrize("kind", ["gcn", "gat", "sage", "graph"])
def test_every_graph_layer_type_runs_and_uses_the_graph(kind):
    spgn = build_tiny_spgn(build_tiny_config(graph_layer_type=kind))
    tokens = _tokens(2)
    with torch.no_grad():
        out = spgn(tokens, torch.tensor([0, 1]), torch.tensor([0, 1])).node_conditioning
        assert out.shape == (2, 62, 16)
        spgn.graph.adjacency.zero_()
        no_edges = spgn(tokens, torch.tensor([0, 1]), torch.tensor([0, 1])).node_conditioning
    assert not torch.allclose(out, no_edges, atol=1e-5)


def test_graph_buffers_equal_the_montage(tiny_spgn):
    graph = build_electrode_graph(tiny_spgn.config.ch_names, 4, 0.5)
    assert torch.equal(tiny_spgn.graph.adjacency, torch.from_numpy(graph.adjacency).float())
    expected = torch.from_numpy(electrode_positions(tiny_spgn.config.ch_names)).float()
    assert torch.equal(tiny_spgn.graph.positions, expected)


def test_subject_index_maps_external_ids_to_rows():
    spgn = build_tiny_spgn(build_tiny_config(subject_ids=[7, 3, 12]))
    assert spgn.subject_index([12, 7, 7, 3]).tolist() == [2, 0, 0, 1]
    assert spgn.subject_index(3).tolist() == [1]
    assert spgn.subject_index(np.array([3, 12])).tolist() == [1, 2]  # dataset columns
    with pytest.raises(ValueError) as info:
        spgn.subject_index([3, 99, 100])
    message = str(info.value)
    assert "[99, 100]" in message and "[7, 3, 12]" in message


def test_emotion_ids_accept_names_ids_and_the_null_class(tiny_spgn):
    ids = tiny_spgn.emotion_ids(["positive", "negative", None, "null", 1, 3, np.int64(2)])
    assert ids.tolist() == [2, 0, 3, 3, 1, 3, 2]
    assert tiny_spgn.config.null_emotion_id == 3
    with pytest.raises(ValueError, match="unknown emotion name 'happy'"):
        tiny_spgn.emotion_ids(["happy"])
    with pytest.raises(ValueError, match=r"emotion id 4 out of range; expected 0\.\.3"):
        tiny_spgn.emotion_ids([4])


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        (
            {"subject_index": torch.tensor([0, 3])},
            "subject_index values must be in [0, 2], got [3]",
        ),
        ({"subject_index": torch.tensor([-1, 0])}, "subject_index values must be in [0, 2]"),
        ({"subject_index": torch.tensor([0, 1, 2])}, "subject_index must have shape (2,)"),
        ({"subject_index": torch.tensor([0.0, 1.0])}, "subject_index must hold integers"),
        ({"emotion_ids": torch.tensor([0, 4])}, "emotion_ids values must be in [0, 3], got [4]"),
        (
            {"video_tokens": torch.zeros(2, 4, 31)},
            "video_tokens must have shape (batch, num_frames, 32)",
        ),
        ({"video_tokens": torch.zeros(2, 32)}, "video_tokens must be a tensor of shape"),
        ({"video_tokens": torch.full((2, 4, 32), float("inf"))}, "NaN or Inf"),
    ],
)
def test_forward_rejects_bad_inputs(tiny_spgn, kwargs, fragment):
    inputs = {
        "video_tokens": _tokens(2),
        "subject_index": torch.tensor([0, 1]),
        "emotion_ids": torch.tensor([0, 1]),
    }
    inputs.update(kwargs)
    with pytest.raises(ValueError) as info:
        tiny_spgn(**inputs)
    assert fragment in str(info.value)


def test_conditioning_depends_on_subject_emotion_and_video(tiny_spgn):
    base = _run(tiny_spgn, [1, 1], ["neutral", "neutral"])
    other_subject = _run(tiny_spgn, [2, 1], ["neutral", "neutral"])
    other_emotion = _run(tiny_spgn, [1, 1], ["positive", None])
    other_video = _run(tiny_spgn, [1, 1], ["neutral", "neutral"], tokens=_tokens(2, seed=5))
    # Rows are processed independently: changing sample 0 leaves sample 1 alone.
    assert torch.equal(other_subject[1], base[1])
    assert (other_subject[0] - base[0]).abs().max() > 1e-3
    assert (other_emotion - base).abs().amax(dim=(1, 2)).min() > 1e-3
    assert (other_video - base).abs().amax(dim=(1, 2)).min() > 1e-3


def test_save_and_load_round_trip_exactly(tiny_spgn, tmp_path, monkeypatch):
    tiny_spgn.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").is_file()
    assert not list(tmp_path.glob("*.bin")) and not list(tmp_path.glob("*.pt"))

    def no_pickle(*args, **kwargs):
        raise AssertionError("torch.load (pickle) must not be used")

    monkeypatch.setattr(torch, "load", no_pickle)
    for loaded in (SPGNModel.from_pretrained(tmp_path), AutoModel.from_pretrained(tmp_path)):
        assert type(loaded) is SPGNModel
        loaded.eval()
        original = dict(tiny_spgn.named_parameters())
        for name, param in loaded.named_parameters():
            assert torch.equal(param, original[name]), name
        # Graph buffers are not saved: they must equal a freshly built montage graph.
        fresh = build_tiny_spgn()
        assert torch.equal(loaded.graph.adjacency, fresh.graph.adjacency)
        assert torch.equal(loaded.graph.positions, fresh.graph.positions)
        tokens, subjects, emotions = _tokens(), torch.tensor([0, 1, 2]), torch.tensor([3, 2, 1])
        with torch.no_grad():
            a = tiny_spgn(tokens, subjects, emotions)
            b = loaded(tokens, subjects, emotions)
        assert torch.equal(a.node_conditioning, b.node_conditioning)
        assert torch.equal(a.video_tokens, b.video_tokens)


def test_same_seed_same_weights():
    a, b = build_tiny_spgn(seed=3), build_tiny_spgn(seed=3)
    for (name, pa), pb in zip(a.named_parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb), name
    c = build_tiny_spgn(seed=4)
    assert not torch.equal(a.node_embedding, c.node_embedding)


def test_add_subject_grows_the_embedding_and_survives_save(tmp_path):
    spgn = build_tiny_spgn()
    before = spgn.subject_embedding.weight.detach().clone()
    row = spgn.add_subject(42)
    assert row == 3
    assert spgn.config.subject_ids == [1, 2, 3, 42]
    assert spgn.subject_index([42]).tolist() == [3]
    weight = spgn.subject_embedding.weight
    assert weight.shape == (4, 16)
    assert torch.equal(weight[:3], before)
    torch.testing.assert_close(weight[3], before.mean(dim=0))
    with pytest.raises(ValueError, match="subject 42 already has row 3"):
        spgn.add_subject(42)
    spgn.save_pretrained(tmp_path)
    loaded = SPGNModel.from_pretrained(tmp_path)
    assert loaded.config.subject_ids == [1, 2, 3, 42]
    assert torch.equal(loaded.subject_embedding.weight, weight)


def test_normalize_and_denormalize_use_config_statistics():
    mean = [float(i) for i in range(62)]
    std = [0.5 + i for i in range(62)]
    spgn = build_tiny_spgn(build_tiny_config(eeg_mean=mean, eeg_std=std))
    eeg = torch.randn(2, 62, 400) * 30
    normalised = spgn.normalize_eeg(eeg)
    expected = (eeg - torch.tensor(mean)[:, None]) / torch.tensor(std)[:, None]
    torch.testing.assert_close(normalised, expected)
    torch.testing.assert_close(spgn.denormalize_eeg(normalised), eeg, rtol=1e-5, atol=1e-4)
    with pytest.raises(ValueError, match=r"eeg must have shape \(\.\.\., 62, n_times\)"):
        spgn.normalize_eeg(torch.zeros(2, 61, 400))
