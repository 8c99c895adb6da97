"""Chat templates and the SFT loss mask.

The mask is computed from the rendering itself, so it is right for any Jinja chat template, with or
without ``{% generation %}`` markers: each assistant turn's characters are the span between the
rendering of the conversation up to that turn (with the generation prompt) and the rendering
including it; tokens whose first character falls in such a span carry loss, every other token gets
label -100. The span includes the turn's end-of-turn token, so the model learns to stop.
"""

from __future__ import annotations

from backend.builtin import CHATML_TEMPLATE
from backend.data.chat_templates import TEMPLATES
from backend.data.formats import DataError

IGNORE_INDEX = -100
NAMED_TEMPLATES = {name: t.jinja for name, t in TEMPLATES.items()}


def resolve_template(tokenizer, name: str) -> str:
    """The Jinja template for ``data.template``: the tokenizer's own for 'auto' (chatml if it has none)."""
    if name == "auto":
        return tokenizer.chat_template or CHATML_TEMPLATE
    if name in NAMED_TEMPLATES:
        return NAMED_TEMPLATES[name]
    raise DataError(f"data.template: unknown template {name!r}; expected auto or one of {', '.join(NAMED_TEMPLATES)}")


def render(tokenizer, messages: list[dict], template: str, add_generation_prompt: bool = False) -> str:
    return tokenizer.apply_chat_template(
        messages, chat_template=template, tokenize=False, add_generation_prompt=add_generation_prompt
    )


def assistant_spans(tokenizer, messages: list[dict], template: str) -> tuple[str, list[tuple[int, int]]]:
    """The full rendering and the character spans of every assistant turn in it."""
    full = render(tokenizer, messages, template)
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        start = len(render(tokenizer, messages[:i], template, add_generation_prompt=True)) if i else 0
        prefix = render(tokenizer, messages[: i + 1], template)  # rendered once: it is ~40% of tokenising
        end = len(prefix)
        if not full.startswith(prefix):
            raise DataError(
                "the chat template renders a conversation differently from its prefixes, so assistant turns "
                "cannot be located; choose another data.template"
            )
        spans.append((start, end))
    return full, spans


def encode_chat(
    tokenizer,
    messages: list[dict],
    template: str,
    cutoff_len: int,
    train_on_prompt: bool = False,
    mask_history: bool = False,
) -> dict[str, list[int]]:
    """``input_ids`` and ``labels`` of one conversation, truncated to ``cutoff_len``.

    Loss is on every assistant turn, only the last one with ``mask_history``, or on everything with
    ``train_on_prompt`` (which wins).
    """
    full, spans = assistant_spans(tokenizer, messages, template)
    if mask_history:
        spans = spans[-1:]
    enc = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids = enc["input_ids"][:cutoff_len]
    if train_on_prompt:
        labels = list(ids)
    else:
        labels = [IGNORE_INDEX] * len(ids)
        span_i = 0
        for t, (start, _end) in enumerate(enc["offset_mapping"][: len(ids)]):
            while span_i < len(spans) and start >= spans[span_i][1]:
                span_i += 1
            if span_i < len(spans) and spans[span_i][0] <= start < spans[span_i][1]:
                labels[t] = ids[t]
    return {"input_ids": ids, "labels": labels}


def encode_text(tokenizer, text: str) -> list[int]:
    """Token ids of a pretraining document, followed by the end-of-text token."""
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
    return ids
