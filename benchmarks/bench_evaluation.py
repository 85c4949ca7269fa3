"""Benchmark the full evaluation report: 2 000 real vs 2 000 generated clips of (62, 400).

Run from the repository root::

    .venv/bin/python benchmarks/bench_evaluation.py            # 2 000 vs 2 000, figures too
    .venv/bin/python benchmarks/bench_evaluation.py --n-clips 500 --no-figures

Data: EEG-like clips from :func:`evaluation.synthetic.correlated_noise` (10 subjects with
their own alpha peak, 3 emotions with their own channel-gain map, 40 concepts, 200 stimulus
clips × 10 repeats), plus a real training set of the same size, so every metric runs:
spectral, spatial, temporal, distributional (MMD with 200 permutations, FID-EEG), conditional
for subject, emotion and concept, stimulus alignment and memorisation. Prints the seconds
per shared intermediate and per metric, and the total. The goal is under 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluation.figures import write_figures
from evaluation.inputs import EEGSet
from evaluation.report import evaluate
from evaluation.synthetic import correlated_noise


def make_set(n_clips: int, seed: int, shift_hz: float = 0.0) -> tuple[np.ndarray, dict, np.ndarray]:
    rng = np.random.default_rng(seed)
    subjects = rng.integers(1, 11, n_clips)
    emotions = rng.integers(0, 3, n_clips)
    concepts = rng.integers(1, 41, n_clips)
    maps = np.exp(np.random.default_rng(7).uniform(-0.3, 0.3, (3, 62)))
    eeg = correlated_noise(
        n_clips,
        alpha_peak_hz=8.5 + 0.3 * subjects + shift_hz,
        channel_gain=maps[emotions],
        seed=seed,
    )
    keys = np.arange(n_clips) % 200  # 200 stimulus clips, n_clips / 200 repeats each
    return eeg, {"subject": subjects, "emotion": emotions, "concept": concepts}, keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-clips", type=int, default=2000)
    parser.add_argument("--no-figures", action="store_true")
    args = parser.parse_args()

    start = time.perf_counter()
    real, labels_real, keys_real = make_set(args.n_clips, seed=1)
    generated, labels_generated, keys_generated = make_set(args.n_clips, seed=2, shift_hz=0.3)
    train, labels_train, _ = make_set(args.n_clips, seed=3)
    print(
        f"data: 3 x {real.shape} float32 in {time.perf_counter() - start:.1f} s "
        f"(cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f})"
    )

    cpu_start = time.process_time()
    # EEGSets keep the PSDs and covariances evaluate() computes, for write_figures below.
    real, generated = EEGSet(real), EEGSet(generated)
    report = evaluate(
        real,
        generated,
        labels_real=labels_real,
        labels_generated=labels_generated,
        real_train=train,
        labels_train=labels_train,
        clip_keys_real=keys_real,
        clip_keys_generated=keys_generated,
        seed=0,
    )
    cpu = time.process_time() - cpu_start
    timing = report["timing"]
    print("\nshared intermediates (s):")
    for name, seconds in timing["shared_seconds"].items():
        print(f"  {name:<32} {seconds:7.2f}")
    print("metrics:                          wall s   CPU s")
    for name, result in report["metrics"].items():
        value = result.get("value")
        shown = "n/a" if value is None else f"{value:.4g}"
        print(f"  {name:<32} {result['seconds']:7.2f} {result['cpu_seconds']:7.2f}   value {shown}")
    if report["skipped"]:
        print("skipped:", report["skipped"])
    print(
        f"\nevaluate total: {timing['total_seconds']:.1f} s wall, {cpu:.1f} s CPU "
        f"({args.n_clips} vs {args.n_clips} clips, + {args.n_clips} training clips)"
    )

    if not args.no_figures:
        with tempfile.TemporaryDirectory() as folder:
            figure_start = time.perf_counter()
            paths = write_figures(real, generated, folder)
            print(f"write_figures: {len(paths)} PNGs in {time.perf_counter() - figure_start:.1f} s")
    print(f"end-to-end: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
