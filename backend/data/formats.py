"""Record formats, detected from a record's keys and normalised into one internal form.

Chat formats (alpaca, sharegpt, OpenAI messages) become a list of ``{"role", "content"}`` messages;
pretraining formats (``text``, LLMsTrainer's ``title``+``content``) become one string.
"""

from __future__ import annotations

from typing import Any

CHAT_FORMATS = ("alpaca", "sharegpt", "messages")
TEXT_FORMATS = ("text",)

# ShareGPT speaker names as they appear in the wild, mapped to chat roles.
SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bing": "assistant",
    "bard": "assistant",
    "model": "assistant",
    "system": "system",
    "tool": "tool",
    "function": "tool",
    "observation": "tool",
    "function_call": "assistant",
}


class DataError(ValueError):
    """A record or file is not usable; the message names the file, line and field when known."""


def detect_format(record: Any) -> str:
    """The format of one record: text, alpaca, sharegpt or messages."""
    if not isinstance(record, dict):
        raise DataError(f"expected a JSON object per record, got {type(record).__name__}")
    if "messages" in record:
        return "messages"
    if "conversations" in record or "conversation" in record:
        return "sharegpt"
    if "instruction" in record and "output" in record:
        return "alpaca"
    if "text" in record or ("title" in record and "content" in record) or "content" in record:
        return "text"
    keys = ", ".join(sorted(record)) or "none"
    raise DataError(
        f"cannot tell the format from the keys ({keys}); expected messages, conversations, instruction+output, or text"
    )


def _need_str(record: dict, key: str, where: str = "") -> str:
    value = record.get(key)
    if not isinstance(value, str):
        kind = "missing" if value is None else f"a {type(value).__name__}, not a string"
        raise DataError(f"field '{where}{key}' is {kind}")
    return value


def to_text(record: dict, fmt: str) -> str:
    """The pretraining text of a record in a text format."""
    if "text" in record:
        return _need_str(record, "text")
    if "title" in record:
        return _need_str(record, "title") + "\n" + _need_str(record, "content")
    return _need_str(record, "content")


def to_messages(record: dict, fmt: str) -> list[dict[str, str]]:
    """A chat record as ``[{"role", "content"}, ...]`` (optional system first, ends with assistant)."""
    if fmt == "messages":
        messages = record["messages"]
        if not isinstance(messages, list):
            raise DataError("field 'messages' must be a list")
        out = []
        for i, m in enumerate(messages):
            if not isinstance(m, dict):
                raise DataError(f"field 'messages[{i}]' must be an object")
            role = _need_str(m, "role", f"messages[{i}].")
            content = m.get("content")
            if content is None and m.get("tool_calls"):
                content = ""
            if not isinstance(content, str):
                raise DataError(f"field 'messages[{i}].content' must be a string")
            msg = {"role": role, "content": content}
            for extra in ("tool_calls", "name", "tool_call_id"):
                if extra in m:
                    msg[extra] = m[extra]
            out.append(msg)
    elif fmt == "sharegpt":
        turns = record.get("conversations", record.get("conversation"))
        if not isinstance(turns, list):
            raise DataError("field 'conversations' must be a list")
        out = []
        for i, t in enumerate(turns):
            if not isinstance(t, dict):
                raise DataError(f"field 'conversations[{i}]' must be an object")
            speaker = t.get("from", t.get("role"))
            role = SHAREGPT_ROLES.get(str(speaker).lower()) if speaker is not None else None
            if role is None:
                raise DataError(f"field 'conversations[{i}].from' is {speaker!r}; expected human, gpt or system")
            out.append(
                {"role": role, "content": _need_str(t, "value" if "value" in t else "content", f"conversations[{i}].")}
            )
        if "system" in record and isinstance(record["system"], str) and record["system"]:
            out.insert(0, {"role": "system", "content": record["system"]})
    elif fmt == "alpaca":
        out = []
        if isinstance(record.get("system"), str) and record["system"]:
            out.append({"role": "system", "content": record["system"]})
        history = record.get("history") or []
        if not isinstance(history, list):
            raise DataError("field 'history' must be a list of [question, answer] pairs")
        for i, pair in enumerate(history):
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
                raise DataError(f"field 'history[{i}]' must be a [question, answer] pair of strings")
            out += [{"role": "user", "content": pair[0]}, {"role": "assistant", "content": pair[1]}]
        prompt = _need_str(record, "instruction")
        extra = record.get("input")
        if isinstance(extra, str) and extra:
            prompt = f"{prompt}\n{extra}"
        out += [{"role": "user", "content": prompt}, {"role": "assistant", "content": _need_str(record, "output")}]
    else:
        raise DataError(f"format {fmt!r} is not a chat format; expected one of {', '.join(CHAT_FORMATS)}")
    _check_roles(out)
    return out


def _check_roles(messages: list[dict]) -> None:
    if not messages:
        raise DataError("the conversation is empty")
    if not any(m["role"] == "assistant" for m in messages):
        raise DataError("the conversation has no assistant turn to learn from")
    for i, m in enumerate(messages):
        if m["role"] == "system" and i != 0:
            raise DataError(f"message {i} is a system message; only the first message may be one")
