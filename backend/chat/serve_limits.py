"""The limits of ``studio serve`` (flags and ``STUDIO_SERVE_*`` variables), apart from the server so that
building the CLI parser imports neither FastAPI nor pydantic."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass
class Limits:
    """What one server accepts; every field is a ``studio serve`` flag and a ``STUDIO_SERVE_*`` variable."""

    max_body_bytes: int = 1_048_576  # a request body (JSON); more is a 413
    max_queue: int = 32  # requests waiting for or running on the model; more is a 429
    max_tokens: int | None = None  # the most tokens one reply may have (None: what the model's context leaves)
    max_stop_strings: int = 16
    max_stop_chars: int = 200


ENV = {"max_body_bytes": "STUDIO_SERVE_MAX_BODY_BYTES", "max_queue": "STUDIO_SERVE_MAX_QUEUE",
       "max_tokens": "STUDIO_SERVE_MAX_TOKENS", "max_stop_strings": "STUDIO_SERVE_MAX_STOP_STRINGS",
       "max_stop_chars": "STUDIO_SERVE_MAX_STOP_CHARS"}  # fmt: skip


def env_default(name: str, default):
    """The ``studio serve`` flag default for Limits field ``name``: its environment variable, else ``default``."""
    return os.environ.get(ENV[name], default)
