"""Hub models downloaded on demand by chat, eval and export (``studio chat|eval hf:ORG/NAME``, ``export --base``).

:func:`ensure_local` returns a reference's local folder. A hub model that is not downloaded yet is pulled first
by ``python -m cli models pull ID`` (a process of its own with ``HF_HUB_OFFLINE=0``: the
caller's process may have imported ``huggingface_hub`` offline), writing its events to the Models tab's
``<workspace>/models/downloads/<id>.jsonl``, so the UI shows the bar there while the CLI prints progress on
stderr. When the studio is offline (:func:`backend.models.hub.is_offline`) it refuses with pre-flight's own
line. Light: no torch, no hub client in this process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from backend.models.ref import ModelRef, parse_ref

DOWNLOADS = ("models", "downloads")  # the Models tab's folder of download events (studio.models_view)


class NotDownloaded(FileNotFoundError):
    """A hub model that is not local and cannot be downloaded now: ``str()`` is one line (offline, or the
    pull's own error)."""


def events_path(ref: ModelRef, home: Path) -> Path:
    folder = Path(home).joinpath(*DOWNLOADS)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / (re.sub(r"[^A-Za-z0-9._@-]+", "--", ref.id) + ".jsonl")


def ensure_local(ref: ModelRef | str, home: Path, field: str = "model", echo=None) -> Path:
    """The folder of ``ref`` (a folder, ``builtin:`` built on first use, a hub id downloaded now if needed).

    ``echo(line)`` receives progress lines about every 2 s (default: stderr). Raises :class:`NotDownloaded`
    when the studio is offline or the download fails, ``ValueError`` for an unknown builtin."""
    from backend.workspace import resolve_model_path

    ref = parse_ref(ref, home) if isinstance(ref, str) else ref
    if ref.kind == "builtin":
        return resolve_model_path(ref.text, home)
    if not ref.is_hub or ref.downloaded(home):
        return ref.local_dir(home)
    from backend.models.hub import is_offline, offline_message

    if is_offline():
        raise NotDownloaded(offline_message(ref, home, field))
    return _pull(ref, Path(home), echo or _stderr)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _pull(ref: ModelRef, home: Path, echo) -> Path:
    from backend.models.hub import offline_env

    events = events_path(ref, home)
    events.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "cli", "--home", str(home), "models", "pull", ref.id,
           "--events", str(events)]  # fmt: skip
    from backend.workspace import PROJECT_ROOT

    echo(f"downloading {ref.id} to {ref.local_dir(home)} (progress also in the Models tab)")
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env={**os.environ, **offline_env(False)}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    events.with_suffix(".pid").write_text(str(proc.pid))
    done = threading.Event()
    watcher = threading.Thread(target=_follow, args=(events, echo, done), daemon=True)
    watcher.start()
    try:
        _, err = proc.communicate()
    except BaseException:
        proc.kill()
        raise
    finally:
        done.set()
        watcher.join()
    if proc.returncode != 0 or not ref.downloaded(home):
        lines = [ln for ln in err.splitlines() if ln.startswith("error: ")]
        raise NotDownloaded(lines[-1][len("error: ") :] if lines else f"model download of {ref.id} failed")
    echo(f"downloaded {ref.id}")
    return ref.local_dir(home)


def _follow(events: Path, echo, done: threading.Event, every_s: float = 2.0) -> None:
    """Echo the download's latest progress event every ``every_s`` seconds until ``done``."""
    from backend.events import EventReader
    from backend.models.hub import progress_line

    reader, last, shown = None, None, 0.0
    while not done.wait(0.25):
        if reader is None and events.exists():
            reader = EventReader(events)
        for e in (reader.read_new() if reader else None) or []:
            if e.get("type") == "progress":
                last = e
        if last is not None and time.time() - shown >= every_s:
            echo(progress_line(last))
            shown, last = time.time(), None


def config_for_estimate(text: str, home: Path, timeout_s: float = 60.0) -> tuple[dict | None, str | None]:
    """``(config, None)`` of a hub model not downloaded yet, from its ``config.json`` alone (fetched once by
    ``models config ID`` in a process of its own, cached under ``<workspace>/models/hub-configs/``), or
    ``(None, line)`` saying why there is no estimate (offline, unreachable, ...). ``(None, None)``: not such a model."""
    import json

    from backend.models.hub import config_cache, is_offline, offline_env
    from backend.models.ref import RefError

    try:
        ref = parse_ref(text)
    except RefError:
        return None, None
    if not ref.is_hub or ref.downloaded(home):
        return None, None
    cached = config_cache(ref, home) / "config.json"
    if not cached.is_file():
        if is_offline():
            return None, (f"no estimate: it needs {ref.id}'s config.json, which the studio cannot fetch offline "
                          f"(HF_HUB_OFFLINE=1); the run estimates it once the model is downloaded")  # fmt: skip
        from backend.workspace import PROJECT_ROOT

        cmd = [sys.executable, "-m", "cli", "--home", str(home), "models", "config", ref.id]
        try:
            proc = subprocess.run(cmd, cwd=PROJECT_ROOT, env={**os.environ, **offline_env(False)}, timeout=timeout_s,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True)  # fmt: skip
        except subprocess.TimeoutExpired:
            return None, f"no estimate: fetching {ref.id}'s config.json took over {timeout_s:.0f} s"
        if proc.returncode != 0 or not cached.is_file():
            lines = [ln[len("error: ") :] for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
            return None, f"no estimate: cannot fetch {ref.id}'s config.json ({lines[-1] if lines else 'failed'})"
    try:
        return json.loads(cached.read_text(encoding="utf-8")), None
    except (OSError, ValueError) as exc:
        return None, f"no estimate: {cached}: {exc}"
