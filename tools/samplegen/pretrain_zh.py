"""Chinese pretraining paragraphs: ``zh_<kind>(rng, i, places) -> (title, text)``, as in pretrain_en.

The sentence frames are ``SRC.zh_frames`` (data/samples/src/pretrain_zh.yaml); this module draws the numbers and
words, picks the frames and fills them.
"""

from __future__ import annotations

from samplegen.common import SRC, fill, fit, pick, season_of, zh_num
from samplegen.draws import SCORES, basketball_slots, forecast_day, mmss, travel_acts

F = SRC.zh_frames


def zh_person(rng):
    return pick(rng, SRC.zh_surnames) + pick(rng, SRC.zh_given)


def zh_diary(rng, i, places):
    s = dict(month=rng.randint(1, 12), day=rng.randint(1, 28), wd=pick(rng, SRC.zh_weekdays))
    s["friend"] = pick(rng, SRC.zh_names)
    s["weather"], wsent = pick(rng, SRC.zh_diary_weather[season_of(s["month"])])
    sents = [fill(F["diary_head"], s), wsent, pick(rng, SRC.zh_diary_morning)]
    shuffled = rng.sample(SRC.zh_diary_events, len(SRC.zh_diary_events))
    k = rng.choice([2, 2, 3])
    sents += shuffled[:k]
    spare = [fill(e, s) for e in shuffled[k:]]
    sents.append(fill(pick(rng, SRC.zh_diary_food), dict(s, dish=pick(rng, SRC.zh_dishes))))
    sents.append(pick(rng, SRC.zh_diary_end))
    return fill(F["diary_title"], s), fit([fill(x, s) for x in sents], "zh", pad=spare, drop=True)


def zh_fable(rng, i, places):
    fable = SRC.zh_fables[i % len(SRC.zh_fables)]
    slots = {"place": pick(rng, SRC.zh_places), "season": pick(rng, F["seasons"]), "food": pick(rng, SRC.zh_foods)}
    used = []
    for key in ("a", "b", "c"):
        if key in fable:  # each character a different animal: {a}, and {A1} its "一只"
            name, measure = pick(rng, [x for x in fable[key] if x[0] not in used])
            used.append(name)
            slots[key] = name
            slots[key.upper() + "1"] = fill(F["one"], {"cl": measure})
    sents = [fill(pick(rng, stage), slots) for stage in fable["stages"]]
    sents.append(pick(rng, SRC.zh_moral_prefix) + pick(rng, fable["morals"]))
    return fill(fable["title"], slots), fit(sents, "zh")


def zh_recipe(rng, i, places):
    dish, ingr, steps, tips = SRC.zh_recipes[i % len(SRC.zh_recipes)]
    sents = [fill(pick(rng, SRC.zh_recipe_intro), {"dish": dish}), fill(F["recipe_need"], {"ingr": ingr})]
    if rng.random() < 0.5:  # 首先 ... 接着/然后/随后 in turn ... 最后
        links = SRC.zh_step_link
        sents += [
            (links[0] if j == 0 else links[-1] if j == len(steps) - 1 else links[1 + (j - 1) % 3]) + x
            for j, x in enumerate(steps)
        ]
    else:
        sents += [F["step_marks"][j] + x for j, x in enumerate(steps)]
    sents.append(fill(F["recipe_tip"], {"tip": pick(rng, tips)}))
    sents.append(pick(rng, SRC.zh_recipe_end))
    return fill(F["recipe_title"], {"dish": dish}), fit(sents, "zh")


def zh_town(rng, i, places):
    base = places.town()
    suffix = pick(rng, F["town_suffixes"])
    s = dict(name=base + suffix, kind=pick(rng, SRC.zh_town_kind[suffix]), one=F["town_one"][suffix])
    if suffix == "镇":
        s["pop"] = rng.randint(8, 60) * 1000 + rng.randint(0, 9) * 100
    else:
        s["pop"] = rng.randint(18, 75) if suffix == "县" else rng.randint(40, 260)
    s.update(river=pick(rng, SRC.zh_rivers), bank=pick(rng, F["compass4"]), km=rng.randint(20, 300))
    sents = [fill(F["town_intro"], s), fill(F["town_pop"][suffix], s)]
    hist = [
        fill(h, {"rail": rng.randint(1905, 1995)}) for h in rng.sample(SRC.zh_town_history, len(SRC.zh_town_history))
    ]
    sents += hist[:2]
    sents.append(fill(F["town_landmark"], {"x": pick(rng, SRC.zh_town_landmark)}))
    sents.append(fill(F["town_econ"], {"x": pick(rng, SRC.zh_town_econ)}))
    if rng.random() < 0.6:
        sents.append(fill(F["town_snack"], {"x": pick(rng, SRC.zh_town_snack)}))
    if rng.random() < 0.6:
        m, fest = pick(rng, SRC.zh_town_festival)
        sents.append(fill(F["town_festival"], {"m": m, "x": fest}))
    sents.append(s["name"] + pick(rng, SRC.zh_town_climate))
    tr = pick(rng, [t for t in SRC.zh_town_transport if suffix == "镇" or F["town_only_phrase"] not in t])
    if rng.random() < 0.5:
        sents.append(tr)
        tr = None
    return s["name"], fit(sents, "zh", pad=[tr] + hist[2:3] if tr else hist[2:3])


def zh_science(rng, i, places):
    title, q, facts, close = SRC.zh_science[i % len(SRC.zh_science)]
    opener = fill(pick(rng, SRC.zh_sci_open), {"q": q})
    # each topic appears once, so keep every sentence (Chinese text is denser)
    return title, fit([opener] + list(facts) + [close], "zh")


def zh_animal(rng, i, places):
    title, lead, facts = SRC.zh_animals[i % len(SRC.zh_animals)]
    shuffled = rng.sample(facts, len(facts))
    k = rng.randint(4, len(facts))
    sents = [lead] + shuffled[:k] + [pick(rng, SRC.zh_animal_close)]
    return fill(F["animal_title"], {"title": title}), fit(sents, "zh", pad=shuffled[k:])


def zh_history(rng, i, places):
    name = pick(rng, SRC.zh_hist_names)
    plot = SRC.zh_hist_plots[i % len(SRC.zh_hist_plots)]
    opener = fill(
        pick(rng, SRC.zh_hist_open),
        dict(
            era=pick(rng, SRC.zh_eras),
            city=pick(rng, SRC.zh_hist_cities),
            role=pick(rng, SRC.zh_hist_roles),
            name=name,
            trait=pick(rng, SRC.zh_hist_traits),
        ),
    )
    sents = [opener] + [fill(x, {"name": name}) for x in plot + [pick(rng, SRC.zh_hist_end)]]
    return fill(F["history_title"], {"name": name}), fit(sents, "zh")


def zh_programming(rng, i, places):
    title, q, facts = SRC.zh_prog[i % len(SRC.zh_prog)]
    opener = fill(pick(rng, SRC.zh_prog_open), {"q": q})
    sents = [opener] + list(facts) + [pick(rng, SRC.zh_prog_close)]
    return fill(F["programming_title"], {"title": title}), fit(sents, "zh")


# --- sports ----------------------------------------------------------------------


def zh_football(rng, i, places):
    home, away = places.team(), places.team()
    hs, as_ = rng.choice(SCORES)
    s = dict(home=home, away=away, hs=hs, as_=as_, crowd=rng.randint(18, 240) * 50)
    if hs > as_:
        s["day"] = pick(rng, F["football_days"])
    sents = [fill(F["football_win" if hs > as_ else "football_loss" if hs < as_ else "football_draw"], s)]
    sents.append(pick(rng, F["football_colour"]))
    for team, n in ((home, hs), (away, as_)):
        if n == 0:
            continue
        mins = sorted(rng.sample(range(2, 91), n))
        players = [zh_person(rng) for _ in range(2)]
        by = {}
        for m in mins:
            by.setdefault(pick(rng, players), []).append(m)
        g = dict(team=team, who=next(iter(by)), m=mins[0], mins="、".join(map(str, mins)))
        if n == 1:
            sents.append(fill(F["goal_one"], g))
        elif len(by) == 1:
            g["feat"] = fill(F["goal_feat"].get(n, F["goal_feat"]["all"]), {"n": zh_num(n)})
            sents.append(fill(F["goal_solo"], g))
        else:
            parts = [fill(F["goal_part"], {"who": w, "mins": "、".join(map(str, ms))}) for w, ms in by.items()]
            sents.append(fill(F["goal_many"], dict(g, parts=F["and"].join(parts))))
    ev = rng.sample(SRC.zh_football_events, len(SRC.zh_football_events))
    sents.append(fill(ev[0], {"p": zh_person(rng)}))
    spare = [fill(e, {"p": zh_person(rng)}) for e in ev[1:]]
    if hs == as_ == 0:
        sents.append(fill(F["football_crossbar"], {"p": zh_person(rng)}))
    if hs != as_:
        s["winner"] = home if hs > as_ else away
        s.update(pts=rng.randint(14, 40), place=rng.randint(1, 8))
        sents += [fill(F["football_coach"], s), fill(F["football_table"], s)]
    else:
        sents.append(F["football_drawn"])
    return fill(F["football_title"], s), fit(sents, "zh", pad=spare)


def zh_basketball(rng, i, places):
    home, away = places.team(), places.team()
    s, keys = basketball_slots(rng, home, away)
    s["weekday"] = pick(rng, SRC.zh_weekdays[:6])
    if "best" in s:
        s["nth"] = F["quarter_names"][s["best"]]
    sents = [fill(F[key], s) for key in ["basketball_first"] + keys]
    s.update(p1=zh_person(rng), p2=zh_person(rng))
    s.update(pts=rng.randint(18, 34), reb=rng.randint(8, 15), hqs="、".join(map(str, s["hq"])))
    s["aqs"] = "、".join(map(str, s["aq"]))
    sents += [fill(F["basketball_top"], s), fill(F["basketball_quarters"], s)]
    return fill(F["basketball_title"], s), fit(sents, "zh")


def zh_race(rng, i, places):
    town = places.city()
    n = rng.randint(300, 2400)
    base = rng.randint(29 * 60, 34 * 60)
    gap = rng.randint(3, 48)
    third = base + gap + rng.randint(2, 40)
    fem = base + rng.randint(150, 300)
    s = dict(town=town, n=n - n % 50, gap=gap, t1=mmss(F, base), t3=mmss(F, third), tf=mmss(F, fem))
    s.update(w=zh_person(rng), r2=zh_person(rng), r3=zh_person(rng), f=zh_person(rng))
    sents = [fill(F["race_intro"], s), pick(rng, F["race_course"]), fill(F["race_men"], s), fill(F["race_women"], s)]
    extra = rng.sample(F["race_extra"], 4)
    sents += extra[:2]
    return fill(F["race_title"], s), fit(sents, "zh", pad=extra[2:])


# --- weather forecasts & seasons --------------------------------------------------


def zh_forecast(rng, i, places):
    city = places.city()
    month = rng.randint(1, 12)
    season = season_of(month)
    lo_t, hi_t = SRC.en_temps[season]
    sents = [fill(F["forecast_intro"], dict(city=city, month=month, day=rng.randint(1, 28)))]
    first_kind = None
    for d in F["forecast_days"]:
        cond, kind, hi, lo = forecast_day(rng, season, lo_t, hi_t, SRC.zh_conditions)
        sents.append(fill(F["forecast_day"], dict(d=d, cond=cond, hi=hi, lo=lo, wind=pick(rng, SRC.zh_wind))))
        first_kind = first_kind or kind
    sents.append(fill(F["forecast_advice"], {"x": SRC.zh_wx_advice[first_kind]}))
    air = pick(rng, F["air_quality"])
    uv = pick(rng, F["uv_winter"] if season == "winter" else F["uv"])
    sents += [fill(F["forecast_air"], {"air": air, "uv": uv}), SRC.zh_season_tip[season]]
    if rng.random() < 0.5:
        sents.append(pick(rng, F["forecast_outlook"]))
    return fill(F["forecast_title"], {"city": city}), fit(sents, "zh")


def zh_season(rng, i, places):
    season = ["spring", "summer", "autumn", "winter"][i % 4]
    pool = SRC.zh_season_notes[season]
    sents = [pool[0]] + rng.sample(pool[1:], len(pool) - 1)
    return fill(F["season_title"], {"season": SRC.zh_season[season]}), fit(sents, "zh")


# --- school and travel ------------------------------------------------------------


def zh_school(rng, i, places):
    s1, s2 = rng.sample(list(SRC.zh_subjects), 2)
    s = dict(s1=s1, s2=s2, teacher=pick(rng, SRC.zh_teachers), friend=pick(rng, SRC.zh_names))
    sents = [fill(pick(rng, F["school_open"]), s)]
    sents.append(fill(F["school_first"], dict(s, x=pick(rng, SRC.zh_subjects[s1]))))
    sents.append(fill(F["school_second"], dict(s, x=pick(rng, SRC.zh_subjects[s2]))))
    extra = [fill(x, s) for x in rng.sample(SRC.zh_school_extra, len(SRC.zh_school_extra))]
    k = rng.randint(1, 2)
    sents += extra[:k]
    sents.append(fill(pick(rng, SRC.zh_school_end), s))
    return fill(F["school_title"], s), fit(sents, "zh", pad=extra[k:])


def zh_travel(rng, i, places):
    base = places.town()
    kind, tags, suffix = pick(rng, SRC.zh_travel_kind)
    s = dict(town=base + suffix, kind=kind)
    acts = travel_acts(rng, SRC.zh_travel_do, tags)
    k = rng.randint(2, 3)
    foods = [f for f in SRC.zh_travel_food if "water" in tags or F["travel_water_food"] not in f]
    no_land = suffix == "岛"  # nobody takes the train or drives to an island
    arrive = [a for a in SRC.zh_travel_arrive if not no_land or not any(w in a for w in F["travel_by_land"])]
    sents = [fill(pick(rng, arrive), {"place": s["town"]}), fill(F["travel_is"], s), pick(rng, SRC.zh_travel_stay)]
    sents += acts[:k]
    sents.append(pick(rng, foods))
    sents.append(pick(rng, SRC.zh_travel_end))
    return fill(F["travel_title"], s), fit(sents, "zh", pad=acts[k:])
