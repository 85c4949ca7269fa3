"""A Hugging Face Hub-compatible HTTP server for the test suite (stdlib ``http.server``).

It serves the endpoints the unmodified ``huggingface_hub``, ``datasets``, ``transformers`` and
``diffusers`` clients call for a push/pull round trip (see ``shared/HUB_PROTOCOL.md``): whoami,
repo create/delete/info, pre-upload, the NDJSON commit endpoint, the Git-LFS batch / upload /
verify protocol (basic transfer), ``resolve`` downloads with ``Range``, tree and paths-info
listings, refs, commit history, branches and tags, and YAML metadata validation. Storage is on
disk (:mod:`tests.hub_server.storage`).

Test hooks: :meth:`HubServer.failing` makes the Nth request of a route fail, :attr:`HubServer.requests`
records every request (method, path, route, status, user name; never headers or tokens).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fnmatch
import hashlib
import hmac
import json
import logging
import posixpath
import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import yaml

from tests.hub_server.storage import (
    REPO_TYPES,
    Commit,
    FileEntry,
    HubError,
    HubStorage,
    Repo,
    entry_not_found,
    git_blob_oid,
    lfs_pointer,
    repo_not_found,
)

logger = logging.getLogger("tests.hub_server")

# Files above this size always go through LFS, as on the Hub.
LFS_SIZE_THRESHOLD = 10 * 1024 * 1024
TREE_PAGE_SIZE = 1000
TREE_PAGE_SIZE_EXPANDED = 50
COMMITS_PAGE_SIZE = 50
# Routes that change state or prepare a change; a rejected push must not reach any of them.
WRITE_ROUTES = frozenset(
    {
        "repo_create",
        "repo_delete",
        "preupload",
        "commit",
        "lfs_batch",
        "lfs_upload",
        "lfs_verify",
        "branch_create",
        "branch_delete",
        "tag_create",
        "tag_delete",
    }
)
REPO_INFO_FIELDS = (
    "author",
    "sha",
    "lastModified",
    "createdAt",
    "private",
    "gated",
    "disabled",
    "downloads",
    "likes",
    "tags",
    "siblings",
    "cardData",
    "usedStorage",
    "library_name",
    "pipeline_tag",
    "config",
)
_URL_TYPE_PREFIX = {"datasets": "dataset", "spaces": "space"}
_API_TYPE = {"models": "model", "datasets": "dataset", "spaces": "space"}


@dataclass(frozen=True)
class RequestRecord:
    """One request the server answered. Holds no header values (so no token)."""

    method: str
    path: str
    route: str
    status: int
    user: str | None

    @property
    def is_write(self) -> bool:
        return self.route in WRITE_ROUTES


@dataclass
class FailureRule:
    """Answer ``status`` to requests ``after+1 .. after+times`` of ``route``."""

    route: str
    status: int = 500
    after: int = 0
    times: int = 1
    message: str = "Injected failure (test hub)"
    seen: int = 0
    fired: int = 0


@dataclass(frozen=True)
class User:
    name: str
    orgs: tuple[str, ...] = ()

    def can_write(self, namespace: str) -> bool:
        return namespace == self.name or namespace in self.orgs


class HubServer:
    """A Hub on ``http://127.0.0.1:<port>`` storing repos under ``storage_dir``.

    Parameters
    ----------
    storage_dir : str or Path
        Folder for blobs and repo histories (created if missing).
    host : str
        Interface to bind; keep the default loopback address.
    port : int
        0 picks a free port; read it back from :attr:`port` / :attr:`url`.
    """

    def __init__(self, storage_dir: str | Path, *, host: str = "127.0.0.1", port: int = 0):
        self.storage = HubStorage(storage_dir)
        self._users: dict[str, User] = {}  # token -> user
        self._signing_key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._requests: list[RequestRecord] = []
        self._failures: list[FailureRule] = []
        self._httpd = ThreadingHTTPServer((host, port), _HubRequestHandler)
        self._httpd.daemon_threads = True
        self._httpd.hub = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle
    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self._httpd.server_address[0]}:{self.port}"

    def start(self) -> HubServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},  # quick shutdown
                name="test-hub",
                daemon=True,
            )
            self._thread.start()
        return self

    def close(self, *, remove_storage: bool = True) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
        if remove_storage:
            shutil.rmtree(self.storage.root, ignore_errors=True)

    # ---------------------------------------------------------------- users
    def add_user(self, name: str, *, orgs: tuple[str, ...] = ()) -> str:
        """Register a user and return a fresh access token for it."""
        token = "hf_" + secrets.token_urlsafe(24)
        with self._lock:
            self._users[token] = User(name, tuple(orgs))
        return token

    def user_for_token(self, token: str) -> User | None:
        with self._lock:
            return self._users.get(token)

    # ---------------------------------------------------------------- test hooks
    @property
    def requests(self) -> list[RequestRecord]:
        """Every request answered so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_since(self, mark: int) -> list[RequestRecord]:
        """Requests after ``mark = len(server.requests)`` taken earlier."""
        return self.requests[mark:]

    @contextlib.contextmanager
    def failing(
        self,
        route: str,
        *,
        status: int = 500,
        after: int = 0,
        times: int = 1,
    ) -> Iterator[FailureRule]:
        """Within the block, requests ``after+1 .. after+times`` of ``route`` get ``status``."""
        rule = FailureRule(route=route, status=status, after=after, times=times)
        with self._lock:
            self._failures.append(rule)
        try:
            yield rule
        finally:
            with self._lock:
                self._failures.remove(rule)

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    def _injected_failure(self, route: str) -> FailureRule | None:
        with self._lock:
            for rule in self._failures:
                if rule.route != route:
                    continue
                rule.seen += 1
                if rule.seen > rule.after and rule.fired < rule.times:
                    rule.fired += 1
                    return rule
        return None

    # ---------------------------------------------------------------- LFS upload URLs
    def sign(self, repo: Repo, oid: str, size: int) -> str:
        """Signature of a pre-signed upload URL (the PUT carries no Authorization header)."""
        message = f"{repo.repo_type}/{repo.repo_id}:{oid}:{size}".encode()
        return hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()


class _Response(Exception):
    """Raised by route handlers to send a fully built response."""

    def __init__(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        file_range: tuple[Path, int, int] | None = None,
    ):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.file_range = file_range  # (path, start, length) streamed instead of ``body``


def _json_response(status: int, payload: object, headers: dict[str, str] | None = None):
    body = json.dumps(payload).encode()
    return _Response(status, body, {"Content-Type": "application/json", **(headers or {})})


class _HubRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "video2eeg-test-hub/1"

    # --------------------------------------------------------------- plumbing
    @property
    def hub(self) -> HubServer:
        return self.server.hub  # type: ignore[attr-defined]

    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def log_message(self, format, *args):
        # The stdlib logs the raw request line; ours logs method + path only (see _dispatch).
        pass

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        self.query = parse_qs(split.query, keep_blank_values=True)
        self.segments = [unquote(s) for s in split.path.split("/")[1:]]
        self.user: User | None = None
        self._body_consumed = False
        self._extra_error_headers: dict[str, str] = {}
        route = "unknown"
        file_range = None
        try:
            route, handler = self._route(method)
            self.user = self._authenticate()
            rule = self.hub._injected_failure(route)
            if rule is not None:
                self._consume_body()
                raise _json_response(rule.status, {"error": rule.message})
            handler()
            raise _Response(200)
        except _Response as response:
            status, body, headers = response.status, response.body, response.headers
            file_range = response.file_range
        except HubError as error:
            status, body = error.status, json.dumps({"error": error.message}).encode()
            headers = {"Content-Type": "application/json", "X-Error-Message": error.message}
            if error.error_code is not None:
                headers["X-Error-Code"] = error.error_code
            headers.update(self._extra_error_headers)
        except Exception:
            logger.exception("test hub: unhandled error on %s %s", method, split.path)
            status, body = 500, json.dumps({"error": "Internal error in test hub"}).encode()
            headers = {"Content-Type": "application/json"}
        if not self._body_consumed:
            self._consume_body()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if method != "HEAD" and file_range is not None:
            path, start, length = file_range
            with path.open("rb") as blob:
                blob.seek(start)
                while length > 0:
                    chunk = blob.read(min(length, 1 << 20))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    length -= len(chunk)
        elif method != "HEAD" and body:
            self.wfile.write(body)
        user = self.user.name if self.user else None
        self.hub._record(RequestRecord(method, split.path, route, status, user))
        logger.debug("%s %s -> %d (%s)", method, split.path, status, route)

    # Bodies --------------------------------------------------------------
    def _iter_body(self) -> Iterator[bytes]:
        self._body_consumed = True
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                remaining = size
                while remaining:
                    chunk = self.rfile.read(min(remaining, 1 << 20))
                    if not chunk:
                        raise HubError(400, "Truncated chunked body")
                    remaining -= len(chunk)
                    yield chunk
                self.rfile.readline()
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                raise HubError(400, "Truncated body")
            remaining -= len(chunk)
            yield chunk

    def _consume_body(self) -> None:
        for _ in self._iter_body():
            pass

    def _body(self) -> bytes:
        return b"".join(self._iter_body())

    def _json_body(self) -> dict:
        raw = self._body()
        try:
            payload = json.loads(raw or b"{}")
        except json.JSONDecodeError as error:
            raise HubError(400, f"Body is not valid JSON: {error}") from None
        if not isinstance(payload, dict):
            raise HubError(400, "Body must be a JSON object")
        return payload

    # Auth ----------------------------------------------------------------
    def _authenticate(self) -> User | None:
        header = self.headers.get("Authorization")
        if header is None:
            return None
        scheme, _, token = header.partition(" ")
        user = self.hub.user_for_token(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise HubError(401, "Invalid credentials in Authorization header")
        return user

    def _require_user(self) -> User:
        if self.user is None:
            raise HubError(401, "Authentication required: pass a Bearer token to write to the Hub")
        return self.user

    def _repo_for_read(self, repo_type: str, repo_id: str) -> Repo:
        repo = self.hub.storage.get_repo(repo_type, repo_id)
        if repo.private and (
            self.user is None or not self.user.can_write(repo.repo_id.split("/")[0])
        ):
            raise repo_not_found(repo_type, repo_id)  # the Hub hides private repos
        return repo

    def _repo_for_write(self, repo_type: str, repo_id: str) -> Repo:
        user = self._require_user()
        repo = self._repo_for_read(repo_type, repo_id)
        if not user.can_write(repo_id.split("/")[0]):
            raise HubError(403, f"You don't have the rights to write to {repo_id}")
        return repo

    # Routing -------------------------------------------------------------
    def _route(self, method: str):
        seg = self.segments
        if seg[:1] == ["api"]:
            if seg == ["api", "whoami-v2"] and method == "GET":
                return "whoami", self._whoami
            if seg == ["api", "repos", "create"] and method == "POST":
                return "repo_create", self._repo_create
            if seg == ["api", "repos", "delete"] and method == "DELETE":
                return "repo_delete", self._repo_delete
            if seg == ["api", "validate-yaml"] and method == "POST":
                return "validate_yaml", self._validate_yaml
            if len(seg) >= 4 and seg[1] in _API_TYPE:
                self.repo_type, self.repo_id = _API_TYPE[seg[1]], f"{seg[2]}/{seg[3]}"
                rest = seg[4:]
                table = {
                    ("GET", 0, None): ("repo_info", lambda: self._repo_info("main", False)),
                    ("GET", 2, "revision"): ("repo_info", lambda: self._repo_info(rest[1], True)),
                    ("POST", 2, "preupload"): ("preupload", lambda: self._preupload(rest[1])),
                    ("POST", 2, "commit"): ("commit", lambda: self._commit(rest[1])),
                    ("POST", 2, "paths-info"): ("paths_info", lambda: self._paths_info(rest[1])),
                    ("GET", 1, "refs"): ("refs", self._refs),
                    ("GET", 2, "commits"): ("commits", lambda: self._commits(rest[1])),
                    ("POST", 2, "branch"): ("branch_create", lambda: self._branch_create(rest[1])),
                    ("DELETE", 2, "branch"): (
                        "branch_delete",
                        lambda: self._branch_delete(rest[1]),
                    ),
                    ("POST", 2, "tag"): ("tag_create", lambda: self._tag_create(rest[1])),
                    ("DELETE", 2, "tag"): ("tag_delete", lambda: self._tag_delete(rest[1])),
                }
                key = (method, len(rest), rest[0] if rest else None)
                if key in table:
                    return table[key]
                if method == "GET" and len(rest) >= 2 and rest[0] == "tree":
                    return "tree", lambda: self._tree(rest[1], "/".join(rest[2:]))
            raise HubError(404, f"Not found (test hub has no route {method} /{'/'.join(seg)})")
        if seg[:1] == ["_lfs"] and len(seg) == 5 and seg[1] in REPO_TYPES and method == "PUT":
            self.repo_type, self.repo_id = seg[1], f"{seg[2]}/{seg[3]}"
            return "lfs_upload", lambda: self._lfs_upload(seg[4])
        repo_type, rest = "model", seg
        if seg and seg[0] in _URL_TYPE_PREFIX:
            repo_type, rest = _URL_TYPE_PREFIX[seg[0]], seg[1:]
        self.repo_type = repo_type
        if len(rest) >= 4 and rest[2] == "resolve" and method in ("GET", "HEAD"):
            self.repo_id = f"{rest[0]}/{rest[1]}"
            return "resolve", lambda: self._resolve(rest[3], "/".join(rest[4:]), method)
        if len(rest) >= 2 and rest[1].endswith(".git") and rest[2:5] == ["info", "lfs", "objects"]:
            self.repo_id = f"{rest[0]}/{rest[1][: -len('.git')]}"
            if rest[5:] == ["batch"] and method == "POST":
                return "lfs_batch", self._lfs_batch
            if rest[5:] == ["verify"] and method == "POST":
                return "lfs_verify", self._lfs_verify
        raise HubError(404, f"Not found (test hub has no route {method} /{'/'.join(seg)})")

    # --------------------------------------------------------------- helpers
    def _url_prefix(self, repo_type: str) -> str:
        return "" if repo_type == "model" else f"{repo_type}s/"

    def _repo_url(self, repo_type: str, repo_id: str) -> str:
        return f"{self.hub.url}/{self._url_prefix(repo_type)}{repo_id}"

    def _resolve_commit(self, repo: Repo, revision: str) -> Commit:
        return repo.commits[repo.resolve(revision)]

    def _card_data(self, commit: Commit) -> dict | None:
        entry = commit.files.get("README.md")
        if entry is None:
            return None
        metadata, _ = _split_front_matter(self.hub.storage.read_blob(entry.sha256).decode())
        return metadata if isinstance(metadata, dict) else None

    # --------------------------------------------------------------- users & repos
    def _whoami(self) -> None:
        if self.user is None:
            raise HubError(401, "Invalid credentials in Authorization header")
        user = self.user
        raise _json_response(
            200,
            {
                "type": "user",
                "id": hashlib.sha1(user.name.encode()).hexdigest()[:24],
                "name": user.name,
                "fullname": user.name,
                "email": None,
                "emailVerified": False,
                "canPay": False,
                "isPro": False,
                "avatarUrl": "",
                "orgs": [
                    {"type": "org", "name": org, "fullname": org, "roleInOrg": "write"}
                    for org in user.orgs
                ],
                "auth": {
                    "type": "access_token",
                    "accessToken": {"displayName": "test", "role": "write"},
                },
            },
        )

    def _repo_create(self) -> None:
        user = self._require_user()
        payload = self._json_body()
        name = payload.get("name")
        namespace = payload.get("organization") or user.name
        repo_type = payload.get("type") or "model"
        if repo_type not in REPO_TYPES:
            raise HubError(400, f"Invalid repo type {repo_type!r}")
        if not isinstance(name, str) or not re.fullmatch(r"[\w.-]{1,96}", name):
            raise HubError(400, f"Invalid repo name {name!r}")
        if not user.can_write(namespace):
            raise HubError(403, f"You don't have the rights to create a repo in {namespace!r}")
        repo_id = f"{namespace}/{name}"
        private = payload.get("visibility") == "private" or bool(payload.get("private"))
        url = self._repo_url(repo_type, repo_id)
        try:
            self.hub.storage.create_repo(repo_type, repo_id, owner=user.name, private=private)
        except HubError as error:
            if error.status == 409:
                raise _json_response(409, {"error": error.message, "url": url}) from None
            raise
        raise _json_response(200, {"url": url, "name": repo_id, "id": repo_id})

    def _repo_delete(self) -> None:
        user = self._require_user()
        payload = self._json_body()
        namespace = payload.get("organization") or user.name
        repo_type = payload.get("type") or "model"
        repo_id = f"{namespace}/{payload.get('name')}"
        self._repo_for_write(repo_type, repo_id)
        self.hub.storage.delete_repo(repo_type, repo_id)

    def _repo_info(self, revision: str, explicit_revision: bool) -> None:
        repo = self._repo_for_read(self.repo_type, self.repo_id)
        commit = self._resolve_commit(repo, revision)
        blobs = self.query.get("blobs", ["false"])[-1].lower() in ("1", "true")
        siblings = []
        for path, entry in commit.files.items():
            sibling: dict = {"rfilename": path}
            if blobs:
                sibling.update(size=entry.size, blobId=entry.git_oid)
                if entry.lfs:
                    sibling["lfs"] = {
                        "size": entry.size,
                        "sha256": entry.sha256,
                        "pointerSize": entry.pointer_size,
                    }
            siblings.append(sibling)
        card = self._card_data(commit)
        info: dict = {
            "_id": hashlib.sha1(f"{repo.repo_type}/{repo.repo_id}".encode()).hexdigest()[:24],
            "id": repo.repo_id,
            "author": repo.repo_id.split("/")[0],
            "sha": commit.oid,
            "lastModified": commit.date,
            "createdAt": repo.created_at,
            "private": repo.private,
            "gated": False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": list((card or {}).get("tags") or []),
            "siblings": siblings,
            "usedStorage": sum(e.size for e in commit.files.values()),
        }
        if card is not None:
            info["cardData"] = card
        if repo.repo_type == "model":
            if card and card.get("library_name"):
                info["library_name"] = card["library_name"]
            if card and card.get("pipeline_tag"):
                info["pipeline_tag"] = card["pipeline_tag"]
            config = commit.files.get("config.json")
            if config is not None:
                with contextlib.suppress(ValueError, UnicodeDecodeError):
                    info["config"] = json.loads(self.hub.storage.read_blob(config.sha256))
        expand = self.query.get("expand", []) + self.query.get("expand[]", [])
        if expand:
            unknown = sorted(set(expand) - set(REPO_INFO_FIELDS))
            if unknown:
                raise HubError(400, f"Invalid expand values: {unknown}")
            info = {k: v for k, v in info.items() if k in ("_id", "id", *expand)}
        raise _json_response(200, info)

    # --------------------------------------------------------------- upload
    def _preupload(self, revision: str) -> None:
        repo = self._repo_for_write(self.repo_type, self.repo_id)
        commit = self._resolve_commit(repo, revision)
        payload = self._json_body()
        files = payload.get("files")
        if not isinstance(files, list):
            raise HubError(400, "`files` must be a list")
        gitattributes = self._read_text(commit, ".gitattributes")
        gitignore = payload.get("gitIgnore")
        if gitignore is None:
            gitignore = self._read_text(commit, ".gitignore")
        lfs_patterns = _lfs_patterns(gitattributes)
        answer = []
        for item in files:
            path, size = item.get("path"), item.get("size")
            if not isinstance(path, str) or not isinstance(size, int):
                raise HubError(400, "Each file needs a `path` (str) and a `size` (int)")
            try:
                sample = base64.b64decode(item.get("sample", ""), validate=True)
            except binascii.Error:
                raise HubError(400, f"`sample` of {path!r} is not base64") from None
            use_lfs = (
                size >= LFS_SIZE_THRESHOLD
                or _matches_any(path, lfs_patterns)
                or _looks_binary(sample)
            )
            remote = commit.files.get(path)
            answer.append(
                {
                    "path": path,
                    "uploadMode": "lfs" if use_lfs else "regular",
                    "shouldIgnore": _matches_any(path, _gitignore_patterns(gitignore)),
                    "oid": remote.remote_oid if remote is not None else None,
                }
            )
        raise _json_response(200, {"files": answer, "commitOid": commit.oid})

    def _read_text(self, commit: Commit, path: str) -> str:
        entry = commit.files.get(path)
        if entry is None:
            return ""
        return self.hub.storage.read_blob(entry.sha256).decode("utf-8", errors="replace")

    def _lfs_batch(self) -> None:
        repo = self._repo_for_write(self.repo_type, self.repo_id)
        payload = self._json_body()
        if payload.get("operation") != "upload":
            raise HubError(
                400, "The test hub only serves LFS uploads (downloads go through resolve)"
            )
        transfers = payload.get("transfers") or ["basic"]
        if "basic" not in transfers:
            raise HubError(
                400, f"Unsupported LFS transfers {transfers}; the test hub speaks 'basic'"
            )
        objects = []
        verify_href = f"{self._repo_url(self.repo_type, self.repo_id)}.git/info/lfs/objects/verify"
        for obj in payload.get("objects", []):
            oid, size = obj.get("oid"), obj.get("size")
            if not (isinstance(oid, str) and re.fullmatch(r"[0-9a-f]{64}", oid)) or not isinstance(
                size, int
            ):
                objects.append(
                    {
                        "oid": str(oid),
                        "size": int(size or 0),
                        "error": {"code": 422, "message": "Invalid oid or size"},
                    }
                )
                continue
            entry: dict = {"oid": oid, "size": size, "authenticated": True}
            if oid not in repo.lfs_objects or not self.hub.storage.has_blob(oid, size):
                query = urlencode({"size": size, "sig": self.hub.sign(repo, oid, size)})
                upload = f"{self.hub.url}/_lfs/{repo.repo_type}/{repo.repo_id}/{oid}?{query}"
                entry["actions"] = {
                    "upload": {"href": upload, "header": {}},
                    "verify": {"href": verify_href, "header": {}},
                }
            objects.append(entry)
        raise _Response(
            200,
            json.dumps({"transfer": "basic", "objects": objects, "hash_algo": "sha256"}).encode(),
            {"Content-Type": "application/vnd.git-lfs+json"},
        )

    def _lfs_upload(self, oid: str) -> None:
        try:
            size = int(self.query.get("size", ["-1"])[-1])
        except ValueError:
            size = -1
        signature = self.query.get("sig", [""])[-1]
        repo = self.hub.storage.get_repo(self.repo_type, self.repo_id)
        if size < 0 or not hmac.compare_digest(signature, self.hub.sign(repo, oid, size)):
            raise HubError(403, "Invalid or missing upload signature")
        self.hub.storage.put_stream(self._iter_body(), oid, size)
        self.hub.storage.add_lfs_object(repo, oid)

    def _lfs_verify(self) -> None:
        repo = self._repo_for_write(self.repo_type, self.repo_id)
        payload = self._json_body()
        oid, size = payload.get("oid"), payload.get("size")
        if oid not in repo.lfs_objects or not self.hub.storage.has_blob(oid, size):
            raise HubError(404, f"LFS object {oid} ({size} bytes) was not uploaded")
        raise _json_response(200, {"success": True})

    def _commit(self, revision: str) -> None:
        user = self._require_user()
        repo = self._repo_for_write(self.repo_type, self.repo_id)
        lines = [line for line in self._body().splitlines() if line.strip()]
        try:
            items = [json.loads(line) for line in lines]
        except json.JSONDecodeError as error:
            raise HubError(400, f"Commit body is not NDJSON: {error}") from None
        if not items or items[0].get("key") != "header":
            raise HubError(400, "The first NDJSON line must be the commit header")
        header = items[0].get("value") or {}
        summary = header.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            raise HubError(400, "The commit summary must be a non-empty string")
        create_pr = self.query.get("create_pr", ["0"])[-1] in ("1", "true")
        base = self._resolve_commit(repo, revision)
        files = dict(base.files)
        storage = self.hub.storage
        for item in items[1:]:
            key, value = item.get("key"), item.get("value") or {}
            path = _validate_repo_path(value.get("path"))
            if key == "file":
                if value.get("encoding", "base64") != "base64":
                    raise HubError(
                        400, f"Unsupported encoding {value.get('encoding')!r} for {path!r}"
                    )
                try:
                    content = base64.b64decode(value.get("content", ""), validate=True)
                except binascii.Error:
                    raise HubError(400, f"Content of {path!r} is not base64") from None
                files[path] = FileEntry(
                    storage.put_bytes(content), len(content), False, git_blob_oid(content)
                )
            elif key == "lfsFile":
                oid = value.get("oid")
                if value.get("algo", "sha256") != "sha256" or not isinstance(oid, str):
                    raise HubError(400, f"LFS file {path!r} needs a sha256 oid")
                if oid not in repo.lfs_objects or not storage.has_blob(oid):
                    raise HubError(
                        422,
                        f"Your push was rejected because an LFS pointer pointed to a file that does "
                        f"not exist: {path!r} ({oid})",
                    )
                size = storage.blob_path(oid).stat().st_size
                if value.get("size") is not None and value["size"] != size:
                    raise HubError(400, f"LFS file {path!r}: size {value['size']} != stored {size}")
                files[path] = FileEntry(oid, size, True, git_blob_oid(lfs_pointer(oid, size)))
            elif key == "deletedFile":
                if files.pop(path, None) is None:
                    raise HubError(
                        404, f"A file with this name doesn't exist: {path!r}", "EntryNotFound"
                    )
            elif key == "deletedFolder":
                prefix = path.rstrip("/") + "/"
                doomed = [p for p in files if p.startswith(prefix)]
                if not doomed:
                    raise HubError(
                        404, f"A folder with this name doesn't exist: {path!r}", "EntryNotFound"
                    )
                for p in doomed:
                    del files[p]
            else:
                raise HubError(400, f"Unknown commit operation {key!r}")
        commit, pr_number = storage.commit(
            repo,
            revision,
            files,
            title=summary,
            message=header.get("description") or "",
            author=user.name,
            parent_commit=header.get("parentCommit"),
            create_pr=create_pr,
        )
        repo_url = self._repo_url(repo.repo_type, repo.repo_id)
        raise _json_response(
            200,
            {
                "success": True,
                "commitOid": commit.oid,
                "commitUrl": f"{repo_url}/commit/{commit.oid}",
                "commitMessage": summary,
                "hookOutput": "",
                "pullRequestUrl": f"{repo_url}/discussions/{pr_number}" if pr_number else None,
            },
        )

    # --------------------------------------------------------------- download
    def _resolve(self, revision: str, path: str, method: str) -> None:
        repo = self._repo_for_read(self.repo_type, self.repo_id)
        commit = self._resolve_commit(repo, revision)
        entry = commit.files.get(path)
        if entry is None:
            # The client caches "this file does not exist at this commit".
            self._extra_error_headers = {"X-Repo-Commit": commit.oid}
            raise entry_not_found(path)
        headers = {
            "X-Repo-Commit": commit.oid,
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
            "ETag": f'"{entry.sha256 if entry.lfs else entry.git_oid}"',
        }
        if entry.lfs:
            headers["X-Linked-Etag"] = f'"{entry.sha256}"'
            headers["X-Linked-Size"] = str(entry.size)
        start, end, status = 0, entry.size - 1, 200
        range_header = self.headers.get("Range")
        if range_header and entry.size > 0:
            parsed = _parse_range(range_header, entry.size)
            if parsed is None:
                raise _Response(416, b"", {**headers, "Content-Range": f"bytes */{entry.size}"})
            if parsed != (-1, -1):
                start, end = parsed
                status = 206
                headers["Content-Range"] = f"bytes {start}-{end}/{entry.size}"
        length = end - start + 1 if entry.size else 0
        headers["Content-Length"] = str(length)
        if method == "HEAD":
            raise _Response(status, b"", headers)
        raise _Response(
            status,
            b"",
            headers,
            file_range=(self.hub.storage.blob_path(entry.sha256), start, length),
        )

    def _tree_entry(self, repo: Repo, commit: Commit, path: str, expand: bool) -> dict:
        entry = commit.files.get(path)
        if entry is not None:
            item: dict = {"type": "file", "oid": entry.git_oid, "size": entry.size, "path": path}
            if entry.lfs:
                item["lfs"] = {
                    "oid": entry.sha256,
                    "size": entry.size,
                    "pointerSize": entry.pointer_size,
                }
        else:
            children = sorted(
                (p, e.git_oid) for p, e in commit.files.items() if p.startswith(path + "/")
            )
            oid = hashlib.sha1(json.dumps(children).encode()).hexdigest()
            item = {"type": "directory", "oid": oid, "size": 0, "path": path}
        if expand:
            last = repo.last_commit_touching(commit.oid, path, is_dir=entry is None)
            item["lastCommit"] = {"id": last.oid, "title": last.title, "date": last.date}
        return item

    def _flag(self, name: str) -> bool:
        return self.query.get(name, ["false"])[-1].lower() in ("1", "true")

    def _tree(self, revision: str, path: str) -> None:
        repo = self._repo_for_read(self.repo_type, self.repo_id)
        commit = self._resolve_commit(repo, revision)
        path = path.strip("/")
        folders = commit.directories()
        if path and path not in folders:
            raise entry_not_found(path)
        recursive, expand = self._flag("recursive"), self._flag("expand")
        prefix = f"{path}/" if path else ""
        candidates = sorted(
            p
            for p in (*commit.files, *folders)
            if p.startswith(prefix) and (recursive or "/" not in p[len(prefix) :])
        )
        # Folders first then files, like the Hub; pages linked with a cursor (Link header).
        candidates.sort(key=lambda p: (p not in folders, p))
        page_size = TREE_PAGE_SIZE_EXPANDED if expand else TREE_PAGE_SIZE
        self._paginated([self._tree_entry(repo, commit, p, expand) for p in candidates], page_size)

    def _paginated(self, items: list, page_size: int) -> None:
        try:
            cursor = int(self.query.get("cursor", ["0"])[-1])
        except ValueError:
            raise HubError(400, "Invalid cursor") from None
        page = items[cursor : cursor + page_size]
        headers = {}
        if cursor + page_size < len(items):
            params = {k: v[-1] for k, v in self.query.items() if k != "cursor"}
            params["cursor"] = str(cursor + page_size)
            next_url = f"{self.hub.url}{quote(urlsplit(self.path).path)}?{urlencode(params)}"
            headers["Link"] = f'<{next_url}>; rel="next"'
        raise _json_response(200, page, headers)

    def _paths_info(self, revision: str) -> None:
        repo = self._repo_for_read(self.repo_type, self.repo_id)
        commit = self._resolve_commit(repo, revision)
        raw = self._body()
        if self.headers.get("Content-Type", "").startswith("application/json"):
            payload = json.loads(raw or b"{}")
            paths, expand = payload.get("paths", []), bool(payload.get("expand"))
        else:
            form = parse_qs(raw.decode(), keep_blank_values=True)
            paths = form.get("paths", [])
            expand = form.get("expand", ["false"])[-1].lower() in ("1", "true")
        folders = commit.directories()
        result = [
            self._tree_entry(repo, commit, p.strip("/"), expand)
            for p in dict.fromkeys(paths)
            if p.strip("/") in commit.files or p.strip("/") in folders
        ]
        raise _json_response(200, result)

    # --------------------------------------------------------------- history & refs
    def _refs(self) -> None:
        repo = self._repo_for_read(self.repo_type, self.repo_id)
        payload: dict = {
            "branches": [
                {"name": n, "ref": f"refs/heads/{n}", "targetCommit": c}
                for n, c in repo.branches.items()
            ],
            "tags": [
                {"name": n, "ref": f"refs/tags/{n}", "targetCommit": c}
                for n, c in repo.tags.items()
            ],
            "converts": [],
        }
        if self._flag("include_prs"):
            payload["pullRequests"] = [
                {"name": str(n), "ref": f"refs/pr/{n}", "targetCommit": c}
                for n, c in repo.pull_requests.items()
            ]
        raise _json_response(200, payload)

    def _commits(self, revision: str) -> None:
        repo = self._repo_for_read(self.repo_type, self.repo_id)
        head = repo.resolve(revision)
        items = [
            {
                "id": c.oid,
                "title": c.title,
                "message": c.message,
                "authors": [{"user": c.author, "avatar": None}],
                "date": c.date,
            }
            for c in repo.history(head)
        ]
        self._paginated(items, COMMITS_PAGE_SIZE)

    def _branch_create(self, name: str) -> None:
        repo = self._repo_for_write(self.repo_type, self.repo_id)
        payload = self._json_body()
        self.hub.storage.create_branch(repo, name, payload.get("startingPoint"))

    def _branch_delete(self, name: str) -> None:
        repo = self._repo_for_write(self.repo_type, self.repo_id)
        self.hub.storage.delete_branch(repo, name)

    def _tag_create(self, revision: str) -> None:
        repo = self._repo_for_write(self.repo_type, self.repo_id)
        payload = self._json_body()
        tag = payload.get("tag")
        if not isinstance(tag, str) or not tag:
            raise HubError(400, "`tag` must be a non-empty string")
        self.hub.storage.create_tag(repo, tag, revision)

    def _tag_delete(self, tag: str) -> None:
        repo = self._repo_for_write(self.repo_type, self.repo_id)
        self.hub.storage.delete_tag(repo, tag)

    # --------------------------------------------------------------- metadata
    def _validate_yaml(self) -> None:
        payload = self._json_body()
        content = payload.get("content")
        if not isinstance(content, str):
            raise HubError(400, "`content` must be a string")
        errors, warnings = validate_card_metadata(content, payload.get("repoType") or "model")
        raise _json_response(
            400 if errors else 200,
            {
                "errors": [{"message": m} for m in errors],
                "warnings": [{"message": m} for m in warnings],
            },
        )


# ----------------------------------------------------------------------------- pure helpers
def _split_front_matter(text: str) -> tuple[object, str]:
    """``(parsed YAML front matter or None, body)`` of a repo card; raises ``yaml.YAMLError``."""
    match = re.match(r"^(?:\ufeff)?---\s*\n(.*?)\n---\s*(?:\n|$)", text, flags=re.DOTALL)
    if match is None:
        return None, text
    return yaml.safe_load(match.group(1)), text[match.end() :]


def validate_card_metadata(content: str, repo_type: str) -> tuple[list[str], list[str]]:
    """Errors and warnings for a README's YAML metadata, following the Hub's schema for the keys
    our cards use (``license``, ``tags``, ``datasets``, ``configs``, ``model-index``)."""
    try:
        metadata, _ = _split_front_matter(content)
    except yaml.YAMLError as error:
        return [f"Invalid YAML in the card metadata: {error}"], []
    if metadata is None:
        return [], ["Empty or missing YAML metadata in repo card"]
    if not isinstance(metadata, dict):
        return ["The card metadata must be a YAML mapping"], []
    errors: list[str] = []

    def str_or_str_list(key: str) -> None:
        value = metadata.get(key)
        if value is None:
            return
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in values):
            errors.append(f'"{key}" must be a string or a list of strings')

    for key in ("license", "tags", "datasets", "language", "task_categories", "size_categories"):
        str_or_str_list(key)
    for key in ("library_name", "pipeline_tag", "pretty_name"):
        if key in metadata and not isinstance(metadata[key], str):
            errors.append(f'"{key}" must be a string')
    configs = metadata.get("configs")
    if configs is not None:
        if not isinstance(configs, list) or not all(
            isinstance(c, dict) and isinstance(c.get("config_name"), str) for c in configs
        ):
            errors.append('"configs" must be a list of mappings with a "config_name"')
        else:
            for config in configs:
                data_files = config.get("data_files")
                if data_files is not None and not isinstance(data_files, (str, list)):
                    errors.append(
                        f'"configs[{config["config_name"]}].data_files" must be a str or list'
                    )
    model_index = metadata.get("model-index")
    if model_index is not None:
        if repo_type != "model":
            errors.append('"model-index" is only allowed in model cards')
        errors.extend(_model_index_errors(model_index))
    return errors, []


def _model_index_errors(model_index: object) -> list[str]:
    if not isinstance(model_index, list):
        return ['"model-index" must be a list']
    errors = []
    for model in model_index:
        if not isinstance(model, dict) or not isinstance(model.get("name"), str):
            errors.append('"model-index" entries need a "name"')
            continue
        for result in model.get("results") or []:
            task = result.get("task") if isinstance(result, dict) else None
            if not isinstance(task, dict) or not isinstance(task.get("type"), str):
                errors.append('"model-index.results[].task.type" is required')
            metrics = result.get("metrics") if isinstance(result, dict) else None
            if not isinstance(metrics, list) or not metrics:
                errors.append('"model-index.results[].metrics" must be a non-empty list')
                continue
            for metric in metrics:
                if not (
                    isinstance(metric, dict)
                    and isinstance(metric.get("type"), str)
                    and "value" in metric
                ):
                    errors.append('"model-index.results[].metrics[]" need "type" and "value"')
    return errors


def _validate_repo_path(path: object) -> str:
    if not isinstance(path, str) or not path or path.startswith("/") or path.endswith("/"):
        raise HubError(400, f"Invalid path in repo: {path!r}")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts) or parts[0] == ".git":
        raise HubError(400, f"Invalid path in repo: {path!r}")
    return path


def _lfs_patterns(gitattributes: str) -> list[str]:
    patterns = []
    for line in gitattributes.splitlines():
        fields = line.split()
        if len(fields) >= 2 and not fields[0].startswith("#") and "filter=lfs" in fields[1:]:
            patterns.append(fields[0])
    return patterns


def _gitignore_patterns(gitignore: str) -> list[str]:
    return [
        line.strip()
        for line in gitignore.splitlines()
        if line.strip() and not line.startswith("#") and not line.startswith("!")
    ]


def _matches_any(path: str, patterns: list[str]) -> bool:
    """Git-style matching: a pattern without ``/`` matches the file name in any folder."""
    name = posixpath.basename(path)
    for pattern in patterns:
        if "/" in pattern.rstrip("/"):
            if fnmatch.fnmatchcase(path, pattern.lstrip("/")) or fnmatch.fnmatchcase(
                path, pattern.lstrip("/").replace("**/", "")
            ):
                return True
        elif fnmatch.fnmatchcase(name, pattern.rstrip("/")) or any(
            fnmatch.fnmatchcase(part, pattern.rstrip("/")) for part in path.split("/")[:-1]
        ):
            return True
    return False


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the 512-byte sample is still text.
        return error.start < len(sample) - 3
    return False


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``(start, end)`` inclusive for a single ``bytes=`` range; ``(-1, -1)`` to ignore the
    header (several ranges: the whole file is sent); ``None`` if unsatisfiable."""
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or "," in spec:
        return -1, -1
    first, _, last = spec.strip().partition("-")
    try:
        if first == "":
            suffix = int(last)
            if suffix <= 0:
                return None
            return max(size - suffix, 0), size - 1
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return -1, -1
    if start >= size or end < start:
        return None
    return start, min(end, size - 1)
