"""The ``Launcher`` protocol: what the queue (:mod:`backend.run.queue`) needs from wherever a run's processes live.

The registry (:mod:`backend.run.registry`) owns the rows and the queue owns a run's life; a launcher owns the
processes. Launchers import the registry, never the queue, and nothing outside ``launchers/`` assumes a local
process group: a Slurm run has none on this machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from backend.run.registry import Registry, Run
    from backend.spec import JobSpec


class Launcher(Protocol):
    """Start, follow, signal and reattach to the processes of one run."""

    name: str
    follow_check_s: float | None  # how often a follower should reconcile (None: ``lost`` tells it enough)

    def preview(self, spec: JobSpec, run_dir: str, run_id: str) -> str:
        """The exact text that will start the run (a command line, or a batch script); pure."""

    def start(self, run: Run, registry: Registry, *, hardware=None, turn: str | None = None, plan=None) -> Run:
        """Plan and start (or queue, or submit) a created run; the updated registry row.

        ``hardware``, ``turn`` (a sweep's CPU runs take turns) and ``plan`` (the launch plan built already)
        are the local launcher's; another launcher may ignore them.
        """

    def schedule(self, registry: Registry) -> None:
        """Start whatever queued runs can start now (local: on free devices; a cluster schedules its own)."""

    def alive(self, run: Run) -> bool:
        """Whether any process (or job) of the run may still be running."""

    def lost(self, run: Run) -> bool:
        """Whether the run is recorded as active but is known, cheaply, to have no process left."""

    def abort(
        self, run: Run, registry: Registry, grace_s: float, save: bool = False, save_timeout_s: float = 600.0
    ) -> Run:
        """End every process of the run (SIGTERM, then SIGKILL; or ``scancel``) and record ``aborted``.

        ``save``: first ask it to save a checkpoint and stop (Stop & save), waiting up to ``save_timeout_s``.
        """

    def reattach(self, run: Run, registry: Registry) -> None:
        """After a restart of the studio: follow an active run again, or record its end if it is gone."""
