"""Figures a card embeds: copied into the repo folder, linked by repo-relative paths."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

FIGURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".gif", ".webp")


def copy_figures(
    figures: Sequence[str | os.PathLike[str]],
    repo_folder: str | os.PathLike[str],
    *,
    subdir: str = "figures",
) -> list[str]:
    """Copy figure files into ``repo_folder/subdir`` and return their repo-relative paths.

    Figures already inside ``repo_folder`` are not copied. The returned paths are what
    :func:`hub_cards.render_model_card` / :func:`hub_cards.render_dataset_card` take as
    ``figures`` (a card on the Hub can only show images that are in the repo).

    Raises
    ------
    FileNotFoundError
        If a figure does not exist.
    ValueError
        If a file is not an image the Hub renders (``FIGURE_SUFFIXES``).
    """
    root = Path(repo_folder).resolve()
    relative = []
    for figure in figures:
        source = Path(figure).resolve()
        if not source.is_file():
            raise FileNotFoundError(f"figure {str(figure)!r} does not exist")
        if source.suffix.lower() not in FIGURE_SUFFIXES:
            raise ValueError(
                f"figure {str(figure)!r} must be one of {FIGURE_SUFFIXES}, got {source.suffix!r}"
            )
        if source.is_relative_to(root):
            relative.append(source.relative_to(root).as_posix())
            continue
        target = root / subdir / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        relative.append(target.relative_to(root).as_posix())
    return relative


def figure_links(figures: Sequence[str]) -> list[tuple[str, str]]:
    """``(caption, path)`` for repo-relative figure paths; the caption comes from the file name."""
    links = []
    for path in figures:
        posix = PurePosixPath(str(path))
        if posix.is_absolute() or ".." in posix.parts or "\\" in str(path):
            raise ValueError(
                f"figures must be repo-relative POSIX paths (see copy_figures), got {path!r}"
            )
        caption = posix.stem.replace("_", " ").replace("-", " ").strip().capitalize()
        links.append((caption, posix.as_posix()))
    return links
