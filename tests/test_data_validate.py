"""Validation: format detection/normalisation, every error kind as file:line: field, every reader, skip_bad."""

from __future__ import annotations

import json

import pytest
import zstandard

from backend.data.formats import DataError, detect_format, to_messages, to_text
from backend.data.validate import inspect_source, iter_valid_records
from tests.conftest import run_cli

GOOD = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}


def test_new_formats_are_detected_and_normalised():
    xtuner = {"conversation": [{"system": "S", "input": "q1", "output": "a1"}, {"input": "q2", "output": "a2"}]}
    assert detect_format(xtuner) == "xtuner"
    assert [m["role"] for m in to_messages(xtuner, "xtuner")] == ["system", "user", "assistant", "user", "assistant"]
    firefly = {"conversation": [{"human": "你好", "assistant": "您好"}], "system": "S"}
    assert detect_format(firefly) == "firefly"
    assert to_messages(firefly, "firefly") == [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "你好"},
        {"role": "assistant", "content": "您好"},
    ]
    qa = {"question": "Q?", "answer": "A."}
    assert detect_format(qa) == "text" and to_text(qa) == "Q?\nA."
    call = [{"id": "c1", "type": "function", "function": {"name": "add", "arguments": "{}"}}]
    tools = {
        "messages": [
            {"role": "user", "content": "2+2?"},
            {"role": "assistant", "content": None, "tool_calls": call},
            {"role": "tool", "content": "4", "tool_call_id": "c1"},
            {"role": "assistant", "content": "4"},
        ]
    }
    assert to_messages(tools, "messages")[1]["tool_calls"] == call
    pretrain = {"conversation": [{"input": "", "output": "a document"}]}
    assert to_messages(pretrain, "xtuner")[-1] == {"role": "assistant", "content": "a document"}


@pytest.mark.parametrize(
    "line, field, words",
    [
        ('{"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}',
         "messages[1].role", "two user turns in a row"),
        ('{"messages": [{"role": "assistant", "content": "a"}]}', "messages[0].role", "as the first turn"),
        ('{"messages": [{"role": "user", "content": "a"}, {"role": "system", "content": "s"}, '
         '{"role": "assistant", "content": "b"}]}', "messages[1].role", "only the first message"),
        ('{"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "b"}]}',
         "messages[0].content", "is empty"),
        ('{"messages": [{"role": "user"}, {"role": "assistant", "content": "b"}]}', "messages[0].content", "missing"),
        ('{"messages": [{"role": "user", "content": 5}, {"role": "assistant", "content": "b"}]}',
         "messages[0].content", "must be a string"),
        ('{"messages": "x"}', "messages", "must be a list"),
        ('{"instruction": "x", "output": 3}', "messages", "is missing"),  # another format's record
        ('{"text": ""}', "text", "is empty"),
        ('{"messages": [1, 2', "json", "malformed JSON"),
        ("[1, 2]", "record", "expected a JSON object"),
    ],
)  # fmt: skip
def test_each_error_kind_names_file_line_and_field(tmp_path, line, field, words):
    path = tmp_path / "d.jsonl"
    base = {"text": "ok"} if field == "text" else GOOD
    path.write_text(json.dumps(base) + "\n" + line + "\n", encoding="utf-8")
    report = inspect_source(path)
    assert report.records == 1 and report.bad == 1
    assert report.errors[0].startswith(f"{path}:2: {field}: ") and words in report.errors[0], report.errors


def test_byte_level_problems(tmp_path):
    path = tmp_path / "d.jsonl"
    big = b'{"text": "' + b"x" * 2000 + b'"}'
    path.write_bytes(b'{"text": "ok"}\n{"text": "caf\xe9"}\n{"text": "a\x00b"}\n' + big + b'\n\n{"text": "end"}\n')
    report = inspect_source(path, max_line_bytes=1000)
    assert report.records == 2 and report.bad == 3
    assert "d.jsonl:2: json: non-UTF-8 bytes" in report.errors[0]
    assert "d.jsonl:3: json: binary data" in report.errors[1]
    assert "d.jsonl:4: line: is enormous" in report.errors[2]
    empty = tmp_path / "e.jsonl"
    empty.write_bytes(b"")
    assert inspect_source(empty).errors == [f"{empty}:1: file: is empty"]
    junk = tmp_path / "j.jsonl"
    junk.write_bytes(bytes(range(256)) * 40)
    assert "looks binary" in inspect_source(junk).errors[0]


def test_every_reader_reports_lines(tmp_path):
    arr = tmp_path / "a.json"
    arr.write_text('[\n  {"text": "one"},\n  {"text": ""},\n  {"text": "three"}\n]\n', encoding="utf-8")
    report = inspect_source(arr)
    assert report.records == 2 and report.errors == [f"{arr}:3: [1].text: is empty"]
    zst = tmp_path / "z.jsonl.zst"
    zst.write_bytes(zstandard.ZstdCompressor().compress(b'{"text": "a"}\n{oops\n{"text": "c"}\n'))
    assert inspect_source(zst).errors[0].startswith(f"{zst}:2: json: malformed JSON")
    csv = tmp_path / "c.csv"
    csv.write_text('instruction,output\nq1,a1\n"multi\nline",a2\nq3\n,a4\n', encoding="utf-8")
    report = inspect_source(csv)
    assert report.format == "alpaca" and report.records == 2
    assert report.errors == [f"{csv}:5: row: has 1 fields; the header has 2", f"{csv}:6: instruction: is empty"]
    txt = tmp_path / "t.txt"
    txt.write_bytes(b"line one\n\nline \xff three\n")
    report = inspect_source(txt)
    assert report.records == 1 and report.errors[0].startswith(f"{txt}:3: text: non-UTF-8")
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": ["a", "", "c"]}), tmp_path / "p.parquet")
    report = inspect_source(tmp_path / "p.parquet")
    assert report.records == 2 and report.errors == [f"{tmp_path / 'p.parquet'}:2: text: is empty"]
    folder = inspect_source(tmp_path)  # per file, each with its own format
    assert len(folder.files) == 5 and folder.format.startswith("mixed")


def test_iter_valid_records_raises_or_skips(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(GOOD) + "\nnot json\n" + json.dumps(GOOD) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"d.jsonl:2: json: malformed JSON"):
        list(iter_valid_records(path))
    records = iter_valid_records(path, on_error="skip")
    assert len(list(records)) == 2 and records.skipped == 1 and records.format == "messages"


def test_training_data_fails_on_bad_lines_or_skips_them(tmp_path):
    from backend.data.build import load_records
    from backend.spec import JobSpec

    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(GOOD) + "\n{broken\n" + json.dumps(GOOD) + "\n", encoding="utf-8")
    data = {"sources": [{"path": str(path)}]}
    spec = JobSpec.model_validate({"stage": "sft", "model": {"name_or_path": "builtin:tiny-llama"}, "data": data})
    with pytest.raises(DataError, match=r"d.jsonl:2: json"):
        load_records(spec, "chat")
    spec = JobSpec.model_validate(
        {"stage": "sft", "model": {"name_or_path": "builtin:tiny-llama"}, "data": {**data, "skip_bad_records": True}}
    )
    ds = load_records(spec, "chat")
    assert len(ds) == 2 and ds[0]["messages"][1]["content"] == "hello"


def test_cli_inspect(tmp_path, studio_home):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(GOOD) + "\n{broken\n", encoding="utf-8")
    res = run_cli("data", "inspect", str(path), "--json", "--tokenizer", "builtin:tiny-tokenizer", home=studio_home)
    assert res.returncode == 1, res.stderr
    report = json.loads(res.stdout)
    assert report["format"] == "messages" and report["records"] == 1 and report["tokens"]["count"] == 1
    assert report["errors"][0].startswith(f"{path}:2: json: malformed JSON")
