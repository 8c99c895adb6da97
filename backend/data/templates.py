"""Chat templates and the SFT loss mask.

The mask is read off the rendering of the whole conversation, so it holds for any Jinja chat template,
including those that rewrite history (reasoning stripped from earlier replies, ``<think>`` blocks moved
or added) and those whose generation prompt is not the text that precedes a reply in the full rendering.
For each assistant turn *i* (see :func:`assistant_spans`):

1. **What the reply renders as.** The conversation is rendered once more with turn *i*'s content
   replaced by a unique sentinel. Where the two renderings first and last differ is the text that
   depends on the reply: its rendering, whatever the template did to it (trimmed, reasoning dropped or
   wrapped). The sentinel must appear exactly once, or the turn cannot be located: refused.
2. **Where the labelled text starts.** At inference the model is given the conversation so far plus the
   generation prompt and writes the rest, so the labels start where the generation prompt ends when the
   full rendering agrees with it up to there (``<|im_start|>assistant\\n``, GLM's ``<|assistant|>`` before a
   ``\\n<think>…`` block the model must write). Where it does not (DeepSeek-R1's ``<｜Assistant｜><think>\\n``
   against a history rendered ``<｜Assistant｜>answer``), the labels start where the reply's own text starts,
   never earlier than the end of the message before it: no user or system text is ever labelled.
3. **Where it ends.** After the reply, the template's end-of-turn text: for the last message, everything
   the template writes after it (``<|im_end|>\\n``, ``<|end|><|endoftext|>``); for an earlier turn, what a
   conversation ending at that turn writes after the reply and the full conversation writes too, cut back
   to a token boundary so the next turn's marker is never labelled.

Tokens whose first character falls in a span carry loss; every other token gets label -100. Whatever
cannot be made consistent raises :class:`MaskError` (the callers add the template and the record's
file:line); nothing is shifted silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from backend.builtin import CHATML_TEMPLATE
from backend.data.chat_templates import TEMPLATES
from backend.data.formats import DataError

IGNORE_INDEX = -100
NAMED_TEMPLATES = {name: t.jinja for name, t in TEMPLATES.items()}
MAX_TEMPLATE_BYTES = 1 << 20
# Private-use code points: no template transforms them, no tokenizer merges them with markup, no real text has them.
_SENTINEL = "\ue000{}\ue001"
# Role and turn markup as templates write it: <|user|>, </s>, <｜end▁of▁sentence｜>, [INST], <reserved_106>.
_MARKUP = re.compile(r"<[^<>\s]{1,40}>|\[[^\[\]\s]{1,20}\]")


class MaskError(DataError):
    """A conversation whose assistant turns cannot be located consistently in the template's rendering."""


def resolve_template(tokenizer, name: str) -> str:
    """The Jinja template for ``data.template``: the tokenizer's own for 'auto' (if it has none: its family's
    named template by ``backend.models.families``, else chatml), a named one, or the text of a ``.jinja`` file
    (an absolute path, or relative to the current folder)."""
    if name == "auto":
        return tokenizer.chat_template or _family_template(tokenizer) or CHATML_TEMPLATE
    if name in NAMED_TEMPLATES:
        return NAMED_TEMPLATES[name]
    if is_template_file(name):
        return read_template_file(name)
    raise DataError(
        f"data.template: unknown template {name!r}; expected auto, a .jinja file or one of {', '.join(NAMED_TEMPLATES)}"
    )


def _family_template(tokenizer) -> str | None:
    """The named template of the model's family (``backend.models.families``: config.model_type, name), for a
    tokenizer without a chat template of its own; None when no family fits."""
    from backend.models.families import template_for_folder

    family = template_for_folder(getattr(tokenizer, "name_or_path", None))
    return NAMED_TEMPLATES.get(family) if family else None


def is_template_file(name: str) -> bool:
    """Whether ``data.template`` names a file rather than a template (a path ending in ``.jinja``)."""
    return name.endswith(".jinja")


def read_template_file(name: str) -> str:
    """The text of a ``.jinja`` template file, or a DataError naming the file and what is wrong with it."""
    path = Path(name).expanduser()
    try:
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise DataError(f"data.template: {path} is larger than {MAX_TEMPLATE_BYTES >> 20} MiB; not a chat template")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"data.template: {path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"data.template: {path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise DataError(f"data.template: {path}: {exc.strerror or exc}") from None
    if not text.strip():
        raise DataError(f"data.template: {path} is empty")
    return text


def template_label(name: str) -> str:
    """How messages name a template: ``'qwen'``, ``the tokenizer's own template``, or the file."""
    return "the tokenizer's own template (data.template: auto)" if name == "auto" else f"data.template {name!r}"


# Markers that identify a family, most specific first: the named template to suggest when a template fails.
_FAMILY_MARKERS = (
    ("<｜Assistant｜><think>", "deepseek-r1"),
    ("<｜Assistant｜>", "deepseek-r1"),
    ("[gMASK]<sop>", "glm4"),
    ("enable_thinking", "qwen3"),
    ("<|im_start|>", "qwen"),
    ("<|start_header_id|>", "llama3"),
    ("[/INST]", "mistral"),
    ("<reserved_106>", "baichuan2"),
    ("<|assistant|>", "chatglm3"),
)


def mask_error(exc: MaskError, name: str, jinja: str, origin: str | None) -> DataError:
    """A MaskError as the one line a user sees: the record, the template, what went wrong, what to try."""
    where = f"{origin}: " if origin else ""
    return DataError(
        f"{where}{template_label(name)}: {exc}; the loss mask cannot be placed, so the record is refused rather "
        f"than trained with shifted labels; try data.template: {suggest_template(jinja)} (or a fixed .jinja file)"
    )


def suggest_template(jinja: str) -> str:
    """The named template closest to ``jinja`` by its role markers (chatml when none is recognised)."""
    return next((name for marker, name in _FAMILY_MARKERS if marker in jinja and name in NAMED_TEMPLATES), "chatml")


def render(tokenizer, messages: list[dict], template: str, add_generation_prompt: bool = False) -> str:
    return tokenizer.apply_chat_template(
        messages, chat_template=template, tokenize=False, add_generation_prompt=add_generation_prompt
    )


def _render(tokenizer, messages, template, add_generation_prompt=False) -> str:
    """:func:`render`, with a template's own failure (an unsupported role, bad Jinja) as a MaskError."""
    try:
        return render(tokenizer, messages, template, add_generation_prompt)
    except Exception as exc:  # jinja2 errors, raise_exception(...) from the template, TypeErrors on odd content
        raise MaskError(f"the template cannot render this conversation: {type(exc).__name__}: {exc}") from None


def common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # binary search on slices: C-speed compares, O(log n) of them
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    n = min(len(a), len(b), limit)
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _with_sentinel(messages: list[dict], i: int) -> tuple[list[dict], str]:
    sentinel = _SENTINEL.format(i)
    return [m if j != i else {**m, "content": sentinel} for j, m in enumerate(messages)], sentinel


def changed_region(tokenizer, messages, template, full: str, i: int, required: bool = True):
    """Where ``full`` depends on message ``i``'s content: ``(start, end)``. Raises MaskError when the template does
    not render that content exactly once; None when it is not ``required`` and not rendered at all."""
    swapped, sentinel = _with_sentinel(messages, i)
    other = _render(tokenizer, swapped, template)
    count = other.count(sentinel)
    if count == 0 and not required:
        return None
    if count != 1:
        what = "does not render" if count == 0 else f"renders {count} times"
        raise MaskError(f"the template {what} the content of message {i} ({messages[i]['role']})")
    start = common_prefix(full, other)
    return start, len(full) - _common_suffix(full, other, min(len(full), len(other)) - start)


def verbatim_regions(tokenizer, messages, template, full: str) -> list[tuple[int, int] | None] | None:
    """Every message's ``(start, end)`` in ``full`` from one extra render, when the template writes each content
    verbatim (most do); None when it transforms one (trims, drops reasoning), for :func:`changed_region` instead.

    All contents are swapped for sentinels at once; if putting the contents back where the sentinels are gives
    ``full`` exactly, each content sits there, and the regions are what :func:`changed_region` would find.
    """
    sentinels = [_SENTINEL.format(i) for i in range(len(messages))]
    if not all(isinstance(m.get("content"), str) for m in messages):
        return None
    swapped = [{**m, "content": s} for m, s in zip(messages, sentinels, strict=True)]
    other = _render(tokenizer, swapped, template)
    parts = re.split("(" + "|".join(map(re.escape, sentinels)) + ")", other)
    regions: list[tuple[int, int] | None] = [None] * len(messages)
    rebuilt, at = [], 0
    for k, part in enumerate(parts):
        if k % 2:  # a sentinel: its message's content goes here
            j = sentinels.index(part)
            if regions[j] is not None:
                return None  # rendered twice: the slow path says so
            content = messages[j]["content"]
            regions[j] = (at, at + len(content))
            part = content
        rebuilt.append(part)
        at += len(part)
    return regions if "".join(rebuilt) == full else None


@dataclass
class TurnSpan:
    """One assistant turn in a rendering: labels cover ``[start, end)``; ``reply_start``/``reply_end`` bound
    the text that depends on the reply; ``prompt_agrees`` says the generation prompt is a prefix of the
    rendering at this turn (inference sees what training saw)."""

    start: int
    end: int
    reply_start: int
    reply_end: int
    prompt_agrees: bool


def turn_spans(tokenizer, messages: list[dict], template: str) -> tuple[str, list[TurnSpan], dict]:
    """The full rendering, a :class:`TurnSpan` per assistant turn (see the module docs for the rules) and the
    rendering's tokens (``input_ids`` and ``offset_mapping``)."""
    full = _render(tokenizer, messages, template)
    enc = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    fast = verbatim_regions(tokenizer, messages, template, full)

    def region(i: int, required: bool = True):
        if fast is not None and (fast[i] is not None or not required):
            return fast[i]
        return changed_region(tokenizer, messages, template, full, i, required)

    spans: list[TurnSpan] = []
    floor = 0  # nothing before the end of the previous message (or span) may be labelled
    for i, message in enumerate(messages):
        if message.get("role") != "assistant":
            continue
        if i and messages[i - 1].get("role") != "assistant":
            # The end of the message before the reply (its text, however the template renders it; a template
            # may leave it out, as the ``empty`` one does).
            before = region(i - 1, required=False)
            floor = max(floor, before[1] if before else 0)
        reply_start, reply_end = region(i)
        if reply_start < floor:
            raise MaskError(f"the reply of message {i} changes how the template renders the messages before it")
        prompt = _render(tokenizer, messages[:i], template, add_generation_prompt=True) if i else ""
        agreed = common_prefix(prompt, full)
        prompt_agrees = agreed == len(prompt)
        start = min(reply_start, agreed) if agreed >= floor else reply_start
        end = reply_end + _end_of_turn(tokenizer, messages, template, i, enc, full, reply_end)
        spans.append(TurnSpan(start, end, reply_start, reply_end, prompt_agrees))
        floor = end
    return full, spans, enc


def _end_of_turn(tokenizer, messages, template, i, enc, full: str, reply_end: int) -> int:
    """How many characters after the reply end its turn (the end-of-turn text the model must learn)."""
    after = full[reply_end:]
    if i == len(messages) - 1:
        return len(after)
    swapped, sentinel = _with_sentinel(messages[: i + 1], i)
    alone = _render(tokenizer, swapped, template)  # the conversation ending at this turn
    tail = alone[alone.index(sentinel) + len(sentinel) :] if sentinel in alone else ""
    n = common_prefix(tail, after)
    # A marker shared only in part ("<|end|><|" of "<|endoftext|>" and "<|user|>") belongs to the next turn: cut
    # back to the start of the markup it is part of, and to a token boundary (markers split into pieces or not).
    if n < len(tail):
        n = next((m.start() for m in _MARKUP.finditer(tail) if m.start() < n < m.end()), n)
    return _token_boundary(enc["offset_mapping"], reply_end, n)


def _token_boundary(offsets, at: int, n: int) -> int:
    """The largest ``k <= n`` such that no token straddles ``at + k`` (``n`` if none does)."""
    cut = at + n
    for start, end in offsets:
        if start < cut < end:
            return max(0, start - at)
    return n


def assistant_spans(tokenizer, messages: list[dict], template: str) -> tuple[str, list[tuple[int, int]]]:
    """The full rendering and the character spans ``[start, end)`` that carry loss, one per assistant turn."""
    full, spans, _enc = turn_spans(tokenizer, messages, template)
    return full, [(s.start, s.end) for s in spans]


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
    ``train_on_prompt`` (which wins). Raises :class:`MaskError` when the turns cannot be located.
    """
    _full, turns, enc = turn_spans(tokenizer, messages, template)
    spans = [(s.start, s.end) for s in (turns[-1:] if mask_history else turns)]
    ids = enc["input_ids"][:cutoff_len]
    if train_on_prompt:
        return {"input_ids": ids, "labels": list(ids)}
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
