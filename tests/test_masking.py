"""SFT data: format detection/normalisation, and labels that are -100 exactly off the assistant turns."""

from __future__ import annotations

import pytest

from backend.data.formats import DataError, detect_format, to_messages, to_text
from backend.data.templates import IGNORE_INDEX, assistant_spans, encode_chat, encode_text, resolve_template

CONVERSATION = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "What is 17+25?"},
    {"role": "assistant", "content": "42"},
    {"role": "user", "content": "用中文说一遍。"},
    {"role": "assistant", "content": "四十二。"},
]


def test_detect_and_normalise_every_chat_format():
    alpaca = {"instruction": "Translate", "input": "你好", "output": "Hello", "system": "S", "history": [["hi", "hey"]]}
    assert detect_format(alpaca) == "alpaca"
    assert [m["role"] for m in to_messages(alpaca, "alpaca")] == ["system", "user", "assistant", "user", "assistant"]
    assert to_messages(alpaca, "alpaca")[3]["content"] == "Translate\n你好"
    sharegpt = {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}
    assert detect_format(sharegpt) == "sharegpt"
    assert to_messages(sharegpt, "sharegpt") == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
    ]
    assert detect_format({"messages": CONVERSATION}) == "messages"
    assert to_messages({"messages": CONVERSATION}, "messages") == CONVERSATION
    assert detect_format({"text": "abc"}) == "text" and to_text({"title": "T", "content": "C"}, "text") == "T\nC"


@pytest.mark.parametrize(
    "record, fmt, words",
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, "messages", "no assistant"),
        ({"messages": [{"role": "user", "content": 3}]}, "messages", "messages[0].content"),
        ({"conversations": [{"from": "alien", "value": "x"}]}, "sharegpt", "conversations[0].from"),
        ({"instruction": "x"}, "alpaca", "'output' is missing"),
        ({"instruction": "x", "output": "y", "history": [["only one"]]}, "alpaca", "history[0]"),
        ({"foo": 1}, None, "cannot tell the format"),
    ],
)
def test_bad_records_name_the_field(record, fmt, words):
    with pytest.raises(DataError, match=words.replace("[", r"\[").replace("]", r"\]")):
        to_messages(record, fmt) if fmt else detect_format(record)


def test_labels_are_ignored_exactly_off_the_assistant_spans(tiny_tokenizer):
    tok = tiny_tokenizer
    template = resolve_template(tok, "auto")
    enc = encode_chat(tok, CONVERSATION, template, cutoff_len=10_000)
    full, spans = assistant_spans(tok, CONVERSATION, template)
    offsets = tok(full, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    assert len(offsets) == len(enc["input_ids"])
    for (start, _), label, token in zip(offsets, enc["labels"], enc["input_ids"], strict=True):
        inside = any(a <= start < b for a, b in spans)
        assert (label == token) if inside else (label == IGNORE_INDEX)
    # What carries loss is exactly the assistant replies with their end-of-turn markers.
    trained = tok.decode([t for t, lab in zip(enc["input_ids"], enc["labels"], strict=True) if lab != IGNORE_INDEX])
    assert trained == "42<|im_end|>\n四十二。<|im_end|>\n"
    untrained = tok.decode([t for t, lab in zip(enc["input_ids"], enc["labels"], strict=True) if lab == IGNORE_INDEX])
    assert "What is 17+25?" in untrained and "You are terse." in untrained and "42" not in untrained


def test_train_on_prompt_and_truncation(tiny_tokenizer):
    template = resolve_template(tiny_tokenizer, "chatml")
    enc = encode_chat(tiny_tokenizer, CONVERSATION, template, cutoff_len=10_000, train_on_prompt=True)
    assert enc["labels"] == enc["input_ids"]
    short = encode_chat(tiny_tokenizer, CONVERSATION, template, cutoff_len=7)
    assert len(short["input_ids"]) == len(short["labels"]) == 7


def test_text_ends_with_eos_and_digits_are_split(tiny_tokenizer):
    ids = encode_text(tiny_tokenizer, "17+25=42")
    assert ids[-1] == tiny_tokenizer.eos_token_id
    pieces = tiny_tokenizer.convert_ids_to_tokens(ids[:-1])
    assert pieces == ["1", "7", "+", "2", "5", "=", "4", "2"]


def test_unknown_template_is_a_clear_error(tiny_tokenizer):
    with pytest.raises(DataError, match="data.template"):
        resolve_template(tiny_tokenizer, "no-such-template")
