"""One model reference, parsed once: the single resolver for every place that takes a model.

Accepted forms (``parse_ref``):

* ``builtin:tiny-llama`` / ``builtin:tiny-tokenizer``: built by the studio on first use;
* a local folder (absolute, relative, ``~``): used as it is;
* ``hf:ORG/NAME[@REV]``: a Hugging Face hub repository (or the mirror ``HF_ENDPOINT`` names);
* ``ms:ORG/NAME[@REV]``: a ModelScope repository (needs the optional ``modelscope`` client);
* a bare ``ORG/NAME[@REV]`` when no such local folder exists: the default hub (``$STUDIO_HUB``: ``hf`` or
  ``ms``; ``hf`` when unset).

:func:`resolve_ref` adds what only the workspace knows (``kind`` ``run``): a run id (or unique prefix) or run
name, optionally with a part, ``RUN@best`` (its best checkpoint, ``train.keep_best``), ``RUN@latest``,
``RUN@checkpoint-N`` / ``RUN@N``; a folder inside a run (its ``adapter/``, ``model/``, a checkpoint) is
``local`` with its ``run_dir`` set. :func:`weights_dir` then names the one folder that holds the weights:
a run's final ``adapter/`` or ``model/`` (or the checkpoint its part names); a run's own folder is a run too.
This is the one resolver of
chat, eval, export and ``rl.reward_model``; a run's references are resolved when it is created
(:func:`pin_job_refs`), so the trainer receives folders and never opens the registry.

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

from backend.workspace import BUILTIN_PREFIX

HUBS = {"hf": "Hugging Face", "ms": "ModelScope"}
MARKER = ".studio-download.json"
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
_REV = re.compile(r"^[A-Za-z0-9._/-]{1,200}$")


class RefError(ValueError):
    """A model reference that cannot be parsed: one line naming the text and what was expected."""


@dataclass(frozen=True)
class ModelRef:
    """A model reference. ``kind`` is builtin, local, hub (``hub``, ``repo``, ``revision``) or, from
    :func:`resolve_ref` only, run (``run_dir``, ``part``)."""

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
            return Path(self.text).expanduser().resolve()
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


def parse_ref(text: str) -> ModelRef:
    """Parse a model reference (see the module docstring). Raises :class:`RefError` for a malformed hub id."""
    text = str(text).strip()
    if text.startswith(BUILTIN_PREFIX):
        return ModelRef(text, "builtin")
    hub, rest = None, text
    if text[:3] in ("hf:", "ms:"):
        hub, rest = text[:2], text[3:]
    elif not _looks_like_repo(text) or Path(text).expanduser().exists():
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


def local_path(text: str, home: Path) -> Path:
    """The folder a reference names (a hub ref: its download folder, whether or not it is downloaded yet)."""
    return parse_ref(text).local_dir(home)


def download_info(folder: Path) -> dict | None:
    """The marker of a downloaded hub model (repo, revision, commit, endpoint, files), or None."""
    try:
        return json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def require_local(text: str, home: Path, field: str = "model") -> Path:
    """The local folder of a reference; a hub ref that is not downloaded yet raises FileNotFoundError saying how."""
    ref = parse_ref(text)
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


# ------------------------------------------------------------------------------------ runs (resolve_ref)


class RunNotFound(RefError):
    """No folder, run id or run name ``name``; each caller words it for its own field (``str()`` is generic)."""

    def __init__(self, name: str, home: Path):
        super().__init__(f"{name!r} is neither a folder nor a run id or name of {home}")
        self.name, self.home = name, home


class RunPartMissing(RefError):
    """A run without the weights asked for (no final output, no such checkpoint, no best checkpoint)."""


def run_of(folder: Path) -> Path | None:
    """The run folder holding ``folder`` (itself, ``<run>/adapter``, ``<run>/checkpoints/checkpoint-N``)."""
    folder = Path(folder)
    for cand in (folder, folder.parent, folder.parent.parent):
        if (cand / "job.yaml").is_file():
            return cand
    return None


def _part(text: str) -> str | None:
    """``best``, ``latest``, ``checkpoint-N`` from ``N``/``checkpoint-N``/``best``/``latest``; None if not one."""
    if text in ("best", "latest"):
        return text
    tail = text.removeprefix("checkpoint-")
    return f"checkpoint-{int(tail)}" if tail.isdigit() else None


def _asked(checkpoint) -> str:
    """The part a ``checkpoint`` argument asks for; one that names none stays as asked (the run lacks it)."""
    return _part(str(checkpoint)) or f"checkpoint-{checkpoint}"


def find_run(name: str, home: Path) -> Path | None:
    """A run's folder by id (or unique id prefix) or by name. Several runs of one name: the newest that
    succeeded, else the newest. None when there is no such run."""
    from backend.jobs import Registry

    runs = Path(home) / "runs"
    if "/" not in name and name not in (".", "..") and (runs / name / "job.yaml").is_file():
        return runs / name
    registry = Registry(home)
    try:
        return registry.get(name).path
    except KeyError:
        pass
    named = [r for r in registry.list() if r.name == name]  # newest first
    best = next((r for r in named if r.status == "succeeded"), named[0] if named else None)
    return best.path if best else None


def resolve_ref(text: str, home: Path, checkpoint: str | None = None) -> ModelRef:
    """What ``text`` names in the workspace ``home`` (see the module docstring); ``checkpoint`` (``N``,
    ``latest``, ``best``) picks a part of a run as ``RUN@PART`` does. Raises :class:`RefError` for a
    malformed hub id, :class:`RunNotFound` when ``text`` is no folder, builtin, hub id, run id or run name."""
    text = str(text).strip()
    ref = parse_ref(text)
    if ref.kind != "local":
        return ref
    path = Path(text).expanduser()
    if path.is_dir():
        path = path.resolve()
        if (path / "job.yaml").is_file():  # a run's own folder: as its id would
            return ModelRef(text, "run", run_dir=path, part=_asked(checkpoint) if checkpoint else None)
        return ModelRef(text, "local", run_dir=run_of(path))
    name, _, part = text.rpartition("@") if "@" in text else (text, "", "")
    if part and _part(part) is None:
        name, part = text, ""
    run = find_run(name, home) if name else None
    if run is None:
        raise RunNotFound(text, Path(home))
    wanted = _asked(checkpoint) if checkpoint else _part(part) if part else None
    return ModelRef(text, "run", run_dir=run, part=wanted)


def checkpoints(run_dir: Path) -> list[Path]:
    """A run's ``checkpoints/checkpoint-N`` folders, by step."""
    found = [p for p in (Path(run_dir) / "checkpoints").glob("checkpoint-*") if p.name.split("-")[-1].isdigit()]
    return sorted(found, key=lambda p: int(p.name.split("-")[-1]))


FINAL_DIRS = ("adapter", "model")


def weights_dir(ref: ModelRef, home: Path) -> Path:
    """The folder holding ``ref``'s weights: a run's final ``adapter/`` or ``model/`` or the checkpoint its part
    names; a folder or a builtin/hub model as it is (a hub model need not be downloaded yet: see
    :func:`require_local`). Raises :class:`RunPartMissing` with one line when the run lacks it."""
    if ref.kind != "run":
        return ref.local_dir(home)
    run = ref.run_dir
    ckpts = checkpoints(run)
    names = ", ".join(p.name for p in ckpts) or "none"
    if ref.part == "best":
        from backend.run_best import best_checkpoint

        best = best_checkpoint(run)
        if best is None:
            raise RunPartMissing(
                f"run {run.name} kept no best checkpoint (train it with train.keep_best: true; checkpoints: {names})"
            )
        return best
    if ref.part:
        wanted = ckpts[-1:] if ref.part == "latest" else [p for p in ckpts if p.name == ref.part]
        if not wanted:
            asked = ref.part.removeprefix("checkpoint-")
            raise RunPartMissing(f"run {run.name} has no checkpoint {asked!r} (checkpoints: {names})")
        return wanted[0]
    final = [run / d for d in FINAL_DIRS if (run / d).is_dir()]
    if not final:
        raise RunPartMissing(
            f"run {run.name} has no final adapter/ or model/ (did it finish?); "
            f"export a checkpoint with --checkpoint latest (checkpoints: {names})"
        )
    return final[0]


def pin_job_refs(spec, home: Path):
    """The job with its run references resolved to folders, once, at run creation: ``rl.reward_model`` naming
    a run (id, name, ``RUN@best``) becomes that run's weights folder, so the trainer never opens the registry.
    Folders, builtin and hub ids stay as they are (a hub id is downloaded in the run's ``downloading`` step).
    A reference that resolves to nothing stays too: pre-flight refuses it in one line (:func:`reward_model_problem`)
    and the trainer's own check names the field."""
    rl = getattr(spec, "rl", None)
    text = getattr(rl, "reward_model", None)
    if not text:
        return spec
    try:
        ref = resolve_ref(text, home)
        if ref.kind != "run":
            return spec
        folder = weights_dir(ref, home)
    except RefError:
        return spec
    spec = spec.model_copy(deep=True)
    spec.rl.reward_model = str(folder)
    return spec


def reward_model_problem(text: str, home: Path) -> str | None:
    """Pre-flight of ``rl.reward_model``: None when it names a folder, a run with weights or a hub id (downloaded
    first), else the one line that refuses it."""
    try:
        ref = resolve_ref(text, home)
        folder = weights_dir(ref, home)
    except RunNotFound:
        return f"rl.reward_model: {text!r} is neither a folder nor a finished run id or name"
    except RefError as exc:
        return f"rl.reward_model: {exc}"
    if ref.is_hub and not ref.downloaded(home):
        return None
    if not ((folder / "config.json").is_file() or (folder / "adapter_config.json").is_file()):
        return f"rl.reward_model: {folder} holds no model (config.json) or adapter (adapter_config.json)"
    return None
