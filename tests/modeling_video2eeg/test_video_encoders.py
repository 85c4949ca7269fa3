"""Video encoders: the weight-free low-level features and the frozen transformers backbone."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import CLIPConfig, CLIPModel, CLIPVisionConfig, ViTConfig
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

from modeling_video2eeg import LowLevelVideoEncoder, TransformersVideoEncoder

TINY_CLIP_VISION = {
    "hidden_size": 32,
    "intermediate_size": 37,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "image_size": 32,
    "patch_size": 8,
}


def _public(config) -> dict:
    return {k: v for k, v in dict(config).items() if not k.startswith("_")}


def _random_frames(seed: int, shape=(2, 4, 3, 24, 32)) -> torch.Tensor:
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed))


# --------------------------------------------------------------------------- low level
def test_low_level_tokens_shape_and_dtype(tiny_video_encoder):
    tokens = tiny_video_encoder(_random_frames(0))
    assert tokens.shape == (2, 4, 32)
    assert tokens.dtype == torch.float32
    assert tiny_video_encoder.config.token_dim == 32
    assert tiny_video_encoder.config.num_frames == 4


def test_low_level_token_dim_follows_grids():
    encoder = LowLevelVideoEncoder(grid_size=3, motion_grid_size=1)
    assert encoder.config.token_dim == 12 + 9 + 1
    assert encoder(_random_frames(1)).shape == (2, 4, 22)
    with pytest.raises(ValueError, match="token_dim must be 12 \\+ grid_size"):
        LowLevelVideoEncoder(grid_size=4, motion_grid_size=2, token_dim=30)


def test_low_level_features_match_hand_computed_values():
    # Frame 0: left half pure red, right half black. Frame 1: all mid-grey (0.5).
    frames = torch.zeros(1, 2, 3, 8, 8)
    frames[0, 0, 0, :, :4] = 1.0
    frames[0, 1] = 0.5
    tokens = LowLevelVideoEncoder(grid_size=2, motion_grid_size=2)(frames)[0].numpy()

    luma0 = np.zeros((8, 8))
    luma0[:, :4] = 0.299  # BT.601 red weight
    red = np.zeros((8, 8))
    red[:, :4] = 1.0
    expected0_head = [
        luma0.mean(),
        luma0.std(),
        0.5,  # R mean
        0.0,  # G mean
        0.0,  # B mean
        red.std(),
        0.0,
        0.0,
        np.cbrt(((red - red.mean()) ** 3).mean()),  # 0: symmetric two-valued image
        0.0,
        0.0,
    ]
    np.testing.assert_allclose(tokens[0, :11], expected0_head, atol=1e-6)
    # Edge energy: only the column step between x=3 and x=4, height 0.299, in 7 of 7x7 cells.
    np.testing.assert_allclose(tokens[0, 11], 0.299 * 7 / 49, atol=1e-6)
    # Luminance layout 2x2 (row-major): bright left column, dark right column.
    np.testing.assert_allclose(tokens[0, 12:16], [0.299, 0.0, 0.299, 0.0], atol=1e-6)
    # Motion: |0.5 - luma0| per quadrant, and frame 0 reuses frame 1's difference.
    motion = [0.5 - 0.299, 0.5, 0.5 - 0.299, 0.5]
    np.testing.assert_allclose(tokens[1, 16:20], motion, atol=1e-6)
    np.testing.assert_allclose(tokens[0, 16:20], motion, atol=1e-6)
    # The grey frame: luminance 0.5, no contrast, no colour spread, no edges.
    np.testing.assert_allclose(tokens[1, :2], [0.5, 0.0], atol=1e-6)
    np.testing.assert_allclose(tokens[1, 2:5], [0.5, 0.5, 0.5], atol=1e-6)
    np.testing.assert_allclose(tokens[1, 5:12], 0.0, atol=1e-6)


def test_low_level_single_frame_has_no_motion():
    tokens = LowLevelVideoEncoder()(_random_frames(2, shape=(1, 1, 3, 16, 16)))
    assert torch.all(tokens[..., -4:] == 0)


def test_low_level_motion_localises_to_the_changing_quadrant():
    frames = torch.full((1, 3, 3, 16, 16), 0.2)
    frames[0, 1, :, :8, :8] = 0.9  # top-left flashes on frame 1
    motion = LowLevelVideoEncoder(motion_grid_size=2)(frames)[0, :, -4:]
    assert torch.all(motion[:, 0] > 0.1)
    assert torch.all(motion[:, 1:] == 0)


def test_preprocess_accepts_channels_last_and_first(tiny_video_encoder):
    frames = torch.randint(0, 256, (2, 4, 20, 30, 3), dtype=torch.uint8)
    last = tiny_video_encoder.preprocess(frames)
    first = tiny_video_encoder.preprocess(frames.permute(0, 1, 4, 2, 3))
    assert last.shape == (2, 4, 3, 16, 16)
    assert last.dtype == torch.float32
    assert torch.equal(last, first)
    assert last.min() >= 0.0 and last.max() <= 1.0
    # Native size: preprocess is exactly the 1/255 scaling.
    same = LowLevelVideoEncoder(image_size=20).preprocess(frames[:, :, :, :20])
    assert torch.equal(same, frames[:, :, :, :20].permute(0, 1, 4, 2, 3).float() / 255)


@pytest.mark.parametrize(
    ("frames", "fragment"),
    [
        (torch.zeros(2, 4, 16, 16), "frames must have shape (batch, num_frames, 3, H, W)"),
        (torch.zeros(2, 4, 3, 16, 16, dtype=torch.uint8), "encoder.preprocess"),
        (torch.full((1, 2, 3, 8, 8), float("nan")), "NaN or Inf"),
    ],
)
def test_low_level_bad_frames_raise(tiny_video_encoder, frames, fragment):
    with pytest.raises(ValueError) as info:
        tiny_video_encoder(frames)
    assert fragment in str(info.value)


def test_preprocess_rejects_float_frames(tiny_video_encoder):
    with pytest.raises(ValueError, match=r"frames_uint8 must have dtype torch\.uint8"):
        tiny_video_encoder.preprocess(torch.rand(1, 2, 8, 8, 3))


def test_low_level_save_load_round_trip(tmp_path):
    encoder = LowLevelVideoEncoder(num_frames=5, image_size=24, grid_size=3)
    encoder.save_pretrained(tmp_path)
    assert (tmp_path / "diffusion_pytorch_model.safetensors").is_file()
    assert not list(tmp_path.glob("*.bin"))
    reloaded = LowLevelVideoEncoder.from_pretrained(tmp_path)
    assert _public(reloaded.config) == _public(encoder.config)
    frames = _random_frames(3)
    assert torch.equal(reloaded(frames), encoder(frames))


# ------------------------------------------------------------------------ transformers
@pytest.fixture(scope="module")
def clip_encoder() -> TransformersVideoEncoder:
    torch.manual_seed(0)
    config = CLIPVisionConfig(**TINY_CLIP_VISION)
    return TransformersVideoEncoder(backbone_config=config.to_dict(), num_frames=4, image_size=32)


def test_transformers_encoder_shapes_and_frozen(clip_encoder):
    frames = _random_frames(4, shape=(2, 4, 3, 40, 48)).requires_grad_(True)
    tokens = clip_encoder(frames)
    assert tokens.shape == (2, 4, 32)
    assert tokens.dtype == torch.float32
    assert not tokens.requires_grad
    assert all(not p.requires_grad for p in clip_encoder.parameters())
    clip_encoder.train()
    assert clip_encoder.training and not clip_encoder.backbone.training
    clip_encoder.eval()


def test_transformers_encoder_tokens_are_per_frame(clip_encoder):
    frames = _random_frames(5, shape=(1, 3, 3, 32, 32))
    changed = frames.clone()
    changed[0, 1] = 1.0 - changed[0, 1]
    a, b = clip_encoder(frames), clip_encoder(changed)
    assert torch.equal(a[0, 0], b[0, 0]) and torch.equal(a[0, 2], b[0, 2])
    assert not torch.allclose(a[0, 1], b[0, 1])


def test_transformers_encoder_normalises_with_config_statistics(clip_encoder):
    frames = _random_frames(6, shape=(1, 2, 3, 32, 32))
    mean = torch.tensor(clip_encoder.config.image_mean).view(1, 3, 1, 1)
    std = torch.tensor(clip_encoder.config.image_std).view(1, 3, 1, 1)
    with torch.no_grad():
        expected = clip_encoder.backbone(pixel_values=(frames[0] - mean) / std).pooler_output
    torch.testing.assert_close(clip_encoder(frames)[0], expected)


def test_transformers_encoder_save_load_round_trip(clip_encoder, tmp_path):
    clip_encoder.save_pretrained(tmp_path)
    assert (tmp_path / "diffusion_pytorch_model.safetensors").is_file()
    reloaded = TransformersVideoEncoder.from_pretrained(tmp_path)
    original = clip_encoder.state_dict()
    for name, tensor in reloaded.state_dict().items():
        assert torch.equal(tensor, original[name]), name
    frames = _random_frames(7, shape=(1, 2, 3, 32, 32))
    assert torch.equal(reloaded(frames), clip_encoder(frames))


@pytest.mark.parametrize("pooling", ["cls", "mean", "auto"])
def test_transformers_encoder_with_vit(pooling):
    config = ViTConfig(
        hidden_size=16,
        intermediate_size=20,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=16,
        patch_size=8,
    )
    encoder = TransformersVideoEncoder(
        backbone_config=config.to_dict(), image_size=16, pooling=pooling
    )
    frames = _random_frames(8, shape=(2, 3, 3, 16, 16))
    tokens = encoder(frames)
    assert tokens.shape == (2, 3, 16)
    if pooling != "auto":
        with torch.no_grad():
            hidden = encoder.backbone(
                pixel_values=(frames.flatten(0, 1) - 0.5) / 0.5
            ).last_hidden_state
        expected = hidden[:, 0] if pooling == "cls" else hidden.mean(dim=1)
        torch.testing.assert_close(tokens.flatten(0, 1), expected)


def test_from_backbone_keeps_vision_tower_and_processor_settings(tmp_path):
    torch.manual_seed(1)
    text = {
        "hidden_size": 32,
        "intermediate_size": 37,
        "num_hidden_layers": 1,
        "num_attention_heads": 4,
        "vocab_size": 99,
        "bos_token_id": 0,
        "eos_token_id": 1,
        "pad_token_id": 1,
    }
    clip = CLIPModel(CLIPConfig(vision_config=TINY_CLIP_VISION, text_config=text))
    clip.save_pretrained(tmp_path)
    CLIPImageProcessorPil(
        size={"shortest_edge": 36}, crop_size={"height": 32, "width": 32}
    ).save_pretrained(tmp_path)

    encoder = TransformersVideoEncoder.from_backbone(str(tmp_path), num_frames=3)
    assert encoder.config.image_size == 32
    assert encoder.config.resize_shortest_edge == 36
    np.testing.assert_allclose(encoder.config.image_mean, [0.48145466, 0.4578275, 0.40821073])
    assert encoder.config.num_frames == 3
    vision = clip.vision_model.state_dict()
    backbone = encoder.backbone.state_dict()
    assert set(backbone) == set(vision)
    for name, tensor in vision.items():
        assert torch.equal(backbone[name], tensor), name
    # Preprocess resizes the shortest edge to 36, then centre-crops 32 x 32.
    uint8 = torch.randint(0, 256, (1, 3, 45, 60, 3), dtype=torch.uint8)
    frames = encoder.preprocess(uint8)
    assert frames.shape == (1, 3, 3, 32, 32)
    assert encoder(frames).shape == (1, 3, 32)


def test_transformers_encoder_rejects_bad_config():
    with pytest.raises(ValueError, match="model_type"):
        TransformersVideoEncoder(backbone_config={"hidden_size": 8})
    with pytest.raises(ValueError, match="pooling must be one of"):
        TransformersVideoEncoder(
            backbone_config=CLIPVisionConfig(**TINY_CLIP_VISION).to_dict(), pooling="max"
        )
