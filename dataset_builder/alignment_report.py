"""Alignment checks for a SEED-DV tree, as a report people can read and programs can check.

:func:`check_alignment` never raises on a bad tree: every problem becomes a :class:`Finding`
with a severity (``"error"`` fails the report), a stable ``code`` and a message naming the
file, block and channels. The checks:

* layout: required folders and files (``missing``), meta arrays' shapes and concept ids
  (``meta_invalid``), caption line counts (``captions_invalid``);
* per block video: readable (``video_unreadable``), frame rate (``video_fps_mismatch``),
  frame count vs the EEG duration of a block (``video_shorter_than_eeg``; longer is a
  warning, ``video_longer_than_eeg``);
* per EEG file: readable header (``corrupt_npy``), data as long as the header promises
  (``truncated_eeg``), float dtype (``eeg_dtype``), shape — blocks (``wrong_block_count``),
  channels (``wrong_channel_count``), samples (``eeg_duration_mismatch``) — and, block by
  block through the memory map, non-finite values (``nan_values``), flat channels
  (``flat_channel``), clipped/saturated channels (``saturated_channel``, a warning) and
  implausible units (``eeg_units``, a warning);
* a per-recording (subject, session) summary.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from tqdm.auto import tqdm

from dataset_builder.layout import SEEDDVLayout
from dataset_builder.reader import (
    SEEDDVFormatError,
    discover_recordings,
    load_captions,
    load_concept_order,
    load_meta,
    missing_layout_items,
    read_npy_header,
)
from dataset_builder.video_clips import probe_video

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem found in the tree.

    Attributes
    ----------
    severity : {"error", "warning"}
        Errors fail the report.
    code : str
        Stable machine-readable kind (``truncated_eeg``, ``wrong_channel_count``, …).
    message : str
        Human-readable explanation with the numbers.
    path : str, optional
        File or folder relative to the root.
    subject, session, block : int, optional
        Where it applies.
    channels : list of str
        Channel names involved (bad-channel checks).
    """

    severity: Severity
    code: str
    message: str
    path: str | None = None
    subject: int | None = None
    session: int | None = None
    block: int | None = None
    channels: list[str] = field(default_factory=list)


@dataclass
class RecordingSummary:
    """Per EEG file (subject, session): shape, status and the channels that failed checks."""

    subject: int
    session: int
    path: str
    shape: list[int] | None = None
    dtype: str | None = None
    errors: int = 0
    warnings: int = 0
    codes: list[str] = field(default_factory=list)
    bad_channels: dict[str, list[str]] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "FAILED" if self.errors else "ok"


@dataclass
class VideoSummary:
    """Per block video: frames found vs the frames the block's EEG needs."""

    block: int
    path: str
    n_frames: int | None = None
    fps: float | None = None
    duration_s: float | None = None
    expected_frames: int = 0
    status: str = "ok"


@dataclass
class CheckThresholds:
    """Bad-channel thresholds (µV).

    Attributes
    ----------
    flat_std_uv : float
        A channel whose SD within a block is below this is flat (dead electrode).
    saturation_min_run : int
        A channel is saturated when at least ``max(saturation_min_run, saturation_fraction
        * n_times)`` samples sit exactly at its extreme value (clipping), in a block.
    saturation_fraction : float
        See above.
    plausible_std_uv : (float, float)
        Median channel SD outside this range suggests the data is not in microvolts.
    """

    flat_std_uv: float = 0.01
    saturation_min_run: int = 5
    saturation_fraction: float = 0.001
    plausible_std_uv: tuple[float, float] = (0.5, 500.0)


@dataclass
class AlignmentReport:
    """The outcome of :func:`check_alignment`."""

    root: str
    layout: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    recordings: list[RecordingSummary] = field(default_factory=list)
    videos: list[VideoSummary] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def passed(self) -> bool:
        return not self.errors

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "passed": self.passed,
            "n_errors": len(self.errors),
            "n_warnings": len(self.warnings),
            "layout": self.layout,
            "findings": [asdict(f) for f in self.findings],
            "recordings": [asdict(r) | {"status": r.status} for r in self.recordings],
            "videos": [asdict(v) for v in self.videos],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    def to_text(self) -> str:
        lay = SEEDDVLayout.from_dict(self.layout)
        lines = [
            f"SEED-DV alignment report for {self.root}",
            f"layout: {lay.n_blocks} blocks x {lay.n_concepts} concepts x {lay.n_repetitions} "
            f"clips, {lay.n_chans} ch @ {lay.sfreq:g} Hz, {lay.fps:g} fps, "
            f"EEG {lay.eeg_shape} per file",
            f"result: {'PASSED' if self.passed else 'FAILED'} "
            f"({len(self.errors)} error(s), {len(self.warnings)} warning(s))",
            "",
            "videos:",
        ]
        for v in self.videos:
            found = (
                f"{v.n_frames} frames @ {v.fps:g} fps = {v.duration_s:.1f} s"
                if v.n_frames is not None
                else "unreadable"
            )
            lines.append(
                f"  block {v.block}  {v.path}  {found} (needs {v.expected_frames})  {v.status}"
            )
        lines += ["", "subjects:"]
        for r in self.recordings:
            shape = f"{tuple(r.shape)} {r.dtype}" if r.shape is not None else "unreadable"
            detail = f"  [{', '.join(sorted(set(r.codes)))}]" if r.codes else ""
            bad = "".join(
                f"\n      {kind}: {', '.join(names)}" for kind, names in r.bad_channels.items()
            )
            lines.append(
                f"  subject {r.subject} session {r.session}  {r.path}  {shape}  "
                f"{r.status}{detail}{bad}"
            )
        if not self.recordings:
            lines.append("  (no EEG files found)")
        if self.findings:
            lines += ["", "findings:"]
            for f in self.findings:
                where = f" {f.path}:" if f.path else ""
                lines.append(f"  {f.severity.upper():7s} {f.code}{where} {f.message}")
        return "\n".join(lines)


def _rel(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def check_alignment(
    root: str | Path,
    layout: SEEDDVLayout | None = None,
    thresholds: CheckThresholds | None = None,
    scan_data: bool = True,
    progress: bool = False,
) -> AlignmentReport:
    """Check a SEED-DV tree; see the module docstring for the list of checks.

    Parameters
    ----------
    root : path-like
        SEED-DV root.
    layout : SEEDDVLayout, optional
        Expected constants (default SEED-DV's).
    thresholds : CheckThresholds, optional
        Bad-channel thresholds.
    scan_data : bool
        Read every EEG sample (block by block through the memory map) for NaN/flat/saturated
        channels; ``False`` checks headers, sizes and videos only.
    progress : bool
        tqdm bar over EEG files.

    Returns
    -------
    AlignmentReport
    """
    root = Path(root)
    layout = layout or SEEDDVLayout()
    thresholds = thresholds or CheckThresholds()
    report = AlignmentReport(root=str(root), layout=layout.to_dict())
    add = report.findings.append
    if not root.is_dir():
        add(Finding("error", "missing", f"SEED-DV root {root} is not a directory", str(root)))
        return report

    for item in missing_layout_items(root, layout):
        add(Finding("error", "missing", "required by the SEED-DV layout but not found", item))

    _check_meta(root, layout, add)
    _check_videos(root, layout, report)
    recordings = discover_recordings(root)
    for rec in tqdm(recordings, desc="check EEG", unit="file", disable=not progress):
        summary = RecordingSummary(rec.subject, rec.session, _rel(root, rec.path))
        before = len(report.findings)
        _check_eeg_file(
            root, rec.path, rec.subject, rec.session, layout, thresholds, scan_data, report, summary
        )
        for finding in report.findings[before:]:
            summary.codes.append(finding.code)
            if finding.severity == "error":
                summary.errors += 1
            else:
                summary.warnings += 1
        report.recordings.append(summary)
    return report


def _check_meta(root: Path, layout: SEEDDVLayout, add) -> None:
    try:
        order = load_concept_order(root, layout)
        for b, row in enumerate(order, start=1):
            if len(set(row.tolist())) != layout.n_concepts:
                add(
                    Finding(
                        "warning",
                        "meta_not_permutation",
                        f"block {b} of All_video_label does not show each of the "
                        f"{layout.n_concepts} concepts exactly once",
                        block=b,
                    )
                )
    except FileNotFoundError:
        pass  # already reported as missing
    except SEEDDVFormatError as error:
        add(Finding("error", "meta_invalid", str(error)))
    try:
        load_meta(root, layout)
    except FileNotFoundError:
        pass
    except SEEDDVFormatError as error:
        add(Finding("error", "meta_invalid", str(error)))
    for block in range(1, layout.n_blocks + 1):
        try:
            load_captions(root, layout, block)
        except FileNotFoundError:
            pass
        except SEEDDVFormatError as error:
            add(Finding("error", "captions_invalid", str(error), block=block))


def _check_videos(root: Path, layout: SEEDDVLayout, report: AlignmentReport) -> None:
    add = report.findings.append
    for block in range(1, layout.n_blocks + 1):
        path = layout.video_path(root, block)
        summary = VideoSummary(block, _rel(root, path), expected_frames=layout.n_frames)
        report.videos.append(summary)
        if not path.is_file():
            summary.status = "missing"
            continue
        try:
            probe = probe_video(path)
        except ValueError as error:
            summary.status = "FAILED"
            add(Finding("error", "video_unreadable", str(error), summary.path, block=block))
            continue
        summary.n_frames, summary.fps, summary.duration_s = (
            probe.n_frames,
            probe.fps,
            probe.duration_s,
        )
        if abs(probe.fps - layout.fps) > 1e-3 * layout.fps:
            summary.status = "FAILED"
            add(
                Finding(
                    "error",
                    "video_fps_mismatch",
                    f"{probe.fps:g} fps; the layout expects {layout.fps:g} fps",
                    summary.path,
                    block=block,
                )
            )
        if probe.n_frames < layout.n_frames:
            summary.status = "FAILED"
            # First clip whose frames run past the end of the video.
            first_bad = next(
                (
                    (p, r)
                    for p in range(layout.n_concepts)
                    for r in range(layout.n_repetitions)
                    if layout.clip_frame_range(p, r)[1] > probe.n_frames
                ),
                None,
            )
            lost = (
                f"; clips from position {first_bad[0]}, repetition {first_bad[1]} on have no video"
                if first_bad
                else ""
            )
            add(
                Finding(
                    "error",
                    "video_shorter_than_eeg",
                    f"video has {probe.n_frames} frames ({probe.n_frames / layout.fps:.2f} s at "
                    f"{layout.fps:g} fps) but block {block}'s EEG lasts {layout.block_s:g} s "
                    f"({layout.n_times} samples at {layout.sfreq:g} Hz), which needs "
                    f"{layout.n_frames} frames{lost}",
                    summary.path,
                    block=block,
                )
            )
        elif probe.n_frames > layout.n_frames:
            add(
                Finding(
                    "warning",
                    "video_longer_than_eeg",
                    f"video has {probe.n_frames} frames, {probe.n_frames - layout.n_frames} more "
                    f"than block {block}'s EEG ({layout.block_s:g} s) covers; extra frames are unused",
                    summary.path,
                    block=block,
                )
            )


def _check_eeg_file(
    root: Path,
    path: Path,
    subject: int,
    session: int,
    layout: SEEDDVLayout,
    thresholds: CheckThresholds,
    scan_data: bool,
    report: AlignmentReport,
    summary: RecordingSummary,
) -> None:
    rel = _rel(root, path)

    def add(severity: Severity, code: str, message: str, **kwargs) -> None:
        report.findings.append(
            Finding(severity, code, message, rel, subject=subject, session=session, **kwargs)
        )

    try:
        header = read_npy_header(path)
    except SEEDDVFormatError as error:
        add("error", "corrupt_npy", str(error))
        return
    summary.shape, summary.dtype = list(header.shape), str(header.dtype)
    shape_ok = True
    if header.truncated:
        per_block = int(np.prod(header.shape[1:], dtype=np.int64)) * header.dtype.itemsize
        complete_blocks = (header.file_size - header.data_offset) // per_block if per_block else 0
        add(
            "error",
            "truncated_eeg",
            f"file is truncated: header promises {header.shape} {header.dtype} "
            f"({header.expected_size} bytes) but only {header.file_size} bytes are on disk "
            f"({header.missing_bytes} missing; {complete_blocks} of {header.shape[0]} blocks complete)",
        )
        shape_ok = False
    if header.dtype.kind != "f":
        add("error", "eeg_dtype", f"dtype {header.dtype}; SEED-DV EEG is floating point (µV)")
        shape_ok = False
    if len(header.shape) != 3:
        add(
            "error",
            "eeg_shape",
            f"shape {header.shape}; expected 3 axes (n_blocks, n_chans, n_times) = {layout.eeg_shape}",
        )
        return
    n_blocks, n_chans, n_times = header.shape
    if n_blocks != layout.n_blocks:
        add("error", "wrong_block_count", f"{n_blocks} blocks; expected {layout.n_blocks}")
        shape_ok = False
    if n_chans != layout.n_chans:
        add(
            "error",
            "wrong_channel_count",
            f"{n_chans} channels; expected {layout.n_chans} (SEED's 62-channel order)",
        )
        shape_ok = False
    if n_times != layout.n_times:
        severity: Severity = "error" if n_times < layout.n_times else "warning"
        add(
            severity,
            "eeg_duration_mismatch",
            f"{n_times} samples per block ({n_times / layout.sfreq:g} s at {layout.sfreq:g} Hz); "
            f"expected {layout.n_times} ({layout.block_s:g} s)",
        )
        shape_ok = shape_ok and n_times > layout.n_times
    if header.fortran_order:
        add("error", "eeg_shape", "stored in Fortran order; expected C order")
        shape_ok = False
    if not (scan_data and shape_ok):
        return

    data = np.load(path, mmap_mode="r", allow_pickle=False)
    names = layout.ch_names
    nonfinite: dict[int, int] = {}
    flat: set[int] = set()
    saturated: set[int] = set()
    stds = []
    minimum = max(
        thresholds.saturation_min_run, int(thresholds.saturation_fraction * layout.n_times)
    )
    chunk = 8  # channels per read: ~3 MB for SEED-DV, so memory stays flat in file size
    for b in range(n_blocks):
        std = np.empty(n_chans)
        for c0 in range(0, n_chans, chunk):
            rows = np.array(data[b, c0 : c0 + chunk, : layout.n_times], dtype=np.float32)
            bad = ~np.isfinite(rows)
            counts = bad.sum(axis=1)
            clean = np.where(bad, np.float32(0), rows)
            std[c0 : c0 + len(rows)] = clean.std(axis=1, dtype=np.float64)
            extreme = np.maximum(
                (clean == clean.max(axis=1, keepdims=True)).sum(axis=1),
                (clean == clean.min(axis=1, keepdims=True)).sum(axis=1),
            )
            for i in range(len(rows)):
                ch, ch_std = c0 + i, std[c0 + i]
                if counts[i]:
                    nonfinite[ch] = nonfinite.get(ch, 0) + int(counts[i])
                elif ch_std < thresholds.flat_std_uv:
                    flat.add(ch)
                elif extreme[i] >= minimum:
                    saturated.add(ch)
        stds.append(std)
    if nonfinite:
        chans = [names[c] for c in sorted(nonfinite)]
        total = sum(nonfinite.values())
        add(
            "error",
            "nan_values",
            f"{total} NaN/inf samples in channels {', '.join(f'{names[c]} ({n})' for c, n in sorted(nonfinite.items()))}",
            channels=chans,
        )
        summary.bad_channels["nan"] = chans
    if flat:
        chans = [names[c] for c in sorted(flat)]
        add(
            "error",
            "flat_channel",
            f"channels with SD < {thresholds.flat_std_uv:g} µV in at least one block (dead "
            f"electrode): {', '.join(chans)}",
            channels=chans,
        )
        summary.bad_channels["flat"] = chans
    if saturated:
        chans = [names[c] for c in sorted(saturated)]
        add(
            "warning",
            "saturated_channel",
            f"channels clipped at a constant extreme value in at least one block: {', '.join(chans)}",
            channels=chans,
        )
        summary.bad_channels["saturated"] = chans
    median_std = float(np.median(np.concatenate(stds)))
    low, high = thresholds.plausible_std_uv
    if not low <= median_std <= high:
        add(
            "warning",
            "eeg_units",
            f"median channel SD is {median_std:.3g}; scalp EEG in microvolts is usually "
            f"{low:g}-{high:g} µV (is the file in volts?)",
        )
