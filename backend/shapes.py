"""Named real-size architecture shapes, and random-init model folders of those shapes.

``SHAPES[name]`` is the public ``config.json`` of a released model family, reduced to what decides its
architecture (sizes, heads, vocabulary, RoPE, tying, positions): ``model.architecture.shape`` trains one
from scratch, and :func:`write_random_model` writes a Hugging Face folder of that shape with random
weights and a tokenizer whose vocabulary is padded to the model's, so every real-size path (training,
export, chat, evaluation, the memory estimate) can run on a machine that cannot download the weights.

The writer streams: the model is built on the meta device (no memory), and each tensor is drawn,
cast and written straight into its safetensors shard, so peak memory stays near one fp32 tensor (the
embedding) whatever the model's size. Nothing here imports torch at module scope.
"""

from __future__ import annotations

import json
from pathlib import Path

LLAMA3_ROPE_1B = {
    "factor": 32.0,
    "high_freq_factor": 4.0,
    "low_freq_factor": 1.0,
    "original_max_position_embeddings": 8192,
    "rope_type": "llama3",
}

# name -> config.json fields, copied from the released base models' config.json files.
SHAPES: dict[str, dict] = {
    "qwen2.5-0.5b": dict(
        model_type="qwen2", hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
        num_attention_heads=14, num_key_value_heads=2, vocab_size=151936, rope_theta=1000000.0,
        rms_norm_eps=1e-6, tie_word_embeddings=True, max_position_embeddings=32768, hidden_act="silu",
    ),
    "qwen2.5-1.5b": dict(
        model_type="qwen2", hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
        num_attention_heads=12, num_key_value_heads=2, vocab_size=151936, rope_theta=1000000.0,
        rms_norm_eps=1e-6, tie_word_embeddings=True, max_position_embeddings=131072, hidden_act="silu",
    ),
    "qwen2.5-7b": dict(
        model_type="qwen2", hidden_size=3584, intermediate_size=18944, num_hidden_layers=28,
        num_attention_heads=28, num_key_value_heads=4, vocab_size=152064, rope_theta=1000000.0,
        rms_norm_eps=1e-6, tie_word_embeddings=False, max_position_embeddings=131072, hidden_act="silu",
    ),
    "llama-3.2-1b": dict(
        model_type="llama", hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
        num_attention_heads=32, num_key_value_heads=8, head_dim=64, vocab_size=128256, rope_theta=500000.0,
        rope_scaling=LLAMA3_ROPE_1B, rms_norm_eps=1e-5, tie_word_embeddings=True,
        max_position_embeddings=131072, hidden_act="silu",
    ),
    "llama-3.2-3b": dict(
        model_type="llama", hidden_size=3072, intermediate_size=8192, num_hidden_layers=28,
        num_attention_heads=24, num_key_value_heads=8, head_dim=128, vocab_size=128256, rope_theta=500000.0,
        rope_scaling=LLAMA3_ROPE_1B, rms_norm_eps=1e-5, tie_word_embeddings=True,
        max_position_embeddings=131072, hidden_act="silu",
    ),
    "llama-3.1-8b": dict(
        model_type="llama", hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
        num_attention_heads=32, num_key_value_heads=8, head_dim=128, vocab_size=128256, rope_theta=500000.0,
        rope_scaling={**LLAMA3_ROPE_1B, "factor": 8.0}, rms_norm_eps=1e-5, tie_word_embeddings=False,
        max_position_embeddings=131072, hidden_act="silu",
    ),
}  # fmt: skip

# Parameter counts of the released checkpoints (sum of numel, tied head once): tests check SHAPES against them.
PUBLISHED_PARAMS = {
    "qwen2.5-0.5b": 494_032_768,
    "qwen2.5-1.5b": 1_543_714_304,
    "qwen2.5-7b": 7_615_616_512,
    "llama-3.2-1b": 1_235_814_400,
    "llama-3.2-3b": 3_212_749_824,
    "llama-3.1-8b": 8_030_261_248,
}
SHAPE_NAMES = tuple(SHAPES)


def shape_config(name: str, vocab: int | None = None) -> dict:
    """The config.json fields of shape ``name`` (``vocab`` overrides the vocabulary size, e.g. a narrower
    test model). Raises ValueError naming the shapes there are."""
    if name not in SHAPES:
        raise ValueError(f"model.architecture.shape: unknown shape {name!r}; expected one of {', '.join(SHAPES)}")
    cfg = json.loads(json.dumps(SHAPES[name]))  # a deep copy
    if vocab is not None:
        cfg["vocab_size"] = int(vocab)
    return cfg


def shape_vocab(model_vocab: int, tokenizer_len: int) -> int:
    """The embedding rows of a shape trained with a tokenizer: the shape's, or the tokenizer's padded to 64
    when it has more tokens (as ``load_model`` resizes)."""
    return max(model_vocab, -(-tokenizer_len // 64) * 64)


def build_shape_model(tokenizer, name: str, seed: int = 0):
    """A randomly initialised causal LM of shape ``name`` in fp32 (from-scratch training), with the
    tokenizer's special ids and its end-of-turn token as a stop token."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, GenerationConfig

    cfg = shape_config(name)
    family = cfg.pop("model_type")
    cfg["vocab_size"] = shape_vocab(cfg["vocab_size"], len(tokenizer))
    config = AutoConfig.for_model(
        family, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, bos_token_id=None, **cfg
    )
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    stop = [tokenizer.eos_token_id]
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    if im_end is not None and im_end != tokenizer.unk_token_id:
        stop.append(im_end)
    model.generation_config = GenerationConfig(eos_token_id=stop, pad_token_id=tokenizer.pad_token_id)
    return model


def pad_tokenizer_vocab(tokenizer_json: dict, size: int) -> dict:
    """A ``tokenizer.json`` whose BPE vocabulary has exactly ``size`` entries.

    The extra entries (``<|r123|>``) are plain vocabulary with no merge that produces them and are not
    added tokens, so encoding any text is unchanged and loading stays fast (added tokens would build a
    150k-entry trie); ``len(tokenizer)`` then equals the model's vocabulary, as with a released model.
    """
    data = json.loads(json.dumps(tokenizer_json))
    vocab = data["model"]["vocab"]
    added = {t["id"] for t in data.get("added_tokens", [])}
    used = set(vocab.values()) | added
    if len(used) > size:
        raise ValueError(f"the tokenizer already has {len(used)} tokens, more than the model's {size}")
    for i in range(size):
        if i not in used:
            vocab[f"<|r{i}|>"] = i
    return data


def write_padded_tokenizer(source: Path, out: Path, size: int) -> None:
    """Copy the tokenizer files of ``source`` to ``out`` with the vocabulary padded to ``size``."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"):
        if (source / name).is_file():
            (out / name).write_bytes((source / name).read_bytes())
    data = json.loads((source / "tokenizer.json").read_text(encoding="utf-8"))
    (out / "tokenizer.json").write_text(json.dumps(pad_tokenizer_vocab(data, size)), encoding="utf-8")


def _init_tensor(name: str, shape: tuple[int, ...], std: float, generator):
    """A tensor as ``_init_weights`` of Llama/Qwen2 draws it: norms 1, biases 0, the rest N(0, std)."""
    import torch

    if name.endswith("norm.weight"):
        return torch.ones(shape)
    if name.endswith(".bias"):
        return torch.zeros(shape)
    return torch.empty(shape).normal_(0.0, std, generator=generator)


def _safetensors_dtype(dtype) -> tuple[str, int]:
    import torch

    return {torch.float32: ("F32", 4), torch.bfloat16: ("BF16", 2), torch.float16: ("F16", 2)}[dtype]


def write_random_model(
    name: str,
    out: Path,
    tokenizer: Path,
    dtype: str = "bfloat16",
    vocab: int | None = None,
    seed: int = 0,
    max_shard_bytes: int = 2 * 1024**3,
    layers: int | None = None,
) -> Path:
    """Write a random-init Hugging Face model folder of shape ``name`` to ``out``.

    ``tokenizer`` is a folder with a ``tokenizer.json`` (the builtin tiny tokenizer will do); it is
    copied with its vocabulary padded to the model's. ``dtype`` is the stored dtype (``bfloat16`` like the
    released models, or ``float32``). Weights are sharded at ``max_shard_bytes`` with an index, like
    ``save_pretrained``. ``vocab`` and ``layers`` override the shape's (a narrower or shallower test model).
    Returns ``out``.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_padded_tokenizer(Path(tokenizer), out, shape_config(name, vocab)["vocab_size"])
    tok = AutoTokenizer.from_pretrained(out)
    cfg = shape_config(name, vocab)
    if layers:
        cfg["num_hidden_layers"] = int(layers)
    family = cfg.pop("model_type")
    torch_dtype = getattr(torch, dtype)
    config = AutoConfig.for_model(
        family, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, bos_token_id=None, **cfg
    )
    config.dtype = torch_dtype
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    tensors = [(k, tuple(v.shape)) for k, v in model.state_dict().items()]
    if config.tie_word_embeddings:
        tensors = [(k, s) for k, s in tensors if k != "lm_head.weight"]
    code, size = _safetensors_dtype(torch_dtype)
    shards: list[list[tuple[str, tuple[int, ...]]]] = [[]]
    used = 0
    for key, shape in tensors:
        nbytes = size * int(torch.Size(shape).numel())
        if shards[-1] and used + nbytes > max_shard_bytes:
            shards.append([])
            used = 0
        shards[-1].append((key, shape))
        used += nbytes
    generator = torch.Generator().manual_seed(seed)
    std = float(getattr(config, "initializer_range", 0.02))
    weight_map = {}
    names = (
        ["model.safetensors"]
        if len(shards) == 1
        else [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
    )
    for file, shard in zip(names, shards, strict=True):
        header, offset = {"__metadata__": {"format": "pt"}}, 0
        for key, shape in shard:
            nbytes = size * int(torch.Size(shape).numel())
            header[key] = {"dtype": code, "shape": list(shape), "data_offsets": [offset, offset + nbytes]}
            offset += nbytes
            weight_map[key] = file
        with open(out / file, "wb") as fh:
            write_header(fh, header)
            for key, shape in shard:
                tensor = _init_tensor(key, shape, std, generator).to(torch_dtype)
                fh.write(tensor.contiguous().view(torch.uint8).numpy().tobytes())
                del tensor
    if len(shards) > 1:
        total = sum(size * int(torch.Size(s).numel()) for _, s in tensors)
        index = {"metadata": {"total_size": total}, "weight_map": weight_map}
        (out / "model.safetensors.index.json").write_text(json.dumps(index, indent=2), encoding="utf-8")
    config.architectures = [type(model).__name__]
    config.save_pretrained(out)
    stop = [tok.eos_token_id]
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    if im_end is not None and im_end != tok.unk_token_id:
        stop.append(im_end)
    GenerationConfig(eos_token_id=stop, pad_token_id=tok.pad_token_id).save_pretrained(out)
    return out


def write_header(fh, header: dict) -> None:
    """The safetensors header: its length (8 bytes, little endian) and the JSON, padded to 8 bytes."""
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    fh.write(len(raw).to_bytes(8, "little"))
    fh.write(raw)
