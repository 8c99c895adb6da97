"""Streaming CSV and Parquet readers that report problems as items instead of raising.

CSV: a header row, then a record per row (a dict of strings); the line of an item is the first
physical line of its row, so it matches what an editor shows. Lines are decoded one by one, so a
non-UTF-8 byte spoils only its own row. Parquet: rows in batches of 1,024; the line is the 1-based
row number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from backend.data.stream_items import Item, iter_lines


def iter_csv(file: str, max_line_bytes: int) -> Iterator[Item]:
    """Items of a CSV file with a header row."""
    problems: dict[int, str] = {}  # physical line -> what is wrong with it

    def lines():
        with open(file, "rb") as fh:
            for number, raw, size in iter_lines(fh, max_line_bytes):
                if raw is None:
                    problems[number] = f"is enormous ({size:,} bytes; the limit is {max_line_bytes:,})"
                    raw = b""
                elif b"\x00" in raw:
                    problems[number] = "binary data (NUL bytes) in the line"
                    raw = raw.replace(b"\x00", b"")
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]  # a UTF-8 byte-order mark (Excel writes one) is not part of the first column
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    problems[number] = f"non-UTF-8 bytes at byte {exc.start}"
                    text = raw.decode("utf-8", "replace")
                yield text + "\n"

    csv.field_size_limit(max(max_line_bytes, 131072))
    reader = csv.reader(lines())
    try:
        header = next(reader)
    except StopIteration:
        yield Item(file, 1, field="file", what="is empty: no header row")
        return
    except csv.Error as exc:
        yield Item(file, 1, field="header", what=f"malformed CSV: {exc}", fatal=True)
        return
    if problems:
        yield Item(file, 1, field="header", what=problems[min(problems)], fatal=True)
        return
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            stuck = reader.line_num < start  # no progress: stop rather than loop
            yield Item(file, start, field="row", what=f"malformed CSV: {exc}", fatal=stuck)
            if stuck:
                return
            continue
        bad = [problems.pop(n) for n in range(start, reader.line_num + 1) if n in problems]
        if bad:
            yield Item(file, start, field="row", what=bad[0])
        elif not row or not any(cell.strip() for cell in row):
            continue  # a blank line is not a record
        elif len(row) != len(header):
            yield Item(file, start, field="row", what=f"has {len(row)} fields; the header has {len(header)}")
        else:
            yield Item(file, start, dict(zip(header, row, strict=True)))


def iter_parquet(file: str) -> Iterator[Item]:
    """Items of a Parquet file, one per row."""
    try:
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(file)
    except Exception as exc:  # pyarrow raises ArrowInvalid/OSError on a non-Parquet file
        yield Item(file, 1, field="file", what=f"is not a readable Parquet file: {exc}", fatal=True)
        return
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=1024):
            for value in batch.to_pylist():
                row += 1
                yield Item(file, row, value)
    except Exception as exc:
        what = f"is corrupt: reading stopped after row {row:,} ({exc}); the rest is lost"
        yield Item(file, row + 1, field="file", what=what, fatal=True)
