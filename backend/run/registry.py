"""The run registry: one SQLite row per run (``<workspace>/registry.db``) and the run's directory.

A run is a directory ``<workspace>/runs/<id>/`` (``job.yaml`` in; ``events.jsonl``, ``train.log``,
checkpoints and weights out; :class:`backend.run.rundir.RunDir` names every file) plus one row here.
:func:`create_run` makes both; the queue (:mod:`backend.run.queue`) and the launchers
(:mod:`backend.run.launchers`) move the row through its states. Torch-free; the UI reads it in-process.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import sqlite3
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import quote

from backend.events import FINAL_STATES
from backend.failures import free_space, is_disk_error
from backend.run.rundir import RunDir
from backend.spec import JobSpec
from backend.workspace import workspace_home

ACTIVE_STATES = ("queued", "starting", "running", "aborting")
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


def latest_checkpoint(run: Run) -> Path | None:
    """The run's newest complete ``checkpoints/checkpoint-N`` folder, or None.

    A checkpoint is complete once ``trainer_state.json`` is written (the Trainer writes it last); a run
    killed while saving leaves a newer, partial folder behind, which resume must skip.
    """
    found = [p for p in run.files.checkpoint_dirs() if (p / "trainer_state.json").exists()]
    return max(found, key=lambda p: int(p.name.split("-")[-1]), default=None)
