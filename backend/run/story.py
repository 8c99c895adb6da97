"""What a run's files say about it: the tail of its log, a summary of its events, and the story of a run
whose processes vanished before anyone recorded its end. Read-only; used by the queue, both launchers and
the front ends."""

from __future__ import annotations

import shutil
from pathlib import Path

from backend.events import EVENTS_FILE, FINAL_STATES, EventReader, read_events
from backend.failures import free_space, reason, text_kind
from backend.run.registry import Run

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
