"""``python -m backend.train RUN_DIR``: run the job in ``RUN_DIR/job.yaml``, writing events.

Launched by ``accelerate launch`` (see ``backend.launch``); every process runs this, and only the
global main process writes events. Failures end as an ``error`` event with a failure class and one
human line, then a ``failed`` status and exit code 1; the traceback goes to ``train.log``.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
import traceback
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from backend.events import EVENTS_FILE, EventWriter  # noqa: E402
from backend.spec import SpecError, load_spec  # noqa: E402
from backend.stages import STAGES  # noqa: E402


class RunEvents:
    """Event sink of one process: writes on the main process, does nothing on the others."""

    def __init__(self, run_dir: Path, main: bool):
        self.writer = EventWriter(run_dir / EVENTS_FILE) if main else None

    def emit(self, type: str, **fields) -> None:
        if self.writer:
            self.writer.emit(type, **fields)

    def log(self, message: str, level: str = "info", **fields) -> None:
        print(message, flush=True)
        self.emit("log", level=level, message=message, **fields)


def classify(exc: BaseException) -> str:
    """Failure class of an exception: oom, data, model, config or unknown."""
    from backend.data.formats import DataError

    text = f"{type(exc).__name__}: {exc}".lower()
    if isinstance(exc, MemoryError) or "out of memory" in text:
        return "oom"
    if isinstance(exc, DataError):
        return "data"
    if isinstance(exc, SpecError):
        return "config"
    if isinstance(exc, (FileNotFoundError, OSError)) and (
        "model" in text or "tokenizer" in text or "config.json" in text
    ):
        return "model"
    return "unknown"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m backend.train RUN_DIR", file=sys.stderr)
        return 2
    run_dir = Path(argv[0]).resolve()
    events = RunEvents(run_dir, main=int(os.environ.get("RANK", "0")) == 0)
    start = time.time()
    try:
        spec = load_spec(run_dir / "job.yaml")
        events.emit(
            "status", state="running", message=f"stage {spec.stage}, method {spec.method.type}", pid=os.getpid()
        )
        stage = importlib.import_module(STAGES[spec.stage])
        metrics = stage.run(spec, run_dir, events)
    except KeyboardInterrupt:
        events.emit("status", state="aborted", message="interrupted")
        return 130
    except BaseException as exc:  # noqa: BLE001 - every failure must become an event
        traceback.print_exc()
        kind = classify(exc)
        detail = "".join(traceback.format_exception(exc)[-6:])
        events.emit("error", kind=kind, message=f"{type(exc).__name__}: {exc}".splitlines()[0][:500], detail=detail)
        events.emit("status", state="failed", message=f"{kind} error")
        return 1
    events.emit(
        "result", output_dir=metrics.pop("output_dir", None), metrics=metrics, elapsed=round(time.time() - start, 2)
    )
    events.emit("status", state="succeeded", message="finished")
    return 0


if __name__ == "__main__":
    sys.exit(main())
