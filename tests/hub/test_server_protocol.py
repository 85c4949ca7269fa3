"""The test hub against the unmodified ``huggingface_hub`` client (HfApi, downloads, LFS)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.hub_server import HubServer

# huggingface_hub's own LFS PUT passes a file object as `data=` (its code, not ours).
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A small repo folder: a text file, a binary weights file (LFS), a nested text file."""
    root = tmp_path / "folder"
    (root / "sub").mkdir(parents=True)
    (root / "notes.txt").write_text("plain text, stored as a regular git file\n")
    (root / "weights.safetensors").write_bytes(os.urandom(4096))
    (root / "sub" / "config.json").write_text('{"n_chans": 62}')
    return root


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_upload_folder_then_download_into_fresh_cache(hub_api, hub_repo_id, folder, hf_cache):
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url

    repo_id = hub_repo_id("roundtrip")
    hub_api.create_repo(repo_id)
    info = hub_api.upload_folder(repo_id=repo_id, folder_path=folder)

    for name in ("notes.txt", "weights.safetensors", "sub/config.json"):
        local = hf_hub_download(repo_id, name, cache_dir=hf_cache)
        assert Path(local).read_bytes() == (folder / name).read_bytes()
        assert f"/snapshots/{info.oid}/" in local

    # LFS files: the client reads the sha256 (X-Linked-Etag) and size (X-Linked-Size).
    meta = get_hf_file_metadata(hf_hub_url(repo_id, "weights.safetensors"))
    assert meta.etag == _sha256(folder / "weights.safetensors")
    assert meta.size == 4096
    assert meta.commit_hash == info.oid
    siblings = {s.rfilename: s for s in hub_api.model_info(repo_id, files_metadata=True).siblings}
    assert siblings["weights.safetensors"].lfs.sha256 == meta.etag
    assert siblings["notes.txt"].lfs is None


def test_create_repo_exist_ok_and_conflict(hub_api, hub_repo_id):
    from huggingface_hub.errors import HfHubHTTPError

    repo_id = hub_repo_id("exists")
    url = hub_api.create_repo(repo_id)
    assert url.repo_id == repo_id
    assert hub_api.create_repo(repo_id, exist_ok=True).repo_id == repo_id
    with pytest.raises(HfHubHTTPError) as excinfo:
        hub_api.create_repo(repo_id)
    assert excinfo.value.response.status_code == 409
    # Same name, other type: a different repo.
    assert hub_api.create_repo(repo_id, repo_type="dataset").repo_type == "dataset"


def test_reupload_of_identical_content_creates_no_commit(hub_api, hub_repo_id, folder, hub_server):
    repo_id = hub_repo_id("idempotent")
    hub_api.create_repo(repo_id)
    first = hub_api.upload_folder(repo_id=repo_id, folder_path=folder)
    n_commits = len(hub_api.list_repo_commits(repo_id))

    mark = len(hub_server.requests)
    again = hub_api.upload_folder(repo_id=repo_id, folder_path=folder)
    routes = [r.route for r in hub_server.requests_since(mark)]
    assert again.oid == first.oid
    assert len(hub_api.list_repo_commits(repo_id)) == n_commits
    assert "commit" not in routes and "lfs_upload" not in routes

    (folder / "notes.txt").write_text("changed\n")
    changed = hub_api.upload_folder(repo_id=repo_id, folder_path=folder)
    assert changed.oid != first.oid
    assert len(hub_api.list_repo_commits(repo_id)) == n_commits + 1


def test_branches_tags_and_revisions(hub_api, hub_repo_id, hf_cache):
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import RevisionNotFoundError

    repo_id = hub_repo_id("revisions")
    hub_api.create_repo(repo_id)
    v1 = hub_api.upload_file(path_or_fileobj=b"one", path_in_repo="v.txt", repo_id=repo_id).oid
    hub_api.create_tag(repo_id, tag="v1")
    hub_api.create_branch(repo_id, branch="dev")
    hub_api.upload_file(
        path_or_fileobj=b"dev", path_in_repo="v.txt", repo_id=repo_id, revision="dev"
    )
    hub_api.upload_file(path_or_fileobj=b"two", path_in_repo="v.txt", repo_id=repo_id)

    def read(revision):
        return Path(
            hf_hub_download(repo_id, "v.txt", revision=revision, cache_dir=hf_cache)
        ).read_bytes()

    assert read(None) == b"two"
    assert read("dev") == b"dev"
    assert read("v1") == b"one"
    assert read(v1) == b"one"
    assert read(v1[:7]) == b"one"

    refs = hub_api.list_repo_refs(repo_id)
    assert {b.name for b in refs.branches} == {"main", "dev"}
    assert [(t.name, t.target_commit) for t in refs.tags] == [("v1", v1)]
    titles = [c.title for c in hub_api.list_repo_commits(repo_id, revision="dev")]
    assert titles[-1] == "initial commit" and len(titles) == 3

    hub_api.delete_branch(repo_id, branch="dev")
    with pytest.raises(RevisionNotFoundError):
        hub_api.model_info(repo_id, revision="dev")
    with pytest.raises(RevisionNotFoundError):
        hub_api.upload_file(path_or_fileobj=b"x", path_in_repo="x", repo_id=repo_id, revision="dev")


def test_snapshot_download_matches_the_folder(hub_api, hub_repo_id, folder, hf_cache):
    from huggingface_hub import snapshot_download

    repo_id = hub_repo_id("snapshot")
    hub_api.create_repo(repo_id, repo_type="dataset")
    oid = hub_api.upload_folder(repo_id=repo_id, folder_path=folder, repo_type="dataset").oid
    snapshot = Path(snapshot_download(repo_id, repo_type="dataset", cache_dir=hf_cache))
    assert snapshot.name == oid
    got = {p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file()}
    want = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert got == want | {".gitattributes"}
    for name in want:
        assert (snapshot / name).read_bytes() == (folder / name).read_bytes()


def test_resolve_serves_byte_ranges(hub_api, hub_repo_id, hub_server):
    import httpx2

    repo_id = hub_repo_id("ranges")
    hub_api.create_repo(repo_id)
    content = bytes(range(256)) * 4
    hub_api.upload_file(path_or_fileobj=content, path_in_repo="b.bin", repo_id=repo_id)
    url = f"{hub_server.url}/{repo_id}/resolve/main/b.bin"
    for header, expected in (
        ("bytes=10-19", content[10:20]),
        ("bytes=1000-", content[1000:]),
        ("bytes=-5", content[-5:]),
    ):
        response = httpx2.get(url, headers={"Range": header})
        assert response.status_code == 206
        assert response.content == expected
        assert response.headers["Content-Range"].endswith(f"/{len(content)}")
    assert httpx2.get(url, headers={"Range": "bytes=5000-"}).status_code == 416
    head = httpx2.head(url)
    assert int(head.headers["Content-Length"]) == len(content)
    assert head.headers["X-Linked-Size"] == str(len(content))


def test_errors_map_to_the_clients_exceptions(hub_api, hub_repo_id, hub_server):
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    repo_id = hub_repo_id("errors")
    hub_api.create_repo(repo_id, private=True)
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(repo_id, "missing.txt")
    with pytest.raises(RevisionNotFoundError):
        hub_api.model_info(repo_id, revision="no-such-branch")
    with pytest.raises(RepositoryNotFoundError):
        hub_api.model_info(repo_id + "-missing")
    assert hub_api.model_info(repo_id).private is True
    # Another user (and anonymous users) cannot see a private repo at all.
    stranger = HfApi(endpoint=hub_server.url, token=hub_server.add_user("stranger"))
    with pytest.raises(RepositoryNotFoundError):
        stranger.model_info(repo_id)
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=hub_server.url, token=False).model_info(repo_id)


def test_writes_need_a_valid_token(hub_api, hub_repo_id, hub_server):
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    repo_id = hub_repo_id("auth")
    with pytest.raises(HfHubHTTPError) as excinfo:
        HfApi(endpoint=hub_server.url, token=False).create_repo(repo_id)
    assert excinfo.value.response.status_code == 401
    with pytest.raises(HfHubHTTPError) as excinfo:
        HfApi(endpoint=hub_server.url, token="hf_not_a_real_token").create_repo(repo_id)
    assert excinfo.value.response.status_code == 401
    assert not hub_api.repo_exists(repo_id)
    # Writing into someone else's namespace is forbidden.
    hub_api.create_repo(repo_id)
    stranger = HfApi(endpoint=hub_server.url, token=hub_server.add_user("intruder"))
    with pytest.raises(HfHubHTTPError) as excinfo:
        stranger.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id)
    assert excinfo.value.response.status_code == 403


def test_parent_commit_guards_against_concurrent_pushes(hub_api, hub_repo_id):
    from huggingface_hub import CommitOperationAdd
    from huggingface_hub.errors import HfHubHTTPError

    repo_id = hub_repo_id("parent")
    hub_api.create_repo(repo_id)
    base = hub_api.model_info(repo_id).sha
    hub_api.upload_file(path_or_fileobj=b"a", path_in_repo="a.txt", repo_id=repo_id)
    with pytest.raises(HfHubHTTPError) as excinfo:
        hub_api.create_commit(
            repo_id,
            [CommitOperationAdd("b.txt", b"b")],
            commit_message="stale",
            parent_commit=base,
        )
    assert excinfo.value.response.status_code == 412
    assert not hub_api.file_exists(repo_id, "b.txt")


def test_known_lfs_objects_are_not_uploaded_twice(hub_api, hub_repo_id, hub_server):
    repo_id = hub_repo_id("dedup")
    hub_api.create_repo(repo_id)
    blob = os.urandom(3000)
    hub_api.upload_file(path_or_fileobj=blob, path_in_repo="a.safetensors", repo_id=repo_id)
    mark = len(hub_server.requests)
    hub_api.upload_file(path_or_fileobj=blob, path_in_repo="copy.safetensors", repo_id=repo_id)
    routes = [r.route for r in hub_server.requests_since(mark)]
    assert "lfs_batch" in routes and "commit" in routes
    assert "lfs_upload" not in routes


def test_injected_failure_surfaces_and_leaves_the_repo_unchanged(hub_api, hub_repo_id, hub_server):
    from huggingface_hub.errors import HfHubHTTPError

    repo_id = hub_repo_id("fail")
    hub_api.create_repo(repo_id)
    head = hub_api.model_info(repo_id).sha
    with hub_server.failing("commit") as rule, pytest.raises(HfHubHTTPError) as excinfo:
        hub_api.upload_file(path_or_fileobj=os.urandom(100), path_in_repo="w.bin", repo_id=repo_id)
    assert excinfo.value.response.status_code == 500
    assert rule.fired == 1
    assert hub_api.model_info(repo_id).sha == head
    # The switch is off again: the same push now goes through.
    hub_api.upload_file(path_or_fileobj=b"ok", path_in_repo="w.bin", repo_id=repo_id)
    assert hub_api.file_exists(repo_id, "w.bin")


def test_tree_listing_is_paginated_and_expanded(hub_api, hub_repo_id):
    from huggingface_hub import CommitOperationAdd

    repo_id = hub_repo_id("tree")
    hub_api.create_repo(repo_id)
    names = [f"data/part-{i:03d}.txt" for i in range(60)]  # > 50: two pages when expanded
    hub_api.create_commit(
        repo_id,
        [CommitOperationAdd(n, n.encode()) for n in names],
        commit_message="many files",
    )
    entries = list(hub_api.list_repo_tree(repo_id, "data", expand=True))
    assert sorted(e.path for e in entries) == names
    assert {e.last_commit.title for e in entries} == {"many files"}
    top = {e.path: type(e).__name__ for e in hub_api.list_repo_tree(repo_id)}
    assert top == {"data": "RepoFolder", ".gitattributes": "RepoFile"}
    info = hub_api.get_paths_info(repo_id, ["data", "data/part-001.txt", "nope"])
    assert [e.path for e in info] == ["data", "data/part-001.txt"]


def test_pull_request_refs(hub_api, hub_repo_id, hf_cache):
    from huggingface_hub import hf_hub_download

    repo_id = hub_repo_id("pr")
    hub_api.create_repo(repo_id)
    info = hub_api.upload_file(
        path_or_fileobj=b"proposal", path_in_repo="p.txt", repo_id=repo_id, create_pr=True
    )
    assert info.pr_num == 1
    assert not hub_api.file_exists(repo_id, "p.txt")
    local = hf_hub_download(repo_id, "p.txt", revision=info.pr_revision, cache_dir=hf_cache)
    assert Path(local).read_bytes() == b"proposal"


def test_card_metadata_is_validated_before_upload(hub_api, hub_repo_id, hub_server):
    repo_id = hub_repo_id("yaml")
    hub_api.create_repo(repo_id)
    mark = len(hub_server.requests)
    with pytest.raises(ValueError, match="Invalid metadata"):
        hub_api.upload_file(
            path_or_fileobj=b"---\nlicense: [unclosed\n---\n# card\n",
            path_in_repo="README.md",
            repo_id=repo_id,
        )
    assert [r.route for r in hub_server.requests_since(mark)] == ["validate_yaml"]


def test_storage_survives_a_server_restart(tmp_path):
    from huggingface_hub import HfApi

    first = HubServer(tmp_path / "store").start()
    token = first.add_user("persist")
    api = HfApi(endpoint=first.url, token=token)
    api.create_repo("persist/r")
    oid = api.upload_file(path_or_fileobj=b"kept", path_in_repo="k.txt", repo_id="persist/r").oid
    first.close(remove_storage=False)

    second = HubServer(tmp_path / "store").start()
    try:
        api = HfApi(endpoint=second.url, token=second.add_user("persist"))
        assert api.model_info("persist/r").sha == oid
        assert api.list_repo_files("persist/r") == [".gitattributes", "k.txt"]
    finally:
        second.close()
