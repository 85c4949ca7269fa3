"""Training throughput at batch 64 on this CPU, and where the time goes.

Builds a small simulated SEED-DV dataset (``--workdir``, reused between runs), sets up a real
``Video2EEGTrainer`` (default model sizes unless ``--small``), then measures per batch of 64:

* data loading: one batch from the prepared ``DataLoader`` (Arrow read of the EEG,
  normalisation, cached tokens);
* video encoding: decoding 64 embedded mp4 clips and running the frozen encoder — the cost
  the per-clip token cache removes from every epoch after the first (split into decode and
  encoder forward);
* denoiser step: SPGN + denoiser forward, backward, clipping, AdamW and LR-scheduler step
  (the trainer's own ``_train_step``).

Prints wall and CPU seconds per batch (CPU time is the steadier figure on a shared machine)
and training samples/s with the cache (data + step) and without it (data + video + step).

Usage::

    .venv/bin/python benchmarks/bench_training.py [--workdir DIR] [--batches 5] [--small]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

BATCH = 64


def make_dataset(workdir: Path) -> Path:
    from dataset_builder.builder import AlignOptions, write_aligned_dataset
    from dataset_builder.layout import SEEDDVLayout
    from dataset_builder.simulator import simulate_seed_dv

    layout = SEEDDVLayout(n_subjects=2, second_sessions=(), n_blocks=3, n_concepts=20)
    tree, dataset = workdir / "seed_dv", workdir / "dataset"
    simulate_seed_dv(tree, seed=0, layout=layout, progress=False)
    write_aligned_dataset(
        tree, dataset, layout=layout, options=AlignOptions(use_ground_truth=True), progress=False
    )
    return dataset


class Timer:
    def __init__(self):
        self.wall, self.cpu = [], []

    def __enter__(self):
        self._w, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall.append(time.perf_counter() - self._w)
        self.cpu.append(time.process_time() - self._c)

    def mean(self) -> tuple[float, float]:
        return sum(self.wall) / len(self.wall), sum(self.cpu) / len(self.cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "video2eeg-bench-training"
    )
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--small", action="store_true", help="the learning report's small model")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)

    import torch

    from training.config import TrainingConfig
    from training.data import clip_frames, encode_clips
    from training.trainer import Video2EEGTrainer, step_seed

    if args.threads:
        torch.set_num_threads(args.threads)
    dataset = make_dataset(args.workdir)
    model_config, denoiser_config = {}, {}
    if args.small:
        model_config = {"hidden_size": 64, "num_attention_heads": 4, "position_frequencies": 2}
        denoiser_config = {
            "block_out_channels": [32, 64], "attention_head_dim": 16, "attention_levels": [],
            "time_embedding_dim": 32,
        }  # fmt: skip
    out = args.workdir / ("run-small" if args.small else "run-default")
    config = TrainingConfig(
        dataset=str(dataset),
        output_dir=str(out),
        eval_split=None,
        train_batch_size=BATCH,
        max_train_steps=args.batches + 1,
        checkpointing_steps=0,
        model_config=model_config,
        denoiser_config=denoiser_config,
        cache_dir=str(args.workdir / "token_cache"),
    )
    trainer = Video2EEGTrainer(config)
    trainer.setup()
    n_params = sum(p.numel() for p in trainer.unwrapped.parameters())

    data, video, decode, encode, step = Timer(), Timer(), Timer(), Timer(), Timer()
    trainer.dataloader.set_epoch(0)
    iterator = iter(trainer.dataloader)
    batches = []
    for _ in range(args.batches + 1):
        with data:
            batches.append(next(iterator))
    data.wall, data.cpu = data.wall[1:], data.cpu[1:]  # the first includes iterator start-up

    rows = trainer.train_ds.select(range(BATCH))
    encoder, num_frames = trainer.video_encoder, trainer.spgn.config.num_frames
    for _ in range(max(1, args.batches // 2)):
        with video:
            encode_clips(rows, encoder, num_frames, BATCH, show_progress=False)
        videos = rows["video"]
        with decode:
            frames = torch.stack([clip_frames(v, num_frames) for v in videos])
        with encode, torch.no_grad():
            encoder(encoder.preprocess(frames))

    trainer._train_step(batches[0], step_seed(0, 0))  # warm-up (allocations, autograd graph)
    for i, batch in enumerate(batches[1:]):
        with step:
            trainer._train_step(batch, step_seed(0, i + 1))

    d, v, s = data.mean(), video.mean(), step.mean()
    print(f"model: {n_params / 1e6:.2f} M parameters ({'small' if args.small else 'default'} sizes), "
          f"batch {BATCH}, torch threads {torch.get_num_threads()}")  # fmt: skip
    print(f"{'phase':<28}{'wall s/batch':>14}{'cpu s/batch':>14}{'share (wall)':>14}")
    total_uncached = d[0] + v[0] + s[0]

    def row(name: str, wall: float, cpu: float, share: bool = True) -> None:
        tail = f"{wall / total_uncached:>14.1%}" if share else ""
        print(f"{name:<28}{wall:>14.3f}{cpu:>14.3f}{tail}")

    row("data loading", *d)
    row("video encoding (uncached)", *v)
    # timed separately; the rest of the line above is reading the clips out of the Arrow table
    row("  of which frame decoding", *decode.mean(), share=False)
    row("  of which encoder forward", *encode.mean(), share=False)
    row("denoiser step", *s)
    cached = d[0] + s[0]
    print(f"samples/s with the token cache (data + step): {BATCH / cached:.1f}  "
          f"(denoiser step {s[0] / cached:.1%} of it)")  # fmt: skip
    print(f"samples/s if the encoder ran every epoch:      {BATCH / total_uncached:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
