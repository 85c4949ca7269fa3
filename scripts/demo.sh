#!/usr/bin/env bash
# The main job on its embedded default: set up ./.venv if needed, then run the offline demo
# (extra args go to `video2eeg demo`).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo/scripts/bootstrap.sh"
cd "$repo"
exec .venv/bin/video2eeg montage --plot demo_output/montage.png "$@"
