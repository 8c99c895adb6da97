"""Presets for the Train tab: list them, save the current form as a user preset, and show the commands.

Shipped presets live under ``presets/<stage>/``; presets a user saves from the UI go to
``presets/user/<name>.yaml`` (``$STUDIO_USER_PRESETS`` moves that folder, which the tests use so they
never write into the checkout). Saving never overwrites a shipped preset.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import yaml

from backend.launch import Hardware, build_launch
from backend.spec import JobSpec, SpecError, apply_overrides, load_spec
from backend.workspace import PROJECT_ROOT
from studio.form import FIELDS, docs, get

PRESETS_DIR = PROJECT_ROOT / "presets"
NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def user_dir() -> Path:
    """Where user presets are saved (``$STUDIO_USER_PRESETS`` or ``presets/user``)."""
    return Path(os.environ.get("STUDIO_USER_PRESETS") or PRESETS_DIR / "user")


def _shown(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def list_presets() -> list[str]:
    """Shipped JobSpec presets (relative to the project root), then user presets; accelerate configs excluded."""
    shipped = (
        p
        for p in PRESETS_DIR.rglob("*.yaml")
        if p.relative_to(PRESETS_DIR).parts[0] not in ("accelerate", "user") and not p.is_relative_to(user_dir())
    )
    user = sorted(user_dir().glob("*.yaml")) if user_dir().is_dir() else []
    return sorted(_shown(p) for p in shipped) + [_shown(p) for p in user]


def preset_path(preset: str) -> Path:
    """The file of a listed preset (relative names are under the project root)."""
    return PROJECT_ROOT / preset


def save_preset(name: str, spec: JobSpec) -> str:
    """Write ``spec`` as ``<user dir>/<name>.yaml`` with a header naming its command; returns its listed name.

    Raises ValueError for a bad name or one that a shipped preset already uses.
    """
    name = (name or "").strip().removesuffix(".yaml")
    if not NAME.match(name):
        raise ValueError("preset name: use 1-64 letters, digits, - or _")
    shipped = {
        Path(p).stem for p in list_presets() if not preset_path(p).resolve().is_relative_to(user_dir().resolve())
    }
    if name in shipped:
        raise ValueError(f"preset name: '{name}' is a shipped preset; choose another name")
    target = user_dir() / f"{name}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    data = spec.to_dict()
    data["output"]["workspace"] = None  # a preset must not pin this machine's workspace
    shown = _shown(target)
    header = f"# Saved from the studio's Train tab.\n# Run: studio train {shlex.quote(shown)}\n"
    target.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return shown


def _scalar(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10**9).strip().removesuffix("...").strip()


def commands(preset: str | None, spec: JobSpec, hw: Hardware) -> str:
    """The shell lines that run ``spec``: ``studio train`` (from job.yaml, and from the preset with
    ``--set`` overrides when those reproduce ``spec`` exactly), the ``accelerate launch`` it makes, and
    for a multi-node job the command of every machine rank; for a Slurm job, the exact batch script."""
    lines = ["# the YAML above, saved as job.yaml:", "studio train job.yaml"]
    if preset:
        try:
            base = load_spec(preset_path(preset))
        except SpecError:
            base = None
        if base is not None:
            new, old = spec.to_dict(), base.to_dict()
            changed = [f for f in FIELDS if get(new, f) != get(old, f)]
            sets = [f"{f}={_scalar(get(new, f))}" for f in changed]
            try:
                # apply_overrides has no list indexes: a changed dataset table has no --set form.
                same = "table" not in {docs()[f]["kind"] for f in changed} and apply_overrides(base, sets) == spec
            except SpecError:
                same = False
            if same:
                line = " ".join(["studio train", shlex.quote(preset), *(f"--set {shlex.quote(s)}" for s in sets)])
                lines += ["# or, the same from the preset:", line]
    if spec.distributed.launcher == "slurm":
        from backend.run.launchers.slurm_script import build_sbatch_script

        script = build_sbatch_script(spec, "<run_dir>", "<run-id>").script
        return "\n".join([*lines, "# which submits this batch script (sbatch <run_dir>/slurm.sbatch):", script])
    lines += ["# which launches:", build_launch(spec, "<run_dir>", hw).shell()]
    if spec.distributed.num_machines > 1:
        from backend.multinode import node_commands

        # Every machine runs the same job from the same paths; only its rank differs.
        for rank, line in enumerate(node_commands(spec, "<run_dir>", hw)):
            lines += [f"# on machine rank {rank}{' (this machine)' if rank == spec.distributed.machine_rank else ''}:",
                      line]  # fmt: skip
    return "\n".join(lines)
