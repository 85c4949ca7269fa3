"""On-disk storage of the test Hub: content-addressed blobs and a commit history per repo.

Layout under ``root``::

    blobs/<sha256[:2]>/<sha256>          file contents, addressed by their SHA-256
    repos/<type>/<namespace>/<name>.json  refs (branches, tags, PR refs) and every commit

A commit maps each path to a :class:`FileEntry` (blob SHA-256, size, whether the file is
stored through Git-LFS, and its git blob id), so revisions, "has this file changed" checks
and "did this push create a commit" checks are answered from real data.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

REPO_TYPES = ("model", "dataset", "space")

# The Hub starts every repo with a system commit holding this file; it marks which paths go
# through Git-LFS (the pre-upload endpoint reads it).
DEFAULT_GITATTRIBUTES = "".join(
    f"{pattern} filter=lfs diff=lfs merge=lfs -text\n"
    for pattern in (
        "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gz", "*.h5", "*.joblib",
        "*.lfs.*", "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot",
        "*.parquet", "*.pb", "*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors",
        "saved_model/**/*", "*.tar.*", "*.tar", "*.tflite", "*.tgz", "*.wasm", "*.xz", "*.zip",
        "*.zst", "*tfevents*", "*.mp4", "*.webm", "*.mp3", "*.wav", "*.flac", "*.png", "*.jpg",
        "*.jpeg", "*.webp", "*.gif",
    )
)  # fmt: skip


class HubError(Exception):
    """An error the server answers with ``status`` and the Hub's ``X-Error-Code`` header."""

    def __init__(self, status: int, message: str, error_code: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code


def repo_not_found(repo_type: str, repo_id: str) -> HubError:
    return HubError(404, f"Repository not found: {repo_type} {repo_id!r}", "RepoNotFound")


def revision_not_found(revision: str) -> HubError:
    return HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")


def entry_not_found(path: str) -> HubError:
    return HubError(404, f"Entry not found: {path!r}", "EntryNotFound")


def git_blob_oid(content: bytes) -> str:
    """Git's object id of a blob (what the Hub reports as a file's ``oid``)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    """The Git-LFS pointer file git stores in place of an LFS-tracked file."""
    return (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()
    )


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class FileEntry:
    """One file of a commit."""

    sha256: str
    size: int
    lfs: bool
    git_oid: str

    @property
    def pointer_size(self) -> int:
        return len(lfs_pointer(self.sha256, self.size))

    @property
    def remote_oid(self) -> str:
        """The id the pre-upload endpoint reports: SHA-256 for LFS files, git blob id otherwise."""
        return self.sha256 if self.lfs else self.git_oid

    def to_json(self) -> dict:
        return {"sha256": self.sha256, "size": self.size, "lfs": self.lfs, "oid": self.git_oid}

    @classmethod
    def from_json(cls, data: dict) -> FileEntry:
        return cls(sha256=data["sha256"], size=data["size"], lfs=data["lfs"], git_oid=data["oid"])


@dataclass(frozen=True)
class Commit:
    oid: str
    parent: str | None
    files: dict[str, FileEntry]
    title: str
    message: str
    author: str
    date: str

    def to_json(self) -> dict:
        return {
            "oid": self.oid,
            "parent": self.parent,
            "files": {path: entry.to_json() for path, entry in self.files.items()},
            "title": self.title,
            "message": self.message,
            "author": self.author,
            "date": self.date,
        }

    @classmethod
    def from_json(cls, data: dict) -> Commit:
        return cls(
            oid=data["oid"],
            parent=data["parent"],
            files={path: FileEntry.from_json(entry) for path, entry in data["files"].items()},
            title=data["title"],
            message=data["message"],
            author=data["author"],
            date=data["date"],
        )

    def directories(self) -> set[str]:
        """Every folder that holds at least one file of this commit (without the root)."""
        folders: set[str] = set()
        for path in self.files:
            parent = posixpath.dirname(path)
            while parent:
                folders.add(parent)
                parent = posixpath.dirname(parent)
        return folders


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    owner: str
    private: bool
    created_at: str
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    pull_requests: dict[int, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    # LFS objects uploaded to this repo: as on the Hub (Git-LFS), a repo can only commit objects
    # that were uploaded to it, even when the store already holds the same bytes for another repo.
    lfs_objects: set[str] = field(default_factory=set)

    def to_json(self) -> dict:
        return {
            "repo_type": self.repo_type,
            "repo_id": self.repo_id,
            "owner": self.owner,
            "private": self.private,
            "created_at": self.created_at,
            "branches": self.branches,
            "tags": self.tags,
            "pull_requests": {str(k): v for k, v in self.pull_requests.items()},
            "commits": {oid: commit.to_json() for oid, commit in self.commits.items()},
            "lfs_objects": sorted(self.lfs_objects),
        }

    @classmethod
    def from_json(cls, data: dict) -> Repo:
        return cls(
            repo_type=data["repo_type"],
            repo_id=data["repo_id"],
            owner=data["owner"],
            private=data["private"],
            created_at=data["created_at"],
            branches=data["branches"],
            tags=data["tags"],
            pull_requests={int(k): v for k, v in data["pull_requests"].items()},
            commits={oid: Commit.from_json(c) for oid, c in data["commits"].items()},
            lfs_objects=set(data["lfs_objects"]),
        )

    def resolve(self, revision: str) -> str:
        """Commit id of a branch, tag, ``refs/...`` name, full or abbreviated commit id."""
        if revision.startswith("refs/heads/"):
            name = revision[len("refs/heads/") :]
            if name in self.branches:
                return self.branches[name]
        elif revision.startswith("refs/tags/"):
            name = revision[len("refs/tags/") :]
            if name in self.tags:
                return self.tags[name]
        elif revision.startswith("refs/pr/"):
            number = revision[len("refs/pr/") :]
            if number.isdigit() and int(number) in self.pull_requests:
                return self.pull_requests[int(number)]
        elif revision in self.branches:
            return self.branches[revision]
        elif revision in self.tags:
            return self.tags[revision]
        elif revision in self.commits:
            return revision
        elif len(revision) >= 7 and all(c in "0123456789abcdef" for c in revision):
            matches = [oid for oid in self.commits if oid.startswith(revision)]
            if len(matches) == 1:
                return matches[0]
        raise revision_not_found(revision)

    def branch_ref(self, revision: str) -> tuple[str, int | None]:
        """``(ref kind, pr number)`` a commit to ``revision`` moves: a branch or a PR ref."""
        if revision.startswith("refs/pr/") and revision[len("refs/pr/") :].isdigit():
            number = int(revision[len("refs/pr/") :])
            if number in self.pull_requests:
                return "pr", number
        name = revision[len("refs/heads/") :] if revision.startswith("refs/heads/") else revision
        if name in self.branches:
            return name, None
        self.resolve(revision)  # raises RevisionNotFound for an unknown revision
        raise HubError(400, f"Commits can only be made on a branch, not on {revision!r}.")

    def history(self, oid: str) -> Iterator[Commit]:
        """Commits from ``oid`` back to the first one (newest first)."""
        current: str | None = oid
        while current is not None:
            commit = self.commits[current]
            yield commit
            current = commit.parent

    def last_commit_touching(self, oid: str, path: str, is_dir: bool) -> Commit:
        """The newest commit (from ``oid`` back) that changed ``path`` (a file or a folder)."""

        def state(commit: Commit) -> object:
            if not is_dir:
                return commit.files.get(path)
            prefix = path + "/"
            return sorted((p, e.git_oid) for p, e in commit.files.items() if p.startswith(prefix))

        commits = list(self.history(oid))
        for commit, parent in zip(commits, [*commits[1:], None], strict=True):
            if parent is None or state(commit) != state(parent):
                return commit
        return commits[-1]


class HubStorage:
    """Thread-safe store of blobs and repos under ``root`` (see the module docstring)."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        (self.root / "blobs").mkdir(parents=True, exist_ok=True)
        (self.root / "repos").mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._repos: dict[tuple[str, str], Repo] = {}
        self._commit_counter = 0
        for path in sorted((self.root / "repos").glob("*/*/*.json")):
            repo = Repo.from_json(json.loads(path.read_text()))
            self._repos[(repo.repo_type, repo.repo_id)] = repo

    # ---------------------------------------------------------------- blobs
    def blob_path(self, sha256: str) -> Path:
        return self.root / "blobs" / sha256[:2] / sha256

    def has_blob(self, sha256: str, size: int | None = None) -> bool:
        path = self.blob_path(sha256)
        return path.is_file() and (size is None or path.stat().st_size == size)

    def put_bytes(self, content: bytes) -> str:
        sha256 = hashlib.sha256(content).hexdigest()
        if not self.has_blob(sha256):
            self._atomic_write(self.blob_path(sha256), content)
        return sha256

    def put_stream(self, chunks: Iterable[bytes], expected_sha256: str, expected_size: int) -> None:
        """Store an uploaded LFS object; reject it unless its hash and size are the announced ones."""
        target = self.blob_path(expected_sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            if digest.hexdigest() != expected_sha256 or size != expected_size:
                raise HubError(
                    400,
                    f"Uploaded content does not match its LFS oid/size: expected sha256 "
                    f"{expected_sha256} ({expected_size} bytes), got {digest.hexdigest()} ({size} bytes).",
                )
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def add_lfs_object(self, repo: Repo, sha256: str) -> None:
        """Record that ``sha256`` was uploaded to ``repo`` (it may then be committed there)."""
        with self._lock:
            if sha256 not in repo.lfs_objects:
                repo.lfs_objects.add(sha256)
                self._save(repo)

    def read_blob(self, sha256: str) -> bytes:
        return self.blob_path(sha256).read_bytes()

    # ---------------------------------------------------------------- repos
    def get_repo(self, repo_type: str, repo_id: str) -> Repo:
        with self._lock:
            repo = self._repos.get((repo_type, repo_id))
            if repo is None:
                raise repo_not_found(repo_type, repo_id)
            return repo

    def list_repos(self) -> list[Repo]:
        with self._lock:
            return list(self._repos.values())

    def create_repo(self, repo_type: str, repo_id: str, owner: str, private: bool) -> Repo:
        """Create a repo with the Hub's initial ``.gitattributes`` commit; 409 if it exists."""
        with self._lock:
            if (repo_type, repo_id) in self._repos:
                raise HubError(409, f"You already created this {repo_type} repo: {repo_id}")
            repo = Repo(repo_type, repo_id, owner, private, created_at=utc_now())
            self._repos[(repo_type, repo_id)] = repo
            content = DEFAULT_GITATTRIBUTES.encode()
            entry = FileEntry(self.put_bytes(content), len(content), False, git_blob_oid(content))
            self._add_commit(repo, None, {".gitattributes": entry}, "initial commit", "", owner)
            repo.branches["main"] = next(iter(repo.commits))
            self._save(repo)
            return repo

    def delete_repo(self, repo_type: str, repo_id: str) -> None:
        with self._lock:
            if self._repos.pop((repo_type, repo_id), None) is None:
                raise repo_not_found(repo_type, repo_id)
            self._repo_file(repo_type, repo_id).unlink(missing_ok=True)

    def commit(
        self,
        repo: Repo,
        revision: str,
        files: dict[str, FileEntry],
        title: str,
        message: str,
        author: str,
        *,
        parent_commit: str | None = None,
        create_pr: bool = False,
    ) -> tuple[Commit, int | None]:
        """Record ``files`` (the full new tree) on top of ``revision``.

        Returns the commit and, with ``create_pr``, the number of the PR ref it opened.
        """
        with self._lock:
            head = repo.resolve(revision)
            if create_pr:
                number = max(repo.pull_requests, default=0) + 1
                commit = self._add_commit(repo, head, files, title, message, author)
                repo.pull_requests[number] = commit.oid
                self._save(repo)
                return commit, number
            ref, pr_number = repo.branch_ref(revision)
            if parent_commit is not None and not head.startswith(parent_commit):
                raise HubError(
                    412,
                    f"A commit has happened since {parent_commit}. Please refresh and try again.",
                )
            commit = self._add_commit(repo, head, files, title, message, author)
            if pr_number is not None:
                repo.pull_requests[pr_number] = commit.oid
            else:
                repo.branches[ref] = commit.oid
            self._save(repo)
            return commit, None

    def create_branch(self, repo: Repo, name: str, starting_point: str | None) -> None:
        with self._lock:
            if name in repo.branches:
                raise HubError(409, f"Reference already exists: refs/heads/{name}")
            head = repo.resolve(starting_point or "main")
            repo.branches[name] = head
            self._save(repo)

    def delete_branch(self, repo: Repo, name: str) -> None:
        with self._lock:
            if name == "main":
                raise HubError(403, "Cannot delete the default branch 'main'.")
            if repo.branches.pop(name, None) is None:
                raise revision_not_found(name)
            self._save(repo)

    def create_tag(self, repo: Repo, tag: str, revision: str) -> None:
        with self._lock:
            if tag in repo.tags:
                raise HubError(409, f"Tag already exists: refs/tags/{tag}")
            repo.tags[tag] = repo.resolve(revision)
            self._save(repo)

    def delete_tag(self, repo: Repo, tag: str) -> None:
        with self._lock:
            if repo.tags.pop(tag, None) is None:
                raise revision_not_found(tag)
            self._save(repo)

    # ---------------------------------------------------------------- internals
    def _add_commit(
        self,
        repo: Repo,
        parent: str | None,
        files: dict[str, FileEntry],
        title: str,
        message: str,
        author: str,
    ) -> Commit:
        self._commit_counter += 1
        date = utc_now()
        identity = json.dumps(
            [parent, sorted((p, e.git_oid) for p, e in files.items()), title, message, date],
        )
        oid = hashlib.sha1(f"{identity}\0{self._commit_counter}\0{id(repo)}".encode()).hexdigest()
        commit = Commit(oid, parent, dict(sorted(files.items())), title, message, author, date)
        repo.commits[oid] = commit
        return commit

    def _repo_file(self, repo_type: str, repo_id: str) -> Path:
        return self.root / "repos" / repo_type / f"{repo_id}.json"

    def _save(self, repo: Repo) -> None:
        self._atomic_write(
            self._repo_file(repo.repo_type, repo.repo_id), json.dumps(repo.to_json()).encode()
        )

    @staticmethod
    def _atomic_write(path: Path, content: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
