"""Shard + compress: records byte-identical, manifest counts, readable by datasets and by our reader."""

from __future__ import annotations

import json

from backend.data.shard import shard
from backend.data.stream import iter_items
from backend.data.validate import inspect_source
from tests.conftest import ROOT, run_cli

SAMPLE = ROOT / "data" / "samples" / "sft_messages.jsonl"


def test_round_trip_and_manifest(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"messages": []}\n{not json\n')
    out = tmp_path / "out"
    manifest = shard([SAMPLE, bad], out, shard_size=128, threads=2)
    lines = SAMPLE.read_bytes().splitlines()
    assert [s["records"] for s in manifest["shards"]] == [128, 128, 44]
    totals = manifest["totals"]
    assert totals["records"] == 300 and totals["skipped"] == 2 and totals["shards"] == 3
    assert totals["bytes_raw"] == sum(len(x) + 1 for x in lines)
    assert totals["bytes_compressed"] == sum(p.stat().st_size for p in out.glob("*.zst")) < totals["bytes_raw"]
    assert manifest["format"] == "messages" and manifest["skipped_records"][1].startswith(f"{bad}:2: json")
    assert json.loads((out / "manifest.json").read_text()) == manifest
    ours = [item.raw for item in iter_items(out)]  # the folder, manifest.json left out
    assert ours == lines  # the original bytes, not a json.dumps round trip
    import datasets

    ds = datasets.load_dataset("json", data_files=sorted(map(str, out.glob("*.jsonl.zst"))), split="train")
    assert ds["messages"] == [json.loads(x)["messages"] for x in lines]


def test_other_sources_and_tokens(tmp_path, tiny_tokenizer):
    manifest = shard([ROOT / "data" / "samples" / "sft_alpaca.json"], tmp_path, 1000, tokenizer=tiny_tokenizer)
    assert manifest["totals"]["records"] == 100 and manifest["totals"]["tokens"] > 100 * 10
    assert inspect_source(tmp_path).format == "alpaca"


def test_cli_shard(tmp_path, studio_home):
    res = run_cli("data", "shard", str(SAMPLE), "--out", str(tmp_path), "--shard-size", "100", "--level", "5",
                  home=studio_home)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "300 records in 3 shards" in res.stdout
    assert json.loads((tmp_path / "manifest.json").read_text())["compression"]["level"] == 5
