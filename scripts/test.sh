#!/usr/bin/env bash
# The test command: set up ./.venv if needed, then run the whole suite (extra args go to pytest).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo/scripts/bootstrap.sh"
cd "$repo"
# One intra-op thread: on small (2-core) machines a second torch/BLAS thread makes these
# small models several times slower as soon as another process competes for the cores.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
