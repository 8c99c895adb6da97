"""LoRA SFT throughput at the 151,936-token vocabulary: the studio backend vs bare TRL SFTTrainer, same job,
same process, alternating rounds (the best round of each counts).

The model is the qwen2.5-0.5b shape cut to ``--layers`` decoder layers (random weights, the full
vocabulary and width), so that the output head, the part the studio's labelled-positions loss saves, has
its real size while a CPU step stays short. LoRA r=16 all-linear, packing, batch 1, fp32 on CPU.

    python bench/real_vocab_throughput.py [--layers 2] [--seq 512] [--steps 3] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "gpu"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--seq", type=int, default=512)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from measure import job_spec, studio_run, trl_run

    from backend.builtin import ensure_tiny_tokenizer
    from backend.shapes import write_random_model

    work = Path(tempfile.mkdtemp(prefix="vocab-bench-"))
    home = work / "home"
    model = write_random_model("qwen2.5-0.5b", work / "model", ensure_tiny_tokenizer(home), layers=args.layers)
    best: dict[str, dict] = {}
    for r in range(args.rounds):
        for name, fn in (
            ("studio", lambda: studio_run(job_spec(model, home, "lora", args.seq, args.steps))),
            ("trl", lambda: trl_run(model, args.seq, args.steps, lora=True)),
        ):
            res = {**fn(), "load": os.getloadavg()[0]}
            print(json.dumps({"round": r + 1, "setup": name, **res}), flush=True)
            if name not in best or res["tokens_per_s"] > best[name]["tokens_per_s"]:
                best[name] = res
    ratio = best["studio"]["tokens_per_s"] / best["trl"]["tokens_per_s"]
    print(f"| studio backend | {best['studio']['tokens_per_s']:.1f} | {ratio:.2f}x |")
    print(f"| bare TRL SFTTrainer (packing, LoRA) | {best['trl']['tokens_per_s']:.1f} | 1.00x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
