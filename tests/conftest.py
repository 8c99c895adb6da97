"""Shared fixtures: an isolated workspace with the builtin tiny model built once per session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def studio_home(tmp_path_factory):
    """A workspace shared by the tests of a session (runs land in it; the tiny model is built once)."""
    home = tmp_path_factory.mktemp("studio-home")
    os.environ["STUDIO_HOME"] = str(home)
    yield home
    # Whatever a failed test left running is stopped: runs are in their own sessions and would outlive pytest.
    from backend.run.queue import abort_run
    from backend.run.registry import ACTIVE_STATES, Registry

    for run in Registry(home).list():
        if run.status in ACTIVE_STATES:
            abort_run(run.id, home, grace_s=5)


@pytest.fixture(scope="session")
def tiny_model(studio_home) -> Path:
    """``builtin:tiny-llama`` built in the session workspace."""
    from backend.builtin import ensure_tiny_model

    return ensure_tiny_model(studio_home)


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


LORA6 = "lora6"


@pytest.fixture(scope="session")
def lora6(studio_home, tiny_model):
    """One six-step tiny LoRA SFT run in the session workspace, named ``lora6`` (checkpoints at steps 3 and 6,
    no validation split). The export, Export-tab and chat tests only read it, so it is trained once."""
    from backend.run.registry import Registry

    proc = run_cli("train", "presets/sft/tiny-lora.yaml", "--set", f"output.run_name={LORA6}",
                   "--set", "data.val_size=0", "--set", "train.max_steps=6", "--set", "train.save_steps=3",
                   home=studio_home)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run,) = [r for r in Registry(studio_home).list() if r.name == LORA6]
    return run


def run_cli(*args: str, home: Path, timeout: float = 600, env: dict | None = None):
    """Run ``python -m cli`` in a subprocess with the given workspace."""
    import subprocess

    full_env = {**os.environ, "STUDIO_HOME": str(home), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def browser():
    """One headless Debian chromium per test module (the browser tests' pages and contexts come from it)."""
    from ui_helpers import chromium

    with chromium() as launched:
        yield launched
