"""Unit tests of backend.launch: argv, env and files of the launch plan (pure; no subprocesses)."""

import ast
import json
import shlex
from pathlib import Path
from types import SimpleNamespace

import pytest

from backend import launch
from backend.launch import Hardware, LaunchPlan, build_launch, deepspeed_config, detect_hardware, resolve_precision
from backend.spec import SpecError, spec_from_dict

PY = "/venv/bin/python"
RUN = "/runs/job 1"  # a space, so quoting matters
CPU2 = Hardware(gpu_count=0, bf16_supported=False, cpu_count=2)
A100x8 = Hardware(gpu_count=8, bf16_supported=True, cpu_count=64)
V100x4 = Hardware(gpu_count=4, bf16_supported=False, cpu_count=32)


def make(distributed=None, **train):
    return spec_from_dict(
        {"data": {"sources": [{"path": "x.jsonl"}]}, "distributed": distributed or {}, "train": train}
    )


def plan(hw, distributed=None, **train) -> LaunchPlan:
    return build_launch(make(distributed, **train), RUN, hw, python=PY)


def flag(argv, name):
    """The value after ``name`` in argv (None when absent)."""
    return argv[argv.index(name) + 1] if name in argv else None


def assert_frame(p: LaunchPlan):
    assert p.argv[:3] == [PY, "-m", "accelerate.commands.launch"]
    assert p.argv[-3:] == ["-m", "backend.train", RUN]
    assert flag(p.argv, "--config_file") == f"{RUN}/accelerate.json"
    assert flag(p.argv, "--dynamo_backend") == "no"
    for k in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        assert p.env[k] == "1"
    assert p.env["TOKENIZERS_PARALLELISM"] == "false" and p.env["PYTHONUNBUFFERED"] == "1"
    assert json.loads(p.files["accelerate.json"])["compute_environment"] == "LOCAL_MACHINE"


def test_cpu_one_process():
    p = plan(CPU2)
    assert_frame(p)
    assert p.precision == "fp32"
    assert "--cpu" in p.argv and "--multi_gpu" not in p.argv and "--use_deepspeed" not in p.argv
    assert flag(p.argv, "--num_processes") == "1" and flag(p.argv, "--mixed_precision") == "no"
    assert "--main_process_port" not in p.argv
    assert p.env["DS_ACCELERATOR"] == "cpu" and p.env["ACCELERATE_USE_CPU"] == "true"
    # one plain process has no process group: ddp_backend would crash it, OMP is left to accelerate
    assert "STUDIO_DDP_BACKEND" not in p.env and "OMP_NUM_THREADS" not in p.env
    assert set(p.files) == {"accelerate.json"}


def test_cpu_two_processes_use_torchrun_with_gloo():
    p = plan(CPU2, {"num_processes": 2})
    assert_frame(p)
    # --cpu would start only one process; --multi_gpu (torchrun) + ACCELERATE_USE_CPU starts two CPU workers
    assert "--multi_gpu" in p.argv and "--cpu" not in p.argv
    assert flag(p.argv, "--num_processes") == "2" and flag(p.argv, "--main_process_port") == "29500"
    assert p.env["STUDIO_DDP_BACKEND"] == "gloo" and p.env["DS_ACCELERATOR"] == "cpu"
    assert p.env["ACCELERATE_USE_CPU"] == "true" and p.env["OMP_NUM_THREADS"] == "1"
    assert plan(Hardware(cpu_count=16), {"num_processes": 3}).env["OMP_NUM_THREADS"] == "5"


def test_cpu_zero2_keeps_deepspeed_on():
    p = plan(CPU2, {"num_processes": 2, "zero_stage": 2})
    assert "--use_deepspeed" in p.argv and "--cpu" not in p.argv and "--multi_gpu" not in p.argv
    assert "ACCELERATE_USE_CPU" not in p.env  # it would make accelerate skip DeepSpeed
    assert p.env["STUDIO_DDP_BACKEND"] == "gloo" and p.env["DS_ACCELERATOR"] == "cpu"
    cfg = json.loads(p.files["deepspeed.json"])
    assert cfg["bf16"] == {"enabled": False} and cfg["fp16"] == {"enabled": False}


def test_gpu_one_process_bf16_auto():
    p = plan(A100x8)
    assert_frame(p)
    assert p.precision == "bf16" and flag(p.argv, "--mixed_precision") == "bf16"
    assert not {"--cpu", "--multi_gpu", "--use_deepspeed", "--gpu_ids"} & set(p.argv)
    assert not {"DS_ACCELERATOR", "STUDIO_DDP_BACKEND", "ACCELERATE_USE_CPU", "CUDA_VISIBLE_DEVICES"} & set(p.env)
    assert plan(V100x4).precision == "fp16"


def test_gpu_four_process_zero2_offload():
    p = plan(A100x8, {"num_processes": 4, "zero_stage": 2, "offload_optimizer": True}, gradient_accumulation_steps=8)
    assert_frame(p)
    assert "--use_deepspeed" in p.argv and "--multi_gpu" not in p.argv
    assert flag(p.argv, "--deepspeed_config_file") == f"{RUN}/deepspeed.json"
    assert flag(p.argv, "--num_processes") == "4"
    # accelerate refuses these beside a config file
    assert not {"--zero_stage", "--offload_optimizer_device", "--gradient_accumulation_steps"} & set(p.argv)
    cfg = json.loads(p.files["deepspeed.json"])
    zero = cfg["zero_optimization"]
    assert zero["stage"] == 2
    assert zero["offload_optimizer"] == {"device": "cpu", "pin_memory": True} and "offload_param" not in zero
    assert cfg["bf16"]["enabled"] is True and cfg["fp16"]["enabled"] is False
    for k in ("train_batch_size", "train_micro_batch_size_per_gpu", "gradient_accumulation_steps", "gradient_clipping"):
        assert cfg[k] == "auto"
    assert cfg["optimizer"]["type"] == "AdamW"
    assert json.loads(p.files["accelerate.json"])["distributed_type"] == "DEEPSPEED"


def test_gpu_zero3_param_offload():
    p = plan(A100x8, {"num_processes": 2, "zero_stage": 3, "offload_optimizer": True, "offload_params": True})
    zero = json.loads(p.files["deepspeed.json"])["zero_optimization"]
    assert zero["stage"] == 3 and zero["stage3_gather_16bit_weights_on_model_save"] is True
    assert zero["offload_param"] == {"device": "cpu", "pin_memory": True}
    assert "stage3_gather_16bit_weights_on_model_save" not in deepspeed_config(make({"zero_stage": 2}), "bf16")


def test_multi_node():
    dist = {"num_processes": 4, "num_machines": 2, "machine_rank": 1, "main_process_ip": "10.0.0.5"}
    p = plan(A100x8, dist | {"main_process_port": 29555})
    assert "--multi_gpu" in p.argv
    assert flag(p.argv, "--num_processes") == "8"  # accelerate counts all machines; the spec counts this one
    assert flag(p.argv, "--num_machines") == "2" and flag(p.argv, "--machine_rank") == "1"
    assert flag(p.argv, "--main_process_ip") == "10.0.0.5" and flag(p.argv, "--main_process_port") == "29555"
    ds = plan(A100x8, dist | {"zero_stage": 2})
    assert flag(ds.argv, "--deepspeed_multinode_launcher") == "standard"  # no pdsh/ssh


def test_gpu_ids():
    p = plan(A100x8, {"num_processes": 2, "gpu_ids": [2, 5]})
    assert flag(p.argv, "--gpu_ids") == "2,5" and p.env["CUDA_VISIBLE_DEVICES"] == "2,5"
    with pytest.raises(SpecError) as e:
        plan(CPU2, {"num_processes": 1, "gpu_ids": [0]})
    assert e.value.errors[0][0] == "distributed.gpu_ids"
    with pytest.raises(SpecError) as e:
        plan(V100x4, {"num_processes": 2, "gpu_ids": [1, 4]})
    assert e.value.errors[0][0] == "distributed.gpu_ids"


def test_hardware_validation():
    with pytest.raises(SpecError) as e:
        plan(V100x4, {"num_processes": 8})
    assert e.value.errors[0][0] == "distributed.num_processes"
    plan(V100x4, {"num_processes": 1, "zero_stage": 3})  # ZeRO with one process is allowed
    with pytest.raises(SpecError) as e:
        plan(A100x8, {"zero_stage": 2, "offload_optimizer": True}, optim="sgd")
    assert e.value.errors[0][0] == "train.optim"


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_explicit_half_precision_needs_gpu(precision):
    with pytest.raises(SpecError) as e:
        resolve_precision(make(precision=precision), CPU2)
    assert e.value.errors == [("train.precision", f"{precision} needs a GPU; use auto or fp32")]
    with pytest.raises(SpecError):
        plan(CPU2, precision=precision)
    assert resolve_precision(make(precision="fp32"), A100x8) == "fp32"
    assert resolve_precision(make(precision=precision), V100x4) == precision


def test_shell_round_trips():
    p = plan(A100x8, {"num_processes": 2, "gpu_ids": [0, 1], "zero_stage": 2})
    words = shlex.split(p.shell())
    n = len(p.env)
    assert dict(w.split("=", 1) for w in words[:n]) == p.env
    assert words[n:] == p.argv


def test_no_torch_import():
    """The UI imports this module: torch may appear only inside the child-process probe string."""
    tree = ast.parse(Path(launch.__file__).read_text())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.split(".")[0] in ("torch", "transformers", "accelerate", "deepspeed")]


def test_detect_hardware_falls_back(monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIO_HOME", str(tmp_path))  # an empty workspace: no stored probe answers instead

    def boom(*a, **k):
        raise FileNotFoundError("no python")

    monkeypatch.setattr(launch.subprocess, "run", boom)
    hw = detect_hardware()
    assert hw.gpu_count == 0 and hw.bf16_supported is False and hw.cpu_count >= 1


def test_detect_hardware_parses_probe(monkeypatch, tmp_path):
    monkeypatch.setenv("STUDIO_HOME", str(tmp_path))
    monkeypatch.setattr(launch.subprocess, "run", lambda *a, **k: SimpleNamespace(stdout="noise\n[2, [8, 9]]\n"))
    hw = detect_hardware()
    assert (hw.gpu_count, hw.bf16_supported) == (2, True)


def test_shipped_deepspeed_presets_are_what_the_studio_generates():
    root = Path(__file__).resolve().parents[1]
    shipped = {p.stem: json.loads(p.read_text()) for p in (root / "presets" / "deepspeed").glob("*.json")}
    assert len(shipped) == 5
    assert shipped == launch.shipped_deepspeed_configs()
    assert shipped["zero3"]["zero_optimization"]["stage3_gather_16bit_weights_on_model_save"] is True
    assert "offload_param" in shipped["zero3-offload"]["zero_optimization"]


def test_one_bf16_rule_for_the_probe_and_the_trainer(monkeypatch, tmp_path):
    """The launcher's probe and the trainer's resolve_precision both apply launch.native_bf16: one pre-Ampere GPU
    (capability 7) among Ampere ones means fp16 under auto, in the plan and in the trainer alike."""
    assert launch.native_bf16([8, 9]) is True
    assert launch.native_bf16([8, 7]) is False
    assert launch.native_bf16([]) is False
    monkeypatch.setenv("STUDIO_HOME", str(tmp_path))
    monkeypatch.setattr(launch.subprocess, "run", lambda *a, **k: SimpleNamespace(stdout="[2, [8, 7]]\n"))
    assert detect_hardware(cache=False).bf16_supported is False

    import torch

    from backend.train import common

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda i: (8, 0) if i == 0 else (7, 5))
    spec = spec_from_dict({"data": {"sources": [{"path": "-"}]}})
    assert common.resolve_precision(spec) == "fp16"
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda i: (9, 0))
    assert common.resolve_precision(spec) == "bf16"
