"""SFT turns: ``T(...)`` and the task generators (maths, formatting, translation); answers are computed.

A generator draws its numbers, computes the answer and fills the task's templates
(``SRC.tasks[name][lang]``, data/samples/src/sft_tasks.yaml) with them; it returns a list of turns. A turn is
dict(instruction, input, output, kind); a conversation is dict(lang, system or None, turns=[turn, ...]).
"""

from __future__ import annotations

import json
import math

from samplegen.common import SRC, an, cap, fill, pick, pool


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


def task(name, lang, slots, followup=False, a="a", fa="fa", kind="math"):
    """Task ``name``'s turns: question ``q`` (input ``in``) answered by template ``a``; with ``followup`` a second
    turn ``fq`` answered by ``fa``. Every template is filled from ``slots``."""
    t = SRC.tasks[name][lang]
    turns = [T(fill(t["q"], slots), fill(t[a], slots), fill(t.get("in", ""), slots), kind=kind)]
    if followup:
        turns.append(T(fill(t["fq"], slots), fill(t[fa], slots), kind=kind))
    return turns


def _hm(minutes, lang):
    """``minutes`` in words: "1 hour and 5 minutes", "1小时5分钟"."""
    units = SRC.units[lang]
    h, m = divmod(minutes, 60)
    parts = [fill(units[unit if n == 1 else unit + "s"], {"n": n}) for unit, n in (("hour", h), ("minute", m)) if n]
    return units["join"].join(parts)


def _rem(lang, r):
    return fill(SRC.units[lang]["rem"], {"r": r}) if r else ""


def _clock(minutes):
    return "{}:{:02d}".format(*divmod(minutes % (24 * 60), 60))


def _bill_for(cost):
    for b in (10, 20, 50, 100, 200):
        if b > cost:
            return b
    return (cost // 100 + 1) * 100


# --- maths word problems: (rng, lang, followup) -> turns ------------------------------


def math_shop(rng, lang, followup=False):
    a, p = rng.randint(2, 8), rng.randint(2, 12)
    bill = _bill_for(a * p)
    extra = rng.randint(1, 4)
    n2 = a + extra
    s = dict(a=a, p=p, cost=a * p, bill=bill, change=bill - a * p, extra=extra, n2=n2, c2=n2 * p)
    s.update(change2=bill - n2 * p, short=n2 * p - bill, name=pick(rng, pool(lang, "names")))
    s.update(pick(rng, pool(lang, "shop_items")))
    return task("shop", lang, s, followup, fa="fa" if n2 * p <= bill else "fa_short")


def math_speed(rng, lang, followup=False):
    v = rng.choice([40, 60, 80, 90, 100, 120, 150])
    t2 = rng.choice([3, 4, 5, 6, 7])  # half-hours
    d = v * t2 // 2
    v2 = pick(rng, [w for w in (40, 50, 60, 75, 80, 100, 120) if w != v and (d * 60) % w == 0])
    mins2 = d * 60 // v2
    s = dict(v=v, hours=f"{t2 / 2:g}", d=d, v2=v2, h2=f"{mins2 / 60:g}", hm2=_hm(mins2, lang))
    return task("speed", lang, s, followup)


def math_share(rng, lang, followup=False):
    k = rng.randint(3, 9)
    n = rng.randint(k * 2, k * 9)
    k2 = pick(rng, [x for x in range(2, 11) if x != k])
    t = SRC.tasks["share"][lang]
    s = dict(n=n, k=k, each=n // k, rest=n % k, k2=k2, e2=n // k2, r2=n % k2, be=t["be"][n % k == 1])
    s.update(pick(rng, t["things"]))
    return task("share", lang, s, followup)


def math_rect(rng, lang, followup=False):
    w, h = rng.randint(4, 25), rng.randint(3, 18)
    if w == h:
        w += 1
    s = dict(w=w, h=h, area=w * h, per=2 * (w + h), w2=2 * w, area2=2 * w * h)
    return task("rect", lang, s, followup)


def math_discount(rng, lang, followup=False):
    while True:
        pct = rng.choice([10, 15, 20, 25, 30, 40, 50])
        price = rng.randint(4, 60) * 5
        if (price * (100 - pct)) % 100 == 0:
            break
    sale = price * (100 - pct) // 100
    coupon = rng.choice([5, 10])
    s = dict(price=price, pct=pct, keep=100 - pct, zhe=f"{(100 - pct) / 10:g}", sale=sale, off=price - sale)
    s.update(coupon=coupon, net=sale - coupon)
    return task("discount", lang, s, followup)


def math_time(rng, lang, followup=False):
    start = rng.randint(9 * 12, 20 * 12) * 5
    dur = rng.randint(17, 34) * 5
    back = rng.choice([15, 20, 25, 30, 40])
    s = dict(start=_clock(start), dur=dur, dur_hm=_hm(dur, lang), end=_clock(start + dur), back=back)
    s["home"] = _clock(start + dur + back)
    return task("time", lang, s, followup)


def math_pages(rng, lang, followup=False):
    r = rng.choice([12, 15, 20, 25, 30, 40])
    n = rng.randint(6, 30) * 10 + rng.choice([0, 0, 5])
    days, rest = divmod(n, r)
    r2 = r + rng.choice([5, 10])
    d2, rest2 = divmod(n, r2)
    s = dict(n=n, r=r, days=days, rest=rest, total=days + (1 if rest else 0), r2=r2, d2=d2, rem2=_rem(lang, rest2))
    s.update(t2=d2 + (1 if rest2 else 0), name=pick(rng, pool(lang, "names")))
    return task("pages", lang, s, followup, a="a_rest" if rest else "a")


def math_age(rng, lang, followup=False):
    a, k, y = rng.randint(4, 12), rng.choice([3, 4, 5]), rng.randint(2, 10)
    s = dict(a=a, k=k, y=y, now=a * k, later=a * k + y, a_later=a + y, name=pick(rng, pool(lang, "names")))
    return task("age", lang, s, followup)


def math_savings(rng, lang, followup=False):
    save = rng.choice([15, 20, 25, 30, 40, 50])
    target = rng.randint(8, 40) * 10
    w, rest = divmod(target, save)
    w2, r2 = divmod(target, save + 10)
    s = dict(s=save, target=target, w=w, rest=rest, saved=w * save, weeks=w + (1 if rest else 0), s2=save + 10)
    s.update(w2=w2, rem2=_rem(lang, r2), weeks2=w2 + (1 if r2 else 0), name=pick(rng, pool(lang, "names")))
    return task("savings", lang, s, followup, a="a_rest" if rest else "a")


MATH_GENS = [math_shop, math_speed, math_share, math_rect, math_discount, math_time, math_pages, math_age, math_savings]


# --- formatting tasks: (rng, lang, followup) -> turns ----------------------------------


def _fmt_num(x):
    return (f"{x:.2f}").rstrip("0").rstrip(".")


def _numbered(items, start=1):
    return "\n".join(f"{k}. {x}" for k, x in enumerate(items, start))


def _json_block(obj):
    return json.dumps(obj, ensure_ascii=False, indent=2)


def fmt_sort_numbers(rng, lang, followup=False):
    nums = rng.sample(range(1, 200), rng.randint(5, 8))
    desc = rng.random() < 0.3
    t = SRC.tasks["sort"][lang]
    total = sum(nums)
    s = dict(order=t["order"][desc], src=t["sep"].join(map(str, nums)), total=total, count=len(nums))
    s.update(out=t["sep"].join(map(str, sorted(nums, reverse=desc))), terms=" + ".join(map(str, nums)))
    s["mean"] = fill(t["exact" if total % len(nums) == 0 else "rounded"], {"avg": _fmt_num(total / len(nums))})
    return task("sort", lang, s, followup, kind="format")


def fmt_list(rng, lang, followup=False):
    cat = pick(rng, sorted(SRC.list_pools))
    words = SRC.list_pools[cat][lang == "zh"]
    n = rng.randint(3, 5)
    idx = rng.sample(range(len(SRC.list_pools[cat][0])), n + 2)
    items = [cap(words[i]) for i in idx[:n]]  # cap: "apples" -> "Apples"; a no-op on Chinese and on "Python"
    if lang == "en":  # the English follow-up sorts the list, the Chinese one asks for two more
        follow = _numbered(sorted(items, key=str.lower))
    else:
        follow = _numbered([words[i] for i in idx[n:]], start=n + 1)
    s = dict(count=SRC.tasks["list"][lang]["count"][n], cat=SRC.zh_cat[cat] if lang == "zh" else cat)
    s.update(listing=_numbered(items), listing2=follow)
    return task("list", lang, s, followup, kind="format")


def fmt_json(rng, lang, followup=False):
    age = rng.randint(19, 66)
    t = SRC.tasks["json"][lang]
    name = t["name_sep"].join(pick(rng, getattr(SRC, key)) for key in t["name_from"])
    obj = {"name": name, "age": age, "city": pick(rng, pool(lang, "cities")), "job": pick(rng, t["jobs"])}
    s = dict(obj, a_job=an(obj["job"]), json=_json_block(obj))
    if followup and lang == "en":
        first, last = name.lower().split()[:2]
        s["email"] = obj["email"] = fill(t["email"], {"first": first, "last": last})
    elif followup:
        s["hobby"] = pick(rng, t["hobbies"])
        obj["hobbies"] = [s["hobby"]]
    s["json2"] = _json_block(obj)
    return task("json", lang, s, followup, kind="format")


def fmt_bullets(rng, lang, followup=False):
    cat = pick(rng, ["fruits", "vegetables", "sports", "musical instruments"])
    words = SRC.list_pools[cat][lang == "zh"]
    items = [words[i] for i in rng.sample(range(len(SRC.list_pools[cat][0])), rng.randint(3, 6))]
    s = dict(src=SRC.tasks["bullets"][lang]["sep"].join(items), out="\n".join("- " + x for x in items))
    return task("bullets", lang, s, kind="format")


def fmt_table(rng, lang, followup=False):
    cat = pick(rng, ["fruits", "vegetables"])
    words = SRC.list_pools[cat][lang == "zh"]
    t = SRC.tasks["table"][lang]
    idx = rng.sample(range(len(SRC.list_pools[cat][0])), 3)
    rows = [{"name": cap(words[i]), "price": rng.randint(2, 12)} for i in idx]
    s = dict(src=t["sep"].join(fill(t["row"], r) for r in rows))
    s["rows"] = "\n".join("| {name} | {price} |".format_map(r) for r in rows)
    return task("table", lang, s, kind="format")


def fmt_count(rng, lang, followup=False):
    sent = pick(rng, [p[lang == "zh"] for p in SRC.parallel])
    if lang == "en":
        n = len(sent.replace("!", " ").replace("?", " ").replace(".", " ").replace(",", " ").split())
    else:
        n = sum(1 for ch in sent if "\u4e00" <= ch <= "\u9fff")
    return task("count", lang, {"sent": sent, "n": n}, kind="format")


def fmt_convert(rng, lang, followup=False):
    kind = rng.randrange(4)
    if kind == 0:  # km -> m
        x = _fmt_num(rng.randint(3, 95) / 2)
        y = int(float(x) * 1000)
    elif kind == 1:  # hours -> minutes
        x = _fmt_num(rng.randint(1, 20) / 4)
        y = int(float(x) * 60)
    elif kind == 2:  # °C -> °F
        x = rng.randint(-4, 8) * 5
        y = x * 9 // 5 + 32
    else:  # kg -> g
        x = _fmt_num(rng.randint(1, 30) / 4)
        y = int(round(float(x) * 1000))
    return task(["km", "hours", "celsius", "kg"][kind], lang, {"x": x, "y": y}, kind="format")


def fmt_prime(rng, lang, followup=False):
    n = rng.randint(20, 300)
    d = next(k for k in range(2, n + 1) if n % k == 0)  # smallest divisor: n itself when n is prime
    s = dict(n=n, root=math.isqrt(n), d=d, q=n // d)
    return task("prime", lang, s, a="yes" if d == n else "no", kind="format")


def fmt_gcd(rng, lang, followup=False):
    g = rng.choice([2, 3, 4, 5, 6, 7, 8, 9, 12])
    a, b = g * rng.randint(2, 12), g * rng.randint(2, 12)
    while a == b:
        b = g * rng.randint(2, 12)
    gcd = math.gcd(a, b)
    return task("gcd", lang, dict(a=a, b=b, gcd=gcd, lcm=a * b // gcd), kind="format")


FMT_SINGLE = [fmt_sort_numbers, fmt_list, fmt_json, fmt_bullets, fmt_table, fmt_count, fmt_convert, fmt_prime, fmt_gcd]
FMT_FOLLOW = [fmt_sort_numbers, fmt_list, fmt_json]


def translation_turn(rng, lang, pair):
    """Translate one side of a parallel pair: half the time into the other language, else into the user's own."""
    en, zh = pair
    if rng.random() < 0.5:  # into the other language
        prompts, out, src = (SRC.en_tr_to_zh, zh, en) if lang == "en" else (SRC.zh_tr_to_en, en, zh)
    else:
        prompts, out, src = (SRC.en_tr_to_en, en, zh) if lang == "en" else (SRC.zh_tr_to_zh, zh, en)
    return T(pick(rng, prompts), out, src, kind="translate")
