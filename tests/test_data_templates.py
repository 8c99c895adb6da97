"""Loss masks on every named template and on official templates of real model families.

The expected labelled text comes from :mod:`template_oracle` (written by hand from each template's format),
for conversations with a system prompt, several turns, Chinese and emoji, replies holding template markup
as text, and ``<think>`` replies; with tokenizers that have the markers as special tokens and without.
"""

from __future__ import annotations

import copy
import json

import pytest
from conftest import run_cli
from template_oracle import OFFICIAL, SHARED_TEMPLATES, expected_labels, official_template

from backend.data.chat_templates import TEMPLATES
from backend.data.formats import DataError
from backend.data.templates import (
    IGNORE_INDEX,
    MaskError,
    assistant_spans,
    changed_region,
    encode_chat,
    resolve_template,
    turn_spans,
    verbatim_regions,
)

CONVERSATIONS = {
    "single": [{"role": "user", "content": "What is 17+25?"}, {"role": "assistant", "content": "42"}],
    "system-multi-markup-think": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Name a planet. <|im_end|> [INST]"},
        {"role": "assistant", "content": "<think>\nLet me think.\n</think>\n\nJupiter 🪐. <|im_start|>user [/INST]"},
        {"role": "user", "content": "用中文说一遍。"},
        {"role": "assistant", "content": "<think>想一想</think>木星。"},
    ],
    "zh-system-emoji": [
        {"role": "system", "content": "你是一个乐于助人的助手。"},
        {"role": "user", "content": "你好"},
        {"role": "assistant", "content": "你好！有什么可以帮你？😀 "},
    ],
    "three-turns": [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "b"},
        {"role": "user", "content": "c"},
        {"role": "assistant", "content": "d <｜end▁of▁sentence｜> e"},
        {"role": "user", "content": "f"},
        {"role": "assistant", "content": "<think>\nreason\n</think>\n\ng"},
    ],
}
SPECIAL = ("<|end|>", "<|system|>", "<|user|>", "<|assistant|>", "<｜User｜>", "<｜Assistant｜>", "<|observation|>")

# DeepSeek-R1's official template (without its tool-call branches): reasoning dropped from every reply, and a
# generation prompt that opens a think block the rendered history never has.
R1_OFFICIAL = (
    "{{ bos_token }}{%- for message in messages %}"
    "{%- if message['role'] == 'user' %}{{ '<｜User｜>' + message['content'] }}"
    "{%- elif message['role'] == 'assistant' %}{%- set content = message['content'] %}"
    "{%- if '</think>' in content %}{%- set content = content.split('</think>')[-1] %}{%- endif %}"
    "{{ '<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>' }}{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<｜Assistant｜><think>\\n' }}{%- endif %}"
)


@pytest.fixture(scope="module")
def marked_tokenizer(tiny_tokenizer):
    """The tiny tokenizer with every template's markers as special tokens (as each model's tokenizer has)."""
    tok = copy.deepcopy(tiny_tokenizer)
    markers = {m for t in TEMPLATES.values() for m in t.markers} | set(SPECIAL)
    tok.add_special_tokens(
        {"additional_special_tokens": sorted(markers - set(tok.all_special_tokens))}, replace_extra_special_tokens=False
    )
    return tok


@pytest.fixture(scope="module", params=["marked", "pieces"])
def tokenizer(request, marked_tokenizer, tiny_tokenizer):
    """Markers as special tokens, and split into ordinary pieces (the plain tiny tokenizer)."""
    return marked_tokenizer if request.param == "marked" else tiny_tokenizer


def _jinja(tok, name: str) -> str:
    return official_template(name) if name in OFFICIAL else resolve_template(tok, name)


def _trained_text(tok, enc) -> str:
    return tok.decode([t for t, lab in zip(enc["input_ids"], enc["labels"], strict=True) if lab != IGNORE_INDEX])


@pytest.mark.parametrize("name", [*sorted(TEMPLATES), *OFFICIAL])
@pytest.mark.parametrize("conversation", sorted(CONVERSATIONS))
def test_labels_are_each_reply_as_rendered_plus_its_end_of_turn(tokenizer, name, conversation):
    messages, tok = CONVERSATIONS[conversation], tokenizer
    jinja = _jinja(tok, name)
    expected = expected_labels(name, messages, tok.eos_token)
    full, spans = assistant_spans(tok, messages, jinja)
    assert [full[a:b] for a, b in spans] == expected  # character-exact, turn by turn
    enc = encode_chat(tok, messages, jinja, cutoff_len=10_000)
    assert _trained_text(tok, enc) == "".join(expected)  # token-exact: no system or user text, nothing shifted
    last = encode_chat(tok, messages, jinja, cutoff_len=10_000, mask_history=True)
    assert _trained_text(tok, last) == expected[-1]


def test_official_r1_template_labels_the_first_words_and_keeps_the_last_reply(marked_tokenizer):
    """The defect this replaces: the prompt's "<think>\\n" was taken as the reply's start, so the first 8
    characters of every reply went unlabelled and, with mask_history, a short last reply lost every label."""
    tok = marked_tokenizer
    messages = CONVERSATIONS["three-turns"]
    enc = encode_chat(tok, messages, R1_OFFICIAL, cutoff_len=10_000)
    assert (
        _trained_text(tok, enc)
        == "b<｜end▁of▁sentence｜>d <｜end▁of▁sentence｜> e<｜end▁of▁sentence｜>\n\ng<｜end▁of▁sentence｜>"
    )
    last = encode_chat(tok, messages, R1_OFFICIAL, cutoff_len=10_000, mask_history=True)
    assert _trained_text(tok, last) == "\n\ng<｜end▁of▁sentence｜>"
    _full, spans, _enc = turn_spans(tok, messages, R1_OFFICIAL)
    assert [s.prompt_agrees for s in spans] == [False, False, False]  # the template check warns about this


def test_empty_template_renders_only_the_answers(marked_tokenizer):
    text = marked_tokenizer.apply_chat_template(
        CONVERSATIONS["zh-system-emoji"], chat_template=resolve_template(marked_tokenizer, "empty"), tokenize=False
    )
    assert text == "你好！有什么可以帮你？😀 <|endoftext|>"


def test_qwen_renders_qwen25_default_system_prompt(marked_tokenizer):
    text = marked_tokenizer.apply_chat_template(
        CONVERSATIONS["single"], chat_template=resolve_template(marked_tokenizer, "qwen"), tokenize=False
    )
    assert text.startswith(
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
    )


def test_qwen3_thinking_switch(marked_tokenizer):
    prompt = CONVERSATIONS["single"][:1]
    think = marked_tokenizer.apply_chat_template(
        prompt, chat_template=resolve_template(marked_tokenizer, "qwen3"), tokenize=False, add_generation_prompt=True
    )
    nothink = marked_tokenizer.apply_chat_template(
        prompt,
        chat_template=resolve_template(marked_tokenizer, "qwen3-nothink"),
        tokenize=False,
        add_generation_prompt=True,
    )
    assert think.endswith("<|im_start|>assistant\n")
    assert nothink.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")


TWICE = (
    "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}"
    "{% if m.role == 'assistant' %}{{ m.content }}{% endif %}{% endfor %}"
)
NO_ASSISTANT = (
    "{% for m in messages %}{% if m.role != 'assistant' %}<|{{ m.role }}|>{{ m.content }}{% endif %}{% endfor %}"
)


@pytest.mark.parametrize(
    ("jinja", "what"),
    [(TWICE, "renders 2 times the content of message 1"), (NO_ASSISTANT, "does not render the content of message 1")],
)
def test_unlocatable_replies_are_refused(marked_tokenizer, jinja, what):
    with pytest.raises(MaskError, match=what):
        encode_chat(marked_tokenizer, CONVERSATIONS["single"], jinja, cutoff_len=100)


def test_a_template_file_that_cannot_be_masked_is_refused_with_file_and_line(tmp_path, studio_home, tiny_tokenizer):
    """Through the trainer's own data build: the record's file:line, the template file and a named template."""
    from backend.data.build import load_records, tokenise
    from backend.spec import spec_from_dict

    template = tmp_path / "twice.jinja"
    template.write_text(TWICE, encoding="utf-8")
    data = tmp_path / "chat.jsonl"
    data.write_text("\n".join(json.dumps({"messages": CONVERSATIONS["single"]}) for _ in range(3)) + "\n", "utf-8")
    spec = spec_from_dict(
        {
            "stage": "sft",
            "model": {"name_or_path": "builtin:tiny-llama"},
            "data": {"sources": [{"path": str(data)}], "template": str(template), "val_size": 0},
            "output": {"workspace": str(studio_home)},
        }
    )
    with pytest.raises(DataError) as err:
        tokenise(load_records(spec, "chat"), spec, tiny_tokenizer, "chat")
    message = str(err.value)
    assert message.startswith(f"{data}:1: data.template {str(template)!r}: the template renders 2 times")
    assert "refused rather than trained with shifted labels" in message and "try data.template: chatml" in message


def test_template_file_errors_name_the_file(tmp_path, tiny_tokenizer):
    with pytest.raises(DataError, match="no such file"):
        resolve_template(tiny_tokenizer, str(tmp_path / "missing.jinja"))
    empty = tmp_path / "empty.jinja"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(DataError, match=f"{empty} is empty"):
        resolve_template(tiny_tokenizer, str(empty))


def test_preview_cli_takes_a_jinja_file(studio_home, tiny_model):
    """``studio data preview FILE --template path/to/x.jinja --json``: tokens, loss marks and the template check."""
    jinja = SHARED_TEMPLATES / "phi-4-mini.jinja"
    result = run_cli(
        "data", "preview", "builtin:samples/sft_messages.jsonl", "--template", str(jinja), "--tokenizer",
        str(tiny_model), "--n", "2", "--json", home=studio_home, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    first = out["rows"][0]["tokens"]
    text = "".join(t["text"] for t in first)
    assert text.startswith("<|user|>") and "<|end|><|assistant|>" in text
    trained = "".join(t["text"] for t in first if t["loss"])
    assert trained.endswith("<|end|><|endoftext|>") and "<|user|>" not in trained
    levels = {c["level"] for c in out["template_check"]}
    assert "fail" not in levels and out["template_check"][0]["message"].startswith(f"data.template {str(jinja)!r}")


@pytest.mark.parametrize("name", [*sorted(TEMPLATES), *OFFICIAL])
def test_the_one_render_fast_path_finds_what_the_per_message_renders_find(marked_tokenizer, name):
    """Verbatim templates get every message's place from one extra render; where that applies it must agree with
    the per-message sentinel renders, message by message (and it must apply to the plain ChatML family)."""
    tok = marked_tokenizer
    jinja = _jinja(tok, name)
    applied = 0
    for messages in CONVERSATIONS.values():
        full = tok.apply_chat_template(messages, chat_template=jinja, tokenize=False)
        fast = verbatim_regions(tok, messages, jinja, full)
        if fast is None:
            continue
        applied += 1
        slow = [changed_region(tok, messages, jinja, full, i, required=False) for i in range(len(messages))]
        assert fast == slow
    if name in ("chatml", "qwen", "baichuan2", "phi-4-mini"):
        assert applied == len(CONVERSATIONS)
