"""SFT conversation assembly: system prompts, multi-turn plans, and the messages/alpaca/sharegpt forms."""

from __future__ import annotations

import json
import random

from samplegen.common import SRC, pick
from samplegen.sft_tasks import FMT_FOLLOW, FMT_SINGLE, MATH_GENS, Deck, T, translation_turn, user_text

# ---------------------------------------------------------------------------
# conversation assembly
# ---------------------------------------------------------------------------


def lower_first(s):
    return s[:1].lower() + s[1:] if s[:1].isupper() and not s[:2].isupper() else s


class SFTBuilder:
    def __init__(self, rng):
        self.rng = rng
        self.decks = {}
        for lang in ("en", "zh"):
            self.decks[(lang, "fact")] = Deck(rng, SRC.en_facts if lang == "en" else SRC.zh_facts)
            self.decks[(lang, "greet")] = Deck(rng, SRC.en_greet if lang == "en" else SRC.zh_greet)
            self.decks[(lang, "advice")] = Deck(rng, SRC.en_advice if lang == "en" else SRC.zh_advice)
            self.decks[(lang, "rewrite")] = Deck(rng, SRC.en_rewrite if lang == "en" else SRC.zh_rewrite)
            self.decks[(lang, "pair")] = Deck(rng, SRC.parallel)
            self.decks[(lang, "math")] = Deck(rng, MATH_GENS)
            self.decks[(lang, "fmt")] = Deck(rng, FMT_SINGLE)
            self.decks[(lang, "fmtf")] = Deck(rng, FMT_FOLLOW)

    def d(self, lang, name):
        return self.decks[(lang, name)].draw()

    # single turns -----------------------------------------------------------
    def fact(self, lang):
        q, a = self.d(lang, "fact")
        return T(q, a, kind="fact")

    def greet(self, lang):
        q, a = self.d(lang, "greet")
        return T(q, a, kind="greet")

    def advice(self, lang):
        q, a = self.d(lang, "advice")
        return T(q, a, kind="advice")

    def rewrite(self, lang):
        ins, inp, out = self.d(lang, "rewrite")
        return T(ins, out, inp, kind="rewrite")

    def translate(self, lang):
        return translation_turn(self.rng, lang, self.d(lang, "pair"))

    def math(self, lang, followup=False):
        turns = self.d(lang, "math")(self.rng, lang, followup)
        if not followup and self.rng.random() < 0.3:
            t = turns[0]
            ins = SRC.tasks["word_problem"][lang]["q"]
            turns = [T(ins, t["output"], t["instruction"], kind="math")]
        return turns

    def fmt(self, lang, followup=False):
        gen = self.d(lang, "fmtf") if followup else self.d(lang, "fmt")
        return gen(self.rng, lang, followup)

    # conversations ------------------------------------------------------------
    def single(self, lang, kind):
        if kind in ("math", "fmt"):
            return getattr(self, kind)(lang)
        return [getattr(self, kind)(lang)]

    def multi(self, lang, kind):
        rng = self.rng
        if kind == "math":
            turns = self.math(lang, followup=True)
        elif kind == "fmt":
            turns = self.fmt(lang, followup=True)
        elif kind == "translate":
            t1 = self.translate(lang)
            en, zh = self.d(lang, "pair")
            src, dst = (t1["input"], t1["output"])
            second_src, second_out = (en, zh) if src.isascii() else (zh, en)
            del dst
            follow = pick(rng, SRC.follow_up[lang]["translate"])
            turns = [t1, T(follow, second_out, second_src, kind="translate")]
        elif kind == "greet":
            g = self.greet(lang)
            while g["instruction"] in SRC.closing_greetings:
                g = self.greet(lang)
            turns = [g, pick(rng, [self.fact, self.advice])(lang)]
        elif kind == "fact":
            t1, t2 = self.fact(lang), self.fact(lang)
            pre = pick(rng, SRC.more_q[lang])
            q2 = pre + (lower_first(t2["instruction"]) if pre.endswith("And ") else t2["instruction"])
            turns = [t1, T(q2, t2["output"], kind="fact")]
        elif kind == "rewrite":
            t1 = self.rewrite(lang)
            pool = SRC.en_rewrite if lang == "en" else SRC.zh_rewrite
            same = [r for r in pool if r[0] == t1["instruction"] and r[1] != t1["input"]]
            if same:
                ins, inp, out = pick(rng, same)
                follow = SRC.follow_up[lang]["rewrite"]
                turns = [t1, T(follow, out, inp, kind="rewrite")]
            else:
                turns = [t1, self.rewrite(lang)]
        else:
            raise ValueError(kind)
        if len(turns) == 2 and rng.random() < 0.35:
            q, a = pick(rng, SRC.thanks[lang])
            turns.append(T(q, a, kind="thanks"))
        return turns

    def system_for(self, lang, turns):
        kinds = [t["kind"] for t in turns]
        main = kinds[0]
        if main in SRC.system_kind[lang] and self.rng.random() < 0.6:
            return SRC.system_kind[lang][main]
        return pick(self.rng, SRC.system_generic[lang])


SINGLE_PLAN = [
    ("fact", 24),
    ("translate", 22),
    ("rewrite", 12),
    ("greet", 6),
    ("advice", 11),
    ("math", 22),
    ("fmt", 23),
]
MULTI_PLAN = [("math", 9), ("fmt", 6), ("translate", 4), ("greet", 3), ("fact", 5), ("rewrite", 3)]
SYSTEM_RATE = 0.30


def build_conversations(seed):
    rng = random.Random(seed)
    b = SFTBuilder(rng)
    convs = []
    seen = set()
    for lang in ("en", "zh"):
        for plan, multi in ((SINGLE_PLAN, False), (MULTI_PLAN, True)):
            for kind, n in plan:
                made = 0
                tries = 0
                while made < n:
                    tries += 1
                    assert tries < n * 50, (lang, kind)
                    turns = b.multi(lang, kind) if multi else b.single(lang, kind)
                    key = json.dumps([(t["instruction"], t["input"]) for t in turns], ensure_ascii=False)
                    if key in seen:
                        continue
                    seen.add(key)
                    convs.append({"lang": lang, "turns": turns, "system": None})
                    made += 1
    rng.shuffle(convs)
    # exactly SYSTEM_RATE of conversations (per language) get a system prompt
    for lang in ("en", "zh"):
        idx = [i for i, c in enumerate(convs) if c["lang"] == lang]
        for i in rng.sample(idx, round(len(idx) * SYSTEM_RATE)):
            convs[i]["system"] = b.system_for(lang, convs[i]["turns"])
    return convs


def to_messages(conv):
    msgs = []
    if conv["system"]:
        msgs.append({"role": "system", "content": conv["system"]})
    for t in conv["turns"]:
        msgs.append({"role": "user", "content": user_text(t, conv["lang"])})
        msgs.append({"role": "assistant", "content": t["output"]})
    return {"messages": msgs}


def to_alpaca(conv):
    last = conv["turns"][-1]
    rec = {"instruction": last["instruction"], "input": last["input"], "output": last["output"]}
    if conv["system"]:
        rec["system"] = conv["system"]
    if len(conv["turns"]) > 1:
        rec["history"] = [[user_text(t, conv["lang"]), t["output"]] for t in conv["turns"][:-1]]
    return rec


def to_sharegpt(conv):
    out = []
    if conv["system"]:
        out.append({"from": "system", "value": conv["system"]})
    for t in conv["turns"]:
        out.append({"from": "human", "value": user_text(t, conv["lang"])})
        out.append({"from": "gpt", "value": t["output"]})
    return {"conversations": out}


def stratified_subset(rng, convs, n_per_lang=50, multi_per_lang=12, system_min=12):
    """Pick a subset with balanced languages, some multi-turn and some system prompts."""
    picked = []
    for lang in ("en", "zh"):
        pool = [c for c in convs if c["lang"] == lang]
        multi = [c for c in pool if len(c["turns"]) > 1]
        single = [c for c in pool if len(c["turns"]) == 1]
        chosen = rng.sample(multi, multi_per_lang) + rng.sample(single, n_per_lang - multi_per_lang)
        have_sys = sum(1 for c in chosen if c["system"])
        if have_sys < system_min:
            extra = [c for c in single if c["system"] and c not in chosen]
            plain = [i for i, c in enumerate(chosen) if not c["system"] and len(c["turns"]) == 1]
            for c, i in zip(extra[: system_min - have_sys], plain, strict=False):
                chosen[i] = c
        picked += chosen
    rng.shuffle(picked)
    return picked
