"""``video2eeg adapt``: a new subject fitted from a few clips, everything else untouched."""

from __future__ import annotations

import torch

from tests.fixtures.training import single_thread
from tests.training.helpers import load_tensors


def test_adapt_cli_adds_one_subject(
    trained_tiny_pipeline_dir, aligned_dataset_dir, tmp_path, capsys
):
    from pipelines.pipeline_video2eeg import Video2EEGPipeline
    from video2eeg.cli import main

    out = tmp_path / "adapted"
    with single_thread():
        code = main(
            ["adapt", "--pipeline", str(trained_tiny_pipeline_dir),
             "--subject-data", str(aligned_dataset_dir), "--subject", "2",
             "--new-subject-id", "42", "--num-clips", "20", "--steps", "5", "--out", str(out)]
        )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert "subject 42" in capsys.readouterr().out
    pipe = Video2EEGPipeline.from_pretrained(str(out))
    original = Video2EEGPipeline.from_pretrained(str(trained_tiny_pipeline_dir))
    assert pipe.spgn.config.subject_ids == [*original.spgn.config.subject_ids, 42]
    new_row = pipe.spgn.subject_index([42]).item()
    weights = pipe.spgn.subject_embedding.weight.detach()
    old = original.spgn.subject_embedding.weight.detach()
    assert torch.equal(weights[:new_row], old)  # existing subjects bit-identical
    assert not torch.equal(weights[new_row], old.mean(dim=0))  # the new row was fitted
    before = load_tensors(
        trained_tiny_pipeline_dir / "denoiser/diffusion_pytorch_model.safetensors"
    )
    after = load_tensors(out / "denoiser/diffusion_pytorch_model.safetensors")
    assert all(torch.equal(before[k], after[k]) for k in before)  # denoiser frozen
    eeg = pipe(
        video_tokens=torch.zeros(1, 4, 32), subject=42, emotion="neutral", num_inference_steps=2,
        generator=torch.Generator().manual_seed(0),
    ).eeg  # fmt: skip
    assert eeg.shape == (1, 62, 400)


def test_adapt_refuses_a_known_subject_and_too_few_clips(
    trained_tiny_pipeline_dir, aligned_dataset_dir, tmp_path, capsys
):
    from video2eeg.cli import main

    common = ["adapt", "--pipeline", str(trained_tiny_pipeline_dir),
              "--subject-data", str(aligned_dataset_dir), "--out", str(tmp_path / "x")]  # fmt: skip
    assert main([*common, "--subject", "1"]) == 2
    assert "new_subject_id 1 is already a subject of this model" in capsys.readouterr().err
    assert main([*common, "--subject", "2", "--new-subject-id", "9", "--num-clips", "5000"]) == 2
    assert "fewer than num_clips=5000" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_adapt_cli_passes_the_spectral_options_and_otherwise_keeps_the_library_defaults(
    monkeypatch, tmp_path
):
    import training.adapt
    from video2eeg.cli import main

    calls = []

    def record(*args, **kwargs):
        calls.append(kwargs)
        return training.adapt.AdaptResult(tmp_path, 9, 3, 20, 2)

    monkeypatch.setattr(training.adapt, "adapt_pipeline", record)
    common = ["adapt", "--pipeline", "p", "--subject-data", "d", "--out", str(tmp_path)]
    assert main(common) == 0
    assert main([*common, "--spectral-weight", "0", "--spectral-sampling-steps", "3"]) == 0
    assert "spectral_weight" not in calls[0] and "spectral_sampling_steps" not in calls[0]
    assert calls[1]["spectral_weight"] == 0.0 and calls[1]["spectral_sampling_steps"] == 3
