"""Validation and inspection of dataset files: what format, how many records, how long, what is broken.

:func:`inspect_source` streams a file or folder (see :mod:`backend.data.stream`) and returns a
:class:`Report`: the detected format, record counts per file, length statistics per field (characters,
and tokens when a tokenizer is given) and every bad record as ``file:line: field: what is wrong``.
:func:`iter_valid_records` is the same walk for training: normalised records, bad ones either raised
(the first, as a :class:`DataError`) or skipped and counted; a ``fatal`` problem (a damaged file, see
:mod:`backend.data.stream`) is raised even when skipping, since skipping it would lose the rest of the
file. Both take an optional column mapping (``{canonical key: key in the file}``, see
:func:`backend.data.formats.apply_columns`). :meth:`ValidRecords.no_usable_records` is the one error
for a source that yielded nothing, with advice that fits why.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from backend.data.formats import (
    ALL_FORMATS,
    CHAT_FORMATS,
    TEXT_FORMATS,
    DataError,
    apply_columns,
    check_columns,
    detect_format,
    to_messages,
    to_text,
)
from backend.data.report import Report, Summary, measure
from backend.data.stream import DEFAULT_MAX_LINE_BYTES, Item, iter_items
from backend.data.task_formats import to_task_record


def normalise(value, fmt: str) -> dict:
    """``{"messages": [...]}`` for a chat format, ``{"text": ...}`` for a text one, and the shapes of
    :mod:`backend.data.task_formats` for preference, kto, choice and generation; raises DataError."""
    if fmt in CHAT_FORMATS:
        return {"messages": to_messages(value, fmt)}
    if fmt in TEXT_FORMATS:
        return {"text": to_text(value, fmt)}
    return to_task_record(value, fmt)


def record_texts(record: dict) -> list[str]:
    """Every string a normalised record holds (message contents, question and choices, reference)."""
    out: list[str] = []
    for value in record.values():
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            out += [x["content"] if isinstance(x, dict) else x for x in value if isinstance(x, (dict, str))]
    return out


def check_item(item: Item, fmt: str) -> tuple[dict | None, Item]:
    """(normalised record, item) or (None, the item turned into a problem naming the field)."""
    if not item.ok:
        return None, item
    try:
        return normalise(item.value, fmt), item
    except DataError as exc:
        bad = Item(item.file, item.line, field=exc.field or "record", what=exc.what, index=item.index)
        return None, bad


def _resolve_format(fmt: str, item: Item) -> str | None:
    if fmt != "auto":
        if fmt not in ALL_FORMATS:
            raise DataError(f"unknown format {fmt!r}; expected auto or one of {', '.join(ALL_FORMATS)}")
        return fmt
    try:
        return detect_format(item.value)
    except DataError:
        return None


def _mapped(item: Item, columns: dict[str, str]) -> Item:
    """The item with its record's keys renamed by ``columns``, or a problem naming the missing key."""
    if not columns or not item.ok:
        return item
    try:
        value = apply_columns(item.value, columns)
    except DataError as exc:
        return Item(item.file, item.line, field=exc.field or "record", what=exc.what, index=item.index)
    return Item(item.file, item.line, value, index=item.index)  # raw bytes no longer match the record


def iter_checked(path, fmt: str = "auto", max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
                 columns: dict[str, str] | None = None):  # fmt: skip
    """(format, record or None, item) for every item of a source; the format is detected from the first
    record whose format can be told, and every record is then checked against it. ``columns`` renames
    the file's keys first ({canonical key: key in the file})."""
    columns = check_columns(columns)
    resolved = None if fmt == "auto" else _resolve_format(fmt, Item("", 0))
    current = None
    for item in map(lambda it: _mapped(it, columns), iter_items(path, max_line_bytes)):
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


def iter_good(sources, fmt: str, max_line_bytes: int, bad: BadRecords, progress=None, columns=None):
    """(format, record, item) of every good record of ``sources``; the others are counted in ``bad``.

    ``progress``, when given, is called with the number of items (good and bad) read since its last call:
    every 1,000 items and once at the end.
    """
    seen = 0
    for source in sources:
        for resolved, record, item in iter_checked(source, fmt, max_line_bytes, columns):
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
                   max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
                   columns: dict[str, str] | None = None) -> Report:  # fmt: skip
    """Stream ``path`` and report format, counts, length statistics and bad records (see module docs)."""
    report = Report(str(path))
    if tokenizer is not None:
        from backend.data.templates import resolve_template

        report.tokens = Summary()
        template = resolve_template(tokenizer, template or "auto")
    for resolved, record, item in iter_checked(path, fmt, max_line_bytes, columns):
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
        measure(report, record, tokenizer, template)
    return report


DAMAGED_ADVICE = (
    "fix or re-create the file (`studio data inspect FILE` shows the problem); skipping bad records cannot "
    "recover what the file lost"
)


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
    columns: dict[str, str] | None = None
    where: str | None = None  # file:line of the record just yielded
    taken: int = 0

    def __iter__(self) -> Iterator[dict]:
        if self.on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', not {self.on_error!r}")
        self.taken = 0
        for resolved, record, item in iter_checked(self.path, self.fmt, self.max_line_bytes, self.columns):
            if self.limit is not None and self.taken >= self.limit:
                return
            self.format = self.format or resolved
            if record is None:
                if item.field == "file" and item.what.startswith("is empty"):
                    continue  # an empty file holds no record to lose; a source of nothing else has none at all
                if item.fatal:
                    raise DataError(item.message(), field=item.field, what=item.what, advice=DAMAGED_ADVICE)
                if self.on_error == "raise":
                    raise DataError(item.message(), field=item.field, what=item.what)
                self.skipped += 1
                self.first_error = self.first_error or item.message()
                continue
            self.taken += 1
            self.where = f"{item.file}:{item.line}"
            yield record

    def no_usable_records(self, where: str, noun: str = "records") -> DataError:
        """The error for a source that yielded no record (after a full pass): why, and what to do about it."""
        if self.skipped:
            detail = f": all {self.skipped} are bad (first: {self.first_error})"
            advice = (
                f"fix the bad {noun} (`studio data inspect {self.path}` lists each one); skipping cannot help "
                "when none is good"
            )
        else:
            detail, advice = ": it is empty", "add records to it, or remove it from data.sources"
        return DataError(f"{where}.path: {self.path} holds no usable {noun}{detail}", advice=advice)


def iter_valid_records(path, fmt: str = "auto", on_error: str = "raise", limit: int | None = None,
                       max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
                       columns: dict[str, str] | None = None) -> ValidRecords:  # fmt: skip
    """Normalised records (``{"messages"}``, ``{"text"}`` or a shape of :func:`normalise`) of a file or folder.

    ``on_error="raise"`` raises a DataError ``file:line: field: what`` at the first bad record;
    ``"skip"`` skips bad records and counts them in the returned object's ``skipped``.
    """
    return ValidRecords(path, fmt, on_error, limit, max_line_bytes, columns=columns)
