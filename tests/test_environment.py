"""The installed stack is the CPU-only one the constraints promise."""

from __future__ import annotations

import importlib
import subprocess
import sys


def test_layout_packages_import():
    for name in ("modeling_video2eeg", "pipelines", "dataset_builder", "hub_cards", "video2eeg"):
        importlib.import_module(name)


def test_torch_is_the_cpu_build():
    import torch

    assert torch.version.cuda is None


def test_pip_check_is_clean():
    result = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
