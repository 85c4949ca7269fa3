"""Figures for humans and model/dataset cards: spectra by region, topomaps, covariances.

:func:`write_figures` writes three PNGs (atomically: temp file in the same folder, then
``os.replace``):

* ``psd_by_region.png`` — median PSD (with the interquartile band over clips) of real and
  generated EEG for the frontal, central, temporal, parietal and occipital channels;
* ``band_power_topomaps.png`` — mean band power per SEED band on the scalp (MNE topomaps),
  real and generated on a shared colour scale, and their difference in dB;
* ``covariance.png`` — mean within-clip channel covariance of both sets and the difference.

Figures are drawn on :class:`matplotlib.figure.Figure` objects (no pyplot state), so this is
safe to call from any thread and never opens a window.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from evaluation.inputs import EEGSet, as_eeg_set, check_pair
from evaluation.regions import region_indices
from evaluation.spatial import set_mean_covariance
from evaluation.spectral import POWER_FLOOR, SEED_BANDS, check_bands, set_band_powers, set_psd
from modeling_video2eeg.montage import SEED_CH_NAMES, SEED_SFREQ, make_info

COLORS = {"real": "#1f77b4", "generated": "#d62728"}


@threadpool_limits.wrap(limits=1, user_api="blas")
def write_figures(
    real: Any,
    generated: Any,
    out_dir: str | os.PathLike[str],
    sfreq: float = SEED_SFREQ,
    ch_names: Sequence[str] = SEED_CH_NAMES,
    dpi: int = 120,
) -> list[Path]:
    """Write the evaluation figures as PNG files.

    Parameters
    ----------
    real, generated : array-like or EEGSet
        Clips, shape ``(n_clips, n_chans, n_times)``, microvolts.
    out_dir : path
        Folder to write into (created if needed).
    sfreq : float
        Sampling frequency in Hz (for arrays).
    ch_names : sequence of str
        Channel names (for arrays), SEED montage names.
    dpi : int
        Resolution.

    Returns
    -------
    list of Path
        The files written: ``psd_by_region.png``, ``band_power_topomaps.png``,
        ``covariance.png``.
    """
    metric = "write_figures"
    real = as_eeg_set(real, metric, "real", sfreq, ch_names)
    generated = as_eeg_set(generated, metric, "generated", sfreq, ch_names)
    check_pair(real, generated, metric)
    check_bands(real, metric)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = {
        "psd_by_region.png": _psd_by_region(real, generated),
        "band_power_topomaps.png": _topomaps(real, generated),
        "covariance.png": _covariances(real, generated),
    }
    return [_save(figure, out_dir / name, dpi) for name, figure in figures.items()]


def _psd_by_region(real: EEGSet, generated: EEGSet):
    from matplotlib.figure import Figure

    regions = region_indices(real.ch_names)
    figure = Figure(figsize=(3.2 * len(regions), 3.2), layout="constrained")
    axes = figure.subplots(1, len(regions), sharey=True, squeeze=False)[0]
    for ax, (region, picks) in zip(axes, regions.items(), strict=True):
        for role, eeg in (("real", real), ("generated", generated)):
            freqs, psd = set_psd(eeg)
            keep = (freqs >= 1) & (freqs <= 50)
            per_clip = psd[:, picks][..., keep].mean(axis=1)  # (n_clips, n_freqs)
            low, median, high = np.quantile(per_clip, [0.25, 0.5, 0.75], axis=0)
            ax.fill_between(freqs[keep], low, high, color=COLORS[role], alpha=0.2, linewidth=0)
            ax.plot(freqs[keep], median, color=COLORS[role], label=f"{role} (n={eeg.n_clips})")
        ax.set_yscale("log")
        ax.set_title(f"{region} ({len(picks)} ch)")
        ax.set_xlabel("Hz")
        for low_edge, _ in list(SEED_BANDS.values())[1:]:
            ax.axvline(low_edge, color="0.8", linewidth=0.6, zorder=0)
    axes[0].set_ylabel("PSD (µV²/Hz), median and IQR")
    axes[-1].legend(loc="upper right", fontsize="small")
    return figure


def _topomaps(real: EEGSet, generated: EEGSet):
    import mne
    from matplotlib.figure import Figure

    info = make_info(real.ch_names, real.sfreq)
    maps = {
        role: 10 * np.log10(set_band_powers(eeg).mean(axis=0) + POWER_FLOOR)  # dB re 1 µV²
        for role, eeg in (("real", real), ("generated", generated))
    }
    difference = maps["generated"] - maps["real"]
    n_bands = len(SEED_BANDS)
    figure = Figure(figsize=(2.4 * n_bands, 7.2), layout="constrained")
    axes = figure.subplots(3, n_bands, squeeze=False)
    limit = max(float(np.abs(difference).max()), 0.1)
    for column, band in enumerate(SEED_BANDS):
        low = min(maps["real"][:, column].min(), maps["generated"][:, column].min())
        high = max(maps["real"][:, column].max(), maps["generated"][:, column].max())
        for row, role in enumerate(("real", "generated")):
            image, _ = mne.viz.plot_topomap(
                maps[role][:, column], info, axes=axes[row, column], show=False,
                vlim=(low, high), cmap="viridis", contours=0,
            )  # fmt: skip
            axes[row, column].set_title(f"{role}\n{band} {_band_label(band)}", fontsize="small")
        figure.colorbar(image, ax=axes[:2, column], shrink=0.6, label="dB re µV²")
        diff_image, _ = mne.viz.plot_topomap(
            difference[:, column], info, axes=axes[2, column], show=False,
            vlim=(-limit, limit), cmap="RdBu_r", contours=0,
        )  # fmt: skip
        axes[2, column].set_title(f"generated − real\n{band}", fontsize="small")
    figure.colorbar(diff_image, ax=axes[2, :], shrink=0.6, label="dB")
    return figure


def _covariances(real: EEGSet, generated: EEGSet):
    from matplotlib.figure import Figure

    matrices = {
        "real": set_mean_covariance(real),
        "generated": set_mean_covariance(generated),
    }
    matrices["generated − real"] = matrices["generated"] - matrices["real"]
    shared = max(float(np.abs(matrices["real"]).max()), float(np.abs(matrices["generated"]).max()))
    figure = Figure(figsize=(15, 5), layout="constrained")
    axes = figure.subplots(1, 3)
    ticks = np.arange(0, real.n_chans, max(1, real.n_chans // 16))
    for ax, (title, matrix) in zip(axes, matrices.items(), strict=True):
        limit = shared if title != "generated − real" else max(float(np.abs(matrix).max()), 1e-6)
        image = ax.imshow(matrix, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(f"{title}: channel covariance")
        ax.set_xticks(ticks, [real.ch_names[i] for i in ticks], rotation=90, fontsize=6)
        ax.set_yticks(ticks, [real.ch_names[i] for i in ticks], fontsize=6)
        figure.colorbar(image, ax=ax, shrink=0.8, label="µV²")
    return figure


def _band_label(band: str) -> str:
    low, high = SEED_BANDS[band]
    return f"{low:g}–{high:g} Hz"


def _save(figure, path: Path, dpi: int) -> Path:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".png")
    try:
        with os.fdopen(handle, "wb") as stream:
            figure.savefig(stream, format="png", dpi=dpi)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
