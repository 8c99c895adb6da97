"""Peak device memory of a training job, estimated from the spec and the model's config.json.

``estimate_memory(spec, shape, hw) -> Estimate``: no weights are loaded and nothing here imports torch
(the parameter counts come from :mod:`backend.model_shape`). Per device, in bytes:

    weights     = P_base × b_w + P_lora × 4               b_w: 4 fp32, 2 bf16/fp16 (LoRA's frozen base
                                                          in half precision on GPU, see train.common)
                  QLoRA: Q × b_q + (P − Q) × 4            Q = parameters of the decoder's linear layers;
                                                          b_q = 0.5 + 4/64 (nf4/fp4, one fp32 absmax per
                                                          64 weights) or 0.5 + 1/64 + 4/(64·256) with double
                                                          quantisation, 1 + 4/in for 8 bit; the other
                                                          weights are cast to fp32 by peft's
                                                          prepare_model_for_kbit_training
    grads       = T × b_g                                 T trainable params (full P; freeze: the last N
                                                          layers + extra modules; LoRA: r × (in + out) per
                                                          targeted linear, + out for DoRA); b_g = the
                                                          trainable dtype (fp32 masters; 2 under DeepSpeed
                                                          with bf16/fp16)
    optimizer   = T × b_o                                 AdamW 8 (two fp32 moments), 8-bit AdamW 2,
                                                          SGD 0, Adafactor ~0 (factored); + 4 fp32 master
                                                          copy when DeepSpeed trains a half-precision model
    ZeRO        stage ≥ 1: optimizer / W; ≥ 2: grads / W; 3: weights / W   (W = processes × machines)
                offload_optimizer moves the optimizer term, offload_params the weights, to CPU memory
    activations = t × L × A × b_c              (no gradient checkpointing)
                = t × L × h × b_c + 2 × t × A × b_c (checkpointing: each layer's input, plus one layer
                  recomputed in the backward pass and its gradients)
                  t = per_device_batch_size × cutoff_len tokens, A = C_H × h + C_I × i values saved per
                  token per layer, b_c the compute dtype's bytes; + t × heads × seq × 2 × b_c per layer
                  with eager attention (sdpa/flash keep no seq² matrix); L = decoder layers gradients
                  flow through (freeze: only the trainable ones)
    logits      = t × f × V × (b_c + C_LOGITS)     the StudioTrainer projects only labelled positions
                                                  (f = 1 for pt, SFT_LABEL_FRACTION for sft), then an
                                                  fp32 copy, log-softmax and its gradient
    extra models (the stage table's entry, :func:`extra_models`; each part only where the stage holds it):
    reference_model = P × b_r                 full/freeze dpo, kto, ppo, grpo (grpo: rl.kl_coef > 0) hold a
                                              frozen copy of the starting model; LoRA/QLoRA use the base with
                                              the adapter disabled (no copy). b_r: dpo/kto/grpo copy the
                                              policy (b_w), ppo loads it as full training does (4, or the
                                              spec's model.dtype); ZeRO-3 shards it (TRL prepares it with
                                              DeepSpeed) except in ppo's own loop
    value_head  = (h + 1) × (8 + b_o)         ppo: a trained fp32 linear head (weights, grads, and the
                                              train.optim states: ppo's loop builds that optimiser too)
    reward_model = (P_r − V×h untied head + h) × b_r    ppo/grpo with rl.reward_model: the reward model's
                                              shape (the policy's when unknown: an rm run of the same
                                              base) with its one-output score head; b_r 4 in ppo, the
                                              compute dtype's bytes in grpo
    dequantised_copies = Q × b_c              CPU QLoRA without checkpointing only: bitsandbytes' per-matmul
                                              dequantised weights stay in glibc's heap (see estimate_memory)
    runtime     = RUNTIME_CPU (torch + transformers + datasets resident, measured) or RUNTIME_CUDA
                  (CUDA context, cuBLAS workspace, allocator slack; not yet validated on a GPU)

    load (CPU)  = runtime + P × b_s + held     the peak while from_pretrained reads the checkpoint: its files
                                              (b_s bytes per weight as stored, config.json's dtype) are
                                              memory-mapped and resident beside the model being built, held =
                                              the weights term for LoRA/full (cast to b_w), P × b_s for QLoRA
                                              (the unquantised model exists before bitsandbytes packs it).
                                              Measured at 1.5B: LoRA s512 with checkpointing peaked at 9.22 GiB
                                              while training needs 7.6; QLoRA at 6.09 while training needs 3.3.

``per_device_gb`` is the sum of the parts, or the load peak where that is higher (``load_peak_gb``; a
from-scratch model, a GPU run or a checkpoint of unknown dtype has none). On CPU every process of the
machine shares host memory, so the figure to compare with MemAvailable is ``per_device_gb × processes``;
on GPU it is each device's free memory. The constants were fitted on tiny CPU runs (bench/memory_estimate.py,
BENCHMARKS.md "Memory estimate") and refitted at 0.5B and 1.5B (bench/scale_memory.py, "Real sizes": within
±15% there; QLoRA without checkpointing on CPU was under by 22% until the dequantised copies were counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.launch import Hardware, resolve_precision
from backend.model_shape import ModelShape
from backend.spec import JobSpec
from backend.stages import stage_info

GB = 1024**3
# Saved values per token per layer, refitted at 0.5B/1.5B (BENCHMARKS.md "Real sizes"); the tiny model's
# 18 and 5 over-estimated LoRA at sequence 2048 without checkpointing by 29%.
C_H = 12  # hidden-sized: two RMSNorms (input, normalised, output each), q k v, attention output, residuals
C_I = 4  # intermediate-sized: gate out, SiLU(gate), up out, their product (the down projection's input; a
# LoRA dropout of 0, the default, copies nothing)
C_LOGITS = 12  # bytes per labelled logit beyond the head output: fp32 copy, log-softmax, its gradient
SFT_LABEL_FRACTION = 0.5  # share of SFT tokens carrying a label (assistant turns) when not train_on_prompt
RUNTIME_CPU_GB = 0.62  # resident torch + transformers + datasets + accelerate of a trainer process (measured)
RUNTIME_CUDA_GB = 1.0  # CUDA context + cuBLAS workspace + caching-allocator slack (rule of thumb)
OPTIMIZER_BYTES = {"adamw_torch": 8, "adamw_torch_fused": 8, "adamw_8bit": 2, "paged_adamw_8bit": 2, "sgd": 0}


@dataclass
class Estimate:
    """Peak memory of one training process (``per_device_gb``) and its parts, all in GiB."""

    device: str  # "cuda" or "cpu"
    precision: str
    params: int
    trainable: int
    parts: dict[str, float]
    per_device_gb: float
    processes: int  # processes on this machine (they share host memory on CPU)
    world: int  # processes over all machines
    cpu_offload_gb: float = 0.0  # optimizer/parameter states moved to host memory per process
    load_peak_gb: float = 0.0  # host memory while the checkpoint loads (CPU only; 0 = not estimated)
    notes: list[str] = field(default_factory=list)

    @property
    def total_gb(self) -> float:
        """Memory of the whole job: every process on every machine."""
        return self.per_device_gb * self.world

    @property
    def machine_gb(self) -> float:
        """Host memory this machine needs on CPU (all its processes), or per GPU on CUDA."""
        return self.per_device_gb * (self.processes if self.device == "cpu" else 1)

    def summary(self) -> str:
        """One line: total per device and the biggest parts."""
        parts = ", ".join(f"{k} {v:.2f}" for k, v in self.parts.items() if v >= 0.005)
        where = "per GPU" if self.device == "cuda" else "per process"
        if self.load_peak_gb > sum(self.parts.values()):
            return f"{self.per_device_gb:.2f} GiB {where} while loading the checkpoint; training: {parts}"
        return f"{self.per_device_gb:.2f} GiB {where} ({parts})"

    def to_dict(self) -> dict:
        return {
            "device": self.device,
            "precision": self.precision,
            "params": self.params,
            "trainable": self.trainable,
            "parts_gb": {k: round(v, 4) for k, v in self.parts.items()},
            "per_device_gb": round(self.per_device_gb, 4),
            "machine_gb": round(self.machine_gb, 4),
            "total_gb": round(self.total_gb, 4),
            "cpu_offload_gb": round(self.cpu_offload_gb, 4),
            "load_peak_gb": round(self.load_peak_gb, 4),
            "notes": self.notes,
        }


def quant_bytes(spec: JobSpec, in_features: int) -> float:
    """Bytes per quantised weight (bitsandbytes): packed values plus their scaling constants."""
    q = spec.method.quant
    if q.bits == 8:
        return 1 + 4 / max(in_features, 1)  # int8 + one fp32 scale per row
    if q.double_quant:
        return 0.5 + 1 / 64 + 4 / (64 * 256)  # 8-bit absmax per 64 weights, fp32 per 256 absmax blocks
    return 0.5 + 4 / 64  # one fp32 absmax per 64-weight block


def _weight_bytes(spec: JobSpec, precision: str) -> int:
    """Bytes per stored base weight, mirroring backend.train.common.torch_dtype_of."""
    if spec.model.dtype != "auto":
        return 4 if spec.model.dtype == "float32" else 2
    half = precision in ("bf16", "fp16")
    return 2 if spec.method.type in ("lora", "qlora") and half else 4


def _activations(spec: JobSpec, shape: ModelShape, compute: int) -> tuple[float, float, int]:
    """(activation bytes, logits bytes, layers with gradients)."""
    t = spec.train.per_device_batch_size * spec.data.cutoff_len
    layers = shape.layers
    if spec.method.type == "freeze":
        layers = min(layers, spec.method.freeze.trainable_layers)
    per_layer = (C_H * shape.hidden + C_I * shape.intermediate * shape.experts_per_token) * compute
    if spec.model.attn_implementation == "eager":
        per_layer += shape.heads * spec.data.cutoff_len * 2 * compute
    if spec.train.gradient_checkpointing:
        # Each layer's input, plus the layer being recomputed in the backward pass and its gradients.
        act = t * layers * shape.hidden * compute + 2 * t * per_layer
    else:
        act = t * layers * per_layer
    labelled = 1.0 if spec.stage == "pt" or spec.data.train_on_prompt else SFT_LABEL_FRACTION
    logits = t * labelled * shape.vocab * (compute + C_LOGITS)
    return act, logits, layers


def reward_model_params(shape: ModelShape) -> int:
    """Parameters of a sequence-classification model of ``shape``: the causal LM without its output head
    (an untied head is dropped; a tied one was the embeddings all along) plus a one-output score head."""
    return shape.total_params() - (0 if shape.tied else shape.vocab * shape.hidden) + shape.hidden


def extra_models(
    spec: JobSpec, shape: ModelShape, precision: str, world: int, zero: int, reward_shape: ModelShape | None = None
) -> tuple[dict[str, float], list[str]]:
    """Bytes per process of the models a stage holds besides the policy, by breakdown name, and notes.

    Which stage holds which comes from the stage table (:mod:`backend.stages`); the sizes follow what
    the recipes load (see the module docstring). ``reward_shape`` is the shape of ``rl.reward_model``
    when known; else the policy's shape is assumed and a note says so.
    """
    info = stage_info(spec.stage)
    out: dict[str, float] = {}
    notes: list[str] = []
    full = spec.method.type in ("full", "freeze")
    if info.reference_copy and full and not (info.reference_needs_kl and spec.rl.kl_coef == 0):
        if info.reference_loaded:  # backend.train.ppo.load_reference: loaded as a full-training model
            b = 4 if spec.model.dtype in ("auto", "float32") else 2
        else:  # a deep copy of the policy (dpo, kto) or TRL's copy in the policy's dtype (grpo)
            b = _weight_bytes(spec, precision)
        ref = shape.total_params() * b
        out["reference_model"] = ref / world if zero == 3 and not info.reference_loaded else ref
    if info.value_head:
        out["value_head"] = (shape.hidden + 1) * (8 + OPTIMIZER_BYTES.get(spec.train.optim, 0))
    if info.reward_model and spec.rl.reward_model:
        b = 4 if info.reward_fp32 or precision not in ("bf16", "fp16") else 2
        out["reward_model"] = reward_model_params(reward_shape or shape) * b
        if reward_shape is None:
            notes.append("the reward model is assumed to have the policy's shape")
    return out, notes


def vocab_note(spec: JobSpec, shape: ModelShape, logits_bytes: float) -> str:
    """The vocabulary term in words: the logits part, its vocabulary and how many positions it covers."""
    t = spec.train.per_device_batch_size * spec.data.cutoff_len
    labelled = t if spec.stage == "pt" or spec.data.train_on_prompt else round(t * SFT_LABEL_FRACTION)
    return (
        f"logits {logits_bytes / GB:.2f} GiB: a {shape.vocab:,}-token vocabulary at {labelled:,} labelled positions "
        f"of {t:,} (the studio's loss projects only those; a stock loss holds all {t:,})"
    )


def load_peak(spec: JobSpec, shape: ModelShape, weights: float, runtime: float) -> float:
    """Host bytes while a CPU process loads the checkpoint (module docstring, "load"); 0 when not estimated."""
    if spec.model.from_scratch or not shape.stored_bytes:
        return 0.0
    stored = shape.total_params() * shape.stored_bytes
    held = stored if spec.method.type == "qlora" else weights
    return runtime + stored + held


def estimate_memory(spec: JobSpec, shape: ModelShape, hw: Hardware, reward_shape: ModelShape | None = None) -> Estimate:
    """Estimate the peak memory of one training process of ``spec`` (see the module docstring).

    ``reward_shape``: the shape of ``rl.reward_model`` (ppo/grpo), when the caller could read it.
    """
    precision = resolve_precision(spec, hw)
    d, m = spec.distributed, spec.method
    on_gpu = hw.gpu_count > 0
    world = d.num_processes * d.num_machines
    zero = d.zero_stage if world > 1 or d.zero_stage else 0
    compute = 2 if precision in ("bf16", "fp16") else 4
    notes: list[str] = []

    total = shape.total_params()
    lora = shape.lora_params(m.lora.target_modules, m.lora.rank, m.lora.use_dora) if m.type in ("lora", "qlora") else 0
    if m.type == "full":
        trainable = total
    elif m.type == "freeze":
        trainable = shape.freeze_params(m.freeze.trainable_layers, m.freeze.extra_modules)
    else:
        trainable = lora + shape.saved_module_params(m.lora.modules_to_save)

    wb = _weight_bytes(spec, precision)
    if m.type == "qlora":
        q = shape.quantised_params()
        weights = q * quant_bytes(spec, shape.hidden) + (total - q) * 4 + lora * 4
    else:
        weights = total * wb + lora * 4
    deepspeed_half = zero > 0 and compute == 2
    if deepspeed_half and m.type in ("full", "freeze"):
        weights = total * 2  # DeepSpeed holds the model in bf16/fp16 and keeps fp32 masters in the optimizer
    grad_b = 4 if m.type in ("lora", "qlora") else wb
    grads = trainable * (2 if deepspeed_half else grad_b)
    opt_b = OPTIMIZER_BYTES.get(spec.train.optim, 0)
    if spec.train.optim == "adafactor":
        notes.append("Adafactor's factored moments are counted as ~0")
    optimizer = trainable * (opt_b + (4 if deepspeed_half else 0))

    offload = 0.0
    if zero >= 1:
        optimizer /= world
    if zero >= 2:
        grads /= world
    if zero == 3:
        weights /= world
    if d.offload_optimizer:
        offload += optimizer
        optimizer = 0.0
    if d.offload_params:
        offload += weights
        weights = 0.0

    act, logits, _ = _activations(spec, shape, compute)
    # CPU QLoRA without checkpointing: bitsandbytes dequantises each linear's weight into the compute dtype for
    # its matmul and frees it, but glibc keeps those buffers in its heap, pinned by the activations saved after
    # them, so RSS holds about one dequantised copy of every layer. Measured at 0.5B s512: 4.23 GiB peak, and
    # 2.93 GiB with MALLOC_MMAP_THRESHOLD_=1048576 (big buffers mmapped, returned at free): 1.30 GiB, Q × 4
    # bytes (1.33). With checkpointing few activations are held between them and the heap gives them back.
    dequant = 0.0
    if m.type == "qlora" and not on_gpu and not spec.train.gradient_checkpointing:
        dequant = shape.quantised_params() * compute
        notes.append("CPU QLoRA without checkpointing: the allocator keeps a dequantised copy of every layer")
    runtime = (RUNTIME_CUDA_GB if on_gpu else RUNTIME_CPU_GB) * GB
    if on_gpu:
        notes.append("the GPU constants are not validated on real GPUs yet")
    extra, extra_notes = extra_models(spec, shape, precision, world, zero, reward_shape)
    notes += extra_notes
    if spec.stage == "sft" and not spec.data.train_on_prompt:
        notes.append(f"assumes {SFT_LABEL_FRACTION:.0%} of SFT tokens are labelled (the output head runs only there)")
    notes.append(vocab_note(spec, shape, logits))
    parts = {
        "weights": weights / GB,
        "grads": grads / GB,
        "optimizer": optimizer / GB,
        "activations": act / GB,
        **({"dequantised_copies": dequant / GB} if dequant else {}),
        "logits": logits / GB,
        **{name: b / GB for name, b in extra.items()},
        "runtime_overhead": runtime / GB,
    }
    loading = 0.0 if on_gpu else load_peak(spec, shape, total * wb + lora * 4, runtime) / GB
    if loading > sum(parts.values()):
        notes.append(
            f"the peak is while loading: the checkpoint's {shape.total_params() * shape.stored_bytes / GB:.2f} GiB "
            "are memory-mapped beside the model being built"
        )
    return Estimate(
        device="cuda" if on_gpu else "cpu",
        precision=precision,
        params=total + lora,
        trainable=trainable,
        parts=parts,
        per_device_gb=max(sum(parts.values()), loading),
        processes=d.num_processes,
        world=world,
        cpu_offload_gb=offload / GB,
        load_peak_gb=loading,
        notes=notes,
    )


def meminfo_gb(key: str = "MemAvailable") -> float | None:
    """A /proc/meminfo figure in GiB (None off Linux)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB: ``VmHWM`` of ``/proc/self/status``.

    Not ``getrusage(RUSAGE_SELF).ru_maxrss``: Linux carries that high-water mark across ``execve``, and
    Python's ``subprocess`` starts children with vfork, so a trainer started by a large process (pytest
    with torch loaded, the ``accelerate launch`` parent) reported its parent's peak whenever that was
    higher than its own (measured: a 10 MiB child of a 1.5 GiB parent read 1511 MiB; VmHWM read 10 MiB).
    ``ru_maxrss`` remains the fallback off Linux.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB elsewhere
