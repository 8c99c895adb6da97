"""SFT throughput: our backend vs bare TRL SFTTrainer on the same job, in one process.

The job: LoRA (r=16, all linear layers) SFT of the builtin tiny Llama on the shipped
``sft_messages.jsonl``, batch 8, length 256, fp32, one process, the same number of epochs. The metric
is non-padding tokens per second as each Trainer counts them (``include_num_input_tokens_seen=
"non_padding"``) over its ``train_runtime``. Rounds alternate the setups so that drift of the
machine hits all of them alike; the best round of each counts.

    python bench/sft_throughput.py [--epochs 3] [--rounds 2] [--write]

``--write`` appends the table to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

BATCH, LENGTH, LR, RANK = 8, 256, 2e-4, 16


class _Quiet:
    def emit(self, *a, **k):
        pass

    def log(self, *a, **k):
        pass


def ours(home: Path, epochs: float, packing: bool) -> dict:
    from backend.spec import spec_from_dict
    from backend.train import sft

    spec = spec_from_dict(
        {
            "stage": "sft",
            "model": {"name_or_path": "builtin:tiny-llama"},
            "method": {"type": "lora", "lora": {"rank": RANK, "alpha": 2 * RANK}},
            "data": {
                "sources": [{"path": "builtin:samples/sft_messages.jsonl"}],
                "cutoff_len": LENGTH,
                "packing": packing,
            },
            "train": {"num_epochs": epochs, "per_device_batch_size": BATCH, "learning_rate": LR, "logging_steps": 1000},
            "output": {"workspace": str(home)},
        }
    )
    with tempfile.TemporaryDirectory() as run_dir:
        metrics = sft.run(spec, Path(run_dir), _Quiet())
    return {"tokens": metrics["num_input_tokens_seen"], "seconds": metrics["train_runtime"]}


def trl(home: Path, epochs: float, tuned: bool) -> dict:
    import datasets
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from backend.workspace import SAMPLES_DIR, resolve_model_path

    path = resolve_model_path("builtin:tiny-llama", home)
    data = datasets.load_dataset("json", data_files=str(SAMPLES_DIR / "sft_messages.jsonl"), split="train")
    extra = {"gradient_checkpointing": False, "packing": True} if tuned else {}
    with tempfile.TemporaryDirectory() as out:
        config = SFTConfig(
            output_dir=out,
            # On CPU TRL needs use_cpu, and bf16 off (bf16 autocast is 4-25x slower here); the rest is TRL's default.
            use_cpu=True,
            bf16=False,
            per_device_train_batch_size=BATCH,
            max_length=LENGTH,
            num_train_epochs=epochs,
            learning_rate=LR,
            logging_steps=1000,
            save_strategy="no",
            report_to="none",
            disable_tqdm=True,
            include_num_input_tokens_seen="non_padding",
            **extra,
        )
        trainer = SFTTrainer(
            model=AutoModelForCausalLM.from_pretrained(path),
            args=config,
            train_dataset=data,
            processing_class=AutoTokenizer.from_pretrained(path),
            peft_config=LoraConfig(r=RANK, lora_alpha=2 * RANK, target_modules="all-linear", task_type="CAUSAL_LM"),
        )
        result = trainer.train()
    return {"tokens": trainer.state.num_input_tokens_seen, "seconds": result.metrics["train_runtime"]}


SETUPS = {
    "bare TRL SFTTrainer, defaults": lambda h, e: trl(h, e, tuned=False),
    "bare TRL SFTTrainer, packing, no checkpointing": lambda h, e: trl(h, e, tuned=True),
    "studio backend, no packing": lambda h, e: ours(h, e, packing=False),
    "studio backend (default: packing)": lambda h, e: ours(h, e, packing=True),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="append the table to BENCHMARKS.md")
    args = parser.parse_args()

    import torch

    from backend.builtin import ensure_tiny_model

    torch.manual_seed(0)
    home = Path(tempfile.mkdtemp(prefix="bench-home-"))
    ensure_tiny_model(home)
    best: dict[str, dict] = {}
    for r in range(args.rounds):
        for name, fn in SETUPS.items():
            res = fn(home, args.epochs)
            res["tps"] = res["tokens"] / res["seconds"]
            print(
                f"round {r + 1}: {name}: {res['tokens']} tokens in {res['seconds']:.1f} s = {res['tps']:.0f} tok/s",
                flush=True,
            )
            if name not in best or res["tps"] > best[name]["tps"]:
                best[name] = res
    base = best["bare TRL SFTTrainer, defaults"]["tps"]
    lines = [
        f"### SFT throughput, tiny LoRA job ({time.strftime('%Y-%m-%d')})",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}, no GPU. "
        f"Job: LoRA r={RANK} all-linear on builtin:tiny-llama, sft_messages.jsonl, batch {BATCH}, length {LENGTH}, "
        f"fp32, 1 process, {args.epochs:g} epochs; best of {args.rounds} alternating rounds.",
        f"Command: `python bench/sft_throughput.py --epochs {args.epochs:g} --rounds {args.rounds}`",
        "",
        "| setup | non-pad tokens | tokens/s | vs bare TRL defaults |",
        "|---|---:|---:|---:|",
    ]
    for name, res in best.items():
        lines.append(f"| {name} | {res['tokens']} | {res['tps']:.0f} | {res['tps'] / base:.2f}x |")
    table = "\n".join(lines) + "\n"
    print("\n" + table)
    if args.write:
        with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as fh:
            fh.write("\n" + table)


if __name__ == "__main__":
    main()
