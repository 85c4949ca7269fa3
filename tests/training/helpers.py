"""Helpers shared by the training tests (not tests themselves)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parents[2]


def state_hash(module: torch.nn.Module) -> str:
    """SHA-256 over every parameter and buffer (names and exact bytes)."""
    digest = hashlib.sha256()
    state = module.state_dict()
    for name in sorted(state):
        digest.update(name.encode())
        digest.update(state[name].detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def load_tensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(path))


def assert_same_tensors(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert sorted(a) == sorted(b)
    for name in a:
        assert torch.equal(a[name], b[name]), f"tensor {name} differs"


def token_cache_dir(pipeline_dir: Path) -> str:
    """The trained fixture's video-token cache (same dataset -> reusable, read-only)."""
    return str(Path(pipeline_dir) / "token_cache")
