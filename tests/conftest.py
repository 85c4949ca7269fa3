"""Session-wide test set-up.

Environment variables that libraries read at import time are set before any test module
imports them: the Hub endpoint (the project's test hub), the Xet switch and HF_HOME while this
file is imported (the fixture modules it imports at the end may import huggingface_hub), the
rest in ``pytest_configure``.
"""

from __future__ import annotations

import os
import sys
import tempfile

import pytest

from tests.fixtures.hub import HUB_SERVER_KEY
from tests.hub_server import HubServer

# The project's Hub-compatible server (tests/hub_server), on 127.0.0.1 with a free port. It is
# started while this file is imported, i.e. before the fixture modules imported at the end of
# this file (or any test module) can import huggingface_hub / datasets / transformers, which
# read HF_ENDPOINT and HF_HUB_DISABLE_XET at import time.
_TEST_HUB = HubServer(tempfile.mkdtemp(prefix="video2eeg-test-hub-")).start()
os.environ["HF_ENDPOINT"] = _TEST_HUB.url
os.environ["HF_HUB_DISABLE_XET"] = "1"  # the test hub speaks Git-LFS, not Xet
# Same reason for the cache: the fixture modules below import huggingface_hub, which reads
# HF_HOME at import time, before pytest_configure runs; without this, tests would write to the
# user's ~/.cache/huggingface.
os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="video2eeg-test-hf-home-"))


def pytest_report_header(config):
    return f"test hub: {_TEST_HUB.url} (HF_ENDPOINT)"


def pytest_unconfigure(config):
    _TEST_HUB.close()


def _check_hub_clients_use_test_hub():
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None and (
        _TEST_HUB.url != constants.ENDPOINT
        or not constants.HF_HUB_DISABLE_XET
        or os.path.abspath(os.environ["HF_HOME"]) != os.path.abspath(constants.HF_HOME)
    ):
        raise pytest.UsageError(
            "huggingface_hub was imported before tests/conftest.py pointed HF_ENDPOINT at the "
            f"test hub (it uses {constants.ENDPOINT!r}, expected {_TEST_HUB.url!r}); import it "
            "lazily (inside fixtures/tests), never at the top of a module conftest imports."
        )


def pytest_configure(config):
    config.stash[HUB_SERVER_KEY] = _TEST_HUB
    _check_hub_clients_use_test_hub()
    cache = tempfile.mkdtemp(prefix="video2eeg-test-cache-")
    os.environ.setdefault("HF_HOME", os.path.join(cache, "hf"))
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["HF_HUB_DISABLE_XET"] = "1"
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("MNE_DONTWRITE_HOME", "true")
    os.environ.setdefault("MNE_HOME", cache)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


# Shared session fixtures, one module per area (tests/fixtures/<area>.py), registered here
# by import so every test folder can use them.
from tests.fixtures.hub import hf_cache, hub_api, hub_repo_id, hub_server, hub_token  # noqa: E402,F401
from tests.fixtures.models import tiny_config, tiny_denoiser, tiny_spgn, tiny_video_encoder  # noqa: E402,F401
from tests.fixtures.pipeline import ten_minute_video, tiny_pipeline, video_files  # noqa: E402,F401
from tests.fixtures.seed_dv import aligned_dataset_dir, seed_dv_tree, small_layout  # noqa: E402,F401
from tests.fixtures.training import trained_tiny_pipeline_dir  # noqa: E402,F401
