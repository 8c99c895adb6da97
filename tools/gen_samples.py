#!/usr/bin/env python3
"""Generate the project's small bundled sample datasets.

Everything written by this script is original text authored for this project
(hand-written paragraphs plus sentences/templates composed with a fixed random
seed).  It is released under the same licence as the project (Apache-2.0).

Usage:
    python tools/gen_samples.py            # writes data/samples/* and validates them
    python tools/gen_samples.py --out DIR  # write somewhere else
    python tools/gen_samples.py --check    # only validate the existing files

The prose and word pools live beside the samples, in data/samples/src/*.yaml
(read with the project's bounded YAML loader); the code that composes them is in
tools/samplegen/ (common helpers, English and Chinese pretraining text, SFT tasks,
conversations), and this file assembles the corpora, writes and validates them.
The output is byte-identical on every run (fixed seeds, no set/hash ordering,
sorted where it matters); tests/test_gen_samples.py regenerates into a
temporary folder and compares with the committed files.

Files produced:
    pretrain_zh_en.jsonl          {"text": ...}
    pretrain_title_content.jsonl  {"title": ..., "content": ...}
    sft_messages.jsonl            {"messages": [{"role", "content"}, ...]}
    sft_alpaca.json               [{"instruction", "input", "output", "system"?, "history"?}]
    sft_sharegpt.jsonl            {"conversations": [{"from", "value"}, ...]}
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys

SEED = 20240611
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "data", "samples")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # tools/: the samplegen package
from samplegen.common import MAX_CHARS, MIN_CHARS, SRC, LengthError, fit, pick, town_names  # noqa: E402
from samplegen.conversations import (  # noqa: E402
    build_conversations,
    stratified_subset,
    to_alpaca,
    to_messages,
    to_sharegpt,
)
from samplegen.pretrain_en import (  # noqa: E402
    en_animal,
    en_basketball,
    en_diary,
    en_fable,
    en_football,
    en_forecast,
    en_history,
    en_programming,
    en_race,
    en_recipe,
    en_school,
    en_science,
    en_season_note,
    en_town,
    en_travel,
)
from samplegen.pretrain_zh import (  # noqa: E402
    zh_animal,
    zh_basketball,
    zh_diary,
    zh_fable,
    zh_football,
    zh_forecast,
    zh_history,
    zh_programming,
    zh_race,
    zh_recipe,
    zh_school,
    zh_science,
    zh_season_note,
    zh_town,
    zh_travel,
)

# ---------------------------------------------------------------------------
# pretraining corpus assembly
# ---------------------------------------------------------------------------

EN_PLAN = [
    ("diary", 32),
    ("fable", 18),
    ("recipe", 14),
    ("town", 20),
    ("science", 16),
    ("animal", 16),
    ("history", 18),
    ("programming", 16),
    ("football", 9),
    ("basketball", 7),
    ("race", 4),
    ("forecast", 12),
    ("season", 4),
    ("school", 20),
    ("travel", 20),
]
ZH_PLAN = EN_PLAN


def build_pretrain(seed):
    rng = random.Random(seed)
    docs = []  # (lang, title, text)
    en_towns = town_names(rng, SRC.en_town_a, SRC.en_town_b, 120)
    zh_towns = town_names(rng, SRC.zh_town_a, SRC.zh_town_b, 120)
    en_town_iter = iter(en_towns)
    zh_town_iter = iter(zh_towns)

    def en_team():
        return f"{next(en_town_iter)} {pick(rng, SRC.en_team_suffix)}"

    def zh_team():
        return next(zh_town_iter) + pick(rng, SRC.zh_team_suffix)

    en_gen = {
        "diary": en_diary,
        "fable": en_fable,
        "recipe": en_recipe,
        "science": en_science,
        "animal": en_animal,
        "history": en_history,
        "programming": en_programming,
        "season": en_season_note,
        "school": en_school,
        "town": lambda r, i: en_town(r, i, next(en_town_iter)),
        "travel": lambda r, i: en_travel(r, i, next(en_town_iter)),
        "football": lambda r, i: en_football(r, en_team(), en_team()),
        "basketball": lambda r, i: en_basketball(r, en_team(), en_team()),
        "race": lambda r, i: en_race(r, next(en_town_iter)),
        "forecast": lambda r, i: en_forecast(r, next(en_town_iter)),
    }
    zh_gen = {
        "diary": zh_diary,
        "fable": zh_fable,
        "recipe": zh_recipe,
        "science": zh_science,
        "animal": zh_animal,
        "history": zh_history,
        "programming": zh_programming,
        "season": zh_season_note,
        "school": zh_school,
        "town": lambda r, i: zh_town(r, i, next(zh_town_iter)),
        "travel": lambda r, i: zh_travel(r, i, next(zh_town_iter)),
        "football": lambda r, i: zh_football(r, zh_team(), zh_team()),
        "basketball": lambda r, i: zh_basketball(r, zh_team(), zh_team()),
        "race": lambda r, i: zh_race(r, next(zh_town_iter) + "市"),
        "forecast": lambda r, i: zh_forecast(r, next(zh_town_iter) + "市"),
    }
    seen = set()
    for title, text in SRC.en_handwritten:
        docs.append(("en", title, fit([text], "en")))
    for title, text in SRC.zh_handwritten:
        docs.append(("zh", title, fit([text], "zh")))
    for lang, plan, gens in (("en", EN_PLAN, en_gen), ("zh", ZH_PLAN, zh_gen)):
        for kind, n in plan:
            i = 0
            made = 0
            while made < n:
                i += 1
                assert i < n * 20, (lang, kind)
                try:
                    title, text = gens[kind](rng, made)
                except LengthError:
                    continue  # draw another variant
                if text in seen:
                    continue
                seen.add(text)
                docs.append((lang, title, text))
                made += 1
    rng.shuffle(docs)
    return docs


# ---------------------------------------------------------------------------
# writers / validation
# ---------------------------------------------------------------------------


def write_jsonl(path, records):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def write_json(path, obj):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


def _nonempty_strings(obj):
    if isinstance(obj, str):
        assert obj.strip(), "empty string"
    elif isinstance(obj, dict):
        for v in obj.values():
            _nonempty_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            _nonempty_strings(v)


def validate_messages(rec):
    msgs = rec["messages"]
    roles = [m["role"] for m in msgs]
    if roles[0] == "system":
        roles = roles[1:]
    assert roles and len(roles) % 2 == 0, roles
    assert all(r == ("user" if k % 2 == 0 else "assistant") for k, r in enumerate(roles)), roles
    assert "system" not in roles
    _nonempty_strings(rec)


def validate_sharegpt(rec):
    froms = [m["from"] for m in rec["conversations"]]
    if froms[0] == "system":
        froms = froms[1:]
    assert froms and len(froms) % 2 == 0
    assert all(r == ("human" if k % 2 == 0 else "gpt") for k, r in enumerate(froms)), froms
    _nonempty_strings(rec)


def validate_alpaca(rec):
    assert set(rec) <= {"instruction", "input", "output", "system", "history"}
    assert rec["instruction"].strip() and rec["output"].strip()
    for q, a in rec.get("history", []):
        assert q.strip() and a.strip()
    if "system" in rec:
        assert rec["system"].strip()


def generate(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    docs = build_pretrain(SEED)
    for _lang, title, text in docs:
        assert MIN_CHARS <= len(text) <= MAX_CHARS, (title, len(text))
    write_jsonl(os.path.join(out_dir, "pretrain_zh_en.jsonl"), [{"text": t} for _, _, t in docs])

    trng = random.Random(SEED + 1)
    en_docs = [d for d in docs if d[0] == "en"]
    zh_docs = [d for d in docs if d[0] == "zh"]
    tc = trng.sample(en_docs, 50) + trng.sample(zh_docs, 50)
    trng.shuffle(tc)
    write_jsonl(
        os.path.join(out_dir, "pretrain_title_content.jsonl"),
        [{"title": title, "content": text} for _, title, text in tc],
    )

    convs = build_conversations(SEED + 2)
    msgs = [to_messages(c) for c in convs]
    for m in msgs:
        validate_messages(m)
    write_jsonl(os.path.join(out_dir, "sft_messages.jsonl"), msgs)

    alp = [to_alpaca(c) for c in stratified_subset(random.Random(SEED + 3), convs)]
    for r in alp:
        validate_alpaca(r)
    write_json(os.path.join(out_dir, "sft_alpaca.json"), alp)

    sg = [to_sharegpt(c) for c in stratified_subset(random.Random(SEED + 4), convs)]
    for r in sg:
        validate_sharegpt(r)
    write_jsonl(os.path.join(out_dir, "sft_sharegpt.jsonl"), sg)

    stats = {
        "pretrain_zh_en.jsonl": len(docs),
        "pretrain_title_content.jsonl": len(tc),
        "sft_messages.jsonl": len(msgs),
        "sft_alpaca.json": len(alp),
        "sft_sharegpt.jsonl": len(sg),
    }
    return stats


def _is_zh(text):
    """Language of a record = language of its first 40 characters (CJK or not)."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text[:40])


def check(out_dir):
    """Re-read every file from disk, validate its format and print a summary."""

    def jsonl(name):
        with open(os.path.join(out_dir, name), encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    rows = []
    pre = jsonl("pretrain_zh_en.jsonl")
    for r in pre:
        assert set(r) == {"text"} and MIN_CHARS <= len(r["text"]) <= MAX_CHARS
    assert len({r["text"] for r in pre}) == len(pre), "duplicate pretraining texts"
    rows.append(("pretrain_zh_en.jsonl", len(pre), sum(_is_zh(r["text"]) for r in pre), ""))

    tc = jsonl("pretrain_title_content.jsonl")
    for r in tc:
        assert set(r) == {"title", "content"} and r["title"].strip() and r["content"].strip()
    rows.append(("pretrain_title_content.jsonl", len(tc), sum(_is_zh(r["content"]) for r in tc), ""))

    msgs = jsonl("sft_messages.jsonl")
    for r in msgs:
        validate_messages(r)
        assert r["messages"][-1]["role"] == "assistant"
    users = [[m for m in r["messages"] if m["role"] == "user"] for r in msgs]
    rows.append(
        (
            "sft_messages.jsonl",
            len(msgs),
            sum(_is_zh(u[0]["content"].split("\n")[0]) for u in users),
            "system={} multi-turn={}".format(
                sum(r["messages"][0]["role"] == "system" for r in msgs), sum(len(u) > 1 for u in users)
            ),
        )
    )

    with open(os.path.join(out_dir, "sft_alpaca.json"), encoding="utf-8") as f:
        alp = json.load(f)
    assert isinstance(alp, list)
    for r in alp:
        validate_alpaca(r)
    rows.append(
        (
            "sft_alpaca.json",
            len(alp),
            sum(_is_zh(r["instruction"]) for r in alp),
            "system={} history={}".format(sum("system" in r for r in alp), sum("history" in r for r in alp)),
        )
    )

    sg = jsonl("sft_sharegpt.jsonl")
    for r in sg:
        validate_sharegpt(r)
    humans = [[m for m in r["conversations"] if m["from"] == "human"] for r in sg]
    rows.append(
        (
            "sft_sharegpt.jsonl",
            len(sg),
            sum(_is_zh(h[0]["value"].split("\n")[0]) for h in humans),
            "system={} multi-turn={}".format(
                sum(r["conversations"][0]["from"] == "system" for r in sg), sum(len(h) > 1 for h in humans)
            ),
        )
    )

    total = 0
    for name, n, n_zh, extra in rows:
        size = os.path.getsize(os.path.join(out_dir, name))
        total += size
        print(f"{name:<30} {n:4d} records (zh {n_zh:3d} / en {n - n_zh:3d}) {size / 1024:7.1f} KB  {extra}")
    print("{:<30} {:49.1f} KB".format("total", total / 1024))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory (default: data/samples)")
    ap.add_argument("--check", action="store_true", help="only validate existing files, do not regenerate")
    args = ap.parse_args(argv)
    if not args.check:
        generate(args.out)
    check(args.out)


if __name__ == "__main__":
    main()
