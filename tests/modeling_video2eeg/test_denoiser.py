"""EEGDenoiser: shapes, gradients, reference checks of its layers, graph/time structure,
conditioning, learning, save/load, validation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler

from modeling_video2eeg import EEGDenoiser, EEGDenoiserOutput, build_electrode_graph
from modeling_video2eeg.denoiser import (
    Downsample,
    GraphTemporalBlock,
    TemporalConv,
    TimeAlignedCrossAttention,
    Upsample,
    diffusion_target,
)
from tests.fixtures.models import build_tiny_denoiser, build_tiny_spgn


def _inputs(batch: int = 2, seed: int = 0, frames: int = 4):
    gen = torch.Generator().manual_seed(seed)
    return (
        torch.randn(batch, 62, 400, generator=gen),
        torch.randint(0, 1000, (batch,), generator=gen),
        torch.randn(batch, 62, 16, generator=gen),
        torch.randn(batch, frames, 16, generator=gen),
    )


def test_output_shape_dtype_and_tuple_form(tiny_denoiser):
    sample, timesteps, cond, tokens = _inputs()
    with torch.no_grad():
        out = tiny_denoiser(sample, timesteps, cond, tokens)
        (as_tuple,) = tiny_denoiser(sample, timesteps, cond, tokens, return_dict=False)
    assert isinstance(out, EEGDenoiserOutput)
    assert out.sample.shape == (2, 62, 400)
    assert out.sample.dtype == torch.float32
    assert torch.equal(out.sample, as_tuple)


def test_bfloat16_autocast_matches_float32_and_backpropagates():
    # the mixed-precision training path (accelerate's bf16 autocast, CPU or GPU)
    denoiser = build_tiny_denoiser().train()
    sample, timesteps, cond, tokens = _inputs()
    with torch.no_grad():
        reference = denoiser(sample, timesteps, cond, tokens).sample
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = denoiser(sample, timesteps, cond, tokens).sample
    assert low.dtype == torch.bfloat16
    error = (low.float() - reference).norm() / reference.norm()
    assert error < 0.02, error  # bfloat16 keeps 8 bits of mantissa (measured 0.006)
    low.float().pow(2).mean().backward()
    for name, param in denoiser.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), name
        assert param.grad.dtype == torch.float32, name  # master weights stay float32


def test_scalar_timestep_broadcasts(tiny_denoiser):
    sample, _, cond, tokens = _inputs()
    with torch.no_grad():
        scalar = tiny_denoiser(sample, 250, cond, tokens).sample
        vector = tiny_denoiser(sample, torch.tensor([250, 250]), cond, tokens).sample
    assert torch.equal(scalar, vector)


def test_gradients_reach_every_parameter_and_the_input():
    denoiser = build_tiny_denoiser().train()
    sample, timesteps, cond, tokens = _inputs()
    sample.requires_grad_(True)
    cond.requires_grad_(True)
    tokens.requires_grad_(True)
    denoiser(sample, timesteps, cond, tokens).sample.pow(2).mean().backward()
    for name, param in denoiser.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, name
    for tensor in (sample, cond, tokens):
        assert tensor.grad.abs().sum() > 0


def test_gradient_checkpointing_gives_the_same_gradients():
    sample, timesteps, cond, tokens = _inputs()
    grads = []
    for checkpointing in (False, True):
        denoiser = build_tiny_denoiser().train()
        if checkpointing:
            denoiser.enable_gradient_checkpointing()
            assert denoiser.gradient_checkpointing
        denoiser(sample, timesteps, cond, tokens).sample.pow(2).mean().backward()
        grads.append([p.grad.clone() for p in denoiser.parameters()])
    for plain, checkpointed in zip(*grads, strict=True):
        torch.testing.assert_close(plain, checkpointed, rtol=1e-5, atol=1e-7)


def _params_gradcheck(module, inputs) -> bool:
    """gradcheck with respect to the module's parameters (inputs held fixed)."""
    names = [name for name, _ in module.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_(True) for p in module.parameters())

    def call(*values):
        return torch.func.functional_call(module, dict(zip(names, values, strict=True)), inputs)

    return torch.autograd.gradcheck(call, params, fast_mode=True)


def test_layer_gradients_are_exact():
    """In-place ops (silu_, addmm_ on views) must not corrupt autograd: float64 gradcheck."""
    torch.manual_seed(0)
    dtype = torch.float64
    x = torch.randn(4, 3, 2, 4, dtype=dtype, requires_grad=True)  # (T, n_chans, B, D)
    cond = torch.randn(3, 2, 5, dtype=dtype, requires_grad=True)
    tokens = torch.randn(2, 3, 5, dtype=dtype, requires_grad=True)
    skip = torch.randn(8, 3, 2, 3, dtype=dtype, requires_grad=True)
    adjacency = torch.rand(3, 3, dtype=dtype)
    block = GraphTemporalBlock(4, 5).double()
    attention = TimeAlignedCrossAttention(4, 5, 2).double()

    def gradcheck(fn, inputs):  # fast mode: random Jacobian projections, a few passes each
        return torch.autograd.gradcheck(fn, inputs, fast_mode=True)

    assert gradcheck(lambda a, c: block(a, c, adjacency), (x, cond))
    assert gradcheck(attention, (x, tokens))
    assert gradcheck(TemporalConv(4, 3).double(), (x,))
    assert gradcheck(Downsample(4, 6).double(), (x,))
    assert gradcheck(Upsample(4, 3).double(), (x, skip))
    assert _params_gradcheck(block, (x.detach(), cond.detach(), adjacency))
    assert _params_gradcheck(attention, (x.detach(), tokens.detach()))


def test_temporal_conv_equals_conv1d():
    torch.manual_seed(0)
    conv = TemporalConv(5, 7)
    x = torch.randn(9, 4, 5)  # (time, rows, features)
    reference = F.conv1d(
        x.permute(1, 2, 0),  # (rows, features, time)
        conv.weight.permute(2, 1, 0),  # (out, in, kernel)
        padding=1,
    ).permute(2, 0, 1)
    torch.testing.assert_close(conv(x), reference)


def test_downsample_merges_neighbouring_tokens():
    torch.manual_seed(0)
    down = Downsample(3, 4)
    x = torch.randn(6, 2, 5, 3)  # (time, n_chans, batch, features)
    expected = torch.stack(
        [x[2 * t] @ down.weight[0] + x[2 * t + 1] @ down.weight[1] for t in range(3)]
    )
    torch.testing.assert_close(down(x), expected)


def test_time_aligned_attention_equals_reference_multi_head_attention():
    torch.manual_seed(0)
    attention = TimeAlignedCrossAttention(features=8, cond_dim=6, head_dim=4)
    with torch.no_grad():
        attention.log_sigma.copy_(torch.tensor([-1.0, -2.5]))
    steps, n_chans, batch, frames = 5, 3, 2, 4
    x = torch.randn(steps, n_chans, batch, 8)
    tokens = torch.randn(batch, frames, 6)
    out = attention(x, tokens)

    heads, dim = 2, 4
    h = F.layer_norm(x, (8,))
    q = attention.to_q(h).view(steps, n_chans, batch, heads, dim)
    k = attention.to_k(tokens).view(batch, frames, heads, dim)
    v = attention.to_v(tokens).view(batch, frames, heads, dim)
    logits = torch.einsum("tnbhd,bfhd->tnbhf", q, k) / dim**0.5
    tau_q = (torch.arange(steps) + 0.5) / steps
    tau_k = (torch.arange(frames) + 0.5) / frames
    sigma = attention.log_sigma.exp()
    bias = -((tau_q[:, None, None] - tau_k[None, None, :]) ** 2) / (2 * sigma[None, :, None] ** 2)
    logits = logits + bias[:, None, None]  # (t, 1, 1, h, f)
    mixed = torch.einsum("tnbhf,bfhd->tnbhd", logits.softmax(-1), v).reshape(
        steps, n_chans, batch, 8
    )
    torch.testing.assert_close(out, x + attention.to_out(mixed), rtol=1e-5, atol=1e-6)


def test_adjacency_buffer_is_the_gcn_normalised_montage(tiny_denoiser):
    adjacency = build_electrode_graph(tiny_denoiser.config.ch_names, 4, 0.5).adjacency
    with_loops = adjacency + np.eye(62)
    degree = with_loops.sum(axis=1)
    expected = with_loops / np.sqrt(degree[:, None] * degree[None, :])
    np.testing.assert_allclose(tiny_denoiser.adjacency.numpy(), expected, rtol=1e-6, atol=1e-7)


def test_electrodes_interact_only_through_the_graph():
    sample, timesteps, cond, tokens = _inputs(batch=1)
    bumped = sample.clone()
    bumped[0, 10] += 3.0  # F1
    denoiser = build_tiny_denoiser()
    with torch.no_grad():
        change = (
            (
                denoiser(bumped, timesteps, cond, tokens).sample
                - denoiser(sample, timesteps, cond, tokens).sample
            )
            .abs()
            .amax(dim=-1)[0]
        )
        assert change[10] > 0
        neighbours = np.nonzero(build_electrode_graph().adjacency[10])[0]
        assert torch.all(change[neighbours] > 0)
        # Without graph edges no other electrode can see the bump.
        denoiser.adjacency.copy_(torch.eye(62))
        isolated = (
            (
                denoiser(bumped, timesteps, cond, tokens).sample
                - denoiser(sample, timesteps, cond, tokens).sample
            )
            .abs()
            .amax(dim=-1)[0]
        )
    assert isolated[10] > 0
    assert torch.all(torch.cat([isolated[:10], isolated[11:]]) == 0)


def test_video_frames_act_near_their_own_time():
    denoiser = build_tiny_denoiser()
    for module in denoiser.modules():
        if isinstance(module, TimeAlignedCrossAttention):
            module.log_sigma.data.fill_(np.log(0.04))  # sharp alignment for the test
    sample, timesteps, cond, tokens = _inputs(batch=1)
    changed = tokens.clone()
    changed[0, 0] = torch.randn(16, generator=torch.Generator().manual_seed(9)) * 3  # frame 0 of 4
    with torch.no_grad():
        diff = (
            denoiser(sample, timesteps, cond, changed).sample
            - denoiser(sample, timesteps, cond, tokens).sample
        ).pow(2)
    first_quarter = diff[..., :100].mean()
    last_quarter = diff[..., 300:].mean()
    assert first_quarter > 100 * last_quarter


def test_conditioning_changes_the_prediction_with_fixed_noise(tiny_spgn, tiny_denoiser):
    gen = torch.Generator().manual_seed(1)
    noise = torch.randn(2, 62, 400, generator=gen)
    video = torch.randn(2, 4, 32, generator=gen)
    other_video = torch.randn(2, 4, 32, generator=gen)

    def predict(subjects, emotions, tokens):
        with torch.no_grad():
            cond = tiny_spgn(
                tokens, tiny_spgn.subject_index(subjects), tiny_spgn.emotion_ids(emotions)
            )
            return tiny_denoiser(noise, 500, cond.node_conditioning, cond.video_tokens).sample

    base = predict([1, 1], ["neutral", "neutral"], video)
    assert torch.equal(base, predict([1, 1], ["neutral", "neutral"], video))  # deterministic
    for other in (
        predict([2, 3], ["neutral", "neutral"], video),
        predict([1, 1], ["positive", "negative"], video),
        predict([1, 1], [None, None], video),  # the null class
        predict([1, 1], ["neutral", "neutral"], other_video),
    ):
        assert (other - base).abs().amax(dim=(1, 2)).min() > 1e-4


def test_loss_decreases_on_random_data():
    """SPGN + denoiser fit a fixed random batch; high-noise steps make ε learnable from x_t."""
    torch.manual_seed(0)
    spgn = build_tiny_spgn().train()
    denoiser = build_tiny_denoiser().train()
    scheduler = DDPMScheduler(num_train_timesteps=1000)
    gen = torch.Generator().manual_seed(0)
    clean = torch.randn(4, 62, 400, generator=gen)
    noise = torch.randn(4, 62, 400, generator=gen)
    video = torch.randn(4, 4, 32, generator=gen)
    timesteps = torch.tensor([950, 970, 985, 999])
    noisy = scheduler.add_noise(clean, noise, timesteps)
    target = diffusion_target(scheduler, clean, noise, timesteps)
    optimizer = torch.optim.Adam([*spgn.parameters(), *denoiser.parameters()], lr=1e-2)
    losses = []
    for _ in range(20):
        cond = spgn(video, torch.tensor([0, 1, 2, 0]), torch.tensor([0, 1, 2, 3]))
        prediction = denoiser(noisy, timesteps, cond.node_conditioning, cond.video_tokens)
        loss = F.mse_loss(prediction.sample, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.75 * losses[0]
    assert losses[-1] < min(losses[:10])


def test_diffusion_target_matches_the_schedule():
    scheduler = DDPMScheduler(num_train_timesteps=50, prediction_type="v_prediction")
    clean, noise = torch.randn(3, 62, 400), torch.randn(3, 62, 400)
    timesteps = torch.tensor([0, 20, 49])
    alpha_bar = scheduler.alphas_cumprod[timesteps][:, None, None]
    expected = alpha_bar.sqrt() * noise - (1 - alpha_bar).sqrt() * clean
    torch.testing.assert_close(diffusion_target(scheduler, clean, noise, timesteps), expected)
    epsilon = DDPMScheduler(num_train_timesteps=50)
    assert diffusion_target(epsilon, clean, noise, timesteps) is noise


def test_save_and_load_round_trip_exactly(tmp_path, tiny_denoiser):
    denoiser = build_tiny_denoiser(seed=5, prediction_type="v_prediction")
    denoiser.save_pretrained(tmp_path)
    assert (tmp_path / "diffusion_pytorch_model.safetensors").is_file()
    assert not list(tmp_path.glob("*.bin"))
    loaded = EEGDenoiser.from_pretrained(tmp_path).eval()
    assert loaded.config.prediction_type == "v_prediction"
    assert list(loaded.config.block_out_channels) == [8, 16]
    original = dict(denoiser.named_parameters())
    for name, param in loaded.named_parameters():
        assert torch.equal(param, original[name]), name
    assert torch.equal(loaded.adjacency, tiny_denoiser.adjacency)
    sample, timesteps, cond, tokens = _inputs()
    with torch.no_grad():
        assert torch.equal(
            loaded(sample, timesteps, cond, tokens).sample,
            denoiser(sample, timesteps, cond, tokens).sample,
        )


@pytest.mark.parametrize(
    ("index", "value", "fragment"),
    [
        (0, torch.zeros(2, 61, 400), "sample must have shape (batch, 62, 400), got (2, 61, 400)"),
        (0, torch.zeros(2, 62, 399), "sample must have shape (batch, 62, 400), got (2, 62, 399)"),
        (0, torch.zeros(62, 400), "sample must have shape (batch, 62, 400), got (62, 400)"),
        (0, torch.zeros(2, 62, 400, dtype=torch.long), "sample must be floating point"),
        (1, torch.tensor([1, 2, 3]), "timestep must be a scalar or have shape (2,), got (3,)"),
        (2, torch.zeros(2, 62, 15), "node_conditioning must have shape (2, 62, 16)"),
        (3, torch.zeros(2, 4, 15), "video_tokens must have shape (2, num_frames, 16)"),
        (3, torch.zeros(1, 4, 16), "video_tokens must have shape (2, num_frames, 16)"),
    ],
)
def test_bad_inputs_raise_value_error(tiny_denoiser, index, value, fragment):
    inputs = list(_inputs())
    inputs[index] = value
    with pytest.raises(ValueError) as info:
        tiny_denoiser(*inputs)
    assert fragment in str(info.value)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_eeg_raises(tiny_denoiser, bad):
    sample, timesteps, cond, tokens = _inputs()
    sample[1, 30, 200] = bad
    with pytest.raises(ValueError, match="sample contains NaN or Inf"):
        tiny_denoiser(sample, timesteps, cond, tokens)


def test_invalid_configs_raise():
    with pytest.raises(ValueError, match="prediction_type must be one of"):
        EEGDenoiser(prediction_type="sample")
    with pytest.raises(ValueError, match=r"n_times \(400\) must be divisible by .* = 160"):
        EEGDenoiser(patch_size=40, block_out_channels=(8, 16, 32))
    with pytest.raises(ValueError, match="attention_levels must be in"):
        EEGDenoiser(block_out_channels=(8, 16), attention_levels=(2,))
