"""Mixed precision: a bf16 run (CPU autocast here, the same path on GPUs) trains and saves."""

from __future__ import annotations

import json
import math

import torch

from tests.fixtures.training import single_thread, tiny_training_config
from tests.training.helpers import load_tensors, token_cache_dir


def test_bf16_run_trains_in_autocast_and_saves_float32_weights(
    aligned_dataset_dir, trained_tiny_pipeline_dir, tmp_path
):
    from pipelines.pipeline_video2eeg import Video2EEGPipeline
    from training.trainer import train

    config = tiny_training_config(
        aligned_dataset_dir,
        tmp_path / "bf16",
        max_train_steps=3,
        checkpointing_steps=0,
        eval_split=None,
        use_ema=False,
        mixed_precision="bf16",
        cache_dir=token_cache_dir(trained_tiny_pipeline_dir),
    )
    with single_thread():
        result = train(config)
    report = json.loads((tmp_path / "bf16" / "training_report.json").read_text())
    assert report["mixed_precision"] == "bf16"
    assert len(result.losses) == 3 and all(math.isfinite(x) for x in result.losses)
    weights = load_tensors(tmp_path / "bf16" / "denoiser" / "diffusion_pytorch_model.safetensors")
    assert {t.dtype for t in weights.values()} == {torch.float32}
    pipe = Video2EEGPipeline.from_pretrained(str(tmp_path / "bf16"))
    config = pipe.spgn.config
    out = pipe(
        video_tokens=torch.zeros(1, config.num_frames, config.video_token_dim),
        subject=config.subject_ids[0],
        num_inference_steps=2,
        generator=torch.Generator().manual_seed(0),
        output_type="np",
    )
    assert out.eeg.shape == (1, 62, 400)
