"""The Slurm launcher: a run is a batch job; the studio submits, follows, stops, resumes and aborts it.

- **Submit** (:meth:`SlurmLauncher.start`): writes ``slurm.sbatch`` (:func:`build_sbatch_script`) and the
  launch files into the run directory, runs ``sbatch --parsable``, records the job id in the registry
  (``job_id``) and in ``slurm.json`` (with where this attempt's events begin), and starts a watcher.
- **Watch** (``python -m backend.run.launchers.slurm_watch``, one small process per active run, in a
  session of its own, like a local run's supervisor): polls ``scontrol show job`` (``sacct`` once the
  controller has forgotten the job) and maps Slurm's state onto the studio's (:data:`QUEUED`,
  :data:`RUNNING`, :data:`FINAL`): PENDING is ``queued`` with Slurm's reason, RUNNING is ``running``,
  and an end is recorded from the trainer's own events plus Slurm's verdict (:func:`outcome`).
- **Abort**: ``scancel`` (Slurm sends SIGTERM to every process of the job, SIGKILL after its KillWait),
  then wait until Slurm reports the job ended; ``aborted``.
- **Stop & save**: the stop-request file in the shared run directory (``backend.run.stop.request_stop``);
  the trainer saves and ends as ``aborted`` with its checkpoint, which ``resume_run`` submits again.
- **Reattach**: the registry keeps the job id, so a studio started later finds its runs again
  (``backend.run.queue.reconcile`` calls :meth:`SlurmLauncher.reattach`, which restarts a missing watcher).

Nothing here looks for local processes: the job may run on other machines.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from backend.events import EVENTS_FILE, EventWriter
from backend.failures import classify_exit, reason
from backend.run.launchers.slurm_script import PROJECT_DIR, build_sbatch_script
from backend.run.rundir import RunDir

QUEUED = ("PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "CONFIGURING", "RESV_DEL_HOLD")
RUNNING = ("RUNNING", "COMPLETING", "SUSPENDED", "STOPPED", "SIGNALING", "STAGE_OUT", "RESIZING")
FINAL = (
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "TIMEOUT",
    "NODE_FAIL",
    "PREEMPTED",
    "OUT_OF_MEMORY",
    "BOOT_FAIL",
    "DEADLINE",
    "SPECIAL_EXIT",
    "REVOKED",
)
STATE_FILE = RunDir.SLURM_STATE
SCRIPT_FILE = RunDir.SLURM_SCRIPT
POLL_S = float(os.environ.get("STUDIO_SLURM_POLL_S", "2"))


class SlurmError(RuntimeError):
    """A Slurm command failed or is missing; the message is one line that says what to do."""


def missing_commands(names: tuple[str, ...] = ("sbatch", "squeue", "scontrol", "scancel", "sinfo")) -> list[str]:
    """The Slurm client commands not on PATH."""
    return [n for n in names if shutil.which(n) is None]


MISSING_ADVICE = (
    "install Slurm's client commands on this machine (Debian/Ubuntu: apt install slurm-client; they come with "
    "slurm-wlm) and make them reach your cluster (its slurm.conf in /etc/slurm, or SLURM_CONF pointing at it)"
)


def slurm(*args: str, timeout: float = 60.0) -> str:
    """Run one Slurm command; its stdout. Raises :class:`SlurmError` with Slurm's own message."""
    if shutil.which(args[0]) is None:
        raise SlurmError(f"{args[0]} not found: {MISSING_ADVICE}")
    try:
        out = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SlurmError(f"{args[0]} did not answer in {timeout:.0f} s (is slurmctld reachable?)") from None
    if out.returncode != 0:
        msg = " ".join((out.stderr or out.stdout).split()) or f"exit code {out.returncode}"
        raise SlurmError(f"{' '.join(args[:2])}: {msg}")
    return out.stdout


@dataclass(frozen=True)
class SlurmJob:
    """What Slurm says about a job."""

    job_id: str
    state: str  # JobState, e.g. PENDING, RUNNING, TIMEOUT
    reason: str = "None"  # Reason (why pending, or why it ended), e.g. Priority, TimeLimit
    exit_code: int = 0
    signal: int = 0
    time_limit: str = ""
    nodes: str = ""

    @property
    def final(self) -> bool:
        return self.state in FINAL

    @property
    def studio_state(self) -> str:
        """``queued``, ``running`` or ``final``."""
        if self.state in QUEUED:
            return "queued"
        return "final" if self.final else "running"

    def describe(self) -> str:
        """``PENDING (Priority)``: the state and, when there is one, Slurm's reason."""
        return self.state if self.reason in ("", "None") else f"{self.state} ({self.reason})"


def parse_scontrol(text: str) -> SlurmJob | None:
    """A job from ``scontrol show job -o ID`` output (None if there is no JobId in it)."""
    values = dict(re.findall(r"(\w+)=(\S*)", text))
    if "JobId" not in values:
        return None
    code, _, sig = values.get("ExitCode", "0:0").partition(":")
    return SlurmJob(
        job_id=values["JobId"],
        state=values.get("JobState", "UNKNOWN").split()[0],
        reason=values.get("Reason", "None"),
        exit_code=int(code or 0) if code.isdigit() else 0,
        signal=int(sig or 0) if sig.isdigit() else 0,
        time_limit=values.get("TimeLimit", ""),
        nodes=values.get("NodeList", ""),
    )


def query(job_id: str) -> SlurmJob | None:
    """The job's state from ``scontrol`` (or ``sacct`` once slurmctld has forgotten it); None if unknown."""
    try:
        job = parse_scontrol(slurm("scontrol", "show", "job", "-o", job_id))
        if job:
            return job
    except SlurmError as exc:
        if "invalid job id" not in str(exc).lower():
            raise
    if shutil.which("sacct") is None:
        return None
    try:
        out = slurm("sacct", "-n", "-X", "-P", "-j", job_id, "-o", "JobID,State,ExitCode,Reason,TimelimitRaw")
    except SlurmError:
        return None  # no accounting storage on this cluster
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) >= 4 and parts[0] == job_id:
            code, _, sig = parts[2].partition(":")
            return SlurmJob(job_id, parts[1].split()[0], parts[3] or "None", int(code or 0), int(sig or 0))
    return None


def outcome(job: SlurmJob | None, summary: dict, aborting: bool, log_tail: str = "") -> tuple[str, str | None, str]:
    """(final status, failure class, message) of an ended job, from Slurm's verdict and the trainer's events.

    The trainer's own last word wins where it has one (succeeded; aborted after Stop & save, with its
    checkpoint); Slurm's verdict explains the ends the trainer could not report (time limit, scancel,
    preemption, a node lost, the cgroup's memory limit).
    """
    state = summary.get("state")
    if state == "succeeded" and (job is None or job.state == "COMPLETED"):
        return "succeeded", None, "finished"
    if state == "aborted":
        return "aborted", "killed", summary.get("message") or "stopped by the user"
    if job is not None:
        where = f"Slurm job {job.job_id} {job.state}, reason {job.reason}"
        if job.state in ("TIMEOUT", "DEADLINE"):
            limit = f" ({job.time_limit})" if job.time_limit else ""
            return "failed", "timeout", reason("timeout", f"{where}: killed at its time limit{limit}")
        if job.state == "CANCELLED":
            if aborting:
                return "aborted", "killed", "aborted by the user (scancel)"
            return "failed", "killed", reason("killed", f"{where}: cancelled outside the studio (scancel)")
        if job.state == "PREEMPTED":
            return "failed", "preempted", reason("preempted", where)
        if job.state == "OUT_OF_MEMORY":
            return "failed", "oom", reason("oom", f"{where}: the job went over its memory limit (--mem)")
        if job.state in ("NODE_FAIL", "BOOT_FAIL"):
            return "failed", "launch", reason("launch", f"{where}: a node of the job failed")
    if aborting:
        return "aborted", "killed", "aborted by the user"
    if summary.get("error_kind"):
        return "failed", summary["error_kind"], summary.get("error") or ""
    if job is None:
        return "failed", "unknown", reason("unknown", "Slurm no longer knows the job and the trainer reported no end")
    code = -job.signal if job.signal else job.exit_code
    kind, message = classify_exit(code, log_tail)
    return "failed", kind, message


def _watcher_alive(pid: int | None, run_id: str) -> bool:
    if not pid:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"backend.run.launchers.slurm_watch" in cmdline and run_id.encode() in cmdline


class SlurmLauncher:
    """Runs as Slurm batch jobs (see the module docstring)."""

    name = "slurm"
    follow_check_s = 30.0  # a follower reconciles this often: its watcher records the end; restart one if it died

    def preview(self, spec, run_dir: str, run_id: str) -> str:
        return build_sbatch_script(spec, run_dir, run_id).script

    def start(self, run, registry, **_local_options):
        """Submit the run (``hardware``, ``turn`` and ``plan`` are the local launcher's: the cluster decides)."""
        from backend.spec import load_spec

        spec = load_spec(run.files.job)
        plan = build_sbatch_script(spec, str(run.path), run.id)
        for name, text in plan.files.items():
            (run.path / name).write_text(text, encoding="utf-8")
        script = run.path / SCRIPT_FILE
        script.write_text(plan.script, encoding="utf-8")
        events_path = run.path / EVENTS_FILE
        offset = events_path.stat().st_size if events_path.exists() else 0
        events = EventWriter(events_path)
        try:
            out = slurm("sbatch", "--parsable", str(script))
        except SlurmError as exc:
            message = f"sbatch failed: {exc}"
            registry.update(run.id, status="queued")
            registry.finish(run.id, "failed", error_kind="launch", error=message)
            events.emit("status", state="failed", message=message, attempt=run.attempt)
            return registry.get(run.id)
        job_id = out.strip().split(";")[0]
        (run.path / STATE_FILE).write_text(
            json.dumps({"job_id": job_id, "attempt": run.attempt, "events_offset": offset, "submitted": time.time()}),
            encoding="utf-8",
        )
        registry.update(run.id, status="queued", job_id=job_id, job_state="PENDING", devices="slurm")
        events.emit("status", state="queued", message=f"submitted to Slurm as job {job_id}", attempt=run.attempt)
        self._spawn_watcher(registry.get(run.id), registry)
        return registry.get(run.id)

    def _spawn_watcher(self, run, registry) -> None:
        env = {k: v for k, v in os.environ.items() if k != "STUDIO_RUN_ID"}  # not one of the run's processes
        with open(run.files.watch_log, "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "backend.run.launchers.slurm_watch", str(run.path), str(registry.home), run.id],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # survives the UI or CLI that submitted the job
                cwd=PROJECT_DIR,
                env=env,
            )
        registry.update(run.id, pid=proc.pid)
        threading.Thread(target=proc.wait, daemon=True).start()  # reap it if it ends while we live

    def refresh(self, run, registry):
        """Ask Slurm about the run's job once and record what changed; the updated row."""
        if run.finished or not run.job_id:
            return run
        job = query(run.job_id)
        events = EventWriter(run.path / EVENTS_FILE)
        if job is not None and not job.final:
            status = job.studio_state
            if run.status == "aborting":
                status = "aborting"
            if job.describe() != run.job_state or status != run.status:
                registry.update(run.id, status=status, job_state=job.describe())
                if status != run.status and status in ("queued", "running"):
                    where = f" on {job.nodes}" if status == "running" and job.nodes else ""
                    events.emit("status", state=status, message=f"Slurm job {job.job_id} {job.describe()}{where}")
            return registry.get(run.id)
        if job is None and self._started_recently(run):
            return run  # just submitted: the controller may not list it for a moment
        self.finalize(run, registry, job)
        return registry.get(run.id)

    def _started_recently(self, run) -> bool:
        info = self._state(run)
        return time.time() - info.get("submitted", 0) < 10

    @staticmethod
    def _state(run) -> dict:
        try:
            return json.loads((run.path / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def finalize(self, run, registry, job: SlurmJob | None) -> None:
        from backend.run.story import log_tail, summarise_events

        summary = summarise_events(run.path, self._state(run).get("events_offset", 0))
        current = registry.get(run.id)
        final, kind, message = outcome(job, summary, current.status == "aborting", log_tail(run, 40))
        code = None if job is None else (-job.signal if job.signal else job.exit_code)
        recorded = registry.finish(
            run.id,
            final,
            exit_code=code,
            error_kind=kind if final != "succeeded" else None,
            error=message if final != "succeeded" else None,
            final_loss=summary.get("final_loss"),
            job_state=job.describe() if job else current.job_state,
        )
        if recorded and summary.get("state") != final:
            EventWriter(run.path / EVENTS_FILE).emit("status", state=final, message=message, exit_code=code)

    def alive(self, run) -> bool:
        if not run.job_id:
            return False
        job = query(run.job_id)
        return job is not None and not job.final

    def schedule(self, registry) -> None:
        """Nothing: Slurm's own scheduler starts a submitted job."""

    def lost(self, run) -> bool:
        """Never known without asking Slurm: the watcher records the end (``follow_check_s``)."""
        return False

    def abort(self, run, registry, grace_s: float = 10.0, save: bool = False, save_timeout_s: float = 600.0):
        if save and run.status in ("starting", "running"):
            from backend.run.stop import request_stop

            run = request_stop(run.id, registry.home)  # the trainer sees the file in the shared run directory
            deadline = time.time() + save_timeout_s
            while not registry.get(run.id).finished and time.time() < deadline:
                time.sleep(0.5)
            if registry.get(run.id).finished:
                return registry.get(run.id)
            run = registry.get(run.id)
        if run.job_id:
            # Before scancel: the watcher must read the CANCELLED that follows as this abort, not as a stranger's.
            registry.update(run.id, status="aborting")
            try:
                slurm("scancel", run.job_id)
            except SlurmError as exc:
                if "invalid job id" not in str(exc).lower():
                    registry.update(run.id, status=run.status)  # as it was: its job may still be running
                    raise
            # Slurm sends SIGTERM, then SIGKILL after its KillWait (30 s by default); wait for its verdict.
            deadline = time.time() + max(grace_s, 5.0) + 35
            job = query(run.job_id)
            while job is not None and not job.final and time.time() < deadline:
                time.sleep(0.5)
                job = query(run.job_id)
            self.finalize(registry.get(run.id), registry, job)
        elif registry.finish(run.id, "aborted", error_kind="killed", error="aborted by the user"):  # never submitted
            EventWriter(run.path / EVENTS_FILE).emit("status", state="aborted", message="aborted by the user")
        return registry.get(run.id)

    def reattach(self, run, registry) -> None:
        if run.finished or _watcher_alive(run.pid, run.id):
            return
        run = self.refresh(run, registry)
        if not run.finished:
            self._spawn_watcher(run, registry)
