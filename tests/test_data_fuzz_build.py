"""Fuzzing the whole data path: >= 3,000 generated cases through `studio data inspect` and the trainer's own
data build, for every format in every container the readers take.

Cases are generated deterministically (``random.Random(SEED)``): valid records of each format (alpaca,
sharegpt, OpenAI messages, text, preference, KTO, choice), then about half of them broken: a key dropped,
a value of the wrong type, JSON null, a lone surrogate, a role out of place, a record that is not an
object, or (in line-based files) a line of broken JSON, binary bytes or non-UTF-8 text. Many cases share a
file (one per format and container) and the test knows each case's line, so it checks that:

- the readers yield exactly one item per case, at that case's line (``file:line`` naming is exact);
- ``studio data inspect --json`` (in-process, ``STUDIO_DEBUG=1`` so a crash raises) lists every bad case
  as ``file:line: field: what`` and exits 1 exactly when a case is bad or none is usable;
- the stage's data build (``load_records`` for sft/pt, ``load_pairs`` for dpo/kto, ``read_records`` for
  choice evaluation) keeps every good case when skipping (the skip count and first error match inspect)
  and, without skipping, stops with inspect's first error word for word;
- a truncated ``.jsonl.zst`` of the same cases is one fatal "is truncated" problem, skipping or not.

A SIGALRM guard turns a hang into a failure.
"""

from __future__ import annotations

import csv
import io
import json
import random
import signal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from backend.data.build import load_records
from backend.data.formats import DataError
from backend.data.pairs import load_pairs
from backend.data.validate import iter_checked
from backend.eval.data import read_records
from backend.spec import JobSpec
from cli.__main__ import main as cli

SEED = 15
CASES = 100  # per file
WORDS = ["hi", "你好", "a\tb", 'say "x"', "back\\slash", "😀", "  padded  ", "é", "x" * 300, "line\nbreak"]
ODD = [None, 0, 1.5, True, [], {}, "", " ", "a\ud800b", [1, "x"], {"a": 1}, "nul\x00char", -1, "A", "true"]
LINE_JUNK = [b"{", b'{"a":', b"[1, 2", b"\xff\xfe\xfa", b"\x00\x00\x00", b"null", b'"x"', b"1e999", b"[" * 3000,
             b'{"text": "caf\xe9"}', b"}{", b"NaN", b'{"a": 1} trailing']  # fmt: skip
STAGES = {"alpaca": "sft", "sharegpt": "sft", "messages": "sft", "text": "pt", "preference": "dpo", "kto": "kto",
          "choice": "choice"}  # fmt: skip
FLAT = {"alpaca", "text", "preference", "kto", "choice"}  # formats whose records fit CSV and Parquet columns


def template(fmt: str, r: random.Random) -> dict:
    w = lambda: r.choice(WORDS)  # noqa: E731
    if fmt == "alpaca":
        return {"instruction": w(), "input": r.choice(["", w()]), "output": w()}
    if fmt == "sharegpt":
        return {"conversations": [{"from": "human", "value": w()}, {"from": "gpt", "value": w()}]}
    if fmt == "messages":
        return {"messages": [{"role": "user", "content": w()}, {"role": "assistant", "content": w()}]}
    if fmt == "text":
        return {"text": w()}
    if fmt == "preference":
        return {"prompt": w(), "chosen": "good " + w(), "rejected": "bad " + w()}
    if fmt == "kto":
        return {"prompt": w(), "completion": w(), "label": r.choice([True, False])}
    return {"question": w(), "A": w(), "B": w(), "C": w(), "answer": r.choice("ABC")}


def _containers(value, out: list) -> list:
    out.append(value)
    for child in value.values() if isinstance(value, dict) else value if isinstance(value, list) else ():
        if isinstance(child, (dict, list)):
            _containers(child, out)
    return out


def mutate(record: dict, r: random.Random, flat: bool):
    """The record broken in one way (or two); ``flat`` keeps it a dict of strings/None for CSV and Parquet."""
    for _ in range(r.choice([1, 1, 2])):
        if flat:
            key = r.choice(sorted(record))
            record[key] = r.choice([None, "", " ", r.choice(WORDS), "true", "Z", "1"])
            continue
        kind = r.random()
        if kind < 0.08:
            return r.choice([None, 1, "x", [], [record]])  # not an object
        target = r.choice(_containers(record, []))
        if isinstance(target, dict) and target:
            key = r.choice(sorted(target))
            if kind < 0.3:
                del target[key]
            elif kind < 0.4 and key in ("role", "from"):
                target[key] = r.choice(["assistant", "user", "system", "tool", "robot", None])
            else:
                target[key] = r.choice(ODD)
        elif isinstance(target, list) and target:
            i = r.randrange(len(target))
            target[i] = r.choice(ODD) if kind < 0.6 else target[i]
            if kind >= 0.6:
                target.reverse()
    return record


def generate(fmt: str, container: str, r: random.Random) -> list:
    """CASES cases: the first always valid (it sets the detected format), about half broken."""
    flat = container in ("csv", "parquet")
    cases = []
    for i in range(CASES):
        record = template(fmt, r)
        if i and r.random() < 0.5:
            if container in ("jsonl", "zst") and r.random() < 0.2:
                record = r.choice(LINE_JUNK)  # a raw line, not JSON of a record
            else:
                record = mutate(record, r, flat)
        cases.append(record)
    return cases


def write(path, container: str, cases: list, r: random.Random) -> tuple[bytes | None, list[int]]:
    """Write the cases; (the uncompressed bytes for zst, the line each case's item must carry)."""
    if container == "parquet":
        names = sorted({k for c in cases for k in c})
        types = {k: pa.bool_() if k == "label" else pa.string() for k in names}
        rows = [{k: _cell(c.get(k), types[k]) for k in names} for c in cases]
        pq.write_table(pa.Table.from_pylist(rows, schema=pa.schema(types)), path)
        return None, list(range(1, len(cases) + 1))
    if container == "csv":
        names = list(cases[0])
        buf, lines = io.StringIO(), []
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(names)
        for c in cases:
            lines.append(buf.getvalue().count("\n") + 1)
            writer.writerow(["" if c.get(k) is None else str(c.get(k)) for k in names])
        data = buf.getvalue().encode("utf-8", "surrogatepass")
        keep = [ln for ln, c in zip(lines, cases, strict=True) if any(str(c.get(k) or "").strip() for k in names)]
        path.write_bytes(data)
        return None, keep  # a row of blank cells is a blank line, not a record
    if container == "json":
        body = ",\n".join(json.dumps(c) for c in cases)
        path.write_text("[\n" + body + "\n]\n", encoding="utf-8")
        return None, list(range(2, len(cases) + 2))
    out, lines, line = [b"\xef\xbb\xbf"] if r.random() < 0.5 else [], [], 1
    for c in cases:
        while r.random() < 0.1:
            out.append(b"\n" if r.random() < 0.5 else b"   \n")  # blank lines are no records
            line += 1
        out.append((c if isinstance(c, bytes) else json.dumps(c).encode()) + b"\n")
        lines.append(line)
        line += 1
    data = b"".join(out)
    path.write_bytes(zstandard.ZstdCompressor().compress(data) if container == "zst" else data)
    return data, lines


def _cell(value, kind):
    if kind == pa.bool_():
        return value if isinstance(value, bool) else None
    return None if value is None else str(value)


class Events:
    def __init__(self):
        self.logs: list[tuple[str, dict]] = []

    def log(self, message: str, level: str = "info", **fields) -> None:
        self.logs.append((message, fields))


def build(path, fmt: str, skip: bool, events=None):
    """The stage's own data build: the number of examples it keeps (it raises DataError otherwise)."""
    stage = STAGES[fmt]
    if stage == "choice":
        return len(read_records(path, "choice"))
    data = {"sources": [{"path": str(path)}], "skip_bad_records": skip, "val_size": 0}
    spec = JobSpec.model_validate({"stage": stage, "model": {"name_or_path": "builtin:tiny-llama"}, "data": data})
    if stage in ("sft", "pt"):
        return len(load_records(spec, "chat" if stage == "sft" else "text", events))
    return len(load_pairs(spec, events)[0])


@pytest.fixture(autouse=True)
def _guards(tmp_path, monkeypatch):
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("STUDIO_DEBUG", "1")  # the CLI re-raises instead of printing one line: a crash fails

    def hang(*_):
        raise TimeoutError("the data path hung")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


CONTAINERS = [(f, c) for f in STAGES for c in ("jsonl", "json", "zst", "csv", "parquet") if c not in ("csv", "parquet")
              or f in FLAT]  # fmt: skip
SUFFIX = {"jsonl": ".jsonl", "json": ".json", "zst": ".jsonl.zst", "csv": ".csv", "parquet": ".parquet"}


def test_generated_cases_through_inspect_and_the_trainers_build(tmp_path, capsys):
    r = random.Random(SEED)
    total = bad_total = 0
    for fmt, container in CONTAINERS:
        cases = generate(fmt, container, r)
        path = tmp_path / f"{fmt}{SUFFIX[container]}"
        data, lines = write(path, container, cases, r)
        total += len(cases)

        items = [item for _, _, item in iter_checked(path)]
        assert [i.line for i in items] == lines, (path, [i.message() for i in items if not i.ok][:5])
        assert not any(i.fatal for i in items), path
        bad = [record is None for _, record, _ in iter_checked(path)]
        errors = [i.message() for i, b in zip(items, bad, strict=True) if b]
        for item, message in zip([i for i, b in zip(items, bad, strict=True) if b], errors, strict=True):
            assert message.startswith(f"{path}:{item.line}: ") and item.field, message
        good, bad_total = len(items) - len(errors), bad_total + len(errors)

        code = cli(["data", "inspect", str(path), "--json", "--max-errors", str(CASES)])
        report = json.loads(capsys.readouterr().out)
        assert (report["records"], report["bad_records"], report["errors"]) == (good, len(errors), errors)
        assert code == (1 if errors or not good else 0)

        events = Events()
        if good:
            kept = build(path, fmt, skip=True, events=events) if STAGES[fmt] != "choice" or not errors else None
            if kept is not None:
                assert kept == good, path
            if errors and STAGES[fmt] != "choice":
                (message, fields), *_ = [e for e in events.logs if "skipped" in e[1]]
                assert fields["skipped"] == len(errors) and message.endswith(f"(first: {errors[0]})"), message
        if errors:
            with pytest.raises(DataError) as caught:
                build(path, fmt, skip=False)
            assert str(caught.value) == errors[0], path

        if container == "zst":  # the same cases cut short: one fatal problem, never a bad last line
            cut = tmp_path / f"cut-{path.name}"
            blob = zstandard.ZstdCompressor().compress(data)
            cut.write_bytes(blob[: r.randrange(1, len(blob))])
            (item,) = [i for _, _, i in iter_checked(cut)]
            assert item.fatal and item.message().startswith(f"{cut}:1: file: is truncated"), item.message()
            with pytest.raises(DataError, match="file: is truncated"):
                build(cut, fmt, skip=True)
    print(f"fuzz: {total} cases, {bad_total} bad, {len(CONTAINERS)} files")
    assert total >= 3_000 and bad_total > 1_000, (total, bad_total)
