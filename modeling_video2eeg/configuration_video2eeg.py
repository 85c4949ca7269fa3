"""Configuration of the SPGN (self-play graph network) half of Video2EEG-SPGN-Diffusion.

One :class:`Video2EEGConfig` describes what the conditioning network needs to know about the
EEG (``n_chans``, ``n_times``, ``sfreq``, ``ch_names``, per-channel normalisation statistics),
the electrode graph (``k_neighbors``, ``hemispheric_weight``), the people and labels it is
conditioned on (``subject_ids``, ``emotion_labels`` plus a null class for classifier-free
guidance), the video tokens it reads (``num_frames``, ``video_token_dim``) and its own sizes.

It is a transformers v5 config: a keyword-only dataclass, saved as ``config.json`` and
registered with :class:`transformers.AutoConfig` under ``model_type = "video2eeg_spgn"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from huggingface_hub.dataclasses import strict
from transformers import AutoConfig, PreTrainedConfig
from transformers.models.auto.configuration_auto import CONFIG_MAPPING

from .montage import SEED_CH_NAMES, SEED_SFREQ, validate_ch_names

DEFAULT_EMOTION_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
"""SEED's three emotion classes, in label-id order."""

DEFAULT_SUBJECT_IDS: tuple[int, ...] = tuple(range(1, 21))
"""SEED-DV's 20 subjects (``sub1.npy`` … ``sub20.npy``), external 1-based ids."""

GRAPH_LAYER_TYPES: tuple[str, ...] = ("gcn", "gat", "sage", "graph")
"""Names of the torch-geometric dense graph layers the SPGN can stack."""


@strict
class Video2EEGConfig(PreTrainedConfig):
    r"""Configuration of :class:`~modeling_video2eeg.modeling_spgn.SPGNModel`.

    Parameters
    ----------
    n_chans : int
        Number of EEG channels (graph nodes). Default 62 (SEED).
    n_times : int
        Samples per clip. Default 400 (2 s at 200 Hz).
    sfreq : float
        Sampling frequency in Hz. Default 200.
    ch_names : list of str, optional
        Channel names in data order; defaults to the SEED montage order.
    k_neighbors : int
        Nearest neighbours per electrode in the montage graph.
    hemispheric_weight : float
        Weight of the left/right homologous-pair edges (0 removes them).
    subject_ids : list of int, optional
        External subject ids in embedding-row order; defaults to ``1..20`` (SEED-DV).
    emotion_labels : list of str, optional
        Emotion class names, id = index; defaults to ``negative, neutral, positive``.
        The null class for classifier-free guidance gets id ``len(emotion_labels)``.
    num_frames : int
        Video frames sampled per 2 s clip (one token each).
    video_token_dim : int
        Size of one video token as produced by the video encoder.
    hidden_size : int
        Width of the node features, the conditioning and the projected video tokens.
    num_attention_heads : int
        Heads of the node-to-video cross-attention.
    num_graph_layers : int
        Number of dense graph layers.
    graph_layer_type : str
        One of ``"gcn"`` (DenseGCNConv), ``"gat"`` (DenseGATConv), ``"sage"`` (DenseSAGEConv),
        ``"graph"`` (DenseGraphConv).
    position_frequencies : int
        Fourier frequencies per axis for the 3-D electrode position encoding.
    dropout : float
        Dropout in attention and after graph layers.
    initializer_range : float
        Standard deviation of the normal initialisation of linear and embedding weights.
    eeg_mean, eeg_std : list of float, optional
        Per-channel statistics (µV) that map EEG to the normalised space the denoiser works
        in: ``x_norm = (x - eeg_mean[:, None]) / eeg_std[:, None]``. Default 0 and 1 (training
        sets them from the data).
    video_dropout_prob : float
        Probability with which training replaced a clip's video tokens by the null video
        (all-zero tokens), recorded by the trainer. Greater than 0 means the model has learned
        the null video, which guidance over the video (``video_guidance_scale``) needs.
    """

    model_type = "video2eeg_spgn"

    n_chans: int = 62
    n_times: int = 400
    sfreq: float | int = SEED_SFREQ
    ch_names: list[str] | None = None
    k_neighbors: int = 4
    hemispheric_weight: float | int = 0.5
    subject_ids: list[int] | None = None
    emotion_labels: list[str] | None = None
    num_frames: int = 6
    video_token_dim: int = 32
    hidden_size: int = 128
    num_attention_heads: int = 4
    num_graph_layers: int = 2
    graph_layer_type: str = "gcn"
    position_frequencies: int = 4
    dropout: float | int = 0.0
    initializer_range: float = 0.02
    eeg_mean: list[float] | None = None
    eeg_std: list[float] | None = None
    video_dropout_prob: float | int = 0.0

    def __post_init__(self, **kwargs):
        # Lists are stored (not tuples) so that to_dict() -> JSON -> from_dict() is the identity.
        if self.ch_names is None:
            self.ch_names = list(SEED_CH_NAMES[: self.n_chans])
        self.ch_names = list(validate_ch_names(self.ch_names))
        if self.subject_ids is None:
            self.subject_ids = list(DEFAULT_SUBJECT_IDS)
        self.subject_ids = [int(s) for s in self.subject_ids]
        if self.emotion_labels is None:
            self.emotion_labels = list(DEFAULT_EMOTION_LABELS)
        self.emotion_labels = [str(e) for e in self.emotion_labels]
        self.sfreq = float(self.sfreq)
        self.hemispheric_weight = float(self.hemispheric_weight)
        self.video_dropout_prob = float(self.video_dropout_prob)
        if self.eeg_mean is None:
            self.eeg_mean = [0.0] * self.n_chans
        if self.eeg_std is None:
            self.eeg_std = [1.0] * self.n_chans
        self.eeg_mean = [float(v) for v in self.eeg_mean]
        self.eeg_std = [float(v) for v in self.eeg_std]
        self._check()
        super().__post_init__(**kwargs)

    def _check(self) -> None:
        """Raise ValueError (naming the field, expected and received) on inconsistent values."""
        positive_ints = (
            "n_chans",
            "n_times",
            "k_neighbors",
            "num_frames",
            "video_token_dim",
            "hidden_size",
            "num_attention_heads",
            "num_graph_layers",
            "position_frequencies",
        )
        for name in positive_ints:
            value = getattr(self, name)
            if value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value}")
        if not self.sfreq > 0:
            raise ValueError(f"sfreq must be positive, got {self.sfreq}")
        if len(self.ch_names) != self.n_chans:
            raise ValueError(
                f"ch_names must have n_chans={self.n_chans} entries, got {len(self.ch_names)}"
            )
        if not 1 <= self.k_neighbors < self.n_chans:
            raise ValueError(
                f"k_neighbors must be in [1, {self.n_chans - 1}], got {self.k_neighbors}"
            )
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be divisible by num_attention_heads "
                f"({self.num_attention_heads})"
            )
        if self.graph_layer_type not in GRAPH_LAYER_TYPES:
            raise ValueError(
                f"graph_layer_type must be one of {list(GRAPH_LAYER_TYPES)}, got "
                f"{self.graph_layer_type!r}"
            )
        if not self.subject_ids:
            raise ValueError("subject_ids must list at least one subject id, got []")
        if len(set(self.subject_ids)) != len(self.subject_ids):
            raise ValueError(f"subject_ids must be unique, got {self.subject_ids}")
        if not self.emotion_labels:
            raise ValueError("emotion_labels must list at least one emotion name, got []")
        if len(set(self.emotion_labels)) != len(self.emotion_labels):
            raise ValueError(f"emotion_labels must be unique, got {self.emotion_labels}")
        for name in ("eeg_mean", "eeg_std"):
            values = getattr(self, name)
            if len(values) != self.n_chans:
                raise ValueError(
                    f"{name} must have n_chans={self.n_chans} values, got {len(values)}"
                )
            if not all(math.isfinite(v) for v in values):
                raise ValueError(f"{name} must be finite, got {values}")
        if min(self.eeg_std) <= 0:
            raise ValueError(f"eeg_std must be > 0 for every channel, got min {min(self.eeg_std)}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if not 0 <= self.video_dropout_prob < 1:
            raise ValueError(f"video_dropout_prob must be in [0, 1), got {self.video_dropout_prob}")

    @property
    def num_subjects(self) -> int:
        """Number of subject embedding rows (``len(subject_ids)``)."""
        return len(self.subject_ids)

    @property
    def num_emotions(self) -> int:
        """Number of real emotion classes (the null class not counted)."""
        return len(self.emotion_labels)

    @property
    def null_emotion_id(self) -> int:
        """Id of the null ("no emotion") class used for classifier-free guidance."""
        return len(self.emotion_labels)

    def set_eeg_stats(self, mean: Sequence[float], std: Sequence[float]) -> None:
        """Store per-channel normalisation statistics (µV), checking them like ``__init__``."""
        old = (self.eeg_mean, self.eeg_std)
        self.eeg_mean = [float(v) for v in mean]
        self.eeg_std = [float(v) for v in std]
        try:
            self._check()
        except ValueError:
            self.eeg_mean, self.eeg_std = old
            raise


# First registration wins: a self-contained Hub copy of this module loaded with
# trust_remote_code in the same process must not replace the installed package's class.
if Video2EEGConfig.model_type not in CONFIG_MAPPING:
    AutoConfig.register(Video2EEGConfig.model_type, Video2EEGConfig)

__all__ = ["DEFAULT_EMOTION_LABELS", "DEFAULT_SUBJECT_IDS", "GRAPH_LAYER_TYPES", "Video2EEGConfig"]
