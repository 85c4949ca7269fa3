"""Session-wide test set-up.

Environment variables that libraries read at import time (the Hub endpoint, Xet, caches)
are set in ``pytest_configure``, before any test module imports them.
"""

from __future__ import annotations

import os
import tempfile


def pytest_configure(config):
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
