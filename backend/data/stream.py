"""Streaming, crash-free record readers for validation, sharding and ``skip_bad`` training.

:func:`iter_items` walks a file or folder and yields one :class:`Item` per record or per problem. It
never loads a whole file: JSON lines are read with a bounded ``readline`` (a line longer than
``max_line_bytes`` is skipped in 1 MiB steps and reported), JSON arrays with an incremental
``raw_decode``, ``.zst`` through zstandard's stream reader, CSV through :mod:`csv` on decoded lines and
Parquet in row batches. Every problem becomes an ``Item`` with ``field``/``what`` set and a line
number (the decompressed stream's for ``.zst``, the first physical line of a row for CSV, the row
number for Parquet); nothing raises on bad input.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.data.readers import BUILDERS, dataset_suffix

try:  # orjson (a gradio dependency) parses 1.5-2x faster and checks UTF-8 itself
    import orjson

    _loads = orjson.loads
except ImportError:  # pragma: no cover
    orjson, _loads = None, json.loads

DEFAULT_MAX_LINE_BYTES = 10 * 1024 * 1024
_STEP = 1 << 20
_BLOCK = 4 << 20


@dataclass
class Item:
    """One record (``value`` set) or one problem (``field``/``what`` set) at ``file:line``."""

    file: str
    line: int
    value: Any = None
    raw: bytes | None = None  # the original JSON line (no newline) when it parsed: shards pass it through
    field: str | None = None
    what: str | None = None
    index: int | None = None  # the record's index in a JSON array

    @property
    def ok(self) -> bool:
        return self.field is None

    def line_bytes(self) -> bytes:
        """The record as one JSON line (no newline): its own bytes when it came from a JSON line (byte for
        byte), else serialised (records of JSON arrays, CSV, Parquet and text files)."""
        if self.raw is not None:
            return self.raw
        if orjson is not None:
            return orjson.dumps(self.value, option=orjson.OPT_NON_STR_KEYS)
        return json.dumps(self.value, ensure_ascii=False).encode("utf-8")

    def message(self) -> str:
        """``file:line: field: what`` (``[index]`` prefixes the field for JSON arrays)."""
        where = f"[{self.index}]." if self.index is not None else ""
        return f"{self.file}:{self.line}: {where}{self.field}: {self.what}"


def source_files(path: Path) -> list[Path]:
    """The readable files of a source: the file itself, or a folder's supported files in sorted order.

    A shard folder's ``manifest.json`` is metadata, not records, so it is left out.
    """
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and dataset_suffix(p) and p.name != "manifest.json")
    return [path]


def parse_json_line(raw: bytes) -> tuple[Any, str | None]:
    """(value, None) for a valid JSON line, else (None, what is wrong)."""
    if b"\x00" in raw:
        return None, "binary data (NUL bytes) in the line"
    try:
        return _loads(raw), None
    except (ValueError, RecursionError):
        pass
    # Slow path, only for bad lines: find out what exactly is wrong, with stdlib messages.
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"non-UTF-8 bytes at byte {exc.start} ({raw[exc.start : exc.start + 4]!r})"
    try:
        return json.loads(text), None  # numbers orjson refuses (NaN, >64-bit ints) are still JSON to Python
    except json.JSONDecodeError as exc:
        return None, f"malformed JSON: {exc.msg} (column {exc.colno})"
    except RecursionError:
        return None, "malformed JSON: nested too deeply"


def iter_lines(fh, max_line_bytes: int) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, bytes without the newline or None when too long, length in bytes) of a binary stream.

    Reads 4 MiB blocks and splits them (a readline call per line costs more than parsing the line);
    only an unfinished line is carried over, and one longer than ``max_line_bytes`` is counted, not kept.
    """
    number, tail, skipped = 0, b"", 0  # skipped > 0: inside an enormous line, that many bytes so far
    while True:
        block = fh.read(_BLOCK)
        if not block:
            break
        parts = block.split(b"\n")
        last = parts.pop()
        for i, part in enumerate(parts):
            if i == 0 and skipped:
                number += 1
                yield number, None, skipped + len(part) + 1
                skipped = 0
                continue
            if i == 0 and tail:
                part, tail = tail + part, b""
            number += 1
            if len(part) > max_line_bytes:
                yield number, None, len(part) + 1
            else:
                yield number, part[:-1] if part.endswith(b"\r") else part, len(part) + 1
        if skipped:
            skipped += len(last)
        elif not parts:
            tail += last
        else:
            tail = last
        if len(tail) > max_line_bytes:
            skipped, tail = len(tail), b""
    if skipped or tail:
        number += 1
        if skipped:
            yield number, None, skipped
        else:
            yield number, tail[:-1] if tail.endswith(b"\r") else tail, len(tail)


def _too_long(file: str, line: int, size: int, limit: int) -> Item:
    return Item(file, line, field="line", what=f"is enormous ({size:,} bytes; the limit is {limit:,})")


def _jsonl(file: str, fh, limit: int) -> Iterator[Item]:
    for number, raw, size in iter_lines(fh, limit):
        if raw is None:
            yield _too_long(file, number, size, limit)
        elif raw.strip():
            value, what = parse_json_line(raw)
            yield Item(file, number, value, raw) if what is None else Item(file, number, field="json", what=what)


def _open_binary(path: Path):
    """A buffered binary stream of the file's content (decompressed for .zst)."""
    fh = open(path, "rb")  # noqa: SIM115 -- returned to the caller, who closes it
    if path.name.lower().endswith(".zst"):
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(fh, read_across_frames=True, closefd=True)
        return io.BufferedReader(reader, buffer_size=_STEP)
    return fh


def _sniff(path: Path) -> str | None:
    """What makes a file unreadable as a whole (empty, binary), or None."""
    try:
        with _open_binary(path) as fh:
            head = fh.read(8192)
    except Exception as exc:  # zstandard raises ZstdError on a corrupt frame header
        return f"cannot be read: {exc}"
    if not head:
        return "is empty"
    if head.count(b"\x00") > 8:
        return "looks binary (NUL bytes near the start), not text"
    return None


def _array(file: str, fh, limit: int) -> Iterator[Item]:
    """Records of a JSON array, each at the line where it starts, without reading the file at once."""
    from backend.data.stream_json import iter_array

    yield from iter_array(file, io.TextIOWrapper(fh, encoding="utf-8", newline=""), limit)


def iter_file(path: Path, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Item]:
    """Items of one file; unsupported, unreadable, empty and binary files give one item each."""
    file = str(path)
    suffix = dataset_suffix(path)
    if suffix is None:
        yield Item(file, 1, field="file", what=f"unsupported file type; expected one of {', '.join(BUILDERS)}")
        return
    if suffix == ".parquet":
        from backend.data.stream_tabular import iter_parquet

        yield from iter_parquet(file)
        return
    problem = _sniff(path)
    if problem:
        yield Item(file, 1, field="file", what=problem)
        return
    if suffix == ".csv":
        from backend.data.stream_tabular import iter_csv

        yield from iter_csv(file, max_line_bytes)
        return
    try:
        with _open_binary(path) as fh:
            if suffix == ".txt":
                yield from _text(file, fh, max_line_bytes)
            elif suffix == ".json" and _first_char(path) == "[":
                yield from _array(file, fh, max_line_bytes)
            else:
                yield from _jsonl(file, fh, max_line_bytes)
    except Exception as exc:  # a corrupt or truncated zstd stream fails mid-read
        yield Item(file, 0, field="file", what=f"stopped reading: {type(exc).__name__}: {exc}")


def _first_char(path: Path) -> str:
    with open(path, "rb") as fh:
        return fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")[:1].decode("latin-1")


def _text(file: str, fh, limit: int) -> Iterator[Item]:
    for number, raw, size in iter_lines(fh, limit):
        if raw is None:
            yield _too_long(file, number, size, limit)
            continue
        if b"\x00" in raw:
            yield Item(file, number, field="text", what="binary data (NUL bytes) in the line")
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Item(file, number, field="text", what=f"non-UTF-8 bytes at byte {exc.start}")
            continue
        if text.strip():
            yield Item(file, number, {"text": text})


def iter_items(path: str | Path, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Item]:
    """Items of a file or of every supported file of a folder (sorted), never raising on bad data."""
    path = Path(path)
    if not path.exists():
        yield Item(str(path), 0, field="file", what="no such file or folder")
        return
    files = source_files(path)
    if not files:
        yield Item(str(path), 0, field="file", what=f"the folder holds no {', '.join(BUILDERS)} files")
    for f in files:
        yield from iter_file(f, max_line_bytes)
