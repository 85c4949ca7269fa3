"""``video2eeg generate``: a video-EEG-emotion dataset from a trained pipeline.

Runs on one process, or sharded over several with accelerate, e.g.::

    accelerate launch --num_processes 2 -m video2eeg generate --pipeline DIR --videos ROOT ...

(on CPU-only machines: ``ACCELERATE_USE_CPU=true accelerate launch --multi_gpu
--num_processes 2 --num_machines 1 --mixed_precision no --dynamo_backend no -m video2eeg …``).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path


def _int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None


def _str_list(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(",") if v.strip())


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="Generate EEG for every video clip x subject x emotion into a Parquet dataset.",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--pipeline", required=True, help="Saved pipeline folder or Hub repo id.")
    parser.add_argument("--revision", default=None, help="Hub revision of --pipeline.")
    parser.add_argument(
        "--videos",
        required=True,
        help="A SEED-DV root, an aligned dataset (folder or Hub id) or a folder of videos.",
    )
    parser.add_argument("--split", default=None, help="Dataset split to take clips from.")
    parser.add_argument("--blocks", type=_int_list, default=None, help="SEED-DV blocks, e.g. 7.")
    parser.add_argument(
        "--subjects",
        type=_int_list,
        default=None,
        help="Subject ids (default: all the model knows).",
    )
    parser.add_argument(
        "--emotions", type=_str_list, default=None, help="Emotion names (default: all)."
    )
    parser.add_argument("--out", type=Path, required=True, help="Output dataset folder.")
    parser.add_argument("--num-inference-steps", type=int, default=25)
    parser.add_argument(
        "--guidance-scale", type=float, default=1.0, help="Guidance over the emotion (1: off)."
    )
    parser.add_argument(
        "--video-guidance-scale",
        type=float,
        default=1.0,
        help="Guidance over the video (1: off; needs a model trained with video_dropout_prob).",
    )
    parser.add_argument("--seed", type=int, default=0, help="Base seed (row seeds derive from it).")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rows-per-shard", type=int, default=256)
    parser.add_argument(
        "--on-corrupt",
        choices=("skip", "error"),
        default="skip",
        help="A video that cannot be read: skip it (logged, listed in skipped_videos.json) or stop.",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="Discard another run's shards found in --out."
    )
    parser.add_argument("--no-evaluate", action="store_true", help="Skip the evaluation.")
    parser.add_argument("--max-eval-rows", type=int, default=2000)
    parser.add_argument("--push-to-hub", default=None, metavar="REPO", help="Push the dataset.")
    parser.add_argument("--private", action="store_true")
    parser.set_defaults(func=run)


def load_pipeline(name: str, revision: str | None = None):
    """Load a pipeline folder or Hub repo; return it with its id and revision (commit/hash)."""
    from dataset_builder.generation import pipeline_revision
    from pipelines import Video2EEGPipeline

    path = Path(name)
    if path.is_dir():
        return Video2EEGPipeline.from_pretrained(path), str(name), pipeline_revision(path)
    if path.exists():
        raise ValueError(f"--pipeline must be a folder or Hub repo id, got the file {name}")
    from huggingface_hub import snapshot_download

    local = Path(snapshot_download(name, revision=revision))
    return Video2EEGPipeline.from_pretrained(local), name, local.name


def run(args: argparse.Namespace) -> int:
    import json

    from accelerate import PartialState

    from dataset_builder.generation import (
        GenerationPlan,
        GenerationSettings,
        finalize_generation,
        generate_dataset,
    )
    from dataset_builder.stimuli import open_stimuli

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    state = PartialState()
    if args.push_to_hub:
        from dataset_builder.publishing import validate_repo_id_arg

        validate_repo_id_arg(args.push_to_hub)
    pipeline, pipeline_id, revision = load_pipeline(args.pipeline, args.revision)
    config = pipeline.spgn.config
    settings = GenerationSettings(
        subjects=args.subjects or tuple(config.subject_ids),
        emotions=args.emotions or tuple(config.emotion_labels),
        num_inference_steps=args.num_inference_steps,
        guidance_scale=args.guidance_scale,
        video_guidance_scale=args.video_guidance_scale,
        seed=args.seed,
        batch_size=args.batch_size,
        rows_per_shard=args.rows_per_shard,
    )
    stimuli = open_stimuli(
        args.videos, on_error=args.on_corrupt, split=args.split, blocks=args.blocks
    )
    result = generate_dataset(
        pipeline,
        stimuli,
        args.out,
        settings,
        pipeline_id=pipeline_id,
        revision=revision,
        overwrite=args.overwrite,
    )
    print(
        f"rank {state.process_index}: wrote {len(result.written)} shards "
        f"({result.rows_generated} rows, {result.rows_per_second:.1f} rows/s), "
        f"kept {len(result.skipped)} complete shards"
    )
    if not state.is_main_process:
        return 0
    if stimuli.skipped:
        (args.out / "skipped_videos.json").write_text(json.dumps(stimuli.skipped, indent=1))
        for item in stimuli.skipped:
            print(f"skipped video {item['file']}: {item['reason']}")
    final = finalize_generation(
        args.out,
        GenerationPlan(stimuli, settings),
        pipeline_id=pipeline_id,
        revision=revision,
        repo_id=args.push_to_hub,
        evaluate=not args.no_evaluate,
        max_eval_rows=args.max_eval_rows,
    )
    print(f"dataset: {args.out} ({final.num_rows} rows); card: {final.card_path}")
    if final.report_path is not None:
        print(f"evaluation: {final.report_path}; figures: {', '.join(map(str, final.figures))}")
    if args.push_to_hub:
        from dataset_builder.publishing import push_dataset_folder

        pushed = push_dataset_folder(args.out, args.push_to_hub, private=args.private)
        print(f"pushed to {args.push_to_hub}: {pushed}")
    return 0
