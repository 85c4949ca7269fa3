"""Two CPU processes with real DDP (gloo) via ``accelerate launch``: both ranks end identical."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from tests.training.helpers import REPO_ROOT, token_cache_dir


def test_two_process_ddp_keeps_ranks_identical(
    trained_tiny_pipeline_dir, aligned_dataset_dir, tmp_path
):
    accelerate = shutil.which("accelerate", path=os.path.dirname(sys.executable))
    assert accelerate is not None, "the accelerate CLI is installed with the package"
    out = tmp_path / "ddp"
    env = dict(os.environ, ACCELERATE_USE_CPU="true", OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [accelerate, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
         "--mixed_precision", "no", "--dynamo_backend", "no",
         str(REPO_ROOT / "tests/training/train_worker.py"), "ddp",
         str(aligned_dataset_dir), str(out), token_cache_dir(trained_tiny_pipeline_dir)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((out / f"rank-{r}.json").read_text()) for r in (0, 1)]
    assert [r["rank"] for r in ranks] == [0, 1]
    assert all(r["world_size"] == 2 for r in ranks)
    assert all(r["distributed_type"] == "DistributedType.MULTI_CPU" for r in ranks)
    assert all(r["ddp_wrapped"] == "DistributedDataParallel" for r in ranks)
    # same start (seeded init), training moved the weights, and both ranks agree exactly
    assert ranks[0]["before"] == ranks[1]["before"]
    assert ranks[0]["after"] != ranks[0]["before"]
    assert ranks[0]["after"] == ranks[1]["after"]
