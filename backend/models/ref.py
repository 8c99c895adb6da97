"""One model reference, parsed once: the single resolver for every place that takes a model.

Accepted forms (``parse_ref``):

* ``builtin:tiny-llama`` / ``builtin:tiny-tokenizer``: built by the studio on first use;
* a local folder (absolute, relative, ``~``): used as it is;
* ``hf:ORG/NAME[@REV]``: a Hugging Face hub repository (or the mirror ``HF_ENDPOINT`` names);
* ``ms:ORG/NAME[@REV]``: a ModelScope repository (needs the optional ``modelscope`` client);
* a bare ``ORG/NAME[@REV]`` when no such local folder exists: the default hub (``$STUDIO_HUB``: ``hf`` or
  ``ms``; ``hf`` when unset).

:func:`backend.models.resolve.resolve_ref` adds what only the workspace knows (``kind`` ``run``): a run id
(or unique prefix) or run name, optionally with a part: ``RUN@best`` (its best checkpoint, ``train.keep_best``),
``RUN@latest``, ``RUN@checkpoint-N`` / ``RUN@N``; a run's own folder is a run too, and a folder inside a run
(its ``adapter/``, ``model/``, a checkpoint) is ``local`` with its ``run_dir`` set. ``weights_dir`` then names
the one folder that holds the weights: a run's final ``adapter/`` or ``model/``, or the checkpoint its part
names. That is the one resolver of chat, eval, export and ``rl.reward_model``; a run's references are resolved
when it is submitted (``pin_job_refs``, called by ``backend.run.submit.prepare``), so the trainer receives
folders and never opens the registry (this module never imports the registry: the trainer imports it;
:mod:`backend.models.resolve` does).

A hub model lives in ``<workspace>/models/hub/<hub>/<ORG>--<NAME>[@REV]`` once downloaded; the folder is
complete only when its marker file (``MARKER``) exists, written after every file was fetched and verified.
This module is light (no torch, no network): the UI and pre-flight import it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from backend.paths import BUILTIN_PREFIX

HUBS = {"hf": "Hugging Face", "ms": "ModelScope"}
MARKER = ".studio-download.json"
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
_REV = re.compile(r"^[A-Za-z0-9._/-]{1,200}$")


class RefError(ValueError):
    """A model reference that cannot be parsed: one line naming the text and what was expected."""


@dataclass(frozen=True)
class ModelRef:
    """A model reference. ``kind`` is builtin, local, hub (``hub``, ``repo``, ``revision``) or, from
    :func:`backend.models.resolve.resolve_ref` only, run (``run_dir``, ``part``)."""

    text: str
    kind: str
    hub: str | None = None
    repo: str | None = None
    revision: str | None = None
    run_dir: Path | None = None  # a run, or the run a local folder belongs to
    part: str | None = None  # of a run: None (its final output), "best", "latest" or "checkpoint-N"

    @property
    def is_hub(self) -> bool:
        return self.kind == "hub"

    @property
    def id(self) -> str:
        """The canonical text: ``hf:ORG/NAME[@REV]`` for hub refs, the text itself otherwise."""
        if not self.is_hub:
            return self.text
        return f"{self.hub}:{self.repo}" + (f"@{self.revision}" if self.revision else "")

    def local_dir(self, home: Path) -> Path:
        """Where the model's files are (or will be, for a hub ref not downloaded yet)."""
        if self.kind == "builtin":
            return Path(home) / "models" / self.text[len(BUILTIN_PREFIX) :]
        if self.kind == "local":
            tried = local_candidates(self.text, home)
            return next((p for p in tried if p.is_dir()), tried[0])
        if self.kind == "run":
            return Path(self.run_dir)
        name = self.repo.replace("/", "--") + (f"@{self.revision.replace('/', '_')}" if self.revision else "")
        return Path(home) / "models" / "hub" / self.hub / name

    def downloaded(self, home: Path) -> bool:
        """Whether a hub ref's download finished (its marker written); builtin and local refs: True."""
        return not self.is_hub or (self.local_dir(home) / MARKER).is_file()


def default_hub() -> str:
    hub = os.environ.get("STUDIO_HUB", "hf").strip().lower() or "hf"
    return hub if hub in HUBS else "hf"


def parse_ref(text: str, home: Path | None = None) -> ModelRef:
    """Parse a model reference (see the module docstring). Raises :class:`RefError` for a malformed hub id.

    A bare ``ORG/NAME`` is a hub id unless it looks like a path: it exists, or its ``ORG`` is a folder of the
    current folder or of the workspace ``home`` (``runs/x``, ``data/x``: a mistyped local path, which then
    fails as "no such folder" rather than as a hub id that cannot be downloaded)."""
    text = str(text).strip()
    if text.startswith(BUILTIN_PREFIX):
        return ModelRef(text, "builtin")
    hub, rest = None, text
    if text[:3] in ("hf:", "ms:"):
        hub, rest = text[:2], text[3:]
    elif not _looks_like_repo(text) or _names_local(text, home):
        return ModelRef(text, "local")
    repo, _, revision = rest.partition("@")
    if not _REPO.match(repo):
        raise RefError(
            f"{text!r} is not a hub id: expected {hub or 'hf'}:ORG/NAME[@REVISION], e.g. hf:Qwen/Qwen2.5-0.5B"
        )
    if revision and (not _REV.match(revision) or ".." in revision):
        raise RefError(f"{text!r}: the revision {revision!r} is not a branch, tag or commit name")
    return ModelRef(text, "hub", hub or default_hub(), repo, revision or None)


def _looks_like_repo(text: str) -> bool:
    """A bare ``ORG/NAME[@REV]``: exactly one slash before any ``@``, not a path form (``./``, ``/``, ``~``)."""
    repo = text.partition("@")[0]
    return bool(_REPO.match(repo)) and not text.startswith((".", "/", "~"))


def _names_local(text: str, home: Path | None) -> bool:
    """An ``ORG/NAME`` that is a path: it exists, or its ``ORG`` is a folder here or in the workspace."""
    if any(p.exists() for p in local_candidates(text, home)):
        return True
    return any(p.is_dir() for p in local_candidates(text.split("/")[0], home))


def local_candidates(text: str, home: Path | None) -> list[Path]:
    """Where a local reference may be, in order: as given (from the current folder, as always), then, for a
    relative path, inside the workspace ``home`` (``runs/<id>/adapter`` from anywhere)."""
    path = Path(text).expanduser()
    first = path.resolve()
    if path.is_absolute() or home is None:
        return [first]
    return [first, (Path(home) / path).resolve()]


def no_such_folder(text: str, home: Path | None, field: str) -> str:
    """The one line for a local reference that names no folder: the field, the text and every place looked in."""
    tried = ", ".join(map(str, local_candidates(text, home)))
    line = f"{field}: no such folder {text!r} (looked in {tried})"
    if _looks_like_repo(text):  # one slash: it may have been meant as a hub id
        line += f"; for a hub model write hf:{text}"
    return line


def local_path(text: str, home: Path) -> Path:
    """The folder a reference names (a hub ref: its download folder, whether or not it is downloaded yet)."""
    return parse_ref(text, home).local_dir(home)


def download_info(folder: Path) -> dict | None:
    """The marker of a downloaded hub model (repo, revision, commit, endpoint, files), or None."""
    try:
        return json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def require_local(text: str, home: Path, field: str = "model") -> Path:
    """The local folder of a reference; a hub ref that is not downloaded yet raises FileNotFoundError saying how."""
    ref = parse_ref(text, home)
    folder = ref.local_dir(home)
    if ref.is_hub and not ref.downloaded(home):
        raise FileNotFoundError(
            f"{field}: {ref.id} is not downloaded yet; run `studio models pull {ref.id}` (or the Models tab) first"
        )
    return folder


def is_hub_ref(text: str | None) -> bool:
    """Whether ``text`` names a hub model (a malformed ``hf:``/``ms:`` id too, so its resolver says what is wrong)."""
    if not text:
        return False
    try:
        return parse_ref(text).is_hub
    except RefError:
        return True
