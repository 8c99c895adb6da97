"""Resolving a model reference in a workspace: runs by id or name, their parts, the weights folder (ModelRef's
``run`` kind; see :mod:`backend.models.ref` for the forms). It reads the run registry, so the trainer never
imports this module: a run's references are pinned to folders when the run is submitted (:func:`pin_job_refs`).
"""

from __future__ import annotations

from pathlib import Path

from backend.models.ref import ModelRef, RefError, parse_ref
from backend.run.rundir import RunDir


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
        if RunDir(cand).job.is_file():
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
    from backend.run.registry import Registry

    runs = Path(home) / "runs"
    if "/" not in name and name not in (".", "..") and RunDir(runs / name).job.is_file():
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
    ref = parse_ref(text, home)
    if ref.kind != "local":
        return ref
    path = ref.local_dir(home)  # as given, else inside the workspace
    if path.is_dir():
        path = path.resolve()
        if RunDir(path).job.is_file():  # a run's own folder: as its id would
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
            f"take a checkpoint: {run.name}@latest, or --checkpoint latest (checkpoints: {names})"
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
