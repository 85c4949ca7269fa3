"""``video2eeg demo``: the whole chain on an embedded default, offline, in minutes on a CPU.

1. simulate a small SEED-DV-layout tree (EEG with known ground truth, videos, meta, captions);
2. align it into a video-EEG-emotion dataset (blocks 1-2 train, block 3 test);
3. train a small SPGN + denoiser on the train blocks;
4. generate a dataset of every clip × subject × emotion (over 1 000 rows);
5. evaluate it against the real (simulated) EEG of the same subjects and clips and write the
   dataset card with the figures;
6. ``load_dataset`` the result and print a summary.

Every step resumes: rerunning the command keeps what is complete.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

# A small world that still has every effect the simulator models: 3 subjects with their own
# alpha, 3 blocks of 8 concepts x 5 clips (120 clips), 3 emotions -> 1 080 generated rows.
DEMO_LAYOUT = {
    "n_subjects": 3,
    "second_sessions": (),
    "n_blocks": 3,
    "n_concepts": 8,
    "n_repetitions": 5,
}
DEMO_MODEL = {"hidden_size": 32, "num_attention_heads": 2, "num_graph_layers": 2}
DEMO_DENOISER = {
    "patch_size": 10,
    "block_out_channels": [32, 64],
    "attention_head_dim": 16,
    "attention_levels": [],
    "time_embedding_dim": 32,
}
DEMO_VIDEO_ENCODER = {"num_frames": 6, "image_size": 32}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="Simulate, align, train, generate (>1000 rows), evaluate and load, offline.",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, default=Path("demo_output"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-steps", type=int, default=250)
    parser.add_argument("--num-inference-steps", type=int, default=10)
    parser.set_defaults(func=run)


def _step(title: str):
    print(f"\n== {title}", flush=True)
    return time.perf_counter()


def run(args: argparse.Namespace) -> int:
    from dataset_builder.builder import AlignOptions, write_aligned_dataset
    from dataset_builder.generation import (
        GenerationPlan,
        GenerationSettings,
        finalize_generation,
        generate_dataset,
        pipeline_revision,
    )
    from dataset_builder.layout import SEEDDVLayout
    from dataset_builder.simulator import SimulatorConfig, simulate_seed_dv
    from dataset_builder.stimuli import open_stimuli

    out: Path = args.out
    layout = SEEDDVLayout(**DEMO_LAYOUT)
    started = time.perf_counter()

    t = _step("1/6 simulate a SEED-DV-layout tree")
    tree = out / "SEED-DV-simulated"
    simulate_seed_dv(tree, seed=args.seed, layout=layout, config=SimulatorConfig())
    print(f"{tree} ({time.perf_counter() - t:.0f} s)")

    t = _step("2/6 align video clips with EEG (blocks 1-2 train, 3 test)")
    aligned = out / "aligned"
    result = write_aligned_dataset(
        tree, aligned, layout=layout, options=AlignOptions(use_ground_truth=True)
    )
    print(f"{aligned}: {result.num_rows} rows ({time.perf_counter() - t:.0f} s)")

    t = _step("3/6 train SPGN + denoiser")
    model_dir = out / "pipeline"
    if not (model_dir / "model_index.json").is_file():
        from training.config import TrainingConfig
        from training.trainer import train

        train(
            TrainingConfig(
                dataset=str(aligned),
                output_dir=str(model_dir),
                model_config=dict(DEMO_MODEL),
                denoiser_config=dict(DEMO_DENOISER),
                video_encoder_config=dict(DEMO_VIDEO_ENCODER),
                train_batch_size=32,
                max_train_steps=args.train_steps,
                learning_rate=2e-3,
                lr_warmup_steps=50,
                checkpointing_steps=200,
                resume_from_checkpoint="latest",
                num_validation_samples=32,
                validation_inference_steps=args.num_inference_steps,
                validation_metrics=["log_psd_distance", "covariance"],
                seed=args.seed,
            )
        )
    print(f"{model_dir} ({time.perf_counter() - t:.0f} s)")

    t = _step("4/6 generate EEG for every clip x subject x emotion")
    from pipelines import Video2EEGPipeline

    pipeline = Video2EEGPipeline.from_pretrained(model_dir)
    revision = pipeline_revision(model_dir)
    config = pipeline.spgn.config
    settings = GenerationSettings(
        subjects=tuple(config.subject_ids),
        emotions=tuple(config.emotion_labels),
        num_inference_steps=args.num_inference_steps,
        seed=args.seed,
    )
    stimuli = open_stimuli(tree)
    generated = out / "generated"
    gen = generate_dataset(
        pipeline, stimuli, generated, settings, pipeline_id=str(model_dir), revision=revision
    )
    print(
        f"{generated}: {gen.num_rows} rows, {gen.rows_per_second:.1f} rows/s "
        f"({time.perf_counter() - t:.0f} s)"
    )

    t = _step("5/6 evaluate against the real (simulated) EEG and write the card")
    final = finalize_generation(
        generated, GenerationPlan(stimuli, settings), pipeline_id=str(model_dir), revision=revision
    )
    print(f"{final.card_path} ({time.perf_counter() - t:.0f} s)")

    _step("6/6 load_dataset the result")
    import datasets

    dataset = datasets.load_dataset(str(generated), split="train")
    report = json.loads(final.report_path.read_text()) if final.report_path else {"metrics": {}}
    print(f"rows: {dataset.num_rows}")
    print(
        f"features: {', '.join(f'{k} ({type(v).__name__})' for k, v in dataset.features.items())}"
    )
    emotions = dataset.features["emotion"].names
    counts = {name: 0 for name in emotions}
    for value in dataset["emotion"]:
        counts[emotions[value]] += 1
    print(f"rows per emotion: {counts}; subjects: {sorted(set(dataset['subject']))}")
    print("metrics (generated vs real, same subjects and clips):")
    for name, metric in report["metrics"].items():
        value = metric.get("value")
        if isinstance(value, int | float):
            print(f"  {name:<24} {value:10.4g}   ideal {metric.get('ideal')}")
    print(f"figures: {', '.join(str(p) for p in final.figures)}")
    print(f"card: {final.card_path}")
    print(f"\ndemo finished in {time.perf_counter() - started:.0f} s")
    return 0
