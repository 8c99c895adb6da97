# ruff: noqa: E501  -- most long lines are hand-written natural-language sentences
"""SFT turns: ``T(...)`` and the task generators (maths, formatting, translation); answers are computed."""

from __future__ import annotations

import json
import math

from samplegen.common import SRC, an, cap, fmt_int, pick, zh_num

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
