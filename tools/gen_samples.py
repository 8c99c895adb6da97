#!/usr/bin/env python3
"""Generate the project's small bundled sample datasets.

Everything written by this script is original text authored for this project
(hand-written paragraphs plus sentences/templates composed with a fixed random
seed).  It is released under the same licence as the project (Apache-2.0).

Usage:
    python tools/gen_samples.py            # writes data/samples/* and validates them
    python tools/gen_samples.py --out DIR  # write somewhere else
    python tools/gen_samples.py --check    # only validate the existing files

The prose lives beside the samples, in data/samples/src/*.yaml (read with the project's
bounded YAML loader): word pools, hand-written paragraphs, sentence frames and task templates
with {named} placeholders, and the plan of how many documents of each kind. The code only
draws, combines and fills them: tools/samplegen/ (common helpers, English and Chinese
pretraining paragraphs, SFT tasks, conversations); this file assembles the corpora, writes
and validates them. The output is byte-identical on every run (fixed seeds, no set/hash
ordering, sorted where it matters); tests/test_gen_samples.py regenerates into a temporary
folder and compares with the committed files.

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
try:  # importing samplegen reads data/samples/src/*.yaml
    from samplegen import pretrain_en, pretrain_zh
except ValueError as e:  # a src file that does not parse, or a pool defined twice: one line, no traceback
    sys.exit(f"gen_samples: {e}")
from samplegen.common import MAX_CHARS, MIN_CHARS, SRC, LengthError, fill, fit, pick, pool, town_names  # noqa: E402
from samplegen.conversations import (  # noqa: E402
    CHAT,
    build_conversations,
    stratified_subset,
    to_alpaca,
    to_messages,
    to_sharegpt,
)

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

FILES = [
    "pretrain_zh_en.jsonl",
    "pretrain_title_content.jsonl",
    "sft_messages.jsonl",
    "sft_alpaca.json",
    "sft_sharegpt.jsonl",
]


def write(path, records):
    """JSON Lines, or one indented JSON list for a ``.json`` file; UTF-8, newline-terminated lines."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        if path.endswith(".json"):
            f.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
        else:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _nonempty_strings(obj):
    if isinstance(obj, str):
        assert obj.strip(), "empty string"
    for v in obj.values() if isinstance(obj, dict) else obj if isinstance(obj, list) else ():
        _nonempty_strings(v)


def validate_chat(rec):
    """A messages or sharegpt record: an optional system turn, then user/assistant pairs; no empty string."""
    key = "messages" if "messages" in rec else "conversations"
    who, _, system, user, assistant = CHAT[key]
    roles = [m[who] for m in rec[key]]
    roles = roles[1:] if roles[0] == system else roles
    assert roles and roles == [user, assistant] * (len(roles) // 2), roles
    _nonempty_strings(rec)


def validate_alpaca(rec):
    assert set(rec) <= {"instruction", "input", "output", "system", "history"}
    assert rec["instruction"].strip() and rec["output"].strip()
    for q, a in rec.get("history", []):
        assert q.strip() and a.strip()
    if "system" in rec:
        assert rec["system"].strip()


def generate(out_dir):
    """Write the five generated files into ``out_dir`` (validated first); returns {file name: record count}."""
    os.makedirs(out_dir, exist_ok=True)
    docs = build_pretrain(SEED)
    for _lang, title, text in docs:
        assert MIN_CHARS <= len(text) <= MAX_CHARS, (title, len(text))
    trng = random.Random(SEED + 1)
    tc = trng.sample([d for d in docs if d[0] == "en"], 50) + trng.sample([d for d in docs if d[0] == "zh"], 50)
    trng.shuffle(tc)
    convs = build_conversations(SEED + 2)
    msgs = [to_messages(c) for c in convs]
    alp = [to_alpaca(c) for c in stratified_subset(random.Random(SEED + 3), convs)]
    sg = [to_sharegpt(c) for c in stratified_subset(random.Random(SEED + 4), convs)]
    for r in msgs + sg:
        validate_chat(r)
    for r in alp:
        validate_alpaca(r)
    records = [[{"text": t} for _, _, t in docs], [{"title": t, "content": c} for _, t, c in tc], msgs, alp, sg]
    for name, recs in zip(FILES, records, strict=True):
        write(os.path.join(out_dir, name), recs)
    return {name: len(recs) for name, recs in zip(FILES, records, strict=True)}


def _is_zh(text):
    """Language of a record = language of its first 40 characters (CJK or not)."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text[:40])


def _chat_summary(recs, key):
    """(records, Chinese ones by the first user line, "system=N multi-turn=M") of a messages/sharegpt file."""
    who, content, system, user, _ = CHAT[key]
    users = [[m for m in r[key] if m[who] == user] for r in recs]
    zh = sum(_is_zh(u[0][content].split("\n")[0]) for u in users)
    return (
        len(recs),
        zh,
        f"system={sum(r[key][0][who] == system for r in recs)} multi-turn={sum(len(u) > 1 for u in users)}",
    )


def check(out_dir):
    """Re-read every file from disk, validate its format and print a summary."""

    def read(name):
        with open(os.path.join(out_dir, name), encoding="utf-8") as f:
            return json.load(f) if name.endswith(".json") else [json.loads(line) for line in f]

    pre, tc, msgs, alp, sg = (read(name) for name in FILES)
    for r in pre:
        assert set(r) == {"text"} and MIN_CHARS <= len(r["text"]) <= MAX_CHARS
    assert len({r["text"] for r in pre}) == len(pre), "duplicate pretraining texts"
    for r in tc:
        assert set(r) == {"title", "content"} and r["title"].strip() and r["content"].strip()
    assert isinstance(alp, list)
    for r in msgs + sg:
        validate_chat(r)
    for r in alp:
        validate_alpaca(r)
    alp_extra = f"system={sum('system' in r for r in alp)} history={sum('history' in r for r in alp)}"
    rows = [
        (len(pre), sum(_is_zh(r["text"]) for r in pre), ""),
        (len(tc), sum(_is_zh(r["content"]) for r in tc), ""),
        _chat_summary(msgs, "messages"),
        (len(alp), sum(_is_zh(r["instruction"]) for r in alp), alp_extra),
        _chat_summary(sg, "conversations"),
    ]
    total = 0
    for name, (n, n_zh, extra) in zip(FILES, rows, strict=True):
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
    try:
        if not args.check:
            generate(args.out)
    except ValueError as e:  # a template naming a slot its generator does not fill
        sys.exit(f"gen_samples: {e}")
    check(args.out)


if __name__ == "__main__":
    main()
