#!/usr/bin/env python3
# ruff: noqa: E501  -- most long lines are hand-written natural-language sentences
"""Generate the project's small bundled sample datasets.

Everything written by this script is original text authored for this project
(hand-written paragraphs plus sentences/templates composed with a fixed random
seed).  It is released under the same licence as the project (Apache-2.0).

Usage:
    python tools/gen_samples.py            # writes data/samples/* and validates them
    python tools/gen_samples.py --out DIR  # write somewhere else
    python tools/gen_samples.py --check    # only validate the existing files

The prose and word pools live beside the samples, in data/samples/src/*.yaml
(read with the project's bounded YAML loader); this file holds only the code that
composes them.  The output is byte-identical on every run (fixed seeds, no set/hash
ordering, sorted where it matters); tests/test_gen_samples.py regenerates into a
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
import math
import os
import random
import sys
from types import SimpleNamespace

SEED = 20240611
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "data", "samples")
SRC_DIR = os.path.join(DEFAULT_OUT, "src")  # the prose and word pools, as YAML beside the samples

MIN_CHARS = 150
MAX_CHARS = 800


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def pick(rng, seq):
    return seq[rng.randrange(len(seq))]


def an(word):
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def cap(s):
    return s[:1].upper() + s[1:]


def ordinal(n):
    suf = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suf}"


def en_join(items):
    items = list(items)
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return "{} and {}".format(", ".join(items[:-1]), items[-1])


def zh_join(items):
    items = list(items)
    if len(items) == 1:
        return items[0]
    return "、".join(items[:-1]) + "和" + items[-1]


def fmt_int(n):
    return f"{n:,}"


ZH_DIGITS = "零一二三四五六七八九"


def zh_num(n):
    """Chinese numerals for 0..99 (used for dates and small counts)."""
    if n < 10:
        return ZH_DIGITS[n]
    tens, ones = divmod(n, 10)
    s = ("" if tens == 1 else ZH_DIGITS[tens]) + "十"
    return s + (ZH_DIGITS[ones] if ones else "")


def join_sents(sents, lang):
    return (" " if lang == "en" else "").join(s.strip() for s in sents if s.strip())


class LengthError(ValueError):
    pass


def fit(sents, lang, lo=MIN_CHARS, hi=MAX_CHARS, pad=(), drop=False):
    """Join sentences so that lo <= len(text) <= hi.

    Too short: insert sentences from ``pad`` (in order) just before the
    closing sentence.  Too long: if ``drop`` (for texts whose sentences are
    independent, e.g. diaries), drop sentences from the middle; otherwise
    raise LengthError so the caller draws a different variant.
    """
    sents = [s for s in sents if s]
    pad = [p for p in pad if p and p not in sents]
    text = join_sents(sents, lang)
    target = lo + (20 if lang == "en" else 60)  # Chinese is denser: aim a little longer
    while len(text) < target and pad:
        sents.insert(len(sents) - 1, pad.pop(0))
        text = join_sents(sents, lang)
    while drop and len(text) > hi and len(sents) > 3:
        del sents[len(sents) // 2]
        text = join_sents(sents, lang)
    if not (lo <= len(text) <= hi):
        raise LengthError(f"length {len(text)} out of range: %r")
    return text


# ---------------------------------------------------------------------------
# the pools: data/samples/src/*.yaml
# ---------------------------------------------------------------------------


def load_sources(src_dir=SRC_DIR):
    """Every pool in ``src_dir/*.yaml`` as one namespace: key ``en_fables`` becomes ``SRC.en_fables``.

    Files are read in name order with the project's bounded YAML loader; a key defined in two files is
    refused (one pool, one place).  Sequences load as lists (the generators only iterate, index and unpack them).
    """
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from backend.safe_yaml import read_yaml_file

    pools = {}
    for name in sorted(os.listdir(src_dir)):
        if not name.endswith(".yaml"):
            continue
        data = read_yaml_file(os.path.join(src_dir, name))
        if not isinstance(data, dict):
            raise ValueError(f"{name}: expected a mapping of pool name to pool, got {type(data).__name__}")
        for key, pool in data.items():
            if key in pools:
                raise ValueError(f"{name}: pool {key!r} is already defined in {pools[key][0]}")
            pools[key] = (name, pool)
    return SimpleNamespace(**{key: pool for key, (_, pool) in pools.items()})


SRC = load_sources()


def season_of(month):  # month: 1..12
    return [
        "winter",
        "winter",
        "spring",
        "spring",
        "spring",
        "summer",
        "summer",
        "summer",
        "autumn",
        "autumn",
        "autumn",
        "winter",
    ][month - 1]


def town_names(rng, parts_a, parts_b, n, sep=""):
    combos = [a + sep + b for a in parts_a for b in parts_b if a[-1:] != b[:1]]
    rng.shuffle(combos)
    return combos[:n]


# ---------------------------------------------------------------------------
# English pretraining text
# ---------------------------------------------------------------------------


def en_diary(rng, i):
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    wd = pick(rng, SRC.en_weekdays)
    friend = pick(rng, SRC.en_names)
    head = pick(
        rng,
        [
            f"{wd}, {day} {SRC.en_months[month - 1]}.",
            f"Diary entry for {wd}.",
            f"{SRC.en_months[month - 1]} {day}, late evening.",
        ],
    )
    shuffled = rng.sample(SRC.en_diary_events, len(SRC.en_diary_events))
    k = rng.choice([1, 2, 2, 3])
    events, spare = shuffled[:k], [e.format(friend=friend) for e in shuffled[k:]]
    sents = [head, pick(rng, SRC.en_diary_weather[season_of(month)]), pick(rng, SRC.en_diary_morning)]
    sents += events
    sents.append(pick(rng, SRC.en_diary_food).format(dish=pick(rng, SRC.en_dishes), friend=friend))
    sents.append(pick(rng, SRC.en_diary_end))
    sents = [s.format(friend=friend) for s in sents]
    title = f"Diary, {wd} {day} {SRC.en_months[month - 1]}"
    return title, fit(sents, "en", pad=spare, drop=True)


# --- fables ----------------------------------------------------------------


def _fable_slots(rng, fable, place, season, food):
    slots = {"place": place, "Place": cap(place), "season": season, "food": food}
    for key in ("a", "b", "c"):
        if key in fable:
            name = pick(rng, fable[key])
            slots[key] = name
            slots[key.upper()] = " ".join(cap(w) for w in name.split())
            slots[key + "a"] = an(name)  # {aa}, {ba}, {ca}: with article
            slots[key.upper() + "a"] = cap(an(name))  # {Aa}, {Ba}, {Ca}
    return slots


def en_fable(rng, i):
    fable = SRC.en_fables[i % len(SRC.en_fables)]
    slots = _fable_slots(
        rng,
        fable,
        pick(rng, SRC.en_places),
        pick(rng, ["spring", "summer", "autumn", "winter"]),
        pick(rng, SRC.en_foods),
    )
    sents = [pick(rng, stage).format(**slots) for stage in fable["stages"]]
    sents.append(pick(rng, SRC.en_moral_prefix) + pick(rng, fable["morals"]))
    return fable["title"].format(**slots), fit(sents, "en")


# --- recipes -----------------------------------------------------------------


def en_recipe(rng, i):
    dish, ingr, steps, tips = SRC.en_recipes[i % len(SRC.en_recipes)]
    sents = [pick(rng, SRC.en_recipe_intro).format(dish=dish, Dish=cap(dish)), f"You will need {ingr}."]
    if rng.random() < 0.5:
        for j, s in enumerate(steps):
            link = (
                SRC.en_step_link[0]
                if j == 0
                else (SRC.en_step_link[-1] if j == len(steps) - 1 else SRC.en_step_link[min(j, 3)])
            )
            sents.append(link + s[0].lower() + s[1:])
    else:
        sents += steps
    tip = pick(rng, tips)
    prefix = pick(rng, ["Tip: ", "A useful tip: ", "One thing to remember: ", ""])
    sents.append(prefix + (tip if prefix in ("", "Tip: ") else tip[0].lower() + tip[1:]))
    sents.append(pick(rng, SRC.en_recipe_end))
    return f"How to make {dish}", fit(sents, "en")


# --- fictional towns (encyclopedic) ------------------------------------------


def en_town(rng, i, name):
    pop = rng.choice([rng.randint(3, 40) * 1000 + rng.randint(0, 9) * 100, rng.randint(40, 400) * 1000])
    kind = pick(rng, SRC.en_town_kind)
    sents = [
        "{} is {} on the {} bank of the River {}, about {} kilometres {} of the regional capital.".format(
            name,
            an(kind),
            pick(rng, ["north", "south", "east", "west"]),
            pick(rng, SRC.en_rivers),
            rng.randint(12, 140),
            pick(rng, ["north", "south", "east", "west", "north-east", "south-west"]),
        ),
        f"It has a population of around {fmt_int(pop)}.",
    ]
    for s in rng.sample(SRC.en_town_history, 2):
        sents.append(
            s.format(
                fire=rng.randint(1650, 1850),
                rail=rng.randint(1840, 1895),
                charter=rng.randint(1190, 1480),
                meaning=pick(rng, SRC.en_town_meaning),
            )
        )
    sents.append(f"Its best-known landmark is {pick(rng, SRC.en_town_landmark)}.")
    sents.append(f"Today the local economy is based on {pick(rng, SRC.en_town_econ)}.")
    if rng.random() < 0.7:
        sents.append(f"Every {pick(rng, SRC.en_months)} the town holds {pick(rng, SRC.en_town_festival)}.")
    sents.append(pick(rng, SRC.en_town_climate))
    if rng.random() < 0.6:
        sents.append(pick(rng, SRC.en_town_transport))
    return name, fit(sents, "en", drop=True)


# --- science basics ----------------------------------------------------------
# (title, question, sentences, closing)


def en_science(rng, i):
    title, q, facts, close = SRC.en_science[i % len(SRC.en_science)]
    opener = pick(rng, SRC.en_sci_open)
    if opener.startswith("It is a question"):
        opener = f"It is a question children often ask: {cap(q)}?"
    elif opener:
        opener = opener.format(q=q)
    k = rng.randint(max(3, len(facts) - 2), len(facts))
    keep = [0] + sorted(rng.sample(range(1, len(facts)), k - 1))  # the defining sentence always stays
    sents = [opener] + [facts[j] for j in keep]
    if rng.random() < 0.7:
        sents.append(close)
    return title, fit(sents, "en")


# --- animals -----------------------------------------------------------------


def en_animal(rng, i):
    title, lead, facts = SRC.en_animals[i % len(SRC.en_animals)]
    k = rng.randint(3, len(facts))
    chosen = rng.sample(facts, k)
    sents = [lead] + chosen + [pick(rng, SRC.en_animal_close)]
    return title, fit(sents, "en")


# --- history-flavoured fiction ----------------------------------------------


def en_history(rng, i):
    name = pick(rng, SRC.en_hist_names)
    plot = SRC.en_hist_plots[i % len(SRC.en_hist_plots)]
    opener = pick(rng, SRC.en_hist_open).format(
        n=ordinal(rng.randint(3, 40)),
        queen=pick(rng, SRC.en_queens),
        city=pick(rng, SRC.en_hist_cities),
        role=pick(rng, SRC.en_hist_roles),
        name=name,
        trait=pick(rng, SRC.en_hist_traits),
    )
    sents = [opener] + [s.format(name=name) for s in plot] + [pick(rng, SRC.en_hist_end).format(name=name)]
    return f"A tale of {name}", fit(sents, "en")


# --- programming ---------------------------------------------------------------


def en_programming(rng, i):
    title, q, facts = SRC.en_prog[i % len(SRC.en_prog)]
    opener = pick(rng, SRC.en_prog_open)
    if opener.startswith("Beginners"):
        opener = f"Beginners often want to know {q}."
    elif opener:
        opener = opener.format(q=q)
    k = rng.randint(4, len(facts))
    keep = [0] + sorted(rng.sample(range(1, len(facts)), k - 1))
    sents = [opener] + [facts[j] for j in keep]
    return f"Programming basics: {title}", fit(sents, "en")


# --- sports reports (numbers are generated, text is consistent with them) -------


def _goal_list(rng, n, team_names):
    mins = sorted(rng.sample(range(2, 91), n))
    return [(m, pick(rng, team_names)) for m in mins]


def en_football(rng, home, away):
    hs, as_ = rng.choice([(2, 1), (1, 0), (3, 1), (0, 0), (1, 1), (2, 2), (0, 2), (1, 3), (4, 2), (3, 0)])
    crowd = rng.randint(18, 240) * 50
    ground = f"{home.split()[0]} Park"
    day = pick(rng, ["Saturday", "Sunday", "Tuesday evening", "Wednesday night"])
    if hs > as_:
        first = f"{home} beat {away} {hs}-{as_} at {ground} on {day} in front of a crowd of about {fmt_int(crowd)}."
    elif hs < as_:
        first = f"{away} won {as_}-{hs} away at {home} on {day}, silencing a crowd of about {fmt_int(crowd)}."
    else:
        first = f"{home} and {away} shared the points in a {hs}-{as_} draw at {ground} on {day}, watched by about {fmt_int(crowd)} fans."
    sents = [first, pick(rng, SRC.en_football_colour)]
    for team, n in ((home, hs), (away, as_)):
        if n == 0:
            continue
        goals = _goal_list(rng, n, rng.sample(SRC.en_surnames, 2))
        by = {}
        for m, who in goals:
            by.setdefault(who, []).append(m)
        if n == 1:
            who, m = goals[0][1], goals[0][0]
            sents.append(f"The only goal for {team} came from {who} in the {ordinal(m)} minute.")
        elif len(by) == 1:
            who, mins = next(iter(by.items()))
            feat = "scored twice" if n == 2 else "completed a hat-trick" if n == 3 else f"scored all {n}"
            sents.append(f"For {team}, {who} {feat}, in the {en_join(ordinal(m) for m in mins)} minutes.")
        else:
            parts = ["{} ({})".format(who, ", ".join(f"{m}'" for m in mins)) for who, mins in by.items()]
            sents.append(f"For {team}, the goals came from {en_join(parts)}.")
    ev = rng.sample(SRC.en_football_events, len(SRC.en_football_events))
    sents.append(ev[0].format(p=pick(rng, SRC.en_surnames)))
    spare = [e.format(p=pick(rng, SRC.en_surnames)) for e in ev[1:]]
    if hs == as_ == 0:
        sents.append(
            f"Both goalkeepers were excellent, and the best chance fell to {pick(rng, SRC.en_surnames)}, whose header struck the crossbar late on."
        )
    if hs != as_:
        winner = home if hs > as_ else away
        sents.append(
            pick(
                rng,
                [
                    f'"We stayed patient and took our chances," said the {winner} coach afterwards.',
                    f'The {winner} coach praised the players\' energy, saying the team had "run for each other".',
                ],
            )
        )
        sents.append(
            f"The result lifts {winner} to {ordinal(rng.randint(1, 8))} place in the table with {rng.randint(14, 40)} points."
        )
    else:
        sents.append(
            pick(
                rng,
                [
                    "Both coaches agreed afterwards that a draw was a fair result.",
                    "Neither side will be fully satisfied with a point, but both remain in the top half of the table.",
                ],
            )
        )
    return f"{home} {hs}-{as_} {away}", fit(sents, "en", pad=spare)


def en_basketball(rng, home, away):
    while True:
        hq = [rng.randint(16, 31) for _ in range(4)]
        aq = [rng.randint(16, 31) for _ in range(4)]
        if sum(hq) != sum(aq):
            break
    ht, at = sum(hq), sum(aq)
    h_half, a_half = hq[0] + hq[1], aq[0] + aq[1]
    win, lose = (home, away) if ht > at else (away, home)
    ws, ls = max(ht, at), min(ht, at)
    sents = [f"{win} defeated {lose} {ws}-{ls} in a basketball game played on {pick(rng, SRC.en_weekdays)} evening."]
    if h_half == a_half:
        sents.append(f"The teams were level at {h_half}-{a_half} at half-time.")
    else:
        lead_team = home if h_half > a_half else away
        diff = abs(h_half - a_half)
        if lead_team == win:
            sents.append(
                f"{win} led by {diff} points at half-time, {max(h_half, a_half)}-{min(h_half, a_half)}, and never looked like losing their grip."
            )
        else:
            sents.append(
                f"{win} trailed by {diff} points at half-time, {min(h_half, a_half)}-{max(h_half, a_half)}, but came storming back after the break."
            )
    q = [("home" if hq[k] > aq[k] else "away" if aq[k] > hq[k] else "tie", k) for k in range(4)]
    best = max(range(4), key=lambda k: abs(hq[k] - aq[k]))
    if hq[best] != aq[best]:
        team = home if hq[best] > aq[best] else away
        sents.append(
            "The decisive spell came in the {} quarter, which {} won {}-{}.".format(
                ["first", "second", "third", "fourth"][best], team, max(hq[best], aq[best]), min(hq[best], aq[best])
            )
        )
    pts = rng.randint(18, 34)
    sents.append(
        f"{pick(rng, SRC.en_surnames)} was the top scorer with {pts} points, and {pick(rng, SRC.en_surnames)} added {rng.randint(8, 15)} rebounds."
    )
    sents.append(
        "The quarter scores were {} for {} and {} for {}.".format(
            ", ".join(str(x) for x in hq), home, ", ".join(str(x) for x in aq), away
        )
    )
    del q
    return f"{home} {ht}-{at} {away} (basketball)", fit(sents, "en")


def en_race(rng, town):
    n = rng.randint(300, 2400)
    base = rng.randint(29 * 60, 34 * 60)
    gap = rng.randint(3, 48)
    third_gap = gap + rng.randint(2, 40)
    w, r2, r3 = rng.sample(SRC.en_surnames, 3)
    fem = base + rng.randint(150, 300)

    def mmss(t):
        return "{}:{:02d}".format(*divmod(t, 60))

    sents = [
        "More than {} runners took part in the {} 10K on {} morning.".format(
            fmt_int(n - n % 50), town, pick(rng, ["Saturday", "Sunday"])
        ),
        pick(
            rng,
            [
                "The course followed the river for most of its length before a short climb to the finish.",
                "Conditions were cool and still, ideal for fast times.",
                "A stiff headwind on the return leg made the second half of the race hard work.",
            ],
        ),
        f"{w} won the men's race in {mmss(base)}, finishing {gap} seconds ahead of {r2}, with {r3} third in {mmss(base + third_gap)}.",
        f"The women's race was won by {pick(rng, SRC.en_surnames)} in {mmss(fem)}.",
        pick(
            rng,
            [
                "Many runners raised money for the local hospice along the way.",
                "The youngest finisher was twelve and the oldest was eighty-one.",
                "Volunteers handed out water and oranges at the halfway point.",
            ],
        ),
    ]
    return f"{town} 10K results", fit(sents, "en")


# --- weather forecasts & seasons ------------------------------------------------


def en_forecast(rng, city):
    month = rng.randint(1, 12)
    season = season_of(month)
    lo_t, hi_t = SRC.en_temps[season]
    sents = [
        f"Here is the weather forecast for {city} for the coming three days, issued on {rng.randint(1, 28)} {SRC.en_months[month - 1]}."
    ]
    last_kind = None
    days = ["Today", "Tomorrow", pick(rng, SRC.en_weekdays)]
    for d in days:
        cond, kind = pick(rng, SRC.en_conditions[season])
        hi = rng.randint(lo_t + 5, hi_t)
        if kind == "hot":
            hi = max(hi, 28)
        elif kind == "cold":
            hi = min(hi, 2)
        lo = hi - rng.randint(4, 11)
        wind = rng.randint(5, 45)
        sents.append(f"{d}: {cap(cond)}, with a high of {hi}°C and a low of {lo}°C; winds around {wind} km/h.")
        last_kind = last_kind or kind
    sents.append(SRC.en_wx_advice[last_kind])
    if rng.random() < 0.5:
        sents.append(
            pick(
                rng,
                [
                    "Further ahead, conditions look settled.",
                    "Forecasters say the outlook beyond that is uncertain.",
                    "A change in the weather is expected early next week.",
                ],
            )
        )
    return f"{city} weather forecast", fit(sents, "en")


def en_season_note(rng, i):
    season = ["spring", "summer", "autumn", "winter"][i % 4]
    pool = SRC.en_season_notes[season]
    sents = [pool[0]] + rng.sample(pool[1:], len(pool) - 1)
    return f"Notes on {season}", fit(sents, "en")


# --- school --------------------------------------------------------------------


def en_school(rng, i):
    subs = list(SRC.en_subjects)
    s1, s2 = rng.sample(subs, 2)
    teacher = pick(rng, SRC.en_teachers)
    friend = pick(rng, SRC.en_names)
    sents = [
        pick(
            rng,
            [
                "Today was a busy day at school.",
                "School felt shorter than usual today.",
                "We started the day with a surprise assembly.",
                f"My favourite lesson today was {s1}.",
                "I was nearly late this morning because the bus broke down.",
                "It was the first sunny day in weeks, and nobody wanted to be indoors.",
                "We had a supply teacher for registration, who mispronounced everyone's name.",
                "Today felt like two days squeezed into one.",
            ],
        ),
        f"In {s1} with {teacher}, {pick(rng, SRC.en_subjects[s1])}.",
        f"Later, in {s2}, {pick(rng, SRC.en_subjects[s2])}.",
    ]
    extra = [x.format(friend=friend) for x in rng.sample(SRC.en_school_extra, len(SRC.en_school_extra))]
    k = rng.randint(1, 2)
    sents += extra[:k]
    sents.append(pick(rng, SRC.en_school_end).format(teacher=teacher))
    return f"A school day: {s1} and {s2}", fit(sents, "en", pad=extra[k:], drop=True)


# --- travel ----------------------------------------------------------------------


def _travel_acts(rng, acts, tags):
    ok = [a for a, need in acts if not need or set(need.split()) & set(tags.split())]
    return rng.sample(ok, len(ok))


def en_travel(rng, i, town):
    kind, tags = pick(rng, SRC.en_travel_kind)
    place = f"{town}, {kind}"
    acts = _travel_acts(rng, SRC.en_travel_do, tags)
    k = rng.randint(2, 3)
    foods = [f for f in SRC.en_travel_food if "water" in tags or "by the water" not in f]
    arrive = [
        a for a in SRC.en_travel_arrive if "island" not in kind or not any(w in a for w in ("train", "bus", "drove"))
    ]
    sents = [pick(rng, arrive).format(place=place), pick(rng, SRC.en_travel_stay)]
    sents += acts[:k]
    sents.append(pick(rng, foods))
    sents.append(pick(rng, SRC.en_travel_end))
    return f"Travel notes: {town}", fit(sents, "en", pad=acts[k:], drop=True)


# ---------------------------------------------------------------------------
# Chinese pretraining text
# ---------------------------------------------------------------------------


def zh_diary(rng, i):
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    wd = pick(rng, SRC.zh_weekdays)
    friend = pick(rng, SRC.zh_names)
    wword, wsent = pick(rng, SRC.zh_diary_weather[season_of(month)])
    head = f"{month}月{day}日，星期{wd}，{wword}。"
    sents = [head, wsent, pick(rng, SRC.zh_diary_morning)]
    shuffled = rng.sample(SRC.zh_diary_events, len(SRC.zh_diary_events))
    k = rng.choice([2, 2, 3])
    sents += shuffled[:k]
    spare = [e.format(friend=friend) for e in shuffled[k:]]
    sents.append(pick(rng, SRC.zh_diary_food).format(dish=pick(rng, SRC.zh_dishes), friend=friend))
    sents.append(pick(rng, SRC.zh_diary_end))
    sents = [s.format(friend=friend) for s in sents]
    return f"日记：{month}月{day}日", fit(sents, "zh", pad=spare, drop=True)


# --- fables ------------------------------------------------------------------


def zh_fable(rng, i):
    fable = SRC.zh_fables[i % len(SRC.zh_fables)]
    slots = {
        "place": pick(rng, SRC.zh_places),
        "season": pick(rng, ["春天", "夏天", "秋天", "冬天"]),
        "food": pick(rng, SRC.zh_foods),
    }
    used = []
    for key in ("a", "b", "c"):
        if key in fable:
            choices = [x for x in fable[key] if x[0] not in used]
            name, cl = pick(rng, choices)
            used.append(name)
            slots[key] = name
            slots[key.upper() + "1"] = "一" + cl
    sents = [pick(rng, stage).format(**slots) for stage in fable["stages"]]
    sents.append(pick(rng, SRC.zh_moral_prefix) + pick(rng, fable["morals"]))
    return fable["title"].format(**slots), fit(sents, "zh")


# --- recipes -----------------------------------------------------------------


def zh_recipe(rng, i):
    dish, ingr, steps, tips = SRC.zh_recipes[i % len(SRC.zh_recipes)]
    sents = [pick(rng, SRC.zh_recipe_intro).format(dish=dish), f"准备材料：{ingr}。"]
    if rng.random() < 0.5:
        for j, s in enumerate(steps):
            if j == 0:
                link = "首先，"
            elif j == len(steps) - 1:
                link = "最后，"
            else:
                link = ["接着，", "然后，", "随后，"][(j - 1) % 3]
            sents.append(link + s)
    else:
        sents += ["{}{}".format("①②③④⑤⑥⑦"[j], s) for j, s in enumerate(steps)]
    sents.append("小贴士：" + pick(rng, tips))
    sents.append(pick(rng, SRC.zh_recipe_end))
    return f"{dish}的做法", fit(sents, "zh")


# --- fictional towns -----------------------------------------------------------


def zh_town(rng, i, base):
    suffix = pick(rng, ["镇", "市", "县"])
    name = base + suffix
    kind = pick(rng, SRC.zh_town_kind[suffix])
    if suffix == "镇":
        pop = f"全镇常住人口约{rng.randint(8, 60) * 1000 + rng.randint(0, 9) * 100}人。"
    elif suffix == "县":
        pop = f"全县人口约{rng.randint(18, 75)}万。"
    else:
        pop = f"全市常住人口约{rng.randint(40, 260)}万。"
    sents = [
        "{}位于{}{}岸，是{}{}，距省城约{}公里。".format(
            name,
            pick(rng, SRC.zh_rivers),
            pick(rng, ["东", "西", "南", "北"]),
            "一个" if suffix == "县" else "一座",
            kind,
            rng.randint(20, 300),
        ),
        pop,
    ]
    hist = [h.format(rail=rng.randint(1905, 1995)) for h in rng.sample(SRC.zh_town_history, len(SRC.zh_town_history))]
    sents += hist[:2]
    sents.append(f"这里最有名的景点是{pick(rng, SRC.zh_town_landmark)}。")
    sents.append(f"如今，当地经济以{pick(rng, SRC.zh_town_econ)}为主。")
    if rng.random() < 0.6:
        sents.append(f"当地的特色小吃有{pick(rng, SRC.zh_town_snack)}，常有游客专程来品尝。")
    if rng.random() < 0.6:
        m, fest = pick(rng, SRC.zh_town_festival)
        sents.append(f"每年农历{m}月，这里都会举办{fest}，热闹非凡。")
    sents.append(name + pick(rng, SRC.zh_town_climate))
    transport = [t for t in SRC.zh_town_transport if suffix == "镇" or "镇上" not in t]
    tr = pick(rng, transport)
    if rng.random() < 0.5:
        sents.append(tr)
        tr = None
    return name, fit(sents, "zh", pad=[tr] + hist[2:3] if tr else hist[2:3])


# --- science basics ----------------------------------------------------------


def zh_science(rng, i):
    title, q, facts, close = SRC.zh_science[i % len(SRC.zh_science)]
    opener = pick(rng, SRC.zh_sci_open)
    opener = opener.format(q=q) if opener else ""
    # each topic appears once, so keep every sentence (Chinese text is denser)
    sents = [opener] + list(facts) + [close]
    return title, fit(sents, "zh")


# --- animals -------------------------------------------------------------------


def zh_animal(rng, i):
    title, lead, facts = SRC.zh_animals[i % len(SRC.zh_animals)]
    shuffled = rng.sample(facts, len(facts))
    k = rng.randint(4, len(facts))
    sents = [lead] + shuffled[:k] + [pick(rng, SRC.zh_animal_close) or "它是大自然中很有特点的一员。"]
    return f"动物小百科：{title}", fit(sents, "zh", pad=shuffled[k:])


# --- history-flavoured fiction -------------------------------------------------


def zh_history(rng, i):
    name = pick(rng, SRC.zh_hist_names)
    plot = SRC.zh_hist_plots[i % len(SRC.zh_hist_plots)]
    opener = pick(rng, SRC.zh_hist_open).format(
        era=pick(rng, SRC.zh_eras),
        city=pick(rng, SRC.zh_hist_cities),
        role=pick(rng, SRC.zh_hist_roles),
        name=name,
        trait=pick(rng, SRC.zh_hist_traits),
    )
    sents = [opener] + [s.format(name=name) for s in plot] + [pick(rng, SRC.zh_hist_end).format(name=name)]
    return f"{name}的故事", fit(sents, "zh")


# --- programming ---------------------------------------------------------------


def zh_programming(rng, i):
    title, q, facts = SRC.zh_prog[i % len(SRC.zh_prog)]
    opener = pick(rng, SRC.zh_prog_open)
    opener = opener.format(q=q) if opener else ""
    sents = [opener] + list(facts) + [pick(rng, SRC.zh_prog_close)]
    return f"编程入门：{title}", fit(sents, "zh")


# --- sports ----------------------------------------------------------------------


def zh_person(rng):
    return pick(rng, SRC.zh_surnames) + pick(rng, SRC.zh_given)


def zh_football(rng, home, away):
    hs, as_ = rng.choice([(2, 1), (1, 0), (3, 1), (0, 0), (1, 1), (2, 2), (0, 2), (1, 3), (4, 2), (3, 0)])
    crowd = rng.randint(18, 240) * 50
    if hs > as_:
        first = "在{}进行的一场比赛中，{}主场以{}比{}战胜{}，现场约有{}名观众。".format(
            pick(rng, ["周六下午", "周日晚上", "周三晚上"]),
            home,
            hs,
            as_,
            away,
            crowd,
        )
    elif hs < as_:
        first = f"{away}客场以{as_}比{hs}击败{home}，让现场约{crowd}名主队球迷陷入了沉默。"
    else:
        first = f"{home}主场迎战{away}，双方最终以{hs}比{as_}握手言和，现场约有{crowd}名观众。"
    sents = [
        first,
        pick(
            rng,
            [
                "比赛前下了一整周的雨，场地泥泞，双方都很难把球控制在地面上。",
                "一阵冷风顺着球场吹过，上半场长传几乎都没法准确到位。",
                "天气晴好，两队一开场就打得十分激烈。",
                "上半场双方都比较谨慎，机会不多，中场犯规却不少。",
            ],
        ),
    ]
    for team, n in ((home, hs), (away, as_)):
        if n == 0:
            continue
        mins = sorted(rng.sample(range(2, 91), n))
        players = [zh_person(rng) for _ in range(2)]
        by = {}
        for m in mins:
            by.setdefault(pick(rng, players), []).append(m)
        if n == 1:
            who = next(iter(by))
            sents.append(f"{team}的唯一进球由{who}在第{mins[0]}分钟打进。")
        elif len(by) == 1:
            who = next(iter(by))
            feat = {2: "梅开二度", 3: "上演帽子戏法"}.get(n, f"独中{zh_num(n)}元")
            sents.append("{}的{}{}，分别在第{}分钟破门。".format(team, who, feat, "、".join(str(m) for m in mins)))
        else:
            parts = ["{}（第{}分钟）".format(who, "、".join(str(m) for m in ms)) for who, ms in by.items()]
            sents.append("{}的进球由{}打进。".format(team, "和".join(parts)))
    ev = rng.sample(SRC.zh_football_events, len(SRC.zh_football_events))
    sents.append(ev[0].format(p=zh_person(rng)))
    spare = [e.format(p=zh_person(rng)) for e in ev[1:]]
    if hs == as_ == 0:
        sents.append(f"两队门将都发挥出色，全场最好的机会出现在终场前，{zh_person(rng)}的头球击中了横梁。")
    if hs != as_:
        winner = home if hs > as_ else away
        sents.append(f"赛后，{winner}主教练表示：“我们保持了耐心，也抓住了机会。”")
        sents.append(f"这场胜利让{winner}以{rng.randint(14, 40)}分升至积分榜第{rng.randint(1, 8)}位。")
    else:
        sents.append("两队主教练赛后都认为，平局是一个公平的结果。")
    return f"{home} {hs}:{as_} {away}", fit(sents, "zh", pad=spare)


def zh_basketball(rng, home, away):
    while True:
        hq = [rng.randint(16, 31) for _ in range(4)]
        aq = [rng.randint(16, 31) for _ in range(4)]
        if sum(hq) != sum(aq):
            break
    ht, at = sum(hq), sum(aq)
    h_half, a_half = hq[0] + hq[1], aq[0] + aq[1]
    win, lose = (home, away) if ht > at else (away, home)
    sents = [
        f"在星期{pick(rng, SRC.zh_weekdays[:6])}晚上的一场篮球比赛中，{win}以{max(ht, at)}比{min(ht, at)}战胜了{lose}。"
    ]
    if h_half == a_half:
        sents.append(f"上半场结束时，双方战成{h_half}平。")
    else:
        lead = home if h_half > a_half else away
        diff = abs(h_half - a_half)
        if lead == win:
            sents.append(
                f"{win}上半场就以{max(h_half, a_half)}比{min(h_half, a_half)}领先{diff}分，此后始终掌握着主动。"
            )
        else:
            sents.append(
                f"{win}上半场一度以{min(h_half, a_half)}比{max(h_half, a_half)}落后{diff}分，但下半场强势反扑。"
            )
    best = max(range(4), key=lambda k: abs(hq[k] - aq[k]))
    if hq[best] != aq[best]:
        team = home if hq[best] > aq[best] else away
        sents.append(
            "比赛的转折点出现在第{}节，{}在这一节以{}比{}压制了对手。".format(
                "一二三四"[best], team, max(hq[best], aq[best]), min(hq[best], aq[best])
            )
        )
    p1, p2 = zh_person(rng), zh_person(rng)
    sents.append(f"{p1}全场拿下{rng.randint(18, 34)}分，是得分最高的球员，{p2}贡献了{rng.randint(8, 15)}个篮板。")
    sents.append(
        "四节比分：{} {}，{} {}。".format(home, "、".join(str(x) for x in hq), away, "、".join(str(x) for x in aq))
    )
    return f"篮球：{home} {ht}:{at} {away}", fit(sents, "zh")


def zh_race(rng, town):
    n = rng.randint(300, 2400)
    base = rng.randint(29 * 60, 34 * 60)
    gap = rng.randint(3, 48)
    third = base + gap + rng.randint(2, 40)
    fem = base + rng.randint(150, 300)

    def mmss(t):
        return "{}分{:02d}秒".format(*divmod(t, 60))

    w, r2, r3, f = zh_person(rng), zh_person(rng), zh_person(rng), zh_person(rng)
    sents = [
        f"{town}周末举行了十公里跑比赛，共有{n - n % 50}多名跑者参加。",
        pick(
            rng,
            [
                "赛道大部分沿河而行，终点前有一段不长的上坡。",
                "当天凉爽无风，非常适合跑出好成绩。",
                "返程路段顶风，后半程跑得格外吃力。",
            ],
        ),
        f"男子组冠军是{w}，成绩{mmss(base)}，比第二名{r2}快了{gap}秒；{r3}以{mmss(third)}获得第三。",
        f"女子组冠军由{f}获得，成绩为{mmss(fem)}。",
    ]
    extra = rng.sample(
        [
            "不少跑者还借这次比赛为当地的养老院募捐。",
            "年龄最小的完赛者十二岁，最大的八十一岁。",
            "志愿者们在半程处为选手们准备了饮用水和橙子。",
            "比赛早上七点半鸣枪起跑，沿途有不少市民自发为选手加油。",
            "赛道沿途设置了四个补给站和两个医疗点。",
            "组委会表示，明年将把参赛名额再增加五百个。",
        ],
        4,
    )
    sents += extra[:2]
    return f"{town}十公里跑赛况", fit(sents, "zh", pad=extra[2:])


# --- weather forecasts & seasons --------------------------------------------------


def zh_forecast(rng, city):
    month = rng.randint(1, 12)
    season = season_of(month)
    lo_t, hi_t = SRC.en_temps[season]
    sents = [f"{city}气象台{month}月{rng.randint(1, 28)}日发布未来三天天气预报。"]
    first_kind = None
    for d in ["今天", "明天", "后天"]:
        cond, kind = pick(rng, SRC.zh_conditions[season])
        hi = rng.randint(lo_t + 5, hi_t)
        if kind == "hot":
            hi = max(hi, 28)
        elif kind == "cold":
            hi = min(hi, 2)
        lo = hi - rng.randint(4, 11)
        sents.append(f"{d}{cond}，最高气温{hi}℃，最低气温{lo}℃，{pick(rng, SRC.zh_wind)}。")
        first_kind = first_kind or kind
    sents.append("今天" + SRC.zh_wx_advice[first_kind])
    sents.append(
        "今天空气质量{}，紫外线强度{}。".format(
            pick(rng, ["优", "良", "良", "轻度污染"]),
            pick(rng, ["弱", "中等", "较强"] if season != "winter" else ["弱", "中等"]),
        )
    )
    sents.append(SRC.zh_season_tip[season])
    if rng.random() < 0.5:
        sents.append(
            pick(
                rng,
                [
                    "从中期趋势看，后期天气总体平稳。",
                    "下周初可能会有一次明显的天气变化，请留意最新预报。",
                    "预报员提醒，未来几天早晚温差较大。",
                ],
            )
        )
    return f"{city}天气预报", fit(sents, "zh")


def zh_season_note(rng, i):
    season = ["spring", "summer", "autumn", "winter"][i % 4]
    pool = SRC.zh_season_notes[season]
    sents = [pool[0]] + rng.sample(pool[1:], len(pool) - 1)
    return f"{SRC.zh_season[season]}随笔", fit(sents, "zh")


# --- school ----------------------------------------------------------------------


def zh_school(rng, i):
    s1, s2 = rng.sample(list(SRC.zh_subjects), 2)
    teacher = pick(rng, SRC.zh_teachers)
    friend = pick(rng, SRC.zh_names)
    sents = [
        pick(
            rng,
            [
                "今天在学校过得很忙。",
                "今天的时间好像过得特别快。",
                "早上一到学校就开了一个临时的班会。",
                f"今天我最喜欢的一节课是{s1}课。",
                "早上公交车坏在半路，我差点迟到。",
                "这是好几个星期以来第一个大晴天，谁都不想待在教室里。",
                "今天感觉像是把两天的事情塞进了一天。",
                "早读的时候，窗外的桂花香一阵一阵飘进来。",
            ],
        ),
        f"{s1}课上，{teacher}老师带着我们做了一件有意思的事：{pick(rng, SRC.zh_subjects[s1])}。",
        f"后来的{s2}课上，{pick(rng, SRC.zh_subjects[s2])}。",
    ]
    extra = [x.format(friend=friend) for x in rng.sample(SRC.zh_school_extra, len(SRC.zh_school_extra))]
    k = rng.randint(1, 2)
    sents += extra[:k]
    sents.append(pick(rng, SRC.zh_school_end).format(teacher=teacher))
    return f"校园日记：{s1}课和{s2}课", fit(sents, "zh", pad=extra[k:])


# --- travel ------------------------------------------------------------------------


def zh_travel(rng, i, base):
    kind, tags, suffix = pick(rng, SRC.zh_travel_kind)
    town = base + suffix
    acts = _travel_acts(rng, SRC.zh_travel_do, tags)
    k = rng.randint(2, 3)
    foods = [f for f in SRC.zh_travel_food if "water" in tags or "水边" not in f]
    arrive = [a for a in SRC.zh_travel_arrive if suffix != "岛" or not any(w in a for w in ("火车", "大巴", "开车"))]
    sents = [pick(rng, arrive).format(place=town), f"{town}是{kind}。", pick(rng, SRC.zh_travel_stay)]
    sents += acts[:k]
    sents.append(pick(rng, foods))
    sents.append(pick(rng, SRC.zh_travel_end))
    return f"旅行笔记：{town}", fit(sents, "zh", pad=acts[k:])


# ---------------------------------------------------------------------------
# Hand-written paragraphs (used verbatim)
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# SFT pools
# ---------------------------------------------------------------------------
# A "turn" is a dict(instruction, input, output, kind).  A conversation is
# dict(lang, system or None, turns=[turn, ...]).


EN_NUM_WORD = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}

# ---------------------------------------------------------------------------
# SFT generators (answers are computed, never guessed)
# ---------------------------------------------------------------------------


def T(instruction, output, inp="", kind="misc"):
    assert instruction and output
    return {"instruction": instruction, "input": inp, "output": output, "kind": kind}


class Deck:
    """Draw items without repetition until the pool is exhausted, then reshuffle."""

    def __init__(self, rng, items):
        self.rng = rng
        self.items = list(items)
        self.stack = []

    def draw(self):
        if not self.stack:
            self.stack = list(self.items)
            self.rng.shuffle(self.stack)
        return self.stack.pop()


def _money_en(n):
    return f"${n}"


def _bill_for(cost):
    for b in (10, 20, 50, 100, 200):
        if b > cost:
            return b
    return (cost // 100 + 1) * 100


def math_shop(rng, lang, followup=False):
    a, p = rng.randint(2, 8), rng.randint(2, 12)
    cost = a * p
    bill = _bill_for(cost)
    extra = rng.randint(1, 4)
    if lang == "en":
        name = pick(rng, SRC.en_names)
        pl, sg = pick(rng, SRC.en_shop_items)
        q = f"{name} buys {a} {pl} at {_money_en(p)} each and pays with a {_money_en(bill)} note. How much change should {name} get?"
        ans = f"The {pl} cost {a} × {_money_en(p)} = {_money_en(cost)}.\nThe change is {_money_en(bill)} − {_money_en(cost)} = {_money_en(bill - cost)}.\n\nAnswer: {name} gets {_money_en(bill - cost)} in change."
        turns = [T(q, ans, kind="math")]
        if followup:
            n2 = a + extra
            c2 = n2 * p
            fq = f"What if {name} buys {extra} more?"
            if c2 <= bill:
                fa = f"Then {name} buys {n2} {pl} in total: {n2} × {_money_en(p)} = {_money_en(c2)}.\nThe change would be {_money_en(bill)} − {_money_en(c2)} = {_money_en(bill - c2)}."
            else:
                fa = f"Then {name} buys {n2} {pl} in total: {n2} × {_money_en(p)} = {_money_en(c2)}.\nThat is more than the {_money_en(bill)} note, so {name} would need another {_money_en(c2)} − {_money_en(bill)} = {_money_en(c2 - bill)}."
            turns.append(T(fq, fa, kind="math"))
        return turns
    name = pick(rng, SRC.zh_names)
    cl, item = pick(rng, SRC.zh_shop_items)
    q = f"{name}买了{a}{cl}{item}，每{cl}{p}元，付了{bill}元。应该找回多少钱？"
    ans = f"{a}{cl}{item}一共：{a} × {p} = {cost}（元）\n应找回：{bill} − {cost} = {bill - cost}（元）\n\n答：应找回{bill - cost}元。"
    turns = [T(q, ans, kind="math")]
    if followup:
        n2 = a + extra
        c2 = n2 * p
        fq = f"如果{name}再多买{extra}{cl}呢？"
        if c2 <= bill:
            fa = f"那么一共买{n2}{cl}：{n2} × {p} = {c2}（元），应找回 {bill} − {c2} = {bill - c2}（元）。"
        else:
            fa = f"那么一共买{n2}{cl}：{n2} × {p} = {c2}（元），超过了付的{bill}元，还需要再补 {c2} − {bill} = {c2 - bill}（元）。"
        turns.append(T(fq, fa, kind="math"))
    return turns


def _hm_en(minutes):
    h, m = divmod(minutes, 60)
    parts = []
    if h:
        parts.append("{} hour{}".format(h, "" if h == 1 else "s"))
    if m:
        parts.append("{} minute{}".format(m, "" if m == 1 else "s"))
    return " and ".join(parts)


def _hm_zh(minutes):
    h, m = divmod(minutes, 60)
    return (f"{h}小时" if h else "") + (f"{m}分钟" if m else "")


def math_speed(rng, lang, followup=False):
    v = rng.choice([40, 60, 80, 90, 100, 120, 150])
    t2 = rng.choice([3, 4, 5, 6, 7])  # half-hours
    d = v * t2 // 2
    hours = f"{t2 / 2:g}"
    cands = [w for w in (40, 50, 60, 75, 80, 100, 120) if w != v and (d * 60) % w == 0]
    v2 = pick(rng, cands)
    mins2 = d * 60 // v2
    if lang == "en":
        q = f"A train travels at a steady {v} km/h for {hours} hours. How far does it go?"
        a = f"Distance = speed × time = {v} km/h × {hours} h = {d} km.\n\nThe train travels {d} kilometres."
        turns = [T(q, a, kind="math")]
        if followup:
            turns.append(
                T(
                    f"How long would the same trip take at {v2} km/h?",
                    "Time = distance ÷ speed = {} km ÷ {} km/h = {} h, which is {}.".format(
                        d, v2, f"{mins2 / 60:g}", _hm_en(mins2)
                    ),
                    kind="math",
                )
            )
        return turns
    q = f"一列火车以每小时{v}公里的速度匀速行驶了{hours}小时，一共行驶了多少公里？"
    a = f"路程 = 速度 × 时间 = {v} × {hours} = {d}（公里）\n\n答：火车一共行驶了{d}公里。"
    turns = [T(q, a, kind="math")]
    if followup:
        turns.append(
            T(
                f"如果速度是每小时{v2}公里，走同样的路要多久？",
                "时间 = 路程 ÷ 速度 = {} ÷ {} = {}（小时），也就是{}。".format(d, v2, f"{mins2 / 60:g}", _hm_zh(mins2)),
                kind="math",
            )
        )
    return turns


def math_share(rng, lang, followup=False):
    k = rng.randint(3, 9)
    n = rng.randint(k * 2, k * 9)
    each, rest = divmod(n, k)
    k2 = pick(rng, [x for x in range(2, 11) if x != k])
    e2, r2 = divmod(n, k2)
    if lang == "en":
        thing = pick(rng, ["apples", "stickers", "marbles", "sweets", "pencils"])
        q = f"{n} {thing} are shared equally among {k} children. How many does each child get, and how many are left over?"
        a = "{} ÷ {} = {} remainder {}.\n\nEach child gets {} {}, and {} {} left over.".format(
            n,
            k,
            each,
            rest,
            each,
            thing,
            rest,
            "is" if rest == 1 else "are",
        )
        turns = [T(q, a, kind="math")]
        if followup:
            turns.append(
                T(
                    f"And if there were {k2} children instead?",
                    f"{n} ÷ {k2} = {e2} remainder {r2}, so each child would get {e2} and {r2} would be left over.",
                    kind="math",
                )
            )
        return turns
    thing, cl = pick(rng, [("苹果", "个"), ("贴纸", "张"), ("弹珠", "颗"), ("糖果", "块"), ("铅笔", "支")])
    q = f"把{n}{cl}{thing}平均分给{k}个小朋友，每人分到几{cl}？还剩几{cl}？"
    a = f"{n} ÷ {k} = {each}……{rest}\n\n答：每人分到{each}{cl}，还剩{rest}{cl}。"
    turns = [T(q, a, kind="math")]
    if followup:
        turns.append(
            T(
                f"如果是{k2}个小朋友呢？",
                f"{n} ÷ {k2} = {e2}……{r2}，每人分到{e2}{cl}，还剩{r2}{cl}。",
                kind="math",
            )
        )
    return turns


def math_rect(rng, lang, followup=False):
    w, h = rng.randint(4, 25), rng.randint(3, 18)
    if w == h:
        w += 1
    area, per = w * h, 2 * (w + h)
    if lang == "en":
        q = f"A rectangular garden is {w} metres long and {h} metres wide. What are its area and perimeter?"
        a = f"Area = length × width = {w} × {h} = {area} square metres.\nPerimeter = 2 × (length + width) = 2 × ({w} + {h}) = {per} metres."
        turns = [T(q, a, kind="math")]
        if followup:
            turns.append(
                T(
                    "If I double the length, what happens to the area?",
                    f"The new length is {2 * w} m, so the area becomes {2 * w} × {h} = {2 * w * h} square metres, exactly twice the original {area} square metres.",
                    kind="math",
                )
            )
        return turns
    q = f"一块长方形菜地长{w}米、宽{h}米，它的面积和周长各是多少？"
    a = f"面积 = 长 × 宽 = {w} × {h} = {area}（平方米）\n周长 = （长 + 宽）× 2 = （{w} + {h}）× 2 = {per}（米）"
    turns = [T(q, a, kind="math")]
    if followup:
        turns.append(
            T(
                "如果长增加到原来的2倍，面积是多少？",
                f"长变为{2 * w}米，面积 = {2 * w} × {h} = {2 * w * h}（平方米），正好是原来{area}平方米的2倍。",
                kind="math",
            )
        )
    return turns


def math_discount(rng, lang, followup=False):
    while True:
        pct = rng.choice([10, 15, 20, 25, 30, 40, 50])
        price = rng.randint(4, 60) * 5
        if (price * (100 - pct)) % 100 == 0:
            break
    sale = price * (100 - pct) // 100
    off = price - sale
    coupon = rng.choice([5, 10])
    if lang == "en":
        q = f"A jacket costs {_money_en(price)} and is on sale at {pct}% off. What is the sale price?"
        a = f"The discount is {pct}% of {_money_en(price)} = {_money_en(off)}.\nThe sale price is {_money_en(price)} − {_money_en(off)} = {_money_en(sale)}."
        turns = [T(q, a, kind="math")]
        if followup:
            turns.append(
                T(
                    f"And if I also use a {_money_en(coupon)} coupon on the sale price?",
                    f"{_money_en(sale)} − {_money_en(coupon)} = {_money_en(sale - coupon)}, so you would pay {_money_en(sale - coupon)}.",
                    kind="math",
                )
            )
        return turns
    zhe = f"{(100 - pct) / 10:g}"
    q = f"一件外套原价{price}元，现在打{zhe}折，现价是多少元？"
    a = f"打{zhe}折就是按原价的{100 - pct}%出售：\n{price} × {100 - pct}% = {sale}（元）\n\n答：现价是{sale}元，比原价便宜了{off}元。"
    turns = [T(q, a, kind="math")]
    if followup:
        turns.append(
            T(
                f"如果再用一张{coupon}元的优惠券呢？",
                f"{sale} − {coupon} = {sale - coupon}（元），用券后只需付{sale - coupon}元。",
                kind="math",
            )
        )
    return turns


def math_time(rng, lang, followup=False):
    start = rng.randint(9 * 12, 20 * 12) * 5
    dur = rng.randint(17, 34) * 5
    end = start + dur
    back = rng.choice([15, 20, 25, 30, 40])
    home = end + back

    def hm(x):
        return "{}:{:02d}".format(*divmod(x % (24 * 60), 60))

    if lang == "en":
        q = f"A film starts at {hm(start)} and lasts {dur} minutes. What time does it end?"
        a = f"{dur} minutes is {_hm_en(dur)}.\n{hm(start)} + {_hm_en(dur)} = {hm(end)}.\n\nThe film ends at {hm(end)}."
        turns = [T(q, a, kind="math")]
        if followup:
            turns.append(
                T(
                    f"If it then takes us {back} minutes to get home, when do we arrive?",
                    f"{hm(end)} + {back} minutes = {hm(home)}, so you would get home at {hm(home)}.",
                    kind="math",
                )
            )
        return turns
    q = f"一场电影{hm(start)}开始，片长{dur}分钟，几点结束？"
    a = f"{dur}分钟 = {_hm_zh(dur)}\n{hm(start)} 加上{_hm_zh(dur)}是{hm(end)}。\n\n答：电影{hm(end)}结束。"
    turns = [T(q, a, kind="math")]
    if followup:
        turns.append(
            T(
                f"看完电影回家还要{back}分钟，几点能到家？",
                f"{hm(end)} 再过{back}分钟是{hm(home)}，所以{hm(home)}能到家。",
                kind="math",
            )
        )
    return turns


def math_pages(rng, lang, followup=False):
    r = rng.choice([12, 15, 20, 25, 30, 40])
    n = rng.randint(6, 30) * 10 + rng.choice([0, 0, 5])
    days, rest = divmod(n, r)
    total = days + (1 if rest else 0)
    r2 = r + rng.choice([5, 10])
    d2, rest2 = divmod(n, r2)
    t2 = d2 + (1 if rest2 else 0)
    if lang == "en":
        name = pick(rng, SRC.en_names)
        q = f"A book has {n} pages. If {name} reads {r} pages a day, how many days will it take to finish the book?"
        if rest:
            a = f"{n} ÷ {r} = {days} remainder {rest}.\n{name} reads for {days} full days and needs one more day for the last {rest} pages.\n\nAnswer: {total} days."
        else:
            a = f"{n} ÷ {r} = {days}.\n\nAnswer: {total} days."
        turns = [T(q, a, kind="math")]
        if followup:
            turns.append(
                T(
                    f"What if {name} reads {r2} pages a day?",
                    "{} ÷ {} = {}{}, so it would take {} days.".format(
                        n, r2, d2, (f" remainder {rest2}") if rest2 else "", t2
                    ),
                    kind="math",
                )
            )
        return turns
    name = pick(rng, SRC.zh_names)
    q = f"一本书有{n}页，{name}每天读{r}页，几天能读完？"
    if rest:
        a = f"{n} ÷ {r} = {days}……{rest}\n读完{days}天后还剩{rest}页，需要再读1天。\n\n答：{total}天能读完。"
    else:
        a = f"{n} ÷ {r} = {days}\n\n答：{total}天正好读完。"
    turns = [T(q, a, kind="math")]
    if followup:
        turns.append(
            T(
                f"如果每天读{r2}页呢？",
                "{} ÷ {} = {}{}，需要{}天。".format(n, r2, d2, (f"……{rest2}") if rest2 else "", t2),
                kind="math",
            )
        )
    return turns


def math_age(rng, lang, followup=False):
    a, k, y = rng.randint(4, 12), rng.choice([3, 4, 5]), rng.randint(2, 10)
    now = a * k
    if lang == "en":
        name = pick(rng, SRC.en_names)
        q = f"{name} is {a} years old, and {name}'s grandfather is {k} times as old. How old will the grandfather be in {y} years?"
        ans = f"The grandfather is {a} × {k} = {now} years old now.\nIn {y} years he will be {now} + {y} = {now + y}."
        turns = [T(q, ans, kind="math")]
        if followup:
            turns.append(
                T(
                    f"And how old will {name} be then?",
                    f"{name} will be {a} + {y} = {a + y} years old.",
                    kind="math",
                )
            )
        return turns
    name = pick(rng, SRC.zh_names)
    q = f"{name}今年{a}岁，爷爷的年龄是{name}的{k}倍。{y}年后爷爷多少岁？"
    ans = f"爷爷今年：{a} × {k} = {now}（岁）\n{y}年后：{now} + {y} = {now + y}（岁）\n\n答：{y}年后爷爷{now + y}岁。"
    turns = [T(q, ans, kind="math")]
    if followup:
        turns.append(T(f"那时候{name}多少岁？", f"{name}那时 {a} + {y} = {a + y} 岁。", kind="math"))
    return turns


def math_savings(rng, lang, followup=False):
    s = rng.choice([15, 20, 25, 30, 40, 50])
    target = rng.randint(8, 40) * 10
    w, rest = divmod(target, s)
    weeks = w + (1 if rest else 0)
    s2 = s + 10
    w2, r2 = divmod(target, s2)
    weeks2 = w2 + (1 if r2 else 0)
    if lang == "en":
        name = pick(rng, SRC.en_names)
        q = f"{name} saves {_money_en(s)} every week and wants to buy a bicycle that costs {_money_en(target)}. How many weeks will it take?"
        if rest:
            a = f"{target} ÷ {s} = {w} remainder {rest}.\nAfter {w} weeks {name} has {_money_en(w * s)}, which is not quite enough, so one more week is needed.\n\nAnswer: {weeks} weeks."
        else:
            a = f"{target} ÷ {s} = {w}.\n\nAnswer: exactly {weeks} weeks."
        turns = [T(q, a, kind="math")]
        if followup:
            turns.append(
                T(
                    f"What if {name} saves {_money_en(s2)} a week instead?",
                    "{} ÷ {} = {}{}, so it would take {} weeks.".format(
                        target, s2, w2, (f" remainder {r2}") if r2 else "", weeks2
                    ),
                    kind="math",
                )
            )
        return turns
    name = pick(rng, SRC.zh_names)
    q = f"{name}每周存{s}元，想买一辆{target}元的自行车，需要存几周？"
    if rest:
        a = f"{target} ÷ {s} = {w}……{rest}\n存{w}周后有{w * s}元，还差一点，需要再存1周。\n\n答：需要{weeks}周。"
    else:
        a = f"{target} ÷ {s} = {w}\n\n答：正好需要{weeks}周。"
    turns = [T(q, a, kind="math")]
    if followup:
        turns.append(
            T(
                f"如果每周存{s2}元呢？",
                "{} ÷ {} = {}{}，需要{}周。".format(target, s2, w2, (f"……{r2}") if r2 else "", weeks2),
                kind="math",
            )
        )
    return turns


MATH_GENS = [math_shop, math_speed, math_share, math_rect, math_discount, math_time, math_pages, math_age, math_savings]


def _is_prime(n):
    if n < 2:
        return False
    return all(n % d != 0 for d in range(2, int(math.isqrt(n)) + 1))


def _fmt_num(x):
    return (f"{x:.2f}").rstrip("0").rstrip(".")


def fmt_sort_numbers(rng, lang, followup=False):
    nums = rng.sample(range(1, 200), rng.randint(5, 8))
    desc = rng.random() < 0.3
    srt = sorted(nums, reverse=desc)
    src = ", ".join(str(x) for x in nums)
    out = ", ".join(str(x) for x in srt)
    total = sum(nums)
    exact = total % len(nums) == 0
    avg = ("" if exact else "≈ ") + _fmt_num(total / len(nums))
    avg_zh = ("" if exact else "≈ ") + _fmt_num(total / len(nums))
    if lang == "en":
        q = "Sort these numbers from {}: {}".format("largest to smallest" if desc else "smallest to largest", src)
        turns = [T(q, out, kind="format")]
        if followup:
            turns.append(
                T(
                    "What is their sum and their average?",
                    "Sum: {} = {}.\nAverage: {} ÷ {} {}{}.".format(
                        " + ".join(str(x) for x in nums),
                        total,
                        total,
                        len(nums),
                        "= " if exact else "",
                        avg + ("" if exact else " (rounded to two decimal places)"),
                    ),
                    kind="format",
                )
            )
        return turns
    q = "把这些数{}排列：{}".format("从大到小" if desc else "从小到大", "，".join(str(x) for x in nums))
    turns = [T(q, "，".join(str(x) for x in srt), kind="format")]
    if followup:
        turns.append(
            T(
                "它们的和与平均数分别是多少？",
                "和：{} = {}\n平均数：{} ÷ {} {}".format(
                    " + ".join(str(x) for x in nums),
                    total,
                    total,
                    len(nums),
                    ("= " + avg_zh) if exact else avg_zh + "（保留两位小数）",
                ),
                kind="format",
            )
        )
    return turns


def fmt_list(rng, lang, followup=False):
    cat = pick(rng, sorted(SRC.list_pools))
    en_items, zh_items = SRC.list_pools[cat]
    n = rng.randint(3, 5)
    idx = rng.sample(range(len(en_items)), n + 2)
    chosen, more = idx[:n], idx[n:]
    if lang == "en":
        items = [en_items[i] for i in chosen]
        q = f"List {EN_NUM_WORD[n]} {cat}."
        a = "\n".join(
            "{}. {}".format(k + 1, cap(x) if cat != "programming languages" else x) for k, x in enumerate(items)
        )
        turns = [T(q, a, kind="format")]
        if followup:
            srt = sorted(items, key=lambda x: x.lower())
            turns.append(
                T(
                    "Now sort them alphabetically.",
                    "\n".join(f"{k + 1}. {cap(x)}" for k, x in enumerate(srt)),
                    kind="format",
                )
            )
        return turns
    items = [zh_items[i] for i in chosen]
    q = f"请列出{zh_num(n)}种{SRC.zh_cat[cat]}。"
    a = "\n".join(f"{k + 1}. {x}" for k, x in enumerate(items))
    turns = [T(q, a, kind="format")]
    if followup:
        extra = [zh_items[i] for i in more]
        turns.append(
            T(
                "再补充两种，不要和上面重复。",
                "\n".join(f"{n + k + 1}. {x}" for k, x in enumerate(extra)),
                kind="format",
            )
        )
    return turns


def fmt_json(rng, lang, followup=False):
    age = rng.randint(19, 66)
    if lang == "en":
        name = pick(rng, SRC.en_names) + " " + pick(rng, SRC.en_surnames)
        city = pick(rng, SRC.en_cities)
        job = pick(rng, ["teacher", "nurse", "software engineer", "chef", "librarian", "architect"])
        q = "Convert this information into a JSON object with the keys name, age, city and job:"
        inp = f"{name} is {age} years old, lives in {city} and works as {an(job)}."
        obj = {"name": name, "age": age, "city": city, "job": job}
        turns = [T(q, f"```json\n{json.dumps(obj, ensure_ascii=False, indent=2)}\n```", inp, kind="format")]
        if followup:
            email = "{}.{}@example.com".format(*tuple(name.lower().split()))
            obj["email"] = email
            turns.append(
                T(
                    f"Add an email field with the value {email}.",
                    f"```json\n{json.dumps(obj, ensure_ascii=False, indent=2)}\n```",
                    kind="format",
                )
            )
        return turns
    name = pick(rng, SRC.zh_surnames) + pick(rng, SRC.zh_given)
    city = pick(rng, SRC.zh_cities)
    job = pick(rng, ["教师", "护士", "软件工程师", "厨师", "图书管理员", "建筑师"])
    q = "把下面的信息整理成 JSON，键名用 name、age、city、job："
    inp = f"{name}今年{age}岁，住在{city}，是一名{job}。"
    obj = {"name": name, "age": age, "city": city, "job": job}
    turns = [T(q, f"```json\n{json.dumps(obj, ensure_ascii=False, indent=2)}\n```", inp, kind="format")]
    if followup:
        hobby = pick(rng, ["跑步", "摄影", "下棋", "书法", "游泳"])
        obj["hobbies"] = [hobby]
        turns.append(
            T(
                f"再加一个 hobbies 字段，值是一个只包含“{hobby}”的列表。",
                f"```json\n{json.dumps(obj, ensure_ascii=False, indent=2)}\n```",
                kind="format",
            )
        )
    return turns


def fmt_bullets(rng, lang, followup=False):
    cat = pick(rng, ["fruits", "vegetables", "sports", "musical instruments"])
    en_items, zh_items = SRC.list_pools[cat]
    idx = rng.sample(range(len(en_items)), rng.randint(3, 6))
    if lang == "en":
        items = [en_items[i] for i in idx]
        return [
            T(
                "Turn this comma-separated list into a bulleted list:",
                "\n".join("- " + x for x in items),
                ", ".join(items),
                kind="format",
            )
        ]
    items = [zh_items[i] for i in idx]
    return [
        T(
            "把下面用顿号隔开的内容改成项目符号列表：",
            "\n".join("- " + x for x in items),
            "、".join(items),
            kind="format",
        )
    ]


def fmt_table(rng, lang, followup=False):
    cat = pick(rng, ["fruits", "vegetables"])
    en_items, zh_items = SRC.list_pools[cat]
    idx = rng.sample(range(len(en_items)), 3)
    prices = [rng.randint(2, 12) for _ in idx]
    if lang == "en":
        names = [cap(en_items[i]) for i in idx]
        inp = "; ".join(f"{n} cost ${p} per kilo" for n, p in zip(names, prices, strict=True))
        rows = "\n".join(f"| {n} | {p} |" for n, p in zip(names, prices, strict=True))
        out = "| Item | Price per kg ($) |\n|------|------------------|\n" + rows
        return [
            T(
                "Put this information into a Markdown table with the columns Item and Price per kg ($).",
                out,
                inp,
                kind="format",
            )
        ]
    names = [zh_items[i] for i in idx]
    inp = "；".join(f"{n}每公斤{p}元" for n, p in zip(names, prices, strict=True))
    rows = "\n".join(f"| {n} | {p} |" for n, p in zip(names, prices, strict=True))
    out = "| 品名 | 每公斤价格（元） |\n|------|------------------|\n" + rows
    return [T("把下面的信息整理成 Markdown 表格，表头为“品名”和“每公斤价格（元）”。", out, inp, kind="format")]


def fmt_count(rng, lang, followup=False):
    if lang == "en":
        s = pick(rng, [p[0] for p in SRC.parallel])
        words = s.replace("!", " ").replace("?", " ").replace(".", " ").replace(",", " ").split()
        return [T("How many words are in this sentence?", f"The sentence has {len(words)} words.", s, kind="format")]
    s = pick(rng, [p[1] for p in SRC.parallel])
    n = sum(1 for ch in s if "\u4e00" <= ch <= "\u9fff")
    return [T("下面这句话有多少个汉字？（不算标点）", f"这句话一共有{n}个汉字。", s, kind="format")]


def fmt_upper(rng, lang, followup=False):
    if rng.random() < 0.5:
        s = pick(rng, [p[0] for p in SRC.parallel])
        return [T("Convert this sentence to upper case.", s.upper(), s, kind="format")]
    plain = [p[0] for p in SRC.parallel if not any(c in p[0][:-1] for c in ",.!?;")]
    s = pick(rng, plain)
    words = s.rstrip(".!?").split()
    return [
        T(
            "Reverse the order of the words in this sentence (ignore the final punctuation).",
            " ".join(reversed(words)),
            s,
            kind="format",
        )
    ]


def fmt_convert(rng, lang, followup=False):
    kind = rng.randrange(4)
    if kind == 0:
        km = _fmt_num(rng.randint(3, 95) / 2)
        m = int(float(km) * 1000)
        if lang == "en":
            return [T(f"Convert {km} kilometres to metres.", f"{km} km × 1,000 = {fmt_int(m)} metres.", kind="format")]
        return [T(f"{km}公里等于多少米？", f"{km} × 1000 = {m}，所以{km}公里等于{m}米。", kind="format")]
    if kind == 1:
        h = _fmt_num(rng.randint(1, 20) / 4)
        mins = int(float(h) * 60)
        if lang == "en":
            return [T(f"How many minutes are there in {h} hours?", f"{h} × 60 = {mins} minutes.", kind="format")]
        return [T(f"{h}小时是多少分钟？", f"{h} × 60 = {mins}，所以是{mins}分钟。", kind="format")]
    if kind == 2:
        c = rng.randint(-4, 8) * 5
        f = c * 9 // 5 + 32
        if lang == "en":
            return [
                T(
                    f"Convert {c}°C to Fahrenheit.",
                    f"°F = °C × 9/5 + 32 = {c} × 9/5 + 32 = {f}°F.",
                    kind="format",
                )
            ]
        return [
            T(
                f"{c}摄氏度是多少华氏度？",
                f"华氏度 = 摄氏度 × 9/5 + 32 = {c} × 9/5 + 32 = {f}，即{f}°F。",
                kind="format",
            )
        ]
    kg = _fmt_num(rng.randint(1, 30) / 4)
    g = int(round(float(kg) * 1000))
    if lang == "en":
        return [T(f"How many grams are in {kg} kilograms?", f"{kg} kg × 1,000 = {fmt_int(g)} grams.", kind="format")]
    return [T(f"{kg}千克等于多少克？", f"{kg} × 1000 = {g}，所以{kg}千克等于{g}克。", kind="format")]


def fmt_prime(rng, lang, followup=False):
    n = rng.randint(20, 300)
    if _is_prime(n):
        en = f"Yes, {n} is a prime number. It has no divisors other than 1 and itself (checking every whole number up to √{n} ≈ {math.isqrt(n)} is enough)."
        zh = f"是的，{n}是质数。除了1和它本身，它没有别的因数（只需检验到 √{n} ≈ {math.isqrt(n)} 即可）。"
    else:
        d = next(k for k in range(2, n) if n % k == 0)
        en = f"No, {n} is not a prime number, because {n} = {d} × {n // d}."
        zh = f"不是。{n}不是质数，因为 {n} = {d} × {n // d}。"
    if lang == "en":
        return [T(f"Is {n} a prime number?", en, kind="format")]
    return [T(f"{n}是质数吗？", zh, kind="format")]


def fmt_gcd(rng, lang, followup=False):
    g = rng.choice([2, 3, 4, 5, 6, 7, 8, 9, 12])
    a, b = g * rng.randint(2, 12), g * rng.randint(2, 12)
    while a == b:
        b = g * rng.randint(2, 12)
    real = math.gcd(a, b)
    lcm = a * b // real
    if lang == "en":
        return [
            T(
                f"What are the greatest common divisor and the least common multiple of {a} and {b}?",
                f"The greatest common divisor of {a} and {b} is {real}, and the least common multiple is {a} × {b} ÷ {real} = {lcm}.",
                kind="format",
            )
        ]
    return [
        T(
            f"{a}和{b}的最大公因数和最小公倍数分别是多少？",
            f"{a}和{b}的最大公因数是{real}，最小公倍数是 {a} × {b} ÷ {real} = {lcm}。",
            kind="format",
        )
    ]


FMT_SINGLE = [fmt_sort_numbers, fmt_list, fmt_json, fmt_bullets, fmt_table, fmt_count, fmt_convert, fmt_prime, fmt_gcd]
FMT_FOLLOW = [fmt_sort_numbers, fmt_list, fmt_json]


def translation_turn(rng, lang, pair):
    en, zh = pair
    if lang == "en":
        if rng.random() < 0.5:
            return T(pick(rng, SRC.en_tr_to_zh), zh, en, kind="translate")
        return T(pick(rng, SRC.en_tr_to_en), en, zh, kind="translate")
    if rng.random() < 0.5:
        return T(pick(rng, SRC.zh_tr_to_en), en, zh, kind="translate")
    return T(pick(rng, SRC.zh_tr_to_zh), zh, en, kind="translate")


SYSTEM_KIND = {
    (
        "en",
        "translate",
    ): "You are a professional translator between English and Chinese. Reply with the translation only.",
    ("en", "math"): "You are a patient maths tutor. Show your working step by step.",
    ("en", "rewrite"): "You are a careful editor. Improve the user's text while keeping its meaning.",
    ("en", "format"): "You are a precise assistant. Follow the requested output format exactly.",
    ("zh", "translate"): "你是一名专业的中英翻译，只输出译文。",
    ("zh", "math"): "你是一名耐心的数学老师，请写出解题步骤。",
    ("zh", "rewrite"): "你是一名细心的中文编辑，帮助用户修改和润色句子。",
    ("zh", "format"): "你是一个严谨的助手，请严格按照要求的格式输出。",
}


def user_text(turn, lang):
    """The user message of a turn; instruction and input joined the way alpaca loaders join them."""
    if not turn["input"]:
        return turn["instruction"]
    return turn["instruction"] + "\n" + turn["input"]


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
            ins = "Solve this word problem." if lang == "en" else "请解答下面这道应用题。"
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
            follow = pick(
                rng, ["And this one?", "Now translate this one too:"] if lang == "en" else ["再翻译一句：", "这句呢？"]
            )
            turns = [t1, T(follow, second_out, second_src, kind="translate")]
        elif kind == "greet":
            g = self.greet(lang)
            while g["instruction"] in (
                "Bye for now.",
                "Good night!",
                "晚安",
                "我先走了，再见！",
                "Thank you!",
                "谢谢你！",
            ):
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
                follow = "Great. Now do the same for this one:" if lang == "en" else "很好。这一句也照样改一下："
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
        if (lang, main) in SYSTEM_KIND and self.rng.random() < 0.6:
            return SYSTEM_KIND[(lang, main)]
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
