"""Metrics for generated EEG: spectra, spatial structure, temporal structure, distribution
distances, conditional fidelity, stimulus alignment and memorisation, plus reference
generators (surrogates) and the report/figures the ``video2eeg evaluate`` command writes.

Every metric takes two sets of clips shaped ``(n_clips, n_chans, n_times)`` (microvolts,
SEED channel order, ``sfreq`` 200 Hz by default) and returns a dict with a headline
``value``, its ``ideal`` and which direction is ``better``. :func:`evaluate` runs them all.
"""

from evaluation.inputs import EEGSet
from evaluation.report import METRICS, evaluate, headline
from evaluation.spectral import SEED_BANDS

__all__ = ["METRICS", "SEED_BANDS", "EEGSet", "evaluate", "headline", "write_figures"]


def __getattr__(name: str):
    # Figures pull in matplotlib and MNE; import them only when asked for.
    if name == "write_figures":
        from evaluation.figures import write_figures

        return write_figures
    raise AttributeError(f"module 'evaluation' has no attribute {name!r}")
