"""The ``Launcher`` protocol: what ``backend.jobs`` needs from wherever a run's processes live.

``backend.jobs`` owns the registry, the queue and the run directory; a launcher owns the processes.
Nothing outside a launcher assumes a local process group: a Slurm run has none on this machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from backend.jobs import Registry, Run
    from backend.spec import JobSpec


class Launcher(Protocol):
    """Start, follow, signal and reattach to the processes of one run."""

    name: str

    def preview(self, spec: JobSpec, run_dir: str, run_id: str) -> str:
        """The exact text that will start the run (a command line, or a batch script); pure."""

    def start(self, run: Run, registry: Registry) -> Run:
        """Plan and start (or queue, or submit) a created run; the updated registry row."""

    def alive(self, run: Run) -> bool:
        """Whether any process (or job) of the run may still be running."""

    def abort(self, run: Run, registry: Registry, grace_s: float) -> Run:
        """End every process of the run (SIGTERM, then SIGKILL; or ``scancel``) and record ``aborted``."""

    def reattach(self, run: Run, registry: Registry) -> None:
        """After a restart of the studio: follow an active run again, or record its end if it is gone."""
