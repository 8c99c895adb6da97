"""The template check: does a chat template train a model the way it will be prompted?

:func:`check_template` renders sample conversations of the data through the template and reports
findings, each ``(level, message)`` with level ``ok``, ``warn`` or ``fail``:

* **fail**: the template cannot render a record (an unsupported role, bad Jinja); an assistant turn
  cannot be located (see :mod:`backend.data.templates`); the template writes nothing after the last
  reply, so nothing teaches the model to stop.
* **warn**: a role present in the data is left out of the rendering; the end-of-turn text is not among
  the model's stop tokens (``generation_config.eos_token_id``), so generation would run past it; the
  generation prompt is not how training renders the text before a reply (the model is prompted with
  something it was not trained on).
* **ok**: one line saying what was checked and what ends a reply.

Failures name the template, the record (file:line) and a named template that fits. Pre-flight
(``sft`` runs), ``studio data preview`` and the Data tab call it; it needs only a tokenizer-like object
(a transformers tokenizer or :class:`backend.data.light_tokenizer.LightTokenizer`).
"""

from __future__ import annotations

import json
from pathlib import Path

from backend.data.templates import (
    MaskError,
    changed_region,
    common_prefix,
    suggest_template,
    template_label,
    turn_spans,
)

Finding = tuple[str, str]


def _short(text: str, limit: int = 40) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(text)


def _advice(jinja: str) -> str:
    return f"try data.template: {suggest_template(jinja)} (or a fixed .jinja file)"


def check_template(tokenizer, jinja: str, name: str, samples, stop_ids=None) -> list[Finding]:
    """Findings for ``samples`` (``(origin, messages)`` pairs, origin = ``file:line``) rendered by ``jinja``
    (``name`` is ``data.template`` as the user wrote it); ``stop_ids`` are the model's stop token ids."""
    label = template_label(name)
    findings: list[Finding] = []
    checked, roles, ends, stops_seen = 0, set(), set(), set()
    missing_roles: dict[str, str] = {}
    prompt_mismatch = None
    for origin, messages in samples:
        if not any(m.get("role") == "assistant" for m in messages):
            continue
        try:
            full, spans, enc = turn_spans(tokenizer, messages, jinja)
        except MaskError as exc:
            return [("fail", f"{label}: {origin}: {exc}; {_advice(jinja)}")]
        checked += 1
        for i, message in enumerate(messages):
            role = message.get("role")
            roles.add(role)
            unseen = role != "assistant" and role not in missing_roles and message.get("content")
            if unseen and changed_region(tokenizer, messages, jinja, full, i, required=False) is None:
                missing_roles[role] = origin
        last = spans[-1]
        if messages[-1].get("role") == "assistant":
            end_text = full[last.reply_end : last.end]
            if not end_text:
                return [
                    (
                        "fail",
                        f"{label}: {origin}: the template writes nothing after a reply, so no end-of-turn token is "
                        f"learned and the model will not stop; {_advice(jinja)}",
                    )
                ]
            ends.add(end_text)
            ids = [t for t, (s, _e) in zip(enc["input_ids"], enc["offset_mapping"], strict=True)
                   if last.reply_end <= s < last.end]  # fmt: skip
            stops_seen.add(bool(stop_ids) and any(t in stop_ids for t in ids))
        if not last.prompt_agrees and prompt_mismatch is None:
            prompt_mismatch = (origin, messages, last, full)
    if not checked:
        return [("warn", f"{label}: no sample conversation with an assistant reply to check")]
    for role, origin in missing_roles.items():
        findings.append(("warn", f"{label}: {origin}: the template leaves out {role!r} messages; their text is unseen"))
    end_list = ", ".join(_short(e) for e in sorted(ends)) or "none"
    if stop_ids and False in stops_seen:
        findings.append(
            (
                "warn",
                f"{label}: the end-of-turn {end_list} is not among the model's stop tokens "
                f"(generation_config.eos_token_id {list(stop_ids)}): generation will run past it; add its id there",
            )
        )
    if prompt_mismatch:
        origin, messages, span, full = prompt_mismatch
        i = max(i for i, m in enumerate(messages) if m.get("role") == "assistant")
        prompt = tokenizer.apply_chat_template(messages[:i], chat_template=jinja, tokenize=False,
                                               add_generation_prompt=True)  # fmt: skip
        agreed = common_prefix(prompt, full)
        findings.append(
            (
                "warn",
                f"{label}: {origin}: the generation prompt ends {_short(prompt[agreed:])} where training renders "
                f"{_short(full[agreed : span.end])}: the model is prompted with text it was not trained on; "
                f"{_advice(jinja)}",
            )
        )
    findings.insert(
        0,
        (
            "ok",
            f"{label}: {checked} conversation(s), roles {', '.join(sorted(r for r in roles if r))}; "
            f"each reply is learned with its end-of-turn {end_list}"
            + (", a stop token" if stop_ids and all(stops_seen) else ""),
        ),
    )
    return findings


def stop_token_ids(folder, tokenizer) -> list[int]:
    """The ids generation stops at: ``generation_config.json``'s ``eos_token_id`` (an id or a list) in the model
    folder, and the tokenizer's EOS; empty (unknown: not checked) for a folder with no generation config, such
    as a bare tokenizer's."""
    config = Path(folder) / "generation_config.json" if folder else None
    if config is None or not config.is_file():
        return []
    try:
        eos = json.loads(config.read_text(encoding="utf-8")).get("eos_token_id")
    except (ValueError, OSError):
        eos = None
    ids = [x for x in (eos if isinstance(eos, list) else [eos]) if isinstance(x, int)]
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in ids:
        ids.append(tokenizer.eos_token_id)
    return ids
