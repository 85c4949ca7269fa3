"""The SEED 62-channel montage and the electrode graph the SPGN runs on.

SEED / SEED-DV record with a 62-channel ESI NeuroScan Quik-Cap in the order of
:data:`SEED_CH_NAMES`. Positions come from MNE's ``colin27_1005`` template (the data
behind the old ``standard_1005`` name) for 60 channels. The two cerebellar channels
CB1/CB2 are not part of the 10-05 system; we place them at the 10-05 positions OI1/OI2
(one ring below O1/O2, i.e. posterior and inferior to them), which is where the Quik-Cap
puts its cerebellar pair. That substitution is ours and is recorded in
:data:`POSITION_SOURCES`.

The graph (:func:`build_electrode_graph`) has two kinds of edges:

* volume-conduction neighbours: each electrode is linked to its ``k`` nearest electrodes
  (Euclidean distance on the template head), symmetrised, weighted by a Gaussian kernel
  ``exp(-d² / (2 σ²))`` with ``σ`` the median neighbour distance;
* hemispheric pairs: homologous left/right electrodes (FP1–FP2, T7–T8, CB1–CB2, …; odd
  numbers are left, even right in the 10-20 naming), weighted by ``hemispheric_weight``.

There are no self-loops: graph layers that want them (``DenseGCNConv``) add their own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

SEED_CH_NAMES: tuple[str, ...] = (
    "FP1", "FPZ", "FP2", "AF3", "AF4", "F7", "F5", "F3", "F1", "FZ", "F2", "F4", "F6", "F8",
    "FT7", "FC5", "FC3", "FC1", "FCZ", "FC2", "FC4", "FC6", "FT8", "T7", "C5", "C3", "C1",
    "CZ", "C2", "C4", "C6", "T8", "TP7", "CP5", "CP3", "CP1", "CPZ", "CP2", "CP4", "CP6",
    "TP8", "P7", "P5", "P3", "P1", "PZ", "P2", "P4", "P6", "P8", "PO7", "PO5", "PO3", "POZ",
    "PO4", "PO6", "PO8", "CB1", "O1", "OZ", "O2", "CB2",
)  # fmt: skip
"""The 62 SEED channels in recording order (the row order of every SEED-DV EEG array)."""

SEED_SFREQ: float = 200.0
"""SEED-DV's (down-sampled) sampling frequency in Hz."""

TEMPLATE_MONTAGE = "colin27_1005"
# CB1/CB2 are not 10-05 positions; OI1/OI2 sit where the Quik-Cap's cerebellar pair sits.
_SUBSTITUTES = {"CB1": "OI1", "CB2": "OI2"}
POSITION_SOURCES: dict[str, str] = {
    name: (
        f"{TEMPLATE_MONTAGE}:{_SUBSTITUTES[name]} (substitute)"
        if name in _SUBSTITUTES
        else TEMPLATE_MONTAGE
    )
    for name in SEED_CH_NAMES
}
"""Where each channel's 3-D position comes from."""


def validate_ch_names(ch_names: Sequence[str]) -> tuple[str, ...]:
    """Check a channel list against the SEED montage and return it in canonical spelling.

    Matching is case-insensitive (``"Fp1"`` is ``"FP1"``); the order given is kept.

    Raises
    ------
    ValueError
        If any name is unknown or appears more than once; the message names them.
    """
    if isinstance(ch_names, str):
        raise ValueError(
            f"ch_names must be a sequence of channel names, got the string {ch_names!r}"
        )
    canonical = [str(name).strip().upper() for name in ch_names]
    if not canonical:
        raise ValueError("ch_names is empty: expected at least one SEED channel name")
    known = set(SEED_CH_NAMES)
    unknown = [orig for orig, name in zip(ch_names, canonical, strict=True) if name not in known]
    duplicates = sorted(name for name, count in Counter(canonical).items() if count > 1)
    problems = []
    if unknown:
        problems.append(f"unknown channel names {unknown} (not in the SEED 62-channel montage)")
    if duplicates:
        problems.append(f"duplicate channel names {duplicates}")
    if problems:
        raise ValueError("Invalid ch_names: " + "; ".join(problems))
    return tuple(canonical)


@lru_cache(maxsize=1)
def _template_positions() -> dict[str, np.ndarray]:
    import mne

    montage = mne.channels.make_standard_montage(TEMPLATE_MONTAGE)
    return {name.upper(): pos for name, pos in montage.get_positions()["ch_pos"].items()}


def electrode_positions(ch_names: Sequence[str] = SEED_CH_NAMES) -> np.ndarray:
    """3-D head-frame positions of the channels.

    Returns
    -------
    np.ndarray
        Shape ``(n_chans, 3)``, metres, MNE head coordinates (x right, y anterior, z up).
    """
    names = validate_ch_names(ch_names)
    template = _template_positions()
    return np.stack([template[_SUBSTITUTES.get(name, name)] for name in names]).astype(np.float64)


_NAME_PARTS = re.compile(r"^([A-Z]+)(\d+|Z)$")


def hemispheric_pairs(ch_names: Sequence[str] = SEED_CH_NAMES) -> list[tuple[int, int]]:
    """Index pairs ``(left, right)`` of homologous electrodes present in ``ch_names``.

    In 10-20 naming odd numbers are left, even numbers right, and ``n`` pairs with ``n + 1``
    (F7–F8, PO5–PO6, CB1–CB2). Midline electrodes (suffix ``Z``) have no pair.
    """
    names = validate_ch_names(ch_names)
    index = {name: i for i, name in enumerate(names)}
    pairs = []
    for name, i in index.items():
        match = _NAME_PARTS.match(name)
        if match is None or match.group(2) == "Z" or int(match.group(2)) % 2 == 0:
            continue
        partner = f"{match.group(1)}{int(match.group(2)) + 1}"
        if partner in index:
            pairs.append((i, index[partner]))
    return pairs


def is_midline(name: str) -> bool:
    """Whether a 10-20 name lies on the midline (``FZ``, ``OZ``, …)."""
    return name.upper().endswith("Z")


@dataclass(frozen=True)
class ElectrodeGraph:
    """A fixed, undirected, weighted graph over EEG electrodes.

    Attributes
    ----------
    ch_names : tuple of str
        Node names, in node order.
    positions : np.ndarray
        ``(n_chans, 3)`` positions in metres.
    adjacency : np.ndarray
        ``(n_chans, n_chans)`` symmetric, non-negative weights, zero diagonal.
    """

    ch_names: tuple[str, ...]
    positions: np.ndarray
    adjacency: np.ndarray

    @property
    def n_chans(self) -> int:
        return len(self.ch_names)

    def edge_index(self) -> tuple[np.ndarray, np.ndarray]:
        """COO form: ``edge_index`` of shape ``(2, n_edges)`` (both directions) and ``edge_weight``."""
        rows, cols = np.nonzero(self.adjacency)
        return np.stack([rows, cols]).astype(np.int64), self.adjacency[rows, cols].astype(
            np.float32
        )

    def adjacency_tensor(self):
        """The dense adjacency as a ``torch.float32`` tensor of shape ``(n_chans, n_chans)``."""
        import torch

        return torch.from_numpy(self.adjacency.astype(np.float32))


def build_electrode_graph(
    ch_names: Sequence[str] = SEED_CH_NAMES,
    k_neighbors: int = 4,
    hemispheric_weight: float = 0.5,
) -> ElectrodeGraph:
    """Build the montage graph: k-nearest-neighbour distance edges plus hemispheric pairs.

    Parameters
    ----------
    ch_names : sequence of str
        Channels (nodes), any subset of the SEED montage, in the order wanted.
    k_neighbors : int
        Nearest neighbours per electrode before symmetrisation (so degrees are ≥ k).
    hemispheric_weight : float
        Weight of the left/right homologous-pair edges; 0 leaves them out.

    Returns
    -------
    ElectrodeGraph
    """
    names = validate_ch_names(ch_names)
    n = len(names)
    if not 1 <= k_neighbors < n:
        raise ValueError(f"k_neighbors must be in [1, {n - 1}] for {n} channels, got {k_neighbors}")
    if hemispheric_weight < 0:
        raise ValueError(f"hemispheric_weight must be >= 0, got {hemispheric_weight}")
    positions = electrode_positions(names)
    distances = np.linalg.norm(positions[:, None, :] - positions[None, :, :], axis=-1)
    np.fill_diagonal(distances, np.inf)
    neighbours = np.argsort(distances, axis=1)[:, :k_neighbors]
    mask = np.zeros((n, n), dtype=bool)
    mask[np.repeat(np.arange(n), k_neighbors), neighbours.ravel()] = True
    mask |= mask.T
    sigma = np.median(distances[mask])
    adjacency = np.where(mask, np.exp(-(distances**2) / (2 * sigma**2)), 0.0)
    if hemispheric_weight > 0:
        for left, right in hemispheric_pairs(names):
            weight = max(adjacency[left, right], hemispheric_weight)
            adjacency[left, right] = adjacency[right, left] = weight
    np.fill_diagonal(adjacency, 0.0)
    return ElectrodeGraph(ch_names=names, positions=positions, adjacency=adjacency)


def make_montage(ch_names: Sequence[str] = SEED_CH_NAMES):
    """An :class:`mne.channels.DigMontage` with our positions for ``ch_names``."""
    import mne

    names = validate_ch_names(ch_names)
    positions = electrode_positions(names)
    template = mne.channels.make_standard_montage(TEMPLATE_MONTAGE).get_positions()
    fiducials = {key: template[key] for key in ("nasion", "lpa", "rpa")}
    return mne.channels.make_dig_montage(
        ch_pos=dict(zip(names, positions, strict=True)), coord_frame="head", **fiducials
    )


def make_info(ch_names: Sequence[str] = SEED_CH_NAMES, sfreq: float = SEED_SFREQ):
    """An :class:`mne.Info` for EEG channels ``ch_names`` at ``sfreq`` Hz with the montage set."""
    import mne

    names = validate_ch_names(ch_names)
    if not sfreq > 0:
        raise ValueError(f"sfreq must be positive, got {sfreq}")
    info = mne.create_info(list(names), sfreq=float(sfreq), ch_types="eeg")
    info.set_montage(make_montage(names))
    return info
