"""One rule for how every ``studio`` command fails: a single ``error:`` line and exit status 2.

The studio's own errors (DataError, ChatError, ExportError, TokenizerError, SpecError …) are all
ValueErrors and print their message alone; an OSError does too (a missing file says so). Anything
else prints its class name before the message, so a bug is still recognisable without a traceback.
A full disk (ENOSPC, SQLite's "database or disk is full", safetensors' "No space left on device") is
the ``disk`` failure class: ``error: [disk] Disk full: no space left writing PATH (N MiB free): …``.
``STUDIO_DEBUG=1`` re-raises for the full traceback; Ctrl-C exits with 130.
"""

from __future__ import annotations

import functools
import os
import sys

from backend.failures import disk_message, is_disk_error, reason


def disk_line(exc: BaseException, where=None) -> str:
    """The one line for a full disk: class ``disk``, the path that could not be written, the free space there."""
    return "[disk] " + reason("disk", disk_message(exc, where or os.environ.get("STUDIO_HOME") or os.getcwd()))


def one_line_errors(func):
    """Wrap a ``func(args) -> int`` command so that any failure is one ``error:`` line, exit 2."""

    @functools.wraps(func)
    def run(args) -> int:
        try:
            return func(args)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        except Exception as exc:  # noqa: BLE001 - the CLI promises one line, not a traceback
            if os.environ.get("STUDIO_DEBUG"):
                raise
            if is_disk_error(exc):
                print(f"error: {disk_line(exc, getattr(args, 'out', None) or getattr(args, 'home', None))}",
                      file=sys.stderr)  # fmt: skip
                return 2
            text = str(exc) if isinstance(exc, (OSError, ValueError)) else f"{type(exc).__name__}: {exc}"
            first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
            print(f"error: {first}", file=sys.stderr)
            return 2

    return run
