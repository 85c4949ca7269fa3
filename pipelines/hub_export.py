"""Export a pipeline as a self-contained Hub repository that loads without this package.

``pipe.save_pretrained(dir)`` writes weights and a ``model_index.json`` that names our classes
by module path (``["modeling_video2eeg.modeling_spgn", "SPGNModel"]``): loading it needs this
package (``Video2EEGPipeline.from_pretrained(dir_or_repo_id)``). :func:`save_self_contained`
also writes the code, in the layout of diffusers' custom pipelines and custom components, so
that anyone can run::

    from diffusers import DiffusionPipeline
    pipe = DiffusionPipeline.from_pretrained(repo_or_dir, trust_remote_code=True)

Layout written::

    model_index.json                    "_class_name": ["video2eeg_pipeline", "Video2EEGPipeline"]
                                        "spgn": ["video2eeg_spgn", "SPGNModel"], ...
    video2eeg_pipeline.py               the pipeline class and all the code it needs
    spgn/video2eeg_spgn.py              the SPGN class and all the code it needs, next to
    spgn/config.json, model.safetensors its config and weights
    denoiser/video2eeg_denoiser.py, video_encoder/video2eeg_video_encoder.py  likewise

Each ``.py`` file is **one self-contained module**: the module defining the class plus every
module of our packages it imports (transitively), concatenated in dependency order, with the
imports between them removed (``from .montage import make_info`` becomes nothing: ``make_info``
is defined above in the same file; ``import ... as alias`` becomes ``alias = name``). One file
per component is what diffusers fetches from the Hub for a component folder that holds
weights (``<folder>/<module>.py`` only), so nothing else may be needed. Bundling refuses
modules whose top-level names would clash.
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
"""Module name of the pipeline's file at the repository root."""


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
    index_path = folder / "model_index.json"
    model_index = json.loads(index_path.read_text())

    pipeline_class = type(pipeline)
    source = bundle_module(pipeline_class.__module__, pipeline_class.__name__)
    _atomic_write_text(folder / f"{PIPELINE_ENTRY}.py", source)
    model_index["_class_name"] = [PIPELINE_ENTRY, pipeline_class.__name__]
    for name, component in pipeline.components.items():
        if component is None or not _is_first_party(type(component).__module__):
            continue  # diffusers / transformers classes load as usual
        component_class = type(component)
        entry = f"video2eeg_{name}"
        source = bundle_module(component_class.__module__, component_class.__name__)
        _atomic_write_text(folder / name / f"{entry}.py", source)
        model_index[name] = [entry, component_class.__name__]
    _atomic_write_text(index_path, json.dumps(model_index, indent=2, sort_keys=True) + "\n")


def bundle_module(module_name: str, class_name: str | None = None) -> str:
    """One self-contained module: ``module_name`` and the first-party modules it imports.

    Parameters
    ----------
    module_name : str
        The module to bundle (e.g. ``"modeling_video2eeg.modeling_spgn"``).
    class_name : str, optional
        Named in the header as what the file provides.

    Returns
    -------
    str
        Python source; modules in dependency order (dependencies first).
    """
    order = _dependency_order(module_name)
    parts = []
    bound: dict[str, tuple[str, object]] = {}
    for name in order:
        module = importlib.import_module(name)
        source = inspect.getsource(module)
        body = _strip(module, source)
        _check_names(module, body, bound)
        parts.append(f"\n# {'-' * 20} {name} {'-' * 20}\n{body}")
    provides = f" (provides {class_name})" if class_name else ""
    header = (
        f'"""Self-contained code of {module_name}{provides}, for a video2eeg Hub repository.\n\n'
        "Written by pipelines.hub_export from the modules "
        + ", ".join(order)
        + ",\nconcatenated in dependency order with the imports between them removed. Load the\n"
        'repository with DiffusionPipeline.from_pretrained(..., trust_remote_code=True)."""\n\n'
        "from __future__ import annotations\n"
    )
    return header + "".join(parts)


def _is_first_party(module_name: str) -> bool:
    return module_name.split(".")[0] in FIRST_PARTY


def _is_package(module_name: str) -> bool:
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    return hasattr(module, "__path__")


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
                f"{module.__name__}: star import from {source_module} can't be bundled"
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
        if not module_name.startswith(package.__name__ + "."):
            continue
        if getattr(module, name, None) is not value:
            continue
        if name in _top_level_definitions(ast.parse(inspect.getsource(module))):
            return module_name
    raise ValueError(f"cannot find the module of {package.__name__} that defines {name!r}")


def _top_level_definitions(tree: ast.Module) -> set[str]:
    names = set()
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
    return names


def _first_party_imports(module: ModuleType, tree: ast.Module) -> list[ast.ImportFrom]:
    nodes = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_first_party(alias.name):
                    raise ValueError(
                        f"{module.__name__}: 'import {alias.name}' can't be bundled; use "
                        "'from ... import ...'"
                    )
        elif isinstance(node, ast.ImportFrom) and _is_first_party(_absolute(module, node)):
            nodes.append(node)
    return nodes


def _dependency_order(root: str) -> list[str]:
    """``root`` and its first-party dependencies, dependencies first (depth-first post-order)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            raise ValueError(f"import cycle through {name!r} can't be bundled into one file")
        if _is_package(name):
            raise ValueError(f"cannot bundle package __init__ module {name!r}")
        visiting.add(name)
        module = importlib.import_module(name)
        tree = ast.parse(inspect.getsource(module))
        for node in _first_party_imports(module, tree):
            for target, _, _ in _targets(module, node):
                visit(target)
        visiting.discard(name)
        order.append(name)

    visit(root)
    return order


def _strip(module: ModuleType, source: str) -> str:
    """Remove ``from __future__``, first-party imports and ``__all__`` from a module's source.

    A first-party ``from x import a as b`` becomes ``b = a``; a removed import that was the only
    statement of a block becomes ``pass``.
    """
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, str]] = []

    def replace(node: ast.stmt, text_lines: list[str]) -> None:
        first, last = node.lineno - 1, node.end_lineno - 1
        prefix = lines[first][: node.col_offset]
        suffix = lines[last][node.end_col_offset :]
        if prefix.strip() or (suffix.strip() and not suffix.strip().startswith("#")):
            raise ValueError(f"{module.__name__}:{node.lineno}: statement must be on its own lines")
        edits.append((first, last, "".join(f"{prefix}{text}\n" for text in text_lines)))

    for node in _first_party_imports(module, tree):
        aliases = [f"{asname} = {name}" for _, name, asname in _targets(module, node) if asname]
        replace(node, aliases or ([] if node.col_offset == 0 else ["pass"]))
    for node in tree.body:
        if (isinstance(node, ast.ImportFrom) and node.module == "__future__") or (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
        ):
            replace(node, [])
    for first, last, new in sorted(edits, reverse=True):
        lines[first : last + 1] = [new]
    return "".join(lines)


def _check_names(module: ModuleType, body: str, bound: dict[str, tuple[str, object]]) -> None:
    """Refuse a module whose top-level names would rebind another bundled module's names.

    ``bound`` maps each top-level name bound so far to ``(module name, object)``, the object
    being what the name refers to in the live module. Two modules may bind a name to the same
    object (``import torch`` in both); any other double binding would change what one of them
    sees once they share a namespace.
    """
    tree = ast.parse(body)
    names: set[str] = set(_top_level_definitions(tree))
    for statement in tree.body:
        if isinstance(statement, ast.Import):
            names.update(alias.asname or alias.name.split(".")[0] for alias in statement.names)
        elif isinstance(statement, ast.ImportFrom):
            names.update(alias.asname or alias.name for alias in statement.names)
    for name in sorted(names):
        value = module.__dict__.get(name, object())
        previous = bound.get(name)
        if previous is not None and previous[1] is not value:
            raise ValueError(
                f"bundling {module.__name__}: top-level name {name!r} is also bound, to another "
                f"object, in {previous[0]}; rename one of them"
            )
        bound[name] = (module.__name__, value)


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
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
