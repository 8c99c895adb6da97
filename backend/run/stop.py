"""Stop & save: ask a running run to save a resumable checkpoint and end (the request file in its directory).

The trainer (:mod:`backend.train.stop`) polls for the file, so this works wherever the run's processes live:
on this machine or on a cluster's nodes that share the run directory.
"""

from __future__ import annotations

import json
import os
import time

from backend.events import EVENTS_FILE, STOP_FILE, EventWriter
from backend.run.registry import Registry, Run
from backend.spec import load_spec
from backend.stages import stages_where

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
