"""The report of :func:`backend.data.validate.inspect_source`: counts, length statistics, problems.

:func:`measure` adds one normalised record: characters per role for chat records, of ``text`` for
text, of ``prompt``/``chosen``/``rejected``/``completion``/``reference`` for the preference, KTO and
generation formats, of ``question``/``choices`` (and the number of options) for single-choice items;
tokens (of the longest rendered sequence a trainer sees) when a tokenizer is given.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


class Summary:
    """min/mean/p50/p95/max of a stream of numbers; percentiles from a 100k-value reservoir."""

    def __init__(self, reservoir: int = 100_000, seed: int = 0):
        self.n, self.total, self.lo, self.hi = 0, 0, None, None
        self.sample: list[int] = []
        self.cap, self.rng = reservoir, random.Random(seed)

    def add(self, x: int) -> None:
        self.n += 1
        self.total += x
        self.lo = x if self.lo is None else min(self.lo, x)
        self.hi = x if self.hi is None else max(self.hi, x)
        if len(self.sample) < self.cap:
            self.sample.append(x)
        else:
            j = self.rng.randrange(self.n)
            if j < self.cap:
                self.sample[j] = x

    def to_dict(self) -> dict:
        if not self.n:
            return {"count": 0}
        s = sorted(self.sample)
        pct = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
        return {"count": self.n, "min": self.lo, "mean": round(self.total / self.n, 1), "p50": pct(0.5),
                "p95": pct(0.95), "max": self.hi}  # fmt: skip


COUNT_FIELDS = ("turns", "options")  # statistics that count items, not characters


@dataclass
class Report:
    """What :func:`inspect_source` found."""

    path: str
    format: str | None = None
    records: int = 0
    bad: int = 0
    files: dict[str, int] = field(default_factory=dict)  # file -> good records
    formats: dict[str, str] = field(default_factory=dict)  # file -> detected format
    errors: list[str] = field(default_factory=list)  # the first ``max_errors`` problems
    fields: dict[str, Summary] = field(default_factory=dict)  # lengths in characters
    tokens: Summary | None = None

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "format": self.format,
            "records": self.records,
            "bad_records": self.bad,
            "files": {f: {"records": n, "format": self.formats.get(f)} for f, n in self.files.items()},
            "errors": self.errors,
            "chars": {k: v.to_dict() for k, v in self.fields.items()},
            "tokens": self.tokens.to_dict() if self.tokens else None,
            "usable": self.records > 0,  # false: a trainer would stop with "holds no usable records"
        }

    def render(self) -> str:
        """The report as terminal text."""
        lines = [f"{self.path}: format {self.format or 'unknown'}, {self.records} records, {self.bad} bad"]
        if len(self.files) > 1:
            lines += [f"  {f}: {self.formats.get(f)}, {n} records" for f, n in self.files.items()]
        stats = [(k if k in COUNT_FIELDS else f"{k} chars", v) for k, v in self.fields.items()]
        stats += [("tokens", self.tokens)] if self.tokens else []
        if stats:
            lines.append(f"  {'field':<22}{'count':>9}{'min':>9}{'mean':>11}{'p50':>9}{'p95':>9}{'max':>10}")
        for name, summary in stats:
            d = summary.to_dict()
            if d["count"]:
                lines.append(
                    f"  {name:<22}{d['count']:>9}{d['min']:>9}{d['mean']:>11}{d['p50']:>9}{d['p95']:>9}{d['max']:>10}"
                )
        lines += self.errors
        if self.bad > len(self.errors):
            lines.append(f"... and {self.bad - len(self.errors)} more bad records")
        if not self.records:
            lines.append(f"{self.path} holds no usable records")
        return "\n".join(lines)


def _chars(messages: list[dict]) -> int:
    return sum(len(m["content"]) for m in messages)


def measure(report: Report, record: dict, tokenizer, template) -> None:
    """Add one normalised record's lengths (characters per field, tokens with a tokenizer) to ``report``."""

    def add(name: str, n: int) -> None:
        report.fields.setdefault(name, Summary()).add(n)

    def tokens(text: str) -> None:
        report.tokens.add(len(tokenizer(text, add_special_tokens=False)["input_ids"]))

    def rendered(messages: list[dict], generation_prompt: bool = False) -> str:
        from backend.data.templates import render

        return render(tokenizer, messages, template, add_generation_prompt=generation_prompt)

    if "text" in record:
        add("text", len(record["text"]))
        if tokenizer is not None:
            tokens(record["text"])
    elif "messages" in record:
        _measure_chat(add, record["messages"])
        if tokenizer is not None:
            tokens(rendered(record["messages"]))
    elif "question" in record:  # choice
        add("question", len(record["question"]))
        add("choices", sum(map(len, record["choices"])))
        add("options", len(record["choices"]))
        if tokenizer is not None:
            tokens("\n".join([record["question"], *record["choices"]]))
    else:  # preference, kto, generation: a prompt and its replies
        replies = [k for k in ("chosen", "rejected", "completion") if k in record]
        add("prompt", _chars(record["prompt"]))
        for key in replies:
            add(key, _chars(record[key]))
        if record.get("reference") is not None:
            add("reference", len(record["reference"]))
        if tokenizer is not None:  # the longest sequence a trainer has to fit
            texts = [rendered(record["prompt"] + record[k]) for k in replies] or [rendered(record["prompt"], True)]
            report.tokens.add(max(len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts))


def _measure_chat(add, messages: list[dict]) -> None:
    per_role: dict[str, int] = {}
    for m in messages:
        per_role[m["role"]] = per_role.get(m["role"], 0) + len(m["content"])
    for role in ("system", "user", "assistant", "tool"):
        if role in per_role:
            add(role, per_role[role])
    add("turns", len(messages))
