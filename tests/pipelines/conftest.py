"""The pipelines tests run torch on one intra-op thread.

Their tensors are tiny: on the shared 2-core machine a second thread mostly spins, which costs
several times the single-thread time (measured: the whole folder takes ~2x longer).
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="package", autouse=True)
def _one_torch_thread():
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
