"""Stop & save: a run asked to stop saves a complete checkpoint at a step boundary, ends as aborted, and a
resume continues from that very step (2 CPU processes, through the real launch path); SIGTERM does the
same when the job says ``train.save_on_sigterm``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from backend.events import STOP_FILE, read_events
from backend.launch import Hardware, build_launch
from backend.run.launchers.local import run_processes
from backend.run.queue import abort_run, resume_run, start_run
from backend.run.registry import Registry, create_run, latest_checkpoint
from backend.run.stop import request_stop
from backend.spec import apply_overrides, load_spec

pytestmark = pytest.mark.slow
TINY_PT = ROOT / "presets/pt/tiny-scratch.yaml"


def wait_for_step(run_dir: Path, step: int, timeout: float = 240) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        events = read_events(run_dir / "events.jsonl")
        if any(e["type"] == "progress" and e.get("step", 0) >= step for e in events):
            return
        time.sleep(0.3)
    pytest.fail(f"{run_dir}: never reached step {step}")


def steps_of(events: list[dict]) -> list[int]:
    return [e["step"] for e in events if e["type"] == "metric" and "loss" in e]


def test_stop_and_save_then_resume_continues_from_the_saved_step(studio_home, tiny_model):
    overrides = [
        "train.max_steps=100000",
        "train.logging_steps=1",
        "train.save_steps=0",  # no periodic checkpoint: the only one is the stop's
        "output.run_name=stop-save",
        "distributed.num_processes=2",
        "data.val_size=0",
    ]
    run = start_run(create_run(apply_overrides(load_spec(TINY_PT), overrides), studio_home), studio_home)
    try:
        wait_for_step(run.path, 2)
        t0 = time.time()
        run = abort_run(run.id, studio_home, save=True, save_timeout_s=120)
        assert time.time() - t0 < 60
    finally:
        abort_run(run.id, studio_home)  # never leave a 100000-step run behind when a check fails
    assert run.status == "aborted" and "checkpoint saved" in (run.error or ""), run.error
    assert run_processes(run.id) == []
    ckpt = latest_checkpoint(run)
    assert ckpt is not None and str(ckpt) in run.error
    saved_step = json.loads((ckpt / "trainer_state.json").read_text())["global_step"]
    assert ckpt.name == f"checkpoint-{saved_step}" and saved_step >= 2
    # The curve ends at the saved step on both ranks' agreement: nothing was logged after it.
    events = read_events(run.path / "events.jsonl")
    assert max(steps_of(events)) == saved_step
    assert [e["state"] for e in events if e["type"] == "status"][-1] == "aborted"
    assert not (run.path / STOP_FILE).exists()  # spent: the next attempt must not stop at once

    # Resume, two more steps: the attempt starts right after the saved step and finishes.
    job = run.path / "job.yaml"
    apply_overrides(load_spec(job), [f"train.max_steps={saved_step + 2}"]).save(job)
    resumed = resume_run(run.id, studio_home)
    deadline = time.time() + 240
    while not Registry(studio_home).get(resumed.id).finished and time.time() < deadline:
        time.sleep(0.5)
    final = Registry(studio_home).get(resumed.id)
    assert final.status == "succeeded", final.error
    resumed_events = read_events(run.path / "events.jsonl")[len(events) :]
    after = steps_of(resumed_events)
    assert after and after[0] == saved_step + 1 and after[-1] == saved_step + 2, after
    assert any("2 processes" in e.get("message", "") for e in resumed_events if e["type"] == "log")
    from transformers import AutoModelForCausalLM  # the DDP run's final save is a loadable model

    model = AutoModelForCausalLM.from_pretrained(run.path / "model")
    assert model.get_input_embeddings().weight.abs().sum() > 0


def test_only_a_running_stoppable_run_can_stop_and_save(studio_home, tiny_model):
    spec = apply_overrides(load_spec(TINY_PT), ["output.run_name=stop-refused"])
    run = create_run(spec, studio_home)
    with pytest.raises(ValueError, match="only a starting or running run"):
        request_stop(run.id, studio_home)
    ppo = create_run(load_spec(ROOT / "presets/ppo/tiny.yaml"), studio_home)
    Registry(studio_home).update(ppo.id, status="running")
    with pytest.raises(ValueError, match="abort it instead"):
        request_stop(ppo.id, studio_home)
    Registry(studio_home).finish(ppo.id, "aborted")


def test_sigterm_saves_a_checkpoint_when_the_job_asks(tmp_path, studio_home, tiny_model):
    """A cluster's preemption, seen by one trainer process: SIGTERM -> checkpoint -> status aborted, exit 0."""
    spec = apply_overrides(
        load_spec(TINY_PT),
        ["train.max_steps=100000", "train.save_steps=0", "data.val_size=0", "train.save_on_sigterm=true"]
        + [f"output.workspace={studio_home}"],
    )
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    spec.save(run_dir / "job.yaml")
    plan = build_launch(spec, str(run_dir), Hardware(gpu_count=0, cpu_count=2))
    env = {**os.environ, **plan.env, "STUDIO_HOME": str(studio_home)}
    with open(run_dir / "train.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "backend.train", str(run_dir)], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_for_step(run_dir, 1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, (run_dir / "train.log").read_text()[-3000:]
    finally:
        proc.kill()
    events = read_events(run_dir / "events.jsonl")
    last = [e for e in events if e["type"] == "status"][-1]
    assert last["state"] == "aborted" and last["checkpoint"], last
    ckpt = Path(last["checkpoint"])
    assert (ckpt / "trainer_state.json").exists() and ckpt.name == f"checkpoint-{last['step']}"
    assert list(ckpt.glob("*.safetensors")), "weights are saved as safetensors"
