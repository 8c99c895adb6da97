"""The streaming LoRA merge (backend.export.stream): merged logits equal the adapter's, the base's dtype is
kept, shards and an index are written without loading the base whole, and what it cannot merge (DoRA)
falls back to the in-memory merge and says so. Adapters are made with peft on the tiny model (no training)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from backend.export.run import export
from backend.export.stream import base_files, plan, read_header

TEXTS = ["The quick brown fox jumps over the lazy dog.", "你好，世界！今天天气很好。", "2 + 2 = 4"]


def make_adapter(base: Path, out: Path, **lora) -> Path:
    """A LoRA adapter on ``base`` whose B matrices are random (a fresh adapter merges to the base)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(1)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    cfg = dict(r=8, lora_alpha=16, target_modules="all-linear", task_type="CAUSAL_LM") | lora
    peft_model = get_peft_model(model, LoraConfig(**cfg))
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.05)
    peft_model.save_pretrained(out)
    AutoTokenizer.from_pretrained(base).save_pretrained(out)
    return out


def logits(folder_or_model, tokenizer) -> torch.Tensor:
    from transformers import AutoModelForCausalLM

    model = folder_or_model
    if isinstance(model, Path):
        model = AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32)
    batch = tokenizer(TEXTS, return_tensors="pt", padding=True)
    with torch.no_grad():
        return model.eval()(**batch).logits.float()


def adapter_logits(base: Path, adapter: Path, tokenizer) -> torch.Tensor:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    return logits(PeftModel.from_pretrained(model, adapter), tokenizer)


@pytest.fixture(scope="module")
def bf16_base(tiny_model, tmp_path_factory) -> Path:
    """The tiny model stored in bf16 (as released models are)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path_factory.mktemp("bf16-base")
    AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.bfloat16).save_pretrained(out)
    AutoTokenizer.from_pretrained(tiny_model).save_pretrained(out)
    return out


def test_streaming_merge_equals_the_adapter_and_the_in_memory_merge(tiny_model, studio_home, tmp_path):
    from transformers import AutoTokenizer

    from backend.export.weights import load_adapter

    adapter = make_adapter(tiny_model, tmp_path / "adapter", use_rslora=True)
    tok = AutoTokenizer.from_pretrained(adapter)
    result = export(str(adapter), tmp_path / "out", home=studio_home, base=str(tiny_model))
    assert result.merged and result.dtype == "fp32"
    assert any("tensor by tensor" in n for n in result.notes), result.notes
    merged = logits(tmp_path / "out", tok)
    assert torch.allclose(merged, adapter_logits(tiny_model, adapter, tok), atol=1e-4)
    # Tensor for tensor the same as peft's merge_and_unload (the in-memory path).
    from safetensors.torch import load_file

    streamed = load_file(tmp_path / "out" / "model.safetensors")
    legacy = load_adapter(adapter, tiny_model, False, len(tok), merge=True).state_dict()
    assert set(streamed) == {k for k in legacy if k != "lm_head.weight"}  # tied head saved once
    for key, value in streamed.items():
        assert torch.allclose(value, legacy[key], atol=1e-6), key
    config = json.loads((tmp_path / "out" / "config.json").read_text())
    assert config["use_cache"] is True and config["dtype"] == "float32"


def test_bf16_base_exports_bf16_sharded_unless_dtype_says(bf16_base, studio_home, tmp_path):
    from transformers import AutoTokenizer

    adapter = make_adapter(bf16_base, tmp_path / "adapter")
    tok = AutoTokenizer.from_pretrained(adapter)
    result = export(str(adapter), tmp_path / "out", home=studio_home, base=str(bf16_base), max_shard_size="2MB")
    assert result.dtype == "bf16"
    shards = base_files(tmp_path / "out")
    assert len(shards) > 1
    for shard in shards:  # at most 2 MB of data, unless one tensor alone is larger (the 4 MB embedding)
        header = read_header(shard)[0]
        assert len(header) == 1 or max(i["data_offsets"][1] for i in header.values()) <= 2_000_000, shard
    dtypes = {info["dtype"] for s in shards for info in read_header(s)[0].values()}
    assert dtypes == {"BF16"}
    want = adapter_logits(bf16_base, adapter, tok)
    assert (logits(tmp_path / "out", tok) - want).abs().max() < 0.05 * want.abs().max()  # bf16 rounding
    export(str(adapter), tmp_path / "fp32", home=studio_home, base=str(bf16_base), dtype="fp32")
    assert {i["dtype"] for i in read_header(tmp_path / "fp32" / "model.safetensors")[0].values()} == {"F32"}
    assert torch.allclose(logits(tmp_path / "fp32", tok), want, atol=1e-4)


def test_dora_falls_back_to_the_in_memory_merge_and_says_why(tiny_model, studio_home, tmp_path):
    from transformers import AutoTokenizer

    adapter = make_adapter(tiny_model, tmp_path / "adapter", use_dora=True)
    assert plan(adapter, tiny_model, None) == (None, "a DoRA adapter")
    result = export(str(adapter), tmp_path / "out", home=studio_home, base=str(tiny_model))
    assert "merged in memory in fp32 (a DoRA adapter; the streaming merge does not cover it)" in result.notes
    tok = AutoTokenizer.from_pretrained(adapter)
    assert torch.allclose(logits(tmp_path / "out", tok), adapter_logits(tiny_model, adapter, tok), atol=1e-4)


def test_plan_refuses_an_adapter_that_targets_what_the_base_lacks(tiny_model, tmp_path):
    adapter = make_adapter(tiny_model, tmp_path / "adapter")
    base = tmp_path / "base"
    shutil.copytree(tiny_model, base)
    from safetensors.torch import load_file, save_file

    state = load_file(base / "model.safetensors")
    del state["model.layers.0.self_attn.q_proj.weight"]
    save_file(state, base / "model.safetensors", metadata={"format": "pt"})
    assert plan(adapter, base, None) == (
        None,
        "the adapter targets model.layers.0.self_attn.q_proj.weight, which the base lacks",
    )
