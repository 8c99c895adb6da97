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


class DownloadProgress:
    """``with P(...):`` calls ``report(sample)`` every ``every_s`` s from a daemon thread, and once at the end.

    A sample is the fields of a ``progress`` event (bytes, total_bytes, speed, eta, elapsed, file) from
    :meth:`done_bytes`, which subclasses define. Bytes already there when the block starts (a resumed download)
    count as done but not towards the speed. ``total`` (bytes, or None when unknown) caps ``bytes``."""

    def __init__(self, total: int | None, report, every_s: float = 0.5, clock=time.time):
        self.total, self.report, self.every_s, self.clock = total, report, every_s, clock
        self.current = ""  # the file being fetched, when the client says
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._first: tuple[float, int] | None = None
        self._start = clock()

    def done_bytes(self) -> int:
        raise NotImplementedError

    def sample(self) -> dict:
        done = self.done_bytes()
        if self.total:
            done = min(done, self.total)
        now = self.clock()
        if self._first is None:
            self._first = (now, done)
        t0, b0 = self._first
        speed = (done - b0) / (now - t0) if now > t0 else 0.0
        eta = round((self.total - done) / speed, 1) if self.total and speed > 0 else None
        return {"bytes": done, "total_bytes": self.total or 0, "speed": round(speed, 1), "eta": eta,
                "elapsed": round(now - self._start, 1), "file": self.current}  # fmt: skip

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


class FolderPoller(DownloadProgress):
    """Progress of any client writing into ``folder``: the size of every regular file under it (partial and
    temporary files included, the studio's marker excluded)."""

    def __init__(self, folder: Path, total: int | None, report, every_s: float = 0.5, clock=time.time):
        super().__init__(total, report, every_s, clock)
        self.folder = Path(folder)

    def done_bytes(self) -> int:
        return folder_bytes(self.folder) if self.folder.is_dir() else 0
