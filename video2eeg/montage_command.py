"""``video2eeg montage``: print the SEED montage graph and optionally draw it."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "montage", help="Show the SEED 62-channel montage and electrode graph."
    )
    parser.add_argument("--k-neighbors", type=int, default=4)
    parser.add_argument("--hemispheric-weight", type=float, default=0.5)
    parser.add_argument("--plot", type=Path, help="Write a PNG of the sensor layout here.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from modeling_video2eeg.montage import POSITION_SOURCES, build_electrode_graph, make_info

    graph = build_electrode_graph(
        k_neighbors=args.k_neighbors, hemispheric_weight=args.hemispheric_weight
    )
    edge_index, _ = graph.edge_index()
    degrees = (graph.adjacency > 0).sum(axis=1)
    print(
        f"{graph.n_chans} channels, {edge_index.shape[1] // 2} undirected edges, "
        f"degree {degrees.min()}..{degrees.max()}"
    )
    for name, degree in zip(graph.ch_names, degrees, strict=True):
        print(f"  {name:<4} degree {degree:<2} position {POSITION_SOURCES[name]}")
    if args.plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import mne

        info = make_info(graph.ch_names)
        fig = mne.viz.plot_sensors(info, show_names=True, show=False)
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.plot, dpi=120)
        print(f"wrote {args.plot}")
    return 0
