"""``video2eeg`` entry point.

Each subcommand lives in its own module in this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (``args -> int`` exit
code). The modules only parse arguments and call library functions.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

from video2eeg import __version__

# Order here is the order in ``--help``.
COMMAND_MODULES: tuple[str, ...] = (
    "video2eeg.montage_command",
    "video2eeg.hub_commands",
    "video2eeg.data_commands",
    "video2eeg.evaluate_command",
    "video2eeg.train_commands",
    "video2eeg.generate_command",
    "video2eeg.demo_command",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="video2eeg",
        description="Generate video-conditioned 62-channel EEG and build video-EEG-emotion datasets.",
    )
    parser.add_argument("--version", action="version", version=f"video2eeg {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    return int(args.func(args) or 0)
