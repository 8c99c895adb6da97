"""Memory estimate vs measured peak RSS at real sizes: the qwen2.5-0.5b and qwen2.5-1.5b shapes
(random weights, 151,936-token vocabulary), LoRA / QLoRA 4-bit / full, sequence 512 and 2048, with and
without gradient checkpointing, one CPU process, fp32 compute, batch 1, packed rows, 1 optimizer step.

Each case trains in a fresh ``python -m backend.train`` process (bench/memory_estimate.measure) and reads
its VmHWM. A case whose estimate exceeds ``--max-gb`` is not run (the machine is shared): the table
gives its estimate and says it does not fit.

    python bench/scale_memory.py [--only NAME ...] [--max-gb 9] [--models DIR] [--json OUT]
    python bench/scale_memory.py --table OUT [--models DIR]   # every case: today's estimate beside the
                                                              # last measured peak in OUT (JSON lines)
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

from backend.memory import estimate_memory, meminfo_gb  # noqa: E402
from backend.model_shape import shape_for_spec  # noqa: E402
from backend.spec import apply_overrides, load_spec  # noqa: E402
from bench.memory_estimate import CPU1, measure  # noqa: E402

STEP = ["train.max_steps=1", "train.eval_steps=0", "data.val_size=0", "train.save_steps=0", "train.logging_steps=1"]
STEP += [
    "train.per_device_batch_size=1",
    "train.gradient_accumulation_steps=1",
    "data.packing=true",
    "eval.stop_check=false",
]
METHODS = {
    "lora": ["method.type=lora"],
    "qlora": ["method.type=qlora", "method.quant.bits=4"],
    "full": ["method.type=full"],
}
CASES = [
    (shape, method, seq, ckpt)
    for shape in ("qwen2.5-0.5b", "qwen2.5-1.5b")
    for method in ("lora", "qlora", "full")
    for seq in (512, 2048)
    for ckpt in (False, True)
]


def case_name(shape: str, method: str, seq: int, ckpt: bool) -> str:
    return f"{shape} {method} s{seq}" + (" ckpt" if ckpt else "")


def ensure_model(shape: str, models: Path) -> Path:
    """The random-init bf16 folder of ``shape`` under ``models`` (written once)."""
    from backend.builtin import ensure_tiny_tokenizer
    from backend.shapes import write_random_model

    out = models / shape
    if not (out / "config.json").exists():
        write_random_model(shape, out, ensure_tiny_tokenizer(models / "home"))
    return out


def case_spec(shape: str, method: str, seq: int, ckpt: bool, models: Path, home: Path):
    spec = load_spec(ROOT / "presets/sft/tiny-lora.yaml")
    sets = STEP + METHODS[method] + [f"data.cutoff_len={seq}", f"train.gradient_checkpointing={str(ckpt).lower()}"]
    sets += [f"model.name_or_path={ensure_model(shape, models)}", f"output.workspace={home}"]
    return apply_overrides(spec, sets)


def estimate_row(case, models: Path, home: Path) -> dict:
    """The case's name, parameters and the current estimate with its parts (nothing is trained)."""
    spec = case_spec(*case, models, home)
    est = estimate_memory(spec, shape_for_spec(spec, home), CPU1)
    return {
        "name": case_name(*case),
        "params": est.params,
        "estimate_gb": est.per_device_gb,
        "load_peak_gb": est.load_peak_gb,
        "parts": est.parts,
    }


def run_case(case, models: Path, home: Path, work: Path, max_gb: float, margin_gb: float = 3.0) -> dict:
    """Estimate and (when it fits) measure one case; a case is not run past ``max_gb`` or when the machine's
    MemAvailable is under its estimate plus ``margin_gb`` (other processes share this machine)."""
    spec = case_spec(*case, models, home)
    row = estimate_row(case, models, home)
    if row["estimate_gb"] > max_gb:
        row.update(
            measured_gb=None, note=f"not run: the estimate exceeds the {max_gb:g} GiB this shared machine allows"
        )
        return row
    free = meminfo_gb()
    if free is not None and free < row["estimate_gb"] + margin_gb:
        row.update(measured_gb=None, note=f"not run: only {free:.1f} GiB available")
        return row
    load = os.getloadavg()[0]
    start = time.time()
    measured = measure(spec, work / row["name"].replace(" ", "_"), timeout=3600) / 1024
    row.update(measured_gb=measured, error=row["estimate_gb"] / measured - 1, seconds=time.time() - start, load=load)
    return row


def table(rows: list[dict]) -> str:
    out = (
        "| case | params | weights+grads+optim | activations | logits | training | loading | estimate "
        "| measured peak RSS | error | load avg |\n"
    )
    out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    for r in rows:
        p = r["parts"]
        states = p["weights"] + p["grads"] + p["optimizer"]
        measured = f"{r['measured_gb']:.2f} GiB" if r.get("measured_gb") else "not run"
        err = f"{r['error']:+.1%}" if r.get("measured_gb") else ""
        load = f"{r['load']:.1f}" if r.get("load") is not None else ""
        # CPU QLoRA without checkpointing: the dequantised copies the allocator keeps (backend.memory) shown
        # with the activations they sit between, marked +dq.
        act = f"{p['activations'] + p.get('dequantised_copies', 0):.2f} GiB" + (
            " +dq" if "dequantised_copies" in p else ""
        )
        out += (
            f"| {r['name']} | {r['params'] / 1e9:.2f}B | {states:.2f} GiB | {act} | "
            f"{p['logits']:.2f} GiB | {sum(p.values()):.2f} GiB | {r.get('load_peak_gb', 0):.2f} GiB | "
            f"{r['estimate_gb']:.2f} GiB | {measured} | {err} | {load} |\n"
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="case names to run (default: all)")
    parser.add_argument("--max-gb", type=float, default=9.0, help="skip cases estimated above this (GiB)")
    parser.add_argument("--models", type=Path, default=Path(tempfile.gettempdir()) / "studio-scale-models")
    parser.add_argument("--json", type=Path, help="append each row to this JSON-lines file")
    parser.add_argument("--table", type=Path, help="print the table of measured rows in this JSON-lines file")
    args = parser.parse_args()
    if args.table:
        measured = {}
        for line in args.table.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("measured_gb"):
                measured[row["name"]] = row
        rows = []
        with tempfile.TemporaryDirectory(prefix="scale-mem-") as tmp:
            for case in CASES:
                row = estimate_row(case, args.models, Path(tmp) / "home")
                got = measured.get(row["name"], {})
                if got:
                    row.update(measured_gb=got["measured_gb"], load=got.get("load"))
                    row["error"] = row["estimate_gb"] / got["measured_gb"] - 1
                rows.append(row)
        print(table(rows))
        return 0
    cases = [c for c in CASES if not args.only or case_name(*c) in args.only]
    rows = []
    with tempfile.TemporaryDirectory(prefix="scale-mem-") as tmp:
        for case in cases:
            row = run_case(case, args.models, Path(tmp) / "home", Path(tmp) / "runs", args.max_gb)
            print(json.dumps(row), flush=True)
            if args.json:
                with open(args.json, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(row) + "\n")
            rows.append(row)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
