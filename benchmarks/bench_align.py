"""Benchmark SEED-DV alignment on one full-size simulated subject (7 × 62 × 104 000 float32).

Simulates (once, in ``--workdir``) a SEED-DV tree with one subject at full size — the EEG file
is 180.5 MB, the seven block videos 520 s each at ``--video-size`` — then measures, each phase
in a fresh Python process so peak RSS belongs to that phase alone:

* ``eeg``: iterate all 1 400 aligned clips through the memory-mapped reader (EEG only);
* ``check``: the alignment report (headers, videos, and a full NaN/flat/saturation scan);
* ``align``: ``write_aligned_dataset`` (no checks): cut and re-encode every clip's video,
  label it (simulator ground truth), write 7 Parquet shards and the README.

Printed per phase: wall and CPU time (the CPU time is the steadier figure on a shared
machine), clips/s, EEG MB/s (bytes of EEG read: clips × 62 × 400 × 4, or
the whole file for the scan), peak RSS and peak anonymous RSS, each with the increase over what
the interpreter held after its imports, to set against the 180.5 MB file. Peak RSS includes the
file-backed pages the memory map touched (reclaimable page cache, not a copy of the file);
anonymous RSS is the memory the phase really allocates. (The import baseline is
dominated by torch/transformers/diffusers, which ``import modeling_video2eeg.montage`` pulls in
through the package ``__init__``.) Simulation time is printed too (EEG and
videos separately).

Usage::

    .venv/bin/python benchmarks/bench_align.py [--workdir DIR] [--video-size 64x48] [--keep]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MB = 1e6


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    return float("nan")


class AnonPeak:
    """Peak anonymous RSS (heap, arrays) sampled every 5 ms in a thread.

    ``ru_maxrss`` also counts the file-backed pages a memory map has touched (clean page
    cache the kernel can drop at any time), so it grows with the EEG read even though no
    copy of the file is ever held; ``RssAnon`` is the memory the process really owns.
    """

    def __init__(self) -> None:
        self.peak = _status_mb("RssAnon")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _status_mb("RssAnon"))

    def __enter__(self) -> AnonPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _status_mb("RssAnon"))


def _layout():
    from dataset_builder.layout import SEEDDVLayout

    return SEEDDVLayout(n_subjects=1, second_sessions=())


def phase(name: str, root: Path, out: Path) -> dict:
    """Run one phase in this process; return its figures."""
    from dataset_builder.alignment_report import check_alignment
    from dataset_builder.builder import AlignOptions, write_aligned_dataset
    from dataset_builder.reader import SEEDDVReader

    layout = _layout()
    baseline = _rss_mb()
    anon_baseline = _status_mb("RssAnon")
    eeg_file = layout.eeg_path(root, 1).stat().st_size
    clip_bytes = layout.n_chans * layout.clip_samples * 4
    start = time.perf_counter()
    cpu = time.process_time()
    sampler = AnonPeak().__enter__()
    if name == "eeg":
        reader = SEEDDVReader(root, layout)
        n, checksum = 0, 0.0
        for clip in reader.iter_clips():
            checksum += float(clip.eeg[0, 0])
            n += 1
        eeg_bytes = n * clip_bytes
    elif name == "check":
        report = check_alignment(root, layout)
        assert report.passed, report.to_text()
        n, eeg_bytes = 0, eeg_file
    elif name == "align":
        result = write_aligned_dataset(
            root, out, layout, AlignOptions(use_ground_truth=True), check=False, progress=False
        )
        n = sum(result.num_rows.values())
        eeg_bytes = n * clip_bytes
    else:
        raise ValueError(name)
    sampler.__exit__()
    seconds = time.perf_counter() - start
    return {
        "anon_after_imports_mb": anon_baseline,
        "anon_peak_mb": sampler.peak,
        "phase": name,
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu,
        "clips": n,
        "clips_per_s": n / seconds if n else None,
        "eeg_mb_per_s": eeg_bytes / MB / seconds,
        "peak_rss_mb": _rss_mb(),
        "rss_after_imports_mb": baseline,
        "eeg_file_mb": eeg_file / MB,
        "output_mb": sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / MB
        if out.exists()
        else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="Keep the simulated tree here (reused).")
    parser.add_argument("--video-size", default="64x48")
    parser.add_argument("--keep", action="store_true", help="Do not delete a temporary workdir.")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-align-"))
    root, out = workdir / "SEED-DV", workdir / "aligned"

    if args.phase:  # child process
        print(json.dumps(phase(args.phase, root, out)))
        return

    from dataset_builder.simulator import SimulatorConfig, simulate_seed_dv

    width, height = (int(v) for v in args.video_size.split("x"))
    layout = _layout()
    if not (root / "ground_truth.json").is_file():
        t = time.perf_counter()
        tree = simulate_seed_dv(
            root, 0, layout, SimulatorConfig(video_width=width, video_height=height), progress=False
        )
        total_s = time.perf_counter() - t
        # EEG alone, again in memory (stimulus features are cached by now).
        t = time.perf_counter()
        tree.simulator.simulate_session(tree.subjects[1], 1)
        eeg_s = time.perf_counter() - t
        print(
            f"simulate one full-size subject: {total_s:.1f} s in all (7 x 520 s videos at "
            f"{width}x{height}, stimulus features, EEG); the EEG alone takes {eeg_s:.1f} s"
        )
    shutil.rmtree(out, ignore_errors=True)
    print(
        f"EEG file: {layout.eeg_shape} float32 = {layout.eeg_path(root, 1).stat().st_size / MB:.1f} MB"
    )
    print(
        f"{'phase':<6} {'wall s':>7} {'CPU s':>6} {'clips/s':>8} {'EEG MB/s':>9} "
        f"{'peak RSS MB (+phase)':>21} {'peak anon MB (+phase)':>22}"
    )
    for name in ("eeg", "check", "align"):
        result = subprocess.run(
            [sys.executable, __file__, "--workdir", str(workdir), "--phase", name],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(result.stdout.strip().splitlines()[-1])
        rate = f"{r['clips_per_s']:.0f}" if r["clips_per_s"] else "-"
        print(
            f"{name:<6} {r['seconds']:>7.2f} {r['cpu_seconds']:>6.1f} {rate:>8} "
            f"{r['eeg_mb_per_s']:>9.1f} "
            f"{r['peak_rss_mb']:>12.0f} (+{r['peak_rss_mb'] - r['rss_after_imports_mb']:>4.0f}) "
            f"{r['anon_peak_mb']:>13.0f} (+{r['anon_peak_mb'] - r['anon_after_imports_mb']:>4.0f})"
        )
        if name == "align":
            print(f"aligned dataset: {r['clips']} clips, {r['output_mb']:.1f} MB on disk")
    if args.workdir is None and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
