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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from backend.data.readers import BUILDERS, dataset_suffix
from backend.data.stream_items import Item, iter_lines, lone_surrogate, surrogate_item  # noqa: F401 (re-exported)

try:  # orjson (a gradio dependency) parses 1.5-2x faster and checks UTF-8 itself
    import orjson

    _loads = orjson.loads
except ImportError:  # pragma: no cover
    orjson, _loads = None, json.loads

DEFAULT_MAX_LINE_BYTES = 10 * 1024 * 1024
_STEP = 1 << 20


def source_files(path: Path) -> list[Path]:
    """The readable files of a source: the file itself, or a folder's supported files in sorted order.

    A shard folder's ``manifest.json`` is metadata, not records, so it is left out.
    """
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and dataset_suffix(p) and p.name != "manifest.json")
    return [path]


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
