"""Video2EEGPipeline: seconds per clip, default 25-step DPM-Solver++ vs 1000-step DDPM, and fidelity.

Speed: for each batch size, one pipeline call on precomputed video tokens (2 s clips) with the
default scheduler (DPM-Solver++ 2M, ``--fast-steps``) and one with ``DDPMScheduler.from_config``
at ``--ddpm-steps``. The DDPM run is timed over its first ``--ddpm-timed-steps`` steps and
extrapolated (every DDPM step is one denoiser forward of the same batch: time = set-up +
steps x per-step time; pass ``--ddpm-timed-steps 1000`` to time it all).

Fidelity (needs ``--pipeline`` and ``--data``): EEG generated for ``--fidelity-clips`` rows of an
aligned dataset split (their video clip, subject and emotion), by both samplers in full, is
compared with those rows' real EEG by the same metrics from :mod:`evaluation`: the median-spectrum
distance (``log_psd_distance``, dB) and the Fréchet distance of clip features
(``frechet_distance``). A second real subset of the same size gives the real-vs-real floor.

Without ``--pipeline`` the model is the default-size architecture with random weights (speed
does not depend on the weights) and only speed is measured; the output says so.

    .venv/bin/python benchmarks/bench_pipeline.py                       # speed, random weights
    .venv/bin/python benchmarks/bench_pipeline.py --pipeline runs/x/pipeline --data aligned/
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch


def build_pipeline(path: str | None, device: str):
    from diffusers import DPMSolverMultistepScheduler

    from modeling_video2eeg import EEGDenoiser, LowLevelVideoEncoder, SPGNModel, Video2EEGConfig
    from pipelines import Video2EEGPipeline

    if path:
        pipe = Video2EEGPipeline.from_pretrained(path)
    else:
        torch.manual_seed(0)
        config = Video2EEGConfig()
        pipe = Video2EEGPipeline(
            video_encoder=LowLevelVideoEncoder(),
            spgn=SPGNModel(config).eval(),
            denoiser=EEGDenoiser(conditioning_dim=config.hidden_size).eval(),
            scheduler=DPMSolverMultistepScheduler(num_train_timesteps=1000),
        )
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


def ddpm_of(pipe):
    from diffusers import DDPMScheduler

    from pipelines import Video2EEGPipeline

    ddpm = Video2EEGPipeline(**pipe.components)
    ddpm.set_progress_bar_config(disable=True)
    ddpm.scheduler = DDPMScheduler.from_config(pipe.scheduler.config)
    return ddpm


def timed_call(pipe, tokens, subjects, emotions, steps: int, timed_steps: int, seed: int = 0):
    """Wall time of a call; when ``timed_steps < steps`` the rest is extrapolated per step."""
    stamps: list[float] = []

    def stop_after(p, step, timestep, kwargs):
        stamps.append(time.perf_counter())
        if step + 1 >= timed_steps:
            p._interrupt = True  # diffusers' interrupt: the remaining steps are skipped
        return {}

    start = time.perf_counter()
    pipe(
        video_tokens=tokens,
        subject=subjects,
        emotion=emotions,
        num_inference_steps=steps,
        generator=[torch.Generator().manual_seed(seed + i) for i in range(len(tokens))],
        output_type="pt",
        callback_on_step_end=stop_after,
    )
    end = time.perf_counter()
    if timed_steps >= steps or len(stamps) < 2:
        return end - start, False
    per_step = (stamps[-1] - stamps[0]) / (len(stamps) - 1)
    set_up = stamps[0] - start - per_step
    return set_up + steps * per_step + (end - stamps[-1]), True


def load_rows(pipe, data: str, split: str, n: int, seed: int):
    """Tokens, subjects, emotions and real EEG (µV) of ``n`` random rows, plus ``n`` more real."""
    import datasets

    from evaluation.dataset_io import open_dataset
    from pipelines.video_io import read_clip_frames

    table = open_dataset(data)[split].cast_column("video", datasets.Video(decode=False))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(table))
    rows = table.select(order[:n].tolist())
    floor_rows = table.select(order[n : 2 * n].tolist())
    emotion_names = table.features["emotion"].names
    frames = torch.stack(
        [
            read_clip_frames(
                row["video"]["bytes"] or row["video"]["path"], 0.0, 2.0, pipe.num_frames
            )
            for row in rows
        ]
    )
    tokens = torch.cat([pipe.encode_video(frames[i : i + 64]) for i in range(0, n, 64)])
    real = np.asarray(rows["eeg"], dtype=np.float32)
    floor = np.asarray(floor_rows["eeg"], dtype=np.float32) if len(floor_rows) >= 2 else None
    return (
        tokens,
        [int(s) for s in rows["subject"]],
        [emotion_names[e] for e in rows["emotion"]],
        real,
        floor,
    )


def fidelity(real: np.ndarray, generated: np.ndarray, sfreq: float, ch_names) -> dict:
    from evaluation.distributional import frechet_distance
    from evaluation.spectral import log_psd_distance

    return {
        "log_psd_distance_db": log_psd_distance(real, generated, sfreq, ch_names)["value"],
        "frechet_distance": frechet_distance(real, generated, sfreq, ch_names)["value"],
    }


def generate_all(pipe, tokens, subjects, emotions, steps: int, batch: int = 64) -> np.ndarray:
    out = []
    for start in range(0, len(tokens), batch):
        stop = start + batch
        out.append(
            pipe(
                video_tokens=tokens[start:stop],
                subject=subjects[start:stop],
                emotion=emotions[start:stop],
                num_inference_steps=steps,
                generator=[
                    torch.Generator().manual_seed(i) for i in range(start, min(stop, len(tokens)))
                ],
            ).eeg
        )
    return np.concatenate(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline", help="A trained pipeline folder or Hub id.")
    parser.add_argument("--data", help="An aligned dataset folder (needs --pipeline).")
    parser.add_argument("--split", default="train", help="Dataset split to compare with.")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--fast-steps", type=int, default=25)
    parser.add_argument("--ddpm-steps", type=int, default=1000)
    parser.add_argument("--ddpm-timed-steps", type=int, default=20)
    parser.add_argument("--fidelity-clips", type=int, default=64)
    parser.add_argument(
        "--repeats", type=int, default=2, help="Timings per setting; the fastest is kept."
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    args = parser.parse_args()
    if args.data and not args.pipeline:
        parser.error("--data needs --pipeline (fidelity needs a trained model)")

    pipe = build_pipeline(args.pipeline, args.device)
    ddpm = ddpm_of(pipe)
    config = pipe.spgn.config
    n_params = sum(p.numel() for p in pipe.denoiser.parameters()) + sum(
        p.numel() for p in pipe.spgn.parameters()
    )
    weights = (
        args.pipeline
        or "RANDOM default-size weights (speed only: no fidelity without a trained --pipeline)"
    )
    print(f"model: {weights}; {n_params / 1e6:.2f} M parameters (SPGN + denoiser)")
    print(
        f"device: {args.device}, torch threads: {torch.get_num_threads()}, "
        f"fastest of {args.repeats} timings per setting"
    )
    results: dict = {"model": weights, "parameters": n_params, "device": args.device, "speed": []}

    generator = torch.Generator().manual_seed(0)
    subject = config.subject_ids[0]
    emotion = config.emotion_labels[0]
    pipe(  # warm-up: first-call allocations and kernel selection
        video_tokens=torch.rand(1, pipe.num_frames, config.video_token_dim, generator=generator),
        subject=subject,
        num_inference_steps=2,
    )
    header = f"{'batch':>5}  {'DPM-Solver++ s/clip':>20}  {'DDPM s/clip':>14}  {'speed-up':>8}"
    print(f"\nsteps: DPM-Solver++ {args.fast_steps}, DDPM {args.ddpm_steps}\n{header}")
    for batch in args.batch_sizes:
        tokens = torch.rand(batch, pipe.num_frames, config.video_token_dim, generator=generator)
        subjects, emotions = [subject] * batch, [emotion] * batch
        fast = min(
            timed_call(pipe, tokens, subjects, emotions, args.fast_steps, args.fast_steps)[0]
            for _ in range(args.repeats)
        )
        slow_runs = [
            timed_call(ddpm, tokens, subjects, emotions, args.ddpm_steps, args.ddpm_timed_steps)
            for _ in range(args.repeats)
        ]
        slow, extrapolated = min(slow_runs)
        mark = "*" if extrapolated else " "
        print(
            f"{batch:>5}  {fast / batch:>20.4f}  {slow / batch:>13.4f}{mark}  {slow / fast:>7.1f}x"
        )
        results["speed"].append(
            {
                "batch_size": batch,
                "fast_steps": args.fast_steps,
                "fast_seconds_per_clip": fast / batch,
                "ddpm_steps": args.ddpm_steps,
                "ddpm_seconds_per_clip": slow / batch,
                "ddpm_extrapolated_from_steps": args.ddpm_timed_steps if extrapolated else None,
                "speedup": slow / fast,
            }
        )
    if any(r["ddpm_extrapolated_from_steps"] for r in results["speed"]):
        print(
            f"* DDPM timed over its first {args.ddpm_timed_steps} steps and extrapolated to "
            f"{args.ddpm_steps} (set-up + steps x per-step time)"
        )

    if args.data:
        print(
            f"\nfidelity vs {args.fidelity_clips} real clips of split {args.split!r} ({args.data})"
        )
        tokens, subjects, emotions, real, floor = load_rows(
            pipe, args.data, args.split, args.fidelity_clips, seed=0
        )
        sfreq, ch_names = pipe.sfreq, pipe.ch_names
        rows = {
            f"DPM-Solver++ {args.fast_steps} steps": generate_all(
                pipe, tokens, subjects, emotions, args.fast_steps
            ),
            f"DDPM {args.ddpm_steps} steps": generate_all(
                ddpm, tokens, subjects, emotions, args.ddpm_steps
            ),
        }
        if floor is not None:
            rows["real (another subset)"] = floor
        results["fidelity"] = {}
        print(f"{'':<26}{'log-PSD distance (dB)':>24}{'Fréchet (features)':>20}")
        for name, generated in rows.items():
            scores = fidelity(real, generated, sfreq, ch_names)
            results["fidelity"][name] = scores
            print(
                f"{name:<26}{scores['log_psd_distance_db']:>24.3f}"
                f"{scores['frechet_distance']:>20.3f}"
            )
    else:
        print("\nfidelity: skipped (pass a trained --pipeline and an aligned --data folder)")

    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
