"""Merging a LoRA adapter into its base tensor by tensor, so that an export fits in memory at any size.

Loading a base with ``from_pretrained`` in fp32 and calling peft's ``merge_and_unload`` holds the whole
model in fp32 (a 7B merge needs about 28 GB of RAM). Here the base's safetensors files are read tensor
by tensor with plain file reads (no mmap, whose touched pages would count in the process's RSS), each
targeted weight gets its LoRA delta in fp32 (``W + scale · B @ A``, scale ``alpha / r`` or
``alpha / √r`` for rsLoRA), is cast to the export dtype and written straight into its output shard,
whose safetensors header is computed beforehand from the shapes. Every other tensor is copied (cast in
chunks when the dtype changes). Peak memory is about one tensor in fp32 plus the adapter.

:func:`streamable` says whether an adapter can take this path; what it cannot (DoRA, per-module ranks or
alphas, trained biases, LoRA on embeddings, a reward model's head, a tokenizer that grew the embedding,
a ``.bin`` base, a tied head replaced by ``modules_to_save``) falls back to the in-memory merge of
:mod:`backend.export.weights`, which the export's notes then say.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from backend.export.weights import DTYPES, ExportError

ST_DTYPES = {"F32": ("float32", 4), "BF16": ("bfloat16", 2), "F16": ("float16", 2)}
CODE_OF = {v[0]: k for k, v in ST_DTYPES.items()}
PREFIX = "base_model.model."
CHUNK_BYTES = 64 * 1024**2  # what one cast copies at a time


def read_header(path: Path) -> tuple[dict, int]:
    """(tensor name -> {dtype, shape, data_offsets}, offset of the data) of a safetensors file."""
    with open(path, "rb") as fh:
        size = int.from_bytes(fh.read(8), "little")
        if size <= 0 or size > 100 * 1024**2:
            raise ExportError(f"{path} is not a safetensors file (header size {size})")
        header = json.loads(fh.read(size))
    header.pop("__metadata__", None)
    return header, 8 + size


def base_files(base: Path) -> list[Path] | None:
    """The base's safetensors files in index order, or None when it has none (a ``.bin`` base)."""
    index = base / "model.safetensors.index.json"
    if index.is_file():
        weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        return [base / f for f in dict.fromkeys(weight_map.values())]
    single = base / "model.safetensors"
    return [single] if single.is_file() else None


@dataclass
class Plan:
    """What the streaming merge will do, decided before anything is read."""

    base: Path
    adapter: Path
    tensors: list[tuple[str, Path, dict, int]] = field(default_factory=list)  # name, file, info, data start
    deltas: dict[str, tuple[str, str, float]] = field(default_factory=dict)  # base name -> (A key, B key, scale)
    replaced: dict[str, str] = field(default_factory=dict)  # base name -> adapter key (modules_to_save)


def plan(adapter: Path, base: Path | None, n_tokens: int | None) -> tuple[Plan | None, str]:
    """(the plan, "") when ``adapter`` can be merged into ``base`` tensor by tensor, else (None, why not)."""
    if base is None or not (base / "config.json").is_file():
        return None, "no base config.json"
    cfg = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    base_cfg = json.loads((base / "config.json").read_text(encoding="utf-8"))
    if base_cfg.get("quantization_config"):
        return None, "the base is quantised"
    if cfg.get("task_type") not in (None, "CAUSAL_LM"):
        return None, f"a {cfg.get('task_type')} adapter"
    why = [
        (cfg.get("peft_type", "LORA") != "LORA", f"a {cfg.get('peft_type')} adapter"),
        (cfg.get("use_dora"), "a DoRA adapter"),
        (cfg.get("rank_pattern") or cfg.get("alpha_pattern"), "per-module ranks or alphas"),
        (cfg.get("bias", "none") != "none", "trained biases"),
        (cfg.get("fan_in_fan_out"), "fan_in_fan_out weights"),
    ]
    for bad, reason in why:
        if bad:
            return None, reason
    files = base_files(base)
    weights = adapter / "adapter_model.safetensors"
    if files is None or not weights.is_file():
        return None, "the base or the adapter is not safetensors"
    p = Plan(base, adapter)
    vocab = None
    for file in files:
        header, start = read_header(file)
        for name, info in header.items():
            if info["dtype"] not in ST_DTYPES:
                return None, f"{name} is stored as {info['dtype']}"
            p.tensors.append((name, file, info, start))
            if name.endswith("embed_tokens.weight"):
                vocab = info["shape"][0]
    if n_tokens and vocab and n_tokens > vocab:
        return None, "training grew the embedding for the tokenizer"
    names = {t[0] for t in p.tensors}
    r, alpha = int(cfg["r"]), float(cfg["lora_alpha"])
    scale = alpha / r**0.5 if cfg.get("use_rslora") else alpha / r
    adapter_keys, _ = read_header(weights)
    for key in adapter_keys:
        if not key.startswith(PREFIX):
            return None, f"unexpected adapter key {key}"
        module = key[len(PREFIX) :]
        if ".lora_A." in module or ".lora_B." in module:
            target = module.split(".lora_")[0] + ".weight"
            if ".lora_A." not in module:
                continue
            if target not in names:
                return None, f"the adapter targets {target}, which the base lacks"
            p.deltas[target] = (key, key.replace(".lora_A.", ".lora_B."), scale)
        elif "lora_embedding" in module or "lora_magnitude" in module:
            return None, "LoRA on embeddings or DoRA magnitudes"
        else:
            target = module.replace(".modules_to_save.default", "")
            if target not in names or (base_cfg.get("tie_word_embeddings") and "embed_tokens" in target):
                return None, f"the adapter replaces {target} (tied or missing in the base)"
            p.replaced[target] = key
    if not p.deltas:
        return None, "the adapter has no LoRA weights"
    return p, ""


def _read(file: Path, info: dict, start: int, rows: slice | None = None):
    """A tensor (or a slice of its rows) read from ``file`` with plain reads."""
    import torch

    dtype_name, size = ST_DTYPES[info["dtype"]]
    shape = list(info["shape"])
    begin, end = info["data_offsets"]
    if rows is not None:
        row = size * (int(torch.Size(shape[1:]).numel()) if len(shape) > 1 else 1)
        begin, end = begin + rows.start * row, begin + rows.stop * row
        shape[0] = rows.stop - rows.start
    buf = bytearray(end - begin)
    with open(file, "rb") as fh:
        fh.seek(start + begin)
        fh.readinto(buf)
    if not buf:
        return torch.empty(shape, dtype=getattr(torch, dtype_name))
    return torch.frombuffer(buf, dtype=getattr(torch, dtype_name)).reshape(shape)


def _write(fh, tensor) -> None:
    import torch

    fh.write(memoryview(tensor.contiguous().view(torch.uint8).numpy()))


def _copy(fh, file: Path, info: dict, start: int, out_dtype) -> None:
    """Copy a tensor into ``fh`` in chunks of rows (cast when the dtype differs)."""
    import torch

    shape = info["shape"]
    _, size = ST_DTYPES[info["dtype"]]
    rows = shape[0] if shape else 1
    per_row = size * (int(torch.Size(shape[1:]).numel()) if len(shape) > 1 else 1)
    step = max(1, CHUNK_BYTES // max(per_row, 1))
    if not shape:
        _write(fh, _read(file, info, start).to(out_dtype))
        return
    for i in range(0, rows, step):
        _write(fh, _read(file, info, start, slice(i, min(rows, i + step))).to(out_dtype))


def merge(p: Plan, out: Path, dtype: str, max_shard_bytes: int) -> list[str]:
    """Write the merged weights of plan ``p`` into ``out`` in ``dtype`` (``fp32``/``bf16``/``fp16``),
    sharded at ``max_shard_bytes`` like ``save_pretrained``; returns the shard file names."""
    import torch
    from safetensors import safe_open

    from backend.shapes import write_header

    torch_dtype = getattr(torch, DTYPES[dtype])
    code, size = CODE_OF[DTYPES[dtype]], ST_DTYPES[CODE_OF[DTYPES[dtype]]][1]
    with safe_open(p.adapter / "adapter_model.safetensors", "pt") as f:  # the adapter is small
        lora = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (safe_open is not iterable)
    for name, key in p.replaced.items():
        want = [t[2]["shape"] for t in p.tensors if t[0] == name][0]
        if list(lora[key].shape) != list(want):
            raise ExportError(f"the adapter's {name} has shape {list(lora[key].shape)}, the base's {want}")
    shards: list[list[tuple[str, Path, dict, int]]] = [[]]
    used = 0
    for t in p.tensors:
        nbytes = size * int(torch.Size(t[2]["shape"]).numel())
        if shards[-1] and used + nbytes > max_shard_bytes:
            shards.append([])
            used = 0
        shards[-1].append(t)
        used += nbytes
    names = (
        ["model.safetensors"]
        if len(shards) == 1
        else [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
    )
    weight_map, total = {}, 0
    for file_name, shard in zip(names, shards, strict=True):
        header, offset = {"__metadata__": {"format": "pt"}}, 0
        for name, _, info, _ in shard:
            nbytes = size * int(torch.Size(info["shape"]).numel())
            header[name] = {"dtype": code, "shape": info["shape"], "data_offsets": [offset, offset + nbytes]}
            offset += nbytes
            weight_map[name] = file_name
        total += offset
        with open(out / file_name, "wb") as fh:
            write_header(fh, header)
            for name, file, info, start in shard:
                if name in p.deltas:
                    a, b, scale = p.deltas[name]
                    weight = _read(file, info, start).float()
                    weight.addmm_(lora[b].float(), lora[a].float(), alpha=scale)
                    _write(fh, weight.to(torch_dtype))
                    del weight
                elif name in p.replaced:
                    _write(fh, lora[p.replaced[name]].to(torch_dtype))
                else:
                    _copy(fh, file, info, start, torch_dtype)
    if len(names) > 1:
        index = {"metadata": {"total_size": total}, "weight_map": weight_map}
        (out / "model.safetensors.index.json").write_text(json.dumps(index, indent=2), encoding="utf-8")
    return names


def write_config(base: Path, out: Path, dtype: str, trust_remote_code: bool) -> None:
    """The base's config (dtype set to the export's, KV cache on) and generation config, into ``out``."""
    import torch
    from transformers import AutoConfig, GenerationConfig

    config = AutoConfig.from_pretrained(base, trust_remote_code=trust_remote_code)
    config.dtype = getattr(torch, DTYPES[dtype])
    config.use_cache = True  # training turned the KV cache off; generation wants it back
    config.save_pretrained(out)
    if (base / "generation_config.json").is_file():
        GenerationConfig.from_pretrained(base).save_pretrained(out)
