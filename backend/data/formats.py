"""Record formats, detected from a record's keys and normalised into one internal form.

Chat formats become a list of ``{"role", "content"}`` messages (tool fields of OpenAI messages are
kept): alpaca, sharegpt, OpenAI ``messages``, XTuner ``conversation`` (``system``/``input``/``output``
per turn) and Firefly ``conversation`` (``human``/``assistant`` per turn, optional top-level
``system``). Pretraining formats become one string: ``text``, LLMsTrainer's ``title``+``content`` and
``question``+``answer``, or a bare ``content``. Preference, KTO and evaluation formats (``preference``,
``kto``, ``choice``, ``generation``) are detected here and normalised in :mod:`backend.data.task_formats`.
A column mapping (:func:`apply_columns`) renames a file's keys to these canonical ones first.

Every error is a :class:`DataError` that names the field (``messages[2].role``) and says what is wrong,
so validators can print ``file:line: field: what``.
"""

from __future__ import annotations

from typing import Any

CHAT_FORMATS = ("alpaca", "sharegpt", "messages", "xtuner", "firefly")
TEXT_FORMATS = ("text",)
PREFERENCE_FORMATS = ("preference", "kto")  # DPO/ORPO/reward-model pairs and KTO's unpaired labels
EVAL_FORMATS = ("choice", "generation")  # single-choice questions and generation prompts
ALL_FORMATS = TEXT_FORMATS + CHAT_FORMATS + PREFERENCE_FORMATS + EVAL_FORMATS
OPTION_KEYS = "ABCDEFGHIJ"  # C-Eval/CMMLU-style option columns

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
    """A record or file is not usable; the message names the file, line and field when known.

    ``field`` (e.g. ``messages[0].content``) and ``what`` (e.g. ``is missing``) are set when the error
    is about one field, so reports can be laid out as ``file:line: field: what``. ``advice`` is what to
    do about it when the generic data advice (fix the record or skip bad records) does not fit, e.g. a
    damaged file, a source with no usable records, a ``val_size`` too large or a format the stage cannot use.
    """

    def __init__(self, message: str, field: str | None = None, what: str | None = None, advice: str | None = None):
        super().__init__(message)
        self.field = field
        self.what = what or message
        self.advice = advice


# Where data of each format is used, for advice when a stage is given a format it cannot train on.
USED_BY = {
    **dict.fromkeys(CHAT_FORMATS, "the sft stage (or pt, ppo, grpo)"),
    "text": "the pt stage",
    "preference": "the rm, dpo, orpo or kto stage",
    "kto": "the kto stage",
    "choice": "eval.choice_data (scored while training) or `studio eval --task choice`",
    "generation": "the ppo or grpo stage, or eval.prompts_data",
}


def format_mismatch(where: str, path, fmt: str | None, stage: str, needs: str) -> DataError:
    """The error for a source whose format ``stage`` cannot train on, advising where that data fits.

    Skipping bad records cannot help here (every record is of that format), so the advice never says so.
    """
    if fmt is None:
        message = f"{where}.format: {path} has no record whose format can be told; the {stage} stage needs {needs}"
        return DataError(message, advice=f"check the file with `studio data inspect {path}`")
    message = f"{where}.format: {path} is {fmt!r} data; the {stage} stage needs {needs}"
    used = USED_BY.get(fmt, "another stage")
    return DataError(message, advice=f"point {where}.path at such data, or use this {fmt} data with {used}")


def bad(field: str, what: str) -> DataError:
    """A DataError about one field, worded ``field 'x' what``."""
    return DataError(f"field '{field}' {what}", field=field, what=what)


def _turn_keys(record: dict) -> set[str]:
    turns = record.get("conversation")
    first = turns[0] if isinstance(turns, list) and turns and isinstance(turns[0], dict) else {}
    return set(first)


def detect_format(record: Any) -> str:
    """The format of one record, from its keys: one of :data:`ALL_FORMATS`."""
    if not isinstance(record, dict):
        raise DataError(f"expected a JSON object per record, got {type(record).__name__}", field="record")
    if record.keys() & {"chosen", "selected", "rejected"}:
        return "preference"  # a half pair is still a pair: the normaliser names the missing side
    if "label" in record and record.keys() & {"prompt", "completion"}:
        return "kto"
    if "messages" in record:
        return "messages"
    if "conversations" in record:
        return "sharegpt"
    if "conversation" in record:
        keys = _turn_keys(record)
        if keys & {"input", "output"}:
            return "xtuner"
        if keys & {"human", "assistant"}:
            return "firefly"
        return "sharegpt"
    if "instruction" in record and "output" in record:
        return "alpaca"
    # question+answer alone is LLMsTrainer's pretraining layout; with options it is a single-choice item.
    if "question" in record and ({"A", "B"} <= record.keys() or record.keys() & {"options", "choices"}):
        return "choice"
    if "prompt" in record and "completion" not in record:
        return "generation"
    if "text" in record or "content" in record or ("question" in record and "answer" in record):
        return "text"
    keys = ", ".join(sorted(map(str, record))) or "none"
    raise DataError(
        f"cannot tell the format from the keys ({keys}); expected messages, conversations, conversation, "
        "instruction+output, question+answer, text, prompt+chosen+rejected, prompt+completion+label, "
        "question+A+B+answer or prompt",
        field="record",
    )


def check_columns(columns: Any) -> dict[str, str]:
    """``columns`` as a ``{canonical key: key in the file}`` dict of strings; raises DataError otherwise."""
    if columns is None:
        return {}
    if not isinstance(columns, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in columns.items()):
        raise DataError("columns must map canonical keys to the file's keys, both strings", field="columns")
    sources = list(columns.values())
    if len(set(sources)) != len(sources):
        raise DataError("columns maps two canonical keys to the same key of the file", field="columns")
    return columns


def apply_columns(record: Any, columns: dict[str, str] | None) -> Any:
    """``record`` with the file's keys renamed to canonical ones by ``columns`` ({canonical: file key}),
    like LLaMA-Factory's ``dataset_info.json`` "columns"; other keys are kept. Pure: returns a new dict.

    A mapped key the record lacks is a DataError naming the file's key. Non-objects pass through
    unchanged (format detection reports them).
    """
    if not columns or not isinstance(record, dict):
        return record
    for canonical, source in columns.items():
        if source not in record:
            raise bad(source, f"is missing (the column mapping reads {canonical!r} from it)")
    out = {k: v for k, v in record.items() if k not in columns.values()}
    for canonical, source in columns.items():
        out[canonical] = record[source]
    return out


def absent(record: dict, key: str, expected: str) -> str:
    """What is wrong with ``record[key]`` being None: the key is missing, or it is JSON null."""
    return f"is null; expected {expected}" if key in record else "is missing"


def need_str(record: dict, key: str, where: str = "", allow_empty: bool = False) -> str:
    value = record.get(key)
    if not isinstance(value, str):
        what = absent(record, key, "a string") if value is None else f"is a {type(value).__name__}, not a string"
        raise bad(where + key, what)
    if not allow_empty and not value.strip():
        raise bad(where + key, "is empty")
    return value


def to_text(record: dict, fmt: str = "text") -> str:
    """The pretraining text of a record in a text format (text, title+content, question+answer, content)."""
    if not isinstance(record, dict):
        raise DataError(f"expected a JSON object per record, got {type(record).__name__}", field="record")
    if "text" in record:
        return need_str(record, "text")
    if "question" in record and "answer" in record:
        return need_str(record, "question") + "\n" + need_str(record, "answer")
    if "title" in record:
        return need_str(record, "title") + "\n" + need_str(record, "content")
    return need_str(record, "content")


def need_list(record: dict, key: str) -> list:
    value = record.get(key)
    if not isinstance(value, list):
        raise bad(key, "is missing" if value is None else f"must be a list, not a {type(value).__name__}")
    return value


def _item(items: list, i: int, key: str) -> dict:
    if not isinstance(items[i], dict):
        raise bad(f"{key}[{i}]", f"must be an object, not a {type(items[i]).__name__}")
    return items[i]


def parse_messages(items: list, key: str, extras: bool = True) -> list[dict]:
    """``items`` (the list at field ``key``) as ``{"role", "content"}`` messages; the OpenAI tool fields
    (``tool_calls``, ``name``, ``tool_call_id``) are kept when ``extras``. Roles are not ordered here."""
    out = []
    for i in range(len(items)):
        m = _item(items, i, key)
        role = need_str(m, "role", f"{key}[{i}].")
        calls = extras and bool(m.get("tool_calls"))
        content = m.get("content")
        if content is None and calls:
            content = ""  # an assistant turn that only calls tools
        if not isinstance(content, str):
            raise bad(f"{key}[{i}].content", "is missing" if content is None else "must be a string")
        if not content.strip() and role not in ("system", "tool") and not calls:
            raise bad(f"{key}[{i}].content", "is empty")
        msg = {"role": role, "content": content}
        for extra in ("tool_calls", "name", "tool_call_id") if extras else ():
            if extra in m:
                msg[extra] = m[extra]
        out.append(msg)
    return out


def _messages(record: dict) -> list[dict]:
    return parse_messages(need_list(record, "messages"), "messages")


def _sharegpt(record: dict) -> list[dict]:
    key = "conversations" if "conversations" in record else "conversation"
    turns, out = need_list(record, key), []
    for i in range(len(turns)):
        t = _item(turns, i, key)
        speaker = t.get("from", t.get("role"))
        role = SHAREGPT_ROLES.get(str(speaker).lower()) if speaker is not None else None
        if role is None:
            raise bad(f"{key}[{i}].from", f"is {speaker!r}; expected human, gpt or system")
        text_key = "value" if "value" in t else "content"
        out.append({"role": role, "content": need_str(t, text_key, f"{key}[{i}].", allow_empty=role == "system")})
    _prepend_system(record, out)
    return out


def _xtuner(record: dict) -> list[dict]:
    turns, out = need_list(record, "conversation"), []
    for i in range(len(turns)):
        t = _item(turns, i, "conversation")
        if isinstance(t.get("system"), str) and t["system"].strip():
            out.append({"role": "system", "content": t["system"]})
        # XTuner's incremental-pretraining records have an empty input (rendered by the 'empty' template).
        out.append({"role": "user", "content": need_str(t, "input", f"conversation[{i}].", allow_empty=True)})
        out.append({"role": "assistant", "content": need_str(t, "output", f"conversation[{i}].")})
    return out


def _firefly(record: dict) -> list[dict]:
    turns, out = need_list(record, "conversation"), []
    for i in range(len(turns)):
        t = _item(turns, i, "conversation")
        out.append({"role": "user", "content": need_str(t, "human", f"conversation[{i}].")})
        out.append({"role": "assistant", "content": need_str(t, "assistant", f"conversation[{i}].")})
    _prepend_system(record, out)
    return out


def _alpaca(record: dict) -> list[dict]:
    out: list[dict] = []
    history = record.get("history") or []
    if not isinstance(history, list):
        raise bad("history", "must be a list of [question, answer] pairs")
    for i, pair in enumerate(history):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise bad(f"history[{i}]", "must be a [question, answer] pair of strings")
        out += [{"role": "user", "content": pair[0]}, {"role": "assistant", "content": pair[1]}]
    prompt = need_str(record, "instruction")
    extra = record.get("input")
    if extra is not None and not isinstance(extra, str):  # a number or list here is a broken record, not "no input"
        raise bad("input", f"is a {type(extra).__name__}, not a string")
    if extra:
        prompt = f"{prompt}\n{extra}"
    out += [{"role": "user", "content": prompt}, {"role": "assistant", "content": need_str(record, "output")}]
    _prepend_system(record, out)
    return out


def _prepend_system(record: dict, out: list[dict]) -> None:
    system = record.get("system")
    if system is not None and not isinstance(system, str):  # never drop a system prompt silently
        raise bad("system", f"is a {type(system).__name__}, not a string")
    if system and system.strip():
        out.insert(0, {"role": "system", "content": system})


_NORMALISERS = {
    "messages": _messages,
    "sharegpt": _sharegpt,
    "alpaca": _alpaca,
    "xtuner": _xtuner,
    "firefly": _firefly,
}


def to_messages(record: dict, fmt: str) -> list[dict[str, str]]:
    """A chat record as ``[{"role", "content"}, ...]``: optional system first, roles in a valid order."""
    if fmt not in _NORMALISERS:
        raise DataError(f"format {fmt!r} is not a chat format; expected one of {', '.join(CHAT_FORMATS)}")
    if not isinstance(record, dict):
        raise DataError(f"expected a JSON object per record, got {type(record).__name__}", field="record")
    out = _NORMALISERS[fmt](record)
    check_roles(out, {"messages": "messages", "sharegpt": "conversations"}.get(fmt, "conversation"))
    return out


# Which roles may follow which: a turn after the system prompt (or at the start) is the user's; the
# assistant answers a user or a tool result; tools answer an assistant's tool call.
_MAY_FOLLOW = {
    "user": {None, "system", "assistant", "tool"},
    "assistant": {"user", "tool"},
    "tool": {"assistant", "tool"},
}


def check_order(messages: list[dict], field: str = "messages", prev: str | None = None, start: int = 0) -> None:
    """Raise a DataError naming the first message out of order; ``messages`` are ``field[start:]`` of a
    conversation whose turn before them had role ``prev``."""
    for i, m in enumerate(messages, start):
        role = m["role"]
        if role == "system":
            if i != 0:
                raise bad(f"{field}[{i}].role", "is a system message; only the first message may be one")
        elif role not in _MAY_FOLLOW:
            raise bad(f"{field}[{i}].role", f"is {role!r}; expected system, user, assistant or tool")
        elif prev not in _MAY_FOLLOW[role]:
            if prev == role:
                raise bad(f"{field}[{i}].role", f"two {role} turns in a row")
            after = f"after a {prev} turn" if prev else "as the first turn"
            raise bad(f"{field}[{i}].role", f"is {role} {after}")
        prev = role


def check_roles(messages: list[dict], field: str = "messages") -> None:
    """Raise a DataError naming the first message whose role is out of order."""
    if not messages:
        raise bad(field, "is empty: the conversation has no turns")
    check_order(messages, field)
    if not any(m["role"] == "assistant" for m in messages):
        raise bad(field, "has no assistant turn to learn from")
