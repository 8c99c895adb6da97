"""Pre-flight checks: model files, data validation, disk space and the memory estimate vs free memory."""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
from collections import namedtuple
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from backend import preflight as pf
from backend.launch import Hardware
from backend.spec import spec_from_dict
from cli import preflight as preflight_cli

CPU = Hardware(gpu_count=0, cpu_count=2)
QWEN7B = {
    "model_type": "qwen2", "vocab_size": 152064, "hidden_size": 3584, "intermediate_size": 18944,
    "num_hidden_layers": 28, "num_attention_heads": 28, "num_key_value_heads": 4, "tie_word_embeddings": False,
}  # fmt: skip


def tiny(home: Path, **overrides) -> dict:
    spec = yaml.safe_load((ROOT / "presets/sft/tiny-lora.yaml").read_text(encoding="utf-8"))
    spec["output"]["workspace"] = str(home)
    for dotted, value in overrides.items():
        section, key = dotted.split("__")
        spec.setdefault(section, {})[key] = value
    return spec


def by_name(checks) -> dict:
    return {c.name: c for c in checks}


def fake_7b(tmp_path: Path, tiny_model: Path, weights: str = "model.safetensors") -> Path:
    folder = tmp_path / "qwen7b"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(QWEN7B), encoding="utf-8")
    shutil.copy(tiny_model / "tokenizer.json", folder)
    (folder / weights).write_bytes(b"")
    return folder


def test_tiny_job_passes(studio_home, tiny_model):
    checks = pf.preflight(spec_from_dict(tiny(studio_home)), studio_home, CPU)
    assert [c.level for c in checks] == ["ok"] * 7, checks
    found = by_name(checks)
    assert found["data.val_size"].message == "0.05 of at least 200 records held out for validation"
    assert "format messages, first 200 records checked, 0 bad" in found["data.sources[0]"].message
    assert "MemAvailable" in found["memory"].message and "free" in found["disk"].message
    assert "end-of-turn '<|im_end|>\\n', a stop token" in found["template"].message


def test_bad_record_fails_with_file_and_line_or_warns_when_skipped(tmp_path, studio_home, tiny_model):
    data = tmp_path / "chat.jsonl"
    good = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}'
    data.write_text(f"{good}\nnot json\n{good}\n", encoding="utf-8")
    spec = tiny(studio_home, data__sources=[{"path": str(data)}])
    check = by_name(pf.preflight(spec_from_dict(spec), studio_home, CPU))["data.sources[0]"]
    assert check.level == "fail" and f"{data}:2" in check.message and "3 records checked, 1 bad" in check.message
    spec["data"]["skip_bad_records"] = True
    assert by_name(pf.preflight(spec_from_dict(spec), studio_home, CPU))["data.sources[0]"].level == "warn"
    spec["data"]["sources"] = [{"path": str(tmp_path / "missing.jsonl")}]
    check = by_name(pf.preflight(spec_from_dict(spec), studio_home, CPU))["data.sources[0]"]
    assert check.level == "fail" and "no such file" in check.message


@pytest.mark.parametrize(
    ("weights", "problem"), [("model.bin", "only pickle weights"), ("README.md", "no *.safetensors")]
)
def test_missing_model_files_fail(tmp_path, studio_home, tiny_model, weights, problem):
    folder = fake_7b(tmp_path, tiny_model, weights)
    spec = spec_from_dict(tiny(studio_home, model__name_or_path=str(folder)))
    check = by_name(pf.preflight(spec, studio_home, CPU))["model"]
    assert check.level == "fail" and problem in check.message and str(folder) in check.message
    (folder / "tokenizer.json").unlink()
    assert "no tokenizer files" in by_name(pf.preflight(spec, studio_home, CPU))["model"].message


def test_missing_shard_of_an_index_fails(tmp_path, studio_home, tiny_model):
    folder = fake_7b(tmp_path, tiny_model, "model-00001-of-00002.safetensors")
    index = {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index), encoding="utf-8")
    spec = spec_from_dict(tiny(studio_home, model__name_or_path=str(folder)))
    check = by_name(pf.preflight(spec, studio_home, CPU))["model"]
    assert check.level == "fail" and "model-00002-of-00002.safetensors" in check.message


def gpu(free: float) -> Hardware:
    return Hardware(gpu_count=2, bf16_supported=True, cpu_count=16, gpu_free_gb=(80.0, free), gpu_total_gb=(80.0, 80.0))


def test_memory_estimate_vs_free_gpu_memory_warns_fails_and_can_be_overridden(tmp_path, studio_home, tiny_model):
    folder = fake_7b(tmp_path, tiny_model)
    spec = spec_from_dict(tiny(studio_home, model__name_or_path=str(folder), method__type="full",
                               distributed__gpu_ids=[1]))  # fmt: skip
    need = pf.estimate_memory(spec, pf.shape_for_spec(spec, studio_home), gpu(80)).per_device_gb
    assert need > 100  # full fine-tuning of 7B: 16 bytes per parameter before activations
    levels = {}
    for label, free in (("ok", need * 2), ("warn", need / 0.95), ("fail", need / 1.5)):
        levels[label] = by_name(pf.preflight(spec, studio_home, gpu(free)))["memory"]
    assert {k: c.level for k, c in levels.items()} == {"ok": "ok", "warn": "warn", "fail": "fail"}
    assert "free on GPU 1" in levels["fail"].message and "use method.type lora or qlora" in levels["fail"].message
    # The advice fits the job: what it already does is not offered again.
    ckpt = spec_from_dict(tiny(studio_home, model__name_or_path=str(folder), method__type="qlora",
                               train__gradient_checkpointing=True, train__per_device_batch_size=1))  # fmt: skip
    est = pf.estimate_memory(ckpt, pf.shape_for_spec(ckpt, studio_home), gpu(80))
    assert pf.memory_advice(est, ckpt) == "lower data.cutoff_len; use ZeRO with distributed.offload_optimizer"
    assert "gradient_checkpointing" not in pf.memory_advice(est, ckpt) and "qlora" not in pf.memory_advice(est, ckpt)
    on_cpu = pf.estimate_memory(ckpt, pf.shape_for_spec(ckpt, studio_home), CPU)
    assert "ZeRO" not in pf.memory_advice(on_cpu, ckpt)  # no offload to offer on a CPU
    loading = dataclasses.replace(on_cpu, load_peak_gb=sum(on_cpu.parts.values()) + 1)  # a bf16 checkpoint's load
    assert pf.memory_advice(loading, ckpt) == (
        "the peak is loading the checkpoint, not training: use a smaller model or a machine with more memory"
    )
    overridden = by_name(pf.preflight(spec, studio_home, gpu(need / 1.5), override=True))["memory"]
    assert overridden.level == "warn" and "overridden" in overridden.message


def test_disk_space_check(studio_home, tiny_model, monkeypatch):
    spec = spec_from_dict(tiny(studio_home, method__type="full", train__save_steps=10, train__max_steps=100))
    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(pf.shutil, "disk_usage", lambda p: Usage(10**12, 0, 10**12))
    ok = by_name(pf.preflight(spec, studio_home, CPU))["disk"]
    assert ok.level == "ok" and ok.message.startswith("needs ~") and " MiB (2 checkpoint(s) × " in ok.message
    monkeypatch.setattr(pf.shutil, "disk_usage", lambda p: Usage(10**12, 0, 10**6))
    disk = by_name(pf.preflight(spec, studio_home, CPU))["disk"]
    assert disk.level == "fail" and "2 checkpoint(s)" in disk.message  # save_total_limit 2 of the preset


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home")
    preflight_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code = args.func(args)
    return code, capsys.readouterr().out


def test_cli_exit_status_json_and_node_commands(tmp_path, studio_home, tiny_model, capsys):
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump(tiny(studio_home)), encoding="utf-8")
    code, out = run_cli(["--home", str(studio_home), "preflight", str(job), "--json"], capsys)
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["estimate"]["trainable"] == 312320  # LoRA r16 all-linear
    two = ["--set", "distributed.num_machines=2", "--set", "distributed.main_process_ip=127.0.0.1"]
    code, out = run_cli(["--home", str(studio_home), "preflight", str(job), *two], capsys)
    assert code == 0 and "machine 1: " in out and "--machine_rank 1" in out and "pre-flight: passed" in out
    bad = ["--set", "data.sources=[{path: /nonexistent.jsonl}]"]
    code, out = run_cli(["--home", str(studio_home), "preflight", str(job), *bad], capsys)
    assert code == 1 and "[FAIL] data.sources[0].path: /nonexistent.jsonl: no such file or folder" in out
    assert "data.sources[0]: data.sources[0]" not in out  # each field named once


def test_preflight_does_not_import_torch(studio_home, tiny_model):
    import subprocess

    code = (
        "import sys; from backend.preflight import preflight; from backend.spec import load_spec; "
        "from backend.launch import Hardware; "
        f"c = preflight(load_spec('presets/sft/tiny-lora.yaml'), {str(studio_home)!r}, Hardware()); "
        "print(len(c), 'torch' in sys.modules, 'transformers.tokenization_utils_base' in sys.modules, "
        "'transformers.modeling_utils' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    # The template check renders with transformers' torch-free chat_template_utils and reads tokenizer.json with
    # `tokenizers`; neither the tokenizer classes nor the model side of transformers (both import torch) load.
    assert out.stdout.split() == ["7", "False", "False", "False"], out.stderr
