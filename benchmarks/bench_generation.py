"""Generation job throughput and memory on this machine.

Plans the 28 000-row job of the issue (1 400 clips x 20 subjects, one emotion) over a folder of
seven synthetic 400 s videos (SEED-DV has 1 400 clips), runs a slice of its shards with the
default-size model (random weights: speed does not depend on them) at batch 64 and the default
25 DPM-Solver++ steps, and prints rows/s, the peak RSS after each shard (flat = memory does not
grow with rows), and the projected time of the full job and of the full SEED-DV job
(1 400 clips x 20 subjects x 3 emotions).

    .venv/bin/python benchmarks/bench_generation.py [--shards 3] [--steps 25] [--device cpu]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_videos(folder: Path, n_videos: int = 7, seconds: int = 400, fps: int = 24) -> None:
    import av

    rng = np.random.default_rng(0)
    for v in range(n_videos):
        with av.open(str(folder / f"block{v + 1}.mp4"), "w") as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
            stream.options = {"preset": "ultrafast", "crf": "30"}
            base = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
            for i in range(seconds * fps):
                frame = np.roll(base, i % 64, axis=1)
                frame[:] = (frame.astype(np.int32) + (i // (2 * fps)) * 17) % 256
                container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
            container.mux(stream.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=3, help="Shards to run.")
    parser.add_argument("--rows-per-shard", type=int, default=256)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    import torch
    from diffusers import DPMSolverMultistepScheduler

    from dataset_builder.builder import rows_to_dataset
    from dataset_builder.generation import (
        GenerationPlan,
        GenerationSettings,
        generate_shard,
        generated_features,
    )
    from dataset_builder.stimuli import VideoFolderStimuli
    from modeling_video2eeg import (
        EEGDenoiser,
        LowLevelVideoEncoder,
        SPGNModel,
        Video2EEGConfig,
    )
    from pipelines import Video2EEGPipeline

    torch.manual_seed(0)
    config = Video2EEGConfig()
    pipe = Video2EEGPipeline(
        video_encoder=LowLevelVideoEncoder(),
        spgn=SPGNModel(config).eval(),
        denoiser=EEGDenoiser().eval(),
        scheduler=DPMSolverMultistepScheduler(num_train_timesteps=1000),
    ).to(args.device)
    pipe.set_progress_bar_config(disable=True)
    n_params = sum(p.numel() for p in pipe.denoiser.parameters())
    print(
        f"device {args.device}, torch threads {torch.get_num_threads()}, "
        f"denoiser {n_params / 1e6:.2f} M params, {args.steps} steps, batch {args.batch_size}"
    )

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "videos"
        folder.mkdir()
        t = time.perf_counter()
        write_videos(folder)
        stimuli = VideoFolderStimuli(folder)
        print(f"stimuli: {len(stimuli)} clips ({time.perf_counter() - t:.1f} s to make)")
        settings = GenerationSettings(
            subjects=tuple(range(1, 21)), emotions=("neutral",),
            num_inference_steps=args.steps, batch_size=args.batch_size,
            rows_per_shard=args.rows_per_shard,
        )  # fmt: skip
        plan = GenerationPlan(stimuli, settings)
        features = generated_features(config.emotion_labels, config.n_chans, config.n_times)
        print(
            f"plan: {plan.num_rows} rows in {plan.num_shards} shards; "
            f"peak RSS after planning {peak_rss_mb():.0f} MB"
        )
        provenance = {"pipeline": "bench", "pipeline_revision": "random",
                      "scheduler": "DPMSolverMultistepScheduler",
                      "num_inference_steps": args.steps, "guidance_scale": 1.0}  # fmt: skip
        total_rows, total_s = 0, 0.0
        for shard in range(args.shards):
            rows = plan.shard_rows(shard)
            t = time.perf_counter()
            records = generate_shard(pipe, plan, rows, provenance)
            rows_to_dataset(records, features).to_parquet(str(Path(tmp) / f"{shard}.parquet"))
            seconds = time.perf_counter() - t
            del records
            total_rows += len(rows)
            total_s += seconds
            print(
                f"shard {shard}: {len(rows)} rows (generated + written) in {seconds:.1f} s "
                f"({len(rows) / seconds:.2f} rows/s); peak RSS {peak_rss_mb():.0f} MB"
            )
        rate = total_rows / total_s
        print(f"\nrows/s at batch {args.batch_size}, {args.steps} steps: {rate:.2f}")
        print(
            f"projected: {plan.num_rows} rows (1400 clips x 20 subjects) "
            f"{plan.num_rows / rate / 3600:.2f} h; full SEED-DV x 3 emotions "
            f"(84000 rows) {84000 / rate / 3600:.2f} h on this device, one process"
        )


if __name__ == "__main__":
    main()
