"""Failure classes of a run and the one human line the UI and CLI show for each; torch-free.

Classes: ``oom`` (with the memory figures), ``data`` (file:line: field), ``model`` (model/tokenizer
files missing), ``config`` (a bad field), ``launch`` (NCCL/gloo/DeepSpeed/torch.distributed/rendezvous,
port in use), ``disk`` (no space left: a checkpoint, the events, the registry or an export could not be
written; the line names the path and the free space), ``killed`` (a signal: an abort, or the kernel's
out-of-memory killer), ``timeout`` and ``preempted`` (a Slurm job ended at its time limit or preempted; see
``backend.run.launchers.slurm``) and ``unknown``.
The trainer classifies its exception (``backend.train.__main__.classify``); when it could not say
anything (killed, crashed in the launcher), :func:`classify_exit` reads the exit code and log tail.
The raw traceback always stays in ``train.log``.
"""

from __future__ import annotations

import errno
import re
import shutil
import signal
from pathlib import Path

TITLES = {
    "oom": "Out of memory",
    "data": "Data error",
    "model": "Model or tokenizer files missing",
    "config": "Invalid job settings",
    "launch": "Distributed launch failed",
    "disk": "Disk full",
    "killed": "Killed",
    "timeout": "Time limit reached",
    "preempted": "Preempted",
    "unknown": "Unexpected error",
}
ADVICE = {
    "oom": "lower train.per_device_batch_size or data.cutoff_len, turn on train.gradient_checkpointing, "
    "or use LoRA/QLoRA or DeepSpeed ZeRO with offload (see `studio preflight`)",
    "data": "fix or remove that record (`studio data inspect FILE` lists every bad one), "
    "or set data.skip_bad_records: true",
    "model": "check model.name_or_path / model.tokenizer: the folder needs config.json, *.safetensors "
    "and tokenizer files",
    "config": "fix the named field in the job YAML",
    "launch": "check that main_process_ip:main_process_port is reachable from every machine and the port "
    "is free, that every machine runs the same job, and the NCCL/gloo lines in train.log",
    "disk": "free space on that filesystem (old runs' checkpoints, exports), lower train.save_total_limit, or "
    "use a workspace on a larger disk (--home); then `studio runs resume` continues from the last checkpoint",
    "killed": "the run was stopped from outside: an abort, or the system ran out of memory (check `dmesg`)",
    "timeout": "resume it from its last checkpoint (`studio runs resume ID`) with a longer "
    "distributed.slurm.time, and set train.save_steps (and train.save_on_sigterm) so it saves before the limit",
    "preempted": "resume it (`studio runs resume ID`), or set distributed.slurm.requeue with train.save_on_sigterm",
    "unknown": "see train.log for the traceback",
}
_LAUNCH = re.compile(
    r"nccl|gloo|deepspeed|torch\.distributed|c10d|rendezvous|process ?group|distnetworkerror|diststoreerror"
    r"|address already in use|eaddrinuse|connection refused|timed out.*(?:init|store|connect)|torchrun"
    r"|childfailederror|master_addr",
    re.I,
)
_OOM = re.compile(r"out of memory|can't allocate memory|cannot allocate memory|outofmemoryerror|memoryerror", re.I)
# ENOSPC/EDQUOT as Python, safetensors ("No space left on device" inside a SafetensorError), SQLite and
# torch.save ("PytorchStreamWriter failed writing file … file write failed") put them.
_DISK = re.compile(
    r"no space left on device|enospc|disk quota exceeded|edquot|database or disk is full|disk i/o error"
    r"|file write failed",
    re.I,
)
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_SIGNAL = re.compile(r"(?:exitcode\s*:\s*-|Signal\s+|signal\s+)(\d+)|Signals\.(SIG[A-Z]+)")


def text_kind(text: str) -> str | None:
    """A failure class read from free text (an exception message or a log tail), or None."""
    if _DISK.search(text):
        return "disk"
    if _OOM.search(text):
        return "oom"
    if _LAUNCH.search(text):
        return "launch"
    return None


def is_disk_error(exc: BaseException) -> bool:
    """Whether an exception means the disk is full: ENOSPC/EDQUOT/EFBIG, SQLite's "database or disk is full" /
    "disk I/O error", or a library's wrapped "No space left on device" (safetensors, torch.save)."""
    seen = set()
    while exc is not None and id(exc) not in seen:  # the cause chain: a wrapper may hide the OSError
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
            return True
        if _DISK.search(f"{type(exc).__name__}: {exc}"):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def free_space(path: str | Path) -> str:
    """Free space of the filesystem holding ``path`` (its nearest existing parent), e.g. ``"12.0 KiB free"``."""
    where = Path(path).absolute()
    while not where.exists() and where != where.parent:
        where = where.parent
    try:
        return f"{human_bytes(shutil.disk_usage(where).free)} free"
    except OSError:
        return "free space unknown"


def human_bytes(n: float) -> str:
    """``1536`` -> ``"1.5 KiB"``: binary units, one decimal."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def disk_path(exc: BaseException) -> str | None:
    """The file an out-of-space error names (an OSError's ``filename`` in the cause chain), or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.filename:
            return str(exc.filename)
        exc = exc.__cause__ or exc.__context__
    return None


def disk_message(exc: BaseException, folder: str | Path) -> str:
    """What happened, for the ``disk`` class, with the path and the free space there:
    ``no space left writing FILE (0 B free): <error>`` when the error names its file, else
    ``no space left under FOLDER (…)``."""
    file = disk_path(exc)
    where = f"writing {file}" if file else f"under {folder}"
    if isinstance(exc, OSError) and exc.strerror:
        what = exc.strerror  # the message without the repeated "[Errno 28]" and file name
    else:
        what = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0][:300]}"
    return f"no space left {where} ({free_space(file or folder)}): {what}"


def reason(kind: str, message: str, advice: str | None = None) -> str:
    """The one human line: ``<title>: <what happened> — <what to do>`` (no newlines). ``advice`` replaces
    the class's advice when the error knows better (a DataError's ``advice``: skipping cannot fix it)."""
    first = " ".join((message or "").split())[:600]
    title = TITLES.get(kind, TITLES["unknown"])
    todo = advice or ADVICE.get(kind, ADVICE["unknown"])
    return f"{title}: {first} — {todo}" if first else f"{title} — {todo}"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def classify_exit(code: int | None, log_tail: str = "") -> tuple[str, str]:
    """(kind, human line) for a run that ended without an error event from the trainer.

    ``code`` is the launcher's exit status (negative: killed by that signal). torchrun reports a worker
    killed by a signal as ``exitcode : -9`` or ``Signal 9 (SIGKILL)`` in the log, with exit status 1.
    """
    if code is not None and code < 0:
        name = _signal_name(-code)
        return "killed", reason("killed", f"the training process got {name}")
    sig = _SIGNAL.search(log_tail or "")
    if sig:
        name = sig.group(2) or _signal_name(int(sig.group(1)))
        extra = " (SIGKILL is what the kernel's out-of-memory killer sends)" if name == "SIGKILL" else ""
        return "killed", reason("killed", f"a training worker got {name}{extra}")
    kind = text_kind(log_tail or "")
    if kind:
        lines = [ln.strip() for ln in (log_tail or "").splitlines() if ln.strip()]
        hit = next((ln for ln in reversed(lines) if text_kind(ln) == kind), lines[-1] if lines else "")
        return kind, reason(kind, hit)
    return "unknown", reason("unknown", f"the training process exited with code {code}")


def field_once(field: str, message: str) -> tuple[str, str]:
    """``(field, message)`` with the field named once: a message that starts with the field itself or a
    deeper field under it (``data.sources[0]`` + ``data.sources[0].path: no such file``) keeps that deeper
    name as the field (``data.sources[0].path``, ``no such file``) instead of printing both."""
    head, sep, rest = message.partition(": ")
    if field and sep and " " not in head and (head == field or head.startswith((f"{field}.", f"{field}["))):
        return head, rest
    return field, message
