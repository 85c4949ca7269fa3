"""``video2eeg train`` and ``video2eeg adapt``: thin wrappers over :mod:`training`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    # The flags are TrainingConfig's, parsed by HfArgumentParser in training.config when the
    # command runs (so `video2eeg` starts without importing transformers). This parser only
    # hands every token over: no prefix characters, no -h, one catch-all positional.
    train = subparsers.add_parser(
        "train",
        help="Train SPGN + denoiser on an aligned dataset (--config YAML and/or flags).",
        prefix_chars="\0",
        add_help=False,
    )
    train.add_argument("options", nargs=argparse.REMAINDER)
    train.set_defaults(func=run_train)

    adapt = subparsers.add_parser(
        "adapt",
        help="Personalise a trained pipeline to a new subject from a few of their clips.",
    )
    adapt.add_argument("--pipeline", required=True, help="Saved Video2EEGPipeline (dir or Hub id).")
    adapt.add_argument(
        "--subject-data", required=True, help="Dataset (dir or Hub id) with the subject's clips."
    )
    adapt.add_argument(
        "--out", required=True, type=Path, help="Where to save the adapted pipeline."
    )
    adapt.add_argument("--subject", type=int, help="Subject in --subject-data (if several).")
    adapt.add_argument("--new-subject-id", type=int, help="Id in the model (default: --subject).")
    adapt.add_argument("--split", default="train")
    adapt.add_argument("--num-clips", type=int, default=20)
    adapt.add_argument("--steps", type=int, default=200)
    adapt.add_argument("--lr", type=float, default=1e-2)
    adapt.add_argument("--batch-size", type=int, default=16)
    adapt.add_argument("--seed", type=int, default=0)
    adapt.add_argument(
        "--spectral-weight",
        type=float,
        default=None,
        help="Weight of the spectral-fingerprint term (0: noise-prediction loss only; "
        "default: the library's).",
    )
    adapt.add_argument(
        "--spectral-sampling-steps",
        type=int,
        default=None,
        help="Differentiable sampler steps for that term (default: the library's).",
    )
    adapt.set_defaults(func=run_adapt)


def run_train(args: argparse.Namespace) -> int:
    from training.config import build_argument_parser

    if any(a in ("-h", "--help") for a in args.options):
        build_argument_parser(prog="video2eeg train").print_help()
        return 0
    from training.train import main

    try:
        return main(args.options)
    except (ValueError, FileNotFoundError) as err:
        # bad configuration or data: one clear line, no traceback
        print(f"video2eeg train: error: {err}", file=sys.stderr)
        return 2


def run_adapt(args: argparse.Namespace) -> int:
    from training.adapt import adapt_pipeline

    spectral = {
        name: value
        for name, value in (
            ("spectral_weight", args.spectral_weight),
            ("spectral_sampling_steps", args.spectral_sampling_steps),
        )
        if value is not None
    }
    try:
        result = adapt_pipeline(
            args.pipeline,
            args.subject_data,
            args.out,
            subject=args.subject,
            new_subject_id=args.new_subject_id,
            split=args.split,
            num_clips=args.num_clips,
            num_steps=args.steps,
            lr=args.lr,
            batch_size=args.batch_size,
            seed=args.seed,
            **spectral,
        )
    except (ValueError, FileNotFoundError) as err:
        print(f"video2eeg adapt: error: {err}", file=sys.stderr)
        return 2
    print(
        f"subject {result.subject_id} (embedding row {result.row}) fitted on {result.n_clips} "
        f"clips of subject {result.source_subject}; pipeline saved to {result.output_dir}"
    )
    return 0
