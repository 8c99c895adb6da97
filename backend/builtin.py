"""The studio's own tiny model: a byte-level BPE tokenizer trained on the shipped sample corpus and
a small randomly initialised Llama-shaped model, saved in Hugging Face format.

No hub is reached: this is what tests, the embedded default presets and a first-time user on a
laptop CPU train. Both are built once per workspace (under ``models/``), atomically (built in a
temporary folder, then renamed) and under a file lock, so concurrent first runs do not collide.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from backend.paths import SAMPLES_DIR

TOKENIZER_DIR = "tiny-tokenizer"
MODEL_DIR = "tiny-llama"
VOCAB_SIZE = 8192
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"]

# ChatML, the format of Qwen and many others; the studio masks the loss itself from the rendering,
# so no {% generation %} markers are needed.
CHATML_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

# Shape of builtin:tiny-llama (about 4.5M parameters; ~2/3 of them in the tied embedding).
TINY_ARCH = dict(
    hidden_size=256,
    intermediate_size=688,
    num_hidden_layers=4,
    num_attention_heads=4,
    num_key_value_heads=4,
    max_position_embeddings=2048,
    tie_word_embeddings=True,
    rope_theta=10000.0,
)


def corpus_texts() -> Iterator[str]:
    """Every text of the shipped samples (pretraining paragraphs and chat turns)."""
    for name in ("pretrain_zh_en.jsonl", "sft_messages.jsonl"):
        path = SAMPLES_DIR / name
        if not path.exists():
            continue
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                if "text" in record:
                    yield record["text"]
                for message in record.get("messages", []):
                    yield message["content"]


def train_tokenizer(texts, vocab_size: int = VOCAB_SIZE):
    """Train a byte-level BPE (digits split one by one, NFC) and wrap it as a transformers tokenizer."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    # NFC, not NFKC: NFKC would turn Chinese full-width punctuation into ASCII and change the text.
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|endoftext|>",
        pad_token="<|pad|>",
        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
        chat_template=CHATML_TEMPLATE,
        model_max_length=TINY_ARCH["max_position_embeddings"],
        clean_up_tokenization_spaces=False,
    )


def build_tiny_model(tokenizer, arch: dict | None = None, family: str = "llama", seed: int = 0):
    """A randomly initialised causal LM sized for ``tokenizer`` (vocab padded to a multiple of 64)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, GenerationConfig

    arch = dict(TINY_ARCH if arch is None else arch)
    vocab = -(-len(tokenizer) // 64) * 64  # a multiple of 64 keeps the matmuls aligned
    config = AutoConfig.for_model(
        family,
        vocab_size=vocab,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **arch,
    )
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    stop_ids = [tokenizer.eos_token_id]
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    if im_end is not None and im_end != tokenizer.unk_token_id:
        stop_ids.append(im_end)
    model.generation_config = GenerationConfig(eos_token_id=stop_ids, pad_token_id=tokenizer.pad_token_id)
    return model


def _build_once(target: Path, build) -> Path:
    """Run ``build(tmpdir)`` once per target directory, under a lock, publishing atomically."""
    if (target / ".complete").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".complete").exists():
            return target
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            build(tmp)
            (tmp / ".complete").write_text("ok\n")
            if target.exists():
                shutil.rmtree(target)
            os.rename(tmp, target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return target


def ensure_tiny_tokenizer(home: Path) -> Path:
    """``<home>/models/tiny-tokenizer``, trained from the sample corpus on first use."""

    def build(tmp: Path) -> None:
        texts = list(corpus_texts())
        if not texts:
            raise FileNotFoundError(f"the sample corpus is missing: no texts under {SAMPLES_DIR}")
        train_tokenizer(texts).save_pretrained(tmp)

    return _build_once(Path(home) / "models" / TOKENIZER_DIR, build)


def ensure_tiny_model(home: Path) -> Path:
    """``<home>/models/tiny-llama``: the tiny tokenizer plus a random-init Llama, on first use."""
    from transformers import AutoTokenizer

    tok_dir = ensure_tiny_tokenizer(home)

    def build(tmp: Path) -> None:
        tokenizer = AutoTokenizer.from_pretrained(tok_dir)
        build_tiny_model(tokenizer).save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)

    return _build_once(Path(home) / "models" / MODEL_DIR, build)
