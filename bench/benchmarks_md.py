"""Writing benchmark results into BENCHMARKS.md: one section per benchmark, replaced on each ``--write``."""

from __future__ import annotations

import os
import platform
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


def machine_line() -> str:
    """``Machine: x86_64, 2 CPU cores, Python 3.11.7`` (the CPU this process runs on)."""
    return f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, no GPU used, Python {platform.python_version()}"


def replace_section(heading: str, text: str, path: Path = BENCHMARKS) -> None:
    """Replace the ``## `` section whose heading starts with ``heading`` by ``text``, or append ``text``.

    A section runs to the next ``## `` heading; the dated heading of an earlier run is matched by its prefix.
    """
    lines = path.read_text(encoding="utf-8").split("\n") if path.exists() else []
    start = next((i for i, line in enumerate(lines) if line.startswith(heading)), None)
    new = text.rstrip("\n").split("\n")
    if start is None:
        lines = (lines[:-1] if lines and lines[-1] == "" else lines) + ["", *new, ""]
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[start:end] = [*new, ""]
    path.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")
