"""Benchmark publishing a dataset folder through the project's test hub (loopback, Git-LFS).

Prints, from one run on one machine, for a dataset folder of ``--shards`` Parquet shards holding
``--rows`` EEG windows (62 × 400 float32, no video):

* the first ``push_dataset_folder`` (validation + LFS upload + commit) and its MB/s;
* a re-push of the same folder (no commit: only pre-upload and LFS batch checks);
* ``load_dataset(repo)`` into an empty cache, and a streaming pass over all rows;
* ``hf_hub_download`` of one shard (raw resolve speed of the server).

The numbers measure the stdlib test server and the clients on loopback — useful to size test
data and to spot regressions in the server, not the speed of the real Hub.

Usage::

    .venv/bin/python benchmarks/bench_hub_push_pull.py [--rows 2000] [--shards 4]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.hub_server import HubServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--shards", type=int, default=4)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-hub-"))
    server = HubServer(work / "hub").start()
    os.environ.update(
        HF_ENDPOINT=server.url,
        HF_HUB_DISABLE_XET="1",
        HF_HOME=str(work / "hf-home"),
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        HF_DATASETS_DISABLE_PROGRESS_BARS="1",
        HF_TOKEN=server.add_user("bench"),
    )
    import numpy as np
    from datasets import Array2D, Dataset, Features, Value, load_dataset
    from huggingface_hub import hf_hub_download

    from dataset_builder.publishing import push_dataset_folder
    from hub_cards import DataProvenance, dataset_card_for_folder

    folder = work / "dataset"
    features = Features({"eeg": Array2D((62, 400), "float32"), "subject": Value("int32")})
    rng = np.random.default_rng(0)
    per_shard = args.rows // args.shards
    for i in range(args.shards):
        rows = {
            "eeg": rng.standard_normal((per_shard, 62, 400), dtype=np.float32) * 20,
            "subject": np.full(per_shard, i + 1, dtype=np.int32),
        }
        path = folder / "data" / f"train-{i:05d}-of-{args.shards:05d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        Dataset.from_dict(rows, features=features).to_parquet(str(path))
    repo_id = "bench/eeg"
    dataset_card_for_folder(
        folder,
        repo_id=repo_id,
        pretty_name="bench",
        provenance=DataProvenance(kind="simulated", emotion_source="none (benchmark)"),
    ).save(folder / "README.md")
    size_mb = sum(p.stat().st_size for p in folder.rglob("*.parquet")) / 1e6
    print(
        f"test hub {server.url}; {args.rows} rows in {args.shards} shards, {size_mb:.1f} MB of Parquet"
    )

    def timed(label, fn, mb=None):
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
        rate = f" ({mb / seconds:.0f} MB/s)" if mb else ""
        print(f"{label:<40} {seconds:7.2f} s{rate}")
        return result

    first = timed(
        "push (validate + upload + commit)", lambda: push_dataset_folder(folder, repo_id), size_mb
    )
    again = timed("re-push, identical (no commit)", lambda: push_dataset_folder(folder, repo_id))
    assert first.created_commit and not again.created_commit
    loaded = timed(
        "load_dataset into an empty cache",
        lambda: load_dataset(repo_id, split="train", cache_dir=str(work / "ds-cache")),
        size_mb,
    )
    assert loaded.num_rows == per_shard * args.shards
    timed(
        "streaming pass over all rows",
        lambda: sum(1 for _ in load_dataset(repo_id, split="train", streaming=True)),
        size_mb,
    )
    shard_mb = size_mb / args.shards
    timed(
        "hf_hub_download of one shard",
        lambda: hf_hub_download(
            repo_id,
            f"data/train-00000-of-{args.shards:05d}.parquet",
            repo_type="dataset",
            cache_dir=str(work / "dl-cache"),
        ),
        shard_mb,
    )
    server.close()


if __name__ == "__main__":
    main()
