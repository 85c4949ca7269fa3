"""The EEG diffusion denoiser: a graph-aware 1-D U-Net over time, one sequence per electrode.

Our reading of the denoiser of Video2EEG-SPGN-Diffusion (arXiv 2509.05321). Input is noisy
EEG ``(batch, n_chans, n_times)`` in the normalised space of the SPGN config
(``(x_uV - eeg_mean) / eeg_std``), a diffusion timestep, the SPGN's per-electrode
conditioning ``(batch, n_chans, conditioning_dim)`` and its video tokens
``(batch, num_frames, conditioning_dim)``; output is the ε or v prediction (same shape as
the input, ``config.prediction_type`` says which).

Architecture
------------
* **Patches.** Each electrode's 400 samples are cut into ``n_times / patch_size`` patches
  (20 samples = 100 ms by default) embedded by one linear layer; the output head maps each
  patch token back to its samples. All work below runs on patch tokens.
* **Per-electrode temporal U-Net.** Levels halve the token rate (20, 10, 5 tokens a clip by
  default) and widen (``block_out_channels``). The temporal residual blocks are shared by
  all electrodes (electrodes are a batch axis) and use kernel-3 convolutions over time.
* **Graph mixing.** Inside every block, features are mixed across electrodes at the same
  time step by the GCN-normalised montage adjacency ``D^-1/2 (A + I) D^-1/2``
  (:func:`~modeling_video2eeg.montage.build_electrode_graph`): one dense matmul.
* **FiLM** from the SPGN node conditioning plus the timestep embedding (adaLN style: a
  non-affine LayerNorm, then ``h * (1 + scale) + shift`` per electrode).
* **Time-aligned cross-attention** (at ``attention_levels`` and in the middle): a token at
  clip time ``τ`` attends to the video tokens with a learned per-head Gaussian bias
  ``-(τ - τ_f)² / 2σ²`` where ``τ_f = (f + 0.5) / num_frames`` is frame ``f``'s centre, so a
  frame's token mostly informs the EEG around the time it was on screen.

CPU efficiency notes: activations are kept time-major ``(n_tokens, n_chans, batch, width)``
so temporal taps, downsampling and graph mixing are views plus large matmuls (no per-sample
Python loops, no copies for the convolution taps). Widths are multiples of 64 (MKL's GEMM
runs ~2.5× faster at width 64 than at 48 on AVX2) and, for a ``(64, 62, 400)`` batch, one
activation stays below 32 MiB (glibc serves smaller blocks from its heap, larger ones with
fresh page-faulting ``mmap`` on every allocation, which makes elementwise ops 3-4× slower).
``benchmarks/bench_denoiser.py`` measures FLOPs, time and FLOP/s against a plain matmul.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers import ConfigMixin, ModelMixin
from diffusers.configuration_utils import register_to_config
from diffusers.models.embeddings import TimestepEmbedding, Timesteps
from diffusers.utils import BaseOutput
from torch import nn

from .montage import SEED_CH_NAMES, build_electrode_graph, validate_ch_names

PREDICTION_TYPES = ("epsilon", "v_prediction")


@dataclass
class EEGDenoiserOutput(BaseOutput):
    """Output of :class:`EEGDenoiser`.

    Attributes
    ----------
    sample : torch.Tensor
        ``(batch, n_chans, n_times)`` the prediction (ε or v, see ``config.prediction_type``).
    """

    sample: torch.Tensor


def normalized_adjacency(
    ch_names: Sequence[str], k_neighbors: int, hemispheric_weight: float
) -> torch.Tensor:
    """GCN-normalised montage adjacency ``D^-1/2 (A + I) D^-1/2``, float32 ``(n_chans, n_chans)``."""
    adjacency = build_electrode_graph(ch_names, k_neighbors, hemispheric_weight).adjacency_tensor()
    adjacency = adjacency + torch.eye(adjacency.shape[0])
    inv_sqrt_degree = adjacency.sum(dim=1).rsqrt()
    return inv_sqrt_degree[:, None] * adjacency * inv_sqrt_degree[None, :]


class TemporalConv(nn.Module):
    """Kernel-3 convolution (no bias) over the leading (time) axis of ``(T, ..., D)`` activations.

    Computed as one matmul for the centre tap plus two in-place ``addmm_`` for the
    neighbouring taps on contiguous time-shifted views (zero padding at the clip edges), so
    it costs three GEMMs and one allocation.
    """

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(3, in_features, out_features))
        nn.init.normal_(self.weight, std=1.0 / math.sqrt(3 * in_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps, rest, features = x.shape[0], x.shape[1:-1], x.shape[-1]
        flat = x.reshape(steps, -1, features)
        rows = flat.shape[1]
        out = torch.mm(flat.view(-1, features), self.weight[1]).view(steps, rows, -1)
        if steps > 1:
            # autocast lowers torch.mm's precision but not the in-place addmm_: match out's dtype
            # (no-op casts outside autocast)
            flat, weight = flat.to(out.dtype), self.weight.to(out.dtype)
            # out[t] += x[t-1] @ W0 ; out[t] += x[t+1] @ W2 (views of contiguous time slabs)
            out[1:].view(-1, out.shape[-1]).addmm_(flat[:-1].reshape(-1, features), weight[0])
            out[:-1].view(-1, out.shape[-1]).addmm_(flat[1:].reshape(-1, features), weight[2])
        return out.view(steps, *rest, -1)


class GraphTemporalBlock(nn.Module):
    """Residual block: adaLN-FiLM -> SiLU -> temporal conv -> graph mixing -> SiLU -> linear.

    ``h = conv(silu(film(norm(x))))``; ``h = h + Â (h W_g)`` mixes each time step across
    electrodes (a GCN branch on the montage graph); ``x + silu(h) W_out`` closes the residual.
    The large linears have no bias (the FiLM shift and LayerNorms make them redundant), which
    lets the residual add ride in the output GEMM.

    Activations ``x`` are ``(T, n_chans, batch, D)``; ``cond`` is ``(n_chans, batch, C)``;
    ``adjacency`` is the normalised ``(n_chans, n_chans)`` matrix.
    """

    def __init__(self, features: int, cond_dim: int, dropout: float = 0.0):
        super().__init__()
        self.film = nn.Linear(cond_dim, 2 * features)
        self.conv = TemporalConv(features, features)
        self.graph_proj = nn.Linear(features, features, bias=False)
        self.out_proj = nn.Linear(features, features, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, cond: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        steps, n_chans, batch, features = x.shape
        scale, shift = self.film(cond).chunk(2, dim=-1)
        h = F.layer_norm(x, (features,))
        h = F.silu(torch.addcmul(shift, h, 1.0 + scale), inplace=True)
        h = self.conv(h)
        # Graph mixing over electrodes at each time step: h + Â (h W_g), one batched matmul.
        mixed = self.graph_proj(h).view(steps, n_chans, batch * features)
        h = torch.baddbmm(
            h.view(steps, n_chans, batch * features),
            adjacency.expand(steps, n_chans, n_chans),
            mixed,
        )
        h = self.dropout(F.silu(h, inplace=True)).view(-1, features)
        out = torch.addmm(x.view(-1, features), h, self.out_proj.weight.t())
        return out.view(steps, n_chans, batch, features)


class TimeAlignedCrossAttention(nn.Module):
    """Multi-head cross-attention from EEG tokens to video tokens with a learned time bias.

    Query token at clip time ``τ_t = (t + 0.5) / T`` and frame ``f`` of ``F`` (centre
    ``τ_f = (f + 0.5) / F``) get the logit bias ``-(τ_t - τ_f)² / (2 σ_h²)`` in head ``h``
    (``σ_h`` learned, initialised to ``initial_sigma`` of the clip length).

    With only ``F`` keys per clip, the query projection is folded into the keys
    (``q·k = x · (W_q k)``) and the output projection into the values, so no ``D × D``
    projection of the many EEG tokens is computed; the result equals standard multi-head
    attention with ``to_q``, ``to_k``, ``to_v``, ``to_out``.
    """

    def __init__(self, features: int, cond_dim: int, head_dim: int, initial_sigma: float = 0.15):
        super().__init__()
        if features % head_dim:
            raise ValueError(
                f"attention_head_dim ({head_dim}) must divide the level width ({features})"
            )
        self.heads = features // head_dim
        self.head_dim = head_dim
        self.to_q = nn.Linear(features, features, bias=False)
        self.to_k = nn.Linear(cond_dim, features, bias=False)
        self.to_v = nn.Linear(cond_dim, features, bias=False)
        self.to_out = nn.Linear(features, features)
        self.log_sigma = nn.Parameter(torch.full((self.heads,), math.log(initial_sigma)))

    def time_bias(self, steps: int, num_frames: int, device, dtype) -> torch.Tensor:
        """``(heads, steps, num_frames)`` additive logit bias."""
        # At least float32 (half-precision models), float64 kept for float64 models.
        work = torch.promote_types(self.log_sigma.dtype, torch.float32)
        tau_q = (torch.arange(steps, device=device, dtype=work) + 0.5) / steps
        tau_k = (torch.arange(num_frames, device=device, dtype=work) + 0.5) / num_frames
        sq = (tau_q[:, None] - tau_k[None, :]).pow(2)
        sigma = self.log_sigma.to(work).exp()
        return (-sq[None] / (2.0 * sigma[:, None, None] ** 2)).to(dtype)

    def forward(self, x: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        steps, n_chans, batch, features = x.shape
        num_frames = tokens.shape[1]
        heads, head_dim = self.heads, self.head_dim
        # Per clip, frame and head: keys mapped back through W_q, values through W_o. Frames
        # are ordered before heads so the softmax over frames runs on a non-innermost axis
        # (3x faster than torch's softmax over a 6-wide last axis).
        k = self.to_k(tokens).view(batch, num_frames, heads, head_dim)
        v = self.to_v(tokens).view(batch, num_frames, heads, head_dim)
        w_q = self.to_q.weight.view(heads, head_dim, features)
        w_o = self.to_out.weight.view(features, heads, head_dim)
        keys = torch.einsum("bfhd,hde->bfhe", k, w_q) * head_dim**-0.5  # (B, F, H, D)
        # Each head's weights over frames sum to 1, so adding bias / heads to every value
        # row adds the output bias exactly once.
        values = torch.einsum("bfhd,ehd->bfhe", v, w_o) + self.to_out.bias / heads

        h = F.layer_norm(x, (features,)).view(steps * n_chans, batch, features).transpose(0, 1)
        scores = torch.bmm(h, keys.reshape(batch, num_frames * heads, features).transpose(1, 2))
        scores = scores.view(batch, steps, n_chans, num_frames, heads)
        bias = self.time_bias(steps, num_frames, x.device, scores.dtype)  # (H, T, F)
        scores = scores + bias.permute(1, 2, 0)[:, None]  # (T, 1, F, H) broadcast
        probs = scores.softmax(dim=-2).view(batch, steps * n_chans, num_frames * heads)
        out = torch.bmm(probs, values.reshape(batch, num_frames * heads, features))
        return torch.add(x, out.transpose(0, 1).view(steps, n_chans, batch, features))


class Downsample(nn.Module):
    """Halve the token rate and change width: ``out[t] = x[2t] W_0 + x[2t+1] W_1``."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(2, in_features, out_features))
        nn.init.normal_(self.weight, std=1.0 / math.sqrt(2 * in_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps, n_chans, batch, features = x.shape
        pairs = x.view(steps // 2, 2, n_chans * batch, features)
        weight = self.weight.unsqueeze(1).expand(2, steps // 2, features, -1)
        out = torch.bmm(pairs[:, 0], weight[0])
        out = torch.baddbmm(out, pairs[:, 1], weight[1])
        return out.view(steps // 2, n_chans, batch, -1)


class Upsample(nn.Module):
    """Double the token rate and change width, then add the skip connection.

    Each token emits two tokens through one linear layer; the interleaving is read as a
    strided view by the skip addition, so it costs no extra copy.
    """

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.proj = nn.Linear(in_features, 2 * out_features, bias=False)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        steps, n_chans, batch, _ = x.shape
        pairs = self.proj(x).view(steps, n_chans, batch, 2, -1).permute(0, 3, 1, 2, 4)
        out = skip.view(steps, 2, n_chans, batch, -1) + pairs
        return out.view(2 * steps, n_chans, batch, -1)


class EEGDenoiser(ModelMixin, ConfigMixin):
    r"""Graph-aware temporal U-Net denoiser for ``(batch, n_chans, n_times)`` EEG.

    See the module docstring for the architecture.

    Parameters
    ----------
    n_chans, n_times : int
        EEG shape (62 SEED channels, 400 samples = 2 s at 200 Hz).
    ch_names : list of str, optional
        Channel order (SEED's by default); defines the graph.
    k_neighbors, hemispheric_weight : int, float
        Montage graph settings (as :func:`~modeling_video2eeg.montage.build_electrode_graph`).
    patch_size : int
        Samples per patch token.
    block_out_channels : sequence of int
        Width of each U-Net level; level ``l`` runs at ``n_times / patch_size / 2**l`` tokens.
        The last level is the middle (block, cross-attention, block); every other level has
        ``layers_per_block`` blocks on the way down and on the way up.
    layers_per_block : int
        Residual blocks per level on the way down (and up), middle excluded.
    conditioning_dim : int
        Width of the SPGN node conditioning and video tokens (``Video2EEGConfig.hidden_size``).
    attention_head_dim : int
        Width of one cross-attention head.
    attention_levels : sequence of int
        Levels below the middle (``0 .. len(block_out_channels) - 2``) with an extra
        time-aligned cross-attention after their blocks, down and up; the middle always has one.
    time_embedding_dim : int
        Width of the sinusoidal timestep code.
    prediction_type : str
        ``"epsilon"`` or ``"v_prediction"``: what the network is trained to predict.
    dropout : float
        Dropout inside the residual blocks.
    """

    _supports_gradient_checkpointing = True

    @register_to_config
    def __init__(
        self,
        n_chans: int = 62,
        n_times: int = 400,
        ch_names: Sequence[str] | None = None,
        k_neighbors: int = 4,
        hemispheric_weight: float = 0.5,
        patch_size: int = 20,
        block_out_channels: Sequence[int] = (64, 128, 128),
        layers_per_block: int = 1,
        conditioning_dim: int = 128,
        attention_head_dim: int = 32,
        attention_levels: Sequence[int] = (1,),
        time_embedding_dim: int = 128,
        prediction_type: str = "epsilon",
        dropout: float = 0.0,
    ):
        super().__init__()
        names = list(
            validate_ch_names(ch_names if ch_names is not None else SEED_CH_NAMES[:n_chans])
        )
        if len(names) != n_chans:
            raise ValueError(f"ch_names must have n_chans={n_chans} entries, got {len(names)}")
        if ch_names is None:
            self.register_to_config(ch_names=names)
        if prediction_type not in PREDICTION_TYPES:
            raise ValueError(
                f"prediction_type must be one of {list(PREDICTION_TYPES)}, got {prediction_type!r}"
            )
        widths = [int(w) for w in block_out_channels]
        if not widths or min(widths) < 1:
            raise ValueError(
                f"block_out_channels must be positive widths, got {block_out_channels}"
            )
        levels = len(widths)
        stride = patch_size * 2 ** (levels - 1)
        if patch_size < 1 or n_times % stride:
            raise ValueError(
                f"n_times ({n_times}) must be divisible by patch_size * 2**(levels - 1) = {stride} "
                f"(patch_size={patch_size}, {levels} levels)"
            )
        bad_levels = [lvl for lvl in attention_levels if not 0 <= lvl < levels - 1]
        if bad_levels:
            raise ValueError(
                f"attention_levels must be in [0, {levels - 2}] (the middle level "
                f"{levels - 1} always has attention), got {bad_levels}"
            )
        if layers_per_block < 1:
            raise ValueError(f"layers_per_block must be >= 1, got {layers_per_block}")

        self.register_buffer(
            "adjacency",
            normalized_adjacency(names, k_neighbors, hemispheric_weight),
            persistent=False,
        )
        self.time_proj = Timesteps(time_embedding_dim, flip_sin_to_cos=True, downscale_freq_shift=0)
        self.time_embedding = TimestepEmbedding(time_embedding_dim, conditioning_dim)
        self.patch_embed = nn.Linear(patch_size, widths[0])

        def attention(level: int) -> nn.Module | None:
            if level not in attention_levels:
                return None
            return TimeAlignedCrossAttention(widths[level], conditioning_dim, attention_head_dim)

        self.down_blocks = nn.ModuleList()
        self.down_attentions = nn.ModuleList()
        self.downsamplers = nn.ModuleList()
        for level, width in enumerate(widths[:-1]):
            self.down_blocks.append(
                nn.ModuleList(
                    GraphTemporalBlock(width, conditioning_dim, dropout)
                    for _ in range(layers_per_block)
                )
            )
            self.down_attentions.append(attention(level) or nn.Identity())
            self.downsamplers.append(Downsample(width, widths[level + 1]))
        self.mid_block1 = GraphTemporalBlock(widths[-1], conditioning_dim, dropout)
        self.mid_attention = TimeAlignedCrossAttention(
            widths[-1], conditioning_dim, attention_head_dim
        )
        self.mid_block2 = GraphTemporalBlock(widths[-1], conditioning_dim, dropout)
        self.upsamplers = nn.ModuleList()
        self.up_blocks = nn.ModuleList()
        self.up_attentions = nn.ModuleList()
        for level in reversed(range(levels - 1)):
            self.upsamplers.append(Upsample(widths[level + 1], widths[level]))
            self.up_blocks.append(
                nn.ModuleList(
                    GraphTemporalBlock(widths[level], conditioning_dim, dropout)
                    for _ in range(layers_per_block)
                )
            )
            self.up_attentions.append(attention(level) or nn.Identity())
        self.out_film = nn.Linear(conditioning_dim, 2 * widths[0])
        self.out_proj = nn.Linear(widths[0], patch_size)
        self.gradient_checkpointing = False

    # ------------------------------------------------------------------------ helpers
    def _run(self, module: nn.Module, *args: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() and self.gradient_checkpointing:
            return self._gradient_checkpointing_func(module, *args)
        return module(*args)

    def _check_inputs(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor | float | int,
        node_conditioning: torch.Tensor,
        video_tokens: torch.Tensor,
    ) -> torch.Tensor:
        config = self.config
        if not isinstance(sample, torch.Tensor):
            raise ValueError(f"sample must be a torch.Tensor, got {type(sample).__name__}")
        expected = (config.n_chans, config.n_times)
        if sample.ndim != 3 or tuple(sample.shape[1:]) != expected:
            raise ValueError(
                f"sample must have shape (batch, {expected[0]}, {expected[1]}), got "
                f"{tuple(sample.shape)}"
            )
        if not sample.is_floating_point():
            raise ValueError(f"sample must be floating point, got dtype {sample.dtype}")
        if not torch.isfinite(sample).all():
            raise ValueError("sample contains NaN or Inf values (expected finite EEG)")
        batch = sample.shape[0]
        cond_shape = (batch, config.n_chans, config.conditioning_dim)
        if (
            not isinstance(node_conditioning, torch.Tensor)
            or tuple(node_conditioning.shape) != cond_shape
        ):
            got = (
                tuple(node_conditioning.shape)
                if isinstance(node_conditioning, torch.Tensor)
                else node_conditioning
            )
            raise ValueError(f"node_conditioning must have shape {cond_shape}, got {got}")
        if (
            not isinstance(video_tokens, torch.Tensor)
            or video_tokens.ndim != 3
            or video_tokens.shape[0] != batch
            or video_tokens.shape[2] != config.conditioning_dim
            or video_tokens.shape[1] < 1
        ):
            got = (
                tuple(video_tokens.shape)
                if isinstance(video_tokens, torch.Tensor)
                else video_tokens
            )
            raise ValueError(
                f"video_tokens must have shape ({batch}, num_frames, {config.conditioning_dim}), "
                f"got {got}"
            )
        timesteps = torch.as_tensor(timestep, device=sample.device)
        if timesteps.ndim == 0:
            timesteps = timesteps.expand(batch)
        if timesteps.shape != (batch,):
            raise ValueError(
                f"timestep must be a scalar or have shape ({batch},), got {tuple(timesteps.shape)}"
            )
        if not torch.isfinite(timesteps.float()).all():
            raise ValueError("timestep contains NaN or Inf values")
        return timesteps

    # ------------------------------------------------------------------------ forward
    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor | float | int,
        node_conditioning: torch.Tensor,
        video_tokens: torch.Tensor,
        return_dict: bool = True,
    ) -> EEGDenoiserOutput | tuple[torch.Tensor]:
        r"""Predict ε (or v) for noisy normalised EEG.

        Parameters
        ----------
        sample : torch.Tensor
            float ``(batch, n_chans, n_times)`` noisy EEG in normalised units.
        timestep : torch.Tensor or float or int
            Diffusion timestep(s): a scalar or ``(batch,)``.
        node_conditioning : torch.Tensor
            ``(batch, n_chans, conditioning_dim)`` from :class:`~modeling_video2eeg.SPGNModel`.
        video_tokens : torch.Tensor
            ``(batch, num_frames, conditioning_dim)`` from the SPGN output.
        return_dict : bool
            Return :class:`EEGDenoiserOutput` (default) or a one-tuple.

        Returns
        -------
        EEGDenoiserOutput
            ``sample`` of shape ``(batch, n_chans, n_times)``.
        """
        timesteps = self._check_inputs(sample, timestep, node_conditioning, video_tokens)
        config = self.config
        batch, n_chans, n_times = sample.shape
        dtype = self.patch_embed.weight.dtype
        adjacency = self.adjacency.to(dtype)

        temb = self.time_embedding(self.time_proj(timesteps).to(dtype))  # (B, C)
        cond = F.silu(node_conditioning.to(dtype) + temb[:, None, :])
        cond = cond.transpose(0, 1)  # (n_chans, B, C): broadcasts over the leading time axis
        tokens = video_tokens.to(dtype)

        steps = n_times // config.patch_size
        patches = sample.to(dtype).view(batch, n_chans, steps, config.patch_size)
        x = self.patch_embed(patches.permute(2, 1, 0, 3))  # (T, n_chans, B, D0)

        skips = []
        for blocks, attention, downsample in zip(
            self.down_blocks, self.down_attentions, self.downsamplers, strict=True
        ):
            for block in blocks:
                x = self._run(block, x, cond, adjacency)
            if not isinstance(attention, nn.Identity):
                x = self._run(attention, x, tokens)
            skips.append(x)
            x = downsample(x)
        x = self._run(self.mid_block1, x, cond, adjacency)
        x = self._run(self.mid_attention, x, tokens)
        x = self._run(self.mid_block2, x, cond, adjacency)
        for upsample, blocks, attention in zip(
            self.upsamplers, self.up_blocks, self.up_attentions, strict=True
        ):
            x = upsample(x, skips.pop())
            for block in blocks:
                x = self._run(block, x, cond, adjacency)
            if not isinstance(attention, nn.Identity):
                x = self._run(attention, x, tokens)

        scale, shift = self.out_film(cond).chunk(2, dim=-1)
        h = F.layer_norm(x, (x.shape[-1],))
        h = F.silu(torch.addcmul(shift, h, 1.0 + scale), inplace=True)
        out = self.out_proj(h)  # (T, n_chans, B, patch_size)
        out = out.permute(2, 1, 0, 3).reshape(batch, n_chans, n_times)
        if not return_dict:
            return (out,)
        return EEGDenoiserOutput(sample=out)


def diffusion_target(
    scheduler, sample: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor
) -> torch.Tensor:
    """What the denoiser should predict for ``scheduler.add_noise(sample, noise, timesteps)``.

    ``noise`` for ``prediction_type="epsilon"``, ``scheduler.get_velocity(sample, noise,
    timesteps)`` for ``"v_prediction"`` (read from the scheduler config).
    """
    prediction_type = scheduler.config.prediction_type
    if prediction_type == "epsilon":
        return noise
    if prediction_type == "v_prediction":
        return scheduler.get_velocity(sample, noise, timesteps)
    raise ValueError(
        f"scheduler.config.prediction_type must be one of {list(PREDICTION_TYPES)}, got "
        f"{prediction_type!r}"
    )


__all__ = [
    "PREDICTION_TYPES",
    "EEGDenoiser",
    "EEGDenoiserOutput",
    "diffusion_target",
    "normalized_adjacency",
]
