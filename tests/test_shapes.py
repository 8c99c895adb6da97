"""Named real shapes (backend.shapes): exact configs of the released families, ``model.architecture.shape``
in the spec and the memory estimate, and the random-init folder writer with its padded tokenizer."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from conftest import ROOT

from backend.model_shape import ModelShape, shape_for_spec
from backend.shapes import PUBLISHED_PARAMS, SHAPES, pad_tokenizer_vocab, shape_config, write_random_model
from backend.spec import SpecError, apply_overrides, load_spec


@pytest.mark.parametrize("name", list(SHAPES))
def test_shape_matches_the_published_parameter_count_and_transformers(name):
    from transformers import AutoConfig, AutoModelForCausalLM

    cfg = shape_config(name)
    assert ModelShape.from_config(cfg).total_params() == PUBLISHED_PARAMS[name]
    family = cfg.pop("model_type")
    with torch.device("meta"):  # no memory: only the parameter shapes
        model = AutoModelForCausalLM.from_config(AutoConfig.for_model(family, **cfg))
    assert sum(p.numel() for p in model.parameters()) == PUBLISHED_PARAMS[name]


def test_llama3_shapes_carry_llama3_rope_scaling_and_qwen_none():
    assert shape_config("llama-3.1-8b")["rope_scaling"] == {
        "factor": 8.0,
        "high_freq_factor": 4.0,
        "low_freq_factor": 1.0,
        "original_max_position_embeddings": 8192,
        "rope_type": "llama3",
    }
    assert shape_config("llama-3.2-1b")["rope_scaling"]["factor"] == 32.0
    assert "rope_scaling" not in shape_config("qwen2.5-7b")
    assert shape_config("qwen2.5-0.5b")["vocab_size"] == 151936 and shape_config("qwen2.5-7b")["vocab_size"] == 152064
    with pytest.raises(ValueError, match="unknown shape 'qwen3-1b'; expected one of qwen2.5-0.5b, "):
        shape_config("qwen3-1b")


def test_spec_shape_drives_the_memory_estimate(studio_home, tiny_model):
    spec = load_spec(ROOT / "presets/pt/tiny-scratch.yaml")
    spec = apply_overrides(spec, ["model.architecture.shape=qwen2.5-1.5b", f"output.workspace={studio_home}"])
    shape = shape_for_spec(spec, studio_home)
    assert shape.total_params() == PUBLISHED_PARAMS["qwen2.5-1.5b"] and shape.vocab == 151936
    with pytest.raises(SpecError) as err:
        apply_overrides(spec, ["model.architecture.shape=qwen3-1b"])
    assert "model.architecture.shape: must be 'qwen2.5-0.5b', " in str(err.value)
    assert "(got 'qwen3-1b')" in str(err.value)


def test_padded_vocabulary_has_the_model_size_and_refuses_a_smaller_one(tiny_model):

    data = json.loads((tiny_model / "tokenizer.json").read_text())
    padded = pad_tokenizer_vocab(data, 1000 + len(data["model"]["vocab"]))
    assert len(padded["model"]["vocab"]) == 1000 + len(data["model"]["vocab"])
    with pytest.raises(ValueError, match="already has 8192 tokens, more than the model's 100"):
        pad_tokenizer_vocab(data, 100)


def test_random_model_folder_loads_trains_and_keeps_the_tokenizer(tiny_model, tmp_path):
    """A shallow, narrower qwen2.5-0.5b (2 layers, a 32,000-token vocabulary) written sharded, then loaded."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = write_random_model(
        "qwen2.5-0.5b", tmp_path / "m", tiny_model, vocab=32000, layers=2, max_shard_bytes=50 * 2**20
    )
    index = json.loads((out / "model.safetensors.index.json").read_text())
    assert len(set(index["weight_map"].values())) == 3  # the 57 MB embedding alone, then one layer per shard
    tok, base_tok = AutoTokenizer.from_pretrained(out), AutoTokenizer.from_pretrained(tiny_model)
    assert len(tok) == 32000
    text = "Hello, 世界! <|im_start|>user\n2+2<|im_end|>"
    assert tok(text)["input_ids"] == base_tok(text)["input_ids"]
    model = AutoModelForCausalLM.from_pretrained(out)
    assert model.dtype == torch.bfloat16 and model.config.num_hidden_layers == 2
    assert model.config.tie_word_embeddings and model.lm_head.weight is model.model.embed_tokens.weight
    norm = model.model.layers[0].input_layernorm.weight
    assert torch.equal(norm, torch.ones_like(norm))
    std = model.model.layers[1].mlp.down_proj.weight.float().std().item()
    assert 0.019 < std < 0.021
    ids = tok(["2+2=4"], return_tensors="pt")
    logits = model(**ids).logits
    assert logits.shape[-1] == 32000 and torch.isfinite(logits).all()


def test_make_random_model_cli_refuses_a_non_empty_folder(tmp_path, studio_home):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    env = {**os.environ, "STUDIO_HOME": str(studio_home)}
    cmd = [sys.executable, "tools/make_random_model.py", "qwen2.5-0.5b", str(tmp_path / "x")]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and proc.stderr.strip() == f"error: {tmp_path / 'x'} exists and is not empty"
    assert (tmp_path / "x" / "keep.txt").read_text() == "mine"


def test_estimate_breakdown_names_the_vocabulary_term(studio_home, tiny_model):
    from backend.launch import Hardware
    from backend.memory import GB, estimate_memory

    spec = load_spec(ROOT / "presets/sft/tiny-lora.yaml")
    spec = apply_overrides(
        spec,
        [
            "model.from_scratch=true",
            "method.type=full",
            "model.architecture.shape=qwen2.5-0.5b",
            "data.cutoff_len=2048",
            "train.per_device_batch_size=1",
            f"output.workspace={studio_home}",
        ],
    )
    est = estimate_memory(spec, shape_for_spec(spec, studio_home), Hardware(gpu_count=0, bf16_supported=False))
    # 1,024 labelled positions x 151,936 logits x (4 bytes + 12 for the fp32 copy, log-softmax and gradient)
    assert est.parts["logits"] == pytest.approx(1024 * 151936 * 16 / GB)
    assert (
        "logits 2.32 GiB: a 151,936-token vocabulary at 1,024 labelled positions of 2,048 "
        "(the studio's loss projects only those; a stock loss holds all 2,048)"
    ) in est.notes
