"""LoRA SFT throughput at the 151,936-token vocabulary: the studio backend vs bare TRL SFTTrainer, same job,
same process, alternating rounds; tokens/s and peak RSS of each run, medians and the ratio printed.

The model is narrow (a qwen2 of hidden 256, 4 layers, 4 heads, 2 KV heads, intermediate 688, tied; random
weights, about 42M parameters, 39M of them the embedding) with the full qwen2.5 vocabulary, so the output
head, the part the studio's labelled-positions loss saves, dominates as it does at real size while a CPU
step stays short. Both sides run the GPU check's job (``bench/gpu/measure.py``: the shipped chat samples,
packing, batch 1, LoRA r=16 all-linear, gradient checkpointing on both), fp32 on CPU.

Peak RSS per run: the process's high-water mark is reset before each run (``5`` into
``/proc/self/clear_refs``) and read after it (VmHWM), so the two setups do not share one peak.

    python bench/real_vocab_throughput.py [--seq 512] [--steps 4] [--rounds 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "gpu"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

NARROW = dict(
    model_type="qwen2", hidden_size=256, intermediate_size=688, num_hidden_layers=4, num_attention_heads=4,
    num_key_value_heads=2, vocab_size=151936, rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True,
    max_position_embeddings=32768, hidden_act="silu",
)  # fmt: skip


def write_narrow_model(out: Path, tokenizer: Path) -> Path:
    """A random-init qwen2 folder of the NARROW shape with ``tokenizer`` padded to its vocabulary."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from backend.shapes import write_padded_tokenizer

    write_padded_tokenizer(tokenizer, out, NARROW["vocab_size"])
    cfg = dict(NARROW)
    config = AutoConfig.for_model(cfg.pop("model_type"), **cfg)
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config, dtype=torch.float32).save_pretrained(out)
    return out


def reset_peak() -> None:
    """Reset this process's VmHWM to its current RSS (Linux 4.0+; a no-op elsewhere)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seq", type=int, default=512)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="append each run as a JSON line to this file")
    args = parser.parse_args()
    from measure import job_spec, studio_run, trl_run

    from backend.builtin import ensure_tiny_tokenizer
    from backend.memory import peak_rss_mb

    work = Path(tempfile.mkdtemp(prefix="vocab-bench-"))
    home = work / "home"
    model = write_narrow_model(work / "model", ensure_tiny_tokenizer(home))
    runs: dict[str, list[dict]] = {"studio": [], "trl": []}
    setups = {
        "studio": lambda: studio_run(job_spec(model, home, "lora", args.seq, args.steps)),
        "trl": lambda: trl_run(model, args.seq, args.steps, lora=True),
    }
    for r in range(args.rounds):
        order = ("studio", "trl") if r % 2 == 0 else ("trl", "studio")  # alternate who goes first
        for name in order:
            reset_peak()
            res = {**setups[name](), "peak_rss_mb": peak_rss_mb(), "load": os.getloadavg()[0]}
            row = {"round": r + 1, "setup": name, **res}
            print(json.dumps(row), flush=True)
            if args.json:
                with open(args.json, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(row) + "\n")
            runs[name].append(res)
    med = {k: statistics.median(x["tokens_per_s"] for x in v) for k, v in runs.items()}
    rss = {k: statistics.median(x["peak_rss_mb"] for x in v) for k, v in runs.items()}
    print("| setup | tokens/s (median) | rounds | peak RSS (median) | vs TRL |\n|---|---:|---:|---:|---:|")
    for name, label in (("studio", "studio backend"), ("trl", "bare TRL SFTTrainer (packing, LoRA)")):
        vals = ", ".join(f"{x['tokens_per_s']:.0f}" for x in runs[name])
        print(f"| {label} | {med[name]:.0f} | {vals} | {rss[name]:,.0f} MiB | {med[name] / med['trl']:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
