"""Where a run's best checkpoint is (``train.keep_best``), for export, chat and evaluate to offer "best".

Light on purpose (no torch, no transformers): the UI process imports it. The Trainer records the best
checkpoint as ``best_model_checkpoint`` in each later checkpoint's ``trainer_state.json`` (only the studio's
:mod:`backend.train.best` sets it: the studio never passes ``metric_for_best_model``); a finished run's
result event also names it as ``best_checkpoint``.
"""

from __future__ import annotations

import json
from pathlib import Path

from backend.run.rundir import RunDir

BEST = "best"


def _step(folder: Path) -> int:
    tail = folder.name.split("-")[-1]
    return int(tail) if tail.isdigit() else -1


def best_checkpoint(run_dir: Path) -> Path | None:
    """The run's best checkpoint folder, if it kept one and it is still on disk."""
    run_dir = Path(run_dir)
    found = None
    states = RunDir(run_dir).checkpoints.glob(RunDir.CHECKPOINT_PREFIX + "*/trainer_state.json")
    for state in sorted(states, key=lambda p: -_step(p.parent)):
        try:
            found = json.loads(state.read_text(encoding="utf-8")).get("best_model_checkpoint")
        except (OSError, ValueError):
            continue
        if found:
            break
    if not found:
        from backend.events import EVENTS_FILE, read_events

        if (run_dir / EVENTS_FILE).exists():
            results = [e for e in read_events(run_dir / EVENTS_FILE) if e.get("type") == "result"]
            found = (results[-1].get("metrics") or {}).get("best_checkpoint") if results else None
    if not found:
        return None
    path = RunDir(run_dir).checkpoints / Path(found).name  # the run folder may have moved since
    return path if path.is_dir() else None
