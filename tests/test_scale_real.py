"""Real size on CPU (marker ``scale``, run by ``make test-scale``): the qwen2.5-0.5b shape with random weights
and its 151,936-token vocabulary trains 2 LoRA / QLoRA 4-bit steps at sequence 512, its merge is exported
within 1.3x the model's size in peak RSS (a child process's VmHWM), loads in the Chat engine and generates,
and scores with ``studio eval --task ppl``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from backend.run.registry import Registry

pytestmark = pytest.mark.scale
sys.path.insert(0, str(ROOT))

SHAPE = "qwen2.5-0.5b"
EXPORT_RSS_RATIO = 1.3


@pytest.fixture(scope="module")
def real_model(tmp_path_factory, tiny_model) -> Path:
    """The 0.5B shape in bf16 (988 MB), random weights, tokenizer padded to 151,936 entries."""
    from backend.shapes import write_random_model

    return write_random_model(SHAPE, tmp_path_factory.mktemp("real") / SHAPE, tiny_model)


def train(home: Path, model: Path, name: str, *sets: str):
    args = ["train", "presets/sft/tiny-lora.yaml"]
    sets = (
        f"model.name_or_path={model}", f"output.run_name={name}", "data.val_size=0", "data.cutoff_len=512",
        "train.max_steps=2", "train.per_device_batch_size=1", "train.save_steps=0", "train.eval_steps=0",
        "eval.stop_check=false", "train.logging_steps=1", *sets,
    )  # fmt: skip
    for item in sets:
        args += ["--set", item]
    proc = run_cli(*args, home=home, timeout=3600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    (run,) = [r for r in Registry(home).list() if r.name == name]
    return run


@pytest.mark.parametrize("method", ["lora", "qlora"])
def test_real_shape_trains_exports_within_memory_chats_and_scores(method, real_model, studio_home, tmp_path):
    from backend.chat.engine import ChatEngine, GenerationOptions
    from bench.export_peak import export_peak, weights_bytes

    run = train(studio_home, real_model, f"scale-{method}", f"method.type={method}")
    out = tmp_path / "export"
    row = export_peak(run.path / "adapter", real_model, out)
    size_mb = weights_bytes(real_model) / 2**20
    assert row["dtype"] == "bf16"  # a bf16 base is exported bf16
    assert any("tensor by tensor" in n for n in row["notes"]), row["notes"]
    assert row["peak_rss_mb"] <= EXPORT_RSS_RATIO * size_mb, (row, size_mb)
    assert abs(weights_bytes(out) - weights_bytes(real_model)) < 1e6

    engine = ChatEngine.load(str(out), home=studio_home)
    try:
        reply = engine.chat([{"role": "user", "content": "2+2?"}], GenerationOptions(max_new_tokens=4))
        assert isinstance(reply, str) and engine.model.config.vocab_size == 151936
    finally:
        engine.close()

    proc = run_cli(
        "eval", str(out), "--task", "ppl", "--data", "builtin:samples/pretrain_zh_en.jsonl", "--limit", "4",
        "--cutoff-len", "128", "--json", "--out", str(tmp_path / "eval"), home=studio_home, timeout=1800,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads(proc.stdout)["metrics"]
    # Random weights over 151,936 tokens: perplexity near the vocabulary size, finite.
    assert metrics["records"] == 4 and 1e3 < metrics["perplexity"] < 1e7, metrics
