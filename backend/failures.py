"""Failure classes of a run and the one human line the UI and CLI show for each; torch-free.

Classes: ``oom`` (with the memory figures), ``data`` (file:line: field), ``model`` (model/tokenizer
files missing), ``config`` (a bad field), ``launch`` (NCCL/gloo/DeepSpeed/torch.distributed/rendezvous,
port in use), ``killed`` (a signal: an abort, or the kernel's out-of-memory killer), ``timeout`` and ``preempted`` (a
Slurm job ended at its time limit or preempted; see ``backend.run.launchers.slurm``) and ``unknown``.
The trainer classifies its exception (``backend.train.__main__.classify``); when it could not say
anything (killed, crashed in the launcher), :func:`classify_exit` reads the exit code and log tail.
The raw traceback always stays in ``train.log``.
"""

from __future__ import annotations

import re
import signal

TITLES = {
    "oom": "Out of memory",
    "data": "Data error",
    "model": "Model or tokenizer files missing",
    "config": "Invalid job settings",
    "launch": "Distributed launch failed",
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
_SIGNAL = re.compile(r"(?:exitcode\s*:\s*-|Signal\s+|signal\s+)(\d+)|Signals\.(SIG[A-Z]+)")


def text_kind(text: str) -> str | None:
    """A failure class read from free text (an exception message or a log tail), or None."""
    if _OOM.search(text):
        return "oom"
    if _LAUNCH.search(text):
        return "launch"
    return None


def reason(kind: str, message: str) -> str:
    """The one human line: ``<title>: <what happened> — <what to do>`` (no newlines)."""
    first = " ".join((message or "").split())[:600]
    title = TITLES.get(kind, TITLES["unknown"])
    return f"{title}: {first} — {ADVICE.get(kind, ADVICE['unknown'])}" if first else f"{title} — {ADVICE[kind]}"


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
