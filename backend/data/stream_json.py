"""Incremental reading of a JSON array file: one record at a time, each with its starting line.

``json.JSONDecoder.raw_decode`` parses one element from a text buffer that is refilled in 1 MiB
chunks and trimmed behind the cursor, so memory stays at about one record plus one chunk. A record
that does not parse once ``limit`` characters are buffered past its start is reported as malformed
(or enormous); after a malformed element the rest of an array cannot be resynchronised, so reading
stops there with that error, marked ``fatal``. An element holding a lone surrogate is a bad record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from backend.data.stream_items import Item, surrogate_item

_CHUNK = 1 << 20
_WS = " \t\r\n"


class _Buffer:
    def __init__(self, fh):
        self.fh, self.text, self.pos, self.line, self.eof = fh, "", 0, 1, False

    def fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.fh.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        # Trim what was consumed so the buffer holds only the unread tail.
        self.text = self.text[self.pos :] + chunk
        self.pos = 0
        return True

    def skip_ws(self) -> str:
        """The next non-whitespace character ('' at the end), counting newlines on the way."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _WS:
                if self.text[self.pos] == "\n":
                    self.line += 1
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.fill():
                return ""


def iter_array(file: str, fh, limit: int) -> Iterator[Item]:
    """Items of a JSON array read from the text stream ``fh`` (see the module docstring)."""
    buf, decoder, index = _Buffer(fh), json.JSONDecoder(), 0
    try:
        if buf.skip_ws() == "\ufeff":
            buf.pos += 1
        if buf.skip_ws() != "[":
            yield Item(file, buf.line, field="json", what="malformed JSON: expected '[' to open an array", fatal=True)
            return
        buf.pos += 1
        while True:
            ch = buf.skip_ws()
            if ch == "]" and index == 0:
                break
            start_line = buf.line
            value, what = _element(buf, decoder, limit)
            if what:
                what += "; the rest of the array cannot be read"
                yield Item(file, start_line, field="json", what=what, index=index, fatal=True)
                return
            yield surrogate_item(file, start_line, value, index) or Item(file, start_line, value, index=index)
            index += 1
            ch = buf.skip_ws()
            if ch == ",":
                buf.pos += 1
                continue
            if ch != "]":
                found = repr(ch) if ch else "the end of the file"
                what = f"malformed JSON: expected ',' or ']', found {found}; the rest of the array cannot be read"
                yield Item(file, buf.line, field="json", what=what, fatal=True)
                return
            break
        buf.pos += 1
        if buf.skip_ws():
            what = "malformed JSON: extra data after the closing ']'"
            yield Item(file, buf.line, field="json", what=what, fatal=True)
    except UnicodeDecodeError as exc:
        what = f"non-UTF-8 bytes ({exc.reason}); reading stopped here"
        yield Item(file, buf.line, field="json", what=what, fatal=True)


def _element(buf: _Buffer, decoder, limit: int):
    """(value, None) for the element at the cursor, or (None, what is wrong); advances past it."""
    while True:
        try:
            value, end = decoder.raw_decode(buf.text, buf.pos)
            # An element that ends exactly at the buffer's end may be cut off (a number); read on.
            if end < len(buf.text) or buf.eof:
                buf.line += buf.text.count("\n", buf.pos, end)
                buf.pos = end
                return value, None
        except json.JSONDecodeError as exc:
            if buf.eof or len(buf.text) - buf.pos > limit:
                big = len(buf.text) - buf.pos > limit
                return None, (f"is enormous (over {limit:,} characters)" if big else f"malformed JSON: {exc.msg}")
        except RecursionError:
            return None, "malformed JSON: nested too deeply"
        if not buf.fill():
            buf.eof = True
