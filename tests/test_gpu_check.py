"""The prepared GPU check (bench/gpu/measure.py) at its tiny CPU stand-in, so that it cannot rot before a GPU
runs it: every measurement runs through the studio trainer (and bare TRL), and the JSON and markdown agree.
Marked ``scale``: six short trainings take a few minutes on 2 loaded cores."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.scale


def test_gpu_check_runs_at_tiny_shapes_on_cpu(tmp_path, studio_home):
    env = {**os.environ, "STUDIO_HOME": str(studio_home)}
    cmd = [sys.executable, "bench/gpu/measure.py", str(tmp_path / "out"), "--tiny", "--models", str(tmp_path / "m")]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert doc["tiny"] and doc["seq"] == 128 and doc["steps"] == 2 and doc["device"].startswith("CPU")
    sft, qlora, liger = (doc["results"][k] for k in ("sft", "qlora", "liger"))
    # Same job for both trainers: 2 packed rows of 128 tokens each, batch 1.
    assert sft["studio"]["tokens"] == sft["trl"]["tokens"] == 256
    assert sft["ratio"] == pytest.approx(sft["studio"]["tokens_per_s"] / sft["trl"]["tokens_per_s"])
    assert sft["studio"]["mfu"] is None  # no peak is known for a CPU
    assert qlora["peak_gpu_gb"] is None and qlora["estimate_gb"] > 0.62 and "error" not in qlora
    assert liger["without"]["tokens"] == 256
    md = (tmp_path / "out" / "results.md").read_text()
    assert md.count("\n| ") == 6  # header + 5 rows: studio, TRL, QLoRA, without and with Liger
    assert "| QLoRA 4-bit qwen2.5-7b (tiny stand-in) | studio backend |" in md
    if liger["with"] is None:
        assert "liger-kernel is not installed: only the run without it" in md
