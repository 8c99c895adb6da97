"""Draws both languages' paragraphs share: football scores, basketball quarters, forecast days, race times, trips.

The numbers are the same in English and Chinese; each language's frames (``SRC.<lang>_frames``) tell them.
"""

from __future__ import annotations

from samplegen.common import fill, pick

SCORES = [(2, 1), (1, 0), (3, 1), (0, 0), (1, 1), (2, 2), (0, 2), (1, 3), (4, 2), (3, 0)]  # football results


def _quarters(rng):
    """Four quarter scores per side, drawn until the game has a winner."""
    while True:
        hq = [rng.randint(16, 31) for _ in range(4)]
        aq = [rng.randint(16, 31) for _ in range(4)]
        if sum(hq) != sum(aq):
            return hq, aq


def basketball_slots(rng, home, away):
    """The numbers of a basketball report, and which frames tell them: ``(slots, [frame key, ...])``."""
    hq, aq = _quarters(rng)
    ht, at, hh, ah = sum(hq), sum(aq), hq[0] + hq[1], aq[0] + aq[1]
    s = dict(home=home, away=away, ht=ht, at=at, hi=max(ht, at), lo=min(ht, at), hq=hq, aq=aq)
    s.update(win=home if ht > at else away, lose=away if ht > at else home, h_half=hh, a_half=ah)
    s.update(half_hi=max(hh, ah), half_lo=min(hh, ah), diff=abs(hh - ah))
    led_won = (hh > ah) == (ht > at)  # the team ahead at half-time won
    keys = ["basketball_level" if hh == ah else "basketball_led" if led_won else "basketball_trailed"]
    best = max(range(4), key=lambda k: abs(hq[k] - aq[k]))  # the quarter with the widest margin
    if hq[best] != aq[best]:
        s.update(best=best, team=home if hq[best] > aq[best] else away)
        s.update(q_hi=max(hq[best], aq[best]), q_lo=min(hq[best], aq[best]))
        keys.append("basketball_decisive")
    return s, keys


def mmss(frames, t):
    """``t`` seconds as a race time, by the language's ``race_time`` frame."""
    m, sec = divmod(t, 60)
    return fill(frames["race_time"], {"m": m, "s": sec})


def forecast_day(rng, season, lo_t, hi_t, conditions):
    """One day of a forecast: (condition, its kind, high, low); hot days reach 28 °C, cold ones stay under 3 °C."""
    cond, kind = pick(rng, conditions[season])
    hi = rng.randint(lo_t + 5, hi_t)
    if kind == "hot":
        hi = max(hi, 28)
    elif kind == "cold":
        hi = min(hi, 2)
    return cond, kind, hi, hi - rng.randint(4, 11)


def travel_acts(rng, acts, tags):
    """The activities that fit a place's tags (an activity without a ``need`` fits anywhere), shuffled."""
    ok = [a for a, need in acts if not need or set(need.split()) & set(tags.split())]
    return rng.sample(ok, len(ok))
