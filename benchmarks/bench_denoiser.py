"""Benchmark the EEG denoiser's forward pass on a (64, 62, 400) batch (CPU by default).

Prints, from one run on one machine:

* the denoiser's parameter count and FLOPs per forward (``torch.utils.flop_counter``);
* its measured forward time and achieved FLOP/s, next to the FLOP/s of a plain
  ``torch.matmul`` (2048 × 2048) measured in the same run;
* the forward time (and FLOPs) of the 1-D U-Net users would otherwise pick:
  ``denoising_diffusion_pytorch.Unet1D(dim=32, dim_mults=(1, 2, 4, 8), channels=62)``
  (electrodes as input channels, no graph), on the same batch.

Timings are the minimum over ``--repeats`` interleaved rounds (denoiser, Unet1D, matmul in
turn). Wall-clock time is the headline figure; the process CPU time of each call is printed
too, because on a shared machine other processes inflate wall time (elementwise, memory-bound
work and OpenMP synchronisation suffer far more than a large matmul). With ``--threads 1``
the CPU-time figures are per-core throughput, nearly independent of other load.

The Unet1D is optional and benchmark-only (not a project dependency). Install it beside the
CPU torch without letting pip replace torch::

    .venv/bin/pip install --no-deps denoising-diffusion-pytorch einops ema-pytorch

Its package ``__init__`` imports torchvision (which does not import beside CPU torch), so this
script loads ``denoising_diffusion_pytorch_1d.py`` alone under a stub package module.

Usage::

    .venv/bin/python benchmarks/bench_denoiser.py [--repeats 5] [--batch 64] [--threads N]
        [--config '{"block_out_channels": [48, 96, 192]}']
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import sys
import time
import types
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from modeling_video2eeg.denoiser import EEGDenoiser

MATMUL_SIZE = 2048


def load_unet1d():
    """Return lucidrains' ``Unet1D`` class, or None (with the reason) when not installed."""
    try:
        dist = importlib.metadata.distribution("denoising-diffusion-pytorch")
    except importlib.metadata.PackageNotFoundError:
        return None, (
            "denoising-diffusion-pytorch is not installed; install it (benchmark only) with\n"
            "  .venv/bin/pip install --no-deps denoising-diffusion-pytorch einops ema-pytorch"
        )
    root = Path(dist.locate_file("denoising_diffusion_pytorch"))
    if "denoising_diffusion_pytorch" not in sys.modules:
        # Stub package: skip the real __init__, which imports torchvision.
        package = types.ModuleType("denoising_diffusion_pytorch")
        package.__path__ = [str(root)]
        sys.modules["denoising_diffusion_pytorch"] = package
    name = "denoising_diffusion_pytorch.denoising_diffusion_pytorch_1d"
    try:
        spec = importlib.util.spec_from_file_location(
            name, root / "denoising_diffusion_pytorch_1d.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except Exception as error:  # a missing einops / ema-pytorch / accelerate
        return None, (
            f"could not load denoising_diffusion_pytorch_1d ({type(error).__name__}: {error}); "
            "install its dependencies with --no-deps: einops ema-pytorch"
        )
    return module.Unet1D, None


def count_flops(fn) -> int:
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return counter.get_total_flops()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--config", default="{}", help="JSON overrides of EEGDenoiser config")
    parser.add_argument("--skip-unet1d", action="store_true")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    denoiser = EEGDenoiser(**json.loads(args.config)).eval()
    config = denoiser.config
    batch = args.batch
    sample = torch.randn(batch, config.n_chans, config.n_times)
    timesteps = torch.randint(0, 1000, (batch,))
    node_conditioning = torch.randn(batch, config.n_chans, config.conditioning_dim)
    video_tokens = torch.randn(batch, 6, config.conditioning_dim)

    def run_denoiser():
        return denoiser(sample, timesteps, node_conditioning, video_tokens).sample

    a = torch.randn(MATMUL_SIZE, MATMUL_SIZE)
    b = torch.randn(MATMUL_SIZE, MATMUL_SIZE)
    matmul_flops = 2 * MATMUL_SIZE**3

    def run_matmul():
        return torch.matmul(a, b)

    candidates = {"denoiser": run_denoiser, "matmul": run_matmul}
    unet = None
    if not args.skip_unet1d:
        unet_cls, reason = load_unet1d()
        if unet_cls is None:
            print(f"[Unet1D skipped] {reason}")
        else:
            unet = unet_cls(dim=32, dim_mults=(1, 2, 4, 8), channels=config.n_chans).eval()

            def run_unet():
                return unet(sample, timesteps)

            candidates["unet1d"] = run_unet

    times: dict[str, float] = {}
    cpu_times: dict[str, float] = {}
    with torch.inference_mode():
        flops = {"denoiser": count_flops(run_denoiser), "matmul": matmul_flops}
        if unet is not None:
            flops["unet1d"] = count_flops(candidates["unet1d"])
        for fn in candidates.values():  # warm-up (allocator, oneDNN primitive caches)
            fn()
        for _ in range(args.repeats):
            for name, fn in candidates.items():
                start, cpu_start = time.perf_counter(), time.process_time()
                fn()
                elapsed = time.perf_counter() - start
                cpu = time.process_time() - cpu_start
                times[name] = min(times.get(name, float("inf")), elapsed)
                cpu_times[name] = min(cpu_times.get(name, float("inf")), cpu)

    n_params = sum(p.numel() for p in denoiser.parameters())
    shape = f"({batch}, {config.n_chans}, {config.n_times})"
    shown = {k: v for k, v in config.items() if k != "ch_names" and not k.startswith("_")}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {shape}")
    print(f"EEGDenoiser config: {json.dumps(shown)}")
    print(f"denoiser parameters: {n_params:,}")
    if unet is not None:
        print(f"Unet1D parameters  : {sum(p.numel() for p in unet.parameters()):,}")
    print(f"min of {args.repeats} interleaved rounds; FLOP/s = FLOPs / time")
    header = f"{'':10s} {'GFLOP':>7s} {'wall ms':>9s} {'GFLOP/s':>8s} {'% mm':>5s}"
    print(header + f" {'CPU ms':>9s} {'GFLOP/CPU-s':>12s} {'% mm':>5s}")
    peak = matmul_flops / times["matmul"]
    cpu_peak = matmul_flops / cpu_times["matmul"]
    for name in candidates:
        wall_rate = flops[name] / times[name]
        cpu_rate = flops[name] / cpu_times[name]
        print(
            f"{name:10s} {flops[name] / 1e9:7.2f} {times[name] * 1e3:9.1f} "
            f"{wall_rate / 1e9:8.1f} {100 * wall_rate / peak:4.0f}% "
            f"{cpu_times[name] * 1e3:9.1f} {cpu_rate / 1e9:12.1f} {100 * cpu_rate / cpu_peak:4.0f}%"
        )
    if unet is not None:
        print(
            f"denoiser / Unet1D time: wall {times['denoiser'] / times['unet1d']:.2f}, "
            f"CPU {cpu_times['denoiser'] / cpu_times['unet1d']:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
