"""Models of video2eeg: the SEED montage and electrode graph, video encoders, SPGN, EEG denoiser."""

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

__all__ = [
    "SEED_CH_NAMES",
    "SEED_SFREQ",
    "ElectrodeGraph",
    "build_electrode_graph",
    "electrode_positions",
    "hemispheric_pairs",
    "make_info",
    "make_montage",
    "validate_ch_names",
]
