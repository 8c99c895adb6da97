"""Streaming, crash-free record readers for validation, sharding and ``skip_bad`` training.

:func:`iter_items` walks a file or folder and yields one :class:`Item` per record or per problem. It
never loads a whole file: JSON lines are read with a bounded ``readline`` (a line longer than
``max_line_bytes`` is skipped in 1 MiB steps and reported), JSON arrays with an incremental
``raw_decode``, ``.zst`` through zstandard's stream reader, CSV through :mod:`csv` on decoded lines and
Parquet in row batches. Every problem becomes an ``Item`` with ``field``/``what`` set and a line
number (the decompressed stream's for ``.zst``, the first physical line of a row for CSV, the row
number for Parquet); nothing raises on bad input. A problem after which the rest of a file cannot be
read (a damaged or truncated file, a JSON array that stops parsing, a file that is not a dataset at all)
is ``fatal``: skipping it as one bad record would silently lose what follows, so trainers stop on it.
A UTF-8 byte-order mark opening a file is ignored, and a string holding a lone UTF-16 surrogate
(``"\\ud800"``, valid JSON but not Unicode text) makes its record bad, naming the field.
"""

from __future__ import annotations

import io
import json
import re
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
_SURROGATE = re.compile("[\ud800-\udfff]")
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
    fatal: bool = False  # reading the file stopped here: what follows is lost, so skipping cannot fix it

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


def lone_surrogate(value: Any, where: str = "") -> str | None:
    """The field path of the first string (or key) in ``value`` holding a lone UTF-16 surrogate, or None.

    JSON allows ``"\\ud800"`` but it is not Unicode text: Arrow and tokenizers cannot encode it. A valid
    pair (``"\\ud83d\\ude00"``) decodes to one character, so any surrogate left in a str is lone.
    """
    if isinstance(value, str):
        return (where or "record") if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            text = str(key).encode("utf-8", "backslashreplace").decode("utf-8")  # printable even when lone
            name = f"{where}.{text}" if where else text
            if isinstance(key, str) and lone_surrogate(key) is not None:
                return name
            if (found := lone_surrogate(item, name)) is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if (found := lone_surrogate(item, f"{where}[{i}]")) is not None:
                return found
    return None


def surrogate_item(file: str, line: int, value: Any, index: int | None = None) -> Item | None:
    """A problem item when ``value`` holds a lone surrogate (see :func:`lone_surrogate`), else None."""
    field = lone_surrogate(value)
    if field is None:
        return None
    what = "holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape), which is not valid Unicode text"
    return Item(file, line, field=field, what=what, index=index)


def parse_json_line(raw: bytes) -> tuple[Any, str | None]:
    """(value, None) for a valid JSON line, else (None, what is wrong). A lone surrogate is left for
    :func:`surrogate_item` to name (its field is known only to the caller's walk)."""
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
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a UTF-8 byte-order mark (Windows editors write one) is not part of the record
        if raw.strip():
            value, what = parse_json_line(raw)
            if what is not None:
                yield Item(file, number, field="json", what=what)
            elif b"\\u" in raw and (problem := surrogate_item(file, number, value)):  # only escapes make surrogates
                yield problem
            else:
                yield Item(file, number, value, raw)


def _open_binary(path: Path):
    """A buffered binary stream of the file's content (decompressed for .zst)."""
    fh = open(path, "rb")  # noqa: SIM115 -- returned to the caller, who closes it
    if path.name.lower().endswith(".zst"):
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(fh, read_across_frames=True, closefd=True)
        return io.BufferedReader(reader, buffer_size=_STEP)
    return fh


def _sniff(path: Path, suffix: str) -> str | None:
    """What makes a file unreadable as a whole (see :mod:`backend.data.sniff`), or None."""
    from backend.data.sniff import head_problem, zstd_problem

    try:
        if suffix.endswith(".zst") and (problem := zstd_problem(path)):
            return problem
        with _open_binary(path) as fh:
            head = fh.read(8192)
    except Exception as exc:  # zstandard raises ZstdError on a corrupt frame; OSError on an unreadable file
        return f"is corrupt: {exc}" if suffix.endswith(".zst") else f"cannot be read: {exc}"
    return head_problem(head, suffix)


def _array(file: str, fh, limit: int) -> Iterator[Item]:
    """Records of a JSON array, each at the line where it starts, without reading the file at once."""
    from backend.data.stream_json import iter_array

    yield from iter_array(file, io.TextIOWrapper(fh, encoding="utf-8", newline=""), limit)


def iter_file(path: Path, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Item]:
    """Items of one file; unsupported, unreadable, empty and binary files give one item each."""
    file = str(path)
    suffix = dataset_suffix(path)
    if suffix is None:
        what = f"unsupported file type; expected one of {', '.join(BUILDERS)}"
        yield Item(file, 1, field="file", what=what, fatal=True)
        return
    if suffix == ".parquet":
        from backend.data.stream_tabular import iter_parquet

        yield from iter_parquet(file)
        return
    problem = _sniff(path, suffix)
    if problem:
        # An empty file loses nothing; anything else means the file's records cannot be read at all.
        yield Item(file, 1, field="file", what=problem, fatal=problem != "is empty")
        return
    if suffix == ".csv":
        from backend.data.stream_tabular import iter_csv

        yield from iter_csv(file, max_line_bytes)
        return
    last = 0
    try:
        with _open_binary(path) as fh:
            if suffix == ".txt":
                items = _text(file, fh, max_line_bytes)
            elif suffix == ".json" and _first_char(path) == "[":
                items = _array(file, fh, max_line_bytes)
            elif suffix == ".json" and (problem := _one_object(path, max_line_bytes)):
                items = iter([Item(file, 1, field="file", what=problem, fatal=True)])
            else:
                items = _jsonl(file, fh, max_line_bytes)
            for item in items:
                last = max(last, item.line)
                yield item
    except Exception as exc:  # a damaged zstd stream fails mid-read (its checksum, or corrupt block data)
        state = "is corrupt" if suffix.endswith(".zst") else "could not be read"
        what = f"{state}: reading stopped after line {last:,} ({type(exc).__name__}: {exc}); the rest is lost"
        yield Item(file, last + 1, field="file", what=what, fatal=True)


def _one_object(path: Path, limit: int) -> str | None:
    """Why a ``.json`` file that opens with ``{`` is one JSON object spread over lines rather than JSON
    lines, or None. Only a file whose first line is not JSON by itself, and that parses whole, is one."""
    with open(path, "rb") as fh:
        first = fh.readline(limit + 1).lstrip(b"\xef\xbb\xbf")
        if parse_json_line(first.rstrip(b"\r\n"))[1] is None or path.stat().st_size > limit:
            return None
        fh.seek(0)
        value, what = parse_json_line(fh.read().lstrip(b"\xef\xbb\xbf"))
    if what is not None or not isinstance(value, dict):
        return None
    keys = [k for k, v in value.items() if isinstance(v, list)]
    hint = f" (its {keys[0]!r} key holds a list: put that list at the top level)" if keys else ""
    return (
        "holds one JSON object, not records: a .json source is an array of records ([{...}, {...}]) "
        f"or one JSON record per line{hint}"
    )


def _first_char(path: Path) -> str:
    with open(path, "rb") as fh:
        return fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")[:1].decode("latin-1")


def _text(file: str, fh, limit: int) -> Iterator[Item]:
    for number, raw, size in iter_lines(fh, limit):
        if raw is None:
            yield _too_long(file, number, size, limit)
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a UTF-8 byte-order mark is not text
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
        yield Item(str(path), 0, field="file", what="no such file or folder", fatal=True)
        return
    files = source_files(path)
    if not files:
        yield Item(str(path), 0, field="file", what=f"the folder holds no {', '.join(BUILDERS)} files", fatal=True)
    for f in files:
        yield from iter_file(f, max_line_bytes)
