"""The project's Hugging Face Hub-compatible test server (stdlib HTTP server, on-disk storage).

Started once per test session by ``tests/conftest.py`` (``HF_ENDPOINT`` points at it); tests
get it through the ``hub_server`` fixture (``tests/fixtures/hub.py``).
"""

from tests.hub_server.server import WRITE_ROUTES, FailureRule, HubServer, RequestRecord
from tests.hub_server.storage import Commit, FileEntry, HubError, HubStorage

__all__ = [
    "WRITE_ROUTES",
    "Commit",
    "FailureRule",
    "FileEntry",
    "HubError",
    "HubServer",
    "HubStorage",
    "RequestRecord",
]
