"""Helpers every sample generator shares, and the pools: data/samples/src/*.yaml as ``SRC``."""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC_DIR = os.path.join(ROOT, "data", "samples", "src")  # the prose and word pools, as YAML beside the samples

MIN_CHARS = 150
MAX_CHARS = 800


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def pick(rng, seq):
    return seq[rng.randrange(len(seq))]


def fill(template, slots):
    """``template`` with its ``{name}`` (or ``{name:spec}``) placeholders filled from ``slots``; never eval.

    A placeholder with no slot (a typo in a src/*.yaml template) raises ValueError naming the template and its slots.
    """
    try:
        return template.format_map(slots)
    except (KeyError, IndexError, ValueError) as e:
        raise ValueError(f"template {template!r}: no slot {e} (it has: {', '.join(sorted(slots))})") from None


def pool(lang, key):
    """The pool ``<lang>_<key>``: ``pool("zh", "names")`` is ``SRC.zh_names``."""
    return getattr(SRC, f"{lang}_{key}")


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


def zh_num(n):
    """Chinese numerals for 0..99 (small counts)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


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
    refused (one pool, one place), and so is a file that does not parse (ValueError "<file>: line L, column C: ...").
    Sequences load as lists (the generators only iterate, index and unpack them).
    """
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    import yaml

    from backend.safe_yaml import read_yaml_file, yaml_problem

    pools = {}
    for name in sorted(os.listdir(src_dir)):
        if not name.endswith(".yaml"):
            continue
        try:
            data = read_yaml_file(os.path.join(src_dir, name))
        except yaml.YAMLError as e:
            raise ValueError(f"{name}: {yaml_problem(e)}") from None
        if not isinstance(data, dict):
            raise ValueError(f"{name}: expected a mapping of pool name to pool, got {type(data).__name__}")
        for key, pool in data.items():
            if key in pools:
                raise ValueError(f"{name}: pool {key!r} is already defined in {pools[key][0]}")
            pools[key] = (name, pool)
    return SimpleNamespace(**{key: pool for key, (_, pool) in pools.items()})


SRC = load_sources()


def season_of(month):
    """The season (a pool key) of month 1..12: December to February is winter."""
    return ("winter", "spring", "summer", "autumn")[month % 12 // 3]


def town_names(rng, parts_a, parts_b, n):
    """``n`` distinct names ``a + b`` (no doubled letter at the joint), in a shuffled order."""
    combos = [a + b for a in parts_a for b in parts_b if a[-1:] != b[:1]]
    rng.shuffle(combos)
    return combos[:n]
