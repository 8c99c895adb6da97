"""Fuzzing the readers: malformed input gives file:line problems or skip counts, never an exception.

3,000 hypothesis examples (500 per test); ``tests/test_data_fuzz_build.py`` adds 3,100 deterministic cases
through `studio data inspect` and the trainer's own data build.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from backend.data.formats import DataError
from backend.data.validate import inspect_source, iter_checked, iter_valid_records

SETTINGS = settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck), database=None)
GOOD = json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]})

# JSON-ish fragments mixed with raw bytes: mostly near-valid lines, the hardest case for a reader.
FRAGMENTS = st.sampled_from(
    [b"{", b"}", b"[", b"]", b'"', b":", b",", b"\n", b"\r\n", b"\x00", b"\xff", b"\xe4\xb8", b"\\u", b"null",
     b'"messages"', b'"role"', b'"user"', b'"assistant"', b'"content"', b'"text"', b"1e999", b" ",
     GOOD.encode(), b'{"text": "ok"}', b'"conversation"', b'"instruction"', b'"output"', b'"prompt"',
     b'"chosen"', b'"rejected"', b'"selected"', b'"completion"', b'"label"', b'"question"', b'"A"', b'"answer"',
     b'"choices"', b'true', b'{"prompt": "p", "chosen": "a", "rejected": "b"}']
)  # fmt: skip
BLOBS = st.one_of(st.binary(max_size=300), st.lists(FRAGMENTS, max_size=40).map(b"".join))
DIR = Path(tempfile.mkdtemp(prefix="fuzz-"))


def _check(path: Path, fmt: str = "auto", columns: dict | None = None) -> list[dict]:
    """Inspect names every problem file:line; skipping keeps exactly inspect's good records, except that a
    fatal problem (the rest of the file is unreadable) stops it with that very problem."""
    report = inspect_source(path, fmt, max_line_bytes=200, columns=columns, max_errors=10_000)
    for err in report.errors:
        assert err.startswith(f"{path}:"), err
    fatal = [item.message() for _, _, item in iter_checked(path, fmt, 200, columns) if item.fatal]
    records = iter_valid_records(path, fmt, on_error="skip", max_line_bytes=200, columns=columns)
    if fatal:
        assert len(fatal) == 1 and fatal[0] == report.errors[-1]  # reading stops at a fatal problem
        with pytest.raises(DataError) as caught:
            list(records)
        assert str(caught.value) == fatal[0]
        return []
    good = list(records)
    empty = [e for e in report.errors if e.endswith(": file: is empty")]  # nothing to skip in an empty file
    assert len(good) == report.records and records.skipped == report.bad - len(empty)
    return good


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


# Records for the preference, KTO and evaluation formats: their keys, holding JSON values of every
# type nested a few levels (messages with odd roles, labels and answers of the wrong kind, ...).
TASK_KEYS = st.sampled_from(
    ["prompt", "chosen", "rejected", "selected", "system", "completion", "label", "question", "A", "B", "C", "D",
     "J", "options", "choices", "answer", "reference", "response", "output", "id", "role", "content", "text"]
)  # fmt: skip
LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 12), st.floats(), st.text(max_size=4),
    st.sampled_from(["user", "assistant", "system", "tool", "A", "b", "true", "0", " ", "J"]),
)  # fmt: skip
MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "system", "tool", "x"]), "content": LEAVES}
)
VALUES = st.recursive(
    st.one_of(LEAVES, MESSAGE),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(TASK_KEYS, kids, max_size=4),
    max_leaves=12,
)
# Valid records of each layout, then broken a little: keys dropped or replaced by arbitrary values.
TEMPLATES = [
    {"prompt": "p", "chosen": "a", "rejected": "b"},
    {"prompt": "p", "selected": "a", "rejected": "b", "system": "s"},
    {"prompt": [{"role": "user", "content": "p"}], "chosen": [{"role": "assistant", "content": "a"}],
     "rejected": [{"role": "assistant", "content": "b"}]},
    {"chosen": [{"role": "user", "content": "p"}, {"role": "assistant", "content": "a"}],
     "rejected": [{"role": "user", "content": "p"}, {"role": "assistant", "content": "b"}]},
    {"prompt": "p", "completion": "c", "label": True},
    {"question": "q", "A": "a", "B": "b", "C": "c", "answer": "C"},
    {"question": "q", "choices": ["a", "b"], "answer": 1},
    {"prompt": "p", "reference": "r", "id": 1},
]  # fmt: skip


@st.composite
def near_valid(draw) -> dict:
    record = dict(draw(st.sampled_from(TEMPLATES)))
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from(sorted(record) or ["prompt"]))
        if draw(st.booleans()):
            record.pop(key, None)
        else:
            record[key] = draw(VALUES)
    return record


TASK_RECORDS = st.one_of(near_valid(), st.dictionaries(TASK_KEYS, VALUES, max_size=7), VALUES)
TASK_FORMATS = ["auto", "preference", "kto", "choice", "generation"]
COLUMNS = st.sampled_from([None, {"prompt": "question"}, {"chosen": "rejected", "rejected": "chosen"}, {"answer": "A"}])


def _assert_shape(record: dict) -> None:
    """A good record of a task format has exactly the documented shape."""
    roles = lambda ms: [m["role"] for m in ms]  # noqa: E731
    if "question" in record:
        assert isinstance(record["question"], str) and record["question"].strip()
        assert len(record["choices"]) >= 2 and all(isinstance(c, str) for c in record["choices"])
        assert isinstance(record["answer"], int) and 0 <= record["answer"] < len(record["choices"])
        return
    prompt = record["prompt"]
    assert roles(prompt)[-1] == "user" and "system" not in roles(prompt)[1:]
    assert all(set(m) == {"role", "content"} and isinstance(m["content"], str) for m in prompt)
    for key in ("chosen", "rejected", "completion"):
        if key in record:
            assert roles(record[key]) == ["assistant"]
    if "chosen" in record:
        assert record["chosen"] != record["rejected"]
    if "label" in record:
        assert isinstance(record["label"], bool)
    if "reference" in record:
        assert record["reference"] is None or isinstance(record["reference"], str)


@SETTINGS
@given(st.lists(TASK_RECORDS, min_size=1, max_size=6), st.sampled_from(TASK_FORMATS), COLUMNS)
def test_task_formats(records, fmt, columns):
    path = DIR / "t.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    good = _check(path, fmt, columns)
    report = inspect_source(path, fmt, columns=columns)
    assert report.records + report.bad == len(records)  # every line is a record or one problem
    event(f"{'some' if good else 'no'} good records")
    for record in good:
        if "messages" not in record and "text" not in record:
            _assert_shape(record)
