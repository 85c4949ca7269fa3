"""SPGN: the graph network that turns (video, subject, emotion) into per-electrode conditioning.

This is our reading of the "self-play graph network" of Video2EEG-SPGN-Diffusion
(arXiv 2509.05321); the paper gives the idea, not a reference implementation:

* nodes are the EEG electrodes, each with a learned embedding plus a Fourier encoding of its
  3-D scalp position (:func:`~modeling_video2eeg.montage.electrode_positions`);
* nodes attend to the video tokens (one per sampled frame) with cross-attention;
* a subject embedding and an emotion embedding (with a null class for classifier-free
  guidance) modulate the node features by FiLM (``h * (1 + scale) + shift``) before the
  attention and before every graph layer;
* dense torch-geometric graph layers (the graph is small and fixed) propagate over the
  montage graph (:func:`~modeling_video2eeg.montage.build_electrode_graph`).

The output is ``node_conditioning (batch, n_chans, hidden_size)`` and the video tokens
projected to ``hidden_size`` for the denoiser's time-aligned cross-attention. "Self-play"
refers to how the whole model is fine-tuned (SPIN-Diffusion rounds, see the training code),
not to this module's forward pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import DenseGATConv, DenseGCNConv, DenseGraphConv, DenseSAGEConv
from torch_geometric.nn.dense.linear import Linear as PyGLinear
from transformers import AutoModel, PreTrainedModel
from transformers import initialization as init
from transformers.models.auto.configuration_auto import CONFIG_MAPPING
from transformers.utils import ModelOutput

from .configuration_video2eeg import Video2EEGConfig
from .montage import build_electrode_graph

NULL_EMOTION_NAME = "null"
"""Name accepted by :meth:`SPGNModel.emotion_ids` for the classifier-free-guidance null class
(unless a real label has that name)."""


@dataclass
class SPGNOutput(ModelOutput):
    """Output of :class:`SPGNModel`.

    Attributes
    ----------
    node_conditioning : torch.FloatTensor
        ``(batch, n_chans, hidden_size)`` per-electrode conditioning for the denoiser.
    video_tokens : torch.FloatTensor
        ``(batch, num_frames, hidden_size)`` video tokens projected to ``hidden_size``.
    """

    node_conditioning: torch.FloatTensor | None = None
    video_tokens: torch.FloatTensor | None = None


class MontageGraph(nn.Module):
    """The fixed electrode graph as (non-persistent) buffers, rebuilt from the config.

    Buffers ``adjacency`` ``(n_chans, n_chans)`` (weighted, zero diagonal) and ``positions``
    ``(n_chans, 3)`` (metres). They are derived data, so they are not saved; after
    ``from_pretrained`` (which builds the model on the meta device)
    :meth:`SPGNPreTrainedModel._init_weights` refills them with :meth:`build`.
    """

    def __init__(self, ch_names: Sequence[str], k_neighbors: int, hemispheric_weight: float):
        super().__init__()
        self.ch_names = tuple(ch_names)
        self.k_neighbors = int(k_neighbors)
        self.hemispheric_weight = float(hemispheric_weight)
        adjacency, positions = self.build()
        self.register_buffer("adjacency", adjacency, persistent=False)
        self.register_buffer("positions", positions, persistent=False)

    def build(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Fresh ``(adjacency, positions)`` float32 tensors from the montage."""
        graph = build_electrode_graph(self.ch_names, self.k_neighbors, self.hemispheric_weight)
        return graph.adjacency_tensor(), torch.from_numpy(graph.positions).float()


class FiLM(nn.Module):
    """Feature-wise linear modulation: ``x * (1 + scale(c)) + shift(c)``."""

    def __init__(self, cond_dim: int, features: int):
        super().__init__()
        self.proj = nn.Linear(cond_dim, 2 * features)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """``x`` ``(B, N, D)``, ``cond`` ``(B, C)`` -> ``(B, N, D)``."""
        scale, shift = self.proj(cond).unsqueeze(1).chunk(2, dim=-1)
        return torch.addcmul(shift, x, 1.0 + scale)


def fourier_features(points: torch.Tensor, num_frequencies: int) -> torch.Tensor:
    """``[p, sin(2^k π p), cos(2^k π p)]_{k < num_frequencies}`` for points in [-1, 1].

    ``(n, d)`` -> ``(n, d * (1 + 2 * num_frequencies))``.
    """
    freqs = math.pi * 2.0 ** torch.arange(num_frequencies, dtype=points.dtype, device=points.device)
    angles = points[..., None] * freqs  # (n, d, K)
    return torch.cat([points, angles.sin().flatten(-2), angles.cos().flatten(-2)], dim=-1)


def frame_time_encoding(num_frames: int, dim: int, device=None, dtype=None) -> torch.Tensor:
    """Sinusoidal encoding of each frame's clip-relative centre time ``(f + 0.5) / num_frames``.

    Returns ``(num_frames, dim)``; frames of clips with different frame counts that sit at the
    same time get the same code.
    """
    times = (torch.arange(num_frames, device=device, dtype=torch.float32) + 0.5) / num_frames
    half = dim // 2
    freqs = math.pi * 2.0 ** torch.arange(half, device=device, dtype=torch.float32).clamp(max=12)
    angles = times[:, None] * freqs
    enc = torch.cat([angles.sin(), angles.cos()], dim=-1)
    if enc.shape[-1] < dim:
        enc = F.pad(enc, (0, dim - enc.shape[-1]))
    return enc.to(dtype) if dtype is not None else enc


def _make_graph_layer(kind: str, hidden: int, heads: int) -> nn.Module:
    if kind == "gcn":
        return DenseGCNConv(hidden, hidden)
    if kind == "gat":
        return DenseGATConv(hidden, hidden // heads, heads=heads, concat=True)
    if kind == "sage":
        return DenseSAGEConv(hidden, hidden)
    return DenseGraphConv(hidden, hidden, aggr="add")


class SPGNPreTrainedModel(PreTrainedModel):
    """Weights initialisation and loading glue for :class:`SPGNModel`."""

    config_class = Video2EEGConfig
    config: Video2EEGConfig
    base_model_prefix = "spgn"
    main_input_name = "video_tokens"
    supports_gradient_checkpointing = False
    _no_split_modules: ClassVar[list[str]] = ["MontageGraph"]

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        std = self.config.initializer_range
        if isinstance(module, MontageGraph):
            adjacency, positions = module.build()
            init.copy_(module.adjacency, adjacency)
            init.copy_(module.positions, positions)
        elif isinstance(module, PyGLinear):
            init.xavier_uniform_(module.weight)
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, (DenseGCNConv, DenseGATConv, DenseSAGEConv, DenseGraphConv)):
            for name, param in module.named_parameters(recurse=False):
                if name == "bias":
                    init.zeros_(param)
                else:  # DenseGATConv's attention vectors
                    init.normal_(param, std=std)
        elif isinstance(module, nn.Embedding):
            # Unit-scale embeddings so that subject/emotion FiLM matters from the start.
            init.normal_(module.weight, std=1.0)
        elif isinstance(module, SPGNModel):
            init.normal_(module.node_embedding, std=1.0)
        else:
            super()._init_weights(module)


class SPGNModel(SPGNPreTrainedModel):
    r"""Self-play graph network over the EEG electrodes (see the module docstring).

    Call ``spgn(video_tokens, subject_index, emotion_ids)`` ->
    :class:`SPGNOutput` ``(node_conditioning, video_tokens)``.

    Parameters
    ----------
    config : Video2EEGConfig
        Sizes, montage graph, subjects and emotion labels.
    """

    def __init__(self, config: Video2EEGConfig):
        super().__init__(config)
        hidden = config.hidden_size
        self.graph = MontageGraph(config.ch_names, config.k_neighbors, config.hemispheric_weight)
        self.node_embedding = nn.Parameter(torch.empty(config.n_chans, hidden))
        self.position_proj = nn.Linear(3 * (1 + 2 * config.position_frequencies), hidden)
        self.video_proj = nn.Linear(config.video_token_dim, hidden)
        self.video_norm = nn.LayerNorm(hidden)
        self.subject_embedding = nn.Embedding(config.num_subjects, hidden)
        self.emotion_embedding = nn.Embedding(config.num_emotions + 1, hidden)  # + null class
        self.cond_mlp = nn.Sequential(nn.SiLU(), nn.Linear(hidden, hidden))
        self.attention_norm = nn.LayerNorm(hidden, elementwise_affine=False)
        self.attention_film = FiLM(hidden, hidden)
        self.cross_attention = nn.MultiheadAttention(
            hidden, config.num_attention_heads, dropout=config.dropout, batch_first=True
        )
        self.graph_norms = nn.ModuleList(
            nn.LayerNorm(hidden, elementwise_affine=False) for _ in range(config.num_graph_layers)
        )
        self.graph_films = nn.ModuleList(
            FiLM(hidden, hidden) for _ in range(config.num_graph_layers)
        )
        self.graph_layers = nn.ModuleList(
            _make_graph_layer(config.graph_layer_type, hidden, config.num_attention_heads)
            for _ in range(config.num_graph_layers)
        )
        self.dropout = nn.Dropout(config.dropout)
        self.final_norm = nn.LayerNorm(hidden)
        self.post_init()

    # ----------------------------------------------------------------------------- labels
    def subject_index(self, subject_ids: Sequence[int] | torch.Tensor | int) -> torch.LongTensor:
        """Map external subject ids (e.g. SEED-DV's 1-based ``subN``) to embedding rows.

        Raises
        ------
        ValueError
            If any id is not in ``config.subject_ids``; the message lists them.
        """
        ids = _as_int_list(subject_ids, "subject_ids")
        rows = {sid: row for row, sid in enumerate(self.config.subject_ids)}
        unknown = [sid for sid in ids if sid not in rows]
        if unknown:
            raise ValueError(
                f"subject_ids: unknown subject ids {unknown}; expected ids from "
                f"config.subject_ids={self.config.subject_ids} (add new subjects with "
                "add_subject / adapt_new_subject)"
            )
        return torch.tensor([rows[sid] for sid in ids], dtype=torch.long, device=self.device)

    def emotion_ids(self, emotions: Sequence[str | int | None] | str | int) -> torch.LongTensor:
        """Map emotion names or integer ids to ids; ``None``/``"null"``/``null_emotion_id`` is the null class.

        Raises
        ------
        ValueError
            For an unknown name or an id outside ``[0, null_emotion_id]``.
        """
        if isinstance(emotions, (str, Integral)) or emotions is None:
            emotions = [emotions]
        if isinstance(emotions, torch.Tensor):
            emotions = emotions.reshape(-1).tolist()
        labels = {name: i for i, name in enumerate(self.config.emotion_labels)}
        null_id = self.config.null_emotion_id
        out = []
        for emotion in emotions:
            if emotion is None:
                out.append(null_id)
            elif isinstance(emotion, str):
                if emotion in labels:
                    out.append(labels[emotion])
                elif emotion == NULL_EMOTION_NAME:
                    out.append(null_id)
                else:
                    raise ValueError(
                        f"emotions: unknown emotion name {emotion!r}; expected one of "
                        f"{self.config.emotion_labels} or {NULL_EMOTION_NAME!r}/None for the null class"
                    )
            elif isinstance(emotion, Integral) and not isinstance(emotion, bool):
                if not 0 <= emotion <= null_id:
                    raise ValueError(
                        f"emotions: emotion id {emotion} out of range; expected 0..{null_id} "
                        f"({null_id} is the null class)"
                    )
                out.append(int(emotion))
            else:
                raise ValueError(
                    f"emotions: expected names (str), ids (int) or None, got {type(emotion).__name__}"
                )
        return torch.tensor(out, dtype=torch.long, device=self.device)

    @torch.no_grad()
    def add_subject(self, new_subject_id: int) -> int:
        """Append an embedding row for a new subject and return its row index.

        The new row starts at the mean of the existing rows (the "average subject"), which
        is where few-shot adaptation (:func:`~modeling_video2eeg.adaptation.adapt_new_subject`)
        starts. ``config.subject_ids`` gets the new id appended, so ``save_pretrained`` keeps it.

        Raises
        ------
        ValueError
            If the id is already known.
        """
        new_subject_id = _as_int_list(new_subject_id, "new_subject_id")[0]
        if new_subject_id in self.config.subject_ids:
            raise ValueError(
                f"new_subject_id: subject {new_subject_id} already has row "
                f"{self.config.subject_ids.index(new_subject_id)}; expected an id not in "
                f"{self.config.subject_ids}"
            )
        old = self.subject_embedding
        grown = nn.Embedding(old.num_embeddings + 1, old.embedding_dim).to(
            device=old.weight.device, dtype=old.weight.dtype
        )
        grown.weight.copy_(torch.cat([old.weight, old.weight.mean(dim=0, keepdim=True)]))
        grown.weight.requires_grad_(old.weight.requires_grad)
        self.subject_embedding = grown
        self.config.subject_ids = [*self.config.subject_ids, new_subject_id]
        return old.num_embeddings

    # ------------------------------------------------------------------- normalisation
    def _eeg_stats(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean = torch.tensor(self.config.eeg_mean, dtype=like.dtype, device=like.device)
        std = torch.tensor(self.config.eeg_std, dtype=like.dtype, device=like.device)
        return mean[:, None], std[:, None]

    def normalize_eeg(self, eeg: torch.Tensor) -> torch.Tensor:
        """µV ``(..., n_chans, n_times)`` -> the denoiser's normalised space (config stats)."""
        _check_eeg_channels(eeg, self.config.n_chans, "eeg")
        mean, std = self._eeg_stats(eeg)
        return (eeg - mean) / std

    def denormalize_eeg(self, eeg: torch.Tensor) -> torch.Tensor:
        """Normalised ``(..., n_chans, n_times)`` -> µV (inverse of :meth:`normalize_eeg`)."""
        _check_eeg_channels(eeg, self.config.n_chans, "eeg")
        mean, std = self._eeg_stats(eeg)
        return eeg * std + mean

    # --------------------------------------------------------------------------- forward
    def node_features(self) -> torch.Tensor:
        """Subject-independent node features ``(n_chans, hidden_size)``: embedding + position code."""
        positions = self.graph.positions
        radius = positions.norm(dim=-1).max().clamp_min(1e-6)
        code = fourier_features(positions / radius, self.config.position_frequencies)
        return self.node_embedding + self.position_proj(code.to(self.node_embedding.dtype))

    def forward(
        self,
        video_tokens: torch.Tensor,
        subject_index: torch.Tensor | Sequence[int] | int,
        emotion_ids: torch.Tensor | Sequence[int] | int,
        return_dict: bool | None = None,
    ) -> SPGNOutput | tuple[torch.Tensor, torch.Tensor]:
        r"""Per-electrode conditioning from video tokens, subject rows and emotion ids.

        Parameters
        ----------
        video_tokens : torch.Tensor
            float ``(batch, num_frames, video_token_dim)`` from a video encoder.
        subject_index : torch.LongTensor
            ``(batch,)`` embedding rows (use :meth:`subject_index` to map external ids), or
            one row for the whole batch.
        emotion_ids : torch.LongTensor
            ``(batch,)`` ids in ``[0, null_emotion_id]`` (use :meth:`emotion_ids` for names), or
            one id for the whole batch.
        return_dict : bool, optional
            Return :class:`SPGNOutput` (default) or a tuple.

        Returns
        -------
        SPGNOutput
            ``node_conditioning (batch, n_chans, hidden_size)``,
            ``video_tokens (batch, num_frames, hidden_size)``.
        """
        config = self.config
        if not isinstance(video_tokens, torch.Tensor) or video_tokens.ndim != 3:
            shape = tuple(video_tokens.shape) if isinstance(video_tokens, torch.Tensor) else None
            raise ValueError(
                "video_tokens must be a tensor of shape (batch, num_frames, "
                f"{config.video_token_dim}), got {shape or type(video_tokens).__name__}"
            )
        batch, num_frames, token_dim = video_tokens.shape
        if token_dim != config.video_token_dim or num_frames < 1 or batch < 1:
            raise ValueError(
                f"video_tokens must have shape (batch, num_frames, {config.video_token_dim}), got "
                f"{tuple(video_tokens.shape)}"
            )
        if not torch.isfinite(video_tokens).all():
            raise ValueError("video_tokens contains NaN or Inf values")
        subject_index = _check_index(
            subject_index, batch, config.num_subjects - 1, "subject_index", self.device
        )
        emotion_ids = _check_index(
            emotion_ids, batch, config.null_emotion_id, "emotion_ids", self.device
        )

        dtype = self.node_embedding.dtype
        tokens = self.video_norm(self.video_proj(video_tokens.to(dtype)))
        keys = tokens + frame_time_encoding(num_frames, tokens.shape[-1], tokens.device, dtype)
        cond = self.subject_embedding(subject_index) + self.emotion_embedding(emotion_ids)
        cond = self.cond_mlp(cond)

        h = self.node_features().unsqueeze(0).expand(batch, -1, -1)
        query = self.attention_film(self.attention_norm(h), cond)
        attended, _ = self.cross_attention(query, keys, tokens, need_weights=False)
        h = h + self.dropout(attended)
        adjacency = self.graph.adjacency.to(dtype)
        for norm, film, layer in zip(
            self.graph_norms, self.graph_films, self.graph_layers, strict=True
        ):
            update = layer(film(norm(h), cond), adjacency)
            h = h + self.dropout(F.silu(update))
        node_conditioning = self.final_norm(h)
        if return_dict is False:
            return node_conditioning, tokens
        return SPGNOutput(node_conditioning=node_conditioning, video_tokens=tokens)


def _as_int_list(values, name: str) -> list[int]:
    if isinstance(values, torch.Tensor):
        values = values.reshape(-1).tolist()
    elif isinstance(values, Integral) and not isinstance(values, bool):
        values = [values]
    out = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise ValueError(f"{name}: expected integer ids, got {value!r}")
        out.append(int(value))
    return out


def _check_index(values, batch: int, max_value: int, name: str, device) -> torch.LongTensor:
    """Validate ``(batch,)`` (or a single) integer index tensor with values in ``[0, max_value]``."""
    tensor = torch.as_tensor(values, device=device)
    if tensor.is_floating_point() or tensor.dtype == torch.bool:
        raise ValueError(f"{name} must hold integers, got dtype {tensor.dtype}")
    tensor = tensor.long().reshape(-1)
    if tensor.numel() == 1 and batch != 1:
        tensor = tensor.expand(batch)
    if tensor.numel() != batch:
        raise ValueError(f"{name} must have shape ({batch},), got {tuple(tensor.shape)}")
    if tensor.numel() and (tensor.min() < 0 or tensor.max() > max_value):
        bad = tensor[(tensor < 0) | (tensor > max_value)].tolist()
        raise ValueError(f"{name} values must be in [0, {max_value}], got {bad}")
    return tensor


def _check_eeg_channels(eeg: torch.Tensor, n_chans: int, name: str) -> None:
    if not isinstance(eeg, torch.Tensor) or eeg.ndim < 2 or eeg.shape[-2] != n_chans:
        shape = tuple(eeg.shape) if isinstance(eeg, torch.Tensor) else type(eeg).__name__
        raise ValueError(f"{name} must have shape (..., {n_chans}, n_times), got {shape}")


# Map only the config class that AutoConfig resolves "video2eeg_spgn" to (see
# configuration_video2eeg): a remote-code copy of this module keeps the installed classes.
if CONFIG_MAPPING[Video2EEGConfig.model_type] is Video2EEGConfig:
    AutoModel.register(Video2EEGConfig, SPGNModel, exist_ok=True)

__all__ = ["NULL_EMOTION_NAME", "MontageGraph", "SPGNModel", "SPGNOutput", "SPGNPreTrainedModel"]
