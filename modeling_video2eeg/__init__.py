"""Models of video2eeg: the SEED montage and electrode graph, video encoders, SPGN, EEG denoiser.

Importing this package registers ``Video2EEGConfig`` with ``transformers.AutoConfig`` and
``SPGNModel`` with ``transformers.AutoModel`` (model type ``"video2eeg_spgn"``).
"""

from .adaptation import adapt_new_subject
from .configuration_video2eeg import Video2EEGConfig
from .denoiser import EEGDenoiser, EEGDenoiserOutput, diffusion_target
from .modeling_spgn import SPGNModel, SPGNOutput, SPGNPreTrainedModel
from .montage import (
    SEED_CH_NAMES,
    SEED_SFREQ,
    ElectrodeGraph,
    build_electrode_graph,
    electrode_positions,
    hemispheric_pairs,
    make_info,
    make_montage,
    validate_ch_names,
)
from .video_encoders import LowLevelVideoEncoder, TransformersVideoEncoder

__all__ = [
    "SEED_CH_NAMES",
    "SEED_SFREQ",
    "EEGDenoiser",
    "EEGDenoiserOutput",
    "ElectrodeGraph",
    "LowLevelVideoEncoder",
    "SPGNModel",
    "SPGNOutput",
    "SPGNPreTrainedModel",
    "TransformersVideoEncoder",
    "Video2EEGConfig",
    "adapt_new_subject",
    "build_electrode_graph",
    "diffusion_target",
    "electrode_positions",
    "hemispheric_pairs",
    "make_info",
    "make_montage",
    "validate_ch_names",
]
