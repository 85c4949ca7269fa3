"""Self-play fine-tuning (SPIN-Diffusion, Yuan et al., NeurIPS 2024) — our reading.

Round ``k + 1`` starts from the round-``k`` model and keeps a frozen copy of it as the
*opponent*. The opponent first generates EEG for every training condition (same video
tokens, subject and emotion as a real clip) with a fast sampler. The trainee is then pushed
to lower its denoising error on the real clip and raise it on the opponent's clip, relative
to the opponent, through a logistic (DPO-style) loss on the error differences:

.. math::

    m = \\big(e_\\theta(x^{real}_t) - e_{ref}(x^{real}_t)\\big)
        - \\big(e_\\theta(x^{gen}_t) - e_{ref}(x^{gen}_t)\\big),\\qquad
    \\mathcal{L} = \\operatorname{softplus}(\\beta\\, m)

where :math:`e(\\cdot)` is the per-clip mean squared error of the ε/v prediction at the
same timestep ``t`` and the same noise for both clips of a pair (this shared draw lowers
the variance of ``m``, as in Diffusion-DPO). ``softplus(βm) = -log σ(-βm)``: the loss falls
when the trainee explains real EEG better than the opponent does while explaining the
opponent's own samples worse. SPIN-Diffusion's exact objective integrates over whole
sampling trajectories; like its practical approximation we use one forward-process draw per
pair. An optional supervised term ``λ · e_θ(x^{real}_t)`` keeps the model from drifting
away from the data (our addition, ``self_play_sft_weight``; 0 gives the pure SPIN loss).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler

from training.diffusion_loss import NoiseDraw, draw_noise, drop_video, per_sample_denoising_error


@dataclass
class SelfPlayLoss:
    """Loss and diagnostics of one self-play batch.

    Attributes
    ----------
    loss : torch.Tensor
        Scalar to back-propagate (SPIN loss + ``sft_weight`` · supervised error).
    spin_loss : torch.Tensor
        Scalar mean of ``softplus(β m)``.
    margin : torch.Tensor
        ``(batch,)`` error-difference margins ``m`` (negative = real preferred).
    real_error, generated_error : torch.Tensor
        ``(batch,)`` trainee errors on the real and generated clips.
    """

    loss: torch.Tensor
    spin_loss: torch.Tensor
    margin: torch.Tensor
    real_error: torch.Tensor
    generated_error: torch.Tensor

    def scalars(self) -> dict[str, float]:
        """Detached floats for logging."""
        return {
            "loss": float(self.loss.detach()),
            "spin_loss": float(self.spin_loss.detach()),
            "margin": float(self.margin.detach().mean()),
            "real_preferred": float((self.margin.detach() < 0).float().mean()),
            "real_error": float(self.real_error.detach().mean()),
            "generated_error": float(self.generated_error.detach().mean()),
        }


def spin_diffusion_loss(
    error_real: torch.Tensor,
    opponent_error_real: torch.Tensor,
    error_generated: torch.Tensor,
    opponent_error_generated: torch.Tensor,
    beta: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The logistic self-play loss on per-clip denoising errors.

    Parameters
    ----------
    error_real, opponent_error_real : torch.Tensor
        ``(batch,)`` trainee / frozen-opponent errors on the real clips.
    error_generated, opponent_error_generated : torch.Tensor
        ``(batch,)`` the same on the opponent's generated clips (paired by condition).
    beta : float
        Strength (> 0): scales the margins before the logistic.

    Returns
    -------
    loss, margin : torch.Tensor
        Scalar ``mean(softplus(β m))`` and the ``(batch,)`` margins ``m``.
    """
    if beta <= 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    shapes = {
        tuple(t.shape)
        for t in (error_real, opponent_error_real, error_generated, opponent_error_generated)
    }
    if len(shapes) != 1:
        raise ValueError(f"the four error tensors must have one shape, got {sorted(shapes)}")
    margin = (error_real - opponent_error_real) - (error_generated - opponent_error_generated)
    return F.softplus(beta * margin).mean(), margin


ModelFn = Callable[..., torch.Tensor]


def self_play_loss(
    model: ModelFn,
    opponent: ModelFn,
    scheduler: DDPMScheduler,
    real: torch.Tensor,
    generated: torch.Tensor,
    video_tokens: torch.Tensor,
    subject_index: torch.Tensor,
    emotion_ids: torch.Tensor,
    generator: torch.Generator,
    beta: float,
    sft_weight: float = 0.0,
    video_dropout_prob: float = 0.0,
) -> SelfPlayLoss:
    """Self-play loss for a batch of (real, opponent-generated) pairs under one condition each.

    Real and generated clips of a pair share the timestep and the noise. Trainee and
    opponent each run one forward on the stacked ``(2·batch, …)`` input.

    Parameters
    ----------
    model, opponent : callable
        ``(noisy, timesteps, video_tokens, subject_index, emotion_ids) -> prediction``;
        the opponent is evaluated without gradients.
    real, generated : torch.Tensor
        ``(batch, n_chans, n_times)`` normalised EEG.
    video_tokens, subject_index, emotion_ids : torch.Tensor
        The shared condition of each pair.
    generator : torch.Generator
        Source of the noise and timesteps.
    beta, sft_weight : float
        See :func:`spin_diffusion_loss`; ``sft_weight`` adds the supervised error on real EEG.
    video_dropout_prob : float
        Probability of giving a pair the null video (keeps a video-guided model's null branch
        trained through the rounds).
    """
    if real.shape != generated.shape:
        raise ValueError(
            f"real and generated must have one shape, got {tuple(real.shape)} and "
            f"{tuple(generated.shape)}"
        )
    batch = real.shape[0]
    draw = draw_noise(real, scheduler.config.num_train_timesteps, generator)
    video_tokens = drop_video(video_tokens, video_dropout_prob, generator)
    paired = NoiseDraw(noise=draw.noise.repeat(2, 1, 1), timesteps=draw.timesteps.repeat(2))
    clean = torch.cat([real, generated])
    condition = (video_tokens.repeat(2, 1, 1), subject_index.repeat(2), emotion_ids.repeat(2))
    errors = per_sample_denoising_error(model, scheduler, clean, paired, *condition)
    with torch.no_grad():
        opponent_errors = per_sample_denoising_error(opponent, scheduler, clean, paired, *condition)
    spin, margin = spin_diffusion_loss(
        errors[:batch], opponent_errors[:batch], errors[batch:], opponent_errors[batch:], beta
    )
    loss = spin + sft_weight * errors[:batch].mean() if sft_weight else spin
    return SelfPlayLoss(
        loss=loss,
        spin_loss=spin,
        margin=margin,
        real_error=errors[:batch],
        generated_error=errors[batch:],
    )


# ---------------------------------------------------------------------------- round driver
def _shard_path(folder, rank: int, world: int):
    return folder / f"generated-rank{rank}-of-{world}.safetensors"


@torch.no_grad()
def generate_opponent_samples(trainer, opponent, round_index: int) -> torch.Tensor:
    """EEG the frozen opponent generates for every training condition, normalised.

    Each process generates the rows ``i ≡ rank (mod world)`` with the fast sampler
    (DPM-Solver, ``self_play_inference_steps``), writes them to a safetensors shard in
    ``self_play/round-<k>/``, and every process then assembles all shards; a rerun of the
    round reuses the shards.

    Returns
    -------
    torch.Tensor
        ``(n_train, n_chans, n_times)`` float32 in the denoiser's normalised units.
    """
    from safetensors.torch import load_file

    from training.data import _atomic_save_safetensors
    from training.sampling import generate_eeg

    config, accelerator = trainer.config, trainer.accelerator
    folder = trainer.output_dir / "self_play" / f"round-{round_index}"
    rank, world = accelerator.process_index, accelerator.num_processes
    n = len(trainer.train_clips)
    rows = torch.arange(rank, n, world)
    shard = _shard_path(folder, rank, world)
    if not shard.is_file():
        tokens, subjects, emotions = trainer.conditions(trainer.train_ds, trainer.train_tokens)
        eeg = generate_eeg(
            trainer.make_pipeline(opponent),
            tokens[rows],
            [subjects[i] for i in rows.tolist()],
            [emotions[i] for i in rows.tolist()],
            num_inference_steps=config.self_play_inference_steps,
            guidance_scale=config.validation_guidance_scale,
            seed=config.seed + 1_000_003 * round_index + rank,
            show_progress=accelerator.is_local_main_process,
        )
        _atomic_save_safetensors(
            {"rows": rows, "eeg": eeg}, shard, metadata={"round": str(round_index)}
        )
    accelerator.wait_for_everyone()
    generated = None
    for r in range(world):
        part = load_file(_shard_path(folder, r, world))
        if generated is None:
            generated = torch.empty((n, *part["eeg"].shape[1:]), dtype=torch.float32)
        generated[part["rows"]] = part["eeg"]
    return trainer.train_clips.normalise(generated)


def _load_weights(model, pipeline_dir) -> None:
    from pipelines.pipeline_video2eeg import Video2EEGPipeline

    pipe = Video2EEGPipeline.from_pretrained(str(pipeline_dir))
    model.spgn.load_state_dict(pipe.spgn.state_dict())
    model.denoiser.load_state_dict(pipe.denoiser.state_dict())


def run_self_play_round(trainer, round_index: int) -> dict:
    """One SPIN-Diffusion round on ``trainer.model`` (in place); returns its report."""
    import copy
    import json

    from tqdm.auto import tqdm

    from training.diffusion_loss import drop_emotion
    from training.trainer import step_seed

    config, accelerator = trainer.config, trainer.accelerator
    opponent = copy.deepcopy(trainer.unwrapped).eval().requires_grad_(False)
    generated = generate_opponent_samples(trainer, opponent, round_index)
    optimizer = torch.optim.AdamW(
        trainer.model.parameters(),
        lr=config.self_play_learning_rate,
        betas=(config.adam_beta1, config.adam_beta2),
        weight_decay=config.adam_weight_decay,
        eps=config.adam_epsilon,
    )
    optimizer = accelerator.prepare(optimizer)
    trainer.model.train()
    rank = accelerator.process_index
    null_id = trainer.spgn.config.null_emotion_id
    history: list[dict[str, float]] = []
    bar = tqdm(
        total=config.self_play_steps,
        desc=f"self-play round {round_index}",
        disable=not accelerator.is_local_main_process,
    )
    epoch, step = 0, 0
    devices = [accelerator.device] if accelerator.device.type == "cuda" else []
    while step < config.self_play_steps:
        trainer.dataloader.set_epoch(1_000_000 * round_index + epoch)
        for batch_index, batch in enumerate(trainer.dataloader):
            seed = step_seed(config.seed, rank, 1, round_index, epoch, batch_index)
            generator = torch.Generator().manual_seed(seed)
            with torch.random.fork_rng(devices=devices):
                torch.manual_seed(seed)
                emotions = drop_emotion(
                    batch["emotion_ids"], null_id, config.cond_dropout_prob, generator
                )
                out = self_play_loss(
                    trainer.model,
                    opponent,
                    trainer.noise_scheduler,
                    batch["eeg"],
                    generated[batch["row"].cpu()].to(batch["eeg"].device),
                    batch["video_tokens"],
                    batch["subject_index"],
                    emotions,
                    generator,
                    beta=config.self_play_beta,
                    sft_weight=config.self_play_sft_weight,
                    video_dropout_prob=trainer.spgn.config.video_dropout_prob,
                )
                accelerator.backward(out.loss)
                accelerator.clip_grad_norm_(trainer.model.parameters(), config.max_grad_norm)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            scalars = {
                k: float(accelerator.reduce(torch.tensor(v, device=accelerator.device), "mean"))
                for k, v in out.scalars().items()
            }
            history.append(scalars)
            if accelerator.log_with:
                accelerator.log(
                    {f"self_play/round-{round_index}/{k}": v for k, v in scalars.items()}, step=step
                )
            bar.update(1)
            bar.set_postfix(
                loss=f"{scalars['loss']:.4f}", real_pref=f"{scalars['real_preferred']:.2f}"
            )
            step += 1
            if step >= config.self_play_steps:
                break
        epoch += 1
    bar.close()
    trainer.model.eval()
    model = copy.deepcopy(trainer.unwrapped).eval()
    metrics = trainer.validate(model, trainer.result.global_step, tag=f"round-{round_index}")
    folder = trainer.output_dir / "self_play" / f"round-{round_index}"
    trainer.save_pipeline(model, folder / "pipeline")
    tail = history[-max(1, len(history) // 5) :]
    report = {
        "round": round_index,
        "steps": config.self_play_steps,
        "beta": config.self_play_beta,
        "sft_weight": config.self_play_sft_weight,
        "seed": config.seed,
        "train_tail_mean": {k: sum(h[k] for h in tail) / len(tail) for k in tail[0]},
        "metrics": metrics,
    }
    if accelerator.is_main_process:
        (folder / "round.json").write_text(
            json.dumps(report, indent=2, default=str), encoding="utf-8"
        )
    accelerator.wait_for_everyone()
    return report


def run_self_play(trainer, start_model):
    """Self-play rounds ``1..self_play_rounds`` from the supervised model; returns the last model.

    Round 0 (the supervised model, EMA weights) is validated too, with the same held-out
    clips and seeds, so each round's metrics can be compared with it. Finished rounds
    (``self_play/round-<k>/round.json``) are loaded instead of retrained when a run resumes.
    """
    import copy
    import json

    config, accelerator = trainer.config, trainer.accelerator
    root = trainer.output_dir / "self_play"
    baseline = trainer.validate(start_model, trainer.result.global_step, tag="round-0")
    trainer.result.self_play.append({"round": 0, "metrics": baseline})
    trainer.unwrapped.load_state_dict(start_model.state_dict())
    for k in range(1, config.self_play_rounds + 1):
        done = root / f"round-{k}" / "round.json"
        if done.is_file():
            _load_weights(trainer.unwrapped, root / f"round-{k}" / "pipeline")
            trainer.result.self_play.append(json.loads(done.read_text(encoding="utf-8")))
            continue
        trainer.result.self_play.append(run_self_play_round(trainer, k))
    accelerator.wait_for_everyone()
    return copy.deepcopy(trainer.unwrapped).eval()
