"""Issue 15, item 4: data edge cases each give one clear error (message, file:line, exit code), lose nothing,
and are caught by pre-flight with the trainer's own rules before a run is created."""

from __future__ import annotations

import gzip
import json

import pytest
import yaml
import zstandard
from conftest import ROOT

from backend import preflight as pf
from backend.data.build import load_records, split_validation
from backend.data.formats import DataError
from backend.data.pairs import load_pairs
from backend.data.validate import DAMAGED_ADVICE, inspect_source, iter_valid_records
from backend.failures import reason
from backend.launch import Hardware
from backend.spec import JobSpec, spec_from_dict
from backend.train.__main__ import describe
from cli.__main__ import main as cli

CHAT = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
PAIR = {"prompt": "p", "chosen": "a", "rejected": "b"}
SKIP_ADVICE = "or set data.skip_bad_records: true"


@pytest.fixture(autouse=True)
def _own_datasets_cache(tmp_path, monkeypatch):
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))


def spec(path, stage: str = "sft", skip: bool = False, val: float = 0) -> JobSpec:
    data = {"sources": [{"path": str(path)}], "skip_bad_records": skip, "val_size": val}
    return JobSpec.model_validate({"stage": stage, "model": {"name_or_path": "builtin:tiny-llama"}, "data": data})


def inspect_cli(path, capsys) -> tuple[int, str]:
    code = cli(["data", "inspect", str(path)])
    return code, capsys.readouterr().out


def lines(path, *records) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def test_lone_surrogate_is_a_bad_record_at_its_line_and_skippable(tmp_path, capsys):
    path = tmp_path / "s.jsonl"
    bad = '{"messages": [{"role": "user", "content": "a\\ud800"}, {"role": "assistant", "content": "b"}]}'
    path.write_text(json.dumps(CHAT) + "\n" + bad + "\n" + json.dumps(CHAT) + "\n", encoding="utf-8")
    what = "holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape), which is not valid Unicode text"
    expected = f"{path}:2: messages[0].content: {what}"
    code, out = inspect_cli(path, capsys)
    assert code == 1 and out.splitlines()[-1] == expected and "2 records, 1 bad" in out
    with pytest.raises(DataError) as caught:
        load_records(spec(path), "chat")
    assert str(caught.value) == expected
    assert describe(caught.value, "data") == f"Data error: {expected} — " + reason("data", "x").split(" — ")[1]
    rows = load_records(spec(path, skip=True), "chat")  # skipped: the two good records are kept, intact
    assert rows["messages"] == [CHAT["messages"]] * 2
    # The same in a JSON array (another parser): the element's own line and index.
    arr = tmp_path / "s.json"
    arr.write_text("[\n" + json.dumps(CHAT) + ",\n" + bad + "\n]", encoding="utf-8")
    assert inspect_source(arr).errors == [f"{arr}:3: [1].messages[0].content: {what}"]


@pytest.mark.parametrize("content", ["[]", "  \n\n  \n", "[\n]\n"])
def test_a_source_with_no_records_says_so(tmp_path, capsys, content):
    path = tmp_path / ("e.json" if "[" in content else "e.jsonl")
    path.write_text(content, encoding="utf-8")
    code, out = inspect_cli(path, capsys)
    assert code == 1 and out.splitlines()[-1] == f"{path} holds no usable records"
    for stage, load in (("sft", lambda s: load_records(s, "chat")), ("dpo", load_pairs)):
        with pytest.raises(DataError) as caught:
            load(spec(path, stage))
        assert str(caught.value) == f"data.sources[0].path: {path} holds no usable records: it is empty"
        assert "features" not in describe(caught.value, "data") and SKIP_ADVICE not in describe(caught.value, "data")
        assert caught.value.advice == "add records to it, or remove it from data.sources"
    assert path.read_text(encoding="utf-8") == content  # nothing touched


def test_all_records_bad_under_skip_says_so_without_skip_advice(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('not json\n{"messages": 3}\n', encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_records(spec(path, skip=True), "chat")
    first = f"{path}:1: json: malformed JSON: Expecting value (column 1)"
    assert str(caught.value) == f"data.sources[0].path: {path} holds no usable records: all 2 are bad (first: {first})"
    line = describe(caught.value, "data")
    assert SKIP_ADVICE not in line and f"`studio data inspect {path}` lists each one" in line


def test_utf8_bom_on_line_one_is_accepted(tmp_path, capsys):
    for name, body in [
        ("b.jsonl", json.dumps(CHAT) + "\n" + json.dumps(CHAT) + "\n"),
        ("b.txt", "first\nsecond\n"),
        ("b.csv", "instruction,output\nq,a\n"),
    ]:
        path = tmp_path / name
        path.write_bytes(b"\xef\xbb\xbf" + body.encode())
        code, out = inspect_cli(path, capsys)
        assert code == 0 and ", 0 bad" in out, out
    assert [r["messages"][0]["content"] for r in iter_valid_records(tmp_path / "b.csv")] == ["q"]
    assert [r["text"] for r in iter_valid_records(tmp_path / "b.txt")] == ["first", "second"]


def _zst(tmp_path, name: str, n: int = 3000) -> tuple:
    data = b"".join(json.dumps({"text": f"record {i} " + str(i * 7919 % 10007) * 5}).encode() + b"\n" for i in range(n))
    blob = zstandard.ZstdCompressor(write_checksum=True).compress(data)
    return tmp_path / name, blob


def test_truncated_or_corrupt_zst_is_reported_as_such_and_stops_even_when_skipping(tmp_path, capsys):
    path, blob = _zst(tmp_path, "cut.jsonl.zst")
    path.write_bytes(blob[: len(blob) // 2])
    code, out = inspect_cli(path, capsys)
    truncated = f"{path}:1: file: is truncated: the zstd data ends inside a block at byte {len(blob) // 2:,}"
    assert code == 1 and out.splitlines()[1].startswith(truncated), out
    assert out.splitlines()[2] == f"{path} holds no usable records"
    assert "is empty" not in out and ": json:" not in out
    with pytest.raises(DataError) as caught:
        load_records(spec(path, "pt", skip=True), "text")  # skipping would hide the lost half: it stops
    assert str(caught.value).startswith(truncated) and caught.value.advice == DAMAGED_ADVICE
    # A block that does not decode, past the first ones: corrupt, with the line reading stopped after.
    path, blob = _zst(tmp_path, "bad.jsonl.zst", n=200_000)
    bad = bytearray(blob)
    for k in range(len(blob) * 3 // 4, len(blob) * 3 // 4 + 32):
        bad[k] ^= 0xA5
    path.write_bytes(bytes(bad))
    report = inspect_source(path)
    assert (
        report.errors[-1].startswith(f"{path}:")
        and ": file: is corrupt: reading stopped after line" in report.errors[-1]
    )
    assert "ZstdError" in report.errors[-1] and report.bad == 1 and report.records > 20_000, report.errors
    stopped = int(report.errors[-1].split("stopped after line ")[1].split(" ")[0].replace(",", ""))
    assert report.errors[-1].startswith(f"{path}:{stopped + 1}: file: is corrupt")
    with pytest.raises(DataError, match="file: is corrupt"):
        list(iter_valid_records(path, on_error="skip"))
    path.write_bytes(blob[:3])  # cut inside the frame header
    assert inspect_source(path).errors == [
        f"{path}:1: file: is truncated: it ends inside a zstd frame header at byte 3; re-create or re-download it"
    ]


@pytest.mark.parametrize("value, kind", [(5, "int"), ([1], "list"), ({"a": 1}, "dict"), (1.5, "float")])
def test_alpaca_input_of_the_wrong_type_is_a_bad_field(tmp_path, value, kind):
    path = tmp_path / "a.jsonl"
    lines(path, {"instruction": "q", "input": "x", "output": "a"}, {"instruction": "q", "input": value, "output": "a"})
    assert inspect_source(path).errors == [f"{path}:2: input: is a {kind}, not a string"]
    with pytest.raises(DataError, match=f"^{path}:2: input: is a {kind}, not a string$"):
        list(iter_valid_records(path))


def test_kto_label_null_says_null_and_what_is_expected(tmp_path, capsys):
    path = tmp_path / "k.jsonl"
    lines(path, {"prompt": "p", "completion": "c", "label": True}, {"prompt": "p", "completion": "c", "label": None})
    code, out = inspect_cli(path, capsys)
    assert code == 1 and out.splitlines()[-1] == f"{path}:2: label: is null; expected true or false (or 1 or 0)"


@pytest.mark.parametrize("stage", ["dpo", "kto"])
def test_unreadable_preference_sources_report_the_real_cause(tmp_path, stage):
    body = (json.dumps(PAIR) + "\n").encode()
    cases = {
        "u16.jsonl": (body.decode().encode("utf-16"), "file: is UTF-16 text (it starts with a UTF-16 byte-order mark)"),
        "u16nobom.jsonl": (body.decode().encode("utf-16-le"), "file: is UTF-16 text (a NUL byte beside every"),
        "gz.jsonl": (gzip.compress(body), "file: is gzip-compressed; decompress it (gunzip)"),
        "obj.json": (json.dumps(PAIR, indent=2).encode(), "file: holds one JSON object, not records"),
        "bad.jsonl.zst": (b"\x28\xb5\x2f\xfd" + b"garbage" * 9, "file: is corrupt"),
        "cut.jsonl.zst": (zstandard.ZstdCompressor().compress(body * 500)[:40], "file: is truncated"),
    }
    for name, (blob, cause) in cases.items():
        path = tmp_path / name
        path.write_bytes(blob)
        for skip in (False, True):
            with pytest.raises(DataError) as caught:
                load_pairs(spec(path, stage, skip=skip))
            assert str(caught.value).startswith(f"{path}:1: {cause}"), (name, str(caught.value))
            assert "'unknown'" not in str(caught.value) and caught.value.advice == DAMAGED_ADVICE
        assert path.read_bytes() == blob


def test_advice_fits_the_error(tmp_path):
    path = tmp_path / "c.jsonl"
    lines(path, CHAT, {"messages": 3})
    with pytest.raises(DataError) as caught:  # a bad record, skipping off: skipping is the right advice
        load_records(spec(path), "chat")
    assert describe(caught.value, "data").endswith(SKIP_ADVICE)
    one = tmp_path / "one.jsonl"
    lines(one, CHAT)
    with pytest.raises(DataError) as caught:  # a count of 1 out of 1 record leaves nothing to train on
        split_validation(load_records(spec(one, val=1), "chat"), spec(one, val=1))
    assert str(caught.value) == "data.val_size: 1 leaves no training record out of 1 record(s)"
    assert describe(caught.value, "data").endswith(
        "— add records (a validation split needs 2 at least), or set data.val_size: 0"
    )
    with pytest.raises(DataError) as caught:  # the wrong format for the stage
        load_pairs(spec(path, "dpo", skip=True))
    line = describe(caught.value, "data")
    assert str(caught.value) == (
        f"data.sources[0].format: {path} is 'messages' data; the dpo stage needs 'preference' (prompt, chosen, "
        "rejected) records"
    )
    assert SKIP_ADVICE not in line and line.endswith("or use this messages data with the sft stage (or pt, ppo, grpo)")
    with pytest.raises(DataError) as caught:  # a source that does not exist
        load_records(spec(tmp_path / "missing.jsonl"), "chat")
    assert describe(caught.value, "data") == (
        f"Data error: data.sources[0].path: {tmp_path / 'missing.jsonl'}: no such file or folder — check "
        "data.sources[].path: the file or folder must exist on every machine that trains"
    )


def _job(home, path, **data) -> dict:
    job = yaml.safe_load((ROOT / "presets/sft/tiny-lora.yaml").read_text(encoding="utf-8"))
    job["output"]["workspace"] = str(home)
    job["data"].update({"sources": [{"path": str(path)}], **data})
    return job


def test_preflight_runs_the_trainers_data_checks(tmp_path, studio_home, tiny_model):
    cpu = Hardware(gpu_count=0, cpu_count=2)
    pairs, chat, empty = tmp_path / "p.jsonl", tmp_path / "c.jsonl", tmp_path / "e.json"
    lines(pairs, PAIR)
    lines(chat, *[CHAT] * 3)
    empty.write_text("[]", encoding="utf-8")

    def data_checks(path, **data) -> dict:
        checks = pf.preflight(spec_from_dict(_job(studio_home, path, **data)), studio_home, cpu)
        return {c.name: c for c in checks if c.name.startswith("data")}

    wrong = data_checks(pairs, val_size=0)["data.sources[0]"]
    assert wrong.level == "fail" and wrong.message.startswith(
        f"data.sources[0].format: {pairs} is 'preference' data; the sft stage needs a chat format"
    )
    found = data_checks(empty, val_size=0)["data.sources[0]"]
    assert found.level == "fail" and found.message.startswith(
        f"data.sources[0].path: {empty} holds no usable records: it is empty — add records"
    )
    found = data_checks(chat, val_size=5)["data.val_size"]
    assert found.level == "fail" and found.message.startswith("data.val_size: 5 leaves no training record out of 3")
    found = data_checks(chat, val_size=0.5)
    assert found["data.val_size"].level == "ok" and found["data.val_size"].message.startswith("0.5 of 3 records")
    bad = tmp_path / "cut.jsonl.zst"
    bad.write_bytes(zstandard.ZstdCompressor().compress((json.dumps(CHAT) + "\n").encode() * 200)[:30])
    found = data_checks(bad, val_size=0, skip_bad_records=True)["data.sources[0]"]
    assert found.level == "fail" and f"{bad}:1: file: is truncated" in found.message and DAMAGED_ADVICE in found.message
    # The same pre-flight refuses `studio train` before any run is created (no registry row, no run folder).
    from backend.run.registry import Registry

    before = [r.id for r in Registry(studio_home).list()]
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump(_job(studio_home, chat, val_size=5)), encoding="utf-8")
    assert cli(["--home", str(studio_home), "train", str(job), "--detach"]) == 1
    assert [r.id for r in Registry(studio_home).list()] == before
