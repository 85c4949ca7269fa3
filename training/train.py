"""Script entry of a training run, for ``python -m training.train`` and ``accelerate launch``.

Examples
--------
One process::

    python -m training.train --config run.yaml

Two CPU processes with real DDP over gloo (see DESIGN.md)::

    ACCELERATE_USE_CPU=true accelerate launch --multi_gpu --num_processes 2 --num_machines 1 \\
        --mixed_precision no --dynamo_backend no -m training.train --config run.yaml

Every :class:`~training.config.TrainingConfig` field is also a flag (``--max_train_steps 200``,
``--resume_from_checkpoint latest``, ``--self_play_rounds 2``, ``--push_to_hub user/repo``);
flags override the YAML file.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from training.config import parse_training_args
    from training.trainer import train

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    config = parse_training_args(argv)
    result = train(config)
    from accelerate import PartialState

    if not PartialState().is_main_process:
        return 0
    print(
        f"trained {result.global_step} steps; pipeline saved to {result.output_dir}"
        + (f"; {len(result.self_play) - 1} self-play round(s)" if result.self_play else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
