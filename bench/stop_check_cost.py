"""Cost of the end-of-run stop check (backend/train/stop_check.py) at a real size, on CPU.

Loads a model folder the way an SFT run holds it at the end (``backend.train.common.load_model``: fp32 on
CPU, ``config.use_cache = False``, the LoRA adapter applied, gradient checkpointing enabled as the Trainer
enables it), then times ``run_stop_check`` on the shipped chat samples with the run's template. A
random-init model never stops, so every prompt runs to its limit: the worst case a user waits for.

    python bench/stop_check_cost.py MODEL_DIR [--method lora] [--n 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class Events:
    """Collects what run_stop_check logs."""

    def __init__(self):
        self.logged: list[tuple[str, dict]] = []

    def log(self, message: str, **fields):
        self.logged.append((message, fields))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--method", default="lora", choices=["lora", "full"])
    args = parser.parse_args()
    import torch

    from backend.spec import spec_from_dict
    from backend.train.common import load_model, load_tokenizer
    from backend.train.stop_check import run_stop_check

    torch.manual_seed(0)
    home = Path(tempfile.mkdtemp(prefix="stop-check-"))
    spec = spec_from_dict(
        {
            "stage": "sft",
            "model": {"name_or_path": str(args.model)},
            "method": {"type": args.method, "lora": {"rank": 16, "alpha": 32}},
            "data": {"sources": [{"path": "builtin:samples/sft_messages.jsonl"}], "cutoff_len": 512},
            "output": {"workspace": str(home)},
        }
    )
    tokenizer = load_tokenizer(spec)
    start = time.time()
    model = load_model(spec, tokenizer, "fp32")
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    loaded = time.time() - start
    events, metrics = Events(), {}
    start = time.time()
    run_stop_check(model, tokenizer, spec, events, metrics)
    seconds = time.time() - start
    result = next((f.get("stop_check") for _m, f in events.logged if f.get("stop_check")), None)
    tokens = sum(s["tokens"] for s in result["samples"]) if result else 0
    row = {
        "model": args.model.name,
        "load_s": round(loaded, 1),
        "stop_check_s": round(seconds, 1),
        "generated_tokens": tokens,
        "stop_check": metrics.get("stop_check"),
        "events": [m for m, _f in events.logged],
        "load": os.getloadavg()[0],
    }
    print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
