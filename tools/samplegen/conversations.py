"""SFT conversation assembly: system prompts, multi-turn plans, and the messages/alpaca/sharegpt forms."""

from __future__ import annotations

import json
import random

from samplegen.common import SRC, fill, pick, pool
from samplegen.sft_tasks import FMT_FOLLOW, FMT_SINGLE, MATH_GENS, Deck, T, translation_turn

# The chat forms: record key -> (role key, text key, system, user, assistant role names)
CHAT = {
    "messages": ("role", "content", "system", "user", "assistant"),
    "conversations": ("from", "value", "system", "human", "gpt"),
}


def lower_first(s):
    return s[:1].lower() + s[1:] if s[:1].isupper() and not s[:2].isupper() else s


class SFTBuilder:
    """Draws the turns of conversations; every pool is a Deck per language (no repeat until it is used up)."""

    def __init__(self, rng):
        self.rng = rng
        self.decks = {}
        for lang in ("en", "zh"):
            for name, items in (
                ("fact", pool(lang, "facts")),
                ("greet", pool(lang, "greet")),
                ("advice", pool(lang, "advice")),
                ("rewrite", pool(lang, "rewrite")),
                ("pair", SRC.parallel),
                ("math", MATH_GENS),
                ("fmt", FMT_SINGLE),
                ("fmtf", FMT_FOLLOW),
            ):
                self.decks[lang, name] = Deck(rng, items)

    def d(self, lang, name):
        return self.decks[lang, name].draw()

    def turn(self, lang, kind):
        """One turn of kind fact, greet, advice, rewrite (instruction, input, output) or translate."""
        if kind == "translate":
            return translation_turn(self.rng, lang, self.d(lang, "pair"))
        if kind == "rewrite":
            ins, inp, out = self.d(lang, kind)
            return T(ins, out, inp, kind=kind)
        return T(*self.d(lang, kind), kind=kind)

    def task(self, lang, kind, followup):
        """The turns of a maths ("math") or formatting ("fmt") task; a one-turn maths problem is sometimes posed as
        the input of a "solve this" instruction."""
        turns = self.d(lang, "fmtf" if kind == "fmt" and followup else kind)(self.rng, lang, followup)
        if kind == "math" and not followup and self.rng.random() < 0.3:
            t = turns[0]
            turns = [T(SRC.tasks["word_problem"][lang]["q"], t["output"], t["instruction"], kind="math")]
        return turns

    def single(self, lang, kind):
        return self.task(lang, kind, False) if kind in ("math", "fmt") else [self.turn(lang, kind)]

    def multi(self, lang, kind):
        rng = self.rng
        if kind in ("math", "fmt"):
            turns = self.task(lang, kind, True)
        elif kind == "translate":  # a second sentence, translated the same way
            t1 = self.turn(lang, kind)
            en, zh = self.d(lang, "pair")
            src, out = (en, zh) if t1["input"].isascii() else (zh, en)
            turns = [t1, T(pick(rng, SRC.follow_up[lang]["translate"]), out, src, kind=kind)]
        elif kind == "greet":
            g = self.turn(lang, kind)
            while g["instruction"] in SRC.closing_greetings:
                g = self.turn(lang, kind)
            turns = [g, self.turn(lang, pick(rng, ["fact", "advice"]))]
        elif kind == "fact":
            t1, t2 = self.turn(lang, kind), self.turn(lang, kind)
            q2 = fill(pick(rng, SRC.more_q[lang]), {"Q": t2["instruction"], "q": lower_first(t2["instruction"])})
            turns = [t1, T(q2, t2["output"], kind=kind)]
        elif kind == "rewrite":  # the same instruction on another sentence, if the pool has one
            t1 = self.turn(lang, kind)
            same = [r for r in pool(lang, "rewrite") if r[0] == t1["instruction"] and r[1] != t1["input"]]
            if same:
                ins, inp, out = pick(rng, same)
                turns = [t1, T(SRC.follow_up[lang]["rewrite"], out, inp, kind=kind)]
            else:
                turns = [t1, self.turn(lang, kind)]
        else:
            raise ValueError(kind)
        if len(turns) == 2 and rng.random() < 0.35:
            q, a = pick(rng, SRC.thanks[lang])
            turns.append(T(q, a, kind="thanks"))
        return turns

    def system_for(self, lang, turns):
        main = turns[0]["kind"]
        if main in SRC.system_kind[lang] and self.rng.random() < 0.6:
            return SRC.system_kind[lang][main]
        return pick(self.rng, SRC.system_generic[lang])


def build_conversations(seed):
    """Conversations by ``SRC.sft_plan``, no (instruction, input) sequence twice, shuffled; then exactly
    ``system_rate`` of each language's get a system prompt."""
    rng = random.Random(seed)
    b = SFTBuilder(rng)
    convs = []
    seen = set()
    for lang in ("en", "zh"):
        for multi in (False, True):
            for kind, n in SRC.sft_plan["multi" if multi else "single"].items():
                made = tries = 0
                while made < n:
                    tries += 1
                    assert tries < n * 50, (lang, kind)
                    turns = b.multi(lang, kind) if multi else b.single(lang, kind)
                    key = json.dumps([(t["instruction"], t["input"]) for t in turns], ensure_ascii=False)
                    if key not in seen:
                        seen.add(key)
                        convs.append({"lang": lang, "turns": turns, "system": None})
                        made += 1
    rng.shuffle(convs)
    for lang in ("en", "zh"):
        idx = [i for i, c in enumerate(convs) if c["lang"] == lang]
        for i in rng.sample(idx, round(len(idx) * SRC.sft_plan["system_rate"])):
            convs[i]["system"] = b.system_for(lang, convs[i]["turns"])
    return convs


def user_text(turn):
    """The user message of a turn; instruction and input joined the way alpaca loaders join them."""
    return turn["instruction"] + "\n" + turn["input"] if turn["input"] else turn["instruction"]


def _chat(conv, key):
    who, text, system, user, assistant = CHAT[key]
    out = [{who: system, text: conv["system"]}] if conv["system"] else []
    for t in conv["turns"]:
        out += [{who: user, text: user_text(t)}, {who: assistant, text: t["output"]}]
    return {key: out}


def to_messages(conv):
    return _chat(conv, "messages")


def to_sharegpt(conv):
    return _chat(conv, "conversations")


def to_alpaca(conv):
    last = conv["turns"][-1]
    rec = {"instruction": last["instruction"], "input": last["input"], "output": last["output"]}
    if conv["system"]:
        rec["system"] = conv["system"]
    if len(conv["turns"]) > 1:
        rec["history"] = [[user_text(t), t["output"]] for t in conv["turns"][:-1]]
    return rec


def stratified_subset(rng, convs, n_per_lang=50, multi_per_lang=12, system_min=12):
    """Pick a subset with balanced languages, some multi-turn and some system prompts."""
    picked = []
    for lang in ("en", "zh"):
        mine = [c for c in convs if c["lang"] == lang]
        multi = [c for c in mine if len(c["turns"]) > 1]
        single = [c for c in mine if len(c["turns"]) == 1]
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
