"""Every named chat template: the tokens carrying loss are exactly the assistant replies plus end-of-turn."""

from __future__ import annotations

import copy

import pytest

from backend.data.chat_templates import TEMPLATES
from backend.data.templates import IGNORE_INDEX, encode_chat, resolve_template

CONVERSATIONS = [
    [{"role": "user", "content": "What is 17+25?"}, {"role": "assistant", "content": "42"}],
    [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Name a planet."},
        {"role": "assistant", "content": "Jupiter."},
        {"role": "user", "content": "用中文说一遍。"},
        {"role": "assistant", "content": "木星。"},
    ],
    [
        {"role": "system", "content": "你是一个乐于助人的助手。"},
        {"role": "user", "content": "你好"},
        {"role": "assistant", "content": "你好！有什么可以帮你？"},
    ],
]


@pytest.fixture(scope="module")
def marked_tokenizer(tiny_tokenizer):
    """The tiny tokenizer with every template's markers as special tokens (as each model's tokenizer has)."""
    tok = copy.deepcopy(tiny_tokenizer)
    markers = sorted({m for t in TEMPLATES.values() for m in t.markers} - set(tok.all_special_tokens))
    tok.add_special_tokens({"additional_special_tokens": markers}, replace_extra_special_tokens=False)
    return tok


def _trained_text(tok, enc) -> str:
    return tok.decode([t for t, lab in zip(enc["input_ids"], enc["labels"], strict=True) if lab != IGNORE_INDEX])


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=["single", "system-multi-zh-en", "zh-system"])
def test_loss_is_exactly_the_assistant_turns(marked_tokenizer, name, conversation):
    tok, spec = marked_tokenizer, TEMPLATES[name]
    eot = spec.eot.replace("{eos}", tok.eos_token)
    enc = encode_chat(tok, conversation, resolve_template(tok, name), cutoff_len=10_000)
    expected = "".join(spec.lead + m["content"] + eot for m in conversation if m["role"] == "assistant")
    assert _trained_text(tok, enc) == expected
    last = encode_chat(tok, conversation, resolve_template(tok, name), cutoff_len=10_000, mask_history=True)
    assert _trained_text(tok, last) == spec.lead + conversation[-1]["content"] + eot


def test_empty_template_renders_only_the_answers(marked_tokenizer):
    text = marked_tokenizer.apply_chat_template(
        CONVERSATIONS[1], chat_template=resolve_template(marked_tokenizer, "empty"), tokenize=False
    )
    assert text == "Jupiter.<|endoftext|>木星。<|endoftext|>"
