"""The local launcher: a run's processes on this machine.

Starting a run spawns ``python -m backend.run.launchers.supervise RUN_DIR`` in a new session, so the run has its own
process group (the supervisor leads it) and outlives the UI or CLI that started it. The supervisor launches
``accelerate launch … -m backend.train RUN_DIR`` inside that group, records the exit in the registry and the
events, and is the only writer of a run's final status, except when everything in the group was killed;
then :meth:`LocalLauncher.abort` or :meth:`LocalLauncher.reattach` record it.

The devices are this machine's: a queued run starts when its GPUs (or the CPU) are free (:func:`schedule`,
called by whoever queues a run and by every supervisor that ends). Only this module knows about process
groups and the ``STUDIO_RUN_ID`` marker; the queue (:mod:`backend.run.queue`) calls the :class:`Launcher`
methods. It imports the registry, never the queue.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

from backend.events import EVENTS_FILE, EventWriter
from backend.failures import disk_message, is_disk_error, reason
from backend.run.registry import Registry, Run
from backend.run.stop import request_stop
from backend.run.story import vanished_story
from backend.spec import load_spec
from backend.workspace import PROJECT_ROOT

RUN_ENV = "STUDIO_RUN_ID"  # set in every process of a run (see run_processes)


class LocalLauncher:
    """Runs on this machine (see the module docstring)."""

    name = "local"
    follow_check_s = None  # a follower sees a vanished process group itself (lost); no periodic reconcile

    def preview(self, spec, run_dir: str, run_id: str, hardware=None) -> str:
        from backend.launch import build_launch, detect_hardware

        return build_launch(spec, run_dir, hardware or detect_hardware()).shell()

    def start(self, run: Run, registry: Registry, *, hardware=None, turn: str | None = None, plan=None) -> Run:
        """Write the launch plan, queue the run on its devices, and start whatever can start now.

        ``turn`` (a sweep id) makes a CPU run exclusive among the runs queued with the same ``turn``: they run
        one after another on the CPU as they would on one GPU set, instead of splitting the cores. A resumed
        run keeps the turn its last attempt had (the registry row still holds ``cpu#<sweep>``).
        """
        turn = turn or turn_of(run.devices)
        try:
            devices = prepare_launch(run, registry, hardware, plan)
            if devices == "cpu" and turn:
                devices = f"cpu#{turn}"
            registry.update(run.id, status="queued", devices=devices)
            where = "the CPU" if devices.startswith("cpu") else f"GPU {devices}"
            events = EventWriter(run.path / EVENTS_FILE)
            events.emit("status", state="queued", message=f"waiting for {where}", attempt=run.attempt)
        except OSError as exc:
            if is_disk_error(exc):  # keep the row and say why it never started, if the registry can still take it
                try:
                    registry.finish(
                        run.id, "failed", error_kind="disk", error=reason("disk", disk_message(exc, run.path))
                    )
                except OSError:
                    pass
            raise
        schedule(registry.home)
        return registry.get(run.id)

    def schedule(self, registry: Registry) -> None:
        schedule(registry.home)

    def alive(self, run: Run) -> bool:
        return run_alive(run)

    def lost(self, run: Run) -> bool:
        """Whether the registry says the run is active but every process of its group is gone."""
        return run.status in ("starting", "running", "aborting") and bool(run.pgid) and not run_alive(run)

    def abort(
        self, run: Run, registry: Registry, grace_s: float = 10.0, save: bool = False, save_timeout_s: float = 600.0
    ) -> Run:
        """SIGTERM every process of the run, SIGKILL what is left after ``grace_s``; status aborted.

        With ``save``, first ask the run to save a checkpoint and stop and wait up to ``save_timeout_s`` for
        its processes to end by themselves; signals follow only if they have not. The trainer gets a longer
        grace when its job saves on SIGTERM (``train.save_on_sigterm``).
        """
        if save and run.status in ("starting", "running"):
            run = request_stop(run.id, registry.home)
            deadline = time.time() + save_timeout_s
            while run_alive(run) and time.time() < deadline:
                time.sleep(0.2)
            if not run_alive(run) and registry.get(run.id).finished:
                return registry.get(run.id)  # the supervisor (in the group, so gone last) recorded the end
        elif _saves_on_sigterm(run):
            grace_s = max(grace_s, 40.0)  # torchrun gives its workers 30 s after SIGTERM; the save fits in that
        registry.update(run.id, status="aborting")
        if run_alive(run):
            _signal_run(run, signal.SIGTERM)
            deadline = time.time() + grace_s
            while run_alive(run) and time.time() < deadline:
                time.sleep(0.1)
            if run_alive(run):
                _signal_run(run, signal.SIGKILL)
                while run_alive(run) and time.time() < deadline + 5:
                    time.sleep(0.05)
        if registry.finish(run.id, "aborted", error_kind="killed", error="aborted by the user"):
            EventWriter(run.path / EVENTS_FILE).emit("status", state="aborted", message="aborted by the user")
        schedule(registry.home)  # a killed supervisor cannot start the next run itself
        return registry.get(run.id)

    def reattach(self, run: Run, registry: Registry) -> None:
        """Record the end of an active run whose processes are all gone (the supervisor could not)."""
        # Claimed by a scheduler that died before it could spawn the supervisor:
        orphan = run.status == "starting" and not run.pgid and time.time() - (run.started or run.created) > 60
        if orphan and registry.finish(run.id, "failed", error_kind="killed", error="the process starting it died"):
            EventWriter(run.path / EVENTS_FILE).emit("status", state="failed", message="never started")
        if self.lost(run):
            # The supervisor records the end itself; reaching here means it was killed too (or gave up
            # waiting for disk space to record it).
            final, kind, message, said = vanished_story(run)
            recorded = registry.finish(
                run.id, final, error_kind=kind or None, error=message if final != "succeeded" else None
            )
            if recorded and not said:
                EventWriter(run.path / EVENTS_FILE).emit("status", state=final, message=message.splitlines()[0])


def device_set(devices: str | None) -> set[str]:
    """The devices a run holds, as a set: ``{"cpu"}`` or ``{"gpu:0", "gpu:1"}`` from the registry text."""
    if not devices or devices == "cpu":
        return {"cpu"}
    if devices.startswith("cpu#"):  # a CPU run that takes turns with its group (a sweep): see queue_run's ``turn``
        return {"cpu", devices}
    return {f"gpu:{d.strip()}" for d in devices.split(",") if d.strip()}


def turn_of(devices: str | None) -> str | None:
    """The sweep whose CPU turns a run takes (``cpu#<sweep>`` in the registry), or None."""
    return devices[len("cpu#") :] if devices and devices.startswith("cpu#") else None


def conflicts(a: set[str], b: set[str]) -> bool:
    """Whether two device sets collide. CPU-only runs share the CPU (they may run together); GPUs are exclusive."""
    return bool((a & b) - {"cpu"})


def prepare_launch(run: Run, registry: Registry, hardware=None, plan=None) -> str:
    """Write the launch plan into the run directory; the devices it will hold (registry text).

    ``plan``: the plan already built for this run's directory (``backend.run.submit``); else it is built
    here from the run's job.yaml (a resumed run).
    """
    from backend.launch import build_launch, detect_hardware

    if plan is None:
        plan = build_launch(load_spec(run.files.job), str(run.path), hardware or detect_hardware())
    for name, text in plan.files.items():
        (run.path / name).write_text(text, encoding="utf-8")
    run.files.launch.write_text(
        json.dumps({"argv": plan.argv, "env": plan.env, "command": plan.shell()}, indent=2), encoding="utf-8"
    )
    return plan.env.get("CUDA_VISIBLE_DEVICES", "cpu")


def schedule(home: str | os.PathLike | None = None) -> list[str]:
    """Start every queued run whose devices are free, oldest first; the ids started.

    A queued run also reserves its devices for the runs queued after it, so a later run never
    overtakes an earlier one that wants the same GPU. The claim is one SQLite write transaction, so
    the UI, the CLI and finishing supervisors can all call this at once without starting a run twice.
    """
    registry = Registry(home)
    claimed = []
    with registry._writing() as con:
        con.execute("BEGIN IMMEDIATE")  # one scheduler at a time across processes
        try:
            rows = con.execute(
                "SELECT id, status, devices FROM runs WHERE status IN ('queued', 'starting', 'running', 'aborting') "
                "AND COALESCE(launcher, 'local') = 'local' ORDER BY created"
            ).fetchall()
            held = [device_set(r["devices"]) for r in rows if r["status"] != "queued"]
            waiting: list[set[str]] = []
            for r in rows:
                if r["status"] != "queued":
                    continue
                want = device_set(r["devices"])
                if any(conflicts(want, h) for h in held + waiting):
                    waiting.append(want)
                    continue
                con.execute("UPDATE runs SET status = 'starting', started = ? WHERE id = ?", (time.time(), r["id"]))
                held.append(want)
                claimed.append(r["id"])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    for run_id in claimed:
        _spawn(registry.get(run_id), registry)
    return claimed


def _spawn(run: Run, registry: Registry) -> None:
    """Start the run's supervisor in a session of its own (it survives whoever started it)."""
    plan = json.loads(run.files.launch.read_text(encoding="utf-8"))
    EventWriter(run.path / EVENTS_FILE).emit("status", state="starting", message=plan["command"], attempt=run.attempt)
    with open(run.files.log, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "backend.run.launchers.supervise", str(run.path), str(registry.home), run.id],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own session and process group: survives the UI that started it
            cwd=str(PROJECT_ROOT),
            env={**os.environ, RUN_ENV: run.id},
        )
    registry.update(run.id, pid=proc.pid, pgid=proc.pid)
    # Reap the supervisor when it exits so it never lingers as a zombie of this process.
    threading.Thread(target=proc.wait, daemon=True).start()


def group_alive(pgid: int | None) -> bool:
    """Whether any process of the group still exists."""
    if not pgid:
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_processes(run_id: str) -> list[int]:
    """Every live process of a run, found by the ``STUDIO_RUN_ID`` its environment carries.

    The process group alone is not enough: torchrun starts each worker in a session of its own, so a
    worker would outlive a ``killpg`` of the run's group if the launcher died first. The variable is
    inherited by every descendant (orphans included); zombies show an empty environment and are skipped.
    """
    marker = f"{RUN_ENV}={run_id}".encode() + b"\0"
    found = []
    for entry in os.scandir("/proc") if os.path.isdir("/proc") else ():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as fh:
                if marker in fh.read() + b"\0":
                    found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def run_alive(run: Run) -> bool:
    """Whether any process of the run is alive (its process group, or any process carrying its id)."""
    return group_alive(run.pgid) or bool(run_processes(run.id))


def _signal_run(run: Run, sig: signal.Signals) -> None:
    if group_alive(run.pgid):
        os.killpg(run.pgid, sig)
    for pid in run_processes(run.id):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _saves_on_sigterm(run: Run) -> bool:
    try:
        return load_spec(run.files.job).train.save_on_sigterm
    except Exception:  # noqa: BLE001 - an unreadable job.yaml must not stop an abort
        return False
