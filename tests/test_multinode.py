"""Multi-node launch: per-machine commands, the DeepSpeed hostfile plan, and a 2-machine run on loopback."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys

import pytest
from conftest import ROOT

from backend.events import read_events
from backend.launch import Hardware, build_launch
from backend.multinode import deepspeed_hostfile_plan, hostfile_text, node_commands
from backend.spec import SpecError, apply_overrides, load_spec, spec_from_dict

CPU2 = Hardware(gpu_count=0, cpu_count=2)
A100x8 = Hardware(gpu_count=8, bf16_supported=True, cpu_count=64)
RUN = "/runs/job 1"


def make(**distributed):
    base = {"num_machines": 2, "main_process_ip": "10.0.0.1", "main_process_port": 29555}
    return spec_from_dict({"data": {"sources": [{"path": "x.jsonl"}]}, "distributed": base | distributed})


def flag(words, name):
    return words[words.index(name) + 1]


def test_node_commands_differ_only_in_the_machine_rank():
    commands = node_commands(make(num_processes=4, machine_rank=1), RUN, A100x8)
    assert len(commands) == 2
    words = [shlex.split(c) for c in commands]
    for rank, w in enumerate(words):
        assert flag(w, "--machine_rank") == str(rank)
        assert flag(w, "--num_machines") == "2" and flag(w, "--num_processes") == "8"  # all machines' processes
        assert flag(w, "--main_process_ip") == "10.0.0.1" and flag(w, "--main_process_port") == "29555"
        assert "--multi_gpu" in w and w[-3:] == ["-m", "backend.train", RUN]
    strip = [[x for i, x in enumerate(w) if i == 0 or w[i - 1] != "--machine_rank"] for w in words]
    assert strip[0] == strip[1]


def test_node_commands_keep_gpu_selection_and_zero():
    commands = node_commands(make(num_processes=2, gpu_ids=[2, 5], zero_stage=2), RUN, A100x8)
    for command in commands:
        assert command.startswith("CUDA_VISIBLE_DEVICES=2,5 ") and "--gpu_ids 2,5" in command
        assert "--use_deepspeed" in command and "--deepspeed_multinode_launcher standard" in command
    with pytest.raises(SpecError, match="num_machines"):
        node_commands(spec_from_dict({"data": {"sources": [{"path": "x.jsonl"}]}}), RUN, A100x8)


def test_deepspeed_hostfile_plan():
    plan = deepspeed_hostfile_plan(make(num_processes=8, zero_stage=3), RUN, A100x8, ["gpu-a", "gpu-b"])
    assert plan.hostfile == "gpu-a slots=8\ngpu-b slots=8\n"
    words = shlex.split(plan.command.split("&& ", 1)[1])
    assert words[0] == "deepspeed" and flag(words, "--hostfile") == f"{RUN}/hostfile"
    assert flag(words, "--num_nodes") == "2" and flag(words, "--num_gpus") == "8"
    assert flag(words, "--master_addr") == "10.0.0.1" and flag(words, "--master_port") == "29555"
    assert words[-4:] == ["--no_local_rank", "--module", "backend.train", RUN]  # main() takes one argument
    env = dict(line.split("=", 1) for line in plan.deepspeed_env.splitlines())
    assert (
        env["ACCELERATE_USE_DEEPSPEED"] == "true" and env["ACCELERATE_DEEPSPEED_CONFIG_FILE"] == f"{RUN}/deepspeed.json"
    )
    assert env["ACCELERATE_MIXED_PRECISION"] == "bf16" and env["HF_HUB_OFFLINE"] == "1"
    assert set(plan.files) == {"accelerate.json", "deepspeed.json", "hostfile", ".deepspeed_env"}
    picked = deepspeed_hostfile_plan(make(num_processes=2, gpu_ids=[0, 3], zero_stage=2), RUN, A100x8, ["a", "b"])
    assert "--include a:0,3@b:0,3" in picked.command and "--num_gpus" not in picked.command
    with pytest.raises(SpecError, match="zero_stage"):
        deepspeed_hostfile_plan(make(), RUN, A100x8, ["a", "b"])
    with pytest.raises(SpecError, match="hosts"):
        deepspeed_hostfile_plan(make(zero_stage=2), RUN, A100x8, ["a"])
    with pytest.raises(SpecError, match="hosts"):
        hostfile_text(["a b"], 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_machines_on_loopback_train_and_rank0_saves(tmp_path, studio_home, tiny_model):
    """accelerate with num_machines=2, ranks 0 and 1 on 127.0.0.1, one CPU process each (gloo)."""
    spec = apply_overrides(
        load_spec(ROOT / "presets/pt/tiny-scratch.yaml"),
        ["train.max_steps=2", "train.logging_steps=1", "train.eval_steps=0", "train.save_steps=0", "data.val_size=0",
         "distributed.num_machines=2", "distributed.main_process_ip=127.0.0.1",
         f"distributed.main_process_port={free_port()}", f"output.workspace={studio_home}"],
    )  # fmt: skip
    procs, dirs, logs = [], [], []
    try:
        for rank in (0, 1):
            node = apply_overrides(spec, [f"distributed.machine_rank={rank}"])
            run_dir = tmp_path / f"machine{rank}"  # each machine has its own run directory
            run_dir.mkdir()
            node.save(run_dir / "job.yaml")
            plan = build_launch(node, str(run_dir), CPU2)
            for name, text in plan.files.items():
                (run_dir / name).write_text(text, encoding="utf-8")
            logs.append(open(run_dir / "train.log", "wb"))  # noqa: SIM115 - closed in the finally below
            env = {**os.environ, **plan.env, "STUDIO_HOME": str(studio_home)}
            procs.append(subprocess.Popen(plan.argv, cwd=ROOT, env=env, stdout=logs[-1], stderr=subprocess.STDOUT,
                                          start_new_session=True))  # fmt: skip
            dirs.append(run_dir)
        codes = [p.wait(timeout=150) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        for log in logs:
            log.close()
    tails = [(d / "train.log").read_text(errors="replace")[-3000:] for d in dirs]
    assert codes == [0, 0], tails
    events = read_events(dirs[0] / "events.jsonl")
    assert any("2 processes on cpu, 2 machine(s)" in e.get("message", "") for e in events)
    assert events[-1]["state"] == "succeeded"
    assert not (dirs[1] / "events.jsonl").exists() and not (dirs[1] / "model").exists()  # only rank 0 writes
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(dirs[0] / "model")
    assert model.config.hidden_size == 256


@pytest.mark.scale  # two DeepSpeed processes on 2 cores: about a minute
@pytest.mark.slow
def test_what_each_host_of_a_hostfile_launch_runs_trains_with_zero2(tmp_path, studio_home, tiny_model):
    """The hostfile plan's command minus ``--hostfile`` (what pdsh starts on every host), on one machine:
    DeepSpeed's launcher, the ``.deepspeed_env`` variables and ``--module backend.train``, 2 CPU processes."""
    spec = apply_overrides(
        load_spec(ROOT / "presets/pt/tiny-scratch.yaml"),
        ["train.max_steps=2", "train.logging_steps=1", "train.save_steps=2", "data.val_size=0",
         "distributed.num_machines=1", "distributed.num_processes=2", "distributed.zero_stage=2",
         f"distributed.main_process_port={free_port()}", f"output.workspace={studio_home}"],
    )  # fmt: skip
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    spec.save(run_dir / "job.yaml")
    plan = deepspeed_hostfile_plan(spec, str(run_dir), CPU2, ["localhost"])
    for name, text in plan.files.items():
        (run_dir / name).write_text(text, encoding="utf-8")
    argv = list(plan.argv)
    del argv[argv.index("--hostfile") : argv.index("--hostfile") + 2]  # a hostfile makes DeepSpeed ssh to hosts
    exported = dict(line.split("=", 1) for line in plan.deepspeed_env.splitlines())
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])  # the venv's deepspeed
    env = {**os.environ, **exported, "STUDIO_HOME": str(studio_home), "PATH": path}
    with open(run_dir / "train.log", "wb") as log:
        proc = subprocess.run(argv, cwd=run_dir, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=240)
    assert proc.returncode == 0, (run_dir / "train.log").read_text(errors="replace")[-3000:]
    events = read_events(run_dir / "events.jsonl")
    assert any("2 processes on cpu" in e.get("message", "") for e in events) and events[-1]["state"] == "succeeded"
    ckpt = run_dir / "checkpoints" / "checkpoint-2"
    assert (ckpt / "latest").exists() and list(ckpt.glob("global_step2/*optim_states.pt"))  # DeepSpeed engaged
