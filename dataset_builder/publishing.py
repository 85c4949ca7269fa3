"""Push dataset folders (Parquet shards + card) and saved pipelines to the Hugging Face Hub.

Everything that can be checked locally is checked before the first request: the repo id, the
folder, its shards (complete sets, consistent features), the card's YAML and that its
``configs`` / ``dataset_info`` match the shards. A push is one commit made with
``HfApi.create_commit``, so it is all-or-nothing:

- re-pushing identical content makes no commit (the Hub's pre-upload answer carries each
  remote file's id and ``huggingface_hub`` drops unchanged files; nothing left → no commit);
- an interrupted push can simply be re-run: LFS objects the Hub already holds are not sent
  again, and nothing was committed by the failed attempt;
- shards of an earlier push that are not in the folder any more are deleted in the same commit
  (otherwise the card's ``data/train-*`` pattern would pick them up).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hub_cards.dataset_card import (
    ParquetShard,
    card_shard_problems,
    find_parquet_shards,
    shard_features,
)
from hub_cards.figures import FIGURE_SUFFIXES

if TYPE_CHECKING:
    from huggingface_hub import CommitOperationAdd, DatasetCard, HfApi, ModelCard

CARD_FILENAME = "README.md"
FIGURES_DIR = "figures"
# Pickle-based weight formats: we publish safetensors only.
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")


class PushError(RuntimeError):
    """A push the Hub refused or failed part-way; its cause is the client's HTTP error.

    The push made no commit unless the Hub committed and the answer was lost; re-running it
    resumes (LFS objects already uploaded are not sent again).
    """


@dataclass(frozen=True)
class PushResult:
    """What a push did.

    Attributes
    ----------
    repo_id, repo_type, revision : str
        Where it went.
    commit_oid : str
        The revision's head after the push.
    commit_url : str
        Hub URL of that commit.
    created_commit : bool
        False when the Hub already held exactly this content (no commit was made).
    files : tuple of str
        Repo paths of the files the push covers (unchanged ones included).
    deleted : tuple of str
        Remote files the push removed (stale shards).
    """

    repo_id: str
    repo_type: str
    revision: str
    commit_oid: str
    commit_url: str
    created_commit: bool
    files: tuple[str, ...]
    deleted: tuple[str, ...] = ()


def validate_repo_id_arg(repo_id: str) -> str:
    """Check ``repo_id`` is a Hub ``namespace/name`` id; raise ``ValueError`` naming it if not."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    if not isinstance(repo_id, str):
        raise ValueError(f"repo_id must be a string 'namespace/name', got {type(repo_id).__name__}")
    try:
        validate_repo_id(repo_id)
    except HFValidationError as error:
        raise ValueError(f"repo_id {repo_id!r} is not a valid Hub repo id: {error}") from None
    if repo_id.count("/") != 1:
        raise ValueError(
            f"repo_id must be 'namespace/name' (user or organisation first), got {repo_id!r}"
        )
    return repo_id


def _check_folder(folder: str | os.PathLike[str]) -> Path:
    root = Path(folder)
    if not root.exists():
        raise FileNotFoundError(f"folder {str(folder)!r} does not exist")
    if not root.is_dir():
        raise NotADirectoryError(f"folder {str(folder)!r} is not a directory")
    return root


def _figures(root: Path) -> list[str]:
    figures = root / FIGURES_DIR
    if not figures.is_dir():
        return []
    return sorted(
        p.relative_to(root).as_posix()
        for p in figures.rglob("*")
        if p.is_file() and p.suffix.lower() in FIGURE_SUFFIXES
    )


def _check_card_has_no_token(card_text: str, api: HfApi) -> None:
    from huggingface_hub.utils import get_token

    token = api.token if isinstance(api.token, str) else get_token()
    if token and token in card_text:
        raise ValueError(
            f"refusing to push: {CARD_FILENAME} contains your Hub access token; remove it from the card"
        )


def check_dataset_folder(
    folder: str | os.PathLike[str], card: DatasetCard | None = None
) -> tuple[list[ParquetShard], DatasetCard]:
    """Validate a dataset folder before pushing it (no network).

    Returns
    -------
    shards : list of ParquetShard
    card : huggingface_hub.DatasetCard
        ``card`` if given, else the folder's ``README.md``.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        Missing folder.
    ValueError
        No shards or incomplete shard sets, no card, invalid card YAML, or a card whose
        ``configs`` / features do not match the shards.
    """
    from huggingface_hub import DatasetCard

    root = _check_folder(folder)
    shards = find_parquet_shards(root)
    if card is None:
        card_path = root / CARD_FILENAME
        if not card_path.is_file():
            raise ValueError(
                f"dataset folder {str(folder)!r} has no {CARD_FILENAME} dataset card: render one with "
                "hub_cards.dataset_card_for_folder(...) and save it there, or pass card="
            )
        try:
            card = DatasetCard(card_path.read_text(encoding="utf-8"))
        except Exception as error:  # yaml errors, non-dict metadata
            raise ValueError(f"{card_path} has invalid YAML metadata: {error}") from None
    problems = card_shard_problems(card.data.to_dict(), shards, shard_features(root, shards))
    if problems:
        raise ValueError(
            f"the dataset card does not match the shards in {str(folder)!r}:\n- "
            + "\n- ".join(problems)
        )
    return shards, card


def push_dataset_folder(
    folder: str | os.PathLike[str],
    repo_id: str,
    *,
    private: bool = False,
    revision: str | None = None,
    card: DatasetCard | None = None,
    commit_message: str | None = None,
    token: str | None = None,
    endpoint: str | None = None,
) -> PushResult:
    """Push a dataset folder as one commit: its Parquet shards, ``README.md`` card, images in
    ``figures/`` and ``*.json`` files at its root (e.g. ``evaluation.json``; hidden state files
    such as ``.align_state.json`` stay local).

    Parameters
    ----------
    folder : path
        Dataset folder, e.g. what ``video2eeg align`` writes: ``data/{split}-00000-of-0000N.parquet``
        and ``README.md``.
    repo_id : str
        ``namespace/name`` of the dataset repo (created if missing).
    private : bool
        Visibility when the repo is created (an existing repo keeps its visibility).
    revision : str, optional
        Branch to push to (created from ``main`` if missing). Default ``main``.
    card : huggingface_hub.DatasetCard, optional
        Card to push instead of the folder's ``README.md``.
    commit_message : str, optional
    token, endpoint : str, optional
        Hub token / endpoint (defaults: the logged-in token, ``HF_ENDPOINT``).

    Returns
    -------
    PushResult

    Raises
    ------
    ValueError, FileNotFoundError, NotADirectoryError
        Bad input, raised before any request to the Hub.
    PushError
        The Hub refused or failed the push part-way (the cause holds the HTTP error).
    """
    from huggingface_hub import CommitOperationAdd, HfApi

    validate_repo_id_arg(repo_id)
    shards, card = check_dataset_folder(folder, card)
    root = Path(folder)
    api = HfApi(endpoint=endpoint, token=token)
    card_text = str(card)
    _check_card_has_no_token(card_text, api)
    additions = [CommitOperationAdd(s.path, str(root / s.path)) for s in shards]
    additions += [CommitOperationAdd(f, str(root / f)) for f in _figures(root)]
    # Supporting metadata next to the card (e.g. the generation job's evaluation.json).
    additions += [
        CommitOperationAdd(p.name, str(p))
        for p in sorted(root.glob("*.json"))
        if not p.name.startswith(".")
    ]
    additions.append(CommitOperationAdd(CARD_FILENAME, card_text.encode("utf-8")))
    n_rows = sum(s.num_rows for s in shards)
    return _push(
        api,
        repo_id,
        "dataset",
        additions,
        stale=lambda path: path.endswith(".parquet"),
        private=private,
        revision=revision,
        commit_message=commit_message or f"Upload dataset ({len(shards)} shards, {n_rows} rows)",
    )


def check_pipeline_folder(folder: str | os.PathLike[str]) -> list[str]:
    """Validate a saved diffusers pipeline folder (no network); return its files (repo paths).

    Checks ``model_index.json``, that each component it lists has a sub-folder with a config,
    and that no pickle-based weight file is present (safetensors only).

    Raises
    ------
    FileNotFoundError, NotADirectoryError, ValueError
    """
    root = _check_folder(folder)
    index_path = root / "model_index.json"
    if not index_path.is_file():
        raise ValueError(
            f"{str(folder)!r} is not a saved pipeline: model_index.json is missing "
            "(save it with pipeline.save_pretrained(folder))"
        )
    try:
        index = json.loads(index_path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{index_path} is not valid JSON: {error}") from None
    files = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    pickles = [f for f in files if f.endswith(PICKLE_SUFFIXES)]
    if pickles:
        raise ValueError(
            f"refusing to publish pickle-based weights {pickles}: save with safetensors"
        )
    for name, spec in index.items():
        if name.startswith("_") or not isinstance(spec, list) or spec == [None, None]:
            continue
        if not any(f.startswith(f"{name}/") and f.endswith(".json") for f in files):
            raise ValueError(
                f"component {name!r} listed in model_index.json has no config in {name}/ "
                "(the folder is incomplete)"
            )
    return files


def push_pipeline_folder(
    folder: str | os.PathLike[str],
    repo_id: str,
    *,
    private: bool = False,
    revision: str | None = None,
    card: ModelCard | None = None,
    commit_message: str | None = None,
    token: str | None = None,
    endpoint: str | None = None,
) -> PushResult:
    """Push a saved pipeline folder (``save_pretrained`` output) and its model card as one commit.

    The card is ``card`` if given, else the folder's ``README.md``; one of them is required
    (render it with :func:`hub_cards.render_model_card`). Same guarantees as
    :func:`push_dataset_folder` (validation before any request, no commit for identical content,
    re-runnable after an interruption).
    """
    from huggingface_hub import CommitOperationAdd, HfApi, ModelCard

    validate_repo_id_arg(repo_id)
    files = check_pipeline_folder(folder)
    root = Path(folder)
    if card is None:
        if CARD_FILENAME not in files:
            raise ValueError(
                f"pipeline folder {str(folder)!r} has no {CARD_FILENAME} model card: render one with "
                "hub_cards.render_model_card(...) and save it there, or pass card="
            )
        try:
            card = ModelCard((root / CARD_FILENAME).read_text(encoding="utf-8"))
        except Exception as error:
            raise ValueError(f"{root / CARD_FILENAME} has invalid YAML metadata: {error}") from None
    api = HfApi(endpoint=endpoint, token=token)
    card_text = str(card)
    _check_card_has_no_token(card_text, api)
    additions = [CommitOperationAdd(f, str(root / f)) for f in files if f != CARD_FILENAME]
    additions.append(CommitOperationAdd(CARD_FILENAME, card_text.encode("utf-8")))
    return _push(
        api,
        repo_id,
        "model",
        additions,
        stale=lambda path: path != ".gitattributes",
        private=private,
        revision=revision,
        commit_message=commit_message or "Upload Video2EEG pipeline",
    )


def _push(
    api: HfApi,
    repo_id: str,
    repo_type: str,
    additions: list[CommitOperationAdd],
    *,
    stale: Callable[[str], bool],
    private: bool,
    revision: str | None,
    commit_message: str,
) -> PushResult:
    from huggingface_hub import CommitOperationDelete
    from huggingface_hub.errors import HfHubHTTPError

    branch = revision or "main"
    try:
        api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True)
        if branch != "main":
            api.create_branch(repo_id, branch=branch, repo_type=repo_type, exist_ok=True)
        head = api.repo_info(repo_id, repo_type=repo_type, revision=branch).sha
        local = {op.path_in_repo for op in additions}
        remote = api.list_repo_files(repo_id, repo_type=repo_type, revision=head)
        deletions = [CommitOperationDelete(p) for p in remote if stale(p) and p not in local]
        info = api.create_commit(
            repo_id,
            [*deletions, *additions],
            commit_message=commit_message,
            repo_type=repo_type,
            revision=branch,
            parent_commit=head,
        )
    except (HfHubHTTPError, RuntimeError) as error:
        # huggingface_hub wraps LFS upload failures in a RuntimeError caused by the HTTP error.
        if not isinstance(error, HfHubHTTPError) and not isinstance(
            error.__cause__, HfHubHTTPError
        ):
            raise
        cause = error if isinstance(error, HfHubHTTPError) else error.__cause__
        status = cause.response.status_code if cause.response is not None else "?"
        raise PushError(
            f"pushing to {repo_type} repo {repo_id!r} (revision {branch!r}) did not complete "
            f"(HTTP {status}): {cause}\n"
            "Re-run the same push to resume; files already uploaded are not sent again."
        ) from error
    return PushResult(
        repo_id=repo_id,
        repo_type=repo_type,
        revision=branch,
        commit_oid=info.oid,
        commit_url=info.commit_url,
        created_commit=info.oid != head,
        files=tuple(sorted(local)),
        deleted=tuple(d.path_in_repo for d in deletions),
    )
