"""``video2eeg evaluate``: compare a generated EEG dataset with a real one.

Writes ``report.json`` (every metric of :func:`evaluation.report.evaluate`, with timings)
and PNG figures (:func:`evaluation.figures.write_figures`) into ``--out``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="Compare generated EEG with real EEG: JSON report and PNG figures.",
        description=(
            "Compare a generated EEG dataset with a real one (local dataset folders written "
            "by `video2eeg align` or Hub dataset ids) and write report.json and figures."
        ),
    )
    parser.add_argument("--real", required=True, help="real dataset: folder or Hub id")
    parser.add_argument("--generated", required=True, help="generated dataset: folder or Hub id")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument(
        "--real-split", default=None, help="split of --real to compare with (default: test)"
    )
    parser.add_argument(
        "--train-split",
        default="train",
        help="split of --real the generator was trained on, for memorisation and the FID-EEG "
        "extractor ('none' to leave out; skipped when absent)",
    )
    parser.add_argument("--generated-split", default=None, help="split of --generated")
    parser.add_argument(
        "--labels",
        nargs="*",
        default=["subject", "emotion", "concept"],
        help="label columns for the conditional metrics (used when present in both)",
    )
    parser.add_argument(
        "--clip-key",
        nargs="*",
        default=["block", "position", "repetition"],
        help="columns that identify the stimulus clip, for stimulus alignment",
    )
    parser.add_argument(
        "--metrics", nargs="*", help="subset of metrics (names as in evaluation.report.METRICS)"
    )
    parser.add_argument("--max-clips", type=int, help="random subset of at most N clips per split")
    parser.add_argument(
        "--sfreq", type=float, default=200.0, help="Hz, unless the dataset has an sfreq column"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-figures", action="store_true", help="write report.json only")
    parser.add_argument(
        "--strict", action="store_true", help="fail on a metric the data cannot support"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from evaluation.dataset_io import load_eeg_split, open_dataset, pick_split
    from evaluation.inputs import as_eeg_set
    from evaluation.report import evaluate, headline, write_report

    options = {
        "label_columns": args.labels,
        "key_columns": args.clip_key,
        "default_sfreq": args.sfreq,
        "max_clips": args.max_clips,
        "seed": args.seed,
    }
    real_dict = open_dataset(args.real)
    real_split = pick_split(real_dict, args.real_split, args.real)
    real = load_eeg_split(real_dict, real_split, source=args.real, **options)
    train = None
    if (
        args.train_split.lower() != "none"
        and args.train_split in real_dict
        and args.train_split != real_split
    ):
        train = load_eeg_split(real_dict, args.train_split, source=args.real, **options)
    generated_dict = open_dataset(args.generated)
    generated_split = pick_split(generated_dict, args.generated_split, args.generated)
    generated = load_eeg_split(generated_dict, generated_split, source=args.generated, **options)
    print(
        f"real: {args.real} [{real_split}] {real.eeg.shape}; generated: {args.generated} "
        f"[{generated_split}] {generated.eeg.shape}"
        + (f"; train: [{args.train_split}] {train.eeg.shape}" if train is not None else "")
    )

    keys_usable = real.clip_keys is not None and generated.clip_keys is not None
    # EEGSets carry the PSDs and covariances the report computes on to the figures.
    real_set = as_eeg_set(real.eeg, "evaluate", "real", real.sfreq)
    generated_set = as_eeg_set(generated.eeg, "evaluate", "generated", generated.sfreq)
    report = evaluate(
        real_set,
        generated_set,
        labels_real=real.labels,
        labels_generated=generated.labels,
        real_train=None if train is None else train.eeg,
        labels_train=None if train is None else train.labels,
        clip_keys_real=real.clip_keys if keys_usable else None,
        clip_keys_generated=generated.clip_keys if keys_usable else None,
        metrics=args.metrics,
        seed=args.seed,
        strict=args.strict,
    )
    report["meta"]["sources"] = {
        "real": {"dataset": args.real, "split": real_split},
        "generated": {"dataset": args.generated, "split": generated_split},
        "train": None if train is None else {"dataset": args.real, "split": args.train_split},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.no_figures:
        from evaluation.figures import write_figures

        paths = write_figures(real_set, generated_set, args.out / "figures")
        report["figures"] = [str(path.relative_to(args.out)) for path in paths]
    path = write_report(report, args.out / "report.json")

    for row in headline(report):
        value = "n/a" if row["value"] is None else f"{row['value']:.4g}"
        print(f"  {row['name']:<28} {value:>10}  ({row['better']}; {row['seconds']:.2f} s)")
    for name, reason in report["skipped"].items():
        print(f"  {name:<28} skipped: {reason}")
    print(
        f"wrote {path}"
        + (f" and {len(report.get('figures', []))} figures" if "figures" in report else "")
    )
    return 0
