"""The access token never shows up in logs, exceptions, command output, cards or the Hub's data."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from dataset_builder.publishing import PushError, push_dataset_folder
from video2eeg.cli import main

pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

LOGGERS = ("huggingface_hub", "httpx2", "httpcore2", "datasets", "filelock", "tests.hub_server")


def test_token_is_never_logged_raised_printed_or_published(
    hub_server, hub_token, hub_api, hub_repo_id, dataset_folder, caplog, capfd, tmp_path
):
    from huggingface_hub import DatasetCard, HfApi, snapshot_download

    from hub_cards import DataProvenance, EvaluationData, render_model_card

    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    wrong_token = hub_token[:-4] + "zzzz"
    errors: list[BaseException] = []

    repo_id = hub_repo_id("tokens")
    push_dataset_folder(dataset_folder, repo_id)  # library push
    assert main(["push-dataset", str(dataset_folder), repo_id]) == 0  # CLI (no-op push)
    snapshot = Path(
        snapshot_download(repo_id, repo_type="dataset", cache_dir=str(tmp_path / "cache"))
    )
    with hub_server.failing("commit"), pytest.raises(PushError) as failed_push:
        push_dataset_folder(dataset_folder, hub_repo_id("tokens-500"))
    errors.append(failed_push.value)
    with hub_server.failing("commit"):
        assert main(["push-dataset", str(dataset_folder), hub_repo_id("tokens-cli-500")]) == 1
    with pytest.raises(Exception) as missing:
        hub_api.dataset_info(repo_id + "-missing")
    errors.append(missing.value)
    with pytest.raises(Exception) as unauthorised:
        HfApi(endpoint=hub_server.url, token=wrong_token).whoami()
    errors.append(unauthorised.value)

    cards = [
        str(DatasetCard.load(repo_id, repo_type="dataset")),
        str(
            render_model_card(
                model_name="m",
                repo_id=repo_id,
                training_data=DataProvenance(kind="simulated", emotion_source="simulator"),
                metrics={"fid": 1.0},
                evaluation_data=EvaluationData("d", repo_id),
            )
        ),
    ]
    out, err = capfd.readouterr()

    # The capture is real: huggingface_hub's authenticated requests were logged at DEBUG level.
    assert "(authenticated: True)" in caplog.text
    assert any(r.name == "tests.hub_server" for r in caplog.records)
    for secret in (hub_token, wrong_token):
        assert secret not in caplog.text
        assert secret not in out and secret not in err
        for error in errors:
            chain = [error, error.__cause__, error.__context__]
            assert all(
                secret not in str(e) and secret not in repr(e) for e in chain if e is not None
            )
        assert all(secret not in card for card in cards)
        assert all(secret not in repr(record) for record in hub_server.requests)
        published = [p for p in snapshot.rglob("*") if p.is_file()]
        assert published and all(secret.encode() not in p.read_bytes() for p in published)
        stored = [p for p in Path(hub_server.storage.root).rglob("*") if p.is_file()]
        assert all(secret.encode() not in p.read_bytes() for p in stored)


def test_a_card_carrying_the_token_is_refused_before_upload(
    dataset_folder, hub_token, hub_server, hub_repo_id
):
    readme = dataset_folder / "README.md"
    readme.write_text(readme.read_text() + f"\nlogin with {hub_token}\n")
    mark = len(hub_server.requests)
    with pytest.raises(ValueError, match="contains your Hub access token") as excinfo:
        push_dataset_folder(dataset_folder, hub_repo_id("leaky"))
    assert hub_token not in str(excinfo.value)
    assert hub_server.requests_since(mark) == []
