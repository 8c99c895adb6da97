"""The peak-memory estimate: exact parameter counts, the formula's parts, and estimate vs measured peak RSS."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import ROOT

from backend.launch import Hardware
from backend.memory import GB, estimate_memory, quant_bytes
from backend.model_shape import ModelShape, shape_for_spec
from backend.spec import spec_from_dict

sys.path.insert(0, str(ROOT))
CPU = Hardware(gpu_count=0, cpu_count=2)
H100x8 = Hardware(gpu_count=8, bf16_supported=True, cpu_count=64, gpu_free_gb=(79.0,) * 8)
# Qwen2.5-7B's config.json (the fields that decide the counts).
QWEN7B = {
    "model_type": "qwen2",
    "vocab_size": 152064,
    "hidden_size": 3584,
    "intermediate_size": 18944,
    "num_hidden_layers": 28,
    "num_attention_heads": 28,
    "num_key_value_heads": 4,
    "tie_word_embeddings": False,
}


def make(method=None, distributed=None, train=None, **data):
    return spec_from_dict(
        {
            "method": method or {},
            "data": {"sources": [{"path": "x.jsonl"}], **data},
            "distributed": distributed or {},
            "train": train or {},
        }
    )


@pytest.mark.parametrize("family", ["llama", "qwen2"])
def test_parameter_count_is_exact(family):
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.for_model(
        family, vocab_size=512, hidden_size=64, intermediate_size=176, num_hidden_layers=3,
        num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=family == "llama",
    )  # fmt: skip
    model = AutoModelForCausalLM.from_config(config)
    assert ModelShape.from_config(config.to_dict()).total_params() == sum(p.numel() for p in model.parameters())


def test_qwen7b_count_matches_the_published_size():
    assert ModelShape.from_config(QWEN7B).total_params() == pytest.approx(7.6156e9, rel=1e-3)


@pytest.mark.parametrize(
    ("targets", "rank", "dora"), [("all-linear", 16, False), (["q_proj", "v_proj"], 8, False), (["o_proj"], 4, True)]
)
def test_lora_trainable_count_equals_peft(tiny_model, targets, rank, dora):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    peft_model = get_peft_model(model, LoraConfig(r=rank, target_modules=targets, use_dora=dora, task_type="CAUSAL_LM"))
    trainable, _ = peft_model.get_nb_trainable_parameters()
    shape = ModelShape.from_config(json.loads((tiny_model / "config.json").read_text()))
    assert shape.lora_params(targets, rank, dora) == trainable


def test_qlora_4bit_weights_equal_bitsandbytes_storage(tiny_model):
    """nf4 + double quantisation: the estimate's weight bytes vs what bitsandbytes really stores on CPU."""
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    bnb = BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.float32,
    )  # fmt: skip
    model = AutoModelForCausalLM.from_pretrained(tiny_model, quantization_config=bnb)
    stored = 0
    for param in model.parameters():
        stored += param.numel() * param.element_size()
        state = getattr(param, "quant_state", None)
        if state is not None:
            stored += state.absmax.numel() * state.absmax.element_size()
            stored += state.state2.absmax.numel() * state.state2.absmax.element_size() + state.offset.numel() * 4
    spec = make({"type": "qlora", "lora": {"rank": 8}})
    shape = ModelShape.from_config(json.loads((tiny_model / "config.json").read_text()))
    est = estimate_memory(spec, shape, CPU)
    lora = shape.lora_params("all-linear", 8)
    assert est.parts["weights"] * GB - lora * 4 == pytest.approx(stored, rel=0.005)


def test_qlora_7b_is_about_half_a_byte_per_weight():
    spec = make({"type": "qlora", "lora": {"rank": 16}}, train={"gradient_checkpointing": True}, cutoff_len=1024)
    shape = ModelShape.from_config(QWEN7B)
    est = estimate_memory(spec, shape, H100x8)
    q = shape.quantised_params()
    rest = shape.total_params() - q
    assert 0.5 < quant_bytes(spec, shape.hidden) < 0.52  # nf4 + double-quantised constants
    assert q * 0.5 < est.parts["weights"] * GB < q * 0.52 + rest * 4 + shape.lora_params("all-linear", 16) * 4 + 1
    # ~3.1 GiB of packed linears, and ~4 GiB for the embeddings and head that prepare_model_for_kbit_training
    # casts to fp32 (Qwen2.5-7B's 152k vocabulary, untied)
    assert 6.5 < est.parts["weights"] < 8
    assert est.parts["optimizer"] == pytest.approx(est.trainable * 8 / GB)
    # batch 4 × 1024 with checkpointing fits a 24 GB card, as QLoRA of a 7B model does in practice
    assert est.device == "cuda" and est.precision == "bf16" and 12 < est.per_device_gb < 22


SHARDED = [(1, {"optimizer"}), (2, {"optimizer", "grads"}), (3, {"optimizer", "grads", "weights"})]


@pytest.mark.parametrize(("stage", "divided"), SHARDED)
def test_zero_stages_shard_their_states(stage, divided):
    shape = ModelShape.from_config(QWEN7B)
    base = estimate_memory(make({"type": "full"}, {"num_processes": 4}), shape, H100x8).parts
    zero = estimate_memory(make({"type": "full"}, {"num_processes": 4, "zero_stage": stage}), shape, H100x8).parts
    # DeepSpeed holds a bf16 model (2 bytes), bf16 grads and fp32 master + moments (12 bytes) per parameter.
    full = {"weights": 2, "grads": 2, "optimizer": 12}
    for part, per_param in full.items():
        want = shape.total_params() * per_param / GB / (4 if part in divided else 1)
        assert zero[part] == pytest.approx(want), part
    assert zero["activations"] == base["activations"]


def test_offload_moves_states_to_cpu():
    shape = ModelShape.from_config(QWEN7B)
    d = {"num_processes": 8, "zero_stage": 3, "offload_optimizer": True, "offload_params": True}
    est = estimate_memory(make({"type": "full"}, d), shape, H100x8)
    assert est.parts["optimizer"] == 0 and est.parts["weights"] == 0
    assert est.cpu_offload_gb == pytest.approx(shape.total_params() * 14 / 8 / GB)


def test_activations_scale_and_checkpointing_saves():
    shape = ModelShape.from_config(QWEN7B)
    one = estimate_memory(make(train={"per_device_batch_size": 1}, cutoff_len=1024), shape, H100x8).parts
    four = estimate_memory(make(train={"per_device_batch_size": 4}, cutoff_len=1024), shape, H100x8).parts
    ckpt = make(train={"per_device_batch_size": 4, "gradient_checkpointing": True}, cutoff_len=1024)
    saved = estimate_memory(ckpt, shape, H100x8).parts
    assert four["activations"] == pytest.approx(4 * one["activations"])
    assert four["logits"] == pytest.approx(4 * one["logits"])
    assert saved["activations"] < four["activations"] / 5


# ---------------------------------------------------------------------------------- estimate vs measured

# Peak RSS is VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's peak (it survives execve),
# which made the smallest config read 1.2 GiB inside the full suite (pytest's own peak) and 0.83 GiB alone.
MEASURED = ["lora-sft b4 s256", "full-pt b8 s256", "full-pt 30M b4 s256"]


@pytest.mark.slow
@pytest.mark.parametrize("name", MEASURED)
def test_estimate_is_within_25_percent_of_measured_peak_rss(name, tmp_path, studio_home, tiny_model):
    from bench.memory_estimate import CPU1, config_spec, measure

    spec = config_spec(name, studio_home)
    estimate = estimate_memory(spec, shape_for_spec(spec, studio_home), CPU1).per_device_gb
    measured = measure(spec, tmp_path / "run") / 1024
    assert estimate == pytest.approx(measured, rel=0.25), (estimate, measured)


# ------------------------------------------------------------------------------- the checkpoint's load peak


def test_loading_a_bf16_checkpoint_on_cpu_is_the_peak_of_a_small_lora_job(tmp_path):
    """Measured at 1.5B (BENCHMARKS.md "Real sizes"): the mmapped bf16 files beside the fp32 model being built
    outweigh a LoRA step with checkpointing; QLoRA holds the unquantised model, not the fp32 one."""
    from dataclasses import replace

    from backend.memory import RUNTIME_CPU_GB

    (tmp_path / "config.json").write_text(json.dumps({**QWEN7B, "dtype": "bfloat16"}), encoding="utf-8")
    folder = {"model": {"name_or_path": str(tmp_path)}, "data": {"sources": [{"path": "x.jsonl"}]}}
    shape = shape_for_spec(spec_from_dict(folder), tmp_path)
    assert shape.stored_bytes == 2 and replace(shape, stored_bytes=0) == ModelShape.from_config(QWEN7B)
    P = shape.total_params()
    small = make({"type": "lora"}, train={"gradient_checkpointing": True}, cutoff_len=512)
    lora = shape.lora_params(small.method.lora.target_modules, small.method.lora.rank, False)
    est = estimate_memory(small, shape, CPU)
    assert est.load_peak_gb * GB == pytest.approx(RUNTIME_CPU_GB * GB + P * 2 + P * 4 + lora * 4)
    assert est.per_device_gb == est.load_peak_gb > sum(est.parts.values())
    assert "while loading the checkpoint" in est.summary() and any("memory-mapped" in n for n in est.notes)
    qlora = estimate_memory(make({"type": "qlora"}, train={"gradient_checkpointing": True}, cutoff_len=512), shape, CPU)
    assert qlora.load_peak_gb * GB == pytest.approx(RUNTIME_CPU_GB * GB + P * 2 * 2)
    # A long sequence without checkpointing trains above the load peak: the parts' sum stands.
    big = estimate_memory(make({"type": "lora"}, cutoff_len=4096), shape, CPU)
    assert big.per_device_gb == pytest.approx(sum(big.parts.values())) and big.load_peak_gb > 0
    # On a GPU the host's mapped files are not device memory; an unknown stored dtype has no load term.
    gpu = estimate_memory(small, shape, H100x8)
    assert gpu.load_peak_gb == 0 and gpu.per_device_gb == pytest.approx(sum(gpu.parts.values()))
    unknown = estimate_memory(small, replace(shape, stored_bytes=0), CPU)
    assert unknown.load_peak_gb == 0 and unknown.per_device_gb == pytest.approx(sum(unknown.parts.values()))


def test_cpu_qlora_without_checkpointing_counts_the_dequantised_copies_the_allocator_keeps():
    """Measured at 0.5B s512 (BENCHMARKS.md "Real sizes"): 4.23 GiB peak with glibc's defaults, 2.93 GiB with
    MALLOC_MMAP_THRESHOLD_=1048576; the 1.30 GiB between is one fp32 copy of every decoder linear (Q × 4)."""
    shape = ModelShape.from_config(QWEN7B)
    plain = estimate_memory(make({"type": "qlora"}, cutoff_len=512), shape, CPU)
    assert plain.parts["dequantised_copies"] * GB == shape.quantised_params() * 4  # fp32 compute on CPU
    assert any("dequantised copy" in n for n in plain.notes)
    ckpt = estimate_memory(make({"type": "qlora"}, train={"gradient_checkpointing": True}, cutoff_len=512), shape, CPU)
    gpu = estimate_memory(make({"type": "qlora"}, cutoff_len=512), shape, H100x8)
    lora = estimate_memory(make({"type": "lora"}, cutoff_len=512), shape, CPU)
    assert all("dequantised_copies" not in e.parts for e in (ckpt, gpu, lora))
