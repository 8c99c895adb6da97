"""The run registry and the life of a run: create, start, follow, abort, reconcile.

A run is a directory ``<workspace>/runs/<id>/`` (``job.yaml`` in; ``events.jsonl``, ``train.log``,
checkpoints and weights out) plus one row in the SQLite registry ``<workspace>/registry.db``.

Starting a run spawns ``python -m backend.supervise RUN_DIR`` in a new session, so the run has its
own process group (the supervisor leads it) and outlives the UI or CLI that started it. The
supervisor launches ``accelerate launch … -m backend.train RUN_DIR`` inside that group, records the
exit in the registry and the events, and is the only writer of a run's final status, except when
everything in the group was killed; then ``abort`` or ``reconcile`` record it.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import quote

from backend.events import EVENTS_FILE, FINAL_STATES, STOP_FILE, EventReader, EventWriter, read_events
from backend.failures import disk_message, free_space, is_disk_error, reason, text_kind
from backend.run.rundir import RunDir
from backend.spec import JobSpec, load_spec
from backend.stages import stages_where
from backend.workspace import workspace_home

ACTIVE_STATES = ("queued", "starting", "running", "aborting")
RUN_ENV = "STUDIO_RUN_ID"  # set in every process of a run (see run_processes)
SCHEMA_VERSION = 2  # 2: the launcher columns (ADDED_COLUMNS)
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    stage TEXT NOT NULL,
    method TEXT NOT NULL,
    model TEXT,
    status TEXT NOT NULL,
    run_dir TEXT NOT NULL,
    created REAL NOT NULL,
    started REAL,
    ended REAL,
    pid INTEGER,
    pgid INTEGER,
    devices TEXT,
    exit_code INTEGER,
    error_kind TEXT,
    error TEXT,
    final_loss REAL,
    attempt INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS runs_status ON runs(status);
"""
# Columns added after the first release: added to an older registry.db when it is opened (its rows read
# as local runs). launcher: local | slurm; job_id: the Slurm job id; job_state: Slurm's state and reason.
ADDED_COLUMNS = {"launcher": "TEXT", "job_id": "TEXT", "job_state": "TEXT"}


@dataclass
class Run:
    """One registry row."""

    id: str
    name: str
    stage: str
    method: str
    model: str | None
    status: str
    run_dir: str
    created: float
    started: float | None = None
    ended: float | None = None
    pid: int | None = None
    pgid: int | None = None
    devices: str | None = None
    exit_code: int | None = None
    error_kind: str | None = None
    error: str | None = None
    final_loss: float | None = None
    attempt: int = 1
    launcher: str | None = None  # None (older rows) means local
    job_id: str | None = None
    job_state: str | None = None

    @property
    def path(self) -> Path:
        return Path(self.run_dir)

    @property
    def files(self) -> RunDir:
        """The file names of the run's directory (``run.files.job`` is its job.yaml)."""
        return RunDir(self.run_dir)

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATES

    @property
    def duration(self) -> float | None:
        if not self.started:
            return None
        return (self.ended or time.time()) - self.started


def format_duration(seconds: float | None, missing: str = "-") -> str:
    """``m:ss`` or ``h:mm:ss`` (``missing`` when unknown): how the CLI and the UI show durations."""
    if seconds is None:
        return missing
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Registry:
    """SQLite registry of runs (WAL; one short connection per call, safe across processes).

    On a full disk SQLite cannot even read a WAL database (it must create its ``-shm``/``-wal`` files):
    reads then fall back to an immutable read-only view of ``registry.db`` and ``read_only`` says why, so
    ``runs list|show`` and the Runs tab still work; a write raises ``OSError(ENOSPC)`` naming the file
    (never a bare ``sqlite3.OperationalError``), so callers can tell a full disk from a bug.
    """

    def __init__(self, home: str | os.PathLike | None = None):
        self.home = workspace_home(home)
        self.db = self.home / "registry.db"
        self.read_only: str | None = None  # why reads use the immutable fallback (the disk is full)
        try:
            with closing(self._connect()) as con:
                version = con.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise RuntimeError(f"{self.db} was written by a newer studio (schema {version})")
                if version < SCHEMA_VERSION:  # a new or older registry: a write, so only then (not on every open)
                    with con:
                        con.execute("PRAGMA journal_mode=WAL")
                        con.executescript(SCHEMA)
                        have = {r[1] for r in con.execute("PRAGMA table_info(runs)")}
                        for column, kind in ADDED_COLUMNS.items():
                            if column not in have:
                                con.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")
                        con.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.OperationalError as exc:
            if not is_disk_error(exc) or not self.db.exists():
                raise self._disk(exc) if is_disk_error(exc) else exc from None
            self.read_only = f"{exc} ({free_space(self.db)})"

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.db, timeout=30)
        con.row_factory = sqlite3.Row
        return con

    def _disk(self, exc: sqlite3.OperationalError) -> OSError:
        return OSError(errno.ENOSPC, f"cannot write the run registry: {exc}", str(self.db))

    @contextmanager
    def _writing(self):
        """A connection in a transaction; a full disk comes out as OSError(ENOSPC, …, registry.db)."""
        try:
            with closing(self._connect()) as con, con:
                yield con
        except sqlite3.OperationalError as exc:
            if is_disk_error(exc):
                raise self._disk(exc) from None
            raise

    def _reading(self, query: str, args: tuple) -> list[sqlite3.Row]:
        try:  # the normal way first, every time: space may have come back since the last call
            with closing(self._connect()) as con:
                return con.execute(query, args).fetchall()
        except sqlite3.OperationalError as exc:
            if not is_disk_error(exc) or not self.db.exists():
                raise
            self.read_only = f"{exc} ({free_space(self.db)})"
        # immutable: no lock, no -shm/-wal files; it sees what the last writer checkpointed into the file.
        uri = f"file:{quote(str(self.db))}?immutable=1"
        with closing(sqlite3.connect(uri, uri=True)) as con:
            con.row_factory = sqlite3.Row
            return con.execute(query, args).fetchall()

    def insert(self, run: Run) -> None:
        cols = [f.name for f in fields(Run)]
        with self._writing() as con:
            con.execute(
                f"INSERT INTO runs ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [getattr(run, c) for c in cols],
            )

    def update(self, run_id: str, **values) -> None:
        if not values:
            return
        sets = ", ".join(f"{k} = ?" for k in values)
        with self._writing() as con:
            con.execute(f"UPDATE runs SET {sets} WHERE id = ?", [*values.values(), run_id])

    def finish(self, run_id: str, status: str, **values) -> bool:
        """Set a final status unless one is already recorded; True if this call recorded it."""
        values = {"status": status, "ended": time.time(), **values}
        sets = ", ".join(f"{k} = ?" for k in values)
        placeholders = ", ".join("?" * len(FINAL_STATES))
        with self._writing() as con:
            cur = con.execute(
                f"UPDATE runs SET {sets} WHERE id = ? AND status NOT IN ({placeholders})",
                [*values.values(), run_id, *FINAL_STATES],
            )
            return cur.rowcount == 1

    def get(self, run_id: str) -> Run:
        rows = self._reading("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            # A unique prefix is enough, as with git hashes.
            rows = self._reading("SELECT * FROM runs WHERE id LIKE ?", (run_id + "%",))
            if len(rows) != 1:
                raise KeyError(f"no run {run_id!r}" if not rows else f"run id {run_id!r} is ambiguous")
        return Run(**dict(rows[0]))

    def list(self, status: str | None = None) -> list[Run]:
        query, args = "SELECT * FROM runs", ()
        if status:
            query, args = query + " WHERE status = ?", (status,)
        return [Run(**dict(r)) for r in self._reading(query + " ORDER BY created DESC", args)]


# ------------------------------------------------------------------------------------ lifecycle


def _new_id(spec: JobSpec) -> tuple[str, str]:
    name = spec.output.run_name or f"{spec.stage}-{spec.method.type}"
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{name}-{secrets.token_hex(2)}", name


def new_run_id(spec: JobSpec) -> str:
    """A fresh run id for ``spec`` (``<time>-<run name>-<4 hex>``), before the run exists."""
    return _new_id(spec)[0]


def run_dir_of(home: str | os.PathLike | None, run_id: str) -> Path:
    """The directory a run of that id has (or will have) in the workspace ``home``."""
    return workspace_home(home) / "runs" / run_id


def create_run(spec: JobSpec, home: str | os.PathLike | None = None, run_id: str | None = None) -> Run:
    """Write ``runs/<id>/job.yaml`` and register the run (status ``created``).

    ``run_id``: the id chosen beforehand (:func:`new_run_id`; ``backend.run.submit`` plans the launch for it).
    """
    registry = Registry(home or spec.output.workspace)
    spec = spec.model_copy(deep=True)
    spec.output.workspace = str(registry.home)
    new_id, name = _new_id(spec)
    run_id = run_id or new_id
    run_dir = registry.home / "runs" / run_id
    run_dir.mkdir(parents=True)
    try:
        spec.save(RunDir(run_dir).job)
    except OSError:
        shutil.rmtree(run_dir, ignore_errors=True)  # a full disk: leave no half-made run behind
        raise
    run = Run(
        id=run_id,
        name=name,
        stage=spec.stage,
        method=spec.method.type,
        model="scratch" if spec.model.from_scratch else spec.model.name_or_path,
        status="created",
        run_dir=str(run_dir),
        created=time.time(),
        launcher=spec.distributed.launcher,
    )
    try:
        registry.insert(run)
    except OSError:
        shutil.rmtree(run_dir, ignore_errors=True)  # no row, so no folder either
        raise
    return run


def is_local(run: Run) -> bool:
    """Whether the run's processes live on this machine (the local launcher)."""
    return run.launcher in (None, "local")


def launcher_of(run: Run):
    """The run's launcher (``backend.run.launchers``)."""
    from backend.run.launchers import get_launcher

    return get_launcher(run.launcher)


def device_set(devices: str | None) -> set[str]:
    """The devices a run holds, as a set: ``{"cpu"}`` or ``{"gpu:0", "gpu:1"}`` from the registry text."""
    if not devices or devices == "cpu":
        return {"cpu"}
    if devices.startswith("cpu#"):  # a CPU run that takes turns with its group (a sweep): see queue_run's ``turn``
        return {"cpu", devices}
    return {f"gpu:{d.strip()}" for d in devices.split(",") if d.strip()}


def conflicts(a: set[str], b: set[str]) -> bool:
    """Whether two device sets collide. CPU-only runs share the CPU (they may run together); GPUs are exclusive."""
    return bool((a & b) - {"cpu"})


def _prepare_launch(run: Run, registry: Registry, hardware=None, plan=None) -> str:
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


def queue_run(
    run: Run, home: str | os.PathLike | None = None, hardware=None, turn: str | None = None, plan=None
) -> Run:
    """Plan a created (or resumed) run's launch, queue it, and start whatever can start now.

    A queued run starts as soon as its devices are free: at once when nothing holds them, otherwise
    when a run holding them ends (its supervisor calls :func:`schedule`), with no UI or daemon needed.
    ``turn`` (a sweep id) makes a CPU run exclusive among the runs queued with the same ``turn``: they run
    one after another on the CPU as they would on one GPU set, instead of splitting the cores.
    """
    registry = Registry(home)
    if not is_local(run):
        return launcher_of(run).start(run, registry)  # a cluster's scheduler queues it, not this machine
    try:
        devices = _prepare_launch(run, registry, hardware, plan)
        if devices == "cpu" and turn:
            devices = f"cpu#{turn}"
        registry.update(run.id, status="queued", devices=devices)
        where = "the CPU" if devices.startswith("cpu") else f"GPU {devices}"
        events = EventWriter(run.path / EVENTS_FILE)
        events.emit("status", state="queued", message=f"waiting for {where}", attempt=run.attempt)
    except OSError as exc:
        if is_disk_error(exc):  # keep the row and say why it never started, if the registry can still take it
            try:
                registry.finish(run.id, "failed", error_kind="disk", error=reason("disk", disk_message(exc, run.path)))
            except OSError:
                pass
        raise
    schedule(registry.home)
    return registry.get(run.id)


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
            [sys.executable, "-m", "backend.supervise", str(run.path), str(registry.home), run.id],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own session and process group: survives the UI that started it
            cwd=str(Path(__file__).resolve().parents[1]),
            env={**os.environ, RUN_ENV: run.id},
        )
    registry.update(run.id, pid=proc.pid, pgid=proc.pid)
    # Reap the supervisor when it exits so it never lingers as a zombie of this process.
    threading.Thread(target=proc.wait, daemon=True).start()


def start_run(
    run: Run, home: str | os.PathLike | None = None, hardware=None, turn: str | None = None, plan=None
) -> Run:
    """Queue a created run and start it when its devices are free (at once if they are); the updated row.

    ``turn``: a sweep id whose CPU runs take turns (see :func:`queue_run`); ``plan``: its launch plan, when
    the caller built it for this run's directory already.
    """
    return queue_run(run, home, hardware, turn, plan)


def latest_checkpoint(run: Run) -> Path | None:
    """The run's newest complete ``checkpoints/checkpoint-N`` folder, or None.

    A checkpoint is complete once ``trainer_state.json`` is written (the Trainer writes it last); a run
    killed while saving leaves a newer, partial folder behind, which resume must skip.
    """
    found = [p for p in run.files.checkpoint_dirs() if (p / "trainer_state.json").exists()]
    return max(found, key=lambda p: int(p.name.split("-")[-1]), default=None)


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


# Stages whose trainer checks for a stop request (PPO's own loop keeps no resumable checkpoint): the stage table.
STOPPABLE_STAGES = stages_where(can_stop=True)


def request_stop(run_id: str, home: str | os.PathLike | None = None) -> Run:
    """Ask a running run to save a checkpoint at the end of its current step and stop ("Stop & save").

    Returns at once; the run ends as ``aborted`` with the checkpoint's path in its message, and
    ``resume_run`` continues from it. Raises ``ValueError`` for a run that is not running or whose stage
    cannot save a resumable checkpoint (abort it instead).
    """
    registry = Registry(home)
    run = registry.get(run_id)
    if run.status not in ("starting", "running"):
        raise ValueError(f"run {run.id} is {run.status}; only a starting or running run can stop and save")
    stage = load_spec(run.files.job).stage
    if stage not in STOPPABLE_STAGES:
        raise ValueError(f"run {run.id} is a {stage} run, which keeps no resumable checkpoint: abort it instead")
    (run.path / STOP_FILE).write_text(json.dumps({"time": time.time(), "by": "user"}), encoding="utf-8")
    registry.update(run.id, status="aborting")
    EventWriter(run.path / EVENTS_FILE).emit("log", level="info", message="stop requested: saving a checkpoint")
    return registry.get(run.id)


def abort_run(
    run_id: str,
    home: str | os.PathLike | None = None,
    grace_s: float = 10.0,
    save: bool = False,
    save_timeout_s: float = 600.0,
) -> Run:
    """SIGTERM every process of the run, SIGKILL what is left after ``grace_s``; status aborted.

    With ``save``, first ask the run to save a checkpoint and stop (:func:`request_stop`) and wait up to
    ``save_timeout_s`` for it to end by itself; signals follow only if it has not. The trainer gets a
    longer grace when its job saves on SIGTERM (``train.save_on_sigterm``).
    """
    registry = Registry(home)
    run = registry.get(run_id)
    if run.finished:
        return run
    if not is_local(run):
        if save and run.status in ("starting", "running"):
            run = request_stop(run.id, registry.home)  # the trainer sees the file in the shared run directory
            deadline = time.time() + save_timeout_s
            while not registry.get(run.id).finished and time.time() < deadline:
                time.sleep(0.5)
            if registry.get(run.id).finished:
                return registry.get(run.id)
        return launcher_of(run).abort(registry.get(run.id), registry, grace_s)
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


def reconcile(home: str | os.PathLike | None = None, notes: list[str] | None = None) -> list[Run]:
    """Record the end of active runs whose processes are gone, start queued runs that can start now; all runs.

    A vanished run's story comes from what it left (:func:`vanished_story`): its own final events, a full
    disk, else "process disappeared". On a full disk nothing can be recorded: the runs are listed as they
    are (read-only) and ``notes`` gets one line saying so; the next call after space returns records them.
    """
    registry = Registry(home)
    try:
        for run in registry.list():
            if not is_local(run):
                if run.status in ACTIVE_STATES:
                    try:
                        launcher_of(run).reattach(run, registry)  # follow it again (by job id) or record its end
                    except Exception as exc:  # noqa: BLE001 - one unreachable cluster must not hide the other runs
                        EventWriter(run.path / EVENTS_FILE).emit("log", level="warning", message=f"reattach: {exc}")
                continue
            # Claimed by a scheduler that died before it could spawn the supervisor:
            orphan = run.status == "starting" and not run.pgid and time.time() - (run.started or run.created) > 60
            if orphan and registry.finish(run.id, "failed", error_kind="killed", error="the process starting it died"):
                EventWriter(run.path / EVENTS_FILE).emit("status", state="failed", message="never started")
            if run.status in ("starting", "running", "aborting") and run.pgid and not run_alive(run):
                # The supervisor records the end itself; reaching here means it was killed too (or gave up
                # waiting for disk space to record it).
                final, kind, message, said = vanished_story(run)
                recorded = registry.finish(
                    run.id, final, error_kind=kind or None, error=message if final != "succeeded" else None
                )
                if recorded and not said:
                    EventWriter(run.path / EVENTS_FILE).emit("status", state=final, message=message.splitlines()[0])
        schedule(registry.home)
    except OSError as exc:
        if not is_disk_error(exc):
            raise
        if notes is not None:
            notes.append(reason("disk", disk_message(exc, registry.db) + "; runs are shown as last recorded"))
    if registry.read_only and notes is not None and not notes:
        notes.append(reason("disk", f"cannot open {registry.db}: {registry.read_only}; runs are shown read-only"))
    return registry.list()


# Below this much free space, a run that died without saying why is taken to have died of the full disk.
LOW_SPACE_BYTES = 64 << 20


def vanished_story(run: Run) -> tuple[str, str, str, bool]:
    """(final status, failure class, message, whether its events already say so) of a run whose processes
    are all gone unrecorded.

    Its own last events first (the trainer's error and final status of this attempt, e.g. a ``disk``
    error written before the supervisor could record it), then a full disk (train.log says so, or the
    run's filesystem is nearly full), else ``killed``/"process disappeared" with the log tail.
    """
    summary: dict = {}
    for event in read_events(run.path / EVENTS_FILE):
        if event["type"] == "status" and event.get("state") == "queued":
            summary = {}  # a new attempt begins: what an earlier one said does not count
        elif event["type"] == "error":
            summary["error_kind"], summary["error"] = event.get("kind"), event.get("message")
        elif event["type"] == "status":
            summary["state"], summary["message"] = event.get("state"), event.get("message")
    tail = log_tail(run, 5)
    state = summary.get("state")
    if state == "succeeded":
        return "succeeded", "", "finished", True
    if state in FINAL_STATES:
        kind = summary.get("error_kind") or ("killed" if state == "aborted" else "unknown")
        return state, kind, summary.get("error") or summary.get("message") or state, True
    try:
        low = shutil.disk_usage(run.path).free < LOW_SPACE_BYTES
    except OSError:
        low = False
    if text_kind(tail) == "disk" or low:
        line = f"the run's processes ended while the disk was full ({run.path}, {free_space(run.path)} now)"
        return "failed", "disk", reason("disk", line) + ("\n" + tail if tail else ""), False
    return "failed", "killed", "process disappeared\n" + tail, False


def _saves_on_sigterm(run: Run) -> bool:
    try:
        return load_spec(run.files.job).train.save_on_sigterm
    except Exception:  # noqa: BLE001 - an unreadable job.yaml must not stop an abort
        return False


def log_tail(run: Run, lines: int = 20) -> str:
    """The last lines of the run's ``train.log``."""
    path = run.files.log
    if not path.exists():
        return ""
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - 64 * 1024))
        text = fh.read().decode("utf-8", "replace")
    return "\n".join(text.splitlines()[-lines:])


def summarise_events(run_dir: Path, offset: int = 0) -> dict:
    """Final state (and its message), error and last loss from a run's events, from byte ``offset`` on
    (the supervisor passes where its attempt began, so an earlier attempt's end does not count)."""
    out: dict = {}
    reader = EventReader(Path(run_dir) / EVENTS_FILE, offset)
    events: list[dict] = []
    while batch := reader.read_new():
        events.extend(batch)
    for event in events:
        if event["type"] == "metric" and "loss" in event:
            out["final_loss"] = event["loss"]
        elif event["type"] == "error":
            out["error_kind"], out["error"] = event.get("kind"), event.get("message")
        elif event["type"] == "status":
            out["state"], out["message"] = event.get("state"), event.get("message")
    return out


def follow(run: Run, poll_s: float = 0.25, reader: EventReader | None = None):
    """Yield a run's events as they arrive until the registry records its end.

    The trainer's last event can precede the supervisor's registry update by a moment, so the end is
    taken from the registry (or from ``reconcile`` when the process group vanished).
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
        if current.status in ("starting", "running", "aborting") and current.pgid and not run_alive(current):
            notes: list[str] = []
            reconcile(registry.home, notes)
            if notes:
                return  # a full disk: nothing can be recorded now; the caller tells the story (vanished_story)
            continue
        if not is_local(current) and time.time() - checked > 30:
            checked = time.time()  # its watcher records the end; restart one if it died
            reconcile(registry.home)
        time.sleep(poll_s)


# How long a follower waits for the registry to record an end the events already announced.
UNRECORDED_END_S = 60.0
