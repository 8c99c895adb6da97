"""The prepared GPU check (issue 19): three measurements at real shapes, one JSON and one markdown table.

1. ``sft``: full SFT of the qwen2.5-0.5b shape, bf16, sequence 2048, packing: tokens/s and MFU of the
   studio backend beside bare TRL ``SFTTrainer`` on the same job (same model folder, data, length,
   batch, steps), alternating rounds in this one process.
2. ``qlora``: QLoRA 4-bit of the qwen2.5-7b shape, sequence 2048, batch 1: peak GPU memory
   (``torch.cuda.max_memory_allocated``) against ``backend.memory.estimate_memory``.
3. ``liger``: LoRA of the qwen2.5-1.5b shape with and without Liger kernels (when liger-kernel is
   installed; otherwise the row says so).

Models are random-init folders written by :func:`backend.shapes.write_random_model`. ``--tiny`` runs the
same code at a tiny stand-in (the 0.5B shape with 1 layer and an 8,192-token vocabulary for all three,
sequence 128, 2 steps, 1 round) so that a CPU test keeps it from rotting.

    python bench/gpu/measure.py OUT_DIR [--tiny] [--steps N] [--only sft qlora liger]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REAL = {"sft": "qwen2.5-0.5b", "qlora": "qwen2.5-7b", "liger": "qwen2.5-1.5b"}
SEQ, STEPS = 2048, 12
TINY = dict(layers=1, vocab=8192, seq=128, steps=2)


class _Quiet:
    def emit(self, *a, **k):
        pass

    def log(self, *a, **k):
        pass


def _cuda():
    import torch

    return torch.cuda.is_available()


def _reset_peak() -> None:
    import torch

    if _cuda():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def _peak_gb() -> float | None:
    import torch

    return torch.cuda.max_memory_allocated() / 2**30 if _cuda() else None


def job_spec(model: Path, home: Path, method: str, seq: int, steps: int, liger: bool = False):
    """The studio's JobSpec of one measured job: packed SFT on the shipped chat samples, batch 1."""
    from backend.spec import spec_from_dict

    return spec_from_dict(
        {
            "stage": "sft",
            "model": {"name_or_path": str(model)},
            "method": {"type": method, "lora": {"rank": 16, "alpha": 32}, "quant": {"bits": 4}},
            "data": {
                "sources": [{"path": "builtin:samples/sft_messages.jsonl"}],
                "cutoff_len": seq,
                "packing": True,
                "val_size": 0,
            },
            "train": {
                "max_steps": steps, "per_device_batch_size": 1, "learning_rate": 1e-5, "logging_steps": 1000,
                "save_steps": 0, "eval_steps": 0, "gradient_checkpointing": True, "use_liger_kernel": liger,
            },
            "eval": {"stop_check": False},
            "output": {"workspace": str(home)},
        }
    )  # fmt: skip


def studio_run(spec) -> dict:
    """Train ``spec`` in this process: tokens, seconds, tokens/s, peak GPU memory (GiB) and MFU."""
    from backend.train import sft

    _reset_peak()
    with tempfile.TemporaryDirectory() as run_dir:
        metrics = sft.run(spec, Path(run_dir), _Quiet())
    tokens, seconds = metrics["num_input_tokens_seen"], metrics["train_runtime"]
    return {"tokens": tokens, "seconds": seconds, "tokens_per_s": tokens / seconds, "peak_gpu_gb": _peak_gb()}


def trl_run(model: Path, seq: int, steps: int, lora: bool = False) -> dict:
    """Bare TRL SFTTrainer, full SFT (or LoRA r=16 all-linear), on the same model, data, length, batch and
    steps (packing on)."""
    import datasets
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from backend.workspace import SAMPLES_DIR

    data = datasets.load_dataset("json", data_files=str(SAMPLES_DIR / "sft_messages.jsonl"), split="train")
    bf16 = _cuda() and torch.cuda.is_bf16_supported()
    _reset_peak()
    with tempfile.TemporaryDirectory() as out:
        config = SFTConfig(
            output_dir=out, use_cpu=not _cuda(), bf16=bf16, per_device_train_batch_size=1, max_length=seq,
            max_steps=steps, learning_rate=1e-5, logging_steps=1000, save_strategy="no", report_to="none",
            disable_tqdm=True, include_num_input_tokens_seen="non_padding", packing=True,
            gradient_checkpointing=True,
        )  # fmt: skip
        trainer = SFTTrainer(
            model=AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32),
            args=config,
            train_dataset=data,
            processing_class=AutoTokenizer.from_pretrained(model),
            peft_config=_lora_config() if lora else None,
        )
        result = trainer.train()
    tokens, seconds = trainer.state.num_input_tokens_seen, result.metrics["train_runtime"]
    return {"tokens": tokens, "seconds": seconds, "tokens_per_s": tokens / seconds, "peak_gpu_gb": _peak_gb()}


def _lora_config():
    from peft import LoraConfig

    return LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM")


def flops_per_token(model: Path, seq: int, method: str) -> float:
    """Model FLOPs per trained token (backend.flops's convention) from the folder's config.json."""
    from backend.model_shape import ModelShape

    shape = ModelShape.from_config(json.loads((model / "config.json").read_text(encoding="utf-8")))
    linear = shape.layers * sum(a * b * n for a, b, n in shape.linear_shapes().values()) + shape.vocab * shape.hidden
    attn = 12 * shape.layers * seq * shape.heads * shape.head_dim
    if method == "full":
        return 6 * linear + attn
    lora = shape.lora_params("all-linear", 16)
    return 4 * linear + 6 * lora + attn


def device_name() -> str:
    import torch

    return torch.cuda.get_device_name() if _cuda() else f"CPU ({platform.machine()}, {os.cpu_count()} cores)"


def measure_sft(model: Path, home: Path, seq: int, steps: int, rounds: int = 2) -> dict:
    from backend.flops import mfu

    best: dict[str, dict] = {}
    for _ in range(rounds):
        for name, fn in (
            ("studio", lambda: studio_run(job_spec(model, home, "full", seq, steps))),
            ("trl", lambda: trl_run(model, seq, steps)),
        ):
            res = fn()
            if name not in best or res["tokens_per_s"] > best[name]["tokens_per_s"]:
                best[name] = res
    fpt = flops_per_token(model, seq, "full")
    for res in best.values():
        res["mfu"] = mfu(fpt, res["tokens_per_s"], device_name() if _cuda() else None)
    best["ratio"] = best["studio"]["tokens_per_s"] / best["trl"]["tokens_per_s"]
    return best


def measure_qlora(model: Path, home: Path, seq: int, steps: int) -> dict:
    from backend.launch import Hardware
    from backend.memory import estimate_memory
    from backend.model_shape import shape_for_spec

    spec = job_spec(model, home, "qlora", seq, steps)
    hw = Hardware(gpu_count=1 if _cuda() else 0, bf16_supported=_cuda(), cpu_count=os.cpu_count() or 1)
    est = estimate_memory(spec, shape_for_spec(spec, home), hw)
    res = studio_run(spec)
    res.update(estimate_gb=est.per_device_gb, parts_gb=est.parts)
    if res["peak_gpu_gb"]:
        res["error"] = est.per_device_gb / res["peak_gpu_gb"] - 1
    return res


def measure_liger(model: Path, home: Path, seq: int, steps: int) -> dict:
    out = {"without": studio_run(job_spec(model, home, "lora", seq, steps))}
    if importlib.util.find_spec("liger_kernel") is None:
        out["with"] = None
        out["note"] = "liger-kernel is not installed: only the run without it"
    else:
        out["with"] = studio_run(job_spec(model, home, "lora", seq, steps, liger=True))
        out["ratio"] = out["with"]["tokens_per_s"] / out["without"]["tokens_per_s"]
    return out


def _f(x, fmt: str) -> str:
    return "n/a" if x is None else format(x, fmt)


def _gb(x) -> str:
    return "n/a" if x is None else f"{x:.2f} GiB"


def markdown(doc: dict) -> str:
    """The results as a markdown table, one row per measured setup."""
    lines = [f"Device: {doc['device']}; torch {doc['torch']}; {doc['when']}; seq {doc['seq']}, {doc['steps']} steps."]
    lines += [
        "",
        "| measurement | setup | tokens/s | MFU | peak GPU memory | estimate | note |",
        "|---|---|---:|---:|---:|---:|---|",
    ]  # noqa: E501
    m = doc["results"]
    if "sft" in m:
        for name in ("studio", "trl"):
            r = m["sft"][name]
            setup = "studio backend" if name == "studio" else "bare TRL SFTTrainer"
            ratio = f"{m['sft']['ratio']:.2f}x TRL" if name == "studio" else ""
            lines.append(
                f"| full SFT {doc['models']['sft']} | {setup} | {r['tokens_per_s']:.0f} | {_f(r['mfu'], '.1%')} | "
                f"{_gb(r['peak_gpu_gb'])} | | {ratio} |"
            )
    if "qlora" in m:
        r = m["qlora"]
        err = f"error {r['error']:+.1%}" if r.get("error") is not None else "no GPU: estimate only"
        lines.append(
            f"| QLoRA 4-bit {doc['models']['qlora']} | studio backend | {r['tokens_per_s']:.0f} | | "
            f"{_gb(r['peak_gpu_gb'])} | {r['estimate_gb']:.2f} GiB | {err} |"
        )
    if "liger" in m:
        for key in ("without", "with"):
            r = m["liger"][key]
            note = m["liger"].get("note", "") if key == "with" else ""
            if key == "with" and r is not None:
                note = f"{m['liger']['ratio']:.2f}x without"
            tps = "n/a" if r is None else f"{r['tokens_per_s']:.0f}"
            peak = "n/a" if r is None else f"{_gb(r['peak_gpu_gb'])}"
            lines.append(f"| LoRA {doc['models']['liger']} | {key} Liger | {tps} | | {peak} | | {note} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for results.json and results.md")
    parser.add_argument("--tiny", action="store_true", help="tiny stand-in shapes (the CPU test)")
    parser.add_argument("--steps", type=int, help="optimizer steps per run")
    parser.add_argument("--only", nargs="*", choices=list(REAL), help="measurements to run (default: all)")
    parser.add_argument("--models", type=Path, help="where the random-init model folders are written")
    args = parser.parse_args(argv)
    import torch

    from backend.builtin import ensure_tiny_tokenizer
    from backend.shapes import write_random_model

    seq, steps = (TINY["seq"], TINY["steps"]) if args.tiny else (SEQ, STEPS)
    steps = args.steps or steps
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="gpu-check-"))
    home, models = work / "home", args.models or work / "models"
    tok = ensure_tiny_tokenizer(home)
    shape_kw = {"layers": TINY["layers"], "vocab": TINY["vocab"]} if args.tiny else {}
    doc = {
        "device": device_name(), "torch": torch.__version__, "when": time.strftime("%Y-%m-%d %H:%M"),
        "tiny": args.tiny, "seq": seq, "steps": steps, "models": {}, "results": {},
    }  # fmt: skip
    for name in args.only or list(REAL):
        # --tiny: one shallow, narrow stand-in (the 0.5B shape's layer) serves all three, for speed.
        shape = "qwen2.5-0.5b" if args.tiny else REAL[name]
        model = models / (shape + ("-tiny" if args.tiny else ""))
        if not (model / "config.json").exists():
            write_random_model(shape, model, tok, dtype="bfloat16", **shape_kw)
        doc["models"][name] = REAL[name] + (" (tiny stand-in)" if args.tiny else "")
        fn = {"sft": measure_sft, "qlora": measure_qlora, "liger": measure_liger}[name]
        start = time.time()
        kw = {"rounds": 1} if name == "sft" and args.tiny else {}
        doc["results"][name] = fn(model, home, seq, steps, **kw)
        doc["results"][name]["wall_s"] = time.time() - start
        (args.out / "results.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")  # partial results too
    (args.out / "results.md").write_text(markdown(doc), encoding="utf-8")
    print(markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
