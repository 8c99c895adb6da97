"""Memory estimate vs measured peak: backend.memory's figure against the peak RSS of real CPU runs.

Each config trains the builtin tiny model (or a larger from-scratch shape) for a few steps in a fresh
``python -m backend.train RUN_DIR`` process with the launch environment of one CPU process, and reads
``peak_rss_mb`` (VmHWM, see ``backend.memory.peak_rss_mb``) from the run's result event.

    python bench/memory_estimate.py [--only NAME ...] [--write]

``--write`` replaces the "Memory estimate" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from backend.events import read_events  # noqa: E402
from backend.launch import Hardware, build_launch  # noqa: E402
from backend.memory import estimate_memory  # noqa: E402
from backend.model_shape import shape_for_spec  # noqa: E402
from backend.spec import apply_overrides, load_spec  # noqa: E402

QUICK = ["train.max_steps=3", "train.eval_steps=0", "data.val_size=0", "train.save_steps=0", "train.logging_steps=1"]
BIG = [
    "model.architecture.hidden_size=512",
    "model.architecture.num_hidden_layers=8",
    "model.architecture.num_attention_heads=8",
    "model.architecture.intermediate_size=1376",
]
# name -> (preset, overrides)
CONFIGS = {
    "lora-sft b4 s256": ("presets/sft/tiny-lora.yaml", []),
    "lora-sft b8 s512 ckpt": (
        "presets/sft/tiny-lora.yaml",
        ["train.per_device_batch_size=8", "data.cutoff_len=512", "train.gradient_checkpointing=true"],
    ),
    "full-sft b8 s512": (
        "presets/sft/tiny-lora.yaml",
        ["method.type=full", "train.per_device_batch_size=8", "data.cutoff_len=512"],
    ),
    "full-pt b8 s256": ("presets/pt/tiny-scratch.yaml", []),
    "full-pt 30M b4 s256": ("presets/pt/tiny-scratch.yaml", BIG + ["train.per_device_batch_size=4"]),
    "full-pt 30M b4 s256 ckpt": (
        "presets/pt/tiny-scratch.yaml",
        BIG + ["train.per_device_batch_size=4", "train.gradient_checkpointing=true"],
    ),
}
CPU1 = Hardware(gpu_count=0, bf16_supported=False, cpu_count=os.cpu_count() or 1)


def config_spec(name: str, home: Path):
    """The JobSpec of a named config, a few steps long, in workspace ``home``."""
    preset, overrides = CONFIGS[name]
    spec = load_spec(ROOT / preset)
    return apply_overrides(spec, QUICK + overrides + [f"output.workspace={home}"])


def measure(spec, run_dir: Path, timeout: float = 900) -> float:
    """Train ``spec`` in a fresh CPU process on ``run_dir``; its peak RSS in MiB."""
    run_dir.mkdir(parents=True, exist_ok=True)
    spec.save(run_dir / "job.yaml")
    plan = build_launch(spec, str(run_dir), CPU1)
    env = {**os.environ, **plan.env, "STUDIO_HOME": str(spec.output.workspace)}
    proc = subprocess.run(
        [sys.executable, "-m", "backend.train", str(run_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    events = read_events(run_dir / "events.jsonl")
    results = [e for e in events if e["type"] == "result"]
    if proc.returncode != 0 or not results:
        raise RuntimeError(f"{run_dir}: training failed\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return float(results[0]["metrics"]["peak_rss_mb"])


def compare(name: str, home: Path, workdir: Path) -> dict:
    """Estimate and measure one config."""
    spec = config_spec(name, home)
    est = estimate_memory(spec, shape_for_spec(spec, home), CPU1)
    start = time.time()
    measured = measure(spec, workdir / name.replace(" ", "_")) / 1024
    return {
        "name": name,
        "params": est.params,
        "estimate_gb": est.per_device_gb,
        "measured_gb": measured,
        "error": est.per_device_gb / measured - 1,
        "parts": est.parts,
        "seconds": time.time() - start,
    }


def table(rows: list[dict]) -> str:
    head = "| config | params | weights+grads+optim | activations+logits | estimate | measured peak RSS | error |\n"
    head += "|---|---:|---:|---:|---:|---:|---:|\n"
    for r in rows:
        p = r["parts"]
        states = (p["weights"] + p["grads"] + p["optimizer"]) * 1024
        act = (p["activations"] + p["logits"]) * 1024
        head += (
            f"| {r['name']} | {r['params'] / 1e6:.1f}M | {states:.0f} MiB | {act:.0f} MiB | "
            f"{r['estimate_gb'] * 1024:.0f} MiB | {r['measured_gb'] * 1024:.0f} MiB | {r['error']:+.1%} |\n"
        )
    return head


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="config names to run (default: all)")
    parser.add_argument("--write", action="store_true", help="replace the section in BENCHMARKS.md")
    args = parser.parse_args()
    names = args.only or list(CONFIGS)
    with tempfile.TemporaryDirectory(prefix="mem-bench-") as tmp:
        home = Path(tmp) / "home"
        rows = []
        for name in names:
            row = compare(name, home, Path(tmp) / "runs")
            print(f"{name:28} estimate {row['estimate_gb']:.3f} GiB  measured {row['measured_gb']:.3f} GiB  "
                  f"error {row['error']:+.1%}  ({row['seconds']:.0f} s)", flush=True)  # fmt: skip
            rows.append(row)
    text = table(rows)
    print(text)
    if args.write:
        from bench.benchmarks_md import machine_line, replace_section

        section = (
            f"## Memory estimate ({time.strftime('%Y-%m-%d')})\n\n{machine_line()}. "
            "`backend.memory.estimate_memory` (formula in its docstring) against the peak RSS (VmHWM) of the "
            "training process, one CPU process, fp32, 3 steps each. The runtime constant (torch, transformers, "
            "datasets resident) is included in both. Run: `python bench/memory_estimate.py --write`.\n\n" + text
        )
        replace_section("## Memory estimate", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
