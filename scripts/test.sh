#!/usr/bin/env bash
# The test command: set up ./.venv if needed, then run the whole suite (extra args go to pytest).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo/scripts/bootstrap.sh"
cd "$repo"
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
