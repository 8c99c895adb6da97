"""Download progress for any client: a poller that sums the sizes of the files under the target folder.

The ModelScope client (and any other that writes into a folder we name) reports nothing we can hook, so the
studio watches the folder instead: about twice a second :class:`FolderPoller` sums the size of every regular
file under it (partial and temporary files included, the studio's own marker excluded) and reports bytes,
total_bytes (when known), speed, eta, elapsed: the same fields as a Hugging Face pull's ``progress`` events.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from backend.models.ref import MARKER


def folder_bytes(folder: Path, skip: tuple[str, ...] = (MARKER,)) -> int:
    """Bytes of the regular files under ``folder`` (recursively, symlinks not followed), ``skip`` names excluded."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            if name in skip:
                continue
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue  # renamed or removed between the listing and the stat: the client is moving it
            if not os.path.islink(os.path.join(root, name)):
                total += st.st_size
    return total


class FolderPoller:
    """``with FolderPoller(folder, total, report):`` calls ``report(sample)`` every ``every_s`` s and once at the end.

    ``total`` (bytes, or None when the client gives no size) caps ``bytes``; ``baseline`` bytes already in the
    folder when it starts (a resumed download) count as done but not towards the speed."""

    def __init__(self, folder: Path, total: int | None, report, every_s: float = 0.5, clock=time.time):
        self.folder, self.total, self.report, self.every_s, self.clock = Path(folder), total, report, every_s, clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._first: tuple[float, int] | None = None
        self._start = clock()

    def sample(self) -> dict:
        done = folder_bytes(self.folder) if self.folder.is_dir() else 0
        if self.total:
            done = min(done, self.total)
        now = self.clock()
        if self._first is None:
            self._first = (now, done)
        t0, b0 = self._first
        speed = (done - b0) / (now - t0) if now > t0 else 0.0
        eta = (self.total - done) / speed if self.total and speed > 0 else None
        eta = None if eta is None else round(eta, 1)
        elapsed = round(now - self._start, 1)
        return {"bytes": done, "total_bytes": self.total or 0, "speed": round(speed, 1), "eta": eta,
                "elapsed": elapsed, "file": ""}  # fmt: skip

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            if self.report:
                self.report(self.sample())

    def __enter__(self):
        self.sample()  # the baseline: what a resumed download already has
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        if self.report:
            self.report(self.sample())
