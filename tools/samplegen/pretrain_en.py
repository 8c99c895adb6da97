"""English pretraining paragraphs: ``en_<kind>(rng, i, places) -> (title, text)``, composed from ``SRC`` pools.

``i`` counts the documents of that kind made so far (topics are taken in turn); ``places`` hands out the fictional
towns, cities and teams (gen_samples.Places).

The sentence frames are ``SRC.en_frames`` (data/samples/src/pretrain_en.yaml); this module draws the numbers and
words, picks the frames and fills them.
"""

from __future__ import annotations

from samplegen.common import SRC, an, cap, en_join, fill, fit, ordinal, pick, season_of
from samplegen.draws import SCORES, basketball_slots, forecast_day, mmss, travel_acts

F = SRC.en_frames


def en_diary(rng, i, places):
    month = rng.randint(1, 12)
    s = dict(day=rng.randint(1, 28), wd=pick(rng, SRC.en_weekdays), friend=pick(rng, SRC.en_names))
    s["month"] = SRC.en_months[month - 1]
    head = fill(pick(rng, F["diary_head"]), s)
    shuffled = rng.sample(SRC.en_diary_events, len(SRC.en_diary_events))
    k = rng.choice([1, 2, 2, 3])
    events, spare = shuffled[:k], [fill(e, s) for e in shuffled[k:]]
    sents = [head, pick(rng, SRC.en_diary_weather[season_of(month)]), pick(rng, SRC.en_diary_morning)]
    sents += events
    sents.append(fill(pick(rng, SRC.en_diary_food), dict(s, dish=pick(rng, SRC.en_dishes))))
    sents.append(pick(rng, SRC.en_diary_end))
    return fill(F["diary_title"], s), fit([fill(x, s) for x in sents], "en", pad=spare, drop=True)


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


def en_fable(rng, i, places):
    fable = SRC.en_fables[i % len(SRC.en_fables)]
    place, season = pick(rng, SRC.en_places), pick(rng, F["seasons"])
    slots = _fable_slots(rng, fable, place, season, pick(rng, SRC.en_foods))
    sents = [fill(pick(rng, stage), slots) for stage in fable["stages"]]
    sents.append(pick(rng, SRC.en_moral_prefix) + pick(rng, fable["morals"]))
    return fill(fable["title"], slots), fit(sents, "en")


def en_recipe(rng, i, places):
    dish, ingr, steps, tips = SRC.en_recipes[i % len(SRC.en_recipes)]
    s = dict(dish=dish, Dish=cap(dish), ingr=ingr)
    sents = [fill(pick(rng, SRC.en_recipe_intro), s), fill(F["recipe_need"], s)]
    if rng.random() < 0.5:
        links = SRC.en_step_link  # first, then the 2nd/3rd/4th-and-later links, and the last step's
        sents += [
            (links[0] if j == 0 else links[-1] if j == len(steps) - 1 else links[min(j, 3)]) + x[0].lower() + x[1:]
            for j, x in enumerate(steps)
        ]
    else:
        sents += steps
    tip = pick(rng, tips)
    sents.append(fill(pick(rng, F["recipe_tip"]), {"Tip": tip, "tip": tip[0].lower() + tip[1:]}))
    sents.append(pick(rng, SRC.en_recipe_end))
    return fill(F["recipe_title"], s), fit(sents, "en")


def en_town(rng, i, places):
    name = places.town()
    pop = rng.choice([rng.randint(3, 40) * 1000 + rng.randint(0, 9) * 100, rng.randint(40, 400) * 1000])
    s = dict(name=name, a_kind=an(pick(rng, SRC.en_town_kind)), bank=pick(rng, F["compass4"]))
    s.update(river=pick(rng, SRC.en_rivers), km=rng.randint(12, 140), dir=pick(rng, F["compass6"]), pop=pop)
    sents = [fill(F["town_intro"], s), fill(F["town_pop"], s)]
    for h in rng.sample(SRC.en_town_history, 2):
        slots = dict(fire=rng.randint(1650, 1850), rail=rng.randint(1840, 1895), charter=rng.randint(1190, 1480))
        sents.append(fill(h, dict(slots, meaning=pick(rng, SRC.en_town_meaning))))
    sents.append(fill(F["town_landmark"], {"x": pick(rng, SRC.en_town_landmark)}))
    sents.append(fill(F["town_econ"], {"x": pick(rng, SRC.en_town_econ)}))
    if rng.random() < 0.7:
        month = pick(rng, SRC.en_months)
        sents.append(fill(F["town_festival"], {"month": month, "x": pick(rng, SRC.en_town_festival)}))
    sents.append(pick(rng, SRC.en_town_climate))
    if rng.random() < 0.6:
        sents.append(pick(rng, SRC.en_town_transport))
    return name, fit(sents, "en", drop=True)


def en_science(rng, i, places):
    title, q, facts, close = SRC.en_science[i % len(SRC.en_science)]
    opener = fill(pick(rng, SRC.en_sci_open), {"q": q, "Q": cap(q)})
    k = rng.randint(max(3, len(facts) - 2), len(facts))
    keep = [0] + sorted(rng.sample(range(1, len(facts)), k - 1))  # the defining sentence always stays
    sents = [opener] + [facts[j] for j in keep]
    if rng.random() < 0.7:
        sents.append(close)
    return title, fit(sents, "en")


def en_animal(rng, i, places):
    title, lead, facts = SRC.en_animals[i % len(SRC.en_animals)]
    chosen = rng.sample(facts, rng.randint(3, len(facts)))
    return title, fit([lead] + chosen + [pick(rng, SRC.en_animal_close)], "en")


def en_history(rng, i, places):
    name = pick(rng, SRC.en_hist_names)
    plot = SRC.en_hist_plots[i % len(SRC.en_hist_plots)]
    opener = fill(
        pick(rng, SRC.en_hist_open),
        dict(
            n=ordinal(rng.randint(3, 40)),
            queen=pick(rng, SRC.en_queens),
            city=pick(rng, SRC.en_hist_cities),
            role=pick(rng, SRC.en_hist_roles),
            name=name,
            trait=pick(rng, SRC.en_hist_traits),
        ),
    )
    sents = [opener] + [fill(x, {"name": name}) for x in plot + [pick(rng, SRC.en_hist_end)]]
    return fill(F["history_title"], {"name": name}), fit(sents, "en")


def en_programming(rng, i, places):
    title, q, facts = SRC.en_prog[i % len(SRC.en_prog)]
    opener = fill(pick(rng, SRC.en_prog_open), {"q": q})
    k = rng.randint(4, len(facts))
    keep = [0] + sorted(rng.sample(range(1, len(facts)), k - 1))
    return fill(F["programming_title"], {"title": title}), fit([opener] + [facts[j] for j in keep], "en")


# --- sports reports (numbers are generated, text is consistent with them) -------


def en_football(rng, i, places):
    home, away = places.team(), places.team()
    hs, as_ = rng.choice(SCORES)
    s = dict(home=home, away=away, hs=hs, as_=as_, crowd=rng.randint(18, 240) * 50, ground=home.split()[0])
    s["day"] = pick(rng, F["football_days"])
    sents = [fill(F["football_win" if hs > as_ else "football_loss" if hs < as_ else "football_draw"], s)]
    sents.append(pick(rng, SRC.en_football_colour))
    for team, n in ((home, hs), (away, as_)):
        if n == 0:
            continue
        names = rng.sample(SRC.en_surnames, 2)
        goals = [(m, pick(rng, names)) for m in sorted(rng.sample(range(2, 91), n))]
        by = {}
        for m, who in goals:
            by.setdefault(who, []).append(m)
        g = dict(team=team, n=n, who=goals[0][1], nth=ordinal(goals[0][0]))
        if n == 1:
            sents.append(fill(F["goal_one"], g))
        elif len(by) == 1:
            g["feat"] = fill(F["goal_feat"].get(n, F["goal_feat"]["all"]), g)
            sents.append(fill(F["goal_solo"], dict(g, mins=en_join(ordinal(m) for m in by[g["who"]]))))
        else:
            parts = [fill(F["goal_part"], {"who": w, "mins": ", ".join(f"{m}'" for m in ms)}) for w, ms in by.items()]
            sents.append(fill(F["goal_many"], dict(g, parts=en_join(parts))))
    ev = rng.sample(SRC.en_football_events, len(SRC.en_football_events))
    sents.append(fill(ev[0], {"p": pick(rng, SRC.en_surnames)}))
    spare = [fill(e, {"p": pick(rng, SRC.en_surnames)}) for e in ev[1:]]
    if hs == as_ == 0:
        sents.append(fill(F["football_crossbar"], {"p": pick(rng, SRC.en_surnames)}))
    if hs != as_:
        s["winner"] = home if hs > as_ else away
        sents.append(fill(pick(rng, F["football_coach"]), s))
        s.update(place=ordinal(rng.randint(1, 8)), pts=rng.randint(14, 40))
        sents.append(fill(F["football_table"], s))
    else:
        sents.append(pick(rng, F["football_drawn"]))
    return fill(F["football_title"], s), fit(sents, "en", pad=spare)


def en_basketball(rng, i, places):
    home, away = places.team(), places.team()
    s, keys = basketball_slots(rng, home, away)
    s["weekday"] = pick(rng, SRC.en_weekdays)
    if "best" in s:
        s["nth"] = F["quarter_names"][s["best"]]
    sents = [fill(F[key], s) for key in ["basketball_first"] + keys]
    s.update(pts=rng.randint(18, 34), p1=pick(rng, SRC.en_surnames), p2=pick(rng, SRC.en_surnames))
    s["reb"] = rng.randint(8, 15)
    s.update(hqs=", ".join(map(str, s["hq"])), aqs=", ".join(map(str, s["aq"])))
    sents += [fill(F["basketball_top"], s), fill(F["basketball_quarters"], s)]
    return fill(F["basketball_title"], s), fit(sents, "en")


def en_race(rng, i, places):
    town = places.city()
    n = rng.randint(300, 2400)
    base = rng.randint(29 * 60, 34 * 60)
    gap = rng.randint(3, 48)
    third_gap = gap + rng.randint(2, 40)
    w, r2, r3 = rng.sample(SRC.en_surnames, 3)
    fem = base + rng.randint(150, 300)
    s = dict(n=n - n % 50, town=town, day=pick(rng, F["race_days"]), w=w, r2=r2, r3=r3, gap=gap)
    s.update(t1=mmss(F, base), t3=mmss(F, base + third_gap), tf=mmss(F, fem))
    sents = [fill(F["race_intro"], s), pick(rng, F["race_course"]), fill(F["race_men"], s)]
    sents.append(fill(F["race_women"], dict(s, f=pick(rng, SRC.en_surnames))))
    sents.append(pick(rng, F["race_extra"]))
    return fill(F["race_title"], s), fit(sents, "en")


def en_forecast(rng, i, places):
    city = places.city()
    month = rng.randint(1, 12)
    season = season_of(month)
    lo_t, hi_t = SRC.en_temps[season]
    s = dict(city=city, day=rng.randint(1, 28), month=SRC.en_months[month - 1])
    sents = [fill(F["forecast_intro"], s)]
    first_kind = None
    for d in F["forecast_days"] + [pick(rng, SRC.en_weekdays)]:
        cond, kind, hi, lo = forecast_day(rng, season, lo_t, hi_t, SRC.en_conditions)
        sents.append(fill(F["forecast_day"], dict(d=d, cond=cap(cond), hi=hi, lo=lo, wind=rng.randint(5, 45))))
        first_kind = first_kind or kind
    sents.append(SRC.en_wx_advice[first_kind])
    if rng.random() < 0.5:
        sents.append(pick(rng, F["forecast_outlook"]))
    return fill(F["forecast_title"], s), fit(sents, "en")


def en_season(rng, i, places):
    season = ["spring", "summer", "autumn", "winter"][i % 4]
    pool = SRC.en_season_notes[season]
    sents = [pool[0]] + rng.sample(pool[1:], len(pool) - 1)
    return fill(F["season_title"], {"season": season}), fit(sents, "en")


def en_school(rng, i, places):
    s1, s2 = rng.sample(list(SRC.en_subjects), 2)
    s = dict(s1=s1, s2=s2, teacher=pick(rng, SRC.en_teachers), friend=pick(rng, SRC.en_names))
    sents = [fill(pick(rng, F["school_open"]), s)]
    sents.append(fill(F["school_first"], dict(s, x=pick(rng, SRC.en_subjects[s1]))))
    sents.append(fill(F["school_second"], dict(s, x=pick(rng, SRC.en_subjects[s2]))))
    extra = [fill(x, s) for x in rng.sample(SRC.en_school_extra, len(SRC.en_school_extra))]
    k = rng.randint(1, 2)
    sents += extra[:k]
    sents.append(fill(pick(rng, SRC.en_school_end), s))
    return fill(F["school_title"], s), fit(sents, "en", pad=extra[k:], drop=True)


def en_travel(rng, i, places):
    town = places.town()
    kind, tags = pick(rng, SRC.en_travel_kind)
    acts = travel_acts(rng, SRC.en_travel_do, tags)
    k = rng.randint(2, 3)
    foods = [f for f in SRC.en_travel_food if "water" in tags or F["travel_water_food"] not in f]
    no_land = "island" in kind  # nobody takes the train or drives to an island
    arrive = [a for a in SRC.en_travel_arrive if not no_land or not any(w in a for w in F["travel_by_land"])]
    sents = [fill(pick(rng, arrive), {"place": fill(F["travel_place"], {"town": town, "kind": kind})})]
    sents.append(pick(rng, SRC.en_travel_stay))
    sents += acts[:k]
    sents.append(pick(rng, foods))
    sents.append(pick(rng, SRC.en_travel_end))
    return fill(F["travel_title"], {"town": town}), fit(sents, "en", pad=acts[k:], drop=True)
