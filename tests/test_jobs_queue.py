"""The run queue and fault injection: device sets, the scheduler, killed processes, resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT

from backend.events import read_events
from backend.run.launchers import local
from backend.run.launchers.local import conflicts, device_set, prepare_launch, run_processes, schedule
from backend.run.queue import resume_run, start_run
from backend.run.registry import Registry, Run, create_run
from backend.run.story import log_tail
from backend.spec import apply_overrides, load_spec

# ------------------------------------------------------------------------------------- the scheduler


@pytest.fixture
def fake_spawn(monkeypatch):
    """Record the runs the scheduler would start instead of starting processes."""
    started: list[str] = []
    lock = threading.Lock()

    def spawn(run, registry):
        with lock:
            started.append(run.id)
        registry.update(run.id, status="running")

    monkeypatch.setattr(local, "_spawn", spawn)
    return started


def queued(registry: Registry, tmp_path: Path, name: str, devices: str, status: str = "queued") -> str:
    run_dir = tmp_path / "runs" / name
    run_dir.mkdir(parents=True, exist_ok=True)
    created = time.time() + len(registry.list()) * 1e-3  # creation order = queue order
    registry.insert(Run(name, name, "sft", "lora", None, status, str(run_dir), created, devices=devices))
    return name


def test_runs_wait_for_their_gpus_and_disjoint_sets_run_together(tmp_path, fake_spawn):
    reg = Registry(tmp_path)
    queued(reg, tmp_path, "a", "0")
    queued(reg, tmp_path, "b", "0")  # same GPU as a: waits
    queued(reg, tmp_path, "c", "1")  # another GPU: starts beside a
    queued(reg, tmp_path, "d", "cpu")  # CPU-only runs share the CPU
    queued(reg, tmp_path, "e", "cpu")
    assert schedule(tmp_path) == ["a", "c", "d", "e"]
    assert reg.get("b").status == "queued"
    assert schedule(tmp_path) == []  # nothing freed, nothing starts
    reg.finish("a", "succeeded")
    assert schedule(tmp_path) == ["b"]
    assert fake_spawn == ["a", "c", "d", "e", "b"]


def test_a_waiting_run_reserves_its_gpus_so_later_runs_do_not_overtake(tmp_path, fake_spawn):
    reg = Registry(tmp_path)
    queued(reg, tmp_path, "busy", "1", status="running")
    queued(reg, tmp_path, "wide", "0,1")  # waits for GPU 1
    queued(reg, tmp_path, "narrow", "0")  # GPU 0 is free, but 'wide' asked for it first
    queued(reg, tmp_path, "other", "2")
    assert schedule(tmp_path) == ["other"]
    reg.finish("busy", "succeeded")
    assert schedule(tmp_path) == ["wide"]
    reg.finish("wide", "failed")
    assert schedule(tmp_path) == ["narrow"]


def test_concurrent_schedulers_start_each_run_once(tmp_path, fake_spawn):
    reg = Registry(tmp_path)
    for i in range(12):
        queued(reg, tmp_path, f"r{i:02d}", str(i % 3))  # 3 GPUs, 4 runs each
    threads = [threading.Thread(target=schedule, args=(tmp_path,)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(fake_spawn) == ["r00", "r01", "r02"]  # one per GPU, none twice


def test_device_sets():
    assert device_set(None) == {"cpu"} and device_set("0, 2") == {"gpu:0", "gpu:2"}
    assert not conflicts({"cpu"}, {"cpu"}) and conflicts({"gpu:0", "gpu:1"}, {"gpu:1"})


# ------------------------------------------------------------------------------ real runs, real faults


def wait_for(predicate, timeout: float, what: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def tiny_run(home: Path, name: str, *overrides: str) -> Run:
    spec = apply_overrides(
        load_spec(ROOT / "presets/sft/tiny-lora.yaml"),
        [f"output.run_name={name}", "train.logging_steps=1", "train.eval_steps=0", "data.val_size=0", *overrides],
    )
    return create_run(spec, home)


def losses_by_step(run: Run) -> dict[int, float]:
    events = read_events(run.path / "events.jsonl")
    return {e["step"]: e["loss"] for e in events if e["type"] == "metric" and "loss" in e}


@pytest.mark.slow
def test_a_finishing_run_starts_the_one_queued_for_its_gpu(studio_home, tiny_model):
    reg = Registry(studio_home)
    first = start_run(tiny_run(studio_home, "q-first", "train.max_steps=4"), studio_home)
    # Pretend it holds GPU 0 (this machine has none): the next run asks for the same device.
    reg.update(first.id, devices="0")
    second = tiny_run(studio_home, "q-second", "train.max_steps=2")
    prepare_launch(second, reg)
    reg.update(second.id, status="queued", devices="0")
    assert schedule(studio_home) == []
    assert reg.get(second.id).status == "queued"
    # No UI, no daemon: the first run's supervisor starts the second when it ends.
    wait_for(lambda: reg.get(first.id).finished, 300, "the first run")
    wait_for(lambda: reg.get(second.id).finished, 300, "the queued run")
    assert reg.get(first.id).status == "succeeded" and reg.get(second.id).status == "succeeded"
    assert reg.get(second.id).started >= reg.get(first.id).ended - 1
    states = [e["state"] for e in read_events(second.path / "events.jsonl") if e["type"] == "status"]
    assert states[0] == "starting" and states[-1] == "succeeded"


def trainer_pid(run: Run) -> int | None:
    for pid in run_processes(run.id):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"backend.train" in cmd and b"accelerate.commands.launch" not in b" ".join(cmd):
            return pid
    return None


@pytest.mark.slow
@pytest.mark.scale  # heavier end to end: make test-scale (CI runs both), keeps make test in its budget
def test_killed_trainer_fails_fast_and_resume_continues_the_curve(studio_home, tiny_model):
    reg = Registry(studio_home)
    # LoRA dropout on (0.05): the checkpoint's RNG states replay its random stream after the restart.
    common = ("train.max_steps=16", "train.save_steps=4", "train.num_epochs=50", "train.warmup_ratio=0",
              "method.lora.dropout=0.05")  # fmt: skip
    reference = start_run(tiny_run(studio_home, "resume-ref", *common), studio_home)
    wait_for(lambda: reg.get(reference.id).finished, 300, "the reference run")
    assert reg.get(reference.id).status == "succeeded"

    run = start_run(tiny_run(studio_home, "resume-me", *common), studio_home)
    wait_for(lambda: (run.path / "checkpoints/checkpoint-8/trainer_state.json").exists(), 300, "checkpoint 8")
    pid = wait_for(lambda: trainer_pid(run), 30, "the trainer process")
    os.kill(pid, signal.SIGKILL)
    killed_at = time.time()
    wait_for(lambda: reg.get(run.id).finished, 30, "the killed run to be recorded")
    failed = reg.get(run.id)
    assert failed.status == "failed" and time.time() - killed_at < 15
    assert failed.error, "a reason is recorded"
    step_before = max(losses_by_step(failed))

    resumed = resume_run(run.id, studio_home)
    assert resumed.attempt == 2
    wait_for(lambda: reg.get(run.id).finished, 300, "the resumed run")
    done = reg.get(run.id)
    assert done.status == "succeeded", log_tail(done)
    got, want = losses_by_step(done), losses_by_step(reference)
    assert max(got) == 16 and step_before >= 8
    # The resumed attempt logs from the checkpoint on, and every step's loss is the uninterrupted run's:
    # weights, optimiser, schedule, data position (and, through train.seed, the adapter's init) restored.
    ckpt = int(Path(load_spec(run.path / "job.yaml").train.resume_from_checkpoint).name.split("-")[-1])
    later = range(ckpt + 1, 17)
    assert all(step in got for step in later), sorted(got)
    drift = {step: abs(got[step] / want[step] - 1) for step in later}
    print(f"resumed from checkpoint-{ckpt}; largest relative loss difference {max(drift.values()):.2e}")
    assert max(drift.values()) < 1e-4, drift


@pytest.mark.slow
def test_killing_the_process_that_started_a_run_leaves_it_running(studio_home, tiny_model, tmp_path):
    """kill -9 of the launching process (the CLI here; the UI is the same kind of parent): the run goes on."""
    env = {**os.environ, "STUDIO_HOME": str(studio_home)}
    cli = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli",
            "train",
            "presets/sft/tiny-lora.yaml",
            "--set",
            "train.max_steps=8",
            "--set",
            "output.run_name=orphaned",
            "--set",
            "train.eval_steps=0",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    reg = Registry(studio_home)
    run = wait_for(lambda: next((r for r in reg.list() if r.name == "orphaned" and r.status == "running"), None), 120,
                   "the run to be running")  # fmt: skip
    cli.send_signal(signal.SIGKILL)
    cli.wait(timeout=10)
    wait_for(lambda: reg.get(run.id).finished, 300, "the orphaned run")
    assert reg.get(run.id).status == "succeeded"
    # A UI started afterwards shows the whole run from its files: every logged step is on the plot.
    from studio.runs_view import curves

    frame = curves(reg.get(run.id)).dropna()
    assert len(frame[frame["series"] == "loss"]) == len(losses_by_step(run)) >= 4
