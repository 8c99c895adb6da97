"""The workspace: one directory that holds runs, models, datasets and the run registry.

Its location is, in order: an explicit ``--home``/``output.workspace``, ``$STUDIO_HOME``, or
``<project root>/workspace`` (the project root is the folder holding ``backend/``; the default is
stable whatever the current directory, so the UI and the CLI always see the same runs).

``builtin:`` paths name things the studio ships or builds itself:

* ``builtin:tiny-llama`` / ``builtin:tiny-tokenizer``: the tiny model and tokenizer, built from the
  shipped sample corpus on first use under ``<workspace>/models/``;
* ``builtin:samples/<file>``: a sample dataset under ``<project root>/data/samples/``.

Hub ids (``hf:ORG/NAME``, ``ms:ORG/NAME``, a bare ``ORG/NAME`` that is no local folder) resolve to their
download folder under ``<workspace>/models/hub/`` (:mod:`backend.models.ref`).
"""

from __future__ import annotations

import os
from pathlib import Path

from backend.paths import BUILTIN_MODELS, BUILTIN_PREFIX, PROJECT_ROOT, SAMPLES_DIR  # defined there, imported from here


def workspace_home(explicit: str | os.PathLike | None = None) -> Path:
    """The workspace directory (created if missing)."""
    raw = explicit or os.environ.get("STUDIO_HOME") or PROJECT_ROOT / "workspace"
    home = Path(raw).expanduser().resolve()
    for sub in ("runs", "models", "datasets"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    return home


def is_builtin(path: str | None) -> bool:
    return bool(path) and path.startswith(BUILTIN_PREFIX)


def resolve_data_path(path: str, home: str | os.PathLike | None = None) -> Path:
    """A data source path as an absolute path (``builtin:samples/x`` -> the shipped sample).

    With ``home`` (a workspace), a relative path is read from the workspace, so the path the Data tab shows
    for an upload (``data/uploads/x.jsonl``) is the path a JobSpec can use; when the workspace holds no
    such file or folder, the path is read from the current folder as before (nothing that worked stops
    working). Without ``home``, relative paths are read from the current folder (CLI arguments).
    """
    if is_builtin(path):
        rest = path[len(BUILTIN_PREFIX) :]
        if not rest.startswith("samples/"):
            raise ValueError(f"unknown builtin dataset {path!r}; expected builtin:samples/<file>")
        return SAMPLES_DIR / rest[len("samples/") :]
    local = Path(path).expanduser()
    if home is not None and not local.is_absolute():
        in_workspace = (Path(home) / local).resolve()
        if in_workspace.exists() or not local.exists():
            return in_workspace
    return local.resolve()


def data_path_tried(path: str, home: str | os.PathLike | None = None) -> list[Path]:
    """The places :func:`resolve_data_path` looks for ``path``, in its order (for a "not found" line)."""
    local = Path(path).expanduser()
    if is_builtin(path) or local.is_absolute():
        return [resolve_data_path(path, home)]
    return ([(Path(home) / local).resolve()] if home is not None else []) + [local.resolve()]


def require_data_path(path: str, home: str | os.PathLike | None, field: str) -> Path:
    """:func:`resolve_data_path`, or ``FileNotFoundError`` naming ``field``, the path and every place tried."""
    found = resolve_data_path(path, home)
    if not found.exists():
        tried = ", ".join(str(p) for p in data_path_tried(path, home))
        raise FileNotFoundError(f"{field}: no such file or folder {path!r} (looked in {tried})")
    return found


def resolve_model_path(path: str, home: Path, field: str | None = None) -> Path:
    """A model/tokenizer path as a local directory, building the builtin tiny model when needed. With ``field``
    (the trainer's ``model.name_or_path``/``model.tokenizer``), a local path that names no folder raises
    ``FileNotFoundError`` naming the field and the folders looked in; without, the caller checks the folder.

    Building imports torch/transformers, so the UI only calls this in a subprocess.
    """
    if is_builtin(path):
        name = path[len(BUILTIN_PREFIX) :]
        if name not in BUILTIN_MODELS:
            raise ValueError(
                f"unknown builtin model {path!r}; expected one of "
                + ", ".join(BUILTIN_PREFIX + m for m in BUILTIN_MODELS)
            )
        from backend.builtin import ensure_tiny_model, ensure_tiny_tokenizer

        return ensure_tiny_tokenizer(home) if name == "tiny-tokenizer" else ensure_tiny_model(home)
    from backend.models.ref import no_such_folder, parse_ref, require_local  # hub ids: their download folder

    folder = require_local(path, home, field or "model")
    if field and parse_ref(path, home).kind == "local" and not folder.is_dir():
        raise FileNotFoundError(no_such_folder(path, home, field))
    return folder
