"""``video2eeg simulate``, ``video2eeg align`` and ``video2eeg train-emotion``.

Thin wrappers over :mod:`dataset_builder`: parse arguments, call the library, print results.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _int_list(text: str) -> tuple[int, ...]:
    """``"1,2,5-7"`` -> ``(1, 2, 5, 6, 7)``; ``""`` -> ``()``."""
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        low, _, high = part.partition("-")
        try:
            out.extend(range(int(low), int(high or low) + 1))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected integers like '1,2,5-7', got {text!r}"
            ) from None
    return tuple(out)


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT like 64x48, got {text!r}"
        ) from None
    return width, height


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def register(subparsers: argparse._SubParsersAction) -> None:
    sim = subparsers.add_parser(
        "simulate",
        help="Write a simulated SEED-DV tree (EEG, videos, meta, captions, ground truth).",
        description="Write a complete SEED-DV-layout tree with simulated EEG whose ground truth "
        "(alpha peaks, stimulus and emotion effects) is recorded in ground_truth.json. Defaults "
        "are full SEED-DV size; use --subjects/--blocks/--concepts for a small tree.",
    )
    sim.add_argument("--out", type=Path, required=True, help="Root folder of the tree.")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--subjects", type=int, default=20, help="Subjects (default 20).")
    sim.add_argument(
        "--second-sessions",
        type=_int_list,
        default=None,
        help="Subjects with a sub<N>_session2.npy (default '1' as SEED-DV; '' for none).",
    )
    sim.add_argument("--blocks", type=int, default=7)
    sim.add_argument("--concepts", type=int, default=40)
    sim.add_argument("--repetitions", type=int, default=5, help="Clips per concept (default 5).")
    sim.add_argument(
        "--video-size", type=_size, default=(64, 48), help="WIDTHxHEIGHT (default 64x48)."
    )
    sim.add_argument("--no-video", action="store_true", help="Skip writing Video/*.mp4.")
    sim.add_argument(
        "--artifacts",
        default="blink,muscle,line",
        help="Comma list of artifacts to add: blink, muscle, line; 'none' for clean EEG.",
    )
    sim.add_argument("--quiet", action="store_true", help="No progress bars.")
    sim.set_defaults(func=run_simulate)

    align = subparsers.add_parser(
        "align",
        help="Check a SEED-DV tree and write the aligned video-EEG-emotion dataset.",
        description="Cut every 2 s clip out of a SEED-DV tree (or a simulated one), pair it with "
        "its EEG, labels and an emotion label, and write Parquet shards + README.md that "
        "datasets.load_dataset(OUT) reads. With --report, only check the tree.",
    )
    align.add_argument("--seed-dv", type=Path, required=True, help="SEED-DV root folder.")
    align.add_argument(
        "--out", type=Path, help="Dataset folder to write (not needed with --report)."
    )
    align.add_argument("--report", action="store_true", help="Only run the alignment checks.")
    align.add_argument("--report-json", type=Path, help="Also write the report as JSON here.")
    align.add_argument(
        "--layout-json", type=Path, help="SEEDDVLayout fields as JSON (default: inferred)."
    )
    align.add_argument("--splits", help="Blocks per split, e.g. 'train=1-6,test=7' (default).")
    align.add_argument(
        "--emotion-labels",
        type=_names,
        default=("negative", "neutral", "positive"),
        help="Emotion class names (default negative,neutral,positive).",
    )
    align.add_argument("--emotion-map", type=Path, help="Mapping file (JSON/CSV) to emotions.")
    align.add_argument("--emotion-model", type=Path, help="Pseudo-labeller (.safetensors).")
    align.add_argument(
        "--ground-truth-emotions",
        action="store_true",
        help="Use a simulated tree's ground_truth.json emotions.",
    )
    align.add_argument("--subjects", type=_int_list, help="Only these subjects, e.g. 1,2,5-7.")
    align.add_argument("--sessions", type=_int_list, help="Only these sessions.")
    align.add_argument("--video-size", type=_size, help="Rescale clips to WIDTHxHEIGHT.")
    align.add_argument("--crf", type=int, default=23, help="x264 quality of the clips.")
    align.add_argument("--skip-checks", action="store_true", help="Do not run the checks first.")
    align.add_argument("--overwrite", action="store_true", help="Replace a dataset made otherwise.")
    align.add_argument("--quiet", action="store_true", help="No progress bars.")
    align.set_defaults(func=run_align)

    train = subparsers.add_parser(
        "train-emotion",
        help="Train the EEG emotion pseudo-labeller (DE features + logistic regression).",
        description="Train on SEED's Preprocessed_EEG (--seed-emotion) or on the labelled clips "
        "of a SEED-DV-layout tree (--seed-dv with --emotion-map or --ground-truth-emotions).",
    )
    train.add_argument("--out", type=Path, required=True, help="Model file (.safetensors).")
    source = train.add_mutually_exclusive_group(required=True)
    source.add_argument("--seed-emotion", type=Path, help="SEED Preprocessed_EEG folder.")
    source.add_argument("--seed-dv", type=Path, help="SEED-DV-layout tree.")
    train.add_argument("--emotion-map", type=Path)
    train.add_argument("--ground-truth-emotions", action="store_true")
    train.add_argument("--blocks", type=_int_list, help="Training blocks (tree only).")
    train.add_argument("--eval-blocks", type=_int_list, help="Held-out blocks to report accuracy.")
    train.add_argument("--subjects", type=_int_list)
    train.add_argument("--emotion-labels", type=_names, default=("negative", "neutral", "positive"))
    train.add_argument("--C", type=float, default=0.01, help="Inverse L2 strength.")
    train.add_argument("--name", default="de-logreg", help="Recorded as pseudo:<name>.")
    train.set_defaults(func=run_train_emotion)


def run_simulate(args: argparse.Namespace) -> int:
    from dataset_builder.layout import SEEDDVLayout
    from dataset_builder.simulator import ARTIFACTS, SimulatorConfig, simulate_seed_dv

    second = (1,) if args.second_sessions is None else args.second_sessions
    artifacts = () if args.artifacts.strip().lower() == "none" else _names(args.artifacts)
    try:
        layout = SEEDDVLayout(
            n_subjects=args.subjects,
            second_sessions=tuple(s for s in second if s <= args.subjects),
            n_blocks=args.blocks,
            n_concepts=args.concepts,
            n_repetitions=args.repetitions,
        )
        config = SimulatorConfig(
            video_width=args.video_size[0],
            video_height=args.video_size[1],
            write_video=not args.no_video,
            artifacts=artifacts,
        )
    except ValueError as error:
        print(f"error: {error} (artifacts: {', '.join(ARTIFACTS)})", file=sys.stderr)
        return 2
    try:
        tree = simulate_seed_dv(
            args.out, seed=args.seed, layout=layout, config=config, progress=not args.quiet
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"wrote {tree.root}: {len(layout.sessions())} EEG files {layout.eeg_shape}, "
        f"{layout.n_blocks} videos, ground truth in {tree.ground_truth_path}"
    )
    return 0


def run_align(args: argparse.Namespace) -> int:
    from dataset_builder.alignment_report import check_alignment
    from dataset_builder.builder import (
        AlignmentFailedError,
        AlignOptions,
        parse_split_blocks,
        write_aligned_dataset,
    )
    from dataset_builder.emotion_labels import EmotionMappingError
    from dataset_builder.layout import SEEDDVLayout
    from dataset_builder.reader import SEEDDVFormatError, infer_layout

    if args.layout_json is not None:
        layout = SEEDDVLayout.from_dict(json.loads(args.layout_json.read_text(encoding="utf-8")))
    else:
        layout = infer_layout(args.seed_dv)

    if args.report:
        report = check_alignment(args.seed_dv, layout, progress=not args.quiet)
        print(report.to_text())
        if args.report_json is not None:
            args.report_json.parent.mkdir(parents=True, exist_ok=True)
            args.report_json.write_text(report.to_json(), encoding="utf-8")
        return 0 if report.passed else 1

    if args.out is None:
        print("error: --out is required unless --report is given", file=sys.stderr)
        return 2
    try:
        options = AlignOptions(
            split_blocks=parse_split_blocks(args.splits) if args.splits else None,
            emotion_labels=args.emotion_labels,
            emotion_map=None if args.emotion_map is None else str(args.emotion_map),
            emotion_model=None if args.emotion_model is None else str(args.emotion_model),
            use_ground_truth=args.ground_truth_emotions,
            subjects=args.subjects,
            sessions=args.sessions,
            video_size=args.video_size,
            video_crf=args.crf,
        )
        result = write_aligned_dataset(
            args.seed_dv,
            args.out,
            layout=layout,
            options=options,
            check=not args.skip_checks,
            overwrite=args.overwrite,
            progress=not args.quiet,
        )
    except AlignmentFailedError as error:
        print(error.report.to_text(), file=sys.stderr)
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (
        SEEDDVFormatError,
        EmotionMappingError,
        FileNotFoundError,
        KeyError,
        ValueError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    rows = ", ".join(f"{k}: {v}" for k, v in result.num_rows.items())
    sources = ", ".join(f"{k}: {v}" for k, v in result.emotion_sources.items())
    print(
        f"wrote {result.out_dir} ({rows} clips; {len(result.written)} shards written, "
        f"{len(result.skipped)} already complete); emotion sources: {sources}"
    )
    return 0


def run_train_emotion(args: argparse.Namespace) -> int:
    import numpy as np

    from dataset_builder.emotion_labels import build_emotion_source, labelled_clips
    from dataset_builder.pseudo_labeller import EmotionPseudoLabeller, seed_emotion_features
    from dataset_builder.reader import SEEDDVReader, infer_layout
    from dataset_builder.simulator import load_ground_truth

    model = EmotionPseudoLabeller(args.emotion_labels, C=args.C, name=args.name)
    try:
        if args.seed_emotion is not None:
            features, labels, _ = seed_emotion_features(args.seed_emotion, model)
            model.fit_features(features, labels)
            print(f"trained on {len(labels)} SEED windows from {args.seed_emotion}")
        else:
            layout = infer_layout(args.seed_dv)
            reader = SEEDDVReader(args.seed_dv, layout)
            source = build_emotion_source(
                args.emotion_labels,
                layout,
                emotion_map=args.emotion_map,
                ground_truth=load_ground_truth(args.seed_dv)
                if args.ground_truth_emotions
                else None,
            )
            if source is None:
                print(
                    "error: --seed-dv needs --emotion-map or --ground-truth-emotions",
                    file=sys.stderr,
                )
                return 2
            eeg, labels, _ = labelled_clips(reader, source, args.blocks, args.subjects)
            model.fit(eeg, labels)
            print(f"trained on {len(labels)} labelled clips (blocks {args.blocks or 'all'})")
            if args.eval_blocks:
                eeg, labels, _ = labelled_clips(reader, source, args.eval_blocks, args.subjects)
                predicted, _ = model.predict(eeg)
                accuracy = float(np.mean([p == t for p, t in zip(predicted, labels, strict=True)]))
                chance = max(labels.count(name) for name in set(labels)) / len(labels)
                print(
                    f"held-out blocks {list(args.eval_blocks)}: accuracy {accuracy:.3f} "
                    f"(majority-class chance {chance:.3f}, n={len(labels)})"
                )
    except (ValueError, FileNotFoundError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"saved {model.save(args.out)}")
    return 0
