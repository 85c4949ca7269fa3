#!/usr/bin/env bash
# The main job on its embedded default: set up ./.venv if needed, then run the offline demo
# (extra args go to `video2eeg demo`).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo/scripts/bootstrap.sh"
cd "$repo"
# One intra-op thread: on small (2-core) machines a second torch/BLAS thread makes these
# small models several times slower as soon as another process competes for the cores.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
exec .venv/bin/video2eeg demo --out demo_output "$@"
