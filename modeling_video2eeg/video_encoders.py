"""Video encoders: ``(batch, num_frames, 3, H, W)`` RGB frames in [0, 1] -> ``(batch, num_frames, token_dim)``.

Both encoders are diffusers ``ModelMixin, ConfigMixin`` modules so that a
:class:`~diffusers.DiffusionPipeline` saves and loads them like any other component.

* :class:`LowLevelVideoEncoder` (default) has no weights: per-frame luminance statistics,
  colour moments, edge energy, a coarse luminance layout and motion energy from frame
  differences. These are the stimulus properties early visual cortex (and the occipital
  EEG it produces: alpha suppression, P100 amplitude) is known to track, it needs no download
  and is cheap enough to run on every clip of a dataset.
* :class:`TransformersVideoEncoder` wraps a frozen ``transformers`` vision backbone (CLIP
  vision, ViT, …) and returns one pooled embedding per frame; the image processor's
  resize/crop size and normalisation statistics live in its config.

Both provide ``preprocess(frames_uint8)`` to go from decoded ``uint8`` frames to the float
frames ``forward`` takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from diffusers import ConfigMixin, ModelMixin
from diffusers.configuration_utils import register_to_config

# ITU-R BT.601 luma weights (what "luminance" means for SEED-DV's 8-bit RGB video).
_LUMA_WEIGHTS = (0.299, 0.587, 0.114)
# Per-frame scalar features before the two spatial grids: luminance mean and std (2), RGB
# means (3), RGB stds (3), RGB cube-rooted third central moments (3), edge energy (1).
_N_GLOBAL_FEATURES = 12
POOLING_MODES = ("auto", "pooler", "cls", "mean")


def _check_frames(frames: Any, name: str = "frames") -> torch.Tensor:
    """Validate float frames ``(batch, num_frames, 3, H, W)``; return them as float32."""
    if not isinstance(frames, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(frames).__name__}")
    if frames.ndim != 5 or frames.shape[2] != 3:
        raise ValueError(
            f"{name} must have shape (batch, num_frames, 3, H, W), got {tuple(frames.shape)}"
        )
    if not frames.is_floating_point():
        raise ValueError(
            f"{name} must be floating point in [0, 1], got dtype {frames.dtype}; "
            "convert decoded uint8 frames with encoder.preprocess(...)"
        )
    if min(frames.shape) == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(frames.shape)}")
    if not torch.isfinite(frames).all():
        raise ValueError(f"{name} contains NaN or Inf values")
    return frames.float()


def frames_to_float(frames_uint8: Any, name: str = "frames_uint8") -> torch.Tensor:
    """Decoded ``uint8`` frames (channels-last or -first) -> float32 ``(B, F, 3, H, W)`` in [0, 1].

    Parameters
    ----------
    frames_uint8 : torch.Tensor
        ``uint8``, shape ``(batch, num_frames, H, W, 3)`` or ``(batch, num_frames, 3, H, W)``.
        When both the third and the last axis are 3 the tensor is read as channels-first.
    """
    if not isinstance(frames_uint8, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(frames_uint8).__name__}")
    if frames_uint8.dtype != torch.uint8:
        raise ValueError(f"{name} must have dtype torch.uint8, got {frames_uint8.dtype}")
    if frames_uint8.ndim != 5 or 3 not in (frames_uint8.shape[2], frames_uint8.shape[-1]):
        raise ValueError(
            f"{name} must have shape (batch, num_frames, H, W, 3) or (batch, num_frames, 3, H, W), "
            f"got {tuple(frames_uint8.shape)}"
        )
    if frames_uint8.shape[2] != 3:
        frames_uint8 = frames_uint8.permute(0, 1, 4, 2, 3)
    return frames_uint8.float().div_(255.0)


def _resize_frames(frames: torch.Tensor, size: tuple[int, int], mode: str) -> torch.Tensor:
    """Resize ``(B, F, 3, H, W)`` frames to ``size`` (height, width) with antialiasing."""
    if tuple(frames.shape[-2:]) == tuple(size):
        return frames
    batch, num_frames = frames.shape[:2]
    flat = frames.reshape(batch * num_frames, *frames.shape[2:])
    out = F.interpolate(flat, size=size, mode=mode, antialias=True, align_corners=False)
    return out.clamp_(0.0, 1.0).reshape(batch, num_frames, 3, *size)


class LowLevelVideoEncoder(ModelMixin, ConfigMixin):
    r"""Weight-free per-frame visual statistics as video tokens.

    For every frame (RGB in [0, 1], luminance ``Y`` = BT.601 luma) the token holds, in order:

    1. ``Y`` mean and standard deviation (brightness, global contrast);
    2. colour moments: per-channel R, G, B mean, standard deviation and cube root of the third
       central moment (Stricker & Orengo, 1995);
    3. edge energy: mean gradient magnitude of ``Y`` (spatial high-frequency content);
    4. luminance layout: mean ``Y`` on a ``grid_size × grid_size`` grid (row-major);
    5. motion energy: mean ``|Y_f - Y_{f-1}|`` on a ``motion_grid_size × motion_grid_size``
       grid (the first frame reuses the second frame's difference; a single frame has none).

    ``token_dim = 12 + grid_size² + motion_grid_size²`` (32 with the defaults).

    Parameters
    ----------
    num_frames : int
        Frames the pipeline samples per 2 s clip (the encoder itself accepts any number).
    image_size : int
        Side of the square frames :meth:`preprocess` resizes to; statistics need little
        resolution, so small is cheap.
    grid_size, motion_grid_size : int
        Sides of the luminance-layout and motion-energy grids.
    token_dim : int, optional
        Must equal ``12 + grid_size² + motion_grid_size²`` when given (it is derived and stored
        so that ``encoder.config.token_dim`` is always available).
    """

    config_name = "config.json"

    @register_to_config
    def __init__(
        self,
        num_frames: int = 6,
        image_size: int = 64,
        grid_size: int = 4,
        motion_grid_size: int = 2,
        token_dim: int | None = None,
    ):
        super().__init__()
        for name, value in (
            ("num_frames", num_frames),
            ("image_size", image_size),
            ("grid_size", grid_size),
            ("motion_grid_size", motion_grid_size),
        ):
            if int(value) < 1:
                raise ValueError(f"{name} must be a positive integer, got {value}")
        derived = _N_GLOBAL_FEATURES + grid_size**2 + motion_grid_size**2
        if token_dim is not None and token_dim != derived:
            raise ValueError(
                f"token_dim must be 12 + grid_size**2 + motion_grid_size**2 = {derived}, "
                f"got {token_dim}"
            )
        self.register_to_config(token_dim=derived)
        # Persistent so that save_pretrained writes a (tiny) safetensors file: diffusers'
        # from_pretrained, and so a pipeline, needs one even for a weight-free module.
        self.register_buffer("luma_weights", torch.tensor(_LUMA_WEIGHTS).view(1, 3, 1, 1))

    def preprocess(self, frames_uint8: torch.Tensor) -> torch.Tensor:
        """Decoded ``uint8`` frames -> float32 ``(B, F, 3, image_size, image_size)`` in [0, 1]."""
        frames = frames_to_float(frames_uint8)
        size = self.config.image_size
        return _resize_frames(frames, (size, size), mode="bilinear")

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """Per-frame low-level features.

        Parameters
        ----------
        frames : torch.Tensor
            float, ``(batch, num_frames, 3, H, W)``, RGB in [0, 1], any ``H, W >= grid``.

        Returns
        -------
        torch.Tensor
            float32 ``(batch, num_frames, token_dim)``.
        """
        frames = _check_frames(frames)
        grid, motion_grid = self.config.grid_size, self.config.motion_grid_size
        if min(frames.shape[-2:]) < max(grid, motion_grid):
            raise ValueError(
                f"frames must be at least {max(grid, motion_grid)} pixels on each side for the "
                f"feature grids, got {tuple(frames.shape[-2:])}"
            )
        batch, num_frames = frames.shape[:2]
        rgb = frames.reshape(batch * num_frames, 3, *frames.shape[-2:])
        luma = (rgb * self.luma_weights.to(rgb.dtype)).sum(dim=1, keepdim=True)  # (BF, 1, H, W)

        luma_flat = luma.flatten(1)
        rgb_flat = rgb.flatten(2)
        rgb_mean = rgb_flat.mean(dim=2)
        centred = rgb_flat - rgb_mean[..., None]
        rgb_std = centred.pow(2).mean(dim=2).sqrt()
        rgb_skew = torch.sign(m3 := centred.pow(3).mean(dim=2)) * m3.abs().pow(1.0 / 3.0)
        grad_y = luma[..., 1:, :-1] - luma[..., :-1, :-1]
        grad_x = luma[..., :-1, 1:] - luma[..., :-1, :-1]
        edge = (grad_x.pow(2) + grad_y.pow(2)).sqrt().flatten(1).mean(dim=1, keepdim=True)
        layout = F.adaptive_avg_pool2d(luma, grid).flatten(1)

        luma_frames = luma.view(batch, num_frames, *luma.shape[-2:])
        if num_frames > 1:
            diff = (luma_frames[:, 1:] - luma_frames[:, :-1]).abs()
            diff = torch.cat([diff[:, :1], diff], dim=1)
        else:
            diff = torch.zeros_like(luma_frames)
        motion = F.adaptive_avg_pool2d(diff.flatten(0, 1)[:, None], motion_grid).flatten(1)

        features = torch.cat(
            [
                luma_flat.mean(dim=1, keepdim=True),
                luma_flat.std(dim=1, correction=0, keepdim=True),
                rgb_mean,
                rgb_std,
                rgb_skew,
                edge,
                layout,
                motion,
            ],
            dim=1,
        )
        return features.view(batch, num_frames, -1)


def _backbone_width(backbone_config, pooling: str) -> int:
    """Width of the pooled per-frame embedding a backbone config produces."""
    width = getattr(backbone_config, "hidden_size", None)
    if width is None and getattr(backbone_config, "hidden_sizes", None):
        width = backbone_config.hidden_sizes[-1]
    if pooling in ("auto", "pooler"):
        width = getattr(backbone_config, "pooler_output_size", None) or width
    if width is None:
        raise ValueError(
            f"cannot tell the embedding width of backbone config {type(backbone_config).__name__}: "
            "expected a hidden_size or hidden_sizes attribute"
        )
    return int(width)


class TransformersVideoEncoder(ModelMixin, ConfigMixin):
    r"""A frozen ``transformers`` vision backbone applied frame by frame.

    The backbone is rebuilt from ``backbone_config`` with :meth:`transformers.AutoModel.from_config`
    (so a saved encoder reloads without network: its weights are part of this module's
    safetensors file); :meth:`from_backbone` starts from a Hub id or local folder instead.
    All backbone parameters have ``requires_grad=False`` and the backbone stays in eval mode.

    Parameters
    ----------
    backbone_config : dict
        ``PreTrainedConfig.to_dict()`` of a vision backbone (must contain ``model_type``), e.g.
        a ``CLIPVisionConfig`` or ``ViTConfig``.
    num_frames : int
        Frames the pipeline samples per clip.
    image_size : int
        Side of the square crop the backbone sees (the image processor's crop size).
    resize_shortest_edge : int, optional
        Shortest edge after resizing, before the centre crop (the processor's ``size``);
        defaults to ``image_size``.
    image_mean, image_std : sequence of float
        Per-channel normalisation applied to [0, 1] RGB (the processor's statistics).
    pooling : str
        ``"auto"`` (the backbone's ``pooler_output`` when it has one, else ``"mean"``),
        ``"pooler"``, ``"cls"`` (first token) or ``"mean"`` (mean over tokens/positions).
    token_dim : int, optional
        Derived from the backbone config; when given it must agree.
    """

    config_name = "config.json"

    @register_to_config
    def __init__(
        self,
        backbone_config: dict,
        num_frames: int = 6,
        image_size: int = 224,
        resize_shortest_edge: int | None = None,
        image_mean: Sequence[float] = (0.5, 0.5, 0.5),
        image_std: Sequence[float] = (0.5, 0.5, 0.5),
        pooling: str = "auto",
        token_dim: int | None = None,
    ):
        super().__init__()
        from transformers import AutoConfig, AutoModel

        if not isinstance(backbone_config, dict) or "model_type" not in backbone_config:
            raise ValueError(
                "backbone_config must be a config dict with a 'model_type' key "
                f"(PreTrainedConfig.to_dict()), got {type(backbone_config).__name__}"
            )
        if pooling not in POOLING_MODES:
            raise ValueError(f"pooling must be one of {list(POOLING_MODES)}, got {pooling!r}")
        if len(image_mean) != 3 or len(image_std) != 3 or min(image_std) <= 0:
            raise ValueError(
                "image_mean and image_std must hold 3 values (std > 0), got "
                f"{list(image_mean)} and {list(image_std)}"
            )
        if image_size < 1 or num_frames < 1:
            raise ValueError(
                f"image_size and num_frames must be positive, got {image_size} and {num_frames}"
            )
        config_kwargs = {
            k: v
            for k, v in backbone_config.items()
            if k not in ("model_type", "transformers_version")
        }
        config = AutoConfig.for_model(backbone_config["model_type"], **config_kwargs)
        self.backbone = AutoModel.from_config(config)
        self.backbone.requires_grad_(False)
        self.backbone.eval()
        derived = _backbone_width(config, pooling)
        if token_dim is not None and token_dim != derived:
            raise ValueError(
                f"token_dim must match the backbone's embedding width {derived}, got {token_dim}"
            )
        self.register_to_config(token_dim=derived)
        self.register_buffer(
            "pixel_mean", torch.tensor(list(image_mean), dtype=torch.float32).view(1, 3, 1, 1),
            persistent=False,
        )  # fmt: skip
        self.register_buffer(
            "pixel_std", torch.tensor(list(image_std), dtype=torch.float32).view(1, 3, 1, 1),
            persistent=False,
        )  # fmt: skip

    @classmethod
    def from_backbone(
        cls,
        pretrained_model_name_or_path: str,
        num_frames: int = 6,
        pooling: str = "auto",
        **hub_kwargs: Any,
    ) -> TransformersVideoEncoder:
        """Wrap a pretrained vision backbone (Hub id or local folder) and its image processor.

        For dual-encoder checkpoints (CLIP, SigLIP, …) only the vision tower is kept. The
        processor's crop size, resize size and mean/std become this encoder's config.

        Parameters
        ----------
        pretrained_model_name_or_path : str
            Passed to ``AutoModel.from_pretrained`` and ``AutoImageProcessor.from_pretrained``.
        num_frames : int
            Frames per clip the pipeline should sample.
        pooling : str
            See the class docstring.
        **hub_kwargs
            Forwarded to both ``from_pretrained`` calls (``revision``, ``cache_dir``,
            ``local_files_only``, …).
        """
        from transformers import AutoImageProcessor, AutoModel

        model = AutoModel.from_pretrained(pretrained_model_name_or_path, **hub_kwargs)
        vision_config = getattr(model.config, "vision_config", None)
        backbone_config = (vision_config or model.config).to_dict()
        processor = AutoImageProcessor.from_pretrained(pretrained_model_name_or_path, **hub_kwargs)
        crop = _size_to_int(getattr(processor, "crop_size", None))
        resize = _size_to_int(getattr(processor, "size", None))
        image_size = crop if getattr(processor, "do_center_crop", False) and crop else resize
        if image_size is None:
            image_size = int(getattr(vision_config or model.config, "image_size", 224))
        encoder = cls(
            backbone_config=backbone_config,
            num_frames=num_frames,
            image_size=image_size,
            resize_shortest_edge=resize if resize and resize != image_size else None,
            image_mean=[float(v) for v in processor.image_mean],
            image_std=[float(v) for v in processor.image_std],
            pooling=pooling,
        )
        # Dual encoders (CLIPModel, …) hold the vision tower as `vision_model`, whose weights
        # have the same names as the stand-alone vision model AutoModel builds from its config.
        source = model.vision_model if vision_config is not None else model
        encoder.backbone.load_state_dict(source.state_dict())
        return encoder

    def train(self, mode: bool = True) -> TransformersVideoEncoder:
        super().train(mode)
        self.backbone.eval()  # frozen: dropout/batch-norm statistics never switch to training
        return self

    def _crop_and_resize(self, frames: torch.Tensor) -> torch.Tensor:
        size = self.config.image_size
        if tuple(frames.shape[-2:]) == (size, size):
            return frames
        short = self.config.resize_shortest_edge or size
        height, width = frames.shape[-2:]
        scale = short / min(height, width)
        new_hw = (max(size, round(height * scale)), max(size, round(width * scale)))
        frames = _resize_frames(frames, new_hw, mode="bicubic")
        top = (new_hw[0] - size) // 2
        left = (new_hw[1] - size) // 2
        return frames[..., top : top + size, left : left + size]

    def preprocess(self, frames_uint8: torch.Tensor) -> torch.Tensor:
        """Decoded ``uint8`` frames -> float32 ``(B, F, 3, image_size, image_size)`` in [0, 1].

        Resizes the shortest edge to ``resize_shortest_edge`` and centre-crops to
        ``image_size`` (what the backbone's image processor does); normalisation happens in
        :meth:`forward`.
        """
        return self._crop_and_resize(frames_to_float(frames_uint8)).contiguous()

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """One pooled backbone embedding per frame.

        Parameters
        ----------
        frames : torch.Tensor
            float, ``(batch, num_frames, 3, H, W)``, RGB in [0, 1]; resized/cropped here if
            not already ``image_size`` square.

        Returns
        -------
        torch.Tensor
            float32 ``(batch, num_frames, token_dim)``.
        """
        frames = self._crop_and_resize(_check_frames(frames))
        batch, num_frames = frames.shape[:2]
        pixels = frames.reshape(batch * num_frames, *frames.shape[2:])
        pixels = (pixels - self.pixel_mean) / self.pixel_std
        param = next(self.backbone.parameters())
        with torch.no_grad():
            outputs = self.backbone(pixel_values=pixels.to(param.dtype), return_dict=True)
        pooled = self._pool(outputs)
        if pooled.shape[-1] != self.config.token_dim:
            raise ValueError(
                f"backbone embedding width {pooled.shape[-1]} differs from token_dim "
                f"{self.config.token_dim}; choose another pooling"
            )
        return pooled.float().view(batch, num_frames, -1)

    def _pool(self, outputs) -> torch.Tensor:
        pooling = self.config.pooling
        pooler = getattr(outputs, "pooler_output", None)
        if pooling == "pooler" or (pooling == "auto" and pooler is not None):
            if pooler is None:
                raise ValueError("pooling='pooler' but the backbone returns no pooler_output")
            return pooler.flatten(1)
        hidden = outputs.last_hidden_state
        if hidden.ndim == 4:  # convolutional backbones: (N, C, H, W)
            return hidden.mean(dim=(2, 3))
        return hidden[:, 0] if pooling == "cls" else hidden.mean(dim=1)


def _size_to_int(size: Any) -> int | None:
    """The side length of an image-processor size (int, dict or SizeDict); None if absent."""
    if size is None:
        return None
    if isinstance(size, int):
        return size
    get = size.get if isinstance(size, dict) else lambda key: getattr(size, key, None)
    for key in ("shortest_edge", "height"):
        value = get(key)
        if value:
            return int(value)
    return None


__all__ = ["LowLevelVideoEncoder", "TransformersVideoEncoder", "frames_to_float"]
