"""Fixed locations and prefixes that need no workspace: the project root, the shipped samples, ``builtin:`` names.

Its own module so that the modules :mod:`backend.workspace` calls on (``backend.builtin`` builds the tiny
model from the samples, ``backend.models.ref`` parses model references) can read these without importing
the workspace back (an import cycle). :mod:`backend.workspace` re-exports every name, which stays the place
to import them from. Standard library only.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLES_DIR = PROJECT_ROOT / "data" / "samples"
BUILTIN_PREFIX = "builtin:"
BUILTIN_MODELS = ("tiny-llama", "tiny-tokenizer")
