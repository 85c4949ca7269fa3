"""``dataset_builder.publishing`` and ``video2eeg push-dataset`` against the test hub."""

from __future__ import annotations

import fnmatch
import shutil

import numpy as np
import pytest

from dataset_builder.publishing import PushError, push_dataset_folder
from tests.hub.dataset_helpers import (
    N_TEST,
    N_TRAIN,
    gray_level,
    make_dataset,
    write_card,
    write_shards,
)
from video2eeg.cli import main

pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

TRAIN_SHARDS = {"data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"}
TEST_SHARDS = {"data/test-00000-of-00001.parquet"}


def _remote_files(hub_api, repo_id):
    return set(hub_api.list_repo_files(repo_id, repo_type="dataset"))


def test_pushed_dataset_loads_back_with_same_eeg_and_video(
    dataset_folder, expected_rows, hub_api, hub_repo_id, tmp_path
):
    from datasets import load_dataset
    from huggingface_hub import DatasetCard

    repo_id = hub_repo_id("pushed")
    (dataset_folder / "evaluation.json").write_text('{"fid": 1.5}')
    (dataset_folder / ".align_state.json").write_text("{}")  # local resume state: not published
    result = push_dataset_folder(dataset_folder, repo_id)
    assert result.created_commit
    assert result.commit_oid == hub_api.dataset_info(repo_id).sha
    assert _remote_files(hub_api, repo_id) == {
        ".gitattributes",
        "README.md",
        "evaluation.json",
        "figures/psd.png",
        *TRAIN_SHARDS,
        *TEST_SHARDS,
    }

    loaded = load_dataset(repo_id, cache_dir=str(tmp_path / "cache"))
    assert {split: ds.num_rows for split, ds in loaded.items()} == {
        "train": N_TRAIN,
        "test": N_TEST,
    }
    offsets = {"train": 0, "test": N_TRAIN}
    for split, ds in loaded.items():
        np.testing.assert_array_equal(np.asarray(ds["eeg"], dtype=np.float32), expected_rows[split])
        for i, row in enumerate(ds):
            frames = row["video"].get_frames_in_range(0, 6).data
            assert tuple(frames.shape) == (6, 3, 32, 32)
            assert abs(frames.float().mean().item() - gray_level(offsets[split] + i)) < 3

    streamed = load_dataset(repo_id, split="test", streaming=True)
    rows = list(streamed)
    np.testing.assert_array_equal(
        np.stack([np.asarray(r["eeg"]) for r in rows]), expected_rows["test"]
    )
    assert rows[0]["video"].get_frames_in_range(0, 1).data.shape[0] == 1

    # The card's YAML parses, its configs name exactly the pushed shards, its figure is in the repo.
    card = DatasetCard.load(repo_id, repo_type="dataset")
    (config,) = card.data.configs
    remote = _remote_files(hub_api, repo_id)
    matched = {
        entry["split"]: {f for f in remote if fnmatch.fnmatch(f, entry["path"])}
        for entry in config["data_files"]
    }
    assert matched == {"train": TRAIN_SHARDS, "test": TEST_SHARDS}
    assert card.data.dataset_info["splits"][0]["num_examples"] == N_TRAIN
    assert "(figures/psd.png)" in card.text and "figures/psd.png" in remote
    assert "simulated" in card.text and "test mapping" in card.text


def test_repushing_identical_content_makes_no_commit(
    dataset_folder, hub_api, hub_repo_id, hub_server
):
    repo_id = hub_repo_id("noop")
    first = push_dataset_folder(dataset_folder, repo_id)
    n_commits = len(hub_api.list_repo_commits(repo_id, repo_type="dataset"))

    mark = len(hub_server.requests)
    again = push_dataset_folder(dataset_folder, repo_id)
    routes = {r.route for r in hub_server.requests_since(mark)}
    assert not again.created_commit
    assert again.commit_oid == first.commit_oid
    assert len(hub_api.list_repo_commits(repo_id, repo_type="dataset")) == n_commits
    assert "commit" not in routes and "lfs_upload" not in routes


def test_repush_with_fewer_shards_removes_the_stale_ones(dataset_folder, hub_api, hub_repo_id):
    from datasets import load_dataset

    repo_id = hub_repo_id("reshard")
    push_dataset_folder(dataset_folder, repo_id)
    for path in (dataset_folder / "data").glob("train-*"):
        path.unlink()
    write_shards(dataset_folder, "train", make_dataset(N_TRAIN, 0, seed=0), 1)
    write_card(dataset_folder)

    result = push_dataset_folder(dataset_folder, repo_id)
    assert result.created_commit
    assert set(result.deleted) == TRAIN_SHARDS
    parquet = {f for f in _remote_files(hub_api, repo_id) if f.endswith(".parquet")}
    assert parquet == {"data/train-00000-of-00001.parquet", *TEST_SHARDS}
    assert load_dataset(repo_id, split="train").num_rows == N_TRAIN


def test_push_to_a_branch_leaves_main_alone(dataset_folder, hub_api, hub_repo_id):
    repo_id = hub_repo_id("branch")
    result = push_dataset_folder(dataset_folder, repo_id, revision="v2-candidate", private=True)
    assert result.revision == "v2-candidate"
    assert hub_api.dataset_info(repo_id).private is True
    assert not any(f.endswith(".parquet") for f in _remote_files(hub_api, repo_id))
    on_branch = hub_api.list_repo_files(repo_id, repo_type="dataset", revision="v2-candidate")
    assert set(on_branch) >= TRAIN_SHARDS


def test_interrupted_upload_can_be_rerun(dataset_folder, hub_api, hub_repo_id, hub_server):
    repo_id = hub_repo_id("resume")
    n_lfs = 4  # 3 shards + the figure
    mark = len(hub_server.requests)
    # The 2nd LFS object upload is refused (a 4xx is not retried by the client).
    with (
        hub_server.failing("lfs_upload", status=400, after=1),
        pytest.raises(PushError, match="Re-run the same push") as excinfo,
    ):
        push_dataset_folder(dataset_folder, repo_id)
    assert "400" in str(excinfo.value)
    first = hub_server.requests_since(mark)
    stored = sum(1 for r in first if r.route == "lfs_upload" and r.status == 200)
    assert "commit" not in {r.route for r in first}
    assert not any(f.endswith(".parquet") for f in _remote_files(hub_api, repo_id))

    mark = len(hub_server.requests)
    result = push_dataset_folder(dataset_folder, repo_id)
    uploads = [r for r in hub_server.requests_since(mark) if r.route == "lfs_upload"]
    assert result.created_commit
    assert len(uploads) == n_lfs - stored  # objects stored by the failed run are not sent again
    assert _remote_files(hub_api, repo_id) >= TRAIN_SHARDS | TEST_SHARDS


def test_server_error_mid_push_surfaces_and_nothing_is_reported(
    dataset_folder, hub_api, hub_repo_id, hub_server, capsys
):
    repo_id = hub_repo_id("cli-500")
    with hub_server.failing("commit", status=500) as rule:
        code = main(["push-dataset", str(dataset_folder), repo_id])
    out, err = capsys.readouterr()
    assert rule.fired == 1
    assert code == 1
    assert "500" in err and "error:" in err
    assert "Pushed" not in out and out == ""
    assert not any(f.endswith(".parquet") for f in _remote_files(hub_api, repo_id))


def test_cli_push_dataset_reports_commit_then_no_change(dataset_folder, hub_repo_id, capsys):
    repo_id = hub_repo_id("cli")
    assert main(["push-dataset", str(dataset_folder), repo_id, "--message", "first"]) == 0
    assert f"Pushed 5 files to {repo_id}@main" in capsys.readouterr().out
    assert main(["push-dataset", str(dataset_folder), repo_id]) == 0
    assert "no new commit" in capsys.readouterr().out


def test_cli_renders_the_card_when_asked(dataset_folder, hub_repo_id, hub_api, capsys):
    from huggingface_hub import DatasetCard

    (dataset_folder / "README.md").unlink()
    repo_id = hub_repo_id("cli-card")
    args = ["push-dataset", str(dataset_folder), repo_id, "--data-kind", "generated"]
    assert main([*args, "--emotion-source", "user mapping"]) == 1  # no generator given
    assert "generator_model" in capsys.readouterr().err
    args += ["--emotion-source", "user mapping", "--generator-model", "me/pipe"]
    args += ["--generator-revision", "abc1234", "--seed", "generation=3"]
    assert main(args) == 0
    card = DatasetCard.load(repo_id, repo_type="dataset")
    assert "generated-data" in card.data.tags
    assert "`me/pipe` at revision `abc1234`" in card.text and "generation = 3" in card.text


def _bad_inputs(tmp_path, dataset_folder):
    empty = tmp_path / "empty"
    (empty / "data").mkdir(parents=True)
    (empty / "README.md").write_text("---\nlicense: cc-by-4.0\n---\n")
    no_card = tmp_path / "no-card"
    shutil.copytree(dataset_folder, no_card)
    (no_card / "README.md").unlink()
    incomplete = tmp_path / "incomplete"
    shutil.copytree(dataset_folder, incomplete)
    (incomplete / "data" / "train-00001-of-00002.parquet").unlink()
    mismatched = tmp_path / "mismatched"
    shutil.copytree(dataset_folder, mismatched)
    readme = mismatched / "README.md"
    readme.write_text(readme.read_text().replace("path: data/test-*", "path: data/validation-*"))
    bad_yaml = tmp_path / "bad-yaml"
    shutil.copytree(dataset_folder, bad_yaml)
    (bad_yaml / "README.md").write_text("---\nconfigs: [unclosed\n---\n")
    return [
        (dataset_folder, "not a valid id!", ValueError, "repo_id"),
        (dataset_folder, "too/many/parts", ValueError, "repo_id"),
        (dataset_folder, "no-namespace", ValueError, "namespace/name"),
        (tmp_path / "missing", "u/ok", FileNotFoundError, "does not exist"),
        (empty, "u/ok", ValueError, "no Parquet shards"),
        (no_card, "u/ok", ValueError, "no README.md"),
        (incomplete, "u/ok", ValueError, "incomplete shards"),
        (mismatched, "u/ok", ValueError, "matches no shard"),
        (bad_yaml, "u/ok", ValueError, "invalid YAML"),
    ]


def test_bad_input_fails_before_any_request(
    tmp_path, dataset_folder, hub_server, hub_token, capsys
):
    for folder, repo_id, error, message in _bad_inputs(tmp_path, dataset_folder):
        mark = len(hub_server.requests)
        with pytest.raises(error, match=message):
            push_dataset_folder(folder, repo_id)
        assert main(["push-dataset", str(folder), repo_id]) == 1
        assert message.split()[0] in capsys.readouterr().err
        assert hub_server.requests_since(mark) == [], (folder, repo_id)
