"""Whole-process time of ``studio train`` on a tiny 1-epoch LoRA job, with the hardware probe cold and cached.

    python bench/train_startup.py [--rounds 3] [--detach] [--old DIR]

Each round runs ``python -m cli train presets/sft/tiny-lora.yaml --set train.num_epochs=1`` twice in
one workspace: once with ``<workspace>/cache/hardware.json`` deleted first ("cold": the GPU probe runs, as
every run did before the cache), once with it kept ("cached"). Rounds alternate, so load drifts hit both.
``--detach`` times only the start-up (spec, probe, pre-flight, run created and launched) and aborts each
run at once. ``--old DIR`` adds a third setup: the same command from another checkout (e.g. ``git archive``
of an older commit), run with this checkout's Python. Prints one line per run and the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JOB = ["presets/sft/tiny-lora.yaml", "--set", "train.num_epochs=1"]


def one(tree: Path, home: Path, detach: bool) -> float:
    env = {**os.environ, "STUDIO_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "cli", "train", *JOB] + (["--detach"] if detach else [])
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"{tree}: exit {out.returncode}\n{out.stderr[-2000:]}")
    if detach:
        run_id = next(line.split()[1] for line in out.stdout.splitlines() if line.startswith("run "))
        subprocess.run([sys.executable, "-m", "cli", "runs", "abort", run_id], cwd=ROOT, env=env,
                       capture_output=True)  # fmt: skip
    return wall


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--detach", action="store_true", help="time the start-up only (the run is aborted)")
    ap.add_argument("--old", type=Path, help="another checkout to time as a third setup")
    ap.add_argument("--home", type=Path, help="workspace (default: a temporary one; the tiny model is built once)")
    args = ap.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="studio-startup-"))
    cache = home / "cache" / "hardware.json"
    one(ROOT, home, args.detach)  # warm-up: builds the tiny model and tokenizer, fills the OS file cache
    times: dict[str, list[float]] = {}
    for r in range(args.rounds):
        setups = [("cold", ROOT), ("cached", ROOT)] + ([("old", args.old)] if args.old else [])
        for name, tree in setups:
            if name == "cold":
                cache.unlink(missing_ok=True)
            wall = one(tree, home, args.detach)
            load = os.getloadavg()[0]
            times.setdefault(name, []).append(wall)
            print(f"round {r + 1} {name:<6} {wall:7.2f} s  (load {load:.1f})", flush=True)
    for name, walls in times.items():
        print(f"{name:<6} median {statistics.median(walls):7.2f} s  runs {', '.join(f'{w:.2f}' for w in walls)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
