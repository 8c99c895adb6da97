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
from samplegen import pretrain_en, pretrain_zh  # noqa: E402
from samplegen.common import MAX_CHARS, MIN_CHARS, SRC, LengthError, fill, fit, pick, pool, town_names  # noqa: E402
from samplegen.conversations import build_conversations, stratified_subset, to_alpaca, to_messages, to_sharegpt  # noqa: E402

# ---------------------------------------------------------------------------
# pretraining corpus assembly
# ---------------------------------------------------------------------------


class Places:
    """The fictional towns of one language, each used once: a town, a city (``city`` frame), a team (``team``)."""

    def __init__(self, rng, lang):
        self.rng, self.lang = rng, lang
        self.names = iter(town_names(rng, pool(lang, "town_a"), pool(lang, "town_b"), 120))

    def town(self):
        return next(self.names)

    def city(self):
        return fill(pool(self.lang, "frames")["city"], {"town": self.town()})

    def team(self):
        town = self.town()
        return fill(
            pool(self.lang, "frames")["team"], {"town": town, "suffix": pick(self.rng, pool(self.lang, "team_suffix"))}
        )


def build_pretrain(seed):
    """(lang, title, text) documents: the hand-written ones, then ``SRC.pretrain_plan`` documents of each kind per
    language from ``<lang>_<kind>(rng, i, places)``, no text twice, shuffled."""
    rng = random.Random(seed)
    places = {"en": Places(rng, "en"), "zh": Places(rng, "zh")}
    docs = [(lang, title, fit([text], lang)) for lang in ("en", "zh") for title, text in pool(lang, "handwritten")]
    seen = set()
    for lang, module in (("en", pretrain_en), ("zh", pretrain_zh)):
        for kind, n in SRC.pretrain_plan.items():
            generate_doc = getattr(module, f"{lang}_{kind}")
            made = tries = 0
            while made < n:
                tries += 1
                assert tries < n * 20, (lang, kind)
                try:
                    title, text = generate_doc(rng, made, places[lang])
                except LengthError:
                    continue  # draw another variant
                if text not in seen:
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
