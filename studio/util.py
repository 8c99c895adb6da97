"""Small helpers shared by the tabs: the exception guard and the (lazily probed) hardware."""

from __future__ import annotations

import functools
import threading
import traceback

import gradio as gr

from backend.launch import Hardware, detect_hardware
from studio.live import one_line

_hw_lock = threading.Lock()
_hw: Hardware | None = None


def hardware() -> Hardware:
    """This machine's hardware, probed once (in a child process, so torch stays out of the UI)."""
    global _hw
    with _hw_lock:
        if _hw is None:
            _hw = detect_hardware()
        return _hw


def guard(fn):
    """Turn unexpected exceptions into one line on the page (gr.Error); the traceback goes to the log."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever it is, the page gets one line
            traceback.print_exc()
            raise gr.Error(one_line(exc)) from None

    return wrapper
