"""A run's download step: hub models the job names that are not local yet are downloaded before training.

Called by the trainer (``backend.train.__main__``) after it read the job: the global main process runs
``python -m cli models pull ID --events <run>/events.jsonl --step`` once per missing model,
with ``HF_HUB_OFFLINE=0`` for that child only (the trainer itself stays offline), so the download is part of
the run: it shows as status ``downloading`` with ``progress`` events (``phase: download``, bytes,
total_bytes, speed, eta), survives the page being closed, and an abort kills it with the run's process
group. Other ranks wait for the download's marker. A failed download raises :class:`DownloadFailed`
(classified ``model``) with the pull's own one line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from backend.events import EVENTS_FILE
from backend.models.ref import ModelRef, parse_ref
from backend.workspace import PROJECT_ROOT, workspace_home


class DownloadFailed(FileNotFoundError):
    """A model of the job could not be downloaded (a FileNotFoundError naming the model: a ``model`` failure)."""


def job_refs(spec) -> list[tuple[str, str]]:
    """(field, reference) of every model the job loads."""
    m = spec.model
    out = []
    if m.name_or_path and not m.from_scratch:
        out.append(("model.name_or_path", m.name_or_path))
    if m.tokenizer or (m.from_scratch and m.name_or_path):
        out.append(("model.tokenizer", m.tokenizer or m.name_or_path))
    reward = getattr(getattr(spec, "rl", None), "reward_model", None)
    if reward:
        out.append(("rl.reward_model", reward))
    return out


def missing(spec, home: Path) -> list[ModelRef]:
    """The hub models of the job that are not downloaded yet (each once)."""
    refs: dict[str, ModelRef] = {}
    for _, text in job_refs(spec):
        ref = parse_ref(text, home)
        if ref.is_hub and not ref.downloaded(home):
            refs.setdefault(ref.id, ref)
    return list(refs.values())


def fetch_models(spec, run_dir: Path, events, rank: int = 0, poll_s: float = 1.0) -> list[Path]:
    """Download the job's missing hub models (main process), or wait for them (other ranks)."""
    home = workspace_home(spec.output.workspace)
    refs = missing(spec, home)
    if rank != 0:
        while any(not r.downloaded(home) for r in refs):
            time.sleep(poll_s)
        return [r.local_dir(home) for r in refs]
    out = []
    for ref in refs:
        events.emit("status", state="downloading", message=f"downloading {ref.id}", pid=os.getpid())
        cmd = [sys.executable, "-m", "cli", "--home", str(home), "models", "pull", ref.id,
               "--events", str(Path(run_dir) / EVENTS_FILE), "--step"]  # fmt: skip
        env = {**os.environ, "HF_HUB_OFFLINE": "0"}
        proc = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
            raise DownloadFailed(lines[-1][len("error: ") :] if lines else f"model download of {ref.id} failed")
        events.log(f"downloaded {ref.id} to {ref.local_dir(home)}")
        out.append(ref.local_dir(home))
    return out
