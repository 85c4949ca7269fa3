from __future__ import annotations

import subprocess
import sys

from video2eeg.cli import main


def test_help_lists_subcommands(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    assert "montage" in out


def test_console_script_help_runs_as_a_process():
    result = subprocess.run(
        [sys.executable, "-m", "video2eeg", "--help"], capture_output=True, text=True, check=True
    )
    assert "COMMAND" in result.stdout


def test_montage_command_prints_graph_and_plots(tmp_path, capsys):
    png = tmp_path / "sensors.png"
    assert main(["montage", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("62 channels")
    assert png.read_bytes()[:4] == b"\x89PNG"
