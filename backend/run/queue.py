"""The queue: the life of a registered run, whatever launcher runs it.

``queue_run`` hands a created (or resumed) run to its launcher (``distributed.launcher``, kept in the registry's
``launcher`` column: :mod:`backend.run.launchers`), which queues it on this machine's devices or submits it to
a cluster; ``resume_run`` queues its next attempt from a checkpoint; ``abort_run`` ends it; ``reconcile``
records the ends nobody recorded and starts what can start; ``follow`` streams its events until it ends.
Nothing here knows where the processes live: the launchers do (the ``Launcher`` protocol,
:mod:`backend.run.launchers.base`), and they never import this module.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from backend.events import EVENTS_FILE, FINAL_STATES, STOP_FILE, EventReader, EventWriter
from backend.failures import disk_message, is_disk_error, reason
from backend.run.launchers import LAUNCHERS, get_launcher
from backend.run.registry import ACTIVE_STATES, Registry, Run, is_local, latest_checkpoint
from backend.spec import load_spec


def launcher_of(run: Run):
    """The run's launcher (``backend.run.launchers``)."""
    return get_launcher(run.launcher)


def lost(run: Run) -> bool:
    """Whether the registry says the run is active but its launcher knows its processes are gone (cheap)."""
    return launcher_of(run).lost(run)


def queue_run(
    run: Run, home: str | os.PathLike | None = None, hardware=None, turn: str | None = None, plan=None
) -> Run:
    """Plan a created (or resumed) run's launch, queue it, and start whatever can start now; the updated row.

    Locally a queued run starts as soon as its devices are free: at once when nothing holds them, otherwise
    when a run holding them ends (its supervisor schedules the next), with no UI or daemon needed; a cluster's
    scheduler queues a Slurm run. ``turn`` (a sweep id): CPU runs of one sweep take turns; ``plan``: the local
    launch plan, when the caller built it for this run's directory already.
    """
    return launcher_of(run).start(run, Registry(home), hardware=hardware, turn=turn, plan=plan)


def schedule(home: str | os.PathLike | None = None) -> None:
    """Start every queued run that can start now (each launcher's own rule: local devices; a cluster queues)."""
    registry = Registry(home)
    for name in LAUNCHERS:
        get_launcher(name).schedule(registry)


def start_run(
    run: Run, home: str | os.PathLike | None = None, hardware=None, turn: str | None = None, plan=None
) -> Run:
    """Queue a created run and start it when its devices are free (at once if they are); the updated row.

    ``turn``: a sweep id whose CPU runs take turns (see :func:`queue_run`); ``plan``: its launch plan, when
    the caller built it for this run's directory already.
    """
    return queue_run(run, home, hardware, turn, plan)


def resume_run(run_id: str, home: str | os.PathLike | None = None, checkpoint: str | None = None, hardware=None) -> Run:
    """Resume a failed or aborted run from a checkpoint (the latest by default) as its next attempt.

    The attempt continues in the same run directory and event stream: ``job.yaml`` gets
    ``train.resume_from_checkpoint``, so the Trainer restores weights, optimiser, scheduler, step count
    and data position, and the loss curve goes on from that step.
    """
    registry = Registry(home)
    run = registry.get(run_id)
    if not run.finished:
        raise ValueError(f"run {run.id} is {run.status}; only a finished run can be resumed")
    path = Path(checkpoint).expanduser().resolve() if checkpoint else latest_checkpoint(run)
    if path is None:
        raise ValueError(f"run {run.id} saved no checkpoint to resume from (set train.save_steps)")
    if not (path / "trainer_state.json").exists():
        raise ValueError(f"{path} is not a Trainer checkpoint (no trainer_state.json)")
    spec = load_spec(run.files.job)
    spec.train.resume_from_checkpoint = str(path)
    spec.save(run.files.job)
    (run.path / STOP_FILE).unlink(missing_ok=True)  # a stop request of the last attempt is spent
    attempt = run.attempt + 1
    registry.update(run.id, status="created", attempt=attempt, ended=None, exit_code=None, error_kind=None,
                    error=None, pid=None, pgid=None)  # fmt: skip
    EventWriter(run.path / EVENTS_FILE).emit("log", level="info", message=f"attempt {attempt}: resuming from {path}")
    return queue_run(registry.get(run.id), registry.home, hardware)


def abort_run(
    run_id: str,
    home: str | os.PathLike | None = None,
    grace_s: float = 10.0,
    save: bool = False,
    save_timeout_s: float = 600.0,
) -> Run:
    """End every process of the run (its launcher: SIGTERM then SIGKILL, or ``scancel``); status aborted.

    With ``save``, first ask the run to save a checkpoint and stop (:func:`backend.run.stop.request_stop`) and
    wait up to ``save_timeout_s`` for it to end by itself; the launcher ends it only if it has not.
    """
    registry = Registry(home)
    run = registry.get(run_id)
    if run.finished:
        return run
    return launcher_of(run).abort(run, registry, grace_s, save=save, save_timeout_s=save_timeout_s)


def reconcile(home: str | os.PathLike | None = None, notes: list[str] | None = None) -> list[Run]:
    """Record the end of active runs whose processes are gone, start queued runs that can start now; all runs.

    Each active run's launcher looks at it again (:meth:`Launcher.reattach`): a local run whose process group
    vanished gets its story (:func:`backend.run.story.vanished_story`: its own final events, a full disk, else
    "process disappeared"); a Slurm run is followed again by its job id. On a full disk nothing can be
    recorded: the runs are listed as they are (read-only) and ``notes`` gets one line saying so; the next call
    after space returns records them.
    """
    registry = Registry(home)
    try:
        for run in registry.list():
            if run.status not in ACTIVE_STATES:
                continue
            try:
                launcher_of(run).reattach(run, registry)
            except Exception as exc:  # noqa: BLE001 - one unreachable cluster must not hide the other runs
                if is_local(run):
                    raise
                EventWriter(run.path / EVENTS_FILE).emit("log", level="warning", message=f"reattach: {exc}")
        schedule(registry.home)
    except OSError as exc:
        if not is_disk_error(exc):
            raise
        if notes is not None:
            notes.append(reason("disk", disk_message(exc, registry.db) + "; runs are shown as last recorded"))
    if registry.read_only and notes is not None and not notes:
        notes.append(reason("disk", f"cannot open {registry.db}: {registry.read_only}; runs are shown read-only"))
    return registry.list()


def follow(run: Run, poll_s: float = 0.25, reader: EventReader | None = None):
    """Yield a run's events as they arrive until the registry records its end.

    The trainer's last event can precede the supervisor's registry update by a moment, so the end is
    taken from the registry (or from ``reconcile`` when its launcher knows its processes are gone).
    """
    reader = reader or EventReader(run.path / EVENTS_FILE)
    registry = Registry(Path(run.run_dir).parents[1])
    ended_at = None  # when the events said the attempt ended (its final status)
    checked = time.time()
    while True:
        for event in reader.read_new():
            if event["type"] == "status":
                ended_at = time.time() if event.get("state") in FINAL_STATES else None
            yield event
        current = registry.get(run.id)
        if current.finished:
            yield from reader.read_new()
            return
        if ended_at and time.time() - ended_at > UNRECORDED_END_S:
            return  # ended, but the registry cannot record it (a full disk): the caller reads the events
        launcher = launcher_of(current)
        if launcher.lost(current):
            notes: list[str] = []
            reconcile(registry.home, notes)
            if notes:
                return  # a full disk: nothing can be recorded now; the caller tells the story (vanished_story)
            continue
        if launcher.follow_check_s and time.time() - checked > launcher.follow_check_s:
            checked = time.time()  # its watcher records the end; restart one if it died
            reconcile(registry.home)
        time.sleep(poll_s)


# How long a follower waits for the registry to record an end the events already announced.
UNRECORDED_END_S = 60.0
