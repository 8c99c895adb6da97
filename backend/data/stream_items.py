"""The pieces every streaming reader shares: the :class:`Item` a reader yields, the lone-surrogate check and
the block-wise line splitter.

Apart from :mod:`backend.data.stream` so that its format readers (``stream_json``, ``stream_tabular``),
which ``stream`` loads on demand, can use them without importing ``stream`` back (an import cycle).
:mod:`backend.data.stream` re-exports every name, which stays the place to import them from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

try:  # orjson (a gradio dependency) serialises 1.5-2x faster
    import orjson
except ImportError:  # pragma: no cover
    orjson = None

_SURROGATE = re.compile("[\ud800-\udfff]")
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
