"""Chinese pretraining paragraphs: ``zh_<kind>(rng, ...) -> (title, text)``, composed from ``SRC`` pools."""

from __future__ import annotations

from samplegen.common import SRC, fit, pick, season_of, zh_num
from samplegen.pretrain_en import travel_acts as _travel_acts

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
