"""End to end through the real launch path: CLI -> registry -> supervisor -> accelerate -> trainer -> events."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from backend.events import read_events
from backend.run.launchers.local import group_alive, run_processes
from backend.run.queue import abort_run, start_run
from backend.run.registry import Registry, create_run
from backend.spec import apply_overrides, load_spec


def only_run(home: Path, name: str):
    runs = [r for r in Registry(home).list() if r.name == name]
    assert len(runs) == 1, runs
    return runs[0]


def losses(events) -> list[float]:
    return [e["loss"] for e in events if e["type"] == "metric" and "loss" in e]


def check_events(run_dir: Path) -> list[dict]:
    events = read_events(run_dir / "events.jsonl")
    steps = [e["step"] for e in events if e["type"] in ("progress", "metric") and "step" in e]
    assert steps and steps == sorted(steps), "steps are monotone"
    states = [e["state"] for e in events if e["type"] == "status"]
    assert states[:2] == ["queued", "starting"] and states[-1] == "succeeded", states
    assert any(e["type"] == "result" for e in events)
    return events


def test_cli_sft_lora_run_finishes_and_loss_falls(studio_home, tiny_model):
    proc = run_cli(
        "train",
        "presets/sft/tiny-lora.yaml",
        "--set",
        "train.max_steps=24",
        "--set",
        "train.logging_steps=2",
        "--set",
        "output.run_name=e2e-lora",
        "--set",
        "train.eval_steps=12",
        home=studio_home,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = only_run(studio_home, "e2e-lora")
    assert run.status == "succeeded" and run.exit_code == 0
    events = check_events(run.path)
    loss = losses(events)
    assert len(loss) >= 5
    assert sum(loss[-3:]) / 3 < loss[0] - 0.5, loss  # it learns, not just runs
    assert any("eval_loss" in e for e in events if e["type"] == "metric")
    assert (run.path / "adapter" / "adapter_model.safetensors").exists()
    assert list((run.path / "tensorboard").rglob("events.out.tfevents.*")), "TensorBoard logs by default"
    assert not list(run.path.rglob("*.bin")), "weights are safetensors only"
    assert run.final_loss == pytest.approx(loss[-1])
    assert "succeeded" in proc.stdout
    listing = run_cli("runs", "list", home=studio_home)
    assert run.id in listing.stdout and "succeeded" in listing.stdout


@pytest.mark.scale  # two DeepSpeed processes on 2 cores: about a minute
@pytest.mark.slow
@pytest.mark.parametrize("zero_stage", [3])
def test_two_process_cpu_run_finishes(studio_home, tiny_model, zero_stage):
    """DeepSpeed ZeRO-3 over two CPU processes; the ZeRO-3 save gathers real weights. (Plain DDP over two
    processes runs to the end in tests/test_stop_save.py, after its stop and resume.)"""
    proc = run_cli(
        "train",
        "presets/pt/tiny-scratch.yaml",
        "--set",
        "train.max_steps=6",
        "--set",
        "train.logging_steps=1",
        "--set",
        "distributed.num_processes=2",
        "--set",
        f"output.run_name=e2e-ddp-z{zero_stage}",
        "--set",
        "data.val_size=0",
        "--set",
        "train.save_steps=0",
        "--set",
        f"distributed.zero_stage={zero_stage}",
        home=studio_home,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = only_run(studio_home, f"e2e-ddp-z{zero_stage}")
    events = check_events(run.path)
    assert any("2 processes" in e.get("message", "") for e in events if e["type"] == "log")
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(run.path / "model")
    weights = model.get_input_embeddings().weight
    assert weights.shape[0] == model.config.vocab_size and weights.abs().sum() > 0  # not an empty ZeRO shard
    with torch.no_grad():
        assert torch.isfinite(model(torch.tensor([[1, 2, 3]])).logits).all()


def test_bad_spec_is_refused_before_launch(studio_home, tmp_path):
    job = tmp_path / "bad.yaml"
    job.write_text("data:\n  sources: [{path: x.jsonl}]\ntrain:\n  learning_rate: -1\n")
    before = len(Registry(studio_home).list())
    proc = run_cli("train", str(job), home=studio_home)
    assert proc.returncode == 2
    assert "train.learning_rate" in proc.stderr and "Traceback" not in proc.stderr
    assert len(Registry(studio_home).list()) == before


def test_data_error_fails_the_run_with_a_reason(studio_home, tiny_model, tmp_path):
    data = tmp_path / "broken.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    spec = apply_overrides(
        load_spec(ROOT / "presets/sft/tiny-lora.yaml"),
        [f"data.sources=[{{path: {data}}}]", "output.run_name=e2e-bad-data"],
    )
    run = start_run(create_run(spec, studio_home), studio_home)
    deadline = time.time() + 180
    while not Registry(studio_home).get(run.id).finished and time.time() < deadline:
        time.sleep(0.5)
    run = Registry(studio_home).get(run.id)
    assert run.status == "failed"
    assert run.error_kind == "data" and "no assistant turn" in run.error and str(data) in run.error


def test_cli_preflight_refuses_bad_data_before_a_run_exists(studio_home, tiny_model, tmp_path):
    data = tmp_path / "broken.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    before = len(Registry(studio_home).list())
    proc = run_cli("train", "presets/sft/tiny-lora.yaml", "--set", f"data.sources=[{{path: {data}}}]", home=studio_home)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "pre-flight failed" in proc.stderr and f"{data}:1" in proc.stderr and "Traceback" not in proc.stderr
    assert len(Registry(studio_home).list()) == before


def test_abort_stops_every_process_of_the_run(studio_home, tiny_model):
    spec = apply_overrides(
        load_spec(ROOT / "presets/pt/tiny-scratch.yaml"),
        ["train.max_steps=100000", "output.run_name=e2e-abort", "distributed.num_processes=2", "data.val_size=0"],
    )
    run = start_run(create_run(spec, studio_home), studio_home)
    try:
        _abort_checks(run, studio_home)
    finally:
        abort_run(run.id, studio_home)  # never leave a 100000-step run behind when a check fails


def _abort_checks(run, studio_home) -> None:
    deadline = time.time() + 240
    while time.time() < deadline:
        events = read_events(run.path / "events.jsonl")
        if any(e["type"] == "progress" and e.get("step", 0) > 0 for e in events):
            break
        time.sleep(0.5)
    else:
        pytest.fail("the run never made progress")
    pgid = Registry(studio_home).get(run.id).pgid
    pids = run_processes(run.id)
    # supervisor, launcher (torchrun) and 2 workers; torchrun puts each worker in a session of its own
    assert len(pids) >= 4, pids
    assert len({_pgid(p) for p in pids}) >= 2
    t0 = time.time()
    run = abort_run(run.id, studio_home)
    assert time.time() - t0 < 15
    assert run.status == "aborted"
    assert not group_alive(pgid) and run_processes(run.id) == []
    for pid in pids:
        assert not _alive(pid), pid
    states = [e["state"] for e in read_events(run.path / "events.jsonl") if e["type"] == "status"]
    assert states[-1] == "aborted"


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def test_killed_supervisor_is_reconciled_as_failed(studio_home, tiny_model):
    from backend.run.queue import reconcile

    spec = apply_overrides(
        load_spec(ROOT / "presets/pt/tiny-scratch.yaml"), ["train.max_steps=100000", "output.run_name=e2e-kill"]
    )
    run = start_run(create_run(spec, studio_home), studio_home)
    time.sleep(1.0)
    for pid in run_processes(run.id):  # the whole run dies at once, as if the machine killed it
        os.kill(pid, signal.SIGKILL)
    deadline = time.time() + 10
    while group_alive(run.pgid) and time.time() < deadline:
        time.sleep(0.1)
    reconcile(studio_home)
    run = Registry(studio_home).get(run.id)
    assert run.status == "failed" and "process disappeared" in run.error
