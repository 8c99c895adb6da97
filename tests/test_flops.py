"""FLOPs per trained token, the peak table and MFU, against hand computations for two model shapes."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoConfig, AutoModelForCausalLM

from backend.flops import PEAK_TFLOPS, Throughput, mfu, peak_key, throughput_line, token_flops


def model_of(family: str, **arch):
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(AutoConfig.for_model(family, **arch))


def test_full_training_of_the_tiny_llama_shape():
    # builtin:tiny-llama: L=4, d=256, ff=688, 4 heads of 64, V=8192, tied embeddings; all weights train.
    model = model_of(
        "llama", vocab_size=8192, hidden_size=256, intermediate_size=688, num_hidden_layers=4,
        num_attention_heads=4, num_key_value_heads=4, tie_word_embeddings=True,
    )  # fmt: skip
    # per layer: q, k, v, o = 4 * 256 * 256 = 262,144; MLP 3 * 256 * 688 = 528,384; sum 790,528; x4 = 3,162,112
    # the output head (tied, still a matmul): 8192 * 256 = 2,097,152  ->  N = 5,259,264
    # attention at T = 256: 12 * 4 * 256 * 256 = 3,145,728
    f = token_flops(model, seq_len=256)
    assert (f.n_trainable, f.n_frozen, f.attention) == (5_259_264, 0, 3_145_728)
    assert f.total == 6 * 5_259_264 + 3_145_728 == 34_701_312


def test_lora_on_a_grouped_query_qwen2_shape_splits_trainable_and_frozen():
    from peft import LoraConfig, get_peft_model

    # Qwen2-shaped: L=2, d=128, 4 heads of 32, 2 KV heads (k, v are 128 -> 64), ff=344, V=1024, untied.
    base = model_of(
        "qwen2", vocab_size=1024, hidden_size=128, intermediate_size=344, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False,
    )  # fmt: skip
    model = get_peft_model(base, LoraConfig(r=8, target_modules=["q_proj", "v_proj"]))
    # frozen per layer: q 16,384 + k 8,192 + v 8,192 + o 16,384 + MLP 3 * 128 * 344 = 132,096 -> 181,248;
    # x2 = 362,496; + head 1024 * 128 = 131,072  ->  493,568
    # LoRA per layer: q: A 128*8 + B 8*128 = 2,048; v: A 128*8 + B 8*64 = 1,536 -> 3,584; x2 = 7,168
    # attention at T = 512: 12 * 2 * 512 * 128 = 1,572,864
    f = token_flops(model, seq_len=512)
    assert (f.n_trainable, f.n_frozen, f.attention) == (7_168, 493_568, 1_572_864)
    assert f.total == 6 * 7_168 + 4 * 493_568 + 1_572_864 == 3_590_144


def freeze(model, trainable_layers: int, extra_modules: list[str]):
    """``method.freeze`` applied by the trainer's own code (backend.train.common.apply_method)."""
    from types import SimpleNamespace

    from backend.train.common import apply_method

    method = SimpleNamespace(
        type="freeze", freeze=SimpleNamespace(trainable_layers=trainable_layers, extra_modules=extra_modules)
    )
    return apply_method(model, SimpleNamespace(method=method))


TINY_LLAMA = dict(
    vocab_size=8192, hidden_size=256, intermediate_size=688, num_hidden_layers=4, num_attention_heads=4,
    num_key_value_heads=4, tie_word_embeddings=True,
)  # fmt: skip


def test_freeze_counts_the_layers_below_every_trainable_one_forward_only():
    # The tiny-llama shape (per layer: attention 262,144 + MLP 528,384 = 790,528 matmul weights; tied head
    # 2,097,152), freeze with the top layer trainable: layers 0-2 are below it, the backward pass never
    # reaches them -> 2 FLOPs per weight; the frozen head is above it -> 4; layer 3 trains -> 6.
    f = token_flops(freeze(model_of("llama", **TINY_LLAMA), 1, []), seq_len=256)
    assert (f.n_trainable, f.n_frozen, f.n_forward_only) == (790_528, 2_097_152, 3 * 790_528)
    # attention: 4 * T * d forward in all 4 layers, 8 * T * d backward in layer 3 only (T = d = 256)
    assert f.attention == 4 * 4 * 65_536 + 8 * 1 * 65_536 == 1_572_864
    assert f.total == 6 * 790_528 + 4 * 2_097_152 + 2 * 2_371_584 + 1_572_864 == 19_447_808
    # An extra module in layer 1 (its MLP) pulls the backward pass down to layer 1: only layer 0 stays
    # forward-only; layer 1's attention and layer 2 are frozen but reached -> 4.
    f = token_flops(freeze(model_of("llama", **TINY_LLAMA), 1, ["layers.1.mlp"]), seq_len=256)
    assert (f.n_trainable, f.n_frozen, f.n_forward_only) == (790_528 + 528_384, 262_144 + 790_528 + 2_097_152, 790_528)
    assert f.attention == 4 * 4 * 65_536 + 8 * 3 * 65_536 == 2_621_440
    assert f.total == 6 * 1_318_912 + 4 * 3_149_824 + 2 * 790_528 + 2_621_440 == 24_715_264
    # Training the (tied) embedding reaches every layer: nothing is forward-only, attention is 12 * L * T * d.
    f = token_flops(freeze(model_of("llama", **TINY_LLAMA), 1, ["embed_tokens"]), seq_len=256)
    assert (f.n_trainable, f.n_frozen, f.n_forward_only) == (790_528 + 2_097_152, 3 * 790_528, 0)
    assert f.total == 6 * 2_887_680 + 4 * 2_371_584 + 12 * 4 * 65_536 == 29_958_144


@pytest.mark.parametrize(
    ("name", "key", "tflops"),
    [
        ("NVIDIA H100 80GB HBM3", "H100 SXM", 989.0),
        ("NVIDIA H100 PCIe", "H100 PCIe", 756.0),
        ("NVIDIA A100-SXM4-80GB", "A100", 312.0),
        ("NVIDIA A800-SXM4-80GB", "A800", 312.0),
        ("NVIDIA L40S", "L40S", 362.0),
        ("NVIDIA GeForce RTX 4090", "RTX 4090", 165.0),
        ("NVIDIA GeForce RTX 3090", "RTX 3090", 71.0),
        ("NVIDIA H100 NVL", None, None),  # neither SXM nor PCIe: not guessed
        ("Tesla T4", None, None),
        (None, None, None),  # CPU
    ],
)
def test_peak_table_by_device_name(name, key, tflops):
    assert peak_key(name) == key
    if key:
        assert PEAK_TFLOPS[key][0] == tflops and PEAK_TFLOPS[key][1]  # every figure names its source


def test_mfu_and_the_metric_fields():
    # 34,701,312 FLOPs/token at 10,000 tokens/s on an H100 SXM: 3.4701312e11 / 9.89e14 = 3.5087e-4
    assert mfu(34_701_312, 10_000, "NVIDIA H100 80GB HBM3") == pytest.approx(3.5087272e-4, rel=1e-6)
    assert mfu(34_701_312, 10_000, "Tesla T4") is None
    # 2 processes share 80,000 tokens/s: 40,000 each; 5e9 FLOPs/token * 4e4 / 3.12e14 = 0.641
    assert Throughput(5_000_000_000, 2, "NVIDIA A100-SXM4-80GB")(80_000.0) == {
        "tokens_per_s_per_device": 40_000.0,
        "mfu": 0.641,
    }
    assert Throughput(34_701_312, 1, None)(1234.56) == {"tokens_per_s_per_device": 1234.6}  # CPU: no MFU
    assert throughput_line(Throughput(34_701_312, 1, None)) == (
        "throughput: 34.70 MFLOPs per trained token; no peak known for CPU: tokens/s per device only, no MFU"
    )
    assert "MFU against H100 SXM 989 TFLOP/s" in throughput_line(Throughput(1, 8, "NVIDIA H100 80GB HBM3"))


def test_train_tab_shows_tokens_per_s_per_device_and_mfu_when_known(studio_home):
    from backend.events import EVENTS_FILE, EventWriter
    from backend.run.registry import create_run
    from backend.spec import load_spec
    from backend.workspace import PROJECT_ROOT
    from studio import live

    run = create_run(load_spec(PROJECT_ROOT / "presets/sft/tiny-lora.yaml"), studio_home)
    writer = EventWriter(run.path / EVENTS_FILE)
    writer.emit("metric", step=2, total_steps=8, loss=2.5, tokens_per_s=2469.2, tokens_per_s_per_device=1234.6)
    progress, _, log, _, _, _, tps, watch = live.tick(live.new_watch(run), str(studio_home))
    assert "step 2/8 · 25%" in progress and "1,235 tokens/s per device" in progress
    assert "MFU" not in progress  # a CPU run (or an unknown GPU) has no peak: tokens/s only
    assert "tokens_per_s_per_device 1235" in log
    assert 'data-series="tokens_per_s"' in tps and 'data-series="tokens_per_s_per_device"' in tps  # the SVG chart
    writer.emit("metric", step=4, total_steps=8, loss=2.0, tokens_per_s_per_device=9000.0, mfu=0.3821)
    progress = live.tick(watch, str(studio_home))[0]
    assert "9,000 tokens/s per device · MFU 38.2%" in progress
