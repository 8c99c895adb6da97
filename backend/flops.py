"""Model FLOPs per trained token, the peak dense bf16 rate of known GPUs, and MFU from both.

Training FLOPs per token (the PaLM paper's model-FLOPs convention, appendix B; recomputation under
gradient checkpointing is not counted, so this is MFU, not hardware utilisation):

    6 * N_trainable + 4 * N_frozen + 12 * L * T * d_attn

* ``N_trainable`` / ``N_frozen``: the weights of every matrix multiply (each ``nn.Linear``: q/k/v/o, the
  MLP, LoRA's A and B, and the output head, which is a matmul even when tied to the input embedding;
  the embedding lookup itself is a gather and counts nothing). A trainable weight costs 2 FLOPs forward,
  2 for the activation gradient and 2 for its own gradient; a frozen one (the base under LoRA/QLoRA,
  the frozen layers of ``freeze``) skips its weight gradient: 4. QLoRA's 4-bit base is dequantised and
  multiplied in 16 bits, so it counts like a LoRA base. Biases and norms are left out (under 0.1%).
* ``12 * L * T * d_attn``: attention scores and the weighted sum (2 * 2 * T * d_attn forward per layer,
  times 3 with the backward), ``T`` the sequence length (``data.cutoff_len``: exact for packed rows, an
  upper bound for unpacked ones), ``d_attn`` = heads * head dim; no causal halving, as in PaLM.

MFU = FLOPs per token * tokens per second per device / the device's peak (:data:`PEAK_TFLOPS`).
"""

from __future__ import annotations

from dataclasses import dataclass

# Dense (no 2:4 sparsity) bf16 tensor-core peak, TFLOP/s, and where the figure comes from. NVIDIA's
# datasheets print the sparse figure first; the dense one is half of it.
PEAK_TFLOPS: dict[str, tuple[float, str]] = {
    "H100 SXM": (989.0, "NVIDIA H100 Tensor Core GPU datasheet: BF16 1,979 TFLOPS with sparsity (SXM5)"),
    "H100 PCIe": (756.0, "NVIDIA H100 Tensor Core GPU datasheet: BF16 1,513 TFLOPS with sparsity (PCIe)"),
    "H200": (989.0, "NVIDIA H200 Tensor Core GPU datasheet: BF16 1,979 TFLOPS with sparsity (SXM)"),
    "A100": (312.0, "NVIDIA A100 Tensor Core GPU datasheet: BF16 312 TFLOPS dense (624 with sparsity)"),
    "A800": (312.0, "NVIDIA A800 datasheet: BF16 312 TFLOPS dense (the A100's compute, less NVLink)"),
    "L40S": (362.0, "NVIDIA L40S datasheet: BF16 362.05 TFLOPS dense (733 with sparsity)"),
    "RTX 4090": (165.0, "NVIDIA Ada Lovelace architecture whitepaper: RTX 4090 BF16 165.2 TFLOPS dense, FP32 acc"),
    "RTX 3090": (71.0, "NVIDIA Ampere GA102 whitepaper: RTX 3090 BF16 71 TFLOPS dense, FP32 accumulate"),
}


def peak_key(device_name: str | None) -> str | None:
    """The :data:`PEAK_TFLOPS` key for a CUDA device name (``torch.cuda.get_device_name``), or None.

    ``NVIDIA H100 80GB HBM3`` is the SXM part, ``NVIDIA H100 PCIe`` the PCIe one; an H100 that says
    neither (the NVL) is unknown rather than guessed.
    """
    name = (device_name or "").upper()
    if "H100" in name:
        if "PCIE" in name:
            return "H100 PCIe"
        return "H100 SXM" if ("SXM" in name or "HBM3" in name) else None
    for key in ("H200", "A100", "A800", "L40S", "RTX 4090", "RTX 3090"):
        if key in name:
            return key
    return None


def peak_flops(device_name: str | None) -> float | None:
    """Peak dense bf16 FLOP/s of the named device, or None when it is not in the table."""
    key = peak_key(device_name)
    return PEAK_TFLOPS[key][0] * 1e12 if key else None


@dataclass(frozen=True)
class TokenFlops:
    """FLOPs per trained token and the counts they come from."""

    n_trainable: int  # matmul weights that get a gradient
    n_frozen: int  # matmul weights that do not
    attention: int  # 12 * L * T * d_attn

    @property
    def total(self) -> int:
        return 6 * self.n_trainable + 4 * self.n_frozen + self.attention


def matmul_weights(model) -> tuple[int, int]:
    """``(trainable, frozen)`` weights over every ``nn.Linear`` (bitsandbytes' 4/8-bit layers are ones too)."""
    import torch

    trainable = frozen = 0
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            count = int(module.in_features) * int(module.out_features)  # packed 4-bit weights have fewer elements
            if module.weight.requires_grad:
                trainable += count
            else:
                frozen += count
    return trainable, frozen


def attention_flops(num_layers: int, seq_len: int, attn_dim: int) -> int:
    """Training FLOPs per token of the attention scores and weighted sum: ``12 * L * T * d_attn``."""
    return 12 * num_layers * seq_len * attn_dim


def token_flops(model, seq_len: int) -> TokenFlops:
    """FLOPs per trained token of ``model`` (a transformers model, peft-wrapped or not) at ``seq_len``."""
    config = model.config
    heads = config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    trainable, frozen = matmul_weights(model)
    return TokenFlops(trainable, frozen, attention_flops(config.num_hidden_layers, seq_len, heads * head_dim))


def mfu(flops_per_token: float, tokens_per_s_per_device: float, device_name: str | None) -> float | None:
    """Model FLOPs utilisation (0..1) on the named device, or None when its peak is unknown."""
    peak = peak_flops(device_name)
    return None if peak is None else flops_per_token * tokens_per_s_per_device / peak


class Throughput:
    """The fields a metric event gets from the run's token rate: per device and, on a known GPU, MFU."""

    def __init__(self, flops_per_token: int, world_size: int, device_name: str | None):
        self.flops_per_token, self.world_size, self.device_name = flops_per_token, max(world_size, 1), device_name

    def __call__(self, tokens_per_s: float) -> dict:
        """``tokens_per_s`` counts every process's tokens (the Trainer gathers them)."""
        per_device = tokens_per_s / self.world_size
        out = {"tokens_per_s_per_device": round(per_device, 1)}
        value = mfu(self.flops_per_token, per_device, self.device_name)
        if value is not None:
            out["mfu"] = round(value, 4)
        return out


def throughput_for(model, spec, args) -> Throughput:
    """The run's :class:`Throughput`: its FLOPs per token at ``data.cutoff_len`` and its device's name."""
    import torch

    name = None
    if args.device.type == "cuda":
        name = torch.cuda.get_device_name(args.device)
    return Throughput(token_flops(model, spec.data.cutoff_len).total, args.world_size, name)


def throughput_line(throughput: Throughput) -> str:
    """The log line that says what the metric events' throughput figures mean on this device."""
    head = f"throughput: {throughput.flops_per_token / 1e6:.2f} MFLOPs per trained token"
    key = peak_key(throughput.device_name)
    if key is None:
        where = throughput.device_name or "CPU"
        return f"{head}; no peak known for {where}: tokens/s per device only, no MFU"
    return f"{head}; MFU against {key} {PEAK_TFLOPS[key][0]:g} TFLOP/s dense bf16 ({PEAK_TFLOPS[key][1]})"
