"""Checkpointing of diffusers' ``EMAModel`` through accelerate, in safetensors.

``diffusers.training_utils.EMAModel`` does the averaging. Registering it with
``accelerator.register_for_checkpointing`` would store it with ``torch.save`` and read it
back with ``weights_only=False`` (pickle); instead these hooks write the shadow weights to
``ema.safetensors`` (and the scalar state to its metadata) inside each checkpoint folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from diffusers.training_utils import EMAModel

EMA_FILE = "ema.safetensors"
_SCALARS = ("decay", "min_decay", "optimization_step", "update_after_step")
_SCALARS += ("use_ema_warmup", "inv_gamma", "power")


def save_ema(ema: EMAModel, folder: str | Path) -> Path:
    """Write the EMA shadow weights and counters to ``folder/ema.safetensors``."""
    from safetensors.torch import save_file

    state = ema.state_dict()
    tensors = {
        f"shadow.{i:05d}": p.detach().cpu().contiguous()
        for i, p in enumerate(state["shadow_params"])
    }
    metadata = {"state": json.dumps({k: state[k] for k in _SCALARS})}
    path = Path(folder) / EMA_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{EMA_FILE}.tmp")
    save_file(tensors, str(tmp), metadata=metadata)
    tmp.replace(path)
    return path


def load_ema(ema: EMAModel, folder: str | Path) -> None:
    """Restore what :func:`save_ema` wrote (shapes must match the tracked parameters)."""
    from safetensors import safe_open

    path = Path(folder) / EMA_FILE
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {str(folder)!r} has no {EMA_FILE} (was EMA off?)")
    with safe_open(str(path), framework="pt") as handle:
        scalars = json.loads(handle.metadata()["state"])
        keys = sorted(handle.keys())
        shadow = [handle.get_tensor(k) for k in keys]
    if len(shadow) != len(ema.shadow_params):
        raise ValueError(
            f"{path} holds {len(shadow)} EMA tensors, the model has {len(ema.shadow_params)}"
        )
    device = ema.shadow_params[0].device if ema.shadow_params else torch.device("cpu")
    for saved, current in zip(shadow, ema.shadow_params, strict=True):
        if saved.shape != current.shape:
            raise ValueError(
                f"{path}: EMA tensor of shape {tuple(saved.shape)} where the model has "
                f"{tuple(current.shape)}"
            )
    scalars["shadow_params"] = [t.to(device) for t in shadow]
    ema.load_state_dict(scalars)


def register_ema_checkpointing(accelerator, ema: EMAModel) -> None:
    """Make ``accelerator.save_state`` / ``load_state`` include ``ema`` (safetensors)."""

    def save_hook(models, weights, output_dir):
        if accelerator.is_main_process:
            save_ema(ema, output_dir)

    def load_hook(models, input_dir):
        load_ema(ema, input_dir)

    accelerator.register_save_state_pre_hook(save_hook)
    accelerator.register_load_state_pre_hook(load_hook)
