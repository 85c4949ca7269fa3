from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components

from modeling_video2eeg.montage import (
    POSITION_SOURCES,
    SEED_CH_NAMES,
    build_electrode_graph,
    electrode_positions,
    hemispheric_pairs,
    is_midline,
    make_info,
    validate_ch_names,
)

# Written out independently of the module (from DESIGN.md) so a reordering is caught.
EXPECTED_ORDER = [
    "FP1",
    "FPZ",
    "FP2",
    "AF3",
    "AF4",
    "F7",
    "F5",
    "F3",
    "F1",
    "FZ",
    "F2",
    "F4",
    "F6",
    "F8",
    "FT7",
    "FC5",
    "FC3",
    "FC1",
    "FCZ",
    "FC2",
    "FC4",
    "FC6",
    "FT8",
    "T7",
    "C5",
    "C3",
    "C1",
    "CZ",
    "C2",
    "C4",
    "C6",
    "T8",
    "TP7",
    "CP5",
    "CP3",
    "CP1",
    "CPZ",
    "CP2",
    "CP4",
    "CP6",
    "TP8",
    "P7",
    "P5",
    "P3",
    "P1",
    "PZ",
    "P2",
    "P4",
    "P6",
    "P8",
    "PO7",
    "PO5",
    "PO3",
    "POZ",
    "PO4",
    "PO6",
    "PO8",
    "CB1",
    "O1",
    "OZ",
    "O2",
    "CB2",
]


@pytest.fixture(scope="module")
def graph():
    return build_electrode_graph()


def test_channel_names_are_seed_order_and_unique():
    assert list(SEED_CH_NAMES) == EXPECTED_ORDER
    assert len(set(SEED_CH_NAMES)) == 62


def test_positions_are_finite_distinct_and_on_a_head():
    pos = electrode_positions()
    assert pos.shape == (62, 3)
    assert np.isfinite(pos).all()
    radius = np.linalg.norm(pos, axis=1)
    assert (radius > 0.05).all() and (radius < 0.15).all()
    d = np.linalg.norm(pos[:, None] - pos[None], axis=-1) + np.eye(62)
    assert d.min() > 0.005  # no two electrodes share a place


def test_left_right_and_front_back_geometry():
    pos = dict(zip(SEED_CH_NAMES, electrode_positions(), strict=True))
    assert pos["T7"][0] < 0 < pos["T8"][0]
    assert pos["FPZ"][1] > pos["CZ"][1] > pos["OZ"][1]
    for cb, o in (("CB1", "O1"), ("CB2", "O2")):
        assert pos[cb][1] < pos[o][1], f"{cb} should be posterior to {o}"
        assert pos[cb][2] < pos[o][2], f"{cb} should be inferior to {o}"
    assert "substitute" in POSITION_SOURCES["CB1"]


def test_adjacency_symmetric_nonnegative_no_self_loops_connected(graph):
    a = graph.adjacency
    assert a.shape == (62, 62)
    np.testing.assert_array_equal(a, a.T)
    assert (a >= 0).all()
    assert (np.diag(a) == 0).all()
    n_components, _ = connected_components(a > 0, directed=False)
    assert n_components == 1
    assert ((a > 0).sum(axis=1) >= 4).all()


def test_distance_weights_decrease_with_distance(graph):
    pos = graph.positions
    mask = graph.adjacency > 0
    pairs = set(hemispheric_pairs())
    pairs |= {(j, i) for i, j in pairs}
    rows, cols = np.nonzero(mask)
    keep = [(i, j) for i, j in zip(rows, cols, strict=True) if (i, j) not in pairs]
    d = np.array([np.linalg.norm(pos[i] - pos[j]) for i, j in keep])
    w = np.array([graph.adjacency[i, j] for i, j in keep])
    order = np.argsort(d)
    assert np.all(np.diff(w[order]) <= 1e-12)


def test_every_node_has_a_hemispheric_pair_or_is_midline(graph):
    paired = {i for pair in hemispheric_pairs() for i in pair}
    for i, name in enumerate(SEED_CH_NAMES):
        assert (i in paired) != is_midline(name), name
    for left, right in hemispheric_pairs():
        assert graph.adjacency[left, right] > 0
        pos = graph.positions
        assert pos[left][0] < 0 < pos[right][0]
        assert abs(pos[left][1] - pos[right][1]) < 0.01  # mirror images front-to-back


def test_edge_index_matches_dense(graph):
    edge_index, edge_weight = graph.edge_index()
    dense = np.zeros((62, 62))
    dense[edge_index[0], edge_index[1]] = edge_weight
    np.testing.assert_allclose(dense, graph.adjacency, rtol=1e-6)
    import torch
    from torch_geometric.utils import to_dense_adj

    pyg_dense = to_dense_adj(
        torch.from_numpy(edge_index), edge_attr=torch.from_numpy(edge_weight), max_num_nodes=62
    )[0]
    torch.testing.assert_close(pyg_dense, graph.adjacency_tensor())


def test_graph_on_channel_subset_keeps_given_order():
    g = build_electrode_graph(["O2", "oz", "O1", "PZ", "POZ", "CB1", "CB2"], k_neighbors=2)
    assert g.ch_names == ("O2", "OZ", "O1", "PZ", "POZ", "CB1", "CB2")
    assert g.adjacency.shape == (7, 7)
    assert (2, 0) in hemispheric_pairs(g.ch_names)  # O1 (index 2) pairs with O2 (index 0)


@pytest.mark.parametrize(
    ("names", "needle"),
    [(["FP1", "XYZ", "CZ"], "XYZ"), (["FP1", "CZ", "cz"], "CZ"), ([], "empty"), ("CZ", "string")],
)
def test_bad_channel_sets_name_the_problem(names, needle):
    with pytest.raises(ValueError, match=needle):
        validate_ch_names(names)
    with pytest.raises(ValueError, match=needle):
        build_electrode_graph(names)


def test_bad_graph_parameters():
    with pytest.raises(ValueError, match="k_neighbors"):
        build_electrode_graph(k_neighbors=62)
    with pytest.raises(ValueError, match="hemispheric_weight"):
        build_electrode_graph(hemispheric_weight=-1)


def test_mne_info_and_topomap_png(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mne

    info = make_info()
    assert info["nchan"] == 62 and info["sfreq"] == 200.0
    assert info.get_montage() is not None
    data = np.random.default_rng(0).standard_normal(62)
    fig, ax = plt.subplots()
    mne.viz.plot_topomap(data, info, axes=ax, show=False)
    out = tmp_path / "topomap.png"
    fig.savefig(out)
    plt.close(fig)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 5_000
