"""Subprocess entry for the training tests (run as a script, not collected by pytest).

``python train_worker.py kill DATASET OUT CACHE STEP``: train the tiny configuration and
SIGKILL this process right after optimiser step ``STEP`` (a crash, nothing flushed).

``accelerate launch … train_worker.py ddp DATASET OUT CACHE``: train a few steps; each rank
writes ``rank-<r>.json`` with the hash of its weights before and after training.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fixtures.training import tiny_training_config
from tests.training.helpers import state_hash


def kill(dataset: str, out: str, cache: str, step: str) -> None:
    from training.trainer import train

    def crash(info):
        if info.global_step == int(step):
            os.kill(os.getpid(), signal.SIGKILL)

    train(tiny_training_config(dataset, out, cache_dir=cache), step_callback=crash)


def ddp(dataset: str, out: str, cache: str) -> None:
    from training.trainer import Video2EEGTrainer

    config = tiny_training_config(
        dataset,
        out,
        cache_dir=cache,
        max_train_steps=3,
        train_batch_size=8,
        checkpointing_steps=0,
        eval_split=None,
    )
    trainer = Video2EEGTrainer(config)
    trainer.setup()
    before = state_hash(trainer.unwrapped)
    trainer.fit()
    accelerator = trainer.accelerator
    record = {
        "rank": accelerator.process_index,
        "world_size": accelerator.num_processes,
        "distributed_type": str(accelerator.distributed_type),
        "backend": str(getattr(accelerator.state, "backend", None)),
        "before": before,
        "after": state_hash(trainer.unwrapped),
        "ddp_wrapped": type(trainer.model).__name__,
    }
    Path(out, f"rank-{record['rank']}.json").write_text(json.dumps(record))


if __name__ == "__main__":
    {"kill": kill, "ddp": ddp}[sys.argv[1]](*sys.argv[2:])
