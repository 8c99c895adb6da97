"""Launchers: where a run's processes live, and how the studio starts, follows, stops and reattaches to them.

``local`` (this machine: the supervisor and accelerate in a process group of their own) and ``slurm``
(a batch job on a cluster). The queue (``backend.run.queue``) picks one by ``distributed.launcher`` (stored in the
registry's ``launcher`` column). Light to import: the launchers load on first use.
"""

from __future__ import annotations

LAUNCHERS = ("local", "slurm")


def get_launcher(name: str | None):
    """The launcher called ``name`` (``None``, from a registry row older than the column, is ``local``)."""
    if name in (None, "", "local"):
        from backend.run.launchers.local import LocalLauncher

        return LocalLauncher()
    if name == "slurm":
        from backend.run.launchers.slurm import SlurmLauncher

        return SlurmLauncher()
    raise ValueError(f"unknown launcher {name!r}; expected one of: {', '.join(LAUNCHERS)}")
