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
from backend.failures import disk_message, is_disk_error, reason, text_kind  # noqa: E402
from backend.memory import meminfo_gb, peak_rss_mb  # noqa: E402
from backend.quiet import quiet_library_noise  # noqa: E402
from backend.run.rundir import RunDir  # noqa: E402
from backend.spec import SpecError, load_spec  # noqa: E402
from backend.stages import stage_info  # noqa: E402


class RunEvents:
    """Event sink of one process: writes on the main process, does nothing on the others."""

    def __init__(self, run_dir: Path, main: bool):
        self.writer = EventWriter(run_dir / EVENTS_FILE) if main else None

    def emit(self, type: str, **fields) -> None:
        if self.writer:
            try:
                self.writer.emit(type, **fields)
            except OSError as exc:
                if not is_disk_error(exc):
                    raise
                # A full disk must not turn into a second failure: the supervisor classifies the exit
                # (train.log, free space) when the error event could not be written.
                _say(f"[studio] could not write a {type} event: {exc}")

    def log(self, message: str, level: str = "info", **fields) -> None:
        print(message, flush=True)
        self.emit("log", level=level, message=message, **fields)


def _say(line: str) -> None:
    """Print to train.log, which may be on the full disk too (then the line is lost, not raised)."""
    try:
        print(line, file=sys.stderr, flush=True)
    except OSError:
        pass


def classify(exc: BaseException) -> str:
    """Failure class of an exception: oom, data, model, config, launch, disk, killed or unknown (backend.failures)."""
    from backend.data.formats import DataError

    text = f"{type(exc).__name__}: {exc}"
    low = text.lower()
    if is_disk_error(exc):  # before "model": an OSError writing a checkpoint's config.json is not a missing model
        return "disk"
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError" or text_kind(text) == "oom":
        return "oom"
    if isinstance(exc, DataError):
        return "data"
    if isinstance(exc, SpecError):
        return "config"
    if isinstance(exc, (FileNotFoundError, OSError)) and ("model" in low or "tokenizer" in low or "config.json" in low):
        return "model"
    if isinstance(exc, KeyboardInterrupt) or (isinstance(exc, SystemExit) and _signal_code(exc.code)):
        return "killed"  # SIGINT, or an exit with a shell-style signal status (128 + n)
    if _is_distributed_error(exc) or text_kind(text) == "launch":
        return "launch"
    return "unknown"


def _signal_code(code) -> bool:
    return isinstance(code, int) and 128 < code < 128 + 65


def _stopped(exc: BaseException) -> bool:
    stop = sys.modules.get("backend.train.stop")  # loaded by every Trainer-based stage
    return stop is not None and isinstance(exc, stop.Stopped)


def _is_distributed_error(exc: BaseException) -> bool:
    dist = sys.modules.get("torch.distributed")
    base = getattr(dist, "DistError", None) if dist else None
    return bool(base) and isinstance(exc, base)


def memory_figures() -> str:
    """Peak and total memory of this process's device, for an out-of-memory message."""
    torch = sys.modules.get("torch")
    try:
        if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
            dev = torch.cuda.current_device()
            peak = torch.cuda.max_memory_allocated(dev) / 2**30
            total = torch.cuda.get_device_properties(dev).total_memory / 2**30
            return f"peak {peak:.2f} GiB allocated of {total:.2f} GiB on cuda:{dev}"
    except Exception:  # noqa: BLE001 - the figures are a courtesy; never hide the real error
        pass
    rss = peak_rss_mb() / 1024
    avail = meminfo_gb("MemAvailable")
    total = meminfo_gb("MemTotal")
    have = f", {avail:.2f} GiB available of {total:.2f} GiB" if avail is not None and total else ""
    return f"peak RSS {rss:.2f} GiB{have}"


def describe(exc: BaseException, kind: str, run_dir: Path | None = None) -> str:
    """The one human line of the error event (the OOM one carries the memory figures, the disk one the path
    it could not write and the free space there)."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if kind == "disk":
        first = disk_message(exc, run_dir or Path.cwd())
    elif kind == "oom":
        first = f"{first or type(exc).__name__} ({memory_figures()})"
    elif kind in ("unknown", "launch"):
        first = f"{type(exc).__name__}: {first}"
    return reason(kind, first, getattr(exc, "advice", None) if kind == "data" else None)[:900]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m backend.train RUN_DIR", file=sys.stderr)
        return 2
    run_dir = Path(argv[0]).resolve()
    quiet_library_noise()  # renamed-argument FutureWarnings and the like stay out of train.log
    events = RunEvents(run_dir, main=int(os.environ.get("RANK", "0")) == 0)
    start = time.time()
    try:
        spec = load_spec(RunDir(run_dir).job)
        from backend.models.fetch import fetch_models  # hub models not local yet: the run's download step

        fetch_models(spec, run_dir, events, rank=int(os.environ.get("RANK", "0")))
        events.emit(
            "status", state="running", message=f"stage {spec.stage}, method {spec.method.type}", pid=os.getpid()
        )
        info = stage_info(spec.stage)  # the stage table: its recipe module and entry point
        metrics = getattr(importlib.import_module(info.module), info.entry)(spec, run_dir, events)
    except KeyboardInterrupt:
        events.emit("status", state="aborted", message="interrupted")
        return 130
    except BaseException as exc:  # noqa: BLE001 - every failure must become an event
        if _stopped(exc):  # Stop & save: a checkpoint was written; `studio runs resume` continues from it
            events.log(str(exc))
            events.emit("status", state="aborted", message=str(exc), step=exc.step, checkpoint=exc.checkpoint)
            return 0
        try:
            traceback.print_exc()
        except OSError:
            pass  # train.log is on a full disk
        kind = classify(exc)
        detail = "".join(traceback.format_exception(exc)[-6:])
        raw = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        message = describe(exc, kind, run_dir)
        _say(f"[studio] error ({kind}): {message}")
        events.emit("error", kind=kind, message=message, raw=raw, detail=detail, log=RunDir.LOG)
        events.emit("status", state="failed", message=f"{kind} error")
        return 1
    leave_process_group()
    events.emit(
        "result", output_dir=metrics.pop("output_dir", None), metrics=metrics, elapsed=round(time.time() - start, 2)
    )
    events.emit("status", state="succeeded", message="finished")
    return 0


def leave_process_group() -> None:
    """In a multi-process run, every rank waits for the others, then the process group is torn down before the
    interpreter exits. Without it a rank with nothing left to do exits while rank 0 still writes the model, its
    communication threads die mid-use ("terminate called without an active exception", SIGABRT; seen with
    ZeRO-3 on CPU), and torchrun then stops rank 0 too, failing a run that trained and saved."""
    if "torch" not in sys.modules:
        return
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
