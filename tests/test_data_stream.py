"""Training on mixed and streamed sources: plans, realised-mix events, shards streamed with bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from backend.data.shard import shard
from backend.events import read_events
from backend.workspace import SAMPLES_DIR

pytestmark = pytest.mark.slow


def tiny_sft(sources: list[dict], **data) -> dict:
    spec = yaml.safe_load((ROOT / "presets/sft/tiny-lora.yaml").read_text(encoding="utf-8"))
    spec["data"].update({"sources": sources, "val_size": 0, **data})
    spec["train"].update(num_epochs=1, eval_steps=0, logging_steps=2)
    return spec


def run_stage(tmp_path: Path, spec: dict) -> list[dict]:
    """Run the trainer entry point in this process on a run directory holding ``spec``; its events."""
    from backend.train.__main__ import main

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "job.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    code = main([str(run_dir)])
    events = read_events(run_dir / "events.jsonl")
    assert code == 0, [e for e in events if e["type"] in ("error", "log")][-3:]
    return events


def plan_of(events) -> dict:
    plans = [e["mix_plan"] for e in events if e["type"] == "log" and "mix_plan" in e]
    assert len(plans) == 1
    return plans[0]


def test_mixed_run_realises_the_requested_token_shares(tmp_path, tiny_model):
    sources = [
        {"path": "builtin:samples/sft_messages.jsonl", "weight": 3, "name": "messages"},
        {"path": "builtin:samples/sft_sharegpt.jsonl", "weight": 1, "name": "sharegpt"},
    ]
    events = run_stage(tmp_path, tiny_sft(sources, mix={"total_tokens": 12_000}))
    plan = plan_of(events)
    assert plan["names"] == ["messages", "sharegpt"] and plan["shares"] == pytest.approx([0.75, 0.25])
    metrics = [e for e in events if e["type"] == "metric" and "mix_share" in e]
    assert len(metrics) >= 3, "the realised mix rides on every metric event"
    tokens = [sum(e["mix_tokens"].values()) for e in metrics]
    assert tokens == sorted(tokens) and tokens[0] > 0
    # One epoch over the mixed rows: what the model saw is the plan, within 2 points.
    final = metrics[-1]["mix_share"]
    assert [final["messages"], final["sharegpt"]] == pytest.approx(plan["shares"], abs=0.02)
    result = next(e for e in events if e["type"] == "result")
    assert result["metrics"]["mix_share/messages"] == pytest.approx(0.75, abs=0.02)


def test_streamed_shard_folders_train_with_an_estimated_plan(tmp_path, tiny_model):
    a = shard([SAMPLES_DIR / "sft_messages.jsonl"], tmp_path / "a", shard_size=40)
    b = shard([SAMPLES_DIR / "sft_sharegpt.jsonl"], tmp_path / "b", shard_size=40)
    assert a["totals"]["shards"] == 8 and b["totals"]["records"] == 100
    sources = [
        {"path": str(tmp_path / "a"), "weight": 1, "name": "a"},
        {"path": str(tmp_path / "b"), "weight": 1, "name": "b", "max_epochs": 3},
    ]
    spec = tiny_sft(sources, streaming=True, val_size=8)
    spec["train"].update(max_steps=10, eval_steps=5)
    events = run_stage(tmp_path, spec)
    plan = plan_of(events)
    assert plan["records"][0] == 300 and plan["epochs"][1] > 1  # records from the manifests; b upsampled
    assert plan["estimated"] is True  # tokens come from a sample of records
    assert any("upsampled" in e["message"] for e in events if e.get("level") == "warning")
    metrics = [e for e in events if e["type"] == "metric"]
    assert metrics[-1]["step"] == 10 and any("eval_loss" in e for e in metrics)
    assert set(metrics[-1]["mix_share"]) == {"a", "b"}
    assert "stats" not in next(e for e in events if e["type"] == "log" and "mix_plan" in e)


MEASURE = r"""
import json, sys
from transformers import AutoTokenizer
from backend.memory import peak_rss_mb  # VmHWM: ru_maxrss would start at pytest's own peak
from backend.builtin import ensure_tiny_tokenizer
from backend.data.build import prepare
from backend.data.packing import Collator
from backend.spec import spec_from_dict

home, folder = sys.argv[1], sys.argv[2]
tok = AutoTokenizer.from_pretrained(ensure_tiny_tokenizer(__import__("pathlib").Path(home)))
spec = spec_from_dict({"stage": "pt", "data": {"sources": [{"path": folder}], "streaming": True, "cutoff_len": 512},
                       "train": {"max_steps": 1}})
train, _, _ = prepare(spec, tok, "text")
collate = Collator(tok.pad_token_id)
rows = tokens = 0
batch = []
for row in train:
    rows += 1
    tokens += len(row["input_ids"])
    batch.append(row)
    if len(batch) == 8:
        collate(batch)
        batch = []
    if rows == 50:
        start = peak_rss_mb()
peak = peak_rss_mb()
print(json.dumps({"rows": rows, "tokens": tokens, "start_mb": start, "peak_mb": peak}))
"""


def test_streaming_a_shard_set_keeps_memory_bounded(tmp_path, studio_home, tiny_model):
    """A shard set whose tokens would take hundreds of MB as Python lists streams in a flat footprint."""
    import random

    src = tmp_path / "big.jsonl"
    rng = random.Random(0)
    words = ["the", "model", "reads", "every", "line", "of", "text", "while", "loss", "falls", "我们", "学习", "数据"]
    with open(src, "w", encoding="utf-8") as fh:
        for _ in range(30_000):
            fh.write(json.dumps({"text": " ".join(rng.choices(words, k=rng.randint(50, 250)))}) + "\n")
    raw_mb = src.stat().st_size / 1e6
    manifest = shard([src], tmp_path / "shards", shard_size=2_000)
    assert manifest["totals"]["shards"] == 15 and raw_mb > 25
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, str(studio_home), str(tmp_path / "shards")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    # Every record was read: ~4.5M tokens, far more than one batch (8 rows of 512).
    assert got["tokens"] > 3_000_000 and got["rows"] > 5_000, got
    # Held as Python lists those tokens would need >100 MB; the stream grows by a bounded amount.
    assert got["peak_mb"] - got["start_mb"] < 60, got
