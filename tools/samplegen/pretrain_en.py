# ruff: noqa: E501  -- most long lines are hand-written natural-language sentences
"""English pretraining paragraphs: ``en_<kind>(rng, ...) -> (title, text)``, composed from ``SRC`` pools."""

from __future__ import annotations

from samplegen.common import SRC, an, cap, en_join, fit, fmt_int, ordinal, pick, season_of

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
