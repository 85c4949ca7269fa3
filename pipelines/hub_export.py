"""Export a pipeline as a self-contained Hub repository that loads without this package.

``pipe.save_pretrained(dir)`` writes weights and a ``model_index.json`` that names our classes
by module path (``["modeling_video2eeg.modeling_spgn", "SPGNModel"]``): loading it needs this
package installed and imported (``Video2EEGPipeline.from_pretrained(dir)``).
:func:`save_self_contained` additionally copies the code into the repository in the layout
diffusers' remote-code loader expects, so that anyone can run::

    from diffusers import DiffusionPipeline
    pipe = DiffusionPipeline.from_pretrained(repo_or_dir, trust_remote_code=True)

Layout written (``<m>`` = every bundled module)::

    model_index.json            "_class_name": ["video2eeg_pipeline", "Video2EEGPipeline"],
                                "spgn": ["video2eeg_spgn", "SPGNModel"], ...
    video2eeg_pipeline.py       entry module of the pipeline class
    <m>.py ...                  the bundled modules, flattened into one namespace
    spgn/video2eeg_spgn.py      entry module of the component class, next to its weights
    spgn/<m>.py ...             (the same bundled modules)
    ...

Bundling: starting from the modules defining the pipeline and component classes, every module
of our packages they import (transitively) is copied, with its imports of our packages rewritten
to relative imports of the flattened files (``from modeling_video2eeg.montage import make_info``
→ ``from .montage import make_info``; names imported from a package ``__init__`` are resolved to
the module that defines them). diffusers copies into its module cache only the files an entry
module imports *directly* when loading from a local folder, so each entry module imports every
bundled module.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType

FIRST_PARTY: tuple[str, ...] = ("pipelines", "modeling_video2eeg")
"""Top-level packages whose modules are bundled (imports of anything else are left alone)."""

PIPELINE_ENTRY = "video2eeg_pipeline"
"""Module name of the pipeline's entry file at the repository root."""


def save_self_contained(
    pipeline, save_directory: str | os.PathLike, overwrite: bool = False
) -> Path:
    """Save ``pipeline`` with its code as a repository loadable with ``trust_remote_code=True``.

    The repository is built in a temporary sibling folder and moved into place at the end, so
    a failure never leaves a half-written ``save_directory``.

    Parameters
    ----------
    pipeline : Video2EEGPipeline
        The pipeline to export.
    save_directory : str or path-like
        Target folder; must not exist or be empty unless ``overwrite``.
    overwrite : bool
        Replace an existing non-empty ``save_directory``.

    Returns
    -------
    Path
        ``save_directory``.
    """
    target = Path(save_directory).resolve()
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"save_directory {str(target)!r} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise FileExistsError(
            f"save_directory {str(target)!r} is not empty; pass overwrite=True to replace it"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        _write_repository(pipeline, staging)
        _move_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _write_repository(pipeline, folder: Path) -> None:
    pipeline.save_pretrained(folder, safe_serialization=True)
    components = {
        name: component
        for name, component in pipeline.components.items()
        if component is not None and _is_first_party(type(component).__module__)
    }
    roots = [type(pipeline).__module__] + [type(c).__module__ for c in components.values()]
    flat, bundle = bundle_modules(roots)

    index_path = folder / "model_index.json"
    model_index = json.loads(index_path.read_text())
    pipeline_module = flat[type(pipeline).__module__]
    _write_bundle(folder, bundle, PIPELINE_ENTRY, pipeline_module, type(pipeline).__name__)
    model_index["_class_name"] = [PIPELINE_ENTRY, type(pipeline).__name__]
    for name, component in components.items():
        # A component folder needs only its own class's modules.
        component_flat, component_bundle = bundle_modules([type(component).__module__])
        entry = f"video2eeg_{name}"
        module = component_flat[type(component).__module__]
        _write_bundle(folder / name, component_bundle, entry, module, type(component).__name__)
        model_index[name] = [entry, type(component).__name__]
    _atomic_write_text(index_path, json.dumps(model_index, indent=2, sort_keys=True) + "\n")


def bundle_modules(roots: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Sources of ``roots`` and every first-party module they import, imports rewritten.

    Returns
    -------
    flat : dict
        Module name -> file stem in the flat bundle.
    sources : dict
        File stem -> rewritten source.
    """
    seen: dict[str, str] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        module = importlib.import_module(name)
        source = inspect.getsource(module)
        seen[name] = source
        todo.extend(dep for dep in _imports(module, source) if dep not in seen)
    flat = _flat_names(seen)
    sources = {
        flat[name]: _rewrite(importlib.import_module(name), source, flat)
        for name, source in seen.items()
    }
    return flat, sources


def _flat_names(modules) -> dict[str, str]:
    """Module name -> file stem in the flat bundle; raises on two modules with one stem."""
    flat: dict[str, str] = {}
    for name in modules:
        stem = name.rsplit(".", 1)[-1]
        if stem == "__init__" or _is_package(name):
            raise ValueError(f"cannot bundle package __init__ module {name!r}")
        clash = [other for other, s in flat.items() if s == stem]
        if clash:
            raise ValueError(
                f"modules {clash[0]!r} and {name!r} would both be bundled as {stem}.py"
            )
        flat[name] = stem
    return flat


def _is_first_party(module_name: str) -> bool:
    return module_name.split(".")[0] in FIRST_PARTY


def _is_package(module_name: str) -> bool:
    return hasattr(sys.modules.get(module_name) or importlib.import_module(module_name), "__path__")


def _absolute(module: ModuleType, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.__package__ or ""
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{base}.{node.module}" if node.module else base


def _targets(module: ModuleType, node: ast.ImportFrom) -> list[tuple[str, str, str | None]]:
    """``(defining module, name, asname)`` for each name of a first-party ``from`` import."""
    source_module = _absolute(module, node)
    out = []
    for alias in node.names:
        if alias.name == "*":
            raise ValueError(
                f"{module.__name__}: star imports from {source_module} can't be bundled"
            )
        if not _is_package(source_module):
            out.append((source_module, alias.name, alias.asname))
            continue
        package = importlib.import_module(source_module)
        value = getattr(package, alias.name)
        if isinstance(value, ModuleType):
            raise ValueError(
                f"{module.__name__}: 'from {source_module} import {alias.name}' imports a module; "
                f"import names from {value.__name__} instead"
            )
        out.append((_defining_module(package, alias.name, value), alias.name, alias.asname))
    return out


def _defining_module(package: ModuleType, name: str, value) -> str:
    """The submodule of ``package`` that defines ``name`` (not one that re-exports it)."""
    owner = getattr(value, "__module__", None)
    if isinstance(owner, str) and owner.startswith(package.__name__ + "."):
        return owner
    for module_name, module in sorted(sys.modules.items()):
        if (
            not module_name.startswith(package.__name__ + ".")
            or getattr(module, name, None) is not value
        ):
            continue
        tree = ast.parse(inspect.getsource(module))
        for statement in tree.body:
            targets = []
            if isinstance(statement, ast.Assign):
                targets = [t.id for t in statement.targets if isinstance(t, ast.Name)]
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                targets = [statement.target.id]
            if name in targets:
                return module_name
    raise ValueError(f"cannot find the module of {package.__name__} that defines {name!r}")


def _imports(module: ModuleType, source: str) -> list[str]:
    deps = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_first_party(alias.name):
                    raise ValueError(
                        f"{module.__name__}: 'import {alias.name}' can't be bundled; use "
                        "'from ... import ...'"
                    )
        elif isinstance(node, ast.ImportFrom) and _is_first_party(_absolute(module, node)):
            deps.extend(target for target, _, _ in _targets(module, node))
    return deps


def _rewrite(module: ModuleType, source: str, flat: dict[str, str]) -> str:
    """Replace first-party ``from`` imports with relative imports of the flat modules."""
    lines = source.splitlines(keepends=True)
    edits = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ImportFrom) or not _is_first_party(_absolute(module, node)):
            continue
        grouped: dict[str, list[str]] = {}
        for target, name, asname in _targets(module, node):
            grouped.setdefault(flat[target], []).append(f"{name} as {asname}" if asname else name)
        first, last = node.lineno - 1, node.end_lineno - 1
        prefix = lines[first][: node.col_offset]
        suffix = lines[last][node.end_col_offset :]
        if prefix.strip() or (suffix.strip() and not suffix.strip().startswith("#")):
            raise ValueError(f"{module.__name__}:{node.lineno}: import must be on lines of its own")
        new = "".join(
            f"{prefix}from .{stem} import {', '.join(names)}\n" for stem, names in grouped.items()
        )
        edits.append((first, last, new))
    for first, last, new in sorted(edits, reverse=True):
        lines[first : last + 1] = [new]
    header = f"# Bundled from {module.__name__} by pipelines.hub_export; imports made relative.\n"
    return header + "".join(lines)


def _entry_source(bundle: dict[str, str], module: str, class_name: str) -> str:
    imports = "".join(
        f"from .{stem} import __name__ as _{stem}  # noqa: F401\n"
        for stem in sorted(bundle)
        if stem != module
    )
    return (
        '"""Entry module of a self-contained video2eeg repository (written by\n'
        "pipelines.hub_export). Load with DiffusionPipeline.from_pretrained(...,\n"
        "trust_remote_code=True).\n\n"
        "diffusers copies into its module cache only the files an entry module imports\n"
        'directly, so every bundled module is imported here."""\n\n'
        f"{imports}from .{module} import {class_name}\n\n"
        f'__all__ = ["{class_name}"]\n'
    )


def _write_bundle(
    folder: Path, bundle: dict[str, str], entry: str, module: str, class_name: str
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, source in bundle.items():
        _atomic_write_text(folder / f"{stem}.py", source)
    _atomic_write_text(folder / f"{entry}.py", _entry_source(bundle, module, class_name))


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _move_into_place(staging: Path, target: Path) -> None:
    if not target.exists():
        os.replace(staging, target)
        return
    trash = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.replace(target, trash / target.name)
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(trash / target.name, target)
        raise
    shutil.rmtree(trash, ignore_errors=True)
