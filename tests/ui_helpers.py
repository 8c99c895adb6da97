"""Helpers shared by the UI tests (gradio_client and browser): a free port, webui.py in a subprocess with
its own workspace, and a very small model and dataset so that runs started from the UI take seconds."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Debian's chromium, driven by Playwright's Python package (never `playwright install`).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]


@contextlib.contextmanager
def chromium():
    """A headless Debian chromium for the block, closed afterwards."""
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    """A TCP port that is free on loopback now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(home: Path, **extra: str) -> dict:
    """The environment of a studio subprocess using workspace ``home`` (no inherited credentials)."""
    env = {k: v for k, v in os.environ.items() if k != "STUDIO_AUTH"}
    return env | {"STUDIO_HOME": str(home), "GRADIO_ANALYTICS_ENABLED": "False"} | extra


@dataclass
class Server:
    """A running webui.py: its URL, workspace, process, first HTTP status and cold-start seconds."""

    url: str
    home: Path
    proc: subprocess.Popen
    status: int | None
    seconds: float | None


def start_server(home: Path, timeout: float = 90.0, args: tuple[str, ...] = (), **env: str) -> Server:
    """Start ``webui.py`` on a free port with workspace ``home``; return once it answers HTTP (or gave up)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "webui.py", "--port", str(port), "--home", str(home), *args],
        cwd=ROOT,
        env=env_for(home, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    status, seconds = None, None
    while time.perf_counter() - t0 < timeout and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                status, seconds = resp.status, time.perf_counter() - t0
                break
        except OSError:
            time.sleep(0.05)
    return Server(url, home, proc, status, seconds)


def stop_server(server: Server) -> None:
    """Stop the server process (runs it started live on in their own process groups)."""
    server.proc.terminate()
    try:
        server.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.proc.kill()


def abort_active_runs(home: Path) -> None:
    """Abort every run still active in ``home`` (so no training outlives a test)."""
    from backend.run.queue import abort_run
    from backend.run.registry import ACTIVE_STATES, Registry

    for run in Registry(home).list():
        if run.status in ACTIVE_STATES:
            abort_run(run.id, home, grace_s=5)


def build_tiny_model(home: Path) -> Path:
    """A very small tokenizer + Llama under <home>/models (as backend.builtin publishes them), and a corpus.

    ``builtin:tiny-llama`` then resolves to this model, so a run from the UI trains in seconds.
    """
    from backend.builtin import build_tiny_model as build_model
    from backend.builtin import train_tokenizer

    rows = [
        {
            "messages": [
                {"role": "user", "content": f"What is {i} plus {i}? 请计算 {i} 加 {i}。"},
                {"role": "assistant", "content": f"{i} plus {i} is {2 * i}. 答案是 {2 * i}。"},
            ]
        }
        for i in range(64)
    ]
    data = home / "datasets" / "sft.jsonl"
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    tokenizer = train_tokenizer([m["content"] for r in rows for m in r["messages"]] * 4, vocab_size=512)
    arch = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2)
    arch |= dict(num_key_value_heads=2, max_position_embeddings=512, tie_word_embeddings=True, rope_theta=1e4)
    for name in ("tiny-tokenizer", "tiny-llama"):
        target = home / "models" / name
        tokenizer.save_pretrained(target)
        if name == "tiny-llama":
            build_model(tokenizer, arch=arch).save_pretrained(target)
        (target / ".complete").write_text("ok\n")
    return data
