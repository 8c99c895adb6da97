"""Typed training events: the only thing a running job tells the outside world.

The trainer appends one JSON object per line to ``runs/<id>/events.jsonl``; readers (the studio, the
CLI) follow the file from a byte offset, so a tick costs only the new bytes. Every event has ``type``
and ``time`` (Unix seconds); the other keys depend on the type:

* ``status``: ``state`` (starting, running, succeeded, failed, aborted), ``message``
* ``log``: ``level``, ``message``
* ``progress``: ``step``, ``total_steps``, ``epoch``, ``elapsed``, ``eta`` (seconds)
* ``metric``: ``step``, ``total_steps``, ``epoch``, and any of ``loss``, ``learning_rate``,
  ``grad_norm``, ``tokens_per_s``, ``eval_loss`` …, plus ``elapsed`` and ``eta``
* ``checkpoint``: ``step``, ``path``
* ``result``: ``output_dir``, ``metrics`` (final figures), ``elapsed``
* ``error``: ``kind``, ``message`` (one human line), ``detail`` (traceback tail)

This module is imported by both sides of the run directory and must stay free of torch.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

EVENT_TYPES = ("status", "log", "progress", "metric", "checkpoint", "result", "error")
FINAL_STATES = ("succeeded", "failed", "aborted")
EVENTS_FILE = "events.jsonl"
# The one message the other way, studio -> trainer: "save a checkpoint and stop" (see backend.train.stop).
STOP_FILE = "stop_request.json"


def make_event(type: str, **fields: Any) -> dict[str, Any]:
    """Build an event dict, checking the type; ``time`` defaults to now."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}; expected one of {EVENT_TYPES}")
    event = {"type": type, "time": fields.pop("time", None) or time.time()}
    event.update({k: v for k, v in fields.items() if v is not None})
    return event


class EventWriter:
    """Appends events to a JSONL file, one ``write`` + flush per event (safe to tail while written)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Line-buffered append: each event reaches the file as one complete line.
        self._fh = open(self.path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - closed in close()

    def emit(self, type: str, **fields: Any) -> dict[str, Any]:
        """Write one event and return it."""
        event = make_event(type, **fields)
        self._fh.write(json.dumps(event, ensure_ascii=False, allow_nan=False, default=str) + "\n")
        self._fh.flush()
        return event

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# Fields every reader formats or does arithmetic with: a line whose value has another type is not an event.
_NUMBERS = ("time", "step", "total_steps", "epoch", "elapsed", "eta", "exit_code", "attempt", "loss", "eval_loss",
            "learning_rate", "grad_norm", "tokens_per_s")  # fmt: skip
_TEXTS = ("state", "message", "level", "kind", "path", "output_dir", "raw", "detail", "checkpoint")
_MAPPINGS = ("metrics", "mix_share", "mix_tokens", "mix_plan")


def is_event(obj: Any) -> bool:
    """Whether a parsed JSON line is an event every reader can use.

    A JSON object with a known ``type`` whose shared fields have the right type (a numeric ``time``,
    numbers for step/loss/…, strings for message/state/…, objects for metrics/mix figures). Valid JSON
    that is not such an object (``[1, 2, 3]``, ``null``, ``"x"``, a log whose message is a list, a metric
    whose time is a string) is not an event: readers skip it instead of failing on it.
    """
    if not isinstance(obj, dict) or obj.get("type") not in EVENT_TYPES:
        return False
    for key in _NUMBERS:
        if key in obj and obj[key] is not None and not _is_number(obj[key]):
            return False
    for key in _TEXTS:
        if key in obj and obj[key] is not None and not isinstance(obj[key], str):
            return False
    for key in _MAPPINGS:
        if key in obj and not isinstance(obj[key], dict):
            return False
    plan = obj.get("mix_plan")
    return plan is None or (isinstance(plan.get("names"), list) and isinstance(plan.get("shares"), list))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class EventReader:
    """Follows an events file from a byte offset; returns only complete new lines that are events.

    A partly written last line is left for the next call; a corrupt line, or valid JSON that is not an
    event (:func:`is_event`), is skipped (counted in ``skipped``), so a reader never fails because of a
    writer that was killed mid-line or a line some other program appended. Every reader of events (the
    CLI, the Train and Runs tabs, the supervisor, export) reads through this class.
    """

    def __init__(self, path: str | os.PathLike, offset: int = 0):
        self.path = Path(path)
        self.offset = offset
        self.skipped = 0

    def read_new(self, max_bytes: int = 8 << 20) -> list[dict[str, Any]]:
        """Events appended since the last call (at most ``max_bytes`` of them per call)."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read(max_bytes)
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n")
        if end < 0:
            return []
        self.offset += end + 1
        events = []
        for line in chunk[: end + 1].splitlines():
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
                event = None  # RecursionError: json's C decoder on a very deeply nested line
            if is_event(event):
                events.append(event)
            else:
                self.skipped += 1
        return events


def read_events(path: str | os.PathLike) -> list[dict[str, Any]]:
    """All complete events of a file."""
    reader = EventReader(path)
    out: list[dict[str, Any]] = []
    while batch := reader.read_new():
        out.extend(batch)
    return out
