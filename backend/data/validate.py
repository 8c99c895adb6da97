"""Validation and inspection of dataset files: what format, how many records, how long, what is broken.

:func:`inspect_source` streams a file or folder (see :mod:`backend.data.stream`) and returns a
:class:`Report`: the detected format, record counts per file, length statistics per field (characters,
and tokens when a tokenizer is given) and every bad record as ``file:line: field: what is wrong``.
:func:`iter_valid_records` is the same walk for training: normalised records, bad ones either raised
(the first, as a :class:`DataError`) or skipped and counted.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from backend.data.formats import ALL_FORMATS, CHAT_FORMATS, DataError, detect_format, to_messages, to_text
from backend.data.stream import DEFAULT_MAX_LINE_BYTES, Item, iter_items


def normalise(value, fmt: str) -> dict:
    """``{"messages": [...]}`` for a chat format, ``{"text": ...}`` for a text one; raises DataError."""
    if fmt in CHAT_FORMATS:
        return {"messages": to_messages(value, fmt)}
    return {"text": to_text(value, fmt)}


def check_item(item: Item, fmt: str) -> tuple[dict | None, Item]:
    """(normalised record, item) or (None, the item turned into a problem naming the field)."""
    if not item.ok:
        return None, item
    try:
        return normalise(item.value, fmt), item
    except DataError as exc:
        bad = Item(item.file, item.line, field=exc.field or "record", what=exc.what, index=item.index)
        return None, bad


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
        }

    def render(self) -> str:
        """The report as terminal text."""
        lines = [f"{self.path}: format {self.format or 'unknown'}, {self.records} records, {self.bad} bad"]
        if len(self.files) > 1:
            lines += [f"  {f}: {self.formats.get(f)}, {n} records" for f, n in self.files.items()]
        stats = [(k if k == "turns" else f"{k} chars", v) for k, v in self.fields.items()]
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
        return "\n".join(lines)


def _resolve_format(fmt: str, item: Item) -> str | None:
    if fmt != "auto":
        if fmt not in ALL_FORMATS:
            raise DataError(f"unknown format {fmt!r}; expected auto or one of {', '.join(ALL_FORMATS)}")
        return fmt
    try:
        return detect_format(item.value)
    except DataError:
        return None


def iter_checked(path, fmt: str = "auto", max_line_bytes: int = DEFAULT_MAX_LINE_BYTES):
    """(format, record or None, item) for every item of a source; the format is detected from the first
    record whose format can be told, and every record is then checked against it."""
    resolved = None if fmt == "auto" else _resolve_format(fmt, Item("", 0))
    current = None
    for item in iter_items(path, max_line_bytes):
        if item.file != current and fmt == "auto":
            current, resolved = item.file, None  # each file of a folder may have its own format
        if item.ok and resolved is None:
            resolved = _resolve_format(fmt, item)
        if item.ok and resolved is None:
            try:
                detect_format(item.value)
            except DataError as exc:
                yield None, None, Item(item.file, item.line, field=exc.field or "record", what=str(exc))
            continue
        record, item = check_item(item, resolved) if item.ok else (None, item)
        yield resolved, record, item


MAX_LISTED_ERRORS = 1000


@dataclass
class BadRecords:
    """Records that could not be used: how many, and the first ``MAX_LISTED_ERRORS`` as file:line messages."""

    count: int = 0
    listed: list[str] = field(default_factory=list)

    def add(self, item: Item) -> None:
        self.count += 1
        if len(self.listed) < MAX_LISTED_ERRORS:
            self.listed.append(item.message())


def iter_good(sources, fmt: str, max_line_bytes: int, bad: BadRecords, progress=None):
    """(format, record, item) of every good record of ``sources``; the others are counted in ``bad``.

    ``progress``, when given, is called with the number of items (good and bad) read since its last call:
    every 1,000 items and once at the end.
    """
    seen = 0
    for source in sources:
        for resolved, record, item in iter_checked(source, fmt, max_line_bytes):
            seen += 1
            if progress and seen % 1000 == 0:
                progress(1000)
            if record is None:
                bad.add(item)
                continue
            yield resolved, record, item
    if progress:
        progress(seen % 1000)


def inspect_source(path, fmt: str = "auto", tokenizer=None, template: str | None = None, max_errors: int = 50,
                   max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Report:  # fmt: skip
    """Stream ``path`` and report format, counts, length statistics and bad records (see module docs)."""
    report = Report(str(path))
    if tokenizer is not None:
        from backend.data.templates import resolve_template

        report.tokens = Summary()
        template = resolve_template(tokenizer, template or "auto")
    for resolved, record, item in iter_checked(path, fmt, max_line_bytes):
        if record is None:
            report.bad += 1
            if len(report.errors) < max_errors:
                report.errors.append(item.message())
            continue
        report.records += 1
        report.files[item.file] = report.files.get(item.file, 0) + 1
        report.formats[item.file] = resolved
        kinds = set(report.formats.values())
        report.format = kinds.pop() if len(kinds) == 1 else "mixed (" + ", ".join(sorted(kinds)) + ")"
        _measure(report, record, tokenizer, template)
    return report


def _measure(report: Report, record: dict, tokenizer, template) -> None:
    def add(name: str, n: int) -> None:
        report.fields.setdefault(name, Summary()).add(n)

    if "text" in record:
        add("text", len(record["text"]))
        if tokenizer is not None:
            report.tokens.add(len(tokenizer(record["text"], add_special_tokens=False)["input_ids"]))
        return
    per_role: dict[str, int] = {}
    for m in record["messages"]:
        per_role[m["role"]] = per_role.get(m["role"], 0) + len(m["content"])
    for role in ("system", "user", "assistant", "tool"):
        if role in per_role:
            add(role, per_role[role])
    add("turns", len(record["messages"]))
    if tokenizer is not None:
        from backend.data.templates import render

        text = render(tokenizer, record["messages"], template)
        report.tokens.add(len(tokenizer(text, add_special_tokens=False)["input_ids"]))


@dataclass
class ValidRecords:
    """Normalised records of a source; iterate once. ``skipped``/``first_error`` fill in as it runs."""

    path: str | Path
    fmt: str = "auto"
    on_error: str = "raise"
    limit: int | None = None
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    format: str | None = None
    skipped: int = 0
    first_error: str | None = None

    def __iter__(self) -> Iterator[dict]:
        if self.on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', not {self.on_error!r}")
        taken = 0
        for resolved, record, item in iter_checked(self.path, self.fmt, self.max_line_bytes):
            if self.limit is not None and taken >= self.limit:
                return
            self.format = self.format or resolved
            if record is None:
                if self.on_error == "raise":
                    raise DataError(item.message(), field=item.field, what=item.what)
                self.skipped += 1
                self.first_error = self.first_error or item.message()
                continue
            taken += 1
            yield record


def iter_valid_records(path, fmt: str = "auto", on_error: str = "raise", limit: int | None = None,
                       max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> ValidRecords:  # fmt: skip
    """Normalised records (``{"messages"}`` or ``{"text"}``) of a file or folder.

    ``on_error="raise"`` raises a DataError ``file:line: field: what`` at the first bad record;
    ``"skip"`` skips bad records and counts them in the returned object's ``skipped``.
    """
    return ValidRecords(path, fmt, on_error, limit, max_line_bytes)
