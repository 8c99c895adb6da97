"""Failure classes: each exception or exit becomes a kind and one human line; injected OOM and data errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from backend.data.formats import DataError
from backend.events import read_events
from backend.failures import classify_exit, reason
from backend.spec import SpecError
from backend.train.__main__ import classify


def test_exceptions_map_to_kinds():
    import torch

    cases = [
        (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), "oom"),
        (MemoryError(), "oom"),
        (RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory"), "oom"),
        (DataError("/d/x.jsonl:3: messages[0].role: is missing"), "data"),
        (SpecError([("train.learning_rate", "must be > 0")]), "config"),
        (FileNotFoundError("model.name_or_path: no config.json in /m"), "model"),
        (RuntimeError("NCCL error in: ProcessGroupNCCL.cpp:1970, unhandled system error"), "launch"),
        (
            RuntimeError("The server socket has failed to bind to [::]:29500 (errno: 98 - Address already in use)"),
            "launch",
        ),
        (torch.distributed.DistNetworkError("connect() timed out"), "launch"),
        (RuntimeError("[../third_party/gloo/gloo/transport/tcp/pair.cc:534] Connection closed by peer"), "launch"),
        (KeyboardInterrupt(), "killed"),
        (SystemExit(143), "killed"),  # 128 + SIGTERM
        (SystemExit(1), "unknown"),
        (ValueError("something else"), "unknown"),
    ]
    assert [classify(exc) for exc, _ in cases] == [kind for _, kind in cases]


def test_reason_is_one_line_with_advice():
    line = reason("data", "/d/x.jsonl:3: messages[0].role:\n is missing")
    assert "\n" not in line and line.startswith("Data error: /d/x.jsonl:3: messages[0].role: is missing — ")
    assert "skip_bad_records" in line


def test_exit_codes_and_log_tails_are_classified():
    kind, line = classify_exit(-9)
    assert kind == "killed" and "SIGKILL" in line
    torchrun = "torch.distributed.elastic.multiprocessing.errors.ChildFailedError:\n  exitcode  : -9 (pid: 123)\n"
    kind, line = classify_exit(1, torchrun)
    assert kind == "killed" and "out-of-memory killer" in line
    kind, line = classify_exit(1, "torch.distributed.DistNetworkError: EADDRINUSE: address already in use\n")
    assert kind == "launch" and "EADDRINUSE" in line and "main_process_port" in line
    assert classify_exit(1, "")[0] == "unknown"


# ------------------------------------------------------------------------------- injected in-process runs


def tiny_sft(tmp_path: Path, **data) -> Path:
    spec = yaml.safe_load((ROOT / "presets/sft/tiny-lora.yaml").read_text(encoding="utf-8"))
    spec["data"].update({"val_size": 0, **data})
    spec["train"].update(max_steps=2, eval_steps=0, logging_steps=1)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "job.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return run_dir


def error_of(run_dir: Path) -> dict:
    from backend.train.__main__ import main

    assert main([str(run_dir)]) == 1
    events = read_events(run_dir / "events.jsonl")
    errors = [e for e in events if e["type"] == "error"]
    assert len(errors) == 1 and events[-1]["state"] == "failed"
    return errors[0]


@pytest.mark.parametrize("oom", ["cuda", "cpu"])
def test_injected_oom_is_classified_with_memory_figures(tmp_path, tiny_model, monkeypatch, oom):
    import torch

    from backend.train.common import StudioTrainer

    def boom(self, *args, **kwargs):
        if oom == "cuda":
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        raise MemoryError()

    monkeypatch.setattr(StudioTrainer, "compute_loss", boom)  # fails inside the first training step
    error = error_of(tiny_sft(tmp_path))
    assert error["kind"] == "oom"
    message = error["message"]
    assert message.startswith("Out of memory: ") and "\n" not in message
    assert "peak RSS" in message and "GiB available" in message  # no CUDA here: host figures
    assert "per_device_batch_size" in message and "Traceback" not in message
    assert "Traceback" in error["detail"] or "boom" in error["detail"]


def test_injected_data_error_names_file_and_line(tmp_path, tiny_model):
    data = tmp_path / "chat.jsonl"
    good = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}'
    data.write_text(f"{good}\n{good}\n" + '{"messages": [{"role": "user"}]}\n', encoding="utf-8")
    error = error_of(tiny_sft(tmp_path, sources=[{"path": str(data)}]))
    assert error["kind"] == "data"
    assert error["message"].startswith(f"Data error: {data}:3: ")
    assert "content" in error["message"] and "skip_bad_records" in error["message"]
