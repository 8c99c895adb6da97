"""The records an evaluator reads, checked against what its task needs.

Every task takes a file or folder in any format the studio reads (see :mod:`backend.data.validate`):

- ``ppl``: text or chat records (``{"text"}`` or ``{"messages"}``);
- ``choice``: single-choice questions ``{"question", "choices", "answer"}`` (C-Eval/CMMLU columns too);
- ``generate``: prompts ``{"prompt", "reference"}``, or chat records (the last assistant turn is the
  reference, the turns before it the prompt);
- ``reward``: preference pairs ``{"prompt", "chosen", "rejected"}``.

The normaliser of ``choice`` keeps no subject, so :func:`read_records` reads it here: the record's
``subject`` (or ``category``) key, else the file's name without C-Eval's ``_val``/``_dev``/``_test``.
A record of the wrong kind is one :class:`DataError` saying what the task needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from backend.data.formats import CHAT_FORMATS, TEXT_FORMATS, DataError

TASKS = ("ppl", "choice", "generate", "reward")
TASK_FORMATS = {
    "ppl": TEXT_FORMATS + CHAT_FORMATS,
    "choice": ("choice",),
    "generate": ("generation", *CHAT_FORMATS),
    "reward": ("preference",),
}
NEEDS = {
    "ppl": "text or chat records (text, messages, sharegpt, alpaca, ...)",
    "choice": "single-choice records (question, options A/B/... or choices, answer)",
    "generate": "prompt records (prompt, optional reference) or chat records",
    "reward": "preference pairs (prompt, chosen, rejected)",
}
_SPLIT_SUFFIX = re.compile(r"[_-](val|dev|test|train)$", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


@dataclass
class EvalRecord:
    """One normalised record with where it came from (``file:line``) and, for choice, its subject."""

    value: dict
    file: str
    line: int
    subject: str = ""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def has_cjk(*texts: str) -> bool:
    """Whether any text holds Chinese/Japanese characters or full-width punctuation (picks zh wording)."""
    return any(_CJK.search(t) for t in texts if t)


def subject_of(raw, file: str) -> str:
    """A choice record's subject: its ``subject``/``category`` key, else the file name (C-Eval: one per file)."""
    if isinstance(raw, dict):
        for key in ("subject", "category"):
            if isinstance(raw.get(key), str) and raw[key].strip():
                return raw[key].strip()
    name = Path(file).name
    for suffix in (".zst", ".jsonl", ".json", ".csv", ".parquet", ".txt"):
        name = name.removesuffix(suffix)
    return _SPLIT_SUFFIX.sub("", name) or name


def _as_generation(record: dict) -> dict:
    """A chat record as a generation prompt: the turns before the last assistant reply, and that reply."""
    messages = record["messages"]
    last = max(i for i, m in enumerate(messages) if m["role"] == "assistant")
    prompt = [{"role": m["role"], "content": m["content"]} for m in messages[:last]]
    return {"prompt": prompt, "reference": messages[last]["content"]}


def read_records(path, task: str, limit: int | None = None) -> list[EvalRecord]:
    """The records of ``path`` for ``task`` (see the module docs); raises DataError at the first bad one."""
    from backend.data.validate import iter_checked

    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    out: list[EvalRecord] = []
    for fmt, record, item in iter_checked(path, "auto"):
        if limit is not None and len(out) >= limit:
            break
        if fmt is not None and fmt not in TASK_FORMATS[task]:
            raise DataError(f"{item.file}:{item.line}: this is {fmt!r} data; --task {task} needs {NEEDS[task]}")
        if record is None:
            raise DataError(item.message(), field=item.field, what=item.what)
        if task == "ppl" and "messages" in record:
            record = {"messages": [{"role": m["role"], "content": m["content"]} for m in record["messages"]]}
        elif task == "generate" and "messages" in record:
            record = _as_generation(record)
        subject = subject_of(item.value, item.file) if task == "choice" else ""
        out.append(EvalRecord(record, item.file, item.line, subject))
    if not out:
        raise DataError(f"{path}: no records to evaluate")
    return out
