"""Cleaning: exact and near duplicates, quality filters with named reasons, byte-identical output, the CLI."""

from __future__ import annotations

import json
import unicodedata

import zstandard

from backend.data.clean import REASONS, clean
from backend.data.stream import iter_items
from tests.conftest import ROOT, run_cli

CORPUS = ROOT / "data" / "samples" / "pretrain_zh_en.jsonl"
TEXTS = [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines()]
EN = TEXTS[0]  # ~470 characters about ice, water and steam
ZH = TEXTS[4] + TEXTS[5]  # ~450 Chinese characters


def _write(path, records) -> list[bytes]:
    lines = [r if isinstance(r, bytes) else json.dumps(r, ensure_ascii=False).encode() for r in records]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return lines


def _dropped(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_exact_duplicates_after_normalisation(tmp_path):
    src = tmp_path / "a.jsonl"
    base = "The quick brown fox jumps over the lazy dog near the river bank."
    full_width = base.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})  # Ｔｈｅ ｑｕｉｃｋ…
    _write(src, [{"text": base}, {"text": base.upper()}, {"text": "  The quick\tbrown fox\n" + base[19:]},
                 {"text": full_width}, {"text": EN}])  # fmt: skip
    report = clean([src], tmp_path / "out.jsonl", tmp_path / "dropped.jsonl")
    assert report["records"] == 5 and report["kept"] == 2
    assert report["dropped"]["exact_duplicate"] == 3
    rows = _dropped(tmp_path / "dropped.jsonl")
    assert [r["source"] for r in rows] == [f"{src}:2", f"{src}:3", f"{src}:4"]
    assert {r["duplicate_of"] for r in rows} == {f"{src}:1"} and rows[2]["record"] == {"text": full_width}


def test_near_duplicates_zh_and_en(tmp_path):
    zh_near = ZH[:60] + "某" + ZH[61:300] + "某" + ZH[301:]  # two characters changed
    assert ZH[60] != "某" != ZH[300]
    en_near = EN.replace("kettle", "teapot")  # one word changed
    assert en_near != EN
    src = tmp_path / "near.jsonl"
    _write(src, [{"text": ZH}, {"text": EN}, {"text": zh_near}, {"text": TEXTS[6]}, {"text": en_near},
                 {"text": TEXTS[2]}])  # fmt: skip
    report = clean([src], tmp_path / "out.jsonl", tmp_path / "dropped.jsonl")
    assert report["dropped"]["near_duplicate"] == 2 and report["kept"] == 4
    rows = {r["source"]: r for r in _dropped(tmp_path / "dropped.jsonl")}
    assert rows[f"{src}:3"]["duplicate_of"] == f"{src}:1" and rows[f"{src}:3"]["reason"] == "near_duplicate"
    assert rows[f"{src}:5"]["duplicate_of"] == f"{src}:2"
    kept = [json.loads(line)["text"] for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert kept == [ZH, EN, TEXTS[6], TEXTS[2]]  # the genuinely different texts stay
    # --no-near-dup keeps them: only exact duplicates are looked for
    assert clean([src], tmp_path / "all.jsonl", near_dup=False)["kept"] == 6


def test_quality_filters_name_their_reason(tmp_path):
    src = tmp_path / "q.jsonl"
    _write(src, [
        {"text": "太短了"},
        {"text": "#### $$$$ %%%% @@@@ !!!! **** ^^^^ ~~~~ ++++ ===="},
        {"text": "哈" * 80},
        {"text": "Buy now! " * 30},
        {"text": "A line that somebody pasted twice.\n" * 4 + "And one more line."},
        {"text": EN},
    ])  # fmt: skip
    chat = tmp_path / "chat.jsonl"  # an answer that echoes its question is normal chat, not repetition
    _write(chat, [{"messages": [{"role": "user", "content": "“事半功倍”的反义词是什么？"},
                                {"role": "assistant", "content": "“事半功倍”的反义词是“事倍功半”。"}]}])  # fmt: skip
    report = clean([src, chat], tmp_path / "out.jsonl", tmp_path / "dropped.jsonl")
    reasons = [r["reason"] for r in _dropped(tmp_path / "dropped.jsonl")]
    assert reasons == ["too_short", "symbol_ratio", "repetition", "repetition", "repetition"]
    assert report["kept"] == 2 and report["dropped"] == {
        "exact_duplicate": 0, "near_duplicate": 0, "too_short": 1, "symbol_ratio": 1, "repetition": 3}  # fmt: skip


def test_output_is_byte_identical_and_readable(tmp_path):
    src = tmp_path / "raw.jsonl"
    odd = b'{"text":  "Spacing, key order and escapes \\u00e9 stay as written in the source." , "id": 7}'
    lines = _write(src, [odd, {"text": ZH, "meta": {"k": [1, 2]}}, {"text": ZH.upper()}, {"text": EN}])
    for name in ("out.jsonl", "out.jsonl.zst"):
        report = clean([src], tmp_path / name)
        assert report["kept"] == 3
        data = (tmp_path / name).read_bytes()
        if name.endswith(".zst"):
            data = zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True).read()
        assert data == b"\n".join([lines[0], lines[1], lines[3]]) + b"\n"
        assert [item.raw for item in iter_items(tmp_path / name)] == [lines[0], lines[1], lines[3]]


def test_bad_records_are_reported_not_fatal(tmp_path):
    src = tmp_path / "bad.jsonl"
    _write(src, [{"text": EN}, b"{not json", {"text": 3}, {"text": ZH}])
    report = clean([src, tmp_path / "missing.jsonl"], tmp_path / "out.jsonl")
    assert report["records"] == 2 and report["kept"] == 2 and report["bad"] == 3
    assert report["bad_records"][0].startswith(f"{src}:2: json")
    assert report["bad_records"][1].startswith(f"{src}:3: text")


def test_shipped_corpus_exact_duplicates(tmp_path):
    report = clean([CORPUS], tmp_path / "out.jsonl", near_dup=False)
    normalised = [" ".join(unicodedata.normalize("NFKC", t).split()).lower() for t in TEXTS]
    assert report["records"] == len(TEXTS)
    assert report["dropped"]["exact_duplicate"] == len(normalised) - len(set(normalised)) == 0


def test_cli_clean(tmp_path, studio_home):
    src = tmp_path / "c.jsonl"
    _write(src, [{"text": EN}, {"text": EN.upper()}, {"text": "短"}, {"text": ZH}])
    out, dropped = tmp_path / "kept.jsonl.zst", tmp_path / "dropped.jsonl"
    res = run_cli("data", "clean", str(src), "--out", str(out), "--dropped", str(dropped), "--min-chars", "10",
                  home=studio_home)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "4 records in, 2 kept, 2 dropped, 0 bad" in res.stdout
    counts = {line.split()[0]: int(line.split()[1]) for line in res.stdout.splitlines() if line.startswith("  ")}
    assert counts == dict.fromkeys(REASONS, 0) | {"exact_duplicate": 1, "too_short": 1}
    assert len(list(iter_items(out))) == 2 and len(_dropped(dropped)) == 2
