"""``python -m backend.run.launchers.supervise RUN_DIR HOME RUN_ID``: the leader of a run's process group.

Started by the local launcher (``backend.run.launchers.local``) in a new session. It runs the launch command from
``RUN_DIR/launch.json`` as a child (same process group, so one ``killpg`` reaches every rank),
records ``running`` and the end of the run in the registry, writes a final ``status`` event when
the trainer could not (killed, crashed before writing one), then starts the queued runs that were
waiting for its devices. SIGTERM (an abort) is passed on to the
child's group; the supervisor itself waits for the child so it can record the outcome.

On a full disk the registry and the events cannot be written: the supervisor keeps the outcome and
retries every few seconds until space returns (at most ``STUDIO_DISK_WAIT_S``, default one hour), so
the run ends as the ``disk`` failure it was, not as "process disappeared". A trainer that died without
an error event while the run's filesystem was (nearly) full is classed ``disk`` too.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from backend.events import EVENTS_FILE, EventWriter
from backend.failures import classify_exit, free_space, is_disk_error, reason
from backend.run.launchers.local import run_processes, schedule
from backend.run.registry import Registry
from backend.run.rundir import RunDir
from backend.run.story import LOW_SPACE_BYTES, summarise_events

RETRY_S = 2.0


def say(line: str) -> None:
    """A line in train.log (which is on the full disk too: then it is dropped, never raised)."""
    try:
        print(f"[studio] {time.strftime('%H:%M:%S')} {line}", flush=True)
    except OSError:
        pass


def persist(what: str, write, wait_s: float) -> bool:
    """Call ``write()`` until it succeeds, retrying a full disk for up to ``wait_s``; whether it succeeded."""
    deadline, told = time.time() + wait_s, False
    while True:
        try:
            write()
            return True
        except OSError as exc:
            if not is_disk_error(exc):
                raise
            if time.time() >= deadline:
                say(f"gave up recording {what}: {exc}")
                return False
            if not told:
                say(f"cannot record {what} ({exc}); retrying until space is freed")
                told = True
            time.sleep(RETRY_S)


def low_space(path: Path) -> bool:
    try:
        return shutil.disk_usage(path).free < LOW_SPACE_BYTES
    except OSError:
        return False


def main(argv: list[str]) -> int:
    run_dir, home, run_id = Path(argv[0]), argv[1], argv[2]
    registry = Registry(home)
    wait_s = float(os.environ.get("STUDIO_DISK_WAIT_S", 3600))
    plan = json.loads(RunDir(run_dir).launch.read_text(encoding="utf-8"))
    env = {**os.environ, **plan["env"]}
    aborting = False

    def on_term(signum, frame):
        nonlocal aborting
        aborting = True  # the whole group got the signal too; wait for the child to end

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    say(f"launching: {plan['command']}")
    events_path = run_dir / EVENTS_FILE
    offset = events_path.stat().st_size if events_path.exists() else 0  # where this attempt's events begin
    child = subprocess.Popen(plan["argv"], env=env, stdin=subprocess.DEVNULL)
    persist("running", lambda: registry.update(run_id, status="running", pgid=os.getpgid(0), pid=os.getpid()), 0)
    while True:
        try:
            code = child.wait()
            break
        except InterruptedError:
            continue
    if aborting:
        # The launcher may exit on SIGTERM before its workers do (a trainer saving on SIGTERM): the devices
        # are busy until the last of them is gone, so the queue must not move on before.
        deadline = time.time() + 45
        while run_processes(run_id) and time.time() < deadline:
            time.sleep(0.2)
    summary = summarise_events(run_dir, offset)
    state = summary.get("state")
    if code == 0 and state == "succeeded":
        final, message = "succeeded", "finished"  # done and saved, even if an abort came in at the very end
    elif state == "aborted":  # the trainer stopped on request and saved a checkpoint; its message says where
        final, message = "aborted", summary.get("message") or "stopped by the user"
    elif aborting or _status(registry, run_id) == "aborting":
        final, message = "aborted", "aborted by the user"
    else:
        final = "failed"
        message = summary.get("error")
        if not summary.get("error_kind"):
            # No error event: the trainer was killed (e.g. by the kernel's OOM killer) or died in the launcher.
            tail = RunDir(run_dir).log.read_text(encoding="utf-8", errors="replace")[-20000:]
            summary["error_kind"], message = classify_exit(code, tail)
            if summary["error_kind"] == "unknown" and low_space(run_dir) and (code or 0) > 0:
                # It could not even write its error: the full disk is the likeliest story, and says what to do.
                line = f"the trainer exited with code {code} while {run_dir} was full ({free_space(run_dir)})"
                summary["error_kind"], message = "disk", reason("disk", line)
    say(f"{final}: {message} (exit code {code})")
    recorded = persist(
        "the end of the run in the registry",
        lambda: registry.finish(
            run_id,
            final,
            exit_code=code,
            error_kind=summary.get("error_kind") if final == "failed" else ("killed" if final == "aborted" else None),
            error=message if final != "succeeded" else None,
            final_loss=summary.get("final_loss"),
        ),
        wait_s,
    )
    if state != final:  # the trainer could not say it (killed, aborted, crashed early)
        persist(
            "the final status event",
            lambda: EventWriter(run_dir / EVENTS_FILE).emit("status", state=final, message=message, exit_code=code),
            wait_s if recorded else 0,  # the wait for space is already spent
        )
    try:
        started = schedule(home)  # the devices are free now: the next queued run starts without any UI
    except Exception as exc:  # noqa: BLE001 - this run's outcome is recorded; the queue is retried later
        say(f"could not start queued runs: {exc}")
    else:
        if started:
            say(f"started queued run(s): {', '.join(started)}")
    return 0 if final == "succeeded" else 1


def _status(registry: Registry, run_id: str) -> str | None:
    try:
        return registry.get(run_id).status
    except Exception:  # noqa: BLE001 - an unreadable registry must not stop the outcome from being recorded
        return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
