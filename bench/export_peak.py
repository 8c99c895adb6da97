"""Peak RSS of exporting a merged LoRA adapter at real size: the streaming merge vs the in-memory one.

Each export runs in a fresh child process that reports its own VmHWM (``backend.memory.peak_rss_mb``).

    python bench/export_peak.py ADAPTER_DIR BASE_DIR [--dtype auto] [--only streaming|in-memory] [--json OUT]
    python bench/export_peak.py --make-adapter ADAPTER_DIR BASE_DIR   # a random LoRA r=16 all-linear adapter
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys
from backend.export.run import export
from backend.memory import peak_rss_mb
r = export(sys.argv[1], sys.argv[2], base=sys.argv[3], dtype=sys.argv[4], streaming=sys.argv[5] == "1")
print(json.dumps({"peak_rss_mb": peak_rss_mb(), "dtype": r.dtype, "notes": r.notes}))
"""


def export_peak(adapter: Path, base: Path, out: Path, dtype: str = "auto", streaming: bool = True) -> dict:
    """Export in a child process; its peak RSS (MiB), the export dtype and notes, and the seconds it took."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    start, load = time.time(), os.getloadavg()[0]
    cmd = [sys.executable, "-c", CHILD, str(adapter), str(out), str(base), dtype, "1" if streaming else "0"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    return {**row, "seconds": time.time() - start, "load": load, "streaming": streaming}


def make_adapter(base: Path, out: Path, rank: int = 16) -> Path:
    """A LoRA adapter (r=``rank``, all-linear) of ``base`` with random A and B, so its merge changes every
    targeted weight; the base is loaded in its stored dtype (bf16: twice its parameters in bytes, mapped
    files included). Stands in for a trained adapter where only the export's memory is measured."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(base, dtype="auto")
    config = LoraConfig(r=rank, lora_alpha=2 * rank, target_modules="all-linear", init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(out)
    return out


def weights_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("*.safetensors"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("adapter", type=Path)
    parser.add_argument("base", type=Path)
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only", choices=["streaming", "in-memory"], help="run one of the two exports")
    parser.add_argument("--make-adapter", action="store_true", help="write a random adapter to ADAPTER_DIR")
    args = parser.parse_args()
    if args.make_adapter:
        print(make_adapter(args.base, args.adapter))
        return 0
    size = weights_bytes(args.base) / 2**20
    rows = []
    for streaming in [m == "streaming" for m in ("in-memory", "streaming") if args.only in (None, m)]:
        with tempfile.TemporaryDirectory(prefix="export-peak-") as tmp:
            row = export_peak(args.adapter, args.base, Path(tmp) / "out", args.dtype, streaming)
        row.update(base=str(args.base), model_mb=size, ratio=row["peak_rss_mb"] / size)
        print(json.dumps(row), flush=True)
        rows.append(row)
        if args.json:
            with open(args.json, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
