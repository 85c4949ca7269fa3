"""``video2eeg push-dataset`` / ``video2eeg push-pipeline``: publish folders to the Hub.

Thin layer over :mod:`dataset_builder.publishing` and :mod:`hub_cards`. The token comes from
``HF_TOKEN`` or ``hf auth login`` (never from the command line, where other users could read it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    dataset = subparsers.add_parser(
        "push-dataset",
        help="Push a dataset folder (Parquet shards + README.md card) to a Hub dataset repo.",
    )
    dataset.add_argument("folder", type=Path, help="dataset folder (data/*.parquet + README.md)")
    dataset.add_argument("repo_id", help="namespace/name of the dataset repo")
    _add_push_options(dataset)
    card = dataset.add_argument_group(
        "card", "render the card from the shards instead of using the folder's README.md"
    )
    card.add_argument("--data-kind", choices=("simulated", "real-aligned", "generated"))
    card.add_argument("--emotion-source", help="where the emotion labels come from")
    card.add_argument("--pretty-name", help="card title (default: the repo name)")
    card.add_argument("--generator-model", help="pipeline that generated the EEG (generated data)")
    card.add_argument("--generator-revision", help="its revision (generated data)")
    card.add_argument("--seed", action="append", default=[], metavar="ROLE=INT")
    dataset.set_defaults(func=run_push_dataset)

    pipeline = subparsers.add_parser(
        "push-pipeline",
        help="Push a saved Video2EEG pipeline folder (save_pretrained output) to a Hub model repo.",
    )
    pipeline.add_argument("folder", type=Path, help="pipeline folder with model_index.json")
    pipeline.add_argument("repo_id", help="namespace/name of the model repo")
    _add_push_options(pipeline)
    card = pipeline.add_argument_group(
        "card", "render the model card instead of using the folder's README.md"
    )
    card.add_argument("--training-data", choices=("simulated", "real-aligned", "generated"))
    card.add_argument("--emotion-source", help="where the training emotion labels come from")
    card.add_argument("--dataset", action="append", default=[], help="training dataset repo id")
    card.add_argument("--metrics", type=Path, help="evaluation report JSON (nested numbers)")
    card.add_argument("--eval-dataset", help="dataset id the metrics were computed on")
    card.add_argument("--eval-split", default="test")
    card.add_argument("--model-name", help="card title (default: the repo name)")
    card.add_argument("--seed", action="append", default=[], metavar="ROLE=INT")
    pipeline.set_defaults(func=run_push_pipeline)


def _add_push_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--private", action="store_true", help="create the repo as private")
    parser.add_argument("--revision", help="branch to push to (created if missing; default main)")
    parser.add_argument("--message", help="commit message")


def _seeds(pairs: list[str]) -> dict[str, int]:
    seeds = {}
    for pair in pairs:
        role, sep, value = pair.partition("=")
        if not sep or not role or not value.lstrip("-").isdigit():
            raise ValueError(f"--seed must be ROLE=INT, got {pair!r}")
        seeds[role] = int(value)
    return seeds


def _report(result) -> None:
    where = f"{result.repo_id}@{result.revision}"
    if result.created_commit:
        print(f"Pushed {len(result.files)} files to {where}: {result.commit_url}")
        if result.deleted:
            print(f"Removed {len(result.deleted)} stale files: {', '.join(result.deleted)}")
    else:
        print(f"{where} already has this content (commit {result.commit_oid[:12]}); no new commit.")


def _fail(error: BaseException) -> int:
    print(f"error: {error}", file=sys.stderr)
    return 1


def run_push_dataset(args: argparse.Namespace) -> int:
    from dataset_builder.publishing import PushError, push_dataset_folder

    try:
        card = None
        if args.data_kind is not None:
            from hub_cards import DataProvenance, dataset_card_for_folder

            if not args.emotion_source:
                raise ValueError(
                    "--data-kind needs --emotion-source (where the emotion labels come from)"
                )
            provenance = DataProvenance(
                kind=args.data_kind,
                emotion_source=args.emotion_source,
                seeds=_seeds(args.seed),
                generator_model=args.generator_model,
                generator_revision=args.generator_revision,
            )
            card = dataset_card_for_folder(
                args.folder,
                repo_id=args.repo_id,
                pretty_name=args.pretty_name or args.repo_id.split("/")[-1],
                provenance=provenance,
            )
        result = push_dataset_folder(
            args.folder,
            args.repo_id,
            private=args.private,
            revision=args.revision,
            card=card,
            commit_message=args.message,
        )
    except (ValueError, OSError, PushError) as error:
        return _fail(error)
    _report(result)
    return 0


def run_push_pipeline(args: argparse.Namespace) -> int:
    from dataset_builder.publishing import PushError, push_pipeline_folder

    try:
        card = None
        if args.training_data is not None:
            card = _render_pipeline_card(args)
        result = push_pipeline_folder(
            args.folder,
            args.repo_id,
            private=args.private,
            revision=args.revision,
            card=card,
            commit_message=args.message,
        )
    except (ValueError, OSError, PushError) as error:
        return _fail(error)
    _report(result)
    return 0


def _render_pipeline_card(args: argparse.Namespace):
    from hub_cards import DataProvenance, EvaluationData, flatten_metrics, render_model_card
    from hub_cards.figures import FIGURE_SUFFIXES

    if not args.emotion_source:
        raise ValueError(
            "--training-data needs --emotion-source (where the emotion labels come from)"
        )
    metrics, evaluation = None, None
    if args.metrics is not None:
        if not args.eval_dataset:
            raise ValueError("--metrics needs --eval-dataset (the data they were computed on)")
        metrics = flatten_metrics(json.loads(args.metrics.read_text()))
        evaluation = EvaluationData(args.eval_dataset, args.eval_dataset, split=args.eval_split)
    figures = sorted(
        p.relative_to(args.folder).as_posix()
        for p in (args.folder / "figures").glob("*")
        if p.suffix.lower() in FIGURE_SUFFIXES
    )
    return render_model_card(
        model_name=args.model_name or args.repo_id.split("/")[-1],
        repo_id=args.repo_id,
        revision=args.revision,
        training_data=DataProvenance(
            kind=args.training_data, emotion_source=args.emotion_source, seeds=_seeds(args.seed)
        ),
        metrics=metrics,
        evaluation_data=evaluation,
        datasets=args.dataset,
        figures=figures,
    )
