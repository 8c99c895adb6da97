"""Model FLOPs per trained token, the peak dense bf16 rate of known GPUs, and MFU from both.

Training FLOPs per token (the PaLM paper's model-FLOPs convention, appendix B; recomputation under
gradient checkpointing is not counted, so this is MFU, not hardware utilisation):

    6 * N_trainable + 4 * N_frozen + 2 * N_forward_only + 4 * L * T * d_attn + 8 * L_back * T * d_attn

* ``N_trainable`` / ``N_frozen`` / ``N_forward_only``: the weights of every matrix multiply (each
  ``nn.Linear``: q/k/v/o, the MLP, LoRA's A and B, and the output head, which is a matmul even when tied to
  the input embedding; the embedding lookup itself is a gather and counts nothing). A matmul costs 2 FLOPs
  per weight forward, 2 for the activation gradient (the gradient of its input) and 2 for its weight's
  gradient. So a trainable weight costs 6; a frozen one skips its weight gradient and costs 4 (the base
  under LoRA/QLoRA, the head and the upper layers of ``freeze``) as long as the backward pass must go
  through it to reach trainable weights below it; a frozen one *below every trainable weight* is never
  reached by the backward pass and costs 2 (forward only).
* The rule for "below", per decoder layer: the backward pass reaches down to the lowest decoder layer that
  holds a trainable parameter (all layers when the input embedding trains). Matmuls in the layers under it
  are ``N_forward_only``; the frozen ones in it, above it and in the head are ``N_frozen``. With LoRA on
  every layer (or full training) nothing is forward-only; ``freeze`` with ``trainable_layers = k`` of ``L``
  makes the lower ``L - k`` layers forward-only unless an ``extra_modules`` entry trains something lower.
  Within the lowest reached layer everything counts as reached (an overcount of at most that layer's q/k/v
  and MLP-input activation gradients). QLoRA's 4-bit base is dequantised and multiplied in 16 bits, so it
  counts like a LoRA base. Biases and norms are left out (under 0.1%).
* Attention scores and the weighted sum: ``2 * 2 * T * d_attn`` forward per layer and twice that backward,
  only in the ``L_back`` layers the backward pass reaches (``12 * L * T * d_attn`` when it reaches them
  all); ``T`` the sequence length (``data.cutoff_len``: exact for packed rows, an upper bound for unpacked
  ones), ``d_attn`` = heads * head dim; no causal halving, as in PaLM.

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

    n_trainable: int  # matmul weights that get a gradient: 6 FLOPs each
    n_frozen: int  # ones that do not, but the backward pass goes through them: 4
    attention: int  # 4 * L * T * d_attn forward + 8 * L_back * T * d_attn backward
    n_forward_only: int = 0  # frozen ones below every trainable weight (the backward pass stops above): 2

    @property
    def total(self) -> int:
        return 6 * self.n_trainable + 4 * self.n_frozen + 2 * self.n_forward_only + self.attention


def _layer_stack(model, num_layers: int):
    """The decoder layers (the first ``nn.ModuleList`` of ``num_layers`` modules), or None."""
    import torch

    return next(
        (m for m in model.modules() if isinstance(m, torch.nn.ModuleList) and len(m) == num_layers and num_layers),
        None,
    )


def backward_from(model, num_layers: int) -> int:
    """The index of the lowest decoder layer the backward pass reaches: 0 when the input embedding (or
    anything in layer 0) trains, ``num_layers`` when no layer does (only the head, say)."""
    embed = model.get_input_embeddings() if hasattr(model, "get_input_embeddings") else None
    if embed is not None and any(p.requires_grad for p in embed.parameters()):
        return 0
    layers = _layer_stack(model, num_layers)
    if layers is None:  # an unknown layout: assume the backward pass goes all the way down
        return 0
    for i, layer in enumerate(layers):
        if any(p.requires_grad for p in layer.parameters()):
            return i
    return num_layers


def matmul_weights(model, num_layers: int | None = None) -> tuple[int, int, int]:
    """``(trainable, frozen, forward_only)`` weights over every ``nn.Linear`` (bitsandbytes' 4/8-bit layers
    are ones too); ``forward_only`` are the frozen ones in decoder layers below :func:`backward_from`."""
    import torch

    below: set[int] = set()
    if num_layers:
        layers, start = _layer_stack(model, num_layers), backward_from(model, num_layers)
        for layer in list(layers or [])[:start]:
            below |= {id(m) for m in layer.modules()}
    trainable = frozen = forward_only = 0
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            count = int(module.in_features) * int(module.out_features)  # packed 4-bit weights have fewer elements
            if module.weight.requires_grad:
                trainable += count
            elif id(module) in below:
                forward_only += count
            else:
                frozen += count
    return trainable, frozen, forward_only


def attention_flops(num_layers: int, seq_len: int, attn_dim: int, backward_layers: int | None = None) -> int:
    """Training FLOPs per token of the attention scores and weighted sum: ``4 * L * T * d_attn`` forward and
    ``8 * L_back * T * d_attn`` backward (``L_back`` defaults to ``L``: ``12 * L * T * d_attn``)."""
    back = num_layers if backward_layers is None else backward_layers
    return 4 * num_layers * seq_len * attn_dim + 8 * back * seq_len * attn_dim


def token_flops(model, seq_len: int) -> TokenFlops:
    """FLOPs per trained token of ``model`` (a transformers model, peft-wrapped or not) at ``seq_len``."""
    config = model.config
    heads = config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    layers = config.num_hidden_layers
    trainable, frozen, forward_only = matmul_weights(model, layers)
    back = layers - backward_from(model, layers)
    return TokenFlops(trainable, frozen, attention_flops(layers, seq_len, heads * head_dim, back), forward_only)


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
