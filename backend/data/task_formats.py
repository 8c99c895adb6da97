"""Normalising preference, KTO and evaluation records (detection is in :mod:`backend.data.formats`).

The shapes are TRL's conversational form, so the training stages pass them to TRL unchanged; every
message is ``{"role", "content"}`` (strings) and nothing else, so Arrow sees one schema:

- ``preference``: ``{"prompt": [...], "chosen": [assistant], "rejected": [assistant]}``. The prompt ends
  with a user turn (system first if given). Accepted: ``prompt``/``chosen``/``rejected`` (LLMsTrainer's
  ``selected`` for ``chosen``) as strings or message lists, optional ``system``, and TRL's implicit
  prompt: ``chosen`` and ``rejected`` as whole conversations whose shared prefix is the prompt.
- ``kto``: ``{"prompt": [...], "completion": [assistant], "label": bool}``.
- ``choice``: ``{"question": str, "choices": [str, ...], "answer": int}``, ``answer`` a 0-based index.
- ``generation``: ``{"prompt": [...], "reference": str | None}``.
"""

from __future__ import annotations

from backend.data.formats import (
    OPTION_KEYS,
    DataError,
    absent,
    bad,
    check_order,
    need_list,
    need_str,
    parse_messages,
)

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LABELS = {"true": True, "false": False, "1": True, "0": False}


def _kind(value) -> str:
    return f"is a {type(value).__name__}"


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _with_system(record: dict, prompt: list[dict], key: str) -> list[dict]:
    system = record.get("system")
    if system is None:
        return prompt
    if not isinstance(system, str):
        raise bad("system", f"{_kind(system)}, not a string")
    if not system.strip():
        return prompt
    if prompt[0]["role"] == "system":
        if prompt[0]["content"] == system:
            return prompt
        raise bad("system", f"is given twice: {key}[0] is a different system message")
    return [{"role": "system", "content": system}, *prompt]


def _check_prompt(messages: list[dict], key: str) -> list[dict]:
    if not messages:
        raise bad(key, "is empty: the prompt has no turns")
    check_order(messages, key)
    last = len(messages) - 1
    if messages[last]["role"] != "user":
        raise bad(f"{key}[{last}].role", f"is {messages[last]['role']}; a prompt must end with a user turn")
    return messages


def prompt_messages(record: dict, key: str = "prompt") -> list[dict]:
    """The prompt of a record as messages ending with a user turn, the record's ``system`` first."""
    value = record.get(key)
    if isinstance(value, str):
        if not value.strip():
            raise bad(key, "is empty")
        prompt = [{"role": "user", "content": value}]
    elif isinstance(value, list):
        prompt = _check_prompt(parse_messages(value, key, extras=False), key)
    else:
        raise bad(key, "is missing" if value is None else f"{_kind(value)}, not a string or a list of messages")
    return _with_system(record, prompt, key)


def _check_reply(messages: list[dict], key: str, start: int = 0) -> list[dict]:
    if not messages:
        raise bad(key, "has no assistant reply after the prompt")
    for i, m in enumerate(messages, start):
        if m["role"] != "assistant":
            raise bad(f"{key}[{i}].role", f"is {m['role']}; {key} must hold the assistant's reply only")
    check_order(messages, key, prev="user", start=start)
    return messages


def reply_messages(record: dict, key: str) -> list[dict]:
    """A reply (``chosen``, ``rejected``, ``completion``) as a list with one assistant message."""
    value = record.get(key)
    if isinstance(value, str):
        if not value.strip():
            raise bad(key, "is empty")
        return [{"role": "assistant", "content": value}]
    if not isinstance(value, list):
        raise bad(key, "is missing" if value is None else f"{_kind(value)}, not a string or a list of messages")
    return _check_reply(parse_messages(value, key, extras=False), key)


def _is_conversation(value) -> bool:
    """A message list that starts before the reply (TRL's implicit-prompt form)."""
    first = value[0] if isinstance(value, list) and value else None
    return isinstance(first, dict) and first.get("role") != "assistant"


def _split_shared(record: dict, ck: str) -> tuple[list[dict], list[dict], list[dict]]:
    chosen = parse_messages(need_list(record, ck), ck, extras=False)
    rejected = parse_messages(need_list(record, "rejected"), "rejected", extras=False)
    if chosen == rejected:
        raise bad("rejected", f"{ck} and rejected are identical")
    shared = 0
    while shared < min(len(chosen), len(rejected)) and chosen[shared] == rejected[shared]:
        shared += 1
    users = [i for i in range(shared) if chosen[i]["role"] == "user"]
    if not users:
        raise bad(ck, "and rejected share no user turn to use as the prompt; add a 'prompt' field")
    cut = users[-1] + 1  # the prompt ends with the last shared user turn; the replies follow it
    prompt = _check_prompt(chosen[:cut], ck)
    return prompt, _check_reply(chosen[cut:], ck, cut), _check_reply(rejected[cut:], "rejected", cut)


def to_preference(record: dict) -> dict:
    """A preference pair as ``{"prompt", "chosen", "rejected"}`` (see the module docs)."""
    if "chosen" in record and "selected" in record:
        raise bad("selected", "and chosen are both given; keep one")
    ck = "selected" if "selected" in record else "chosen"
    for key in (ck, "rejected"):
        if record.get(key) is None:
            raise bad(key, "is missing")
    if _is_conversation(record[ck]) or _is_conversation(record["rejected"]):
        prompt, chosen, rejected = _split_shared(record, ck)
        if record.get("prompt") is not None:
            given = [m for m in prompt_messages({"prompt": record["prompt"]}) if m["role"] != "system"]
            turns = [m for m in prompt if m["role"] != "system"]
            if turns[len(turns) - len(given) :] != given:
                raise bad("prompt", f"differs from the conversation that {ck} and rejected start with")
        return {"prompt": _with_system(record, prompt, ck), "chosen": chosen, "rejected": rejected}
    if record.get("prompt") is None:
        raise bad("prompt", f"is missing; without it {ck} and rejected must be whole conversations sharing the prompt")
    prompt = prompt_messages(record)
    chosen, rejected = reply_messages(record, ck), reply_messages(record, "rejected")
    if chosen == rejected:
        raise bad("rejected", f"{ck} and rejected are identical")
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected}


def _label(record: dict) -> bool:
    value = record.get("label")
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _LABELS:
        return _LABELS[value.strip().lower()]
    expected = "true or false (or 1 or 0)"
    raise bad(
        "label", absent(record, "label", expected) if value is None else f"is {_short(value)}; expected {expected}"
    )


def to_kto(record: dict) -> dict:
    """An unpaired KTO example as ``{"prompt", "completion", "label"}``."""
    prompt = prompt_messages(record)
    return {"prompt": prompt, "completion": reply_messages(record, "completion"), "label": _label(record)}


def _option(value, key: str) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # numeric options from Parquet or JSON ("4")
    if not isinstance(value, str):
        raise bad(key, "is missing" if value is None else f"{_kind(value)}, not a string")
    if not value.strip():
        raise bad(key, "is empty")
    return value


def _choices(record: dict) -> list[str]:
    if record.keys() & set(OPTION_KEYS):
        n = 0
        while n < len(OPTION_KEYS) and OPTION_KEYS[n] in record:
            n += 1
        later = [k for k in OPTION_KEYS[n + 1 :] if k in record]
        if later or n < 2:
            why = f"although option {later[0]} is given" if later else "(a question needs options A and B at least)"
            raise bad(OPTION_KEYS[n], f"is missing {why}")
        return [_option(record[k], k) for k in OPTION_KEYS[:n]]
    if "options" not in record and "choices" not in record:
        raise bad("options", "is missing: give the options as keys A, B, C, ... or as an 'options' list")
    key = "options" if "options" in record else "choices"
    items = need_list(record, key)
    if not 2 <= len(items) <= len(_LETTERS):
        raise bad(key, f"has {len(items)} options; expected 2 to {len(_LETTERS)}")
    return [_option(items[i], f"{key}[{i}]") for i in range(len(items))]


def _answer(value, n: int) -> int:
    index = None
    if isinstance(value, int) and not isinstance(value, bool):
        index = value
    elif isinstance(value, str):
        text = value.strip().upper()
        if len(text) == 1 and text in _LETTERS:
            index = _LETTERS.index(text)
        elif text.isdigit():
            index = int(text)  # an index written as text, e.g. by a CSV file
    if index is None:
        what = (
            "is missing" if value is None else f"is {_short(value)}; expected a letter (A, B, ...) or a 0-based index"
        )
        raise bad("answer", what)
    if not 0 <= index < n:
        raise bad("answer", f"is {_short(value)}, out of range: there are {n} options (A to {_LETTERS[n - 1]})")
    return index


def to_choice(record: dict) -> dict:
    """A single-choice question as ``{"question", "choices", "answer"}``."""
    question = need_str(record, "question")
    choices = _choices(record)
    return {"question": question, "choices": choices, "answer": _answer(record.get("answer"), len(choices))}


def to_generation(record: dict) -> dict:
    """A generation-evaluation prompt as ``{"prompt", "reference"}`` (reference, response or output)."""
    prompt = prompt_messages(record)
    for key in ("reference", "response", "output"):
        value = record.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise bad(key, f"{_kind(value)}, not a string")
        return {"prompt": prompt, "reference": value if value.strip() else None}
    return {"prompt": prompt, "reference": None}


_NORMALISERS = {"preference": to_preference, "kto": to_kto, "choice": to_choice, "generation": to_generation}


def task_features(fmt: str):
    """The ``datasets.Features`` of a normalised record of ``fmt``: pass them to ``Dataset.from_generator``,
    which cannot infer ``reference``'s type when its first batch of values is all None."""
    import datasets  # lazily: this module is imported by the UI process

    text = datasets.Value("string")
    messages = datasets.List({"role": text, "content": text})
    return datasets.Features(
        {
            "preference": {"prompt": messages, "chosen": messages, "rejected": messages},
            "kto": {"prompt": messages, "completion": messages, "label": datasets.Value("bool")},
            "choice": {"question": text, "choices": datasets.List(text), "answer": datasets.Value("int64")},
            "generation": {"prompt": messages, "reference": text},
        }[fmt]
    )


def to_task_record(record, fmt: str) -> dict:
    """A record of a preference or evaluation format in its normalised shape; raises DataError."""
    if fmt not in _NORMALISERS:
        raise DataError(f"format {fmt!r} is not one of {', '.join(_NORMALISERS)}")
    if not isinstance(record, dict):
        raise DataError(f"expected a JSON object per record, got {type(record).__name__}", field="record")
    return _NORMALISERS[fmt](record)
