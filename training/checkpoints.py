"""Checkpoint folders of a training run: naming, ``latest``, atomic completion, pruning.

``accelerator.save_state`` writes the model, optimiser, LR scheduler, data-sampler and RNG
states into a folder. We give it ``checkpoints/checkpoint-<step>.partial``, add
``training_state.json`` (the step counters), and only then rename the folder to
``checkpoint-<step>``: a run killed while saving leaves a ``.partial`` folder that
``latest`` never picks.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_FILE = "training_state.json"
_NAME = re.compile(r"^checkpoint-(\d+)$")


@dataclass
class TrainingProgress:
    """Counters that locate a run in its schedule.

    Attributes
    ----------
    global_step : int
        Optimiser steps taken.
    epoch : int
        Epoch the next batch belongs to.
    batches_in_epoch : int
        Batches of that epoch already consumed (to skip on resume).
    """

    global_step: int = 0
    epoch: int = 0
    batches_in_epoch: int = 0


def checkpoints_dir(output_dir: str | Path) -> Path:
    return Path(output_dir) / "checkpoints"


def list_checkpoints(output_dir: str | Path) -> list[Path]:
    """Complete checkpoint folders, oldest (lowest step) first."""
    root = checkpoints_dir(output_dir)
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        match = _NAME.match(child.name)
        if match and child.is_dir() and (child / STATE_FILE).is_file():
            found.append((int(match.group(1)), child))
    return [path for _, path in sorted(found)]


def resolve_checkpoint(output_dir: str | Path, spec: str | None) -> Path | None:
    """``"latest"`` -> newest complete checkpoint (``None`` if there is none); else the folder.

    Raises
    ------
    FileNotFoundError
        If an explicit folder does not exist or is not a complete checkpoint.
    """
    if not spec:
        return None
    if spec == "latest":
        found = list_checkpoints(output_dir)
        return found[-1] if found else None
    path = Path(spec)
    if not path.is_absolute() and not path.exists():
        path = checkpoints_dir(output_dir) / spec
    if not (path / STATE_FILE).is_file():
        raise FileNotFoundError(
            f"resume_from_checkpoint={spec!r}: {str(path)!r} is not a complete checkpoint folder "
            f"(no {STATE_FILE})"
        )
    return path


def partial_path(output_dir: str | Path, step: int) -> Path:
    return checkpoints_dir(output_dir) / f"checkpoint-{step}.partial"


def finalise(partial: Path, progress: TrainingProgress, total_limit: int | None) -> Path:
    """Write the counters, rename ``.partial`` to its final name, prune old checkpoints."""
    state = partial / STATE_FILE
    tmp = state.with_name(f".{STATE_FILE}.tmp")
    tmp.write_text(json.dumps(asdict(progress), indent=2), encoding="utf-8")
    os.replace(tmp, state)
    final = partial.with_name(partial.name.removesuffix(".partial"))
    if final.exists():
        shutil.rmtree(final)
    os.replace(partial, final)
    if total_limit is not None and total_limit > 0:
        for old in list_checkpoints(final.parent.parent)[:-total_limit]:
            shutil.rmtree(old, ignore_errors=True)
    return final


def read_progress(checkpoint: Path) -> TrainingProgress:
    return TrainingProgress(**json.loads((checkpoint / STATE_FILE).read_text(encoding="utf-8")))
