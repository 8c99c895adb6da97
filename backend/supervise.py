"""``python -m backend.supervise RUN_DIR HOME RUN_ID``: the leader of a run's process group.

Started by ``backend.jobs.start_run`` in a new session. It runs the launch command from
``RUN_DIR/launch.json`` as a child (same process group, so one ``killpg`` reaches every rank),
records ``running`` and the end of the run in the registry, writes a final ``status`` event when
the trainer could not (killed, crashed before writing one), then starts the queued runs that were
waiting for its devices. SIGTERM (an abort) is passed on to the
child's group; the supervisor itself waits for the child so it can record the outcome.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from backend.events import EVENTS_FILE, EventWriter
from backend.failures import classify_exit
from backend.jobs import Registry, run_processes, schedule, summarise_events


def main(argv: list[str]) -> int:
    run_dir, home, run_id = Path(argv[0]), argv[1], argv[2]
    registry = Registry(home)
    plan = json.loads((run_dir / "launch.json").read_text(encoding="utf-8"))
    env = {**os.environ, **plan["env"]}
    aborting = False

    def on_term(signum, frame):
        nonlocal aborting
        aborting = True  # the whole group got the signal too; wait for the child to end

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    print(f"[studio] {time.strftime('%H:%M:%S')} launching: {plan['command']}", flush=True)
    events_path = run_dir / EVENTS_FILE
    offset = events_path.stat().st_size if events_path.exists() else 0  # where this attempt's events begin
    child = subprocess.Popen(plan["argv"], env=env, stdin=subprocess.DEVNULL)
    registry.update(run_id, status="running", pgid=os.getpgid(0), pid=os.getpid())
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
    elif aborting or registry.get(run_id).status == "aborting":
        final, message = "aborted", "aborted by the user"
    else:
        final = "failed"
        message = summary.get("error")
        if not summary.get("error_kind"):
            # No error event: the trainer was killed (e.g. by the kernel's OOM killer) or died in the launcher.
            tail = (run_dir / "train.log").read_text(encoding="utf-8", errors="replace")[-20000:]
            summary["error_kind"], message = classify_exit(code, tail)
    print(f"[studio] {time.strftime('%H:%M:%S')} {final}: {message} (exit code {code})", flush=True)
    registry.finish(
        run_id,
        final,
        exit_code=code,
        error_kind=summary.get("error_kind") if final == "failed" else ("killed" if final == "aborted" else None),
        error=message if final != "succeeded" else None,
        final_loss=summary.get("final_loss"),
    )
    if state != final:  # the trainer could not say it (killed, aborted, crashed early)
        EventWriter(run_dir / EVENTS_FILE).emit("status", state=final, message=message, exit_code=code)
    try:
        started = schedule(home)  # the devices are free now: the next queued run starts without any UI
    except Exception as exc:  # noqa: BLE001 - this run's outcome is recorded; the queue is retried later
        print(f"[studio] could not start queued runs: {exc}", flush=True)
    else:
        if started:
            print(f"[studio] started queued run(s): {', '.join(started)}", flush=True)
    return 0 if final == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
