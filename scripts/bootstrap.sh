#!/usr/bin/env bash
# Create or update ./.venv with everything video2eeg needs; safe to run again (it only
# installs what is missing). Sourced by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

# torchcodec 0.13 links the system FFmpeg 5 libraries (Debian 12 names).
ffmpeg_pkgs=(libavcodec59 libavformat59 libavutil57 libavdevice59 libavfilter8 libswscale6 libswresample4)
if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for pkg in "${ffmpeg_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "[bootstrap] installing FFmpeg libraries: ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

python_bin="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "[bootstrap] creating .venv with $($python_bin --version)"
  "$python_bin" -m venv .venv
fi

# Reinstall only when the dependency spec changed. constraints.txt pins the CPU-only stack
# (torch==2.13.0+cpu comes from the local wheel store; a plain `torch` would pull CUDA).
stamp=.venv/.video2eeg-installed
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[bootstrap] installing Python packages (constraints.txt)"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev]"
  echo "$want" > "$stamp"
fi
