"""Update methods on the tiny model, in-process: what each one trains, and that it trains.

full / freeze / LoRA / QLoRA (bitsandbytes 4-bit nf4 on CPU) each run a few SFT steps; the test checks
which parameters changed and that the saved output loads back.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.spec import spec_from_dict


class Recorder:
    def __init__(self):
        self.events = []

    def emit(self, type, **fields):
        self.events.append({"type": type, **fields})

    def log(self, message, **fields):
        self.emit("log", message=message, **fields)


def run_sft(home: Path, run_dir: Path, method: dict, steps: int = 6, lr: float = 5e-3) -> dict:
    from backend.train import sft

    spec = spec_from_dict(
        {
            "stage": "sft",
            "model": {"name_or_path": "builtin:tiny-llama"},
            "method": method,
            "data": {"sources": [{"path": "builtin:samples/sft_messages.jsonl"}], "cutoff_len": 128},
            "train": {"max_steps": steps, "per_device_batch_size": 4, "learning_rate": lr, "logging_steps": 1},
            "output": {"workspace": str(home)},
        }
    )
    rec = Recorder()
    metrics = sft.run(spec, run_dir, rec)
    losses = [e["loss"] for e in rec.events if e["type"] == "metric" and "loss" in e]
    return {"metrics": metrics, "losses": losses, "events": rec.events}


def changed_params(before: dict, after_dir: Path) -> set[str]:
    import torch
    from safetensors.torch import load_file

    after = load_file(after_dir / "model.safetensors")
    return {k for k, v in after.items() if k in before and not torch.equal(v, before[k])}


def base_weights(tiny_model: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(tiny_model / "model.safetensors")


def test_freeze_trains_only_the_last_layers(studio_home, tiny_model, tmp_path):
    before = base_weights(tiny_model)
    out = run_sft(
        studio_home, tmp_path, {"type": "freeze", "freeze": {"trainable_layers": 1, "extra_modules": ["model.norm"]}}
    )
    changed = changed_params(before, tmp_path / "model")
    assert changed and all(k.startswith("model.layers.3.") or k == "model.norm.weight" for k in changed), changed
    assert "model.norm.weight" in changed
    assert any(k.startswith("model.layers.3.mlp") for k in changed)
    assert out["losses"][-1] < out["losses"][0]


def test_full_trains_every_layer(studio_home, tiny_model, tmp_path):
    before = base_weights(tiny_model)
    run_sft(studio_home, tmp_path, {"type": "full"}, steps=3)
    changed = changed_params(before, tmp_path / "model")
    assert {k.split(".")[2] for k in changed if k.startswith("model.layers.")} == {"0", "1", "2", "3"}


def test_lora_saves_only_the_adapter_and_it_loads(studio_home, tiny_model, tmp_path):
    from peft import AutoPeftModelForCausalLM

    out = run_sft(
        studio_home, tmp_path, {"type": "lora", "lora": {"rank": 4, "alpha": 8, "target_modules": ["q_proj", "v_proj"]}}
    )
    adapter = tmp_path / "adapter"
    assert (adapter / "adapter_model.safetensors").exists() and not (adapter / "model.safetensors").exists()
    model = AutoPeftModelForCausalLM.from_pretrained(adapter)
    names = [n for n, _ in model.named_parameters() if "lora_" in n]
    assert names and all(("q_proj" in n or "v_proj" in n) for n in names)
    assert out["losses"][-1] < out["losses"][0]


def test_qlora_4bit_trains_on_cpu_and_adapter_loads_on_fp32_base(studio_home, tiny_model, tmp_path):
    pytest.importorskip("bitsandbytes")
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    out = run_sft(
        studio_home,
        tmp_path,
        {"type": "qlora", "quant": {"bits": 4, "quant_type": "nf4"}, "lora": {"rank": 8, "alpha": 16}},
    )
    assert out["losses"][-1] < out["losses"][0], out["losses"]
    base = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32)
    model = PeftModel.from_pretrained(base, tmp_path / "adapter")
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([[5, 6, 7, 8]])).logits
    assert torch.isfinite(logits).all()
