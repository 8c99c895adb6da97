"""Write a merged causal LM as one GGUF file for llama.cpp and Ollama (``studio export --gguf f16|q8_0``).

Written with the ``gguf`` package the way llama.cpp's ``convert_hf_to_gguf.py`` writes the same models,
so llama.cpp, Ollama and transformers' GGUF loader read it back:

* families: ``llama`` and ``qwen2`` (:data:`FAMILIES`); any other ``model_type`` is refused with that list;
* tensors are named by gguf's own :class:`gguf.TensorNameMap` (``token_embd``, ``blk.N.attn_q`` ...,
  ``output_norm``, ``output``; no ``output`` when the embeddings are tied); Llama's q/k weights are
  permuted to llama.cpp's rotary layout (``LlamaModel.permute`` there), Qwen2's q/k/v biases kept as
  they are; 1-D tensors (norms, biases) stay float32 as llama.cpp wants them;
* ``f16``: every 2-D weight as float16; ``q8_0``: every 2-D weight whose rows split into 32-value blocks
  quantised to Q8_0 (the others stay float16, as convert_hf_to_gguf does);
* the tokenizer: a byte-level BPE ``tokenizer.json`` as ``gpt2`` (tokens, token types, merges; the
  padded vocabulary rows as ``[PADn]`` unused tokens), the chat template, bos/eos/pad ids, and the end
  of turn of a ChatML or Llama 3 template (``<|im_end|>``, ``<|eot_id|>``) as ``eot`` so a chat stops;
* a SentencePiece tokenizer (Llama 1/2, Mistral style) as ``llama``, as convert_hf_to_gguf's
  ``_set_vocab_sentencepiece`` writes it: tokens, scores and token types (normal, unknown, control,
  user-defined, unused, byte), no merges (llama.cpp merges by score). The scores come from the
  ``tokenizer.model`` beside the tokenizer when there is one (through :class:`gguf.SentencePieceVocab`, as
  convert_hf_to_gguf does), else from ``tokenizer.json``: a Unigram model's own scores, or, for a
  byte-fallback BPE (SentencePiece's BPE converted by transformers), minus the rank of the merge that makes
  each token (0 for the others) -- where gguf's ``LlamaHfVocab`` writes -1000 for every token, which would
  leave llama.cpp no order to merge in. Added tokens (``<unk>``, ``<s>``, ``</s>`` among them when the
  tokenizer lists them) get score -1000 and type control when special, else user-defined with "▁" as a
  space, as convert_hf_to_gguf's ``added_tokens_decoder`` pass does. Any other tokenizer kind is refused;
* Llama 3.1 rope scaling (``rope_type: llama3``): the ``rope_freqs`` tensor of per-frequency factors that
  llama.cpp divides the rotary frequencies by, computed as convert_hf_to_gguf's
  ``LlamaModel.generate_extra_tensors`` does; other scaled rotary types are refused.

Every refusal is an :class:`ExportError` with one line for the user. Needs torch only through the model
it is given.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from backend.export.weights import ExportError

FAMILIES = ("llama", "qwen2")
QTYPES = ("f16", "q8_0")
# The chat template's end-of-turn token: llama.cpp stops a chat at it (its "end of generation" set).
_TURN_ENDS = ("<|im_end|>", "<|eot_id|>")
# Pre-tokenizer regexes of released tokenizers -> llama.cpp's name for them (``tokenizer.ggml.pre``).
_QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"  # noqa: E501
_LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"  # noqa: E501


def gguf_name(title: str, qtype: str) -> str:
    """The file name of an export's GGUF: ``<title>-<qtype>.gguf`` with a filesystem-safe title."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in title).strip("-.") or "model"
    return f"{safe}-{qtype}.gguf"


def check_supported(config, qtype: str) -> None:
    """Refuse, before any weights are loaded, what this writer cannot export faithfully."""
    if qtype not in QTYPES:
        raise ExportError(f"--gguf {qtype!r}: expected one of {', '.join(QTYPES)}")
    family = getattr(config, "model_type", None)
    if family not in FAMILIES:
        raise ExportError(
            f"GGUF export supports the {', '.join(FAMILIES)} families; this model is {family!r} "
            "(export the Hugging Face folder and convert it with llama.cpp's convert_hf_to_gguf.py)"
        )
    rope = _rope(config)
    if rope.get("rope_type") == "llama3" and family != "llama":
        raise ExportError(f"GGUF export: llama3 rope scaling is written for the llama family, not {family!r}")
    if rope.get("rope_type", "default") not in ("default", None, "llama3"):
        raise ExportError(
            f"GGUF export: rope scaling {rope.get('rope_type')!r} is not supported yet (unscaled rotary and "
            "Llama 3.1's llama3 scaling only)"
        )


def _rope(config) -> dict:
    params = getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {}
    params = dict(params)
    if "rope_theta" not in params and getattr(config, "rope_theta", None) is not None:
        params["rope_theta"] = config.rope_theta
    return params


def llama3_rope_factors(config) -> list[float] | None:
    """The ``rope_freqs`` factors of a ``rope_type: llama3`` model (None for any other), one per rotary
    frequency pair, as convert_hf_to_gguf's ``LlamaModel.generate_extra_tensors``: 1 for wavelengths under
    ``original_max_position_embeddings / high_freq_factor``, ``factor`` above ``... / low_freq_factor``,
    and the smooth blend between them."""
    rope = _rope(config)
    if rope.get("rope_type") != "llama3":
        return None
    base = float(rope.get("rope_theta", 10000.0))
    dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    factor = float(rope.get("factor", 8.0))
    low, high = float(rope.get("low_freq_factor", 1.0)), float(rope.get("high_freq_factor", 4.0))
    old_len = float(rope.get("original_max_position_embeddings", 8192))
    out = []
    for i in range(0, dim, 2):
        wavelen = 2 * math.pi * base ** (i / dim)  # 2 pi / freq, freq = base ** (-i / dim)
        if wavelen < old_len / high:
            out.append(1.0)
        elif wavelen > old_len / low:
            out.append(factor)
        else:
            smooth = (old_len / wavelen - low) / (high - low)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return out


def _permute(w, n_head: int, n_head_kv: int | None):
    """llama.cpp's rotary layout for q/k (``LlamaModel.permute`` in convert_hf_to_gguf.py)."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def _tokenizer_json(tokenizer) -> dict:
    backend = getattr(tokenizer, "backend_tokenizer", None) or getattr(tokenizer, "_tokenizer", None)
    if backend is None:
        raise ExportError("GGUF export needs a fast tokenizer (tokenizer.json); this one is slow-only")
    return json.loads(backend.to_str())


def _is_byte_level(node) -> bool:
    if not isinstance(node, dict):
        return False
    if node.get("type") == "ByteLevel":
        return True
    return any(_is_byte_level(n) for n in node.get("pretokenizers") or node.get("decoders") or [])


def _pre_name(tj: dict) -> str:
    """llama.cpp's pre-tokenizer name for this tokenizer's split (``default`` when it is none of the known)."""
    text = json.dumps(tj.get("pre_tokenizer"))
    if json.dumps(_QWEN2_SPLIT)[1:-1] in text:
        return "qwen2"
    if json.dumps(_LLAMA3_SPLIT)[1:-1] in text:
        return "llama-bpe"
    return "default"


def is_sentencepiece(tj: dict) -> bool:
    """Whether a ``tokenizer.json`` is a SentencePiece model: Unigram, or BPE with byte fallback and no
    ByteLevel step (how transformers converts SentencePiece's BPE, Llama 2's)."""
    model = tj.get("model") or {}
    byte_level = _is_byte_level(tj.get("pre_tokenizer")) or _is_byte_level(tj.get("decoder"))
    return model.get("type") == "Unigram" or (
        model.get("type") == "BPE" and bool(model.get("byte_fallback")) and not byte_level
    )


def _spm_file(tokenizer) -> Path | None:
    """The ``tokenizer.model`` beside the tokenizer (its folder), when there is one and sentencepiece is installed."""
    import importlib.util

    folder = Path(str(getattr(tokenizer, "name_or_path", "") or ""))
    found = folder / "tokenizer.model"
    return found if found.is_file() and importlib.util.find_spec("sentencepiece") else None


def spm_vocab(tokenizer, n_vocab: int) -> tuple[list[str], list[float], list[int]]:
    """(tokens, scores, token types) of a SentencePiece tokenizer, ``n_vocab`` long (see the module doc)."""
    import gguf

    tj = _tokenizer_json(tokenizer)
    model = tj.get("model") or {}
    tokens = [f"[PAD{i}]" for i in range(n_vocab)]
    scores = [-10000.0] * n_vocab
    types = [int(gguf.TokenType.UNUSED)] * n_vocab
    spm = _spm_file(tokenizer)
    if spm is not None:  # the scores the model was trained with, as convert_hf_to_gguf reads them
        pieces = list(gguf.SentencePieceVocab(spm.parent).sentencepiece_tokens())
        if len(pieces) > n_vocab:
            raise ExportError(f"the tokenizer has {len(pieces)} tokens but the model's embedding only {n_vocab} rows")
        for i, (text, score, kind) in enumerate(pieces):
            tokens[i], scores[i], types[i] = text.decode("utf-8"), float(score), int(kind)
    else:
        if model.get("type") == "Unigram":
            entries = [(piece, float(score)) for piece, score in model.get("vocab") or []]
        else:
            vocab = model.get("vocab") or {}
            made = {}
            for rank, merge in enumerate(model.get("merges") or []):
                left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
                made.setdefault(left + right, -float(rank))
            by_id = sorted(vocab.items(), key=lambda item: item[1])
            if [i for _, i in by_id] != list(range(len(by_id))):
                raise ExportError("GGUF export: the tokenizer's vocabulary ids are not 0..N-1")
            entries = [(piece, made.get(piece, 0.0)) for piece, _ in by_id]
        if len(entries) > n_vocab:
            raise ExportError(f"the tokenizer has {len(entries)} tokens but the model's embedding only {n_vocab} rows")
        unk = model.get("unk_id") if model.get("type") == "Unigram" else vocab.get(model.get("unk_token"))
        byte_fallback = bool(model.get("byte_fallback"))
        for i, (piece, score) in enumerate(entries):
            tokens[i], scores[i] = piece, score
            if i == unk:
                types[i] = int(gguf.TokenType.UNKNOWN)
            elif byte_fallback and len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
                types[i] = int(gguf.TokenType.BYTE)
            else:
                types[i] = int(gguf.TokenType.NORMAL)
    for added in tj.get("added_tokens") or []:  # as convert_hf_to_gguf's added_tokens_decoder pass
        i = added.get("id")
        if isinstance(i, int) and 0 <= i < n_vocab:
            special = bool(added.get("special"))
            tokens[i] = added["content"] if special else added["content"].replace("\u2581", " ")
            types[i] = int(gguf.TokenType.CONTROL if special else gguf.TokenType.USER_DEFINED)
            scores[i] = -1000.0
    return tokens, scores, types


def _space_prefix(tj: dict) -> bool:
    """Whether the tokenizer puts "▁" before the text (SentencePiece's add_dummy_prefix), as llama.cpp's flag."""
    text = json.dumps([tj.get("normalizer"), tj.get("pre_tokenizer")])
    if '"type": "Prepend"' in text:
        return True
    return (
        '"type": "Metaspace"' in text
        and '"prepend_scheme": "never"' not in text
        and '"add_prefix_space": false' not in text
    )


def _vocab(tokenizer, n_vocab: int) -> tuple[list[str], list[int], list[str], str]:
    """(tokens, token types, merges, pre-tokenizer name) for a byte-level BPE tokenizer, ``n_vocab`` long."""
    import gguf

    tj = _tokenizer_json(tokenizer)
    model = tj.get("model") or {}
    if model.get("type") != "BPE" or not (_is_byte_level(tj.get("pre_tokenizer")) or _is_byte_level(tj.get("decoder"))):
        raise ExportError(
            f"GGUF export writes byte-level BPE tokenizers (GPT-2/Qwen2/Llama 3 style) and SentencePiece ones "
            f"(Unigram, or BPE with byte fallback); this one is {model.get('type')!r} without either"
        )
    vocab = tokenizer.get_vocab()
    if len(vocab) > n_vocab:
        raise ExportError(f"the tokenizer has {len(vocab)} tokens but the model's embedding only {n_vocab} rows")
    by_id = {i: t for t, i in vocab.items()}
    added = {a["content"]: a for a in tj.get("added_tokens") or []}
    tokens, types = [], []
    for i in range(n_vocab):
        if i not in by_id:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
            continue
        tok = by_id[i]
        tokens.append(tok)
        if tok in added:
            types.append(gguf.TokenType.CONTROL if added[tok].get("special") else gguf.TokenType.USER_DEFINED)
        else:
            types.append(gguf.TokenType.NORMAL)
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges") or []]
    return tokens, types, merges, _pre_name(tj)


def _add_tokenizer(writer, tokenizer, n_vocab: int, family: str) -> list[str]:
    tj = _tokenizer_json(tokenizer)
    notes = []
    if is_sentencepiece(tj):
        if family != "llama":
            raise ExportError(f"GGUF export: a SentencePiece tokenizer is written for the llama family, not {family!r}")
        tokens, scores, types = spm_vocab(tokenizer, n_vocab)
        writer.add_tokenizer_model("llama")
        writer.add_tokenizer_pre("default")
        writer.add_token_list(tokens)
        writer.add_token_scores(scores)
        writer.add_token_types(types)
        writer.add_add_space_prefix(_space_prefix(tj))
        pre = None
    else:
        tokens, types, merges, pre = _vocab(tokenizer, n_vocab)
        writer.add_tokenizer_model("gpt2")
        writer.add_tokenizer_pre(pre)
        writer.add_token_list(tokens)
        writer.add_token_types(types)
        writer.add_token_merges(merges)
    if pre == "default":
        notes.append(
            "GGUF pre-tokenizer 'default': llama.cpp may split text before BPE differently from this tokenizer"
        )
    ids = {
        "bos": tokenizer.bos_token_id,
        "eos": tokenizer.eos_token_id,
        "pad": tokenizer.pad_token_id,
        "unk": tokenizer.unk_token_id,
    }
    for kind, value in ids.items():
        if value is not None:
            getattr(writer, f"add_{kind}_token_id")(int(value))
    # Whether encoding adds BOS, as the tokenizer really does it (Llama 3 adds it in its post-processor,
    # which no add_bos_token attribute reflects); llama.cpp reads this flag to do the same.
    sample = tokenizer("a").input_ids
    writer.add_add_bos_token(ids["bos"] is not None and sample[:1] == [ids["bos"]])
    template = tokenizer.chat_template
    if template:
        writer.add_chat_template(template)
        for end in _TURN_ENDS:
            tid = tokenizer.convert_tokens_to_ids(end)
            if end in template and isinstance(tid, int) and tid != tokenizer.unk_token_id and end in tokens:
                writer.add_eot_token_id(tid)
                break
    return notes


def _tensor(writer, name: str, data, qtype: str) -> str:
    """Add one tensor, quantised as ``qtype`` allows; returns the stored type's name."""
    import gguf
    import numpy as np

    if data.ndim <= 1:
        writer.add_tensor(name, data.astype(np.float32))
        return "F32"
    if qtype == "q8_0":
        try:
            packed = gguf.quants.quantize(data.astype(np.float32), gguf.GGMLQuantizationType.Q8_0)
        except gguf.QuantError:
            pass  # rows not a multiple of the 32-value block: float16, as convert_hf_to_gguf does
        else:
            writer.add_tensor(name, packed, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
            return "Q8_0"
    writer.add_tensor(name, data.astype(np.float16))
    return "F16"


def write_gguf(model, tokenizer, path: Path, qtype: str, name: str = "model") -> list[str]:
    """Write ``model`` (a llama/qwen2 ``*ForCausalLM``) and ``tokenizer`` to ``path``; returns notes.

    The notes say what the reader should know (tensors left at float16 under q8_0, a pre-tokenizer
    llama.cpp does not know by name).
    """
    import gguf
    import torch

    config = model.config
    check_supported(config, qtype)
    family = config.model_type
    arch = {"llama": gguf.MODEL_ARCH.LLAMA, "qwen2": gguf.MODEL_ARCH.QWEN2}[family]
    n_layer = config.num_hidden_layers
    n_head, n_kv = config.num_attention_heads, config.num_key_value_heads or config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // n_head
    names = gguf.get_tensor_name_map(arch, n_layer)
    writer = gguf.GGUFWriter(str(path), gguf.MODEL_ARCH_NAMES[arch])
    writer.add_name(name)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if qtype == "f16" else gguf.LlamaFileType.MOSTLY_Q8_0)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(n_layer)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_kv)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_rope_freq_base(float(_rope(config).get("rope_theta", 10000.0)))
    if family == "llama":
        writer.add_rope_dimension_count(head_dim)
    if head_dim != config.hidden_size // n_head:
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)
    state = model.state_dict()
    n_vocab = state["model.embed_tokens.weight"].shape[0]
    writer.add_vocab_size(n_vocab)
    notes = _add_tokenizer(writer, tokenizer, n_vocab, family)
    factors = llama3_rope_factors(config) if family == "llama" else None
    if factors is not None:  # Llama 3.1: llama.cpp divides each rotary frequency by its factor
        import numpy as np

        writer.add_tensor(gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.ROPE_FREQS] + ".weight", np.array(factors, np.float32))
    tied = bool(getattr(config, "tie_word_embeddings", False))
    kept_f16 = []
    for key, value in state.items():
        if key == "lm_head.weight" and tied:
            continue  # llama.cpp reuses token_embd when there is no output tensor
        gname = names.get_name(key, try_suffixes=(".weight", ".bias"))
        if gname is None:
            raise ExportError(f"GGUF export: no llama.cpp name for the tensor {key!r} of this {family} model")
        data = value.detach().to(torch.float32).cpu().numpy()
        if family == "llama" and key.endswith("q_proj.weight"):
            data = _permute(data, n_head, n_head)
        elif family == "llama" and key.endswith("k_proj.weight"):
            data = _permute(data, n_head, n_kv)
        stored = _tensor(writer, gname, data, qtype)
        if qtype == "q8_0" and stored == "F16":
            kept_f16.append(gname)
    if kept_f16:
        notes.append(
            f"GGUF q8_0: {len(kept_f16)} tensor(s) whose rows are not a multiple of 32 kept as float16 "
            f"(e.g. {kept_f16[0]})"
        )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return notes
