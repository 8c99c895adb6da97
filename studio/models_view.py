"""The Models tab's logic (no gradio, no torch): downloads as background processes, their progress, the local list.

A download runs ``python -m cli models pull ID --events <workspace>/models/downloads/<slug>.jsonl``
in a session of its own, so it keeps going when the page is closed; its state is read back from that events
file (and its pid file) on every tick, so a reopened page shows it again. Cancel kills the process group
(the partial file stays: the next download of the same id resumes it); Delete removes a downloaded model.
"""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from backend.events import EventReader, EventWriter
from backend.failures import human_bytes
from backend.models.hub import HubError, endpoint_for, is_offline, offline_message, save_setting
from backend.models.local import list_models, remove
from backend.models.ref import RefError, parse_ref
from backend.run.registry import format_duration
from backend.workspace import PROJECT_ROOT
from studio.i18n import tr

DOWNLOADS = ("models", "downloads")
COLUMNS = ["model", "kind", "family", "parameters", "dtype", "size", "chat template", "named template", "path"]


class ModelsTabError(ValueError):
    """A problem the user can fix, as one line for the page."""


def downloads_dir(home) -> Path:
    folder = Path(home).joinpath(*DOWNLOADS)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def slug(ref_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@-]+", "--", ref_id)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:  # a zombie (exited, not yet reaped by this process) is not running
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True


def state_of(events_path: Path) -> dict:
    """What a download's events say: id, state, bytes, total_bytes, speed, eta, message, pid (alive or not)."""
    out = {"id": events_path.stem, "state": "starting", "bytes": 0, "total_bytes": 0, "speed": 0.0, "eta": None,
           "message": "", "pid": None}  # fmt: skip
    reader = EventReader(events_path)
    while batch := reader.read_new():
        for e in batch:
            if e["type"] == "status":
                out["state"], out["message"] = e.get("state", out["state"]), e.get("message", "")
                if e.get("state") == "downloading":
                    out["id"] = (e.get("message") or "").removeprefix("downloading ") or out["id"]
                    out["pid"] = e.get("pid")
            elif e["type"] == "progress":
                out.update({k: e.get(k) for k in ("bytes", "total_bytes", "speed", "eta") if k in e})
            elif e["type"] == "error":
                out["message"] = e.get("message", "")
    running = out["state"] in ("starting", "downloading")
    # Dead, and not just starting (10 s without a word): the process ended without a final status.
    if running and not _alive(out["pid"] or _pid_file(events_path)) and events_path.stat().st_mtime < time.time() - 10:
        out["state"], out["message"] = "failed", out["message"] or "the download process ended unexpectedly"
    return out


def _pid_file(events_path: Path) -> int | None:
    try:
        return int(events_path.with_suffix(".pid").read_text())
    except (OSError, ValueError):
        return None


def downloads(home) -> list[dict]:
    """Every download of the workspace, newest first."""
    files = sorted(downloads_dir(home).glob("*.jsonl"), key=lambda p: p.stat().st_mtime, reverse=True)
    return [state_of(p) for p in files]


def start_download(home, model_id: str, revision: str | None = None, endpoint: str | None = None) -> str:
    """Start a download in the background; the id it runs under. ModelsTabError when it cannot start."""
    model_id = (model_id or "").strip()
    if not model_id:
        raise ModelsTabError("model id: type a hub id, e.g. hf:Qwen/Qwen2.5-0.5B-Instruct")
    try:
        ref = parse_ref(model_id)
        if revision and revision.strip():
            ref = parse_ref(f"{ref.hub}:{ref.repo}@{revision.strip()}") if ref.is_hub else ref
        if endpoint and endpoint.strip():
            endpoint_for(home, endpoint.strip())  # validated before it is used
    except (RefError, HubError) as exc:
        raise ModelsTabError(str(exc)) from exc
    if not ref.is_hub:
        raise ModelsTabError(f"{model_id}: not a hub id (hf:ORG/NAME, ms:ORG/NAME or ORG/NAME)")
    if is_offline():
        raise ModelsTabError(offline_message(ref, Path(home), "model id"))
    events = downloads_dir(home) / f"{slug(ref.id)}.jsonl"
    if events.exists() and state_of(events)["state"] in ("starting", "downloading"):
        raise ModelsTabError(f"{ref.id} is already downloading")
    events.unlink(missing_ok=True)
    EventWriter(events).emit("status", state="starting", message=f"starting {ref.id}")
    argv = [sys.executable, "-m", "cli", "--home", str(home), "models", "pull", ref.id,
            "--events", str(events)]  # fmt: skip
    if endpoint and endpoint.strip():
        argv += ["--endpoint", endpoint.strip()]
    log = open(events.with_suffix(".log"), "w", encoding="utf-8")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(argv, cwd=PROJECT_ROOT, env={**os.environ, "HF_HUB_OFFLINE": "0"}, stdin=subprocess.DEVNULL,
                            stdout=log, stderr=log, start_new_session=True)  # fmt: skip
    log.close()
    events.with_suffix(".pid").write_text(str(proc.pid))
    return ref.id


def cancel_download(home, model_id: str) -> str:
    """Stop a running download (its partial file stays, so downloading it again resumes)."""
    try:
        ref_id = parse_ref((model_id or "").strip()).id
    except RefError as exc:
        raise ModelsTabError(str(exc)) from exc
    events = downloads_dir(home) / f"{slug(ref_id)}.jsonl"
    state = state_of(events) if events.exists() else None
    if not state or state["state"] not in ("starting", "downloading"):
        raise ModelsTabError(f"{ref_id} is not downloading")
    pid = state["pid"] or _pid_file(events)
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError, TypeError):
        pass
    EventWriter(events).emit("status", state="aborted", message="cancelled; downloading it again resumes")
    return ref_id


def delete_model(home, model_id: str) -> str:
    try:
        return str(remove(Path(home), (model_id or "").strip()))
    except (ValueError, RefError) as exc:
        raise ModelsTabError(str(exc)) from exc


def set_endpoint(home, endpoint: str | None) -> str:
    """Store the workspace's hub endpoint (a mirror); empty: back to $HF_ENDPOINT or huggingface.co."""
    try:
        if endpoint and endpoint.strip():
            endpoint_for(home, endpoint.strip())
    except HubError as exc:
        raise ModelsTabError(str(exc)) from exc
    save_setting(Path(home), "endpoint", (endpoint or "").strip() or None)
    return endpoint_for(home)


LABELS = {"en": {"no_downloads": "no downloads"}, "zh": {"no_downloads": "没有下载任务"}}


def downloads_html(items: list[dict]) -> str:
    """One progress bar per download: state, bytes, speed, ETA (or its one-line error)."""
    if not items:
        return f'<div style="color:#6b7280">{html.escape(tr(LABELS, "no_downloads"))}</div>'
    rows = []
    for d in items:
        total, done = d["total_bytes"] or 0, d["bytes"] or 0
        pct = 100.0 * done / total if total else (100.0 if d["state"] == "succeeded" else 0.0)
        text = f"{d['state']} · {human_bytes(done)} / {human_bytes(total)} · {pct:.0f}%"
        if d["state"] == "downloading":
            text += f" · {human_bytes(d['speed'] or 0)}/s · ETA {format_duration(d['eta'], '–')}"
        elif d["message"] and d["state"] != "downloading":
            text += f" · {d['message']}"
        rows.append(
            f'<div class="studio-download" data-state="{html.escape(d["state"])}" style="margin:6px 0">'
            f"<code>{html.escape(d['id'])}</code>"
            '<div style="background:#e5e7eb;border-radius:4px;height:10px;overflow:hidden">'
            f'<div style="width:{pct:.1f}%;height:100%;background:#2563eb"></div></div>'
            f'<div style="font-family:monospace">{html.escape(text)}</div></div>'
        )
    return "".join(rows)


def models_rows(home) -> list[list]:
    """The local list as table rows (``COLUMNS``)."""
    out = []
    for r in list_models(Path(home)):
        params = f"{r['params'] / 1e6:.1f}M" if r["params"] else "?"
        kind = r["kind"] if r["complete"] else "partial"
        own = "yes" if r["chat_template"] else "no"
        out.append([r["ref"], kind, r["family"], params, r["dtype"], human_bytes(r["size"]), own, r["template"] or "-",
                    r["path"]])  # fmt: skip
    return out


def downloaded_choices(home) -> list[tuple[str, str]]:
    """``(label, folder)`` of every complete downloaded model, for the model pickers."""
    from backend.models.local import hub_folders
    from backend.models.ref import MARKER

    return [(f"downloaded · {ref}", str(f)) for ref, f in hub_folders(Path(home)) if (f / MARKER).is_file()]


def model_choices(home) -> list[tuple[str, str]]:
    """``(label, value)`` of every model the Train form's model field can start from: the builtin tiny model,
    complete downloads (their hub id), exports, and finished runs' full models (``runs/<id>/model``; a LoRA
    adapter is no base). Free text stays allowed: a hub id typed there is downloaded first."""
    from backend.models.local import EXPORTS_DIR, hub_folders
    from backend.models.ref import MARKER
    from backend.workspace import BUILTIN_PREFIX

    home = Path(home)
    out = [(f"builtin · {BUILTIN_PREFIX}tiny-llama", f"{BUILTIN_PREFIX}tiny-llama")]
    out += [(f"downloaded · {ref}", ref) for ref, f in hub_folders(home) if (f / MARKER).is_file()]
    exports = home / EXPORTS_DIR
    if exports.is_dir():
        out += [(f"export · {p.name}", str(p)) for p in sorted(exports.iterdir()) if (p / "config.json").is_file()]
    runs = sorted((home / "runs").glob("*/model/config.json"), reverse=True)  # run ids start with their time
    out += [(f"run · {p.parent.parent.name}", str(p.parent)) for p in runs]
    return out


def download_note(spec, home, language: str = "English") -> tuple[str, bool]:
    """The Train preview's line for hub models the job names that are not downloaded yet, and whether it is a
    refusal: they are downloaded first (the run's ``downloading`` step), or, offline, the one line pre-flight
    refuses them with. ``("", False)`` when every model is local."""
    from backend.models.fetch import missing
    from studio.i18n import lookup
    from studio.tabs.models import LABELS

    refs = missing(spec, Path(home))
    if not refs:
        return "", False
    if is_offline():
        return "; ".join(offline_message(r, Path(home), f) for f, r in _fields(spec, refs)), True
    return lookup(LABELS, "download_first", language).format(ids=", ".join(r.id for r in refs)), False


def _fields(spec, refs) -> list[tuple[str, object]]:
    from backend.models.fetch import job_refs

    ids = {r.id: r for r in refs}
    out, seen = [], set()
    for field, text in job_refs(spec):
        try:
            ref = parse_ref(text)
        except RefError:
            continue
        if ref.id in ids and ref.id not in seen:
            seen.add(ref.id)
            out.append((field, ids[ref.id]))
    return out
