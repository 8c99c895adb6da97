"""Fuzzing the readers: malformed input gives file:line problems or skip counts, never an exception."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.data.validate import inspect_source, iter_valid_records

SETTINGS = settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck), database=None)
GOOD = json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]})

# JSON-ish fragments mixed with raw bytes: mostly near-valid lines, the hardest case for a reader.
FRAGMENTS = st.sampled_from(
    [b"{", b"}", b"[", b"]", b'"', b":", b",", b"\n", b"\r\n", b"\x00", b"\xff", b"\xe4\xb8", b"\\u", b"null",
     b'"messages"', b'"role"', b'"user"', b'"assistant"', b'"content"', b'"text"', b"1e999", b" ",
     GOOD.encode(), b'{"text": "ok"}', b'"conversation"', b'"instruction"', b'"output"']
)  # fmt: skip
BLOBS = st.one_of(st.binary(max_size=300), st.lists(FRAGMENTS, max_size=40).map(b"".join))
DIR = Path(tempfile.mkdtemp(prefix="fuzz-"))


def _check(path: Path) -> None:
    report = inspect_source(path, max_line_bytes=200)
    for err in report.errors:
        assert err.startswith(f"{path}:"), err
    records = iter_valid_records(path, on_error="skip", max_line_bytes=200)
    good = sum(1 for _ in records)
    assert good == report.records and records.skipped == report.bad


@SETTINGS
@given(BLOBS)
def test_jsonl(blob):
    path = DIR / "f.jsonl"
    path.write_bytes(GOOD.encode() + b"\n" + blob)
    _check(path)


@SETTINGS
@given(BLOBS)
def test_json_array(blob):
    path = DIR / "f.json"
    path.write_bytes(b"[" + GOOD.encode() + b"," + blob)
    _check(path)


@SETTINGS
@given(BLOBS, st.booleans())
def test_jsonl_zst(blob, truncate):
    data = zstandard.ZstdCompressor().compress(GOOD.encode() + b"\n" + blob)
    path = DIR / "f.jsonl.zst"
    path.write_bytes(data[: len(data) // 2] if truncate else data)
    _check(path)


@SETTINGS
@given(BLOBS)
def test_csv(blob):
    path = DIR / "f.csv"
    path.write_bytes(b"instruction,output\nq,a\n" + blob)
    _check(path)


@SETTINGS
@given(BLOBS)
def test_txt(blob):
    path = DIR / "f.txt"
    path.write_bytes(b"first line\n" + blob)
    _check(path)
