"""Shard and compress datasets into ``part-00000.jsonl.zst`` files plus a ``manifest.json``.

Every record is validated on the way (JSON, format, field types, role order), but a valid JSON line is
written out as its original bytes: no ``json.dumps`` round trip, so the text is byte-for-byte what
the user had. Records from JSON arrays, CSV, Parquet or text files are serialised once with orjson.
Compression runs in zstd's own worker threads (``threads``), beside the Python validation. Bad records
are skipped, counted and listed (``file:line: field: what``) in the manifest. ``datasets`` reads
the shards directly: ``load_dataset("json", data_files="DIR/part-*.jsonl.zst")``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from backend.data.stream import DEFAULT_MAX_LINE_BYTES
from backend.data.validate import BadRecords, iter_good, record_texts

MANIFEST = "manifest.json"
_FLUSH_BYTES = 1 << 20  # hand zstd ~1 MiB per write: fewer calls, and its threads get whole jobs


class _ShardWriter:
    def __init__(self, out: Path, level: int, threads: int, count_tokens: Callable | None):
        import zstandard

        self.out, self.count_tokens = out, count_tokens
        self.compressor = zstandard.ZstdCompressor(level=level, threads=threads)
        self.shards: list[dict] = []
        self.fh = self.writer = None

    def open(self) -> None:
        path = self.out / f"part-{len(self.shards):05d}.jsonl.zst"
        self.fh = open(path, "wb")  # noqa: SIM115 -- closed in close(), after the zstd frame ends
        self.writer = self.compressor.stream_writer(self.fh, closefd=False)
        self.shards.append({"file": path.name, "records": 0, "bytes_raw": 0, "bytes_compressed": 0})
        self.pending, self.pending_bytes, self.texts = [], 0, []
        if self.count_tokens:
            self.shards[-1]["tokens"] = 0

    def add(self, raw: bytes, record: dict) -> None:
        if self.writer is None:
            self.open()
        self.pending.append(raw)
        self.pending_bytes += len(raw) + 1
        meta = self.shards[-1]
        meta["records"] += 1
        meta["bytes_raw"] += len(raw) + 1
        if self.count_tokens:
            self.texts.append(record)
        if self.pending_bytes >= _FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.writer.write(b"\n".join(self.pending) + b"\n")
            self.pending, self.pending_bytes = [], 0
        if self.texts:
            self.shards[-1]["tokens"] += self.count_tokens(self.texts)
            self.texts = []

    def close(self) -> None:
        if self.writer is None:
            return
        self.flush()
        self.writer.close()
        self.fh.close()
        self.shards[-1]["bytes_compressed"] = os.path.getsize(self.out / self.shards[-1]["file"])
        self.writer = self.fh = None


def token_counter(tokenizer, template: str | None = None) -> Callable[[list[dict]], int]:
    """A function counting the tokens of a batch of normalised records (chat rendered with ``template``)."""
    from backend.data.templates import render, resolve_template

    template = resolve_template(tokenizer, template or "auto")

    def _text(record: dict) -> str:
        if "text" in record:
            return record["text"]
        if "messages" in record:
            return render(tokenizer, record["messages"], template)
        return "\n".join(record_texts(record))  # preference, KTO and evaluation records: all their strings

    def count(records: list[dict]) -> int:
        texts = [_text(r) for r in records]
        return sum(len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"])

    return count


def shard(sources: Iterable[str | Path], out: str | Path, shard_size: int, fmt: str = "auto", tokenizer=None,
          template: str | None = None, level: int = 3, threads: int = -1, progress: Callable[[int], None] | None = None,
          max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> dict:  # fmt: skip
    """Write ``shard_size`` records per ``part-NNNNN.jsonl.zst`` under ``out``; return the manifest.

    ``threads=-1`` lets zstd use one thread per core; ``progress`` is called with the number of records
    (good and bad) read since its last call. The manifest (also written to ``out/manifest.json``) has
    per-shard records, bytes_raw, bytes_compressed (and tokens with a tokenizer), totals, the source
    files, their formats, and the skipped records with the first ``MAX_LISTED_ERRORS`` of them listed.
    """
    if shard_size < 1:
        raise ValueError("shard_size must be at least 1")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part-*.jsonl.zst"):  # a rerun must not leave shards of the last run behind
        old.unlink()
    counter = token_counter(tokenizer, template) if tokenizer is not None else None
    writer = _ShardWriter(out, level, threads, counter)
    formats: dict[str, str] = {}
    bad = BadRecords()
    try:
        for resolved, record, item in iter_good(sources, fmt, max_line_bytes, bad, progress):
            formats[item.file] = resolved
            if writer.writer is not None and writer.shards[-1]["records"] >= shard_size:
                writer.close()
            writer.add(item.line_bytes(), record)
    finally:
        writer.close()
    manifest = _manifest(writer.shards, formats, bad.count, bad.listed, level, counter is not None)
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def _manifest(shards: list[dict], formats: dict, skipped: int, errors: list[str], level: int, tokens: bool) -> dict:
    keys = ["records", "bytes_raw", "bytes_compressed"] + (["tokens"] if tokens else [])
    kinds = sorted(set(formats.values()))
    return {
        "format": kinds[0] if len(kinds) == 1 else kinds,
        "compression": {"codec": "zstd", "level": level},
        "shards": shards,
        "totals": {"shards": len(shards), **{k: sum(s[k] for s in shards) for k in keys}, "skipped": skipped},
        "sources": [{"file": f, "format": fmt} for f, fmt in formats.items()],
        "skipped_records": errors,
    }
