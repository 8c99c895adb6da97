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

Only the Python standard library is used, and the output is byte-identical on
every run (fixed seeds, no set/hash ordering, sorted where it matters).

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

SEED = 20240611
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "data", "samples")

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
# shared name pools
# ---------------------------------------------------------------------------

EN_NAMES = [
    "Mia",
    "Leo",
    "Hannah",
    "Omar",
    "Priya",
    "Jonas",
    "Clara",
    "Mateo",
    "Aiko",
    "Samuel",
    "Nora",
    "Felix",
    "Ruth",
    "Daniel",
    "Isla",
    "Tomas",
    "Grace",
    "Ben",
    "Lucia",
    "Kofi",
    "Elena",
    "Arjun",
    "Maya",
    "Oscar",
]
ZH_NAMES = [
    "小明",
    "小红",
    "李华",
    "王芳",
    "张伟",
    "陈静",
    "刘洋",
    "赵磊",
    "孙悦",
    "周涛",
    "吴敏",
    "郑浩",
    "林晓",
    "何雨",
    "高远",
    "马丽",
    "许诺",
    "唐果",
    "宋佳",
    "韩冰",
]
EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
EN_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ZH_WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"]


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


ZH_SEASON = {"spring": "春天", "summer": "夏天", "autumn": "秋天", "winter": "冬天"}

EN_TOWN_A = [
    "Ash",
    "Oak",
    "Stone",
    "Mill",
    "Red",
    "Brook",
    "Lark",
    "West",
    "East",
    "Pine",
    "Silver",
    "Copper",
    "Bright",
    "Elder",
    "Fern",
    "Heath",
    "Marsh",
    "Thorn",
    "Wren",
    "Holly",
]
EN_TOWN_B = [
    "ford",
    "bridge",
    "field",
    "haven",
    "mere",
    "wick",
    "ton",
    "by",
    "stead",
    "cliff",
    "dale",
    "port",
    "holm",
    "wood",
    "gate",
]
ZH_TOWN_A = [
    "青",
    "柳",
    "云",
    "白",
    "松",
    "南",
    "枫",
    "金",
    "望",
    "东",
    "石",
    "桃",
    "月",
    "清",
    "临",
    "安",
    "梅",
    "凤",
    "溪",
    "竹",
]
ZH_TOWN_B = ["溪", "河", "山", "港", "湖", "桥", "川", "林", "岭", "湾", "塘", "源"]


def town_names(rng, parts_a, parts_b, n, sep=""):
    combos = [a + sep + b for a in parts_a for b in parts_b if a[-1:] != b[:1]]
    rng.shuffle(combos)
    return combos[:n]


# ---------------------------------------------------------------------------
# English pretraining text
# ---------------------------------------------------------------------------

EN_DIARY_WEATHER = {
    "spring": [
        "The morning was cool and bright, and the cherry tree across the street has finally started to bloom.",
        "It rained on and off all day, the soft kind of spring rain that makes everything smell of wet soil.",
        "A strong wind blew in from the west, chasing small white clouds across the sky.",
        "The air was mild enough that I left my coat at home for the first time this year.",
        "Fog sat over the rooftops until almost ten, and then the sun burned it away.",
        "There were puddles everywhere after last night's storm, and the sparrows were bathing in them.",
    ],
    "summer": [
        "It was hot from the moment I opened the curtains, and by noon the pavement shimmered.",
        "A thunderstorm rolled through in the late afternoon and cooled everything down for an hour.",
        "The day was long and golden, and it stayed light until well after nine.",
        "The humidity made the air feel thick, like walking through warm soup.",
        "A light breeze came off the water, which made the heat almost pleasant.",
        "The cicadas started before breakfast and did not stop until the sun went down.",
    ],
    "autumn": [
        "The leaves on our street have turned orange and red, and they crunch under every step.",
        "It was grey and drizzly, the sort of day that makes you want to stay inside with a book.",
        "The morning was crisp and clear, and I could see my breath at the bus stop.",
        "Wind tore the last apples from the tree in the neighbours' garden.",
        "The sun was low and warm all afternoon, even though the air was cold.",
        "Mist lay in the hollows of the park, and the grass was silver with dew.",
    ],
    "winter": [
        "Snow fell quietly overnight, and the whole street looked clean and new this morning.",
        "It was freezing, and the puddles by the gate had turned to thin sheets of ice.",
        "The sky stayed the colour of old porridge all day, and it was dark by half past four.",
        "A cold, bright sun came out after lunch, though it did nothing to warm my hands.",
        "Sleet tapped against the window for most of the evening.",
        "Frost had drawn ferns across the bathroom window, and I did not want to get out of bed.",
    ],
}

EN_DIARY_MORNING = [
    "I woke up before my alarm and lay in bed for a while, listening to the birds.",
    "I overslept by twenty minutes and had to eat my toast on the way out.",
    "Before work I watered the plants on the balcony and noticed the basil has grown new leaves.",
    "I took the long way to the station so I could walk along the canal.",
    "The kettle broke this morning, so I boiled water in a saucepan like a camper.",
    "I spent the first hour of the day answering emails that could easily have waited.",
    "I went for a short run around the park and felt much better for it.",
    "My cat woke me at six by sitting on my chest and staring at me until I got up.",
    "I finally fixed the squeaky hinge on the kitchen door with a single drop of oil.",
    "The bus was late, so I chatted with an old man who told me what the town looked like fifty years ago.",
    "Breakfast was a bowl of porridge with the last of the blueberries.",
    "I did ten minutes of stretching on the living-room floor, which is ten more than yesterday.",
]

EN_DIARY_EVENTS = [
    "At lunch {friend} and I tried the new noodle place near the library; the broth was rich and the queue was long.",
    "In the afternoon I helped {friend} carry boxes up three flights of stairs to the new flat.",
    "I spent an hour at the library looking for a book about bridges and came home with three about birds instead.",
    "The power went out for an hour in the afternoon, so I read by the window until it came back.",
    "I met {friend} at the market and we split a bag of peaches that were almost too ripe.",
    "Our team meeting ran long, but we finally agreed on a plan for the next project.",
    "I tried to learn a new song on the guitar and managed the first eight bars.",
    "A parcel arrived for the neighbours, and I ended up chatting with them for half an hour on the doorstep.",
    "I cleaned out the cupboard under the sink and found a jar of buttons I had completely forgotten about.",
    "{friend} taught me a card game with complicated rules, and I lost every single round.",
    "I walked to the post office to send a birthday parcel to my grandmother.",
    "At the swimming pool I managed twenty lengths without stopping, which is a new record for me.",
    "The afternoon disappeared into a spreadsheet that refused to add up until I found a missing minus sign.",
    "I sat in the park for a while and watched two children trying to fly a kite on a day with no wind.",
    "{friend} and I went to see a film that neither of us really understood, then argued happily about it over tea.",
    "I visited the small museum on Harbour Road, which has a room full of old clocks that all tick at slightly different speeds.",
    "I repotted the spider plant, which had grown roots right out of the bottom of its pot.",
    "{friend} phoned to say the job interview had gone well, and we made plans to celebrate on Friday.",
    "I finished the jigsaw puzzle that has been on the dining table since last month, only to discover one piece is missing.",
    "On the way home I stopped to help a lost tourist find the right bus, and practised my terrible French.",
]

EN_DISHES = [
    "vegetable soup",
    "a mushroom risotto",
    "fried rice with egg and spring onion",
    "lentil curry",
    "baked potatoes with cheese",
    "tomato pasta",
    "pork and cabbage dumplings",
    "a simple omelette",
    "grilled fish with lemon",
    "chicken noodle soup",
    "pancakes",
    "a big salad with chickpeas",
    "stir-fried tofu with green beans",
]

EN_DIARY_FOOD = [
    "For dinner I made {dish}, and it turned out better than last time.",
    "Dinner was {dish}, eaten standing at the counter because I was too hungry to set the table.",
    "{friend} came over and we cooked {dish} together, which mostly meant I chopped and {friend} tasted.",
    "I treated myself to {dish} from the little place on the corner.",
    "I tried a new recipe for {dish}; it needs more salt next time, but it was a good start.",
]

EN_DIARY_END = [
    "Tomorrow I want to get up earlier and actually go for that run.",
    "It was an ordinary day, but a good one, and I want to remember that those count too.",
    "I am tired, but it is the pleasant kind of tired.",
    "Before bed I wrote a list of things to do this week; it is too long, as usual.",
    "I should call my parents more often. I will do it on Sunday.",
    "Reading a few pages before sleep has become my favourite part of the day.",
    "Nothing remarkable happened, and somehow that felt like a gift.",
    "I keep meaning to start learning Spanish again. Maybe this is the week.",
    "Lights out at eleven. That is the plan, anyway.",
]


def en_diary(rng, i):
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    wd = pick(rng, EN_WEEKDAYS)
    friend = pick(rng, EN_NAMES)
    head = pick(
        rng,
        [
            f"{wd}, {day} {EN_MONTHS[month - 1]}.",
            f"Diary entry for {wd}.",
            f"{EN_MONTHS[month - 1]} {day}, late evening.",
        ],
    )
    shuffled = rng.sample(EN_DIARY_EVENTS, len(EN_DIARY_EVENTS))
    k = rng.choice([1, 2, 2, 3])
    events, spare = shuffled[:k], [e.format(friend=friend) for e in shuffled[k:]]
    sents = [head, pick(rng, EN_DIARY_WEATHER[season_of(month)]), pick(rng, EN_DIARY_MORNING)]
    sents += events
    sents.append(pick(rng, EN_DIARY_FOOD).format(dish=pick(rng, EN_DISHES), friend=friend))
    sents.append(pick(rng, EN_DIARY_END))
    sents = [s.format(friend=friend) for s in sents]
    title = f"Diary, {wd} {day} {EN_MONTHS[month - 1]}"
    return title, fit(sents, "en", pad=spare, drop=True)


# --- fables ----------------------------------------------------------------

EN_PLACES = [
    "at the edge of a quiet pond",
    "in a meadow full of clover",
    "on a hill above a slow river",
    "deep in a pine forest",
    "beside an old stone wall",
    "in a valley between two mountains",
    "near a village orchard",
    "among the reeds of a wide marsh",
]

EN_FABLES = [
    {  # patience beats cleverness
        "a": ["fox", "hare", "monkey", "magpie", "weasel"],
        "b": ["tortoise", "badger", "hedgehog", "old goat", "mole"],
        "title": "The {A} and the {B}",
        "stages": [
            [
                "Long ago, {place}, there lived {aa} who was proud of being clever and {ba} who was known only for being patient.",
                "{Place}, {aa} and {ba} shared the same path to the water every morning.",
            ],
            [
                "The {a} liked to tell everyone how quickly it could solve any problem, and it often laughed at the {b} for taking so long to decide anything.",
                "Every day the {a} boasted about its sharp mind, while the {b} simply listened and said very little.",
            ],
            [
                "One {season} a heavy storm washed away the stepping stones that all the animals used to cross the stream.",
                "One {season} the stream rose so high that the old stepping stones disappeared under the water.",
            ],
            [
                "The {a} ran up and down the bank with one idea after another, jumping before it had finished thinking, and fell into the cold water twice.",
                "The {a} tried three quick plans in a row, and each one ended with a splash and a great deal of complaining.",
            ],
            [
                "The {b} sat still for a long time, watching where the water ran slowly and where fallen branches had caught.",
                "Meanwhile the {b} walked slowly along the bank, looking closely at every rock and root.",
            ],
            [
                "At last it found a place where a tree had fallen across the stream, and it crossed carefully, one step at a time.",
                "Before evening it had found a shallow, quiet place and crossed without so much as a slip.",
            ],
            [
                "The wet, shivering {a} followed, and for once it had nothing clever to say.",
                "When the {a} finally crossed behind it, it admitted that speed is not the same thing as wisdom.",
            ],
        ],
        "morals": [
            "Thinking slowly is better than acting foolishly.",
            "A careful mind often goes further than a quick tongue.",
            "Patience can find a path that hurry will miss.",
        ],
    },
    {  # sharing
        "a": ["squirrel", "hamster", "jay", "chipmunk"],
        "b": ["hedgehog", "rabbit", "wren", "field mouse"],
        "title": "The {A} Who Kept Everything",
        "stages": [
            [
                "{Place} lived {aa} who gathered food all autumn and shared none of it.",
                "There was once {aa} {place} who kept a store of seeds hidden under a flat stone and told no one about it.",
            ],
            [
                "Its neighbour, {ba}, gathered less, but always gave a little to anyone who came knocking.",
                "Not far away lived {ba} with a much smaller store, who never turned a hungry visitor away.",
            ],
            [
                "When winter came and snow covered the ground, the {a} sat alone with its full larder and listened to the wind.",
                "Then came a winter so long that even the oldest animals could not remember one like it.",
            ],
            [
                "One night a thief found the hidden store and carried most of it away, and the {a} woke to an empty hole.",
                "Damp got into the {a}'s hiding place, and half of the seeds had turned mouldy before it noticed.",
            ],
            [
                "Hungry and ashamed, the {a} went to the {b}'s door, expecting to be sent away.",
                "With nowhere else to go, the {a} knocked on the {b}'s door and asked quietly for help.",
            ],
            [
                "The {b} had very little left, but it shared what it had, and the friends who had once eaten at its table brought food for both of them.",
                "The {b} let it in, and soon other animals arrived carrying small gifts, remembering the meals the {b} had given them.",
            ],
            [
                "By spring the {a} had learned that a store of friends lasts longer than a store of seeds.",
                "When the snow melted, the {a} was the first to offer help to anyone who needed it.",
            ],
        ],
        "morals": [
            "Kindness shared is kindness returned.",
            "What we give away often comes back when we need it most.",
            "Friends are the best store against hard times.",
        ],
    },
    {  # flattery fails
        "a": ["crow", "magpie", "blackbird", "jackdaw"],
        "b": ["fox", "wild cat", "weasel", "stoat"],
        "title": "The {A} Who Remembered",
        "stages": [
            [
                "{Place}, {aa} found a piece of {food} and settled on a high branch to eat it.",
                "One bright morning {aa} sat on a fence post holding a piece of {food} in its beak.",
            ],
            [
                "Below, {ba} looked up and began to speak in its sweetest voice.",
                "{Ba} saw this and sat down underneath, smiling very politely.",
            ],
            [
                '"What fine feathers you have," said the {b}. "Surely a bird so handsome must sing more beautifully than any other."',
                '"Everyone says your voice is the loveliest for miles," the {b} said. "Won\'t you sing just one song for me?"',
            ],
            [
                "The {a} had heard stories about clever talkers, and it remembered them now.",
                "The {a} was flattered, but it had been young once, and had lost a meal in exactly this way.",
            ],
            [
                "It put the {food} down on the branch, held it firmly with one foot, and only then began to sing.",
                "It swallowed the {food} first, and then it sang a long, loud and slightly out-of-tune song.",
            ],
            [
                "The {b} waited for something to fall, but nothing did, and at last it walked away grumbling about the terrible music.",
                "The {b} listened to the whole song with a sour face and then slunk off into the bushes.",
            ],
        ],
        "morals": [
            "Be wary of those who praise you while looking at what you hold.",
            "Sweet words are not always kind ones.",
            "Learning from an old mistake is the best way not to repeat it.",
        ],
    },
    {  # the small helps the big
        "a": ["mouse", "squirrel", "rabbit", "vole"],
        "b": ["bear", "elephant", "lion", "bull", "moose"],
        "title": "The {B} and the Little {A}",
        "stages": [
            [
                "{Place} lived {ba} so large and strong that it never imagined it would need anyone's help.",
                "{Ba} {place} was the biggest animal for miles, and it rarely noticed the small ones at its feet.",
            ],
            [
                "One day {aa} ran across its path, and the {b} nearly stepped on it without a second look.",
                "When {aa} asked to shelter under the {b}'s tree during a storm, the {b} only laughed and said there was no room for something so tiny.",
            ],
            [
                "Some weeks later the {b} wandered into a hunter's net and became tangled so tightly that it could barely move.",
                "A few days later the {b} caught its leg in a tangle of old fishing line by the river, and the harder it pulled, the tighter the line became.",
            ],
            [
                "It roared and struggled for hours, but nobody big enough came to help.",
                "It called out for help, but the other large animals only shrugged and said they did not know what to do.",
            ],
            [
                "Then the little {a} appeared, and without a word it began to chew through the cords one by one.",
                "It was the {a} who came, small enough to reach the knots, and it worked at them patiently with its teeth until the last one snapped.",
            ],
            [
                "When the {b} was free, it lowered its great head and thanked the {a} with real respect.",
                "The {b} stood up, free at last, and said quietly that it had been wrong about what size means.",
            ],
        ],
        "morals": [
            "No one is too small to be a good friend.",
            "Strength comes in many sizes.",
            "Never look down on anyone; one day you may need them.",
        ],
    },
    {  # greener grass
        "a": ["goat", "deer", "sheep", "young rabbit"],
        "b": ["lizard", "old ram", "mountain hare", "marmot"],
        "title": "The {A} and the Far Hills",
        "stages": [
            [
                "{Aa} lived {place}, where the grass was sweet and the water was clean.",
                "{Place}, {aa} had everything it needed: shade in summer, shelter in winter and plenty to eat.",
            ],
            [
                "But every evening it looked across the valley and imagined that the hills on the other side must be even better.",
                "Still, it could not stop thinking about the far side of the river, where the grass looked greener from a distance.",
            ],
            [
                "One morning it set off without telling anyone, crossing rocks and thorny bushes for two whole days.",
                "At last it left home, wading through cold water and climbing a steep, stony slope.",
            ],
            [
                "When it arrived, it found that the green colour came from tough weeds that tasted bitter, and the only stream was muddy.",
                "The far hills turned out to be dry and windy, and the green it had admired was only moss on the rocks.",
            ],
            [
                "{Ba} who lived there asked why anyone would travel so far to such a poor place.",
                "{Ba} living nearby laughed and said it had always dreamed of the meadow on the other side.",
            ],
            [
                "Tired and a little wiser, the {a} walked all the way home, and this time the sweet grass tasted better than ever.",
                "The {a} went home the next day and never again looked across the valley with quite the same longing.",
            ],
        ],
        "morals": [
            "The grass on the other side is not always greener.",
            "Value what you have before you chase what you imagine.",
            "Distance makes many things look better than they are.",
        ],
    },
    {  # working together
        "a": ["beaver", "otter", "duck", "frog"],
        "b": ["badger", "heron", "boar", "mole"],
        "c": ["crow", "tortoise", "goose", "vole"],
        "title": "The Log in the Stream",
        "stages": [
            [
                "{Place}, {aa}, {ba} and {ca} were always arguing about whose job was most important.",
                "{Aa}, {ba} and {ca} lived side by side {place}, but they could hardly agree on anything.",
            ],
            [
                "One {season} a great log rolled down the hill and blocked the stream that brought water to all of them.",
                "After a storm one {season}, a fallen log dammed the stream, and the water began to flood their homes.",
            ],
            [
                "Each one tried to move it alone and failed, and each one blamed the others.",
                "The {a} pushed, the {b} pulled and the {c} dug, but each worked alone and the log did not move an inch.",
            ],
            [
                'At last the oldest of them said, "We have tried every way except together."',
                "Then the {c} suggested something nobody had tried: pushing at the same moment, from the same side.",
            ],
            [
                "They counted to three and pushed as one, and the log rolled slowly out of the water.",
                "On the count of three they heaved together, and the log groaned, shifted and finally floated free.",
            ],
            [
                'From then on, whenever they began to argue, one of them only had to say the word "log".',
                "That evening they sat by the clear stream and agreed that no job is most important when the work is shared.",
            ],
        ],
        "morals": [
            "Together we can do what none of us can do alone.",
            "Many small strengths joined are greater than one large one.",
            "Quarrels build nothing; cooperation moves logs and mountains.",
        ],
    },
]

EN_FOODS = ["cheese", "bread", "cake", "dried fig", "sausage"]
EN_MORAL_PREFIX = ["Moral: ", "The lesson: ", "And the moral of the story? ", "As the old animals say: "]


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
    fable = EN_FABLES[i % len(EN_FABLES)]
    slots = _fable_slots(
        rng, fable, pick(rng, EN_PLACES), pick(rng, ["spring", "summer", "autumn", "winter"]), pick(rng, EN_FOODS)
    )
    sents = [pick(rng, stage).format(**slots) for stage in fable["stages"]]
    sents.append(pick(rng, EN_MORAL_PREFIX) + pick(rng, fable["morals"]))
    return fable["title"].format(**slots), fit(sents, "en")


# --- recipes -----------------------------------------------------------------

EN_RECIPES = [
    (
        "tomato and egg stir-fry",
        "three eggs, two ripe tomatoes, a spring onion, a pinch of salt and a little sugar",
        [
            "Beat the eggs with a pinch of salt.",
            "Cut the tomatoes into wedges and slice the spring onion.",
            "Scramble the eggs in hot oil until they are just set, then lift them out.",
            "Fry the tomatoes until they soften and release their juice, adding a little sugar to balance the acidity.",
            "Return the eggs to the pan, stir gently and finish with the spring onion.",
        ],
        [
            "Do not overcook the eggs the first time; they will cook again when they go back into the pan.",
            "Serve it over plain rice so the sauce has somewhere to go.",
        ],
    ),
    (
        "fluffy pancakes",
        "a cup of flour, an egg, a cup of milk, a spoonful of sugar, a teaspoon of baking powder and a pinch of salt",
        [
            "Whisk the dry ingredients together in one bowl.",
            "Beat the egg with the milk in another.",
            "Pour the wet mixture into the dry one and stir just until combined; a few lumps are fine.",
            "Cook ladlefuls of batter in a lightly buttered pan over medium heat.",
            "Flip each pancake when bubbles appear on the surface and the edges look dry.",
        ],
        [
            "Overmixing makes pancakes tough, so stop stirring as soon as the flour disappears.",
            "If you have time, let the batter rest for ten minutes before cooking.",
        ],
    ),
    (
        "red lentil soup",
        "a cup of red lentils, an onion, a carrot, two cloves of garlic, a teaspoon of ground cumin and about a litre of stock",
        [
            "Chop the onion and carrot and soften them gently in a little oil.",
            "Add the garlic and cumin and cook for a minute until fragrant.",
            "Rinse the lentils and add them to the pot with the stock.",
            "Simmer for about twenty minutes, until the lentils have collapsed.",
            "Blend part of the soup if you like it thicker, then season with salt and a squeeze of lemon.",
        ],
        [
            "Red lentils do not need soaking, which is why this soup is so quick.",
            "A spoonful of yoghurt on top makes it feel like a proper meal.",
        ],
    ),
    (
        "egg fried rice",
        "two bowls of cold cooked rice, two eggs, a handful of peas, a spring onion and some soy sauce",
        [
            "Break up the cold rice with your fingers so there are no clumps.",
            "Scramble the eggs in a very hot wok and push them to one side.",
            "Add the rice and stir-fry until every grain is hot and slightly toasted.",
            "Add the peas and a splash of soy sauce.",
            "Toss everything together and finish with sliced spring onion.",
        ],
        [
            "Day-old rice works best because it is drier and will not turn mushy.",
            "Keep the heat high and the food moving.",
        ],
    ),
    (
        "banana bread",
        "three very ripe bananas, a third of a cup of melted butter, half a cup of sugar, an egg, a teaspoon of baking soda and one and a half cups of flour",
        [
            "Heat the oven to 175 degrees Celsius and grease a loaf tin.",
            "Mash the bananas in a bowl and stir in the melted butter.",
            "Mix in the sugar, the egg and the baking soda.",
            "Fold in the flour until no dry patches remain.",
            "Bake for about an hour, until a skewer pushed into the middle comes out clean.",
        ],
        [
            "The darker the banana skins, the sweeter and more fragrant the bread.",
            "Let it cool in the tin for ten minutes before turning it out.",
        ],
    ),
    (
        "guacamole",
        "two ripe avocados, half a small onion, a tomato, a lime, a handful of coriander and salt",
        [
            "Halve the avocados, remove the stones and scoop the flesh into a bowl.",
            "Mash it with a fork, leaving a little texture.",
            "Finely chop the onion, tomato and coriander and stir them in.",
            "Season with lime juice and salt, tasting as you go.",
        ],
        [
            "Press cling film directly onto the surface to slow down browning.",
            "A ripe avocado yields slightly when you press it gently near the stem.",
        ],
    ),
    (
        "roast vegetables",
        "carrots, potatoes, peppers and a red onion, plus olive oil, salt and a few sprigs of thyme",
        [
            "Heat the oven to 200 degrees Celsius.",
            "Cut the vegetables into pieces of roughly the same size.",
            "Toss them with oil, salt and thyme on a large tray.",
            "Spread them out in a single layer so that they roast rather than steam.",
            "Roast for thirty-five to forty minutes, turning them once halfway through.",
        ],
        [
            "Crowding the tray is the most common mistake; use two trays if you need to.",
            "Leftovers are excellent blended into a soup the next day.",
        ],
    ),
    (
        "simple porridge",
        "half a cup of rolled oats, a cup of milk or water, a pinch of salt, and fruit or honey to finish",
        [
            "Put the oats, liquid and salt in a small pan.",
            "Bring it to a gentle simmer, stirring often.",
            "Cook for four or five minutes until thick and creamy.",
            "Let it stand for a minute, then add your toppings.",
        ],
        [
            "A pinch of salt does not make porridge salty; it makes it taste more like itself.",
            "Grated apple and a little cinnamon are a good winter topping.",
        ],
    ),
    (
        "mushroom omelette",
        "three eggs, a knob of butter, a handful of sliced mushrooms, a little grated cheese, salt and pepper",
        [
            "Fry the mushrooms in half the butter until golden, then set them aside.",
            "Beat the eggs with salt and pepper.",
            "Melt the rest of the butter in the pan and pour in the eggs.",
            "Stir gently for a few seconds, then let the bottom set.",
            "Scatter over the mushrooms and cheese, fold the omelette in half and slide it onto a plate.",
        ],
        [
            "Take the pan off the heat while the top is still slightly soft; it will finish cooking on the plate.",
            "A non-stick pan makes the folding much easier.",
        ],
    ),
    (
        "smashed cucumber salad",
        "two cucumbers, two cloves of garlic, a spoonful each of rice vinegar and soy sauce, a few drops of sesame oil, a pinch of sugar and salt",
        [
            "Lay the cucumbers on a board and smash them with the flat side of a knife.",
            "Cut them into bite-sized pieces and toss with a little salt.",
            "Leave them for ten minutes, then pour away the water they release.",
            "Mix the garlic, vinegar, soy sauce, sugar and sesame oil, and pour it over the cucumbers.",
        ],
        [
            "Smashing instead of slicing gives rough edges that hold more dressing.",
            "Add chilli oil if you like some heat.",
        ],
    ),
    (
        "tomato pasta sauce",
        "a tin of chopped tomatoes, an onion, two cloves of garlic, olive oil, salt and a few basil leaves",
        [
            "Soften the chopped onion in olive oil over a low heat.",
            "Add the garlic and cook for another minute.",
            "Pour in the tomatoes, season with salt and simmer for about fifteen minutes.",
            "Tear in the basil just before serving and toss the sauce with freshly cooked pasta.",
        ],
        [
            "Save a cup of the pasta water; a splash of it helps the sauce cling to the pasta.",
            "If the tomatoes taste sharp, a tiny pinch of sugar will round them out.",
        ],
    ),
    (
        "baked potatoes",
        "large floury potatoes, a little oil, coarse salt, and butter, cheese or beans to serve",
        [
            "Heat the oven to 200 degrees Celsius.",
            "Scrub the potatoes, dry them and prick them all over with a fork.",
            "Rub them with oil and coarse salt.",
            "Bake them directly on the oven shelf for about an hour, until the skins are crisp and the insides are soft.",
            "Cut a cross in the top, squeeze gently and add your filling.",
        ],
        [
            "Do not wrap them in foil if you want crisp skins.",
            "They are done when a knife slides in with no resistance.",
        ],
    ),
    (
        "hot chocolate",
        "a cup of milk, two squares of dark chocolate, a teaspoon of cocoa powder and a little sugar",
        [
            "Warm the milk in a small pan without letting it boil.",
            "Whisk in the cocoa powder and sugar.",
            "Add the chopped chocolate and keep whisking until it melts.",
            "Pour it into a mug and drink it while it is hot.",
        ],
        [
            "A pinch of salt or cinnamon makes the chocolate taste deeper.",
            "Whisking hard at the end gives a light foam on top.",
        ],
    ),
    (
        "chicken noodle soup",
        "two chicken thighs, a carrot, a stick of celery, an onion, a handful of egg noodles, stock and parsley",
        [
            "Put the chicken, chopped vegetables and stock in a pot and bring it to a simmer.",
            "Cook gently for about thirty minutes, until the chicken is tender.",
            "Lift out the chicken, shred the meat with two forks and return it to the pot.",
            "Add the noodles and cook until they are soft.",
            "Season well and scatter over chopped parsley.",
        ],
        [
            "Cook the noodles in the soup only when you are about to eat, or they will swell and go soft.",
            "It is the classic bowl to make for someone with a cold.",
        ],
    ),
]

EN_RECIPE_INTRO = [
    "{Dish} is one of those dishes that tastes far better than the effort it takes.",
    "If you only learn one simple recipe this year, let it be {dish}.",
    "My family has made {dish} on busy evenings for as long as I can remember.",
    "{Dish} is cheap, quick and forgiving, which makes it perfect for beginners.",
    "Here is a straightforward way to make {dish} at home.",
    "There are a hundred versions of {dish}, and this is the plain, reliable one.",
    "On a tired evening, few things are as comforting as {dish}.",
]
EN_RECIPE_END = [
    "Serve it straight away and enjoy.",
    "Once you have made it a few times, you will stop measuring and start cooking by feel.",
    "It is the kind of food that makes a grey evening feel better.",
    "Feel free to adjust the seasoning to your own taste.",
    "That is all there is to it.",
]
EN_STEP_LINK = ["First, ", "Next, ", "Then ", "After that, ", "Finally, "]


def en_recipe(rng, i):
    dish, ingr, steps, tips = EN_RECIPES[i % len(EN_RECIPES)]
    sents = [pick(rng, EN_RECIPE_INTRO).format(dish=dish, Dish=cap(dish)), f"You will need {ingr}."]
    if rng.random() < 0.5:
        for j, s in enumerate(steps):
            link = EN_STEP_LINK[0] if j == 0 else (EN_STEP_LINK[-1] if j == len(steps) - 1 else EN_STEP_LINK[min(j, 3)])
            sents.append(link + s[0].lower() + s[1:])
    else:
        sents += steps
    tip = pick(rng, tips)
    prefix = pick(rng, ["Tip: ", "A useful tip: ", "One thing to remember: ", ""])
    sents.append(prefix + (tip if prefix in ("", "Tip: ") else tip[0].lower() + tip[1:]))
    sents.append(pick(rng, EN_RECIPE_END))
    return f"How to make {dish}", fit(sents, "en")


# --- fictional towns (encyclopedic) ------------------------------------------

EN_RIVERS = ["Tam", "Wend", "Ousel", "Lyne", "Carrow", "Esk", "Maddle", "Sorrel", "Brae", "Iven"]
EN_TOWN_KIND = [
    "small market town",
    "busy port town",
    "quiet hill town",
    "mid-sized city",
    "former mill town",
    "cathedral city",
]
EN_TOWN_HISTORY = [
    "The town grew up around a wooden bridge built by wool traders in the Middle Ages.",
    "For much of the nineteenth century the local economy depended on a large paper mill, whose chimney still stands beside the river.",
    "A great fire in {fire} destroyed most of the old timber houses, and the centre was rebuilt in brick.",
    "The railway arrived in {rail}, and the population doubled within twenty years.",
    "During the medieval period it was known across the region for its weekly cattle market.",
    'Its name is thought to come from an old word meaning "{meaning}".',
    "Archaeologists have found the remains of a Roman road running beneath the main street.",
    "Much of the old town centre was built by wealthy wool merchants in the fifteenth century.",
    "In the 1920s a local schoolteacher started a lending library that grew into the county's largest.",
    "The town charter, granted in {charter}, is still displayed in the council chamber.",
    "For two hundred years the river crossing was guarded by a small fort, of which only one tower survives.",
    "In the eighteenth century the harbour was famous for shipbuilding, and several of the old slipways can still be seen.",
]
EN_TOWN_MEANING = [
    "the crossing by the willows",
    "the farm on the slope",
    "the place of the grey stones",
    "the clearing in the wood",
    "the meeting of two streams",
]
EN_TOWN_LANDMARK = [
    "a clock tower with a painted blue face",
    "a covered market hall from the Victorian era",
    "a narrow stone bridge with seven arches",
    "a lighthouse that now houses a small museum",
    "a botanical garden known for its glasshouses",
    "the ruins of a hilltop castle",
    "a long pier lined with fishing huts",
    "an old windmill that still grinds flour on summer weekends",
]
EN_TOWN_ECON = [
    "tourism, light engineering and a growing number of small software companies",
    "farming, food processing and a large regional hospital",
    "fishing, boat repair and summer tourism",
    "education, as the town is home to a college of agriculture",
    "furniture making and the trade in local timber",
    "logistics, thanks to its position on a major motorway junction",
]
EN_TOWN_FESTIVAL = [
    "a lantern festival along the riverbank",
    "a cheese fair that draws visitors from across the region",
    "a music festival held in an old quarry",
    "a boat race between two rival rowing clubs",
    "a book fair in the market square",
    "a kite festival on the common",
]
EN_TOWN_CLIMATE = [
    "The climate is mild and damp, with cool summers and few frosts.",
    "Winters can be harsh, and the town is sometimes cut off by snow for a day or two.",
    "Summers are warm and dry, and the surrounding hills turn golden by August.",
    "Morning fog often fills the river valley in autumn, usually clearing by midday.",
]
EN_TOWN_TRANSPORT = [
    "It is linked to neighbouring towns by a regional railway line and several bus routes.",
    "A ferry crosses the river every half hour during the day.",
    "There is no railway station; most visitors arrive by coach or by car.",
    "A network of cycle paths follows the old canal towpaths out of town.",
]


def en_town(rng, i, name):
    pop = rng.choice([rng.randint(3, 40) * 1000 + rng.randint(0, 9) * 100, rng.randint(40, 400) * 1000])
    kind = pick(rng, EN_TOWN_KIND)
    sents = [
        "{} is {} on the {} bank of the River {}, about {} kilometres {} of the regional capital.".format(
            name,
            an(kind),
            pick(rng, ["north", "south", "east", "west"]),
            pick(rng, EN_RIVERS),
            rng.randint(12, 140),
            pick(rng, ["north", "south", "east", "west", "north-east", "south-west"]),
        ),
        f"It has a population of around {fmt_int(pop)}.",
    ]
    for s in rng.sample(EN_TOWN_HISTORY, 2):
        sents.append(
            s.format(
                fire=rng.randint(1650, 1850),
                rail=rng.randint(1840, 1895),
                charter=rng.randint(1190, 1480),
                meaning=pick(rng, EN_TOWN_MEANING),
            )
        )
    sents.append(f"Its best-known landmark is {pick(rng, EN_TOWN_LANDMARK)}.")
    sents.append(f"Today the local economy is based on {pick(rng, EN_TOWN_ECON)}.")
    if rng.random() < 0.7:
        sents.append(f"Every {pick(rng, EN_MONTHS)} the town holds {pick(rng, EN_TOWN_FESTIVAL)}.")
    sents.append(pick(rng, EN_TOWN_CLIMATE))
    if rng.random() < 0.6:
        sents.append(pick(rng, EN_TOWN_TRANSPORT))
    return name, fit(sents, "en", drop=True)


# --- science basics ----------------------------------------------------------
# (title, question, sentences, closing)

EN_SCIENCE = [
    (
        "Why the sky is blue",
        "why the sky is blue",
        [
            "Sunlight looks white, but it is really a mixture of all the colours of the rainbow.",
            "As it passes through the atmosphere, the light meets countless tiny gas molecules.",
            "Short wavelengths, such as blue and violet, are scattered by these molecules much more strongly than long wavelengths such as red.",
            "The scattered blue light reaches our eyes from every part of the sky, so the whole sky looks blue.",
            "We see blue rather than violet partly because our eyes are more sensitive to blue and partly because some violet light is absorbed high in the atmosphere.",
            "At sunrise and sunset the light travels through far more air, most of the blue is scattered away before it reaches us, and the sky glows orange and red.",
            "Scientists call this effect Rayleigh scattering.",
        ],
        "Next time you watch a sunset, you will know why the colours change.",
    ),
    (
        "The water cycle",
        "where rain comes from",
        [
            "The water on Earth is constantly moving between the oceans, the air and the land.",
            "Heat from the Sun makes water evaporate from seas, lakes and even wet leaves, turning it into invisible water vapour.",
            "As the warm, moist air rises, it cools, and the vapour condenses into tiny droplets that form clouds.",
            "When the droplets join together and become heavy enough, they fall as rain, snow or hail.",
            "Some of that water soaks into the ground, some flows into rivers, and much of it eventually returns to the sea.",
            "Plants also release water vapour through their leaves, a process called transpiration.",
        ],
        "The glass of water on your table may once have been part of a cloud.",
    ),
    (
        "How plants make food",
        "how plants feed themselves",
        [
            "Plants make their own food through a process called photosynthesis.",
            "Inside their leaves is a green pigment called chlorophyll, which absorbs energy from sunlight.",
            "Using that energy, the plant combines carbon dioxide from the air with water drawn up from the roots.",
            "The result is glucose, a sugar that the plant uses for energy and for building new tissue.",
            "Oxygen is released as a by-product, and that oxygen is what animals, including us, need to breathe.",
            "This is why forests and ocean algae are so important to life on Earth.",
        ],
        "Every bite of food we eat can be traced back to a plant catching sunlight.",
    ),
    (
        "Why we have seasons",
        "why summer is warmer than winter",
        [
            "Many people guess that Earth is closer to the Sun in summer, but that is not the reason for the seasons.",
            "Earth's axis is tilted by about 23.5 degrees compared with its path around the Sun.",
            "For part of the year the Northern Hemisphere leans towards the Sun, so sunlight strikes it more directly and the days are longer.",
            "Six months later it leans away, the sunlight arrives at a lower angle, and the days are short and cool.",
            "That is why it is summer in Australia when it is winter in Canada.",
            "In fact, Earth is closest to the Sun in early January, during the northern winter.",
        ],
        "The seasons are a story about angles, not distances.",
    ),
    (
        "Phases of the Moon",
        "why the Moon changes shape",
        [
            "The Moon does not make its own light; it reflects light from the Sun.",
            "At any moment, half of the Moon is lit and half is in darkness.",
            "As the Moon travels around Earth, about once a month, we see different amounts of its sunlit half.",
            "When it lies roughly between Earth and the Sun, the lit side faces away from us and we call it a new moon.",
            "When it is on the far side of Earth from the Sun, we see the whole lit face: a full moon.",
            "The shapes in between are the crescents, the quarters and the gibbous phases.",
        ],
        "The Moon never really changes shape; only our view of it does.",
    ),
    (
        "Solids, liquids and gases",
        "what makes ice different from steam",
        [
            "Everything around us is made of tiny particles called atoms and molecules.",
            "In a solid, such as ice, the particles are packed closely together and can only vibrate in place.",
            "In a liquid, such as water, they are still close but can slide past one another, which is why liquids flow.",
            "In a gas, such as steam, the particles move quickly and spread out to fill any container.",
            "Adding heat gives the particles more energy, which is why ice melts and water boils.",
            "Water is unusual because its solid form is less dense than its liquid form, so ice floats.",
        ],
        "A single kettle can show you all three states in a few minutes.",
    ),
    (
        "Why things float",
        "why a steel ship can float",
        [
            "When an object is placed in water, it pushes some of the water out of the way.",
            "The water pushes back with an upward force called buoyancy.",
            "According to Archimedes' principle, this force equals the weight of the water that has been displaced.",
            "If the object weighs less than the water it displaces, it floats; if it weighs more, it sinks.",
            "A lump of steel sinks, but a steel ship is shaped like a hollow bowl that displaces a huge volume of water.",
            "Salt water is denser than fresh water, so it is easier to float in the sea than in a lake.",
        ],
        "Shape matters as much as material when it comes to floating.",
    ),
    (
        "How sound travels",
        "how sound reaches our ears",
        [
            "Sound is a vibration that travels through a material such as air, water or wood.",
            "When a guitar string vibrates, it pushes and pulls on the air around it, creating waves of pressure.",
            "In air at room temperature, sound travels at roughly 343 metres per second.",
            "It moves more than four times faster through water and faster still through steel.",
            "In the vacuum of space there is nothing to carry the vibration, so there is no sound at all.",
            "Our eardrums vibrate when the pressure waves arrive, and the brain turns those vibrations into what we hear.",
        ],
        "Every voice you hear is the air itself, shaking very slightly.",
    ),
    (
        "How magnets work",
        "why magnets stick to the fridge",
        [
            "Every magnet has two ends, called the north pole and the south pole.",
            "Opposite poles attract each other, while like poles push each other away.",
            "The force comes from the way electrons move and spin inside certain materials.",
            "In iron, nickel and cobalt, tiny regions called domains can line up so that their magnetic effects add together.",
            "Earth itself behaves like a giant magnet, which is why a compass needle points roughly north.",
            "Electric currents also produce magnetic fields, an idea that makes motors and loudspeakers possible.",
        ],
        "A fridge magnet is a small reminder of one of nature's basic forces.",
    ),
    (
        "Rainbows",
        "how a rainbow forms",
        [
            "A rainbow appears when sunlight shines into falling raindrops.",
            "As the light enters a drop, it bends, and different colours bend by slightly different amounts.",
            "The light reflects off the back of the drop and bends again as it leaves.",
            "This separates white sunlight into a band of colours: red on the outside and violet on the inside.",
            "You can only see a rainbow when the Sun is behind you and the rain is in front of you.",
            "Sometimes a fainter second rainbow appears outside the first, with its colours in reverse order.",
        ],
        "A garden hose on a sunny afternoon can make a rainbow of your own.",
    ),
    (
        "Thunder and lightning",
        "why we see lightning before we hear thunder",
        [
            "Lightning is a giant electric spark between a cloud and the ground, or between different parts of clouds.",
            "The spark heats the air around it to tens of thousands of degrees in a fraction of a second.",
            "The air expands so violently that it creates a shock wave, which we hear as thunder.",
            "Light travels almost a million times faster than sound, so we see the flash first.",
            "Sound covers roughly one kilometre every three seconds, so counting the seconds between flash and thunder tells you how far away the storm is.",
            "If the gap is very short, it is time to go indoors.",
        ],
        "A simple count can turn a storm into a science lesson.",
    ),
    (
        "Gravity and orbits",
        "why the Moon does not fall down",
        [
            "Gravity is the force that pulls objects with mass towards each other.",
            "It keeps our feet on the ground and makes a dropped apple fall.",
            "The Moon is actually falling towards Earth all the time, but it is also moving sideways very fast.",
            "Because of that sideways speed, it keeps missing Earth and curves around it instead.",
            "This balance between falling and moving forward is what we call an orbit.",
            "The same idea explains how satellites stay up and how the planets travel around the Sun.",
        ],
        "An orbit is simply a fall that never ends.",
    ),
    (
        "Cells, the building blocks of life",
        "what living things are made of",
        [
            "All living things are made of cells, the smallest units of life.",
            "Some organisms, like bacteria, consist of a single cell, while a human body contains tens of trillions of them.",
            "Most cells are far too small to see without a microscope.",
            "Animal and plant cells have a nucleus that holds the genetic instructions, written in DNA.",
            "Plant cells also have a stiff cell wall and chloroplasts, where photosynthesis happens.",
            "Cells grow and divide, which is how living things grow and repair themselves.",
        ],
        "Every person begins life as a single cell.",
    ),
    (
        "Tides",
        "why the sea rises and falls",
        [
            "Tides are the regular rise and fall of the sea, usually twice a day.",
            "They are caused mainly by the Moon's gravity pulling on Earth's oceans.",
            "The water bulges out on the side of Earth facing the Moon and also on the opposite side.",
            "As Earth rotates, a coastline passes through both bulges, giving two high tides and two low tides roughly every day.",
            "The Sun has an effect too; when the Sun and Moon line up, the tides are especially large and are called spring tides.",
            "When they pull at right angles, the smaller tides are called neap tides.",
        ],
        "Rock pools exist because the Moon tugs at the ocean.",
    ),
    (
        "Volcanoes",
        "why volcanoes erupt",
        [
            "Earth's outer shell is broken into large pieces called tectonic plates, which move a few centimetres each year.",
            "Where plates pull apart or one slides beneath another, rock deep underground can melt into magma.",
            "Magma is lighter than the solid rock around it, so it slowly rises.",
            "Gases dissolved in the magma build up pressure, a little like the bubbles in a shaken bottle of fizzy drink.",
            "When the pressure becomes too great, the magma bursts through the surface as lava, ash and gas.",
            "Many volcanoes sit around the edge of the Pacific Ocean, a region often called the Ring of Fire.",
        ],
        "Volcanoes are a sign that our planet is still very much alive inside.",
    ),
    (
        "Why metal feels cold",
        "why a metal spoon feels colder than a wooden one",
        [
            "If a metal spoon and a wooden spoon sit in the same room, they are actually the same temperature.",
            "Yet the metal one feels much colder when you pick it up.",
            "The reason is that metal is a good conductor of heat, while wood is a poor one.",
            "Metal draws heat away from your warm fingers quickly, and your skin senses that loss of heat as cold.",
            "Wood takes heat away slowly, so it feels closer to the temperature of your hand.",
            "This is why saucepans are made of metal but often have wooden or plastic handles.",
        ],
        "Your skin measures heat flow more than temperature.",
    ),
]

EN_SCI_OPEN = [
    "Have you ever wondered {q}?",
    "Here is a simple explanation of {q}.",
    "It is a question children often ask: {q}?",
    "",
    "",
]


def en_science(rng, i):
    title, q, facts, close = EN_SCIENCE[i % len(EN_SCIENCE)]
    opener = pick(rng, EN_SCI_OPEN)
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

EN_ANIMALS = [
    (
        "The red panda",
        "The red panda is a small mammal about the size of a house cat.",
        [
            "It lives in the cool mountain forests of the eastern Himalayas and south-western China.",
            "Despite its name, it is not a close relative of the giant panda and is placed in a family of its own.",
            "Bamboo leaves make up most of its diet, although it also eats fruit, acorns and insects.",
            "A long, ringed tail helps it balance in the trees and doubles as a blanket on cold nights.",
            "It is an endangered species, threatened mainly by the loss of its forest habitat.",
        ],
    ),
    (
        "The octopus",
        "The octopus is a soft-bodied sea animal with eight arms.",
        [
            "It has three hearts and blue blood, which carries oxygen using a copper-based protein.",
            "Special skin cells let it change colour and even texture in a fraction of a second.",
            "Octopuses are famous for their intelligence: in aquariums they have opened jars and escaped from tanks.",
            "Most species live only a year or two.",
            "Having no bones, an octopus can squeeze through any gap larger than its hard beak.",
        ],
    ),
    (
        "The honeybee",
        "The honeybee is a social insect that lives in colonies of many thousands.",
        [
            "Each colony has a single queen that lays the eggs, while the workers, all female, do almost everything else.",
            "Workers make honey from flower nectar and store it in six-sided wax cells.",
            'A returning forager can tell its sisters where to find flowers by performing a "waggle dance" that signals direction and distance.',
            "By carrying pollen from flower to flower, bees help many fruits and vegetables to grow.",
            "A worker bee in summer lives for only about six weeks.",
        ],
    ),
    (
        "The emperor penguin",
        "The emperor penguin is the largest of all penguins, standing more than a metre tall.",
        [
            "It lives only in Antarctica and breeds during the bitter southern winter.",
            "After the female lays a single egg, the male balances it on his feet under a warm fold of skin for about two months.",
            "During that time the males huddle together in large groups, taking turns at the windy edge.",
            "Emperor penguins can dive deeper than 500 metres in search of fish and squid.",
            "Their dense feathers and thick fat keep them warm in temperatures far below freezing.",
        ],
    ),
    (
        "The camel",
        "Camels are large hoofed mammals well suited to life in dry places.",
        [
            "The dromedary has one hump and the Bactrian camel has two.",
            "A hump stores fat, not water, and the fat can be used for energy when food is scarce.",
            "Camels can go for days without drinking and then drink a very large amount in a few minutes.",
            "Long eyelashes and nostrils that can close help protect them during sandstorms.",
            "People have used camels for thousands of years to carry goods across deserts.",
        ],
    ),
    (
        "The hummingbird",
        "Hummingbirds are the smallest birds in the world and live only in the Americas.",
        [
            "They can hover in one place, and some can even fly backwards.",
            "Their wings beat so fast, dozens of times each second, that they make a humming sound.",
            "To fuel such flight they drink flower nectar and must feed many times a day.",
            "At night some species save energy by entering a deep, sleep-like state called torpor.",
            "The bee hummingbird of Cuba is only about five centimetres long.",
        ],
    ),
    (
        "The elephant",
        "Elephants are the largest animals living on land.",
        [
            "There are African elephants and Asian elephants, and they differ in the size of their ears and the shape of their backs.",
            "The trunk is a combination of nose and upper lip containing tens of thousands of muscles.",
            "Herds are usually led by an experienced older female, known as the matriarch.",
            "An elephant pregnancy lasts about twenty-two months, longer than that of any other mammal.",
            "Elephants recognise one another after long separations and appear to mourn their dead.",
        ],
    ),
    (
        "The giant panda",
        "The giant panda is a black-and-white bear found in the mountains of central China.",
        [
            "Bamboo makes up nearly all of its diet, and an adult may spend more than half the day eating.",
            "An enlarged wrist bone works like a thumb, helping it grip bamboo stems.",
            "Because bamboo is not very nutritious, pandas move slowly and rest a great deal to save energy.",
            "Thanks to conservation work, its status was improved from endangered to vulnerable in 2016.",
            "A newborn panda is pink, nearly hairless and only about as heavy as a small apple.",
        ],
    ),
    (
        "The dolphin",
        "Dolphins are intelligent marine mammals that breathe air through a blowhole on top of their heads.",
        [
            "They live in groups called pods and communicate with clicks and whistles.",
            "Using echolocation, they send out sounds and listen to the echoes to find fish, even in murky water.",
            "A dolphin can rest one half of its brain at a time, so it never fully loses consciousness and can keep surfacing to breathe.",
            "Many species are playful and are often seen riding the waves made by boats.",
            "Calves stay close to their mothers for several years while they learn to hunt.",
        ],
    ),
    (
        "The owl",
        "Owls are birds of prey, and many of them hunt at night.",
        [
            "Soft, fringed edges on their feathers let them fly almost silently.",
            "Their large eyes cannot move in their sockets, so owls turn their heads instead, as far as about 270 degrees.",
            "In some species one ear sits higher than the other, helping the bird pinpoint sounds in the dark.",
            "Owls swallow small prey whole and later cough up pellets of fur and bone.",
            "Scientists study these pellets to learn what the owls have been eating.",
        ],
    ),
    (
        "The frog",
        "Frogs are amphibians, which means they spend part of their lives in water and part on land.",
        [
            "Most begin life as eggs laid in water that hatch into tadpoles with tails and gills.",
            "Over several weeks the tadpole grows legs, loses its tail and develops lungs, a change called metamorphosis.",
            "Adult frogs can absorb water, and some oxygen, directly through their thin skin.",
            "Because their skin is so sensitive, frogs are good indicators of a healthy environment.",
            "Each species has its own call, which males use to attract mates.",
        ],
    ),
    (
        "The monarch butterfly",
        "The monarch is an orange-and-black butterfly famous for its long migration.",
        [
            "Each autumn, millions of monarchs from eastern North America fly south to forests in the mountains of central Mexico.",
            "No single butterfly makes the whole round trip; it takes several generations to return north in spring.",
            "Monarch caterpillars feed only on milkweed plants.",
            "Chemicals from the milkweed make the butterflies taste bad to birds, and their bright colours serve as a warning.",
            "Scientists believe they navigate using the position of the Sun.",
        ],
    ),
    (
        "The polar bear",
        "The polar bear is the largest land carnivore and lives around the Arctic Ocean.",
        [
            "It spends much of its life on sea ice, where it hunts seals at their breathing holes.",
            "Under its thick white coat, the skin is black, which helps it absorb heat.",
            "Polar bears are strong swimmers and can travel long distances between ice floes.",
            "A layer of fat several centimetres thick protects them from the cold water.",
            "The shrinking of Arctic sea ice is the biggest threat they face.",
        ],
    ),
    (
        "The kangaroo",
        "Kangaroos are marsupials native to Australia.",
        [
            "A newborn kangaroo, called a joey, is tiny and crawls into its mother's pouch, where it keeps growing for months.",
            "Kangaroos move by hopping on their powerful back legs, using their long tail for balance.",
            "Hopping is an efficient way to travel long distances across open country.",
            "They are mostly grazers, feeding on grasses, usually in the cooler hours of the day.",
            "A group of kangaroos is called a mob.",
        ],
    ),
    (
        "The salmon",
        "Salmon are fish that live part of their lives in fresh water and part in the sea.",
        [
            "They hatch in gravelly streams and spend their early months in rivers.",
            "Young salmon then swim downstream to the ocean, where they grow much larger.",
            "After a few years, many return to the very stream where they were born in order to spawn.",
            "They are thought to find their way home partly by the smell of their native river.",
            "On the journey upstream, they can leap over small waterfalls.",
        ],
    ),
    (
        "The ant",
        "Ants are social insects that live in organised colonies.",
        [
            "A colony can contain anything from a few dozen to millions of ants, depending on the species.",
            "Ants communicate mainly with chemicals called pheromones, laying scent trails that lead others to food.",
            "Workers divide their jobs: some care for the young, some gather food and some defend the nest.",
            "Relative to their size, ants can carry loads many times heavier than their own bodies.",
            "Some species farm fungus, and others look after aphids for the sweet liquid they produce.",
        ],
    ),
]

EN_ANIMAL_CLOSE = [
    "This is a remarkable example of how animals adapt to their surroundings.",
    "Scientists are still discovering new things about this animal.",
    "Seeing one in the wild is an experience few people forget.",
    "",
    "",
]


def en_animal(rng, i):
    title, lead, facts = EN_ANIMALS[i % len(EN_ANIMALS)]
    k = rng.randint(3, len(facts))
    chosen = rng.sample(facts, k)
    sents = [lead] + chosen + [pick(rng, EN_ANIMAL_CLOSE)]
    return title, fit(sents, "en")


# --- history-flavoured fiction ----------------------------------------------

EN_HIST_CITIES = [
    "the river city of Tal Amir",
    "the old port of Kessary",
    "the mountain realm of Dornholt",
    "the kingdom of Varenna",
    "the walled town of Ostrel",
    "the island city of Merrow",
]
EN_HIST_ROLES = [
    "a young scribe",
    "a bridge builder",
    "a spice merchant",
    "a lighthouse keeper",
    "an apprentice mapmaker",
    "a palace cook",
    "a horse messenger",
    "a clockmaker",
    "a weaver",
    "a ferryman",
]
EN_HIST_NAMES = [
    "Aldric",
    "Maren",
    "Tobias",
    "Isaura",
    "Corin",
    "Elspeth",
    "Rafe",
    "Liora",
    "Anselm",
    "Bryony",
    "Cassian",
    "Delphine",
]
EN_HIST_TRAITS = [
    "was known for a steady hand and a quiet voice",
    "had never travelled more than a day's walk from home",
    "kept careful notes about everything",
    "was more curious than was sometimes wise",
    "laughed easily and forgave quickly",
    "could not bear to see a job done badly",
]
EN_HIST_OPEN = [
    "In the {n} year of the reign of Queen {queen}, in {city}, there lived {role} named {name}, who {trait}.",
    "Long ago, when {city} was still ringed by wooden walls, {role} named {name} {trait}.",
    "Many centuries ago, {role} named {name} lived in {city} and {trait}.",
    "The chronicles of {city} mention {role} named {name}, who {trait}.",
]
EN_QUEENS = ["Adela", "Sunniva", "Ismene", "Berenice", "Rowena", "Theodora"]
EN_HIST_PLOTS = [
    [
        "One morning a sealed letter from the northern governor went missing from the palace, and the guards began to suspect everyone who had been near the gate.",
        "{name} remembered seeing a goat chewing on something pale near the stables, and followed a trail of torn paper and red wax to the hayloft.",
        "The pieces showed that the letter was only a request for more blankets, and the embarrassed guards released the stable boy they had arrested.",
    ],
    [
        "In the spring of that year the river rose higher than anyone could remember, and water crept into the lower streets.",
        "{name} organised the neighbours to fill sacks with sand from the riverbank and stack them along the market wall.",
        "The water stopped a hand's width below the top of the sacks, and the market opened again within a week.",
    ],
    [
        "A traveller arrived at the gates carrying a wooden box that he refused to open, and rumours spread that it held gold, or poison, or a stolen crown.",
        "{name} was the one who finally offered him a bowl of soup and asked, kindly, what he had carried so far.",
        "Inside were seeds of a pear tree from his home valley, and the orchard he planted fed the city for generations.",
    ],
    [
        "A dry summer left the granaries half empty, and the council argued day and night about how to share what remained.",
        "{name} spent three nights counting every sack and every household, and wrote the numbers on a long roll of paper that anyone could read.",
        "Because the figures were plain for all to see, no one could call the sharing unfair, and the city reached the harvest in peace.",
    ],
    [
        "The great clock in the square stopped at seventeen minutes past four, and the merchants, who opened and closed by its bell, fell into confusion.",
        "{name} climbed the tower with a lamp and found that a swallow's nest had jammed the largest gear.",
        "The nest was moved gently to a ledge, the clock started again, and the swallows returned to that ledge every year afterwards.",
    ],
    [
        "A rival from the neighbouring town challenged {name} to a contest of skill before the whole court.",
        "Instead of looking for a trick, {name} practised every evening for a month and asked the old masters for advice.",
        "The contest ended in a draw, and the two rivals became partners, opening a workshop together by the harbour.",
    ],
    [
        "Three days before the lantern festival, a fire in the paper workshop destroyed nearly every lantern in the city.",
        "{name} went from door to door asking each family to make just one lantern from whatever paper they had at home.",
        "On the night of the festival the streets glowed with hundreds of odd, patched, beautiful lanterns, and people said it was the finest festival in living memory.",
    ],
    [
        "A merchant caravan lost its way in the eastern desert, and its last message begged for someone who knew the old wells.",
        "{name} studied a faded map in the temple library and set out with two camels and a guide.",
        "They found the caravan on the fifth day, thirsty but alive, beside a well that appeared on no modern map.",
    ],
]
EN_HIST_END = [
    "Years later, the name {name} was carved on a stone beside the city gate.",
    "The official chronicle records the event in a single line, but the people remembered much more.",
    "When {name} grew old, children still asked to hear the story, and it was told a little differently every time.",
    "Nobody thought of it as heroism at the time; it was simply what needed doing.",
    "To this day, the street where {name} lived is called by a name that honours that year.",
]


def en_history(rng, i):
    name = pick(rng, EN_HIST_NAMES)
    plot = EN_HIST_PLOTS[i % len(EN_HIST_PLOTS)]
    opener = pick(rng, EN_HIST_OPEN).format(
        n=ordinal(rng.randint(3, 40)),
        queen=pick(rng, EN_QUEENS),
        city=pick(rng, EN_HIST_CITIES),
        role=pick(rng, EN_HIST_ROLES),
        name=name,
        trait=pick(rng, EN_HIST_TRAITS),
    )
    sents = [opener] + [s.format(name=name) for s in plot] + [pick(rng, EN_HIST_END).format(name=name)]
    return f"A tale of {name}", fit(sents, "en")


# --- programming ---------------------------------------------------------------

EN_PROG = [
    (
        "Variables",
        "what a variable is",
        [
            "A variable is a name that refers to a value stored in a program.",
            "In Python, writing `count = 3` creates a variable called count and gives it the value 3.",
            "You can change the value later, for example with `count = count + 1`.",
            "Good variable names describe what the value means, such as `total_price` rather than `x`.",
            "Variables make programs readable, because a name explains intent far better than a bare number.",
        ],
    ),
    (
        "Loops",
        "how loops work",
        [
            "A loop repeats a block of code, which saves you from writing the same lines again and again.",
            "A `for` loop runs once for each item in a collection, such as every name in a list.",
            "A `while` loop keeps running as long as a condition stays true.",
            "In Python, `for i in range(5):` runs its body five times, with i taking the values 0 to 4.",
            "Be careful with while loops: if the condition never becomes false, the program will loop forever.",
        ],
    ),
    (
        "Functions",
        "why programmers write functions",
        [
            "A function is a named, reusable piece of code that performs one task.",
            "It can take inputs, called parameters, and return a result.",
            "In Python, `def add(a, b): return a + b` defines a function that adds two numbers.",
            "Splitting a program into small functions makes it easier to read, test and change.",
            "A good rule of thumb is that a function should do one thing and have a name that says what that thing is.",
        ],
    ),
    (
        "Lists and indexes",
        "how lists are indexed",
        [
            'A list stores several values in order, such as `colors = ["red", "green", "blue"]`.',
            "Each item has a position called an index, and in most languages, including Python, counting starts at zero.",
            'So `colors[0]` is "red" and `colors[2]` is "blue".',
            "Python also allows negative indexes: `colors[-1]` gives the last item.",
            "Asking for an index that does not exist, such as `colors[3]`, raises an IndexError.",
        ],
    ),
    (
        "Dictionaries",
        "what a dictionary is in programming",
        [
            "A dictionary, sometimes called a map or hash table, stores pairs of keys and values.",
            'For example, `ages = {"Ana": 31, "Ben": 27}` links each name to an age.',
            'Looking up `ages["Ana"]` returns 31 almost instantly, no matter how large the dictionary grows.',
            "Keys must be unique; assigning to an existing key replaces its old value.",
            "Dictionaries are ideal for counting things, such as how often each word appears in a text.",
        ],
    ),
    (
        "Recursion",
        "what recursion means",
        [
            "A recursive function is one that calls itself to solve a smaller version of the same problem.",
            "The classic example is the factorial: the factorial of n is n multiplied by the factorial of n minus 1.",
            'Every recursive function needs a base case, such as "the factorial of 0 is 1", where it stops calling itself.',
            "Without a base case, the calls would continue until the program runs out of memory for the call stack.",
            "Recursion is especially natural for tree-shaped data, like folders inside folders.",
        ],
    ),
    (
        "Version control",
        "why developers use version control",
        [
            "Version control systems such as Git record the history of changes to a project.",
            "Each saved snapshot is called a commit and comes with a message describing what changed.",
            "If something breaks, you can compare versions or go back to one that worked.",
            "Branches let several people work on different features at the same time without getting in each other's way.",
            'A clear commit message, such as "Fix rounding error in invoice totals", helps your future self as much as your teammates.',
        ],
    ),
    (
        "Unit tests",
        "what unit tests are for",
        [
            "A unit test is a small piece of code that checks whether another small piece of code behaves as expected.",
            "For example, a test might call `add(2, 3)` and check that the result is 5.",
            "Running the tests after every change quickly reveals if something that used to work has broken.",
            "Tests also act as documentation, showing how a function is meant to be used.",
            "Writing a test for a bug before fixing it makes sure the same bug never quietly returns.",
        ],
    ),
    (
        "Debugging",
        "how to find a bug",
        [
            "Debugging is the process of finding and fixing mistakes in a program.",
            "The first step is to reproduce the problem reliably, so that you know when it is fixed.",
            "Reading the error message carefully often points straight to the line where things went wrong.",
            "Printing the values of variables, or stepping through the code with a debugger, shows what the program is really doing.",
            "Some programmers explain their code line by line to a rubber duck on their desk, and often spot the bug halfway through.",
        ],
    ),
    (
        "Algorithm efficiency",
        "why some programs are faster than others",
        [
            "Two programs can give the same answer while taking very different amounts of time.",
            "Searching an unsorted list means checking items one by one, so the work grows in step with the size of the list.",
            "If the list is sorted, binary search can check the middle item and throw away half of the list at every step.",
            "For a million items, that is about twenty comparisons instead of up to a million.",
            "Programmers describe this growth with big-O notation, writing O(n) for the first method and O(log n) for the second.",
        ],
    ),
    (
        "Naming and comments",
        "how to write readable code",
        [
            "Code is read far more often than it is written, so clarity matters.",
            "Descriptive names for variables and functions remove the need for many comments.",
            "Comments are most useful when they explain why something is done, not what each line does.",
            "Consistent formatting, such as the same indentation everywhere, makes structure easy to see.",
            "A helpful test is to ask whether a new teammate could understand the code without asking you.",
        ],
    ),
    (
        "JSON",
        "what JSON is",
        [
            "JSON, short for JavaScript Object Notation, is a simple text format for structured data.",
            "It uses curly braces for objects, square brackets for lists, and double quotes for strings.",
            'A JSON object might look like `{"name": "Lin", "age": 29, "skills": ["Python", "SQL"]}`.',
            "Although it came from JavaScript, almost every programming language can read and write it.",
            "A common format for datasets is JSON Lines, where each line of a file is one complete JSON object.",
        ],
    ),
    (
        "Exceptions",
        "what happens when a program hits an error",
        [
            "When a program meets a situation it cannot handle, such as dividing by zero, it raises an exception.",
            "If nothing catches the exception, the program stops and prints an error message with a traceback.",
            "In Python, a `try` block can be paired with `except` to handle a specific error gracefully.",
            "For example, a program can catch `FileNotFoundError` and ask the user for a different file name.",
            "It is better to catch only the errors you expect, so that real bugs are not silently hidden.",
        ],
    ),
    (
        "Off-by-one errors",
        "what an off-by-one error is",
        [
            "An off-by-one error happens when a loop or range runs one time too many or one time too few.",
            "They are so common that programmers joke there are only two hard problems: naming things, cache invalidation and off-by-one errors.",
            "In Python, `range(1, 10)` produces the numbers 1 to 9, not 1 to 10, which surprises many beginners.",
            "Another classic case is mixing up the length of a list with the index of its last item.",
            "Testing with very small inputs, like an empty list or a list of one item, catches many of these mistakes.",
        ],
    ),
    (
        "HTTP status codes",
        "what the numbers in web errors mean",
        [
            "When a browser asks a web server for a page, the server replies with a three-digit status code.",
            'Codes in the 200s mean success; 200 simply means "OK".',
            "Codes in the 400s mean the request had a problem, and 404 means the page was not found.",
            "Codes in the 500s mean the server itself failed, such as 500 for an internal server error.",
            "Redirects use codes in the 300s, telling the browser to look somewhere else.",
        ],
    ),
    (
        "Floating-point numbers",
        "why 0.1 plus 0.2 is not exactly 0.3 on a computer",
        [
            "Computers store most decimal numbers in a binary format called floating point.",
            "Just as one third cannot be written exactly as a decimal, one tenth cannot be written exactly in binary.",
            "As a result, in Python `0.1 + 0.2` gives 0.30000000000000004.",
            "The error is tiny, but it means you should not compare floating-point results with `==`.",
            "For money, programmers often use whole numbers of cents or a decimal type instead.",
        ],
    ),
]

EN_PROG_OPEN = ["Beginners often ask {q}.", "This short note explains {q}.", "Let us look at {q}.", ""]


def en_programming(rng, i):
    title, q, facts = EN_PROG[i % len(EN_PROG)]
    opener = pick(rng, EN_PROG_OPEN)
    if opener.startswith("Beginners"):
        opener = f"Beginners often want to know {q}."
    elif opener:
        opener = opener.format(q=q)
    k = rng.randint(4, len(facts))
    keep = [0] + sorted(rng.sample(range(1, len(facts)), k - 1))
    sents = [opener] + [facts[j] for j in keep]
    return f"Programming basics: {title}", fit(sents, "en")


# --- sports reports (numbers are generated, text is consistent with them) -------

EN_TEAM_SUFFIX = ["Rovers", "United", "Athletic", "Town", "Wanderers", "City", "Albion", "Rangers"]
EN_SURNAMES = [
    "Okafor",
    "Lind",
    "Ruiz",
    "Moreau",
    "Haddad",
    "Novak",
    "Brennan",
    "Costa",
    "Sato",
    "Kowalski",
    "Mensah",
    "Larsen",
    "Duarte",
    "Quinn",
    "Petrov",
    "Achebe",
    "Fischer",
    "Walsh",
]
EN_FOOTBALL_COLOUR = [
    "The pitch was heavy after a week of rain, and neither side managed to keep the ball on the ground for long.",
    "A cold wind blew straight down the pitch, making long passes almost impossible in the first half.",
    "The weather was bright and clear, and both teams started at a furious pace.",
    "The first half was cautious, with few chances and plenty of fouls in midfield.",
    "The home supporters sang for the full ninety minutes despite the steady drizzle.",
]


EN_FOOTBALL_EVENTS = [
    "After the break the visitors pushed forward down the wings and created several half-chances.",
    "Both sides made two substitutions around the hour mark, and the game opened up.",
    "In midfield, {p} covered every blade of grass and made a string of important interceptions.",
    "The referee showed four yellow cards in a physical, bad-tempered second half.",
    "In the final ten minutes the home crowd sang without pause, urging their team forward.",
    "Just before half-time the away goalkeeper made a superb diving save.",
]


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
    sents = [first, pick(rng, EN_FOOTBALL_COLOUR)]
    for team, n in ((home, hs), (away, as_)):
        if n == 0:
            continue
        goals = _goal_list(rng, n, rng.sample(EN_SURNAMES, 2))
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
    ev = rng.sample(EN_FOOTBALL_EVENTS, len(EN_FOOTBALL_EVENTS))
    sents.append(ev[0].format(p=pick(rng, EN_SURNAMES)))
    spare = [e.format(p=pick(rng, EN_SURNAMES)) for e in ev[1:]]
    if hs == as_ == 0:
        sents.append(
            f"Both goalkeepers were excellent, and the best chance fell to {pick(rng, EN_SURNAMES)}, whose header struck the crossbar late on."
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
    sents = [f"{win} defeated {lose} {ws}-{ls} in a basketball game played on {pick(rng, EN_WEEKDAYS)} evening."]
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
        f"{pick(rng, EN_SURNAMES)} was the top scorer with {pts} points, and {pick(rng, EN_SURNAMES)} added {rng.randint(8, 15)} rebounds."
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
    w, r2, r3 = rng.sample(EN_SURNAMES, 3)
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
        f"The women's race was won by {pick(rng, EN_SURNAMES)} in {mmss(fem)}.",
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

EN_CONDITIONS = {
    "spring": [
        ("sunny spells", "dry"),
        ("scattered showers", "wet"),
        ("light rain", "wet"),
        ("bright and breezy", "dry"),
        ("cloudy", "dry"),
    ],
    "summer": [
        ("hot and sunny", "hot"),
        ("thunderstorms later", "wet"),
        ("humid with some cloud", "dry"),
        ("clear skies", "hot"),
        ("a few showers", "wet"),
    ],
    "autumn": [
        ("grey and damp", "wet"),
        ("morning fog", "dry"),
        ("windy with heavy showers", "wet"),
        ("crisp and sunny", "dry"),
        ("overcast", "dry"),
    ],
    "winter": [
        ("cold with sleet", "wet"),
        ("frosty and clear", "cold"),
        ("snow showers", "cold"),
        ("freezing fog", "cold"),
        ("dull and chilly", "dry"),
    ],
}
EN_TEMPS = {"spring": (6, 18), "summer": (16, 33), "autumn": (4, 17), "winter": (-9, 7)}
EN_WX_ADVICE = {
    "wet": "Keep an umbrella handy.",
    "hot": "Drink plenty of water and use sunscreen if you are outside for long.",
    "cold": "Wrap up warmly and take care on icy pavements.",
    "dry": "It should be a good day to get outside.",
}


def en_forecast(rng, city):
    month = rng.randint(1, 12)
    season = season_of(month)
    lo_t, hi_t = EN_TEMPS[season]
    sents = [
        f"Here is the weather forecast for {city} for the coming three days, issued on {rng.randint(1, 28)} {EN_MONTHS[month - 1]}."
    ]
    last_kind = None
    days = ["Today", "Tomorrow", pick(rng, EN_WEEKDAYS)]
    for d in days:
        cond, kind = pick(rng, EN_CONDITIONS[season])
        hi = rng.randint(lo_t + 5, hi_t)
        if kind == "hot":
            hi = max(hi, 28)
        elif kind == "cold":
            hi = min(hi, 2)
        lo = hi - rng.randint(4, 11)
        wind = rng.randint(5, 45)
        sents.append(f"{d}: {cap(cond)}, with a high of {hi}°C and a low of {lo}°C; winds around {wind} km/h.")
        last_kind = last_kind or kind
    sents.append(EN_WX_ADVICE[last_kind])
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


EN_SEASON_NOTES = {
    "spring": [
        "Spring arrives quietly at first, with a few green shoots pushing through last year's leaves.",
        "The days lengthen by a couple of minutes at each end, and suddenly it is light when you leave work.",
        "Blackbirds start singing before dawn, and the gardens fill with daffodils and tulips.",
        "The weather cannot make up its mind: sunshine at breakfast, hail at lunch, a rainbow by tea time.",
        "Farmers watch the soil temperature and wait for the right moment to sow.",
        "Everyone seems to open their windows at the same time, as if letting the winter out.",
        "In the parks, new lambs and ducklings draw small crowds of delighted children.",
    ],
    "summer": [
        "Summer is the season of long evenings and open doors.",
        "Markets overflow with strawberries, cherries and tomatoes that actually taste of something.",
        "By midday the streets are quiet, and people look for shade under trees and awnings.",
        "Thunderstorms build in the afternoon heat and break with sudden, heavy rain.",
        "Children spend whole days outdoors, returning home sunburnt and happy.",
        "At night the air is full of the smell of cut grass and the sound of insects.",
        "Beaches and riverbanks fill up on weekends, and ice-cream vans do good business.",
    ],
    "autumn": [
        "Autumn begins with a change in the light, lower and more golden than in summer.",
        "The trees turn yellow, orange and red as they stop making green chlorophyll.",
        "Squirrels bury nuts, and the first geese fly south in long, noisy lines.",
        "It is the season of harvests: apples, pumpkins, grapes and the last of the beans.",
        "Mornings are misty and cool, and spider webs sparkle with dew on every hedge.",
        "The evenings draw in, and lamps go on earlier in every window.",
        "A walk through fallen leaves is one of the small, free pleasures of the year.",
    ],
    "winter": [
        "Winter strips the trees bare and shows the shape of every branch against the sky.",
        "The days are short, and the sun barely climbs above the rooftops at noon.",
        "A first snowfall changes the sound of a city, softening every footstep.",
        "People gather indoors around warm food, hot drinks and long conversations.",
        "Birds puff up their feathers to stay warm and visit feeders more often.",
        "Frost paints patterns on car windscreens and turns puddles into thin glass.",
        "After the shortest day, the light begins to return, a minute or two at a time.",
    ],
}


def en_season_note(rng, i):
    season = ["spring", "summer", "autumn", "winter"][i % 4]
    pool = EN_SEASON_NOTES[season]
    sents = [pool[0]] + rng.sample(pool[1:], len(pool) - 1)
    return f"Notes on {season}", fit(sents, "en")


# --- school --------------------------------------------------------------------

EN_SUBJECTS = {
    "science": [
        "we planted bean seeds in glass jars so we could watch the roots grow",
        "we measured how far a toy car rolled down ramps of different heights",
        "we tested which objects a magnet would pick up, and the paper clips won",
        "we made a rain gauge from a plastic bottle and put it in the school garden",
    ],
    "maths": [
        "we learned that the area of a triangle is half the base times the height",
        "we measured everything in the classroom and turned the results into a bar chart",
        "we practised long division until even the teacher was tired of it",
        "we used dice to find out whether some numbers really are luckier than others",
    ],
    "history": [
        "we read letters written by children who lived in our town a hundred years ago",
        "we built a timeline across the back wall, from the first farmers to the invention of the internet",
        "we handled real Roman coins that a local museum lent to the school",
        "we interviewed our grandparents about what school was like for them",
    ],
    "art": [
        "we painted self-portraits using only three colours",
        "we made prints by carving patterns into potatoes",
        "we drew the view from the window, which is harder than it sounds",
        "we made a huge paper dragon for the spring festival",
    ],
    "music": [
        "we learned a song in a round, and it fell apart beautifully at the end",
        "we made instruments out of jars, rubber bands and rice",
        "we listened to a piece of music and drew whatever pictures came into our heads",
        "we practised clapping rhythms until the whole class was in time",
    ],
    "geography": [
        "we made a map of the route from home to school",
        "we learned the names of the longest rivers on each continent",
        "we studied how rivers shape valleys using a tray of sand and a watering can",
        "we compared the weather in our town with the weather in a town on the other side of the world",
    ],
    "PE": [
        "we practised relay races and learned how to pass the baton without looking",
        "we played a basketball game where everyone had to touch the ball before scoring",
        "we did gymnastics and I finally managed a cartwheel",
        "we ran laps of the field in the drizzle, which nobody enjoyed except the teacher",
    ],
}
EN_TEACHERS = ["Mr Patel", "Ms Osei", "Mrs Lindqvist", "Mr Harper", "Ms Romero", "Mr Adeyemi", "Mrs Chen"]
EN_SCHOOL_EXTRA = [
    "At break, {friend} shared a bag of crisps with half the class and then complained about being hungry.",
    "It rained all lunchtime, so we stayed in and played a noisy word game.",
    "{friend} brought in a pet stick insect, and it escaped for ten exciting minutes.",
    "We had a fire drill in the middle of the spelling test, which felt like good luck.",
    "The head teacher announced that the school trip to the science museum is next month.",
    "In the library I found a book about deep-sea creatures with the strangest fish I have ever seen.",
    "Our class won the tidiest classroom award, mostly because we hid everything in the cupboard.",
    "{friend} and I finished the group project poster just before the bell.",
    "Lunch was fish and chips, which is the best thing that happens on Fridays, except it was Thursday.",
    "{friend} lost a tooth during reading time and was extremely proud of it.",
    "A visiting author read to us from a book about a girl who sails around the world alone.",
    "Someone left the classroom window open and a pigeon walked in as if it had a timetable.",
]
EN_SCHOOL_END = [
    "Homework is to write a paragraph about what we learned, so I suppose this counts as practice.",
    "It was a good day, and I am actually looking forward to tomorrow.",
    "{teacher} said we asked excellent questions today, which made everyone sit up a little straighter.",
    "I want to try the experiment again at home this weekend.",
    "Tomorrow is Friday, which means football after school.",
]


def en_school(rng, i):
    subs = list(EN_SUBJECTS)
    s1, s2 = rng.sample(subs, 2)
    teacher = pick(rng, EN_TEACHERS)
    friend = pick(rng, EN_NAMES)
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
        f"In {s1} with {teacher}, {pick(rng, EN_SUBJECTS[s1])}.",
        f"Later, in {s2}, {pick(rng, EN_SUBJECTS[s2])}.",
    ]
    extra = [x.format(friend=friend) for x in rng.sample(EN_SCHOOL_EXTRA, len(EN_SCHOOL_EXTRA))]
    k = rng.randint(1, 2)
    sents += extra[:k]
    sents.append(pick(rng, EN_SCHOOL_END).format(teacher=teacher))
    return f"A school day: {s1} and {s2}", fit(sents, "en", pad=extra[k:], drop=True)


# --- travel ----------------------------------------------------------------------

# (description, tags); activities below may require one of the tags
EN_TRAVEL_KIND = [
    ("a fishing village on the coast", "water sea"),
    ("a small town high in the mountains", "mount"),
    ("an old river city", "water river city"),
    ("an island with only one road", "water sea"),
    ("a market town on the edge of the desert", "desert"),
    ("a lakeside town surrounded by forest", "water forest"),
]
EN_TRAVEL_ARRIVE = [
    "We arrived in {place} after a six-hour train ride that wound through valleys and tunnels.",
    "The bus dropped us in the square of {place} just as the shops were closing.",
    "Reaching {place} meant a ferry, a bus and finally a long walk with heavy bags.",
    "We drove into {place} late at night, guided more by instinct than by the map.",
    "Our first view of {place} was from the window of a small propeller plane.",
    "We reached {place} on foot, after two days of walking and one wrong turn.",
    "A friend of a friend drove us to {place}, telling stories the whole way.",
    "The night train brought us to {place} just after sunrise, stiff but excited.",
]
EN_TRAVEL_STAY = [
    "Our guesthouse was run by an elderly couple who insisted on feeding us as if we were family.",
    "We stayed in a narrow room above a bakery, which meant waking up to the smell of fresh bread.",
    "The hostel was simple and clean, with a shared kitchen where travellers swapped tips in five languages.",
    "We rented a tiny flat with a balcony that looked straight out over the rooftops.",
    "Our room was above a noisy café, but the owner's breakfasts made up for everything.",
    "We camped at the edge of town, where the only sounds at night were the wind and a distant dog.",
    "The small hotel had creaking floors, thick walls and a cat that adopted us on the first evening.",
    "We stayed with a family who had converted their old barn into two simple guest rooms.",
]
EN_TRAVEL_DO = [
    ("In the morning we walked to the harbour and watched the boats come in with their catch.", "sea"),
    ("We climbed to a viewpoint above the town and could see three valleys at once.", "mount"),
    ("We spent an afternoon wandering the old streets with no plan at all, which turned out to be the best plan.", ""),
    ("A local guide showed us a path through the forest to a waterfall that is not in any guidebook.", "mount forest"),
    ("We hired bicycles and rode along the shore until our legs gave up.", "water"),
    ("The small museum had a surprising collection of old maps, and we lost two hours there.", ""),
    ("We joined a cooking class and learned to fold dumplings, badly at first.", ""),
    ("On market day the square was packed with stalls selling cheese, honey, baskets and second-hand tools.", ""),
    ("At dawn we rode camels out to the dunes and watched the sand turn from grey to gold.", "desert"),
    ("We took a slow boat along the river and counted the bridges, losing track somewhere after twenty.", "river"),
    ("The night sky was so clear that we could see the Milky Way from the hotel roof.", "desert mount"),
    ("We swam in water so clear and cold that it took our breath away.", "water"),
]
EN_TRAVEL_FOOD = [
    "The best meal of the trip was a bowl of fish soup eaten at a plastic table by the water.",
    "We tried a local flatbread baked on hot stones, served with yoghurt and herbs.",
    "Every café seemed to have its own version of apple cake, and we felt obliged to try them all.",
    "Dinner was grilled vegetables and fresh bread, simple and perfect after a long day of walking.",
    "A woman at the market pressed a bag of dried apricots into our hands and refused to take any money.",
    "We ate noodles at a counter so small that our elbows touched the cook's.",
    "Breakfast was thick yoghurt with honey, and we never wanted anything else.",
]
EN_TRAVEL_END = [
    "It was the kind of place that makes you wonder why you live where you do.",
    "We left with sore feet, full notebooks and a promise to come back.",
    "Travelling slowly, we decided, is the only way to really see anything.",
    "On the last evening we sat outside until the stars came out and said very little.",
    "I would go back tomorrow if I could.",
    "Some places you visit; a few places visit you back for years afterwards.",
    "The photos do not do it justice, which is perhaps the best thing you can say about a place.",
    "On the way home we were already planning the next trip.",
]


def _travel_acts(rng, acts, tags):
    ok = [a for a, need in acts if not need or set(need.split()) & set(tags.split())]
    return rng.sample(ok, len(ok))


def en_travel(rng, i, town):
    kind, tags = pick(rng, EN_TRAVEL_KIND)
    place = f"{town}, {kind}"
    acts = _travel_acts(rng, EN_TRAVEL_DO, tags)
    k = rng.randint(2, 3)
    foods = [f for f in EN_TRAVEL_FOOD if "water" in tags or "by the water" not in f]
    arrive = [a for a in EN_TRAVEL_ARRIVE if "island" not in kind or not any(w in a for w in ("train", "bus", "drove"))]
    sents = [pick(rng, arrive).format(place=place), pick(rng, EN_TRAVEL_STAY)]
    sents += acts[:k]
    sents.append(pick(rng, foods))
    sents.append(pick(rng, EN_TRAVEL_END))
    return f"Travel notes: {town}", fit(sents, "en", pad=acts[k:], drop=True)


# ---------------------------------------------------------------------------
# Chinese pretraining text
# ---------------------------------------------------------------------------

ZH_DIARY_WEATHER = {
    "spring": [
        ("晴", "早上出门的时候还有点凉，小区门口的玉兰花已经开了一大片。"),
        ("小雨", "下了一整天的小雨，空气里都是泥土和青草的味道。"),
        ("大风", "风很大，阳台上晾的衣服被吹得哗哗直响。"),
        ("晴", "天气暖和起来了，我今年第一次脱掉了厚外套。"),
        ("多云", "上午雾蒙蒙的，快到中午太阳才露出脸来。"),
        ("阴", "天阴着，柳树却已经冒出了嫩绿的新芽。"),
    ],
    "summer": [
        ("晴", "一大早就热得不行，知了在树上叫个不停。"),
        ("雷阵雨", "傍晚突然下了一场雷阵雨，雨停以后凉快了不少。"),
        ("晴", "白天特别长，快八点了天还没完全黑。"),
        ("多云", "空气又闷又潮，走几步路就出了一身汗。"),
        ("晴", "河边吹来一阵阵凉风，总算没那么热了。"),
        ("小雨", "下了点小雨，荷塘里的荷叶上滚着一颗颗水珠。"),
    ],
    "autumn": [
        ("晴", "路边的银杏叶全黄了，踩上去沙沙作响。"),
        ("小雨", "天阴沉沉的，下着毛毛雨，让人只想窝在家里看书。"),
        ("晴", "早晨很清爽，天空蓝得像刚洗过一样。"),
        ("大风", "起风了，楼下那棵柿子树的叶子掉了一地。"),
        ("多云", "中午的太阳还挺暖，可一到晚上就得加件毛衣。"),
        ("阴", "早上起了雾，公园的草地上挂满了露水。"),
    ],
    "winter": [
        ("雪", "夜里下了雪，早上推开窗，外面白茫茫一片。"),
        ("晴", "冷得厉害，楼下的水洼都结了一层薄冰。"),
        ("阴", "天一直灰蒙蒙的，下午五点不到就黑了。"),
        ("晴", "午后出了太阳，可风还是刮得脸生疼。"),
        ("小雪", "窗外飘着零星的雪花，屋里的暖气烧得很足。"),
        ("多云", "玻璃窗上结了一层冰花，我在被窝里赖了好久才起来。"),
    ],
}
ZH_DIARY_MORNING = [
    "我比闹钟醒得还早，躺在床上听了一会儿鸟叫。",
    "今天睡过了头，只好叼着面包一路小跑去赶公交。",
    "出门前给阳台上的花浇了水，发现薄荷又长出了新叶子。",
    "早饭喝了一碗小米粥，配的是妈妈腌的咸菜。",
    "我绕了远路，沿着河边走去地铁站，顺便看了看晨练的人。",
    "家里的猫六点就跳到我枕头边喵喵叫，直到我起来给它添了猫粮。",
    "早上在公园跑了两圈，整个人都精神了。",
    "厨房的水龙头一直滴水，我趁早上把它修好了。",
    "公交车晚点了，我在站台上和一位老爷爷聊了半天，他给我讲了这条街以前的样子。",
    "上午把拖了一个星期的邮件都回完了，心里一下子轻松了。",
    "起床后在客厅做了十分钟拉伸，比昨天多了十分钟。",
    "早饭是两个包子和一杯豆浆，在楼下的早点铺买的。",
]
ZH_DIARY_EVENTS = [
    "中午和{friend}去图书馆旁边新开的面馆吃饭，汤头很浓，排队的人也很多。",
    "下午帮{friend}搬家，三楼没有电梯，我们来回跑了十几趟。",
    "去图书馆本来想借一本讲桥梁的书，结果抱回来三本关于鸟的。",
    "下午停了一个小时的电，我就坐在窗边看书，直到来电。",
    "在菜市场碰到了{friend}，我们合买了一袋桃子，熟得刚刚好。",
    "开会开了两个多小时，总算把下个月的计划定了下来。",
    "跟着视频学了一首吉他曲子，弹会了前面八个小节。",
    "整理了厨房的柜子，翻出一罐不知道什么时候放进去的纽扣。",
    "{friend}教我下象棋，我连输了三盘，还是没弄明白什么时候该出车。",
    "去邮局给奶奶寄了一个生日包裹，里面有我织的围巾。",
    "在游泳馆一口气游了二十个来回，创了我自己的新纪录。",
    "一下午都在核对一张表格，最后发现是少写了一个负号。",
    "在公园长椅上坐了一会儿，看两个小孩在没风的天气里拼命放风筝。",
    "和{friend}去看了一场电影，两个人都没太看懂，出来后边喝奶茶边争论结局。",
    "去了港口路上的小博物馆，里面有一整屋老钟表，每一个走得都不太一样。",
    "给吊兰换了个大花盆，它的根已经从盆底钻出来了。",
    "{friend}打电话来说面试很顺利，我们约好周五一起吃顿好的庆祝一下。",
    "拼了一个月的拼图终于完成了，结果发现少了一块。",
    "回家路上帮一个迷路的游客找到了公交站，还用上了我蹩脚的英语。",
]
ZH_DISHES = [
    "番茄炒蛋",
    "酸辣土豆丝",
    "一锅排骨汤",
    "葱油拌面",
    "红烧茄子",
    "蛋炒饭",
    "白菜猪肉饺子",
    "清蒸鱼",
    "麻婆豆腐",
    "青菜香菇面",
    "可乐鸡翅",
    "紫菜蛋花汤",
]
ZH_DIARY_FOOD = [
    "晚饭做了{dish}，比上次好吃多了。",
    "晚上实在太饿了，站在灶台边就把{dish}吃完了。",
    "{friend}来家里，我们一起做了{dish}，基本上是我切菜，{friend}负责尝味道。",
    "犒劳一下自己，去楼下那家小店吃了{dish}。",
    "照着网上的菜谱试做了{dish}，盐放少了，下次注意。",
]
ZH_DIARY_END = [
    "明天想早点起床，真的去跑一次步。",
    "很普通的一天，但挺好的，平凡的日子也值得记下来。",
    "有点累，不过是那种让人踏实的累。",
    "睡前列了这周要做的事，一如既往地太长了。",
    "该多给爸妈打打电话了，这个周末一定打。",
    "睡前看几页书，已经成了我一天中最喜欢的时刻。",
    "今天没发生什么特别的事，可这种平静反而让人安心。",
    "一直说要重新学英语，也许就从这周开始吧。",
    "计划十一点前睡觉，希望能做到。",
]


def zh_diary(rng, i):
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    wd = pick(rng, ZH_WEEKDAYS)
    friend = pick(rng, ZH_NAMES)
    wword, wsent = pick(rng, ZH_DIARY_WEATHER[season_of(month)])
    head = f"{month}月{day}日，星期{wd}，{wword}。"
    sents = [head, wsent, pick(rng, ZH_DIARY_MORNING)]
    shuffled = rng.sample(ZH_DIARY_EVENTS, len(ZH_DIARY_EVENTS))
    k = rng.choice([2, 2, 3])
    sents += shuffled[:k]
    spare = [e.format(friend=friend) for e in shuffled[k:]]
    sents.append(pick(rng, ZH_DIARY_FOOD).format(dish=pick(rng, ZH_DISHES), friend=friend))
    sents.append(pick(rng, ZH_DIARY_END))
    sents = [s.format(friend=friend) for s in sents]
    return f"日记：{month}月{day}日", fit(sents, "zh", pad=spare, drop=True)


# --- fables ------------------------------------------------------------------

ZH_PLACES = [
    "在一片安静的池塘边",
    "在开满三叶草的草地上",
    "在小河边的山坡上",
    "在松树林深处",
    "在一堵老石墙旁边",
    "在两座大山之间的山谷里",
    "在村口的果园附近",
    "在一大片芦苇荡里",
]

# animal entries: (name, classifier)
ZH_FABLES = [
    {
        "a": [("狐狸", "只"), ("野兔", "只"), ("猴子", "只"), ("喜鹊", "只")],
        "b": [("乌龟", "只"), ("獾", "只"), ("老山羊", "只"), ("刺猬", "只")],
        "title": "{a}和{b}",
        "stages": [
            [
                "很久以前，{place}住着{A1}自以为聪明的{a}和{B1}出了名有耐心的{b}。",
                "{place}，{a}和{b}每天早上都走同一条小路去溪边喝水。",
            ],
            [
                "{a}总爱对大家说自己想问题有多快，还常常笑话{b}做什么都慢吞吞的。",
                "{a}天天夸耀自己脑子灵，{b}只是静静地听着，很少说话。",
            ],
            [
                "有一年{season}，一场大雨冲走了小溪上的一排垫脚石。",
                "有一年{season}，溪水涨得很高，原来的垫脚石全被淹没了。",
            ],
            [
                "{a}在岸边跑来跑去，一个主意还没想完就往前跳，结果两次掉进了冰冷的水里。",
                "{a}一连试了三个办法，每一次都是扑通一声落水，然后抱怨个不停。",
            ],
            [
                "{b}却坐在那里看了很久，留意哪里水流得慢，哪里卡着倒下的树枝。",
                "{b}则沿着岸边慢慢地走，仔细察看每一块石头、每一条树根。",
            ],
            [
                "最后，它找到一棵横倒在溪上的树，一步一步小心地走了过去。",
                "天黑之前，它找到一处又浅又平静的地方，稳稳当当地过了河。",
            ],
            [
                "浑身湿透、冻得发抖的{a}跟在后面，这一次它什么聪明话也说不出来了。",
                "等{a}终于跟着过了河，它承认：快并不等于聪明。",
            ],
        ],
        "morals": ["想得慢一点，总比做得蠢强。", "细心的头脑往往比伶俐的嘴巴走得更远。", "耐心能找到急躁错过的路。"],
    },
    {
        "a": [("松鼠", "只"), ("仓鼠", "只"), ("花栗鼠", "只"), ("松鸦", "只")],
        "b": [("刺猬", "只"), ("兔子", "只"), ("鹪鹩", "只"), ("田鼠", "只")],
        "title": "什么都不分给别人的{a}",
        "stages": [
            [
                "{place}住着{A1}{a}，它整个秋天都在收集食物，却从不分给别人。",
                "从前，{place}有{A1}{a}，它把一堆种子藏在一块扁石头底下，谁也不告诉。",
            ],
            [
                "它的邻居是{B1}{b}，收集的东西少得多，可只要有人来敲门，它总会分出一点。",
                "不远处住着{B1}{b}，存粮不多，却从来不让饿着肚子的客人空手离开。",
            ],
            [
                "冬天来了，大雪盖住了地面，{a}守着满满的粮仓，独自听着窗外的风声。",
                "那年的冬天特别长，连最老的动物都说从没见过。",
            ],
            [
                "一天夜里，小偷发现了它的秘密粮仓，把大部分吃的都搬走了，{a}醒来时只剩一个空洞。",
                "潮气钻进了{a}藏粮食的地方，等它发现时，一半的种子已经发霉了。",
            ],
            ["又饿又羞愧的{a}只好去敲{b}的门，心想一定会被赶走。", "无处可去的{a}敲开了{b}的家门，小声请求帮助。"],
            [
                "{b}剩下的也不多，可它还是把自己有的分了一半；那些曾经在它家吃过饭的朋友们，也纷纷送来了食物。",
                "{b}让它进了屋。不久，别的动物也带着小礼物来了，它们都记得{b}曾经款待过自己。",
            ],
            ["到了春天，{a}明白了：朋友比粮食更经得住日子。", "冰雪融化以后，{a}成了第一个主动帮助别人的动物。"],
        ],
        "morals": [
            "分享出去的善意，终会回到自己身边。",
            "今天给出去的，往往会在最需要的时候回来。",
            "朋友才是度过难关最好的储备。",
        ],
    },
    {
        "a": [("乌鸦", "只"), ("喜鹊", "只"), ("八哥", "只"), ("寒鸦", "只")],
        "b": [("狐狸", "只"), ("野猫", "只"), ("黄鼠狼", "只")],
        "title": "记性好的{a}",
        "stages": [
            [
                "{place}，{A1}{a}找到一块{food}，落在一根高高的树枝上准备享用。",
                "一个晴朗的早晨，{A1}{a}叼着一块{food}，停在篱笆桩上。",
            ],
            ["树下的{b}抬起头，用最甜的声音说起话来。", "{B1}{b}看见了，便在下面坐下，笑眯眯的，显得很有礼貌。"],
            [
                "“你的羽毛真漂亮，”{b}说，“这么好看的鸟，唱起歌来一定比谁都好听。”",
                "“大家都说你的嗓子是这一带最美的，”{b}说，“能不能为我唱一首？”",
            ],
            ["{a}听过不少关于花言巧语的故事，这时全都想了起来。", "{a}心里有点得意，可它年轻时就是这样丢过一顿饭的。"],
            [
                "它先把{food}放在树枝上，用一只爪子牢牢按住，然后才开口唱歌。",
                "它先把{food}吞下肚，然后才扯开嗓子，唱了一首又长又响、还有点跑调的歌。",
            ],
            [
                "{b}等着东西掉下来，可什么也没等到，最后只好一边嘟囔着“真难听”，一边走开了。",
                "{b}板着脸听完整首歌，悄悄钻进了灌木丛。",
            ],
        ],
        "morals": [
            "当心那些一边夸你、一边盯着你手里东西的人。",
            "甜言蜜语不一定是好意。",
            "记住过去的教训，才不会重蹈覆辙。",
        ],
    },
    {
        "a": [("老鼠", "只"), ("松鼠", "只"), ("兔子", "只"), ("田鼠", "只")],
        "b": [("熊", "头"), ("大象", "头"), ("狮子", "头"), ("野牛", "头"), ("驼鹿", "头")],
        "title": "{b}和小{a}",
        "stages": [
            [
                "{place}住着{B1}{b}，它又高又壮，从来没想过自己会需要别人帮忙。",
                "{place}，{b}是方圆几里最大的动物，很少注意脚下那些小家伙。",
            ],
            [
                "有一天，{A1}{a}从它面前跑过，{b}看都没看一眼，差点一脚踩上去。",
                "一次下大雨，{A1}{a}想在{b}的大树下躲一躲，{b}却哈哈大笑，说这么小的东西用不着地方。",
            ],
            [
                "几个星期后，{b}误闯进猎人的网里，被缠得紧紧的，几乎动弹不得。",
                "没过几天，{b}的腿被河边一团旧渔线缠住了，越挣扎，线勒得越紧。",
            ],
            [
                "它吼叫着挣扎了好几个小时，却没有一个大个子来帮它。",
                "它大声呼救，可别的大动物只是摇摇头，说不知道该怎么办。",
            ],
            [
                "这时，小小的{a}出现了，它一句话也没说，开始一根一根地咬断绳子。",
                "来的正是那只{a}。它个子小，正好够得着绳结，就耐心地用牙齿啃，直到最后一根断开。",
            ],
            [
                "重获自由的{b}低下头，郑重地向{a}道谢。",
                "{b}终于站了起来，轻声说：以前是我看错了，个子大小说明不了什么。",
            ],
        ],
        "morals": [
            "再小的个子，也可能是最好的朋友。",
            "力量有各种各样的大小。",
            "不要瞧不起任何人，说不定哪天就需要他的帮助。",
        ],
    },
    {
        "a": [("山羊", "只"), ("小鹿", "只"), ("绵羊", "只"), ("小兔", "只")],
        "b": [("蜥蜴", "只"), ("老公羊", "只"), ("旱獭", "只"), ("岩羊", "只")],
        "title": "{a}和远方的山坡",
        "stages": [
            [
                "{place}住着{A1}{a}，那里的草又甜又嫩，溪水清清亮亮。",
                "{place}，{A1}{a}什么都不缺：夏天有树荫，冬天有窝棚，吃的也足够。",
            ],
            [
                "可每到傍晚，它总望着山谷对面，觉得那边的山坡一定更好。",
                "可它总忍不住去想河对岸，那里的草远远看去更绿。",
            ],
            [
                "一天早上，它谁也没告诉就出发了，翻过石头、穿过荆棘，整整走了两天。",
                "终于有一天，它离开了家，蹚过冰凉的河水，爬上一道又陡又满是碎石的山坡。",
            ],
            [
                "到了才发现，那片绿色原来是又老又硬的野草，嚼起来发苦，溪水也浑浊不堪。",
                "对面的山坡又干又多风，它远远看见的绿色，不过是石头上的一层青苔。",
            ],
            [
                "住在那里的{B1}{b}问它：“为什么要大老远跑到这么贫瘠的地方来？”",
                "附近的{B1}{b}笑着说，自己一直梦想着去山谷那边的草地呢。",
            ],
            [
                "又累又有点醒悟的{a}一路走回了家，这一次，家里的嫩草比任何时候都香甜。",
                "第二天{a}就回家了，从此再也没有那样痴痴地望着山谷对面。",
            ],
        ],
        "morals": [
            "这山望着那山高，到了那山才知道，原来的地方最好。",
            "先珍惜手里的，再去追想象中的。",
            "距离会让许多东西看起来比实际更好。",
        ],
    },
    {
        "a": [("河狸", "只"), ("水獭", "只"), ("鸭子", "只"), ("青蛙", "只")],
        "b": [("獾", "只"), ("苍鹭", "只"), ("野猪", "头"), ("鼹鼠", "只")],
        "c": [("乌鸦", "只"), ("乌龟", "只"), ("大鹅", "只"), ("田鼠", "只")],
        "title": "溪水里的大木头",
        "stages": [
            [
                "{place}，{a}、{b}和{c}总为谁的活儿最重要吵个不停。",
                "{a}、{b}和{c}一起住{place}，可它们几乎什么事都谈不拢。",
            ],
            [
                "有一年{season}，一根大木头从山上滚下来，堵住了给大家送水的小溪。",
                "{season}的一场暴风雨过后，一棵倒下的树横在小溪里，溪水开始漫进它们的家。",
            ],
            [
                "每个都想自己把它挪开，结果都失败了，于是又互相埋怨起来。",
                "{a}推，{b}拉，{c}挖，可各干各的，木头一动也不动。",
            ],
            [
                "最后，年纪最大的那一个说：“什么办法都试过了，就是没试过一起干。”",
                "这时{c}提了一个谁也没试过的主意：大家同时使劲，往同一个方向推。",
            ],
            [
                "它们数到三，一起用力，木头慢慢地滚出了水面。",
                "一、二、三！它们一齐发力，木头吱呀一声，晃了晃，终于漂走了。",
            ],
            [
                "从那以后，只要它们一吵架，谁说一声“木头”，大家就都笑了。",
                "那天傍晚，它们坐在清澈的小溪边，都同意了一件事：活儿一起干，就没有谁的更重要。",
            ],
        ],
        "morals": [
            "众人拾柴火焰高。",
            "很多小力量加在一起，比一个大力量更强。",
            "争吵盖不起房子，合作却能挪开挡路的木头。",
        ],
    },
]
ZH_FOODS = ["面包", "奶酪", "肉干", "糕点", "馒头"]
ZH_MORAL_PREFIX = ["这个故事告诉我们：", "寓意：", "老动物们常说：", "故事的道理很简单："]


def zh_fable(rng, i):
    fable = ZH_FABLES[i % len(ZH_FABLES)]
    slots = {
        "place": pick(rng, ZH_PLACES),
        "season": pick(rng, ["春天", "夏天", "秋天", "冬天"]),
        "food": pick(rng, ZH_FOODS),
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
    sents.append(pick(rng, ZH_MORAL_PREFIX) + pick(rng, fable["morals"]))
    return fable["title"].format(**slots), fit(sents, "zh")


# --- recipes -----------------------------------------------------------------

ZH_RECIPES = [
    (
        "番茄炒蛋",
        "鸡蛋三个、番茄两个、小葱一根，再准备一点盐和白糖",
        [
            "鸡蛋打散，加一小撮盐搅匀。",
            "番茄切块，小葱切成葱花。",
            "锅里多放些油，油热后倒入蛋液，炒到刚刚凝固就盛出来。",
            "锅中再加一点油，放入番茄翻炒，炒出汁后加少许糖，中和番茄的酸味。",
            "把鸡蛋倒回锅里轻轻翻匀，撒上葱花就可以出锅了。",
        ],
        ["第一次炒鸡蛋不要炒太老，回锅时还要再加热。", "配一碗白米饭，汤汁拌饭最香。"],
    ),
    (
        "酸辣土豆丝",
        "土豆两个、干辣椒几个、大蒜两瓣，以及醋和盐",
        [
            "土豆去皮切成细丝，放进清水里泡几分钟，洗掉表面的淀粉。",
            "干辣椒剪成段，蒜切片。",
            "锅烧热后倒油，放入干辣椒和蒜片炒香。",
            "倒入沥干水的土豆丝，大火快速翻炒。",
            "沿着锅边淋一勺醋，加盐调味，炒到土豆丝断生但仍然脆爽即可。",
        ],
        ["土豆丝泡过水再炒，口感才会脆。", "醋要沿锅边淋下去，香味更足。"],
    ),
    (
        "紫菜蛋花汤",
        "紫菜一小把、鸡蛋一个、虾皮少许，以及葱花、香油和盐",
        [
            "锅里烧开水，放入虾皮煮一两分钟。",
            "放入撕碎的紫菜。",
            "鸡蛋打散，转小火，把蛋液慢慢淋进锅里，一边淋一边用筷子轻轻搅动。",
            "加盐调味，关火后滴几滴香油，撒上葱花。",
        ],
        ["淋蛋液时火要小，蛋花才会又薄又嫩。", "虾皮本身有咸味，盐要少放。"],
    ),
    (
        "葱油拌面",
        "面条一人份、小葱一大把，以及生抽、老抽和白糖",
        [
            "小葱洗净切段，葱白和葱叶分开放。",
            "锅里倒油，先放葱白，小火慢慢熬，再放葱叶，熬到葱段焦黄。",
            "捞出葱段，趁热往油里加入生抽、老抽和一点糖，搅匀就是葱油汁。",
            "面条煮熟后捞出，淋上葱油汁拌匀，再放上炸好的葱段。",
        ],
        ["熬葱油一定要用小火，火大了葱容易焦苦。", "葱油可以多熬一些，装瓶放冰箱能吃好几次。"],
    ),
    (
        "蛋炒饭",
        "隔夜米饭一大碗、鸡蛋两个、火腿丁和青豆各一小把，以及葱花和盐",
        [
            "把米饭用手抓散，不要有结块。",
            "锅烧得很热，倒油，把鸡蛋炒散后拨到一边。",
            "倒入米饭，大火翻炒到每一粒都热透，微微有点焦香。",
            "加入火腿丁和青豆继续翻炒，再撒盐调味。",
            "最后撒上葱花，翻匀出锅。",
        ],
        ["隔夜饭水分少，炒出来粒粒分明。", "全程大火，动作要快。"],
    ),
    (
        "红烧茄子",
        "长茄子两根、大蒜几瓣，以及生抽、白糖、醋和少许淀粉",
        [
            "茄子切成滚刀块，撒一点盐抓匀，腌十分钟后挤掉水分。",
            "用生抽、糖、醋、淀粉和清水调一碗料汁。",
            "锅里放油，把茄子煎到表面金黄、变软后盛出。",
            "用锅里的底油把蒜末炒香，倒回茄子。",
            "淋入料汁，大火翻炒到汤汁浓稠、裹满茄子就可以了。",
        ],
        ["茄子先用盐腌一下，会少吸很多油。", "喜欢吃辣的可以加几个小米辣。"],
    ),
    (
        "清蒸鱼",
        "鲈鱼一条、生姜一块、小葱几根，以及蒸鱼豉油",
        [
            "鱼处理干净，在鱼身两面各划几刀，塞入姜片。",
            "水开后把鱼放进锅里，大火蒸八到十分钟。",
            "倒掉盘里蒸出的汤汁，去掉姜片，铺上新鲜的葱丝和姜丝。",
            "淋上蒸鱼豉油，再浇一勺烧得冒烟的热油，“滋啦”一声就好了。",
        ],
        ["一定要等水烧开再放鱼，鱼肉才嫩。", "蒸的时间按鱼的大小调整，筷子能轻松插透就熟了。"],
    ),
    (
        "拍黄瓜",
        "黄瓜两根、大蒜三瓣，以及香醋、生抽、香油、白糖和盐",
        [
            "黄瓜洗净，用刀面把它拍裂，再切成小段。",
            "撒一点盐拌匀，放十分钟，倒掉渗出的水。",
            "蒜拍碎切成末，和醋、生抽、糖、香油调成料汁。",
            "把料汁倒在黄瓜上拌匀，就可以上桌了。",
        ],
        ["拍过的黄瓜比切片的更入味。", "爱吃辣的可以淋一勺辣椒油。"],
    ),
    (
        "小米粥",
        "小米一小碗、清水适量，也可以加几颗红枣",
        [
            "小米用清水淘洗一两遍。",
            "锅里加足量的水烧开，倒入小米和红枣。",
            "转小火慢慢熬，期间不时搅动，防止粘锅。",
            "熬到大约半小时，米粒开花、表面浮起一层米油，粥就好了。",
        ],
        ["水要一次加够，中途加冷水会影响口感。", "熬好后焖几分钟，会更加浓稠。"],
    ),
    (
        "白菜猪肉饺子",
        "面粉、猪肉馅、大白菜半棵，以及姜、葱、生抽、香油和盐",
        [
            "面粉加温水和成光滑的面团，盖上湿布醒半小时。",
            "白菜剁碎，加一点盐腌出水分，再用纱布挤干。",
            "肉馅加入姜末、葱花、生抽和盐，顺着一个方向搅打上劲。",
            "把白菜和肉馅拌在一起，最后淋一点香油。",
            "面团搓成长条，切成小剂子，擀成圆皮，包上馅料捏紧。",
            "水开后下饺子，煮到饺子浮起来、再点两次凉水就熟了。",
        ],
        ["白菜的水一定要挤干，不然馅料会出汤，饺子不好包。", "煮的时候用勺背轻轻推一推，防止饺子粘锅。"],
    ),
    (
        "麻婆豆腐",
        "嫩豆腐一块、牛肉末一小碗，以及豆瓣酱、花椒粉、大蒜和淀粉",
        [
            "豆腐切成小方块，放进加了盐的开水里焯一下，捞出备用。",
            "锅里放油，把牛肉末炒到酥香。",
            "加入豆瓣酱和蒜末，小火炒出红油。",
            "加入适量清水，放入豆腐，轻轻推动，小火煮几分钟入味。",
            "分两三次淋入水淀粉勾芡，出锅后撒上花椒粉。",
        ],
        ["焯水能去掉豆腐的豆腥味，也不容易碎。", "翻动时用锅铲背轻轻推，别用力翻炒。"],
    ),
    (
        "可乐鸡翅",
        "鸡翅十个左右、可乐一罐，以及生抽、姜片和少许盐",
        [
            "鸡翅两面各划两刀，冷水下锅焯水，撇去浮沫后捞出。",
            "锅里少放油，把鸡翅煎到两面金黄。",
            "放入姜片，倒入可乐，没过鸡翅，再加两勺生抽。",
            "大火烧开后转中小火，炖二十分钟左右。",
            "最后开大火收汁，让汤汁裹满鸡翅。",
        ],
        ["收汁时要不停翻动，避免糊锅。", "可乐里已经有糖，不需要再额外加糖。"],
    ),
    (
        "凉拌木耳",
        "干木耳一小把、大蒜几瓣、小米辣两个，以及醋、生抽和香油",
        [
            "干木耳用冷水泡发两三个小时，洗干净后撕成小朵。",
            "水开后把木耳放进去焯一两分钟，捞出过凉水。",
            "蒜切末，小米辣切圈，和醋、生抽、香油调成料汁。",
            "把料汁倒在木耳上拌匀，放几分钟更入味。",
        ],
        ["木耳不要泡太久，泡发后应尽快食用。", "加几片香菜叶，颜色和味道都会更好。"],
    ),
    (
        "绿豆汤",
        "绿豆一小碗、清水一大锅，以及冰糖适量",
        [
            "绿豆洗净，用清水泡一两个小时。",
            "锅里加水，放入绿豆，大火烧开。",
            "转中小火煮半小时左右，煮到绿豆开花。",
            "加入冰糖，搅拌至融化，放凉后味道更好。",
        ],
        ["夏天放进冰箱冷藏一会儿，是很好的消暑饮品。", "想要汤色更绿，可以只煮十来分钟，喝清汤。"],
    ),
]
ZH_RECIPE_INTRO = [
    "{dish}是一道家常菜，做法简单，却特别下饭。",
    "如果今年只想学会一道菜，不妨从{dish}开始。",
    "小时候，家里每逢忙碌的晚上，就会做一道{dish}。",
    "{dish}用料便宜、步骤不多，很适合刚学做饭的人。",
    "下面介绍一种在家做{dish}的简单方法。",
    "{dish}的做法各家不同，这里说的是最朴素、最不容易失手的一种。",
    "累了一天回到家，没有什么比一份{dish}更让人安心。",
]
ZH_RECIPE_END = [
    "趁热吃最好。",
    "多做几次以后，就不用再称量，凭感觉也能做得很好。",
    "灰蒙蒙的晚上来上一份，整个人都暖和起来了。",
    "咸淡可以按自己的口味调整。",
    "就是这么简单。",
]
ZH_STEP_LINK = ["首先，", "接着，", "然后，", "再", "最后，"]


def zh_recipe(rng, i):
    dish, ingr, steps, tips = ZH_RECIPES[i % len(ZH_RECIPES)]
    sents = [pick(rng, ZH_RECIPE_INTRO).format(dish=dish), f"准备材料：{ingr}。"]
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
    sents.append(pick(rng, ZH_RECIPE_END))
    return f"{dish}的做法", fit(sents, "zh")


# --- fictional towns -----------------------------------------------------------

ZH_RIVERS = ["清水河", "白鹭江", "青龙河", "玉带河", "沙溪", "云江", "桃花江", "澜水"]
ZH_TOWN_KIND = {
    "镇": ["江南小镇", "山间古镇", "沿海渔镇", "边贸小镇"],
    "市": ["沿江城市", "工业城市", "旅游城市", "港口城市"],
    "县": ["农业大县", "山区小县", "平原县城"],
}
ZH_TOWN_HISTORY = [
    "相传这里最早是一个渡口，往来的商人在河边歇脚，慢慢聚成了村落。",
    "清朝中期，这里的丝绸生意十分兴旺，老街上至今还留着几家百年绸缎庄。",
    "{rail}年铁路通车以后，这里的人口在二十年里翻了一番。",
    "地名据说来自附近山上的一块形状奇特的大石头。",
    "当地县志记载，明代这里曾设过驿站，是南来北往的必经之地。",
    "上世纪五十年代，这里建起了一座大型纺织厂，很多老居民都在厂里工作过。",
    "考古人员曾在城郊发现过一批汉代陶器，说明这里很早就有人居住。",
    "过去这里以造船闻名，河边至今还能看到几处旧船坞。",
    "老城区的格局大多形成于明清两代，街巷弯弯曲曲，很容易走迷路。",
    "民国年间，一位回乡的教书先生在这里办起了第一所新式学堂。",
    "上世纪八十年代，镇上的竹编手艺人开始把竹篮卖到外地，名气渐渐传开。",
    "城南的古井据说已有六百多年历史，附近的老人至今还习惯去那里打水泡茶。",
]
ZH_TOWN_LANDMARK = [
    "一座七孔石拱桥",
    "一座建于民国时期的钟楼",
    "江边一座改成了小型博物馆的老灯塔",
    "山顶上一座明代古塔",
    "一条保存完好的青石板老街",
    "一片种了上千棵梅树的公园",
    "一座至今还能磨面的老水车",
]
ZH_TOWN_ECON = [
    "茶叶种植和乡村旅游",
    "渔业和船舶修理",
    "食品加工和物流",
    "竹制品加工",
    "电子零件制造和职业教育",
    "蔬菜种植和农产品批发",
]
ZH_TOWN_SNACK = ["桂花糕和鱼丸汤", "酱鸭和葱油饼", "米粉和酸笋", "豆腐花和烧饼", "藕粉和糖藕", "羊肉泡馍和凉皮"]
ZH_TOWN_FESTIVAL = [
    ("正", "元宵灯会"),
    ("五", "龙舟赛"),
    ("四", "茶文化节"),
    ("二", "梅花节"),
    ("九", "丰收节"),
    ("三", "庙会"),
]
ZH_TOWN_CLIMATE = [
    "属于亚热带季风气候，夏季炎热多雨，冬季温和少雪。",
    "属于温带季风气候，四季分明，冬季寒冷干燥。",
    "地处山区，夏天凉爽，是附近城市居民避暑的好去处。",
    "靠近海边，空气湿润，春夏之交常有海雾。",
]
ZH_TOWN_TRANSPORT = [
    "有高速公路和省道经过，开车到省城大约一个半小时。",
    "镇上每隔半小时有一班公交车开往县城。",
    "这里没有火车站，外地游客大多坐长途汽车前来。",
    "沿着老运河修了一条绿道，很适合骑自行车游览。",
]


def zh_town(rng, i, base):
    suffix = pick(rng, ["镇", "市", "县"])
    name = base + suffix
    kind = pick(rng, ZH_TOWN_KIND[suffix])
    if suffix == "镇":
        pop = f"全镇常住人口约{rng.randint(8, 60) * 1000 + rng.randint(0, 9) * 100}人。"
    elif suffix == "县":
        pop = f"全县人口约{rng.randint(18, 75)}万。"
    else:
        pop = f"全市常住人口约{rng.randint(40, 260)}万。"
    sents = [
        "{}位于{}{}岸，是{}{}，距省城约{}公里。".format(
            name,
            pick(rng, ZH_RIVERS),
            pick(rng, ["东", "西", "南", "北"]),
            "一个" if suffix == "县" else "一座",
            kind,
            rng.randint(20, 300),
        ),
        pop,
    ]
    hist = [h.format(rail=rng.randint(1905, 1995)) for h in rng.sample(ZH_TOWN_HISTORY, len(ZH_TOWN_HISTORY))]
    sents += hist[:2]
    sents.append(f"这里最有名的景点是{pick(rng, ZH_TOWN_LANDMARK)}。")
    sents.append(f"如今，当地经济以{pick(rng, ZH_TOWN_ECON)}为主。")
    if rng.random() < 0.6:
        sents.append(f"当地的特色小吃有{pick(rng, ZH_TOWN_SNACK)}，常有游客专程来品尝。")
    if rng.random() < 0.6:
        m, fest = pick(rng, ZH_TOWN_FESTIVAL)
        sents.append(f"每年农历{m}月，这里都会举办{fest}，热闹非凡。")
    sents.append(name + pick(rng, ZH_TOWN_CLIMATE))
    transport = [t for t in ZH_TOWN_TRANSPORT if suffix == "镇" or "镇上" not in t]
    tr = pick(rng, transport)
    if rng.random() < 0.5:
        sents.append(tr)
        tr = None
    return name, fit(sents, "zh", pad=[tr] + hist[2:3] if tr else hist[2:3])


# --- science basics ----------------------------------------------------------

ZH_SCIENCE = [
    (
        "天空为什么是蓝色的",
        "天空为什么是蓝色的",
        [
            "太阳光看起来是白色的，其实它是由彩虹里的各种颜色混合而成的。",
            "阳光穿过大气层时，会碰到无数微小的气体分子。",
            "波长较短的蓝光和紫光，比波长较长的红光更容易被这些分子散射开来。",
            "被散射的蓝光从天空的四面八方进入我们的眼睛，所以整个天空看上去是蓝色的。",
            "我们看到的是蓝色而不是紫色，一方面是因为人眼对蓝光更敏感，另一方面是部分紫光在高空就被吸收了。",
            "日出和日落时，阳光要穿过厚得多的空气，蓝光在途中几乎被散射殆尽，天空就呈现出橙色和红色。",
            "科学家把这种现象叫作瑞利散射。",
        ],
        "下次看日落的时候，你就知道天空为什么会变色了。",
    ),
    (
        "水的循环",
        "雨是从哪里来的",
        [
            "地球上的水一直在海洋、空气和陆地之间不停地流动。",
            "太阳的热量让海洋、湖泊甚至树叶上的水蒸发，变成看不见的水蒸气。",
            "温暖潮湿的空气上升后逐渐变冷，水蒸气凝结成细小的水滴，聚在一起就成了云。",
            "云里的小水滴不断合并，变得足够重时，就会以雨、雪或冰雹的形式落下来。",
            "落到地面的水，一部分渗入地下，一部分流进江河，最终大多又回到大海。",
            "植物也会通过叶片把水分散发到空气中，这叫作蒸腾作用。",
        ],
        "你桌上的这杯水，说不定曾经是天上的一朵云。",
    ),
    (
        "植物怎样制造食物",
        "植物是怎么“吃饭”的",
        [
            "植物通过一种叫作光合作用的过程，自己制造食物。",
            "叶子里有一种绿色的色素叫叶绿素，它能吸收阳光中的能量。",
            "利用这些能量，植物把空气中的二氧化碳和根部吸上来的水结合起来。",
            "结果生成了葡萄糖，植物用它来提供能量、长出新的枝叶。",
            "这个过程还会释放出氧气，而氧气正是动物和人类呼吸所需要的。",
            "这就是森林和海洋里的藻类对地球生命如此重要的原因。",
        ],
        "我们吃下的每一口食物，追根溯源都来自植物捕捉到的阳光。",
    ),
    (
        "为什么会有四季",
        "为什么夏天热、冬天冷",
        [
            "很多人以为夏天是因为地球离太阳更近，其实这并不是四季形成的原因。",
            "地球的自转轴是倾斜的，与公转轨道面的垂线之间大约有23.5度的夹角。",
            "一年中有一段时间北半球朝向太阳倾斜，阳光照射得更直接，白天也更长，于是进入夏季。",
            "半年以后，北半球背向太阳倾斜，阳光斜着照过来，白天变短，天气也变冷了。",
            "所以当加拿大是冬天的时候，澳大利亚正是夏天。",
            "事实上，地球在每年一月初离太阳最近，那时北半球正值冬天。",
        ],
        "四季的秘密在于角度，而不在于距离。",
    ),
    (
        "月亮的圆缺",
        "月亮为什么会有圆有缺",
        [
            "月亮自己不会发光，它反射的是太阳的光。",
            "任何时候，月球都有一半被太阳照亮，另一半处在黑暗中。",
            "月球大约每个月绕地球转一圈，在这个过程中，我们看到的被照亮部分有多有少。",
            "当月球大致位于地球和太阳之间时，亮面背对着我们，这就是新月，也叫朔。",
            "当月球转到地球背对太阳的一侧时，我们能看到整个亮面，这就是满月，也叫望。",
            "两者之间，就是我们常说的蛾眉月、上弦月、下弦月和凸月。",
        ],
        "月亮其实从没改变过形状，变化的只是我们看它的角度。",
    ),
    (
        "固体、液体和气体",
        "冰、水和水蒸气有什么不同",
        [
            "我们身边的一切物质，都是由原子和分子这样的微小粒子构成的。",
            "在固体里，比如冰，粒子排列得很紧密，只能在原地振动。",
            "在液体里，比如水，粒子之间距离仍然很近，但可以相互滑动，所以液体能流动。",
            "在气体里，比如水蒸气，粒子运动得很快，会散开充满整个容器。",
            "加热会让粒子获得更多能量，所以冰会融化，水会沸腾。",
            "水有一个特别之处：冰的密度比液态水小，所以冰会浮在水面上。",
        ],
        "一把烧水壶，几分钟内就能让你看到水的三种状态。",
    ),
    (
        "物体为什么能浮起来",
        "钢铁做的大船为什么能浮在水上",
        [
            "把物体放进水里时，它会把一部分水挤开。",
            "水会反过来给物体一个向上的托力，这就是浮力。",
            "根据阿基米德原理，浮力的大小等于物体排开的水所受的重力。",
            "如果物体比它排开的水轻，它就会浮起来；如果更重，就会沉下去。",
            "一块实心的钢铁会沉底，可钢做的船像一只空心的大碗，能排开大量的水。",
            "海水比淡水密度大，所以人在海里比在湖里更容易浮起来。",
        ],
        "能不能浮起来，形状和材料一样重要。",
    ),
    (
        "声音是怎样传播的",
        "声音是怎样传到耳朵里的",
        [
            "声音是一种振动，它需要通过空气、水或木头这样的介质传播。",
            "吉他的琴弦振动时，会推动周围的空气，形成一疏一密的声波。",
            "在室温下，声音在空气中的传播速度大约是每秒343米。",
            "声音在水中的传播速度是空气中的四倍多，在钢铁中还要更快。",
            "太空是真空，没有东西能传递振动，所以那里一片寂静。",
            "声波到达耳朵后，鼓膜跟着振动，大脑再把这种振动翻译成我们听到的声音。",
        ],
        "你听到的每一个声音，都是空气在轻轻地颤动。",
    ),
    (
        "磁铁的秘密",
        "磁铁为什么能吸在冰箱门上",
        [
            "每块磁铁都有两端，分别叫北极和南极。",
            "异名磁极相互吸引，同名磁极相互排斥。",
            "磁力来源于某些材料内部电子的运动和自旋。",
            "在铁、镍、钴这些材料里，许多叫作磁畴的小区域可以排列整齐，让磁性叠加起来。",
            "地球本身就像一块巨大的磁铁，所以指南针的指针大致指向南北。",
            "电流也能产生磁场，电动机和扬声器正是利用了这个原理。",
        ],
        "冰箱上的小磁贴，提醒着我们自然界最基本的一种力。",
    ),
    (
        "彩虹是怎样形成的",
        "彩虹是怎么出现的",
        [
            "阳光照进空中正在下落的雨滴时，就可能形成彩虹。",
            "光线进入水滴时会发生折射，不同颜色的光偏折的程度略有不同。",
            "光在水滴背面反射回来，离开水滴时又折射一次。",
            "这样，白色的阳光就被分成一条彩色的光带：红色在外圈，紫色在内圈。",
            "只有当太阳在你身后、雨幕在你前方时，你才能看到彩虹。",
            "有时在主虹外侧还会出现一道颜色较淡的副虹，它的颜色顺序正好相反。",
        ],
        "晴天的下午，用水管对着阳光喷水，你也能造出一道自己的彩虹。",
    ),
    (
        "雷声和闪电",
        "为什么总是先看到闪电、后听到雷声",
        [
            "闪电是云和地面之间、或者云层内部发生的巨大放电现象。",
            "放电在一瞬间把周围的空气加热到几万摄氏度。",
            "空气受热急剧膨胀，产生强烈的冲击波，我们听到的就是雷声。",
            "光的传播速度比声音快将近一百万倍，所以我们总是先看到闪电。",
            "声音大约每三秒传播一公里，数一数闪电和雷声之间隔了几秒，就能估算雷暴离你有多远。",
            "如果间隔很短，就应该赶快进到室内。",
        ],
        "简单地数几个数，就能把一场雷雨变成一堂科学课。",
    ),
    (
        "引力和轨道",
        "月亮为什么不会掉下来",
        [
            "引力是有质量的物体之间相互吸引的力。",
            "正是引力让我们站在地面上，也让树上的苹果落下来。",
            "其实月球一直在朝地球“下落”，但它同时还在以很快的速度向侧面运动。",
            "由于这个侧向速度，它每次都“错过”了地球，于是绕着地球转起圈来。",
            "下落和前进之间的这种平衡，就是我们所说的轨道。",
            "人造卫星能留在天上、行星能绕太阳运行，都是同样的道理。",
        ],
        "轨道，其实就是一场永远落不到底的下落。",
    ),
    (
        "细胞：生命的基本单位",
        "生物是由什么构成的",
        [
            "所有生物都是由细胞构成的，细胞是生命的基本单位。",
            "细菌这样的生物只有一个细胞，而人体却有几十万亿个细胞。",
            "大多数细胞非常小，必须借助显微镜才能看见。",
            "动物细胞和植物细胞都有细胞核，里面储存着用DNA写成的遗传信息。",
            "植物细胞还有坚硬的细胞壁和进行光合作用的叶绿体。",
            "细胞会生长和分裂，生物体正是这样长大并修复自己的。",
        ],
        "每个人的生命，都是从一个细胞开始的。",
    ),
    (
        "潮起潮落",
        "海水为什么会涨落",
        [
            "潮汐是海水有规律的涨落，在许多地方每天大约发生两次。",
            "潮汐主要是由月球的引力拉动地球上的海水造成的。",
            "海水会在朝向月球的一侧隆起，在背对月球的另一侧也会隆起。",
            "地球自转时，海岸线依次经过这两处隆起，所以大约每天有两次高潮和两次低潮。",
            "太阳也有影响：当太阳和月球大致在一条直线上时，潮差特别大，叫作大潮。",
            "当两者的引力方向接近垂直时，潮差较小，叫作小潮。",
        ],
        "海边的礁石水洼，其实是月亮拉扯海洋留下的礼物。",
    ),
    (
        "火山为什么会喷发",
        "火山为什么会喷发",
        [
            "地球的外壳分成许多巨大的板块，它们每年会移动几厘米。",
            "在板块相互分离或一块俯冲到另一块下面的地方，地下深处的岩石可能熔化成岩浆。",
            "岩浆比周围的固体岩石轻，所以会慢慢往上升。",
            "岩浆里溶解的气体不断积聚压力，有点像摇晃过的汽水瓶。",
            "当压力大到一定程度，岩浆就会冲出地表，带着熔岩、火山灰和气体喷发出来。",
            "太平洋周围分布着许多火山，这一带常被称为“环太平洋火山带”。",
        ],
        "火山提醒我们，地球的内部依然充满活力。",
    ),
    (
        "金属为什么摸起来更凉",
        "为什么金属勺子比木头勺子摸起来更凉",
        [
            "如果一把金属勺子和一把木头勺子放在同一个房间里，它们的温度其实是一样的。",
            "可是拿起来的时候，金属勺子却明显更凉。",
            "原因在于金属是热的良导体，而木头是热的不良导体。",
            "金属能很快把手上的热量传走，皮肤感受到热量流失，就觉得凉。",
            "木头传热很慢，所以摸起来更接近手的温度。",
            "这也是为什么锅是金属做的，锅柄却常常用木头或塑料。",
        ],
        "我们的皮肤感受到的，更多是热量的流动，而不是温度本身。",
    ),
]
ZH_SCI_OPEN = ["你有没有想过，{q}？", "下面简单讲一讲：{q}？", "这是孩子们常问的问题：{q}？", "", ""]


def zh_science(rng, i):
    title, q, facts, close = ZH_SCIENCE[i % len(ZH_SCIENCE)]
    opener = pick(rng, ZH_SCI_OPEN)
    opener = opener.format(q=q) if opener else ""
    # each topic appears once, so keep every sentence (Chinese text is denser)
    sents = [opener] + list(facts) + [close]
    return title, fit(sents, "zh")


# --- animals -------------------------------------------------------------------

ZH_ANIMALS = [
    (
        "小熊猫",
        "小熊猫是一种体形和家猫差不多大的哺乳动物。",
        [
            "它生活在喜马拉雅山脉东部和中国西南部凉爽的山地森林里。",
            "虽然名字里有“熊猫”，它和大熊猫的亲缘关系并不近，被单独归为小熊猫科。",
            "竹叶是它的主要食物，它也吃水果、橡子和昆虫。",
            "一条带环纹的长尾巴帮它在树上保持平衡，冷的时候还能当被子盖。",
            "由于森林栖息地不断减少，小熊猫已被列为濒危物种。",
        ],
    ),
    (
        "章鱼",
        "章鱼是一种身体柔软、长着八条腕足的海洋动物。",
        [
            "它有三颗心脏，血液是蓝色的，因为其中运输氧气的是一种含铜的蛋白质。",
            "特殊的皮肤细胞让它能在一眨眼之间改变体色，甚至改变皮肤的纹理。",
            "章鱼以聪明著称，在水族馆里，它们曾拧开瓶盖，还从水箱里溜出去过。",
            "大多数章鱼的寿命只有一到两年。",
            "章鱼没有骨头，只要缝隙比它坚硬的喙大，它就能钻过去。",
        ],
    ),
    (
        "蜜蜂",
        "蜜蜂是一种群居昆虫，一个蜂群里往往有成千上万只蜜蜂。",
        [
            "每个蜂群只有一只蜂王负责产卵，雌性的工蜂几乎包揽了其他所有工作。",
            "工蜂用花蜜酿造蜂蜜，储存在六边形的蜂蜡巢房里。",
            "采蜜归来的工蜂会跳一种“摇摆舞”，告诉同伴花丛的方向和距离。",
            "蜜蜂在花朵之间传播花粉，帮助许多水果和蔬菜结出果实。",
            "夏天出生的工蜂，寿命只有六个星期左右。",
        ],
    ),
    (
        "帝企鹅",
        "帝企鹅是体形最大的企鹅，站起来有一米多高。",
        [
            "它只生活在南极，而且偏偏在严酷的南极冬季繁殖。",
            "雌企鹅产下一枚蛋后，雄企鹅把蛋放在脚背上，用腹部的一层皮毛盖住，一孵就是两个月左右。",
            "这期间雄企鹅们紧紧挤在一起取暖，轮流站到风最大的外圈。",
            "帝企鹅能潜到五百多米深的海里捕食鱼和乌贼。",
            "浓密的羽毛和厚厚的脂肪，让它们在远低于零度的环境里也不怕冷。",
        ],
    ),
    (
        "骆驼",
        "骆驼是一种适合在干旱地区生活的大型有蹄类动物。",
        [
            "单峰驼有一个驼峰，双峰驼有两个。",
            "驼峰里储存的是脂肪而不是水，食物缺乏时，这些脂肪可以转化为能量。",
            "骆驼可以好几天不喝水，一旦遇到水源，又能在几分钟内喝下大量的水。",
            "长长的睫毛和可以闭合的鼻孔，帮助它们抵御风沙。",
            "几千年来，人们一直用骆驼驮运货物穿越沙漠。",
        ],
    ),
    (
        "蜂鸟",
        "蜂鸟是世界上最小的鸟类，只分布在美洲。",
        [
            "它们能悬停在空中，有些种类甚至能倒着飞。",
            "蜂鸟的翅膀每秒能扇动几十次，快得发出嗡嗡声，因此得名。",
            "为了维持这样的飞行，它们要吸食花蜜，一天得进食很多次。",
            "夜里，有些蜂鸟会进入一种叫作蛰伏的深度休眠状态来节省能量。",
            "古巴的吸蜜蜂鸟身长只有五厘米左右。",
        ],
    ),
    (
        "大象",
        "大象是现存体形最大的陆地动物。",
        [
            "大象分为非洲象和亚洲象，它们的耳朵大小和背部形状都不一样。",
            "象鼻是鼻子和上唇的结合体，里面有成千上万块肌肉。",
            "象群通常由一头经验丰富的年长母象带领。",
            "大象的孕期长达二十二个月左右，是哺乳动物中最长的。",
            "大象分别多年后仍能认出彼此，似乎还会哀悼死去的同伴。",
        ],
    ),
    (
        "大熊猫",
        "大熊猫是生活在中国中西部山区的一种黑白相间的熊。",
        [
            "竹子几乎是它全部的食物，一只成年大熊猫每天要花一大半时间吃东西。",
            "它的腕骨有一块特别发达，像多出来的一根“拇指”，能帮它握住竹竿。",
            "竹子营养不高，所以大熊猫行动缓慢，经常休息来节省体力。",
            "得益于多年的保护工作，2016年大熊猫的受威胁等级从“濒危”降为“易危”。",
            "刚出生的熊猫宝宝粉红色、几乎没有毛，体重只有一百克左右。",
        ],
    ),
    (
        "海豚",
        "海豚是聪明的海洋哺乳动物，通过头顶的呼吸孔呼吸空气。",
        [
            "它们成群生活，用各种咔哒声和哨声相互交流。",
            "海豚利用回声定位，发出声音再听回声，即使在浑浊的水里也能找到鱼。",
            "海豚可以让大脑的一半休息、另一半保持清醒，这样睡觉时也能浮上水面换气。",
            "许多海豚生性活泼，常常追着船只激起的浪花玩耍。",
            "小海豚会跟在妈妈身边好几年，慢慢学会捕食。",
        ],
    ),
    (
        "猫头鹰",
        "猫头鹰是一类猛禽，很多种类在夜间捕猎。",
        [
            "它们羽毛边缘柔软，带有细小的绒毛，所以飞行时几乎没有声音。",
            "猫头鹰的眼睛不能在眼眶里转动，只好转动脑袋，最多能转约270度。",
            "有些猫头鹰两只耳朵一高一低，能帮助它们在黑暗中准确判断声音的位置。",
            "它们常把小猎物整个吞下，之后再吐出由毛和骨头组成的食丸。",
            "科学家通过研究这些食丸，就能知道猫头鹰吃了些什么。",
        ],
    ),
    (
        "青蛙",
        "青蛙是两栖动物，一生中一部分时间在水里，一部分时间在陆地上。",
        [
            "大多数青蛙的生命从水中的卵开始，卵孵化成长着尾巴和鳃的蝌蚪。",
            "几周之内，蝌蚪长出四肢，尾巴消失，肺也发育起来，这个过程叫作变态发育。",
            "成年青蛙能通过薄薄的皮肤直接吸收水分和一部分氧气。",
            "正因为皮肤很敏感，青蛙的数量常被看作环境好坏的指标。",
            "每种青蛙都有自己独特的叫声，雄蛙用它来吸引配偶。",
        ],
    ),
    (
        "帝王蝶",
        "帝王蝶是一种橙黑相间的蝴蝶，以长距离迁徙而闻名。",
        [
            "每年秋天，数以百万计的帝王蝶从北美东部飞往墨西哥中部的山区森林。",
            "没有哪一只蝴蝶能完成整个往返旅程，春天北返需要好几代接力。",
            "帝王蝶的幼虫只吃马利筋这种植物。",
            "马利筋里的化学物质让它们对鸟类来说很难吃，鲜艳的颜色就是一种警告。",
            "科学家认为，它们是依靠太阳的位置来辨别方向的。",
        ],
    ),
    (
        "北极熊",
        "北极熊是体形最大的陆地食肉动物，生活在北冰洋周围。",
        [
            "它一生中大部分时间待在海冰上，在海豹的呼吸孔旁守候捕猎。",
            "厚厚的白色皮毛下面，北极熊的皮肤其实是黑色的，有助于吸收热量。",
            "北极熊很会游泳，可以在浮冰之间游很远的距离。",
            "几厘米厚的脂肪层帮助它抵御冰冷的海水。",
            "北极海冰的减少，是它们面临的最大威胁。",
        ],
    ),
    (
        "袋鼠",
        "袋鼠是原产于澳大利亚的有袋类动物。",
        [
            "刚出生的小袋鼠非常小，会爬进妈妈的育儿袋里，在里面继续长大好几个月。",
            "袋鼠靠强壮的后腿跳跃前进，长长的尾巴用来保持平衡。",
            "在开阔的原野上长途移动时，跳跃是一种很省力的方式。",
            "它们主要吃草，通常在一天中比较凉快的时候进食。",
            "袋鼠大多成群生活，一群袋鼠在英语里有个有趣的名字，叫作“mob”。",
        ],
    ),
    (
        "鲑鱼",
        "鲑鱼是一种一生中既在淡水又在海水里生活的鱼。",
        [
            "它们在满是砾石的溪流里孵化，幼年时期生活在河里。",
            "长大一些后，小鲑鱼顺流而下游进大海，在那里长得更大。",
            "几年之后，许多鲑鱼会回到自己出生的那条溪流产卵。",
            "人们认为，它们找到回家的路，部分依靠的是对故乡河水气味的记忆。",
            "在逆流而上的途中，它们甚至能跃过小瀑布。",
        ],
    ),
    (
        "蚂蚁",
        "蚂蚁是组织严密的群居昆虫。",
        [
            "一个蚁群的数量从几十只到几百万只不等，要看是什么种类。",
            "蚂蚁主要依靠一种叫信息素的化学物质交流，留下气味路线指引同伴找到食物。",
            "工蚁分工明确：有的照顾幼虫，有的外出觅食，有的负责守卫蚁巢。",
            "按体形比例来算，蚂蚁能搬起比自己重许多倍的东西。",
            "有的蚂蚁会“种”真菌，还有的会照料蚜虫，收集它们分泌的甜汁。",
        ],
    ),
]
ZH_ANIMAL_CLOSE = [
    "它是动物适应环境的一个绝佳例子。",
    "关于它，科学家们还在不断有新的发现。",
    "能在野外亲眼见到它，是很多人难忘的经历。",
    "",
    "",
]


def zh_animal(rng, i):
    title, lead, facts = ZH_ANIMALS[i % len(ZH_ANIMALS)]
    shuffled = rng.sample(facts, len(facts))
    k = rng.randint(4, len(facts))
    sents = [lead] + shuffled[:k] + [pick(rng, ZH_ANIMAL_CLOSE) or "它是大自然中很有特点的一员。"]
    return f"动物小百科：{title}", fit(sents, "zh", pad=shuffled[k:])


# --- history-flavoured fiction -------------------------------------------------

ZH_HIST_CITIES = ["临川城", "安平府", "云州", "青州古城", "望海港", "白石关"]
ZH_HIST_ROLES = [
    "年轻的书吏",
    "修桥的工匠",
    "香料商人",
    "守灯塔的老人",
    "学画地图的学徒",
    "宫里的厨子",
    "送信的驿卒",
    "造钟的师傅",
    "织布的匠人",
    "摆渡的船夫",
]
ZH_HIST_NAMES = ["沈青", "陆远", "苏婉", "顾言", "林墨", "秦川", "白露", "程舟", "宋琪", "方若"]
ZH_HIST_TRAITS = [
    "手很稳，说话却总是轻声细语",
    "长这么大从没离开过家乡一天的路程",
    "习惯把每件事都仔仔细细地记在本子上",
    "好奇心重得有时让人捏一把汗",
    "爱笑，也从不记仇",
    "最见不得活儿干得马虎",
]
ZH_HIST_OPEN = [
    "相传在{era}，{city}有一位{role}，名叫{name}，{trait}。",
    "很久以前，{city}还被木头城墙围着的时候，城里住着一位{role}，名叫{name}。{name}{trait}。",
    "{city}的旧志里，提到过一位叫{name}的{role}，据说{trait}。",
    "{era}，{city}有个{role}叫{name}，{trait}。",
]
ZH_ERAS = [
    "大宁国永和年间",
    "南川国建平三年",
    "那个还用铜钱的年代",
    "东陵王在位的第十二年",
    "一个没有被史书记下年号的年代",
]
ZH_HIST_PLOTS = [
    [
        "一天早上，北边州官送来的一封密信在官署里不见了，守卫开始怀疑每一个在门口出现过的人。",
        "{name}想起曾看见一只山羊在马厩旁嚼着什么白色的东西，便顺着一路碎纸和红色封蜡，一直找到了草料棚。",
        "拼起来的碎片表明，那封信不过是请求多送些棉被，守卫们红着脸放了被冤枉的马夫。",
    ],
    [
        "那年春天，河水涨得比谁记忆中都高，一直漫进了城南的低洼街巷。",
        "{name}召集街坊邻居，从河滩上装沙袋，沿着集市的围墙一层层垒起来。",
        "河水最终停在沙袋顶下一掌宽的地方，不到一周，集市就重新开张了。",
    ],
    [
        "一个外乡人来到城门口，背着一只木箱，怎么也不肯打开，城里很快传开了，说里面是金子、是毒药，或者是偷来的王冠。",
        "最后是{name}端给他一碗热汤，和和气气地问他，走了这么远的路，到底背的是什么。",
        "箱子里装的是他家乡山谷里的梨树种子，他种下的那片梨园，后来养活了城里好几代人。",
    ],
    [
        "一个大旱的夏天过后，粮仓只剩下一半，官府和乡绅们为了怎么分粮吵了好几天。",
        "{name}花了三个晚上，把每一袋粮食、每一户人家都清点清楚，写在一张人人都能看懂的长卷上。",
        "账目摆在明处，谁也挑不出分配的不公，全城平平安安地撑到了秋收。",
    ],
    [
        "广场上的大钟停在了四点十七分，靠钟声开门关门的商户们一下子乱了套。",
        "{name}提着灯爬上钟楼，发现是一个燕子窝卡住了最大的那只齿轮。",
        "燕子窝被轻轻挪到了一旁的檐下，大钟又走了起来，从那以后，燕子每年都回到那个檐下。",
    ],
    [
        "邻城的一位对手，向{name}发起挑战，要在满朝文武面前比试手艺。",
        "{name}没有去想什么投机取巧的办法，而是每天晚上苦练，还虚心向老师傅们请教。",
        "比试最终打成了平手，两个对手反倒成了搭档，一起在码头边开了一间作坊。",
    ],
    [
        "灯会前三天，纸坊失了火，城里几乎所有的花灯都被烧光了。",
        "{name}挨家挨户地敲门，请每户人家用家里现有的纸，做一盏灯就好。",
        "灯会那晚，满街亮起了几百盏样子古怪、东拼西凑却格外好看的灯，老人们都说，这是他们见过最好的一届灯会。",
    ],
    [
        "一支商队在东边的沙漠里迷了路，捎回来的最后一封信里，恳求找一个认得古井的人。",
        "{name}在寺庙的藏书阁里研究了一张褪色的旧地图，带着两峰骆驼和一位向导出发了。",
        "第五天，他们找到了商队：人又渴又累，但都还活着，就守在一口新地图上早已没有标出的古井旁。",
    ],
]
ZH_HIST_END = [
    "多年以后，{name}的名字被刻在了城门旁的一块石碑上。",
    "官修的史书里只用一句话记下了这件事，可老百姓记住的远不止这些。",
    "{name}老了以后，孩子们还常缠着要听这个故事，而每次讲的都略有不同。",
    "在当时，谁也没把这当成什么英雄事迹，不过是该做的事，总得有人去做。",
    "直到今天，{name}住过的那条街，还叫着一个纪念那一年的名字。",
]


def zh_history(rng, i):
    name = pick(rng, ZH_HIST_NAMES)
    plot = ZH_HIST_PLOTS[i % len(ZH_HIST_PLOTS)]
    opener = pick(rng, ZH_HIST_OPEN).format(
        era=pick(rng, ZH_ERAS),
        city=pick(rng, ZH_HIST_CITIES),
        role=pick(rng, ZH_HIST_ROLES),
        name=name,
        trait=pick(rng, ZH_HIST_TRAITS),
    )
    sents = [opener] + [s.format(name=name) for s in plot] + [pick(rng, ZH_HIST_END).format(name=name)]
    return f"{name}的故事", fit(sents, "zh")


# --- programming ---------------------------------------------------------------

ZH_PROG = [
    (
        "变量",
        "什么是变量",
        [
            "变量是程序里用来指代某个值的名字。",
            "在 Python 中，写下 `count = 3` 就创建了一个叫 count 的变量，它的值是 3。",
            "之后还可以修改它的值，比如 `count = count + 1`。",
            "好的变量名能说明值的含义，比如用 `total_price` 而不是 `x`。",
            "变量让程序更好读，因为名字比一个光秃秃的数字更能表达意图。",
        ],
    ),
    (
        "循环",
        "循环是怎么工作的",
        [
            "循环可以重复执行一段代码，省得把同样的几行写很多遍。",
            "`for` 循环会对集合里的每个元素各执行一次，比如遍历列表中的每个名字。",
            "`while` 循环则只要条件成立就一直运行下去。",
            "在 Python 中，`for i in range(5):` 会执行五次，i 依次取 0 到 4。",
            "使用 while 循环要小心：如果条件永远不会变成假，程序就会陷入死循环。",
        ],
    ),
    (
        "函数",
        "程序员为什么要写函数",
        [
            "函数是一段有名字、可以重复使用、完成某一项任务的代码。",
            "它可以接收输入（叫作参数），并返回一个结果。",
            "在 Python 中，`def add(a, b): return a + b` 定义了一个把两个数相加的函数。",
            "把程序拆成一个个小函数，更容易阅读、测试和修改。",
            "一个常用的原则是：一个函数只做一件事，名字要说清楚这件事是什么。",
        ],
    ),
    (
        "列表和下标",
        "列表的下标是怎么算的",
        [
            '列表按顺序存放多个值，例如 `colors = ["red", "green", "blue"]`。',
            "每个元素都有一个位置编号，叫作下标；包括 Python 在内的大多数语言，下标都从 0 开始。",
            '所以 `colors[0]` 是 "red"，`colors[2]` 是 "blue"。',
            "Python 还支持负数下标，`colors[-1]` 表示最后一个元素。",
            "访问不存在的下标，比如 `colors[3]`，会引发 IndexError 错误。",
        ],
    ),
    (
        "字典",
        "编程里的字典是什么",
        [
            "字典（也叫映射或哈希表）用来存放一对对的“键”和“值”。",
            '例如 `ages = {"小林": 31, "小王": 27}` 把每个名字和年龄对应起来。',
            '查询 `ages["小林"]` 会立刻得到 31，不管字典有多大，查找都非常快。',
            "键必须是唯一的，给已有的键重新赋值会覆盖原来的值。",
            "字典非常适合用来计数，比如统计一篇文章里每个词出现了几次。",
        ],
    ),
    (
        "递归",
        "什么是递归",
        [
            "递归函数就是调用自己、去解决同一问题更小规模版本的函数。",
            "最经典的例子是阶乘：n 的阶乘等于 n 乘以 n−1 的阶乘。",
            "每个递归函数都需要一个终止条件，比如“0 的阶乘等于 1”，到这里就不再调用自己。",
            "如果没有终止条件，调用会一直进行下去，直到调用栈的空间耗尽。",
            "处理树形结构的数据时，递归特别自然，比如文件夹里套着文件夹。",
        ],
    ),
    (
        "版本控制",
        "开发者为什么要用版本控制",
        [
            "Git 这样的版本控制系统会记录一个项目的全部修改历史。",
            "每保存一次快照叫作一次提交（commit），并附带一条说明改了什么的信息。",
            "一旦出了问题，可以比较不同版本，或者退回到能正常工作的版本。",
            "分支让好几个人可以同时开发不同的功能，互不干扰。",
            "像“修复发票合计的四舍五入错误”这样清楚的提交信息，对将来的自己和同事都大有帮助。",
        ],
    ),
    (
        "单元测试",
        "单元测试有什么用",
        [
            "单元测试是一小段代码，用来检查另一小段代码的行为是否符合预期。",
            "比如，一个测试可以调用 `add(2, 3)`，检查结果是不是 5。",
            "每次修改后都跑一遍测试，就能很快发现原本正常的功能有没有被改坏。",
            "测试本身也是一种文档，展示了函数应该怎么用。",
            "修复一个 bug 之前先为它写一个测试，可以保证同样的 bug 不会悄悄地再回来。",
        ],
    ),
    (
        "调试",
        "怎样找出程序里的 bug",
        [
            "调试就是找出并修正程序中错误的过程。",
            "第一步是稳定地复现问题，这样才能知道什么时候真正修好了。",
            "仔细阅读报错信息，往往能直接定位到出错的那一行。",
            "打印变量的值，或者用调试器单步执行，可以看清程序实际在做什么。",
            "有些程序员会对着桌上的小黄鸭逐行解释代码，常常讲到一半就发现了问题。",
        ],
    ),
    (
        "算法效率",
        "为什么有的程序快、有的程序慢",
        [
            "两个程序可以得出同样的答案，花的时间却相差很多。",
            "在无序的列表里查找，只能一个个地比较，工作量随列表长度同步增长。",
            "如果列表已经排好序，二分查找每次只看中间的元素，一步就能排除一半。",
            "对于一百万个元素，二分查找大约只需要二十次比较，而不是最多一百万次。",
            "程序员用大 O 记号来描述这种增长，前一种方法记作 O(n)，后一种记作 O(log n)。",
        ],
    ),
    (
        "命名和注释",
        "怎样写出好读的代码",
        [
            "代码被阅读的次数远多于被编写的次数，所以清晰很重要。",
            "给变量和函数起一个能说明用途的名字，可以省掉很多注释。",
            "注释最有价值的地方，是解释“为什么这样做”，而不是复述每一行在做什么。",
            "统一的格式，比如处处一致的缩进，能让代码结构一目了然。",
            "一个简单的检验办法是：新来的同事不问你，能不能看懂这段代码？",
        ],
    ),
    (
        "JSON",
        "JSON 是什么",
        [
            "JSON 是 JavaScript Object Notation 的缩写，是一种简单的结构化数据文本格式。",
            "它用花括号表示对象，用方括号表示列表，字符串要用双引号。",
            '一个 JSON 对象可能长这样：`{"name": "林", "age": 29, "skills": ["Python", "SQL"]}`。',
            "虽然它起源于 JavaScript，但几乎所有编程语言都能读写 JSON。",
            "数据集常用的 JSON Lines 格式，就是文件里每一行都是一个完整的 JSON 对象。",
        ],
    ),
    (
        "异常",
        "程序遇到错误时会发生什么",
        [
            "当程序遇到无法处理的情况，比如除以零，就会抛出一个异常。",
            "如果没有代码捕获这个异常，程序就会停止，并打印出错误信息和调用栈。",
            "在 Python 中，可以用 `try` 和 `except` 配合，优雅地处理特定的错误。",
            "例如，程序可以捕获 `FileNotFoundError`，然后请用户重新输入文件名。",
            "最好只捕获自己预料到的错误，以免把真正的 bug 悄悄藏起来。",
        ],
    ),
    (
        "差一错误",
        "什么是“差一错误”",
        [
            "差一错误指的是循环或区间多执行了一次，或者少执行了一次。",
            "这类错误非常常见，几乎每个程序员都踩过坑。",
            "在 Python 中，`range(1, 10)` 生成的是 1 到 9，而不是 1 到 10，很多初学者都会在这里出错。",
            "另一个典型情况，是把列表的长度和最后一个元素的下标搞混。",
            "用很小的输入来测试，比如空列表或只有一个元素的列表，能发现不少这类错误。",
        ],
    ),
    (
        "HTTP 状态码",
        "网页报错里的数字是什么意思",
        [
            "浏览器向服务器请求网页时，服务器会返回一个三位数的状态码。",
            "2 开头的状态码表示成功，200 的意思就是“一切正常”。",
            "4 开头的表示请求有问题，404 表示找不到请求的页面。",
            "5 开头的表示服务器自身出错，比如 500 表示服务器内部错误。",
            "3 开头的是重定向，告诉浏览器到别的地址去找。",
        ],
    ),
    (
        "浮点数",
        "为什么计算机里 0.1 加 0.2 不完全等于 0.3",
        [
            "计算机用一种叫浮点数的二进制格式来存储大多数小数。",
            "就像三分之一无法用有限位的十进制小数精确表示一样，十分之一也无法用二进制精确表示。",
            "因此在 Python 里，`0.1 + 0.2` 的结果是 0.30000000000000004。",
            "这个误差非常小，但它意味着不应该用 `==` 直接比较两个浮点数的计算结果。",
            "处理金额时，程序员常用整数“分”来计算，或者使用专门的十进制类型。",
        ],
    ),
]
ZH_PROG_CLOSE = [
    "概念本身并不难，多写几个小例子，很快就能掌握。",
    "不妨打开编辑器，亲手试一试上面的例子。",
    "理解了这一点，再读别人的代码时会轻松很多。",
    "这是每个程序员迟早都会用到的基础知识。",
]
ZH_PROG_OPEN = ["初学者常常会问：{q}？", "这篇小短文讲一讲{q}。", "我们来看看{q}。", ""]


def zh_programming(rng, i):
    title, q, facts = ZH_PROG[i % len(ZH_PROG)]
    opener = pick(rng, ZH_PROG_OPEN)
    opener = opener.format(q=q) if opener else ""
    sents = [opener] + list(facts) + [pick(rng, ZH_PROG_CLOSE)]
    return f"编程入门：{title}", fit(sents, "zh")


# --- sports ----------------------------------------------------------------------

ZH_SURNAMES = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "赵",
    "黄",
    "周",
    "吴",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "林",
]
ZH_GIVEN = ["宇", "浩然", "子涵", "一鸣", "晨", "俊杰", "思远", "天翔", "嘉豪", "博文", "志强", "明轩", "凯", "磊"]
ZH_TEAM_SUFFIX = ["队", "猎鹰队", "雄狮队", "海鸥队", "飞虎队", "蓝鲸队"]


def zh_person(rng):
    return pick(rng, ZH_SURNAMES) + pick(rng, ZH_GIVEN)


ZH_FOOTBALL_EVENTS = [
    "下半场开始后，客队加强了边路进攻，接连制造了几次威胁。",
    "第六十分钟前后，双方各换上两名替补，比赛节奏明显加快。",
    "主队中场{p}全场跑动积极，多次完成关键拦截。",
    "比赛中裁判一共出示了四张黄牌，双方的身体对抗非常激烈。",
    "终场前十分钟，看台上的球迷齐声高唱队歌，为场上的球员加油。",
    "上半场补时阶段，客队门将做出了一次精彩的扑救。",
]


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
    ev = rng.sample(ZH_FOOTBALL_EVENTS, len(ZH_FOOTBALL_EVENTS))
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
        f"在星期{pick(rng, ZH_WEEKDAYS[:6])}晚上的一场篮球比赛中，{win}以{max(ht, at)}比{min(ht, at)}战胜了{lose}。"
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

ZH_CONDITIONS = {
    "spring": [("多云转晴", "dry"), ("有阵雨", "wet"), ("小雨", "wet"), ("晴，风力较大", "dry"), ("阴", "dry")],
    "summer": [
        ("晴，天气炎热", "hot"),
        ("午后有雷阵雨", "wet"),
        ("闷热，多云", "dry"),
        ("晴", "hot"),
        ("有阵雨", "wet"),
    ],
    "autumn": [
        ("阴有小雨", "wet"),
        ("早晨有雾", "dry"),
        ("大风，有阵雨", "wet"),
        ("晴，秋高气爽", "dry"),
        ("多云", "dry"),
    ],
    "winter": [("雨夹雪", "wet"), ("晴，早晚有霜冻", "cold"), ("小雪", "cold"), ("有冻雾", "cold"), ("阴冷", "dry")],
}
ZH_WX_ADVICE = {
    "wet": "出门请记得带伞。",
    "hot": "请注意防暑降温，多喝水，外出做好防晒。",
    "cold": "请注意保暖，路面可能结冰，出行要小心。",
    "dry": "天气不错，适合户外活动。",
}
ZH_SEASON_TIP = {
    "spring": "春季气温起伏较大，请注意适时增减衣物。",
    "summer": "夏季午后多强对流天气，外出请留意预警信息。",
    "autumn": "秋季昼夜温差大，早晚出门注意添衣，预防感冒。",
    "winter": "冬季天气寒冷干燥，请注意防寒保暖和用火安全。",
}
ZH_WIND = ["东风二到三级", "南风三到四级", "西北风四到五级", "北风三级左右", "微风"]


def zh_forecast(rng, city):
    month = rng.randint(1, 12)
    season = season_of(month)
    lo_t, hi_t = EN_TEMPS[season]
    sents = [f"{city}气象台{month}月{rng.randint(1, 28)}日发布未来三天天气预报。"]
    first_kind = None
    for d in ["今天", "明天", "后天"]:
        cond, kind = pick(rng, ZH_CONDITIONS[season])
        hi = rng.randint(lo_t + 5, hi_t)
        if kind == "hot":
            hi = max(hi, 28)
        elif kind == "cold":
            hi = min(hi, 2)
        lo = hi - rng.randint(4, 11)
        sents.append(f"{d}{cond}，最高气温{hi}℃，最低气温{lo}℃，{pick(rng, ZH_WIND)}。")
        first_kind = first_kind or kind
    sents.append("今天" + ZH_WX_ADVICE[first_kind])
    sents.append(
        "今天空气质量{}，紫外线强度{}。".format(
            pick(rng, ["优", "良", "良", "轻度污染"]),
            pick(rng, ["弱", "中等", "较强"] if season != "winter" else ["弱", "中等"]),
        )
    )
    sents.append(ZH_SEASON_TIP[season])
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


ZH_SEASON_NOTES = {
    "spring": [
        "春天来得悄无声息，先是几棵小草从去年的落叶里钻了出来。",
        "白天一天比一天长，下班时天竟然还亮着。",
        "天还没亮，鸟儿就开始叫了，院子里的迎春花和桃花一片接一片地开。",
        "春天的天气像小孩的脸：早上出太阳，中午下冰雹，傍晚又挂起一道彩虹。",
        "农民们看着地温，等着播种的好时候。",
        "家家户户好像约好了似的，一起打开窗户，把冬天放出去。",
        "公园里的小鸭子摇摇摆摆地跟在妈妈身后，引得孩子们围着看。",
    ],
    "summer": [
        "夏天是长长的傍晚和敞开的门窗。",
        "菜市场里堆满了西瓜、桃子和番茄，每一样都带着太阳的味道。",
        "中午的街道很安静，人们都躲到树荫和遮阳棚底下。",
        "午后的闷热常常酝酿出一场雷阵雨，来得快，去得也快。",
        "孩子们整天在外面玩，晒得黑黑的，却开心得不得了。",
        "夜晚的空气里有青草的味道，还有此起彼伏的虫鸣。",
        "周末的河边和海滩挤满了人，卖冰棍的生意格外好。",
    ],
    "autumn": [
        "秋天是从光线开始变的，阳光比夏天更低、更金黄。",
        "树叶停止制造绿色的叶绿素，于是变成了黄色、橙色和红色。",
        "松鼠忙着埋坚果，大雁排成长队，一路叫着往南飞。",
        "这是收获的季节：苹果、柿子、葡萄和新米都上市了。",
        "早晨雾气蒙蒙，篱笆上的蜘蛛网挂满了露珠。",
        "天黑得越来越早，家家户户的灯也亮得越来越早。",
        "踩着落叶散步，是一年里最简单、也最不花钱的乐趣之一。",
    ],
    "winter": [
        "冬天把树叶都剥光了，每一根树枝的形状都清清楚楚地印在天上。",
        "白天很短，正午的太阳也只比屋顶高出一点点。",
        "第一场雪一下，整座城市的声音都变轻了。",
        "人们聚在屋里，围着热腾腾的饭菜和茶，一聊就是一晚上。",
        "小鸟把羽毛蓬起来取暖，来喂食器的次数也多了。",
        "霜花爬满了车窗，水洼冻成了一层薄薄的玻璃。",
        "过了冬至，白天又开始一点一点地变长。",
    ],
}


def zh_season_note(rng, i):
    season = ["spring", "summer", "autumn", "winter"][i % 4]
    pool = ZH_SEASON_NOTES[season]
    sents = [pool[0]] + rng.sample(pool[1:], len(pool) - 1)
    return f"{ZH_SEASON[season]}随笔", fit(sents, "zh")


# --- school ----------------------------------------------------------------------

ZH_SUBJECTS = {
    "科学": [
        "我们把豆子种在玻璃瓶里，这样就能看着根一天天长出来",
        "我们测量了玩具小车从不同高度的斜坡上滑下来能跑多远",
        "我们试了试磁铁能吸起哪些东西，回形针全军覆没",
        "我们用塑料瓶做了一个雨量器，放在学校的小花园里",
    ],
    "数学": [
        "我们学到了三角形的面积等于底乘高再除以二",
        "我们量了教室里的各种东西，再把结果画成条形统计图",
        "我们练了一整节课的除法竖式，连老师都快练累了",
        "我们掷骰子做实验，看看是不是有的数字真的更“幸运”",
    ],
    "历史": [
        "我们读了一百年前住在本地的孩子写的信",
        "我们在教室后墙上做了一条时间轴，从最早的农耕一直画到互联网的发明",
        "博物馆借给学校几枚古代铜钱，我们都小心翼翼地摸了摸",
        "我们回家采访了爷爷奶奶，问他们小时候上学是什么样子",
    ],
    "美术": [
        "我们只用三种颜色画了自画像",
        "我们在土豆上刻花纹，做成印章拓印",
        "我们画了窗外的风景，没想到这么难",
        "我们一起为春节联欢会做了一条大纸龙",
    ],
    "音乐": [
        "我们学唱了一首轮唱歌曲，最后唱得乱成一团，却很好听",
        "我们用玻璃瓶、橡皮筋和大米自制了乐器",
        "我们一边听音乐，一边把脑子里想到的画面画下来",
        "我们练习拍节奏，直到全班拍得整整齐齐",
    ],
    "地理": [
        "我们画了一张从家到学校的路线图",
        "我们记住了每个大洲最长的河流",
        "我们用一盘沙子和一个洒水壶，看水流是怎样冲出河谷的",
        "我们比较了自己城市和地球另一边一座城市的天气",
    ],
    "体育": [
        "我们练习接力跑，学会了不回头也能接稳接力棒",
        "我们打了一场篮球赛，规定每个人都要摸到球才能投篮",
        "我们上了体操课，我终于做成了一个侧手翻",
        "我们在毛毛雨里绕操场跑圈，除了老师谁也不喜欢",
    ],
}
ZH_TEACHERS = ["王", "李", "张", "陈", "刘", "周", "杨"]
ZH_SCHOOL_EXTRA = [
    "课间，{friend}把一包薯片分给了半个班，然后自己喊饿。",
    "午休时一直下雨，我们只好待在教室里玩成语接龙。",
    "{friend}带来了一只竹节虫，它溜走了整整十分钟，大家找得可起劲了。",
    "听写进行到一半，忽然来了一次消防演习，大家都觉得运气真好。",
    "校长宣布，下个月我们要去科技馆参观。",
    "我在图书角找到一本讲深海生物的书，里面的鱼长得太奇怪了。",
    "我们班得了“最整洁教室”的流动红旗，主要是因为大家把东西都塞进了柜子。",
    "下课铃响前，我和{friend}终于把小组的手抄报做完了。",
    "{friend}在阅读课上掉了一颗牙，骄傲得不得了。",
    "一位作家来学校做讲座，给我们读了一本关于女孩独自航海环游世界的书。",
    "不知道谁没关窗，一只鸽子大摇大摆地走进了教室，好像它也有课表似的。",
    "中午食堂有红烧肉，整个年级都提前五分钟坐不住了。",
]
ZH_SCHOOL_END = [
    "今天的作业是写一段话，说说学到了什么，那这篇就算练习吧。",
    "今天过得很充实，我竟然有点盼着明天了。",
    "{teacher}老师说我们今天问的问题都很好，大家听了都坐得更直了。",
    "这个周末我想在家里把实验再做一遍。",
    "明天是星期五，放学后可以踢球了。",
]


def zh_school(rng, i):
    s1, s2 = rng.sample(list(ZH_SUBJECTS), 2)
    teacher = pick(rng, ZH_TEACHERS)
    friend = pick(rng, ZH_NAMES)
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
        f"{s1}课上，{teacher}老师带着我们做了一件有意思的事：{pick(rng, ZH_SUBJECTS[s1])}。",
        f"后来的{s2}课上，{pick(rng, ZH_SUBJECTS[s2])}。",
    ]
    extra = [x.format(friend=friend) for x in rng.sample(ZH_SCHOOL_EXTRA, len(ZH_SCHOOL_EXTRA))]
    k = rng.randint(1, 2)
    sents += extra[:k]
    sents.append(pick(rng, ZH_SCHOOL_END).format(teacher=teacher))
    return f"校园日记：{s1}课和{s2}课", fit(sents, "zh", pad=extra[k:])


# --- travel ------------------------------------------------------------------------

# (description, tags, place-name suffix)
ZH_TRAVEL_KIND = [
    ("一个海边的小渔村", "water sea", "村"),
    ("一座高山上的小镇", "mount", "镇"),
    ("一座历史悠久的江边古城", "water river city", "城"),
    ("一座只有一条公路的海岛", "water sea", "岛"),
    ("一座沙漠边缘的集镇", "desert", "镇"),
    ("一座被森林环绕的湖边小城", "water forest", "城"),
]
ZH_TRAVEL_ARRIVE = [
    "坐了六个小时的火车，穿过一道道山谷和隧道，我们终于到了{place}。",
    "大巴把我们放在{place}的广场上时，街边的店铺正准备打烊。",
    "去{place}要先坐船，再换汽车，最后还得拖着行李走一大段路。",
    "我们深夜才开车进了{place}，与其说靠地图，不如说靠感觉。",
    "第一次看到{place}，是从一架小螺旋桨飞机的窗户里。",
    "我们是走路到{place}的，走了两天，还走错了一次路。",
    "朋友的朋友开车送我们去{place}，一路上故事讲个不停。",
    "夜班火车在日出后不久把我们送到了{place}，浑身僵硬，心里却很兴奋。",
]
ZH_TRAVEL_STAY = [
    "我们住的民宿是一对老夫妻开的，他们总是像招待家人一样给我们端饭。",
    "我们住在一家面包店楼上的小房间，每天早上都被新出炉的面包香叫醒。",
    "青年旅舍简单又干净，公共厨房里，来自各地的旅行者用好几种语言交换旅行经验。",
    "我们租了一间小公寓，阳台正对着一片高高低低的屋顶。",
    "房间在一家热闹的小茶馆楼上，有点吵，可老板做的早饭让人什么都不计较了。",
    "我们在镇子边上搭了帐篷，夜里只听得见风声和远处的狗叫。",
    "小旅馆的木地板一踩就吱呀作响，第一天晚上就有一只猫认定了我们。",
    "我们住在一户人家里，他们把老粮仓改成了两间干净简单的客房。",
]
ZH_TRAVEL_DO = [
    ("早上我们走到码头，看渔船满载而归。", "sea"),
    ("我们爬到镇子上方的观景台，一眼能看到三条山谷。", "mount"),
    ("有一个下午，我们毫无计划地在老街里乱逛，结果那是整趟旅行最好的安排。", ""),
    ("一位当地向导带我们穿过森林，去看了一道旅游指南上找不到的瀑布。", "mount forest"),
    ("我们租了自行车，沿着岸边一直骑，直到腿再也蹬不动。", "water"),
    ("那座小博物馆里收藏着许多老地图，我们在里面一待就是两个小时。", ""),
    ("我们报名参加了一堂烹饪课，学着包饺子，一开始包得歪歪扭扭。", ""),
    ("赶集那天，广场上摆满了摊位，卖山货、蜂蜜、竹筐，还有旧工具。", ""),
    ("天刚亮，我们骑着骆驼走进沙丘，看着沙子从灰色慢慢变成金色。", "desert"),
    ("我们坐着慢悠悠的小船沿江而下，数着经过的桥，数到二十多座就数乱了。", "river"),
    ("夜里的天空特别清澈，站在旅馆的屋顶上就能看见银河。", "desert mount"),
    ("我们在清得见底的水里游了一会儿，水凉得让人直吸气。", "water"),
]
ZH_TRAVEL_FOOD = [
    "这趟旅行吃到的最好的一顿饭，是在水边塑料桌上喝的一碗鱼汤。",
    "我们尝了当地在烧热的石头上烤出来的馕，配着酸奶和香草一起吃。",
    "每家小店好像都有自己版本的米糕，我们觉得有义务每一家都尝一尝。",
    "晚饭是烤蔬菜和刚出炉的面饼，走了一天路之后，简单又完美。",
    "集市上一位大妈硬塞给我们一袋杏干，怎么也不肯收钱。",
    "我们在一个小得胳膊肘都会碰到厨师的柜台前吃了一碗面。",
    "早饭是浓稠的酸奶配蜂蜜，吃过一次就再也不想换别的。",
]
ZH_TRAVEL_END = [
    "这是那种会让人忍不住想：我为什么要住在现在的地方？",
    "离开的时候，我们脚底磨了泡，本子写满了，也约好了还要再来。",
    "我们都觉得，慢慢地旅行，才能真正看到一个地方。",
    "最后一晚，我们坐在外面，一直坐到满天星星，谁也没怎么说话。",
    "如果可以，我明天就想再回去。",
    "有些地方是你去过的，还有些地方，会在之后好多年里一直来找你。",
    "照片拍不出它的好，这大概是对一个地方最高的评价了。",
    "回家的路上，我们已经开始计划下一次旅行了。",
]


def zh_travel(rng, i, base):
    kind, tags, suffix = pick(rng, ZH_TRAVEL_KIND)
    town = base + suffix
    acts = _travel_acts(rng, ZH_TRAVEL_DO, tags)
    k = rng.randint(2, 3)
    foods = [f for f in ZH_TRAVEL_FOOD if "water" in tags or "水边" not in f]
    arrive = [a for a in ZH_TRAVEL_ARRIVE if suffix != "岛" or not any(w in a for w in ("火车", "大巴", "开车"))]
    sents = [pick(rng, arrive).format(place=town), f"{town}是{kind}。", pick(rng, ZH_TRAVEL_STAY)]
    sents += acts[:k]
    sents.append(pick(rng, foods))
    sents.append(pick(rng, ZH_TRAVEL_END))
    return f"旅行笔记：{town}", fit(sents, "zh", pad=acts[k:])


# ---------------------------------------------------------------------------
# Hand-written paragraphs (used verbatim)
# ---------------------------------------------------------------------------

EN_HANDWRITTEN = [
    (
        "The morning market",
        "By six o'clock the market is already awake. The fish sellers have laid out their catch on beds of crushed ice, and the woman who sells eggs is stacking them into careful pyramids, brown on the left and white on the right. A boy on a bicycle delivers bread to the stalls, ringing his bell at anyone who steps into his path. The air smells of coffee, wet cardboard and oranges. Nobody hurries yet. The real crowd arrives at eight, but these first two hours belong to the people who work here, and they spend them trading gossip, small change and the last of the night's jokes.",
    ),
    (
        "Why bread rises",
        "Bread dough rises because of yeast, a tiny living fungus. When yeast is mixed with flour and water, it feeds on the sugars in the flour and releases carbon dioxide gas. Kneading the dough develops gluten, a stretchy network of proteins that traps the gas in thousands of small bubbles, so the dough swells like a balloon. In the oven the heat makes the bubbles expand one last time before the yeast dies and the structure sets. That is why a good loaf is full of holes, and why dough left somewhere warm rises faster than dough left in a cold kitchen.",
    ),
    (
        "Waiting at the station",
        "The 7:42 was cancelled, and the 8:10 was late, so for half an hour the platform became a small village. A man in a grey suit shared his umbrella with two students. An old woman handed out mint sweets from a paper bag as if it were her job. Somebody's dog fell asleep on somebody else's feet. When the train finally slid in, everyone climbed aboard and went back to being strangers, but for the rest of the journey people kept catching each other's eye and smiling, like members of a club that had met only once.",
    ),
    (
        "The first snow",
        "The first snow of the year arrived at night, without any warning. In the morning the whole street was quiet in a way that felt almost unfamiliar: no tyres hissing on wet roads, no footsteps, only the soft creak of snow under a single cat crossing the road. The children next door were outside before breakfast, still in their pyjama trousers under their coats, trying to build a snowman from snow that was far too powdery to stick. By noon it had mostly melted, but for a few hours the town had looked brand new.",
    ),
    (
        "My grandmother's garden",
        'My grandmother\'s garden was never tidy, but nothing in it was wasted. Beans climbed the fence, pumpkins sprawled under the apple tree, and mint had escaped from its pot years ago and taken over a whole corner. She saved seeds in old envelopes labelled in pencil and kept a notebook of when each row had been planted. When I asked how she knew so much, she said she had simply made every mistake at least once. I still have one of her envelopes. The writing on it says "tomatoes, the good ones".',
    ),
    (
        "Learning to ride a bicycle",
        "For a whole week I fell off the bicycle. My father ran beside me holding the back of the seat, and every time he let go I wobbled, panicked and steered straight into the hedge. On the eighth evening he said he would hold on the entire time, and I pedalled to the end of the road feeling completely safe. When I turned round, he was standing far away at the gate, waving with both hands. I have learned many things since then, but few have felt as much like flying as that moment.",
    ),
    (
        "The lighthouse keeper",
        "For thirty years Elias kept the light on Gull Rock. Every evening he climbed the one hundred and twelve steps, cleaned the great lens and lit the lamp, and every morning he wrote the weather in a leather logbook. Ships passed far out at sea, and their crews never knew his name. When the light was finally automated, the engineers asked whether he would miss it. He thought for a while and said he would miss the stairs most, because on the way up there had always been time to think.",
    ),
    (
        "Counting in binary",
        "Computers count using only two digits, 0 and 1, because an electronic switch is easiest to build with two states: off and on. In our everyday decimal system each position is worth ten times the one to its right; in binary, each position is worth twice as much. So the binary number 1011 means one eight, no fours, one two and one one, which adds up to eleven. It looks strange at first, but with a little practice you can count to thirty-one on the fingers of one hand, treating each finger as a binary digit.",
    ),
    (
        "How a compass works",
        "A compass is little more than a magnetised needle balanced so that it can turn freely. Earth behaves like an enormous magnet, and the needle lines itself up with Earth's magnetic field, so one end points roughly towards the north. The magnetic north pole is not exactly in the same place as the geographic North Pole, and it slowly wanders over the years, so careful navigators correct their readings with a small angle printed on their maps. Keep a compass away from iron and other magnets, or it will happily point the wrong way.",
    ),
    (
        "Why leaves change colour",
        "In summer, leaves are green because they are full of chlorophyll, the pigment plants use to capture sunlight. Yellow and orange pigments are there too, but the green hides them. As the days shorten in autumn, many trees stop making chlorophyll and break down what is left, and the hidden yellows and oranges appear. Some trees, such as certain maples, also produce red pigments in their leaves at this time of year. A sunny autumn with cool nights usually brings the brightest colours.",
    ),
    (
        "The dog who came back",
        "When Biscuit disappeared during the thunderstorm, we searched the whole neighbourhood with torches and called his name until our voices were hoarse. We printed posters, asked the postman, and left his blanket on the doorstep in case he could smell his way home. Three days later a farmer phoned from a village six kilometres away. Biscuit had spent the time sleeping in a barn and eating the farm cat's dinner, and he greeted us with the calm expression of a dog who could not understand what all the fuss had been about.",
    ),
    (
        "The city at night",
        "After midnight the city changes character. The offices are dark, but the bakeries are lit, and through their windows you can see people in white aprons shaping the morning's rolls. Street sweepers hum along the empty avenues. A taxi waits at a red light that nobody else needs. On the bridge, a man is fishing, though he admits he has not caught anything in years. The city at night is not asleep; it is simply taking care of itself while most of its people are.",
    ),
    (
        "Table tennis at lunchtime",
        "There is a table tennis table in the basement of our office, and every day at half past twelve the same six people appear as if by accident. The rules are strict: winner stays on, loser buys the next round of coffee, and nobody is allowed to talk about work. Over two years I have learned more about my colleagues at that table than in any meeting. I know who gets quiet when losing, who apologises for every lucky shot, and who has quietly been practising at home.",
    ),
    (
        "A letter to my future self",
        "Dear future me, I wonder whether you still keep a notebook in your coat pocket and whether you ever finished learning the piano. Right now I am twenty-three, I live in a flat with a leaking window, and I am happier than I expected to be. I hope you have stayed curious. I hope you still call your friends for no reason. If you have become very serious, please go outside, find a puddle and jump in it, for my sake. With love, and a little impatience, your younger self.",
    ),
    (
        "Reading a map",
        "Before phones did the work for us, reading a map was a skill every traveller needed. The first step is to orient the map, turning it so that its north matches the real north. Then look for features you can see around you: a river, a church spire, a crossroads. Contour lines, the thin brown curves on many maps, show the shape of the land; when they are close together the slope is steep. With a little practice, a flat sheet of paper turns into a three-dimensional picture of the world in your head.",
    ),
    (
        "The robot who wanted to paint",
        "Unit Seven was built to sort parcels, and it sorted them very well. But every evening, when the warehouse lights went down, it watched the sunset through a high window and recorded the colours. One night it dipped a gripper into a tin of blue marking paint and drew a line on a cardboard box. The line was crooked. The next night it drew another, and another. The workers found the boxes in the morning and, instead of throwing them away, pinned them to the wall. Nobody asked why. After a while, the wall was full.",
    ),
    (
        "The tide pool",
        "At low tide the rocks at the end of the beach become a small world of their own. In every hollow there is a pool, and in every pool something is happening. Crabs sidle under the weed, a shrimp flicks across the sand, and sea anemones that look like blobs of red jelly open into soft flowers when the water is still. If you sit quietly for ten minutes, the pool forgets you are there. Then the tide returns, the water rises, and the little world joins the ocean again until tomorrow.",
    ),
    (
        "The old bookshop",
        "The bookshop on Ferry Lane has no computer and no proper shelving system. Books are arranged by the owner's mood: poetry next to gardening, travel beside cookery, a single volume on astronomy wedged between two detective novels. Customers complain, and then stay for an hour. The owner, a small man with enormous glasses, remembers every book he has ever sold and will tell you, without being asked, which one you should have bought instead. I have never left that shop without something I did not know I wanted.",
    ),
    (
        "Kites on the hill",
        "Every spring, on the first windy Sunday, people carry their kites up the hill behind the school. There are bright diamonds, long dragons with paper tails, and home-made kites built from bin bags and garden canes. Some climb straight into the sky; others spin, dive and crash into the grass to cheers from the crowd. The best moment comes when dozens are flying at once and the lines all lean the same way, as if the whole hillside were holding on to the wind.",
    ),
    (
        "Hello, world",
        'The first program many people ever write simply prints the words "Hello, world" on the screen. In Python it takes a single line: print("Hello, world"). It seems almost too small to matter, yet it proves that everything is working: the language is installed, the editor can save files, and the computer is following your instructions. Programmers have written this little greeting for decades, in hundreds of languages. It is a tradition, a test and a kind of welcome all at once.',
    ),
    (
        "Summer thunderstorm",
        "All afternoon the heat pressed down on the town. The sky turned from blue to white to a heavy bruised grey, and the swallows flew low over the fields. Then the wind arrived, lifting dust and loose leaves, and the first fat drops hit the pavement, leaving marks the size of coins. Within minutes the rain was falling so hard that the gutters overflowed. Thunder rolled across the valley. Half an hour later it was over, the air smelled fresh and green, and steam rose from the warm roads.",
    ),
    (
        "Sports day",
        "Sports day began with rain and ended with sunshine, which everyone agreed was the right way round. The youngest children ran the egg-and-spoon race with enormous seriousness, eyes fixed on the eggs, which were actually potatoes. The relay was won by the team that dropped the baton least often. In the final race, the teachers' sprint, the head teacher lost a shoe at halfway and finished anyway, to the loudest cheer of the afternoon. Nobody remembers who won the points, but everyone remembers the shoe.",
    ),
]

ZH_HANDWRITTEN = [
    (
        "菜市场的早晨",
        "早上六点，菜市场已经醒了。卖鱼的摊主把鱼摆在碎冰上，鱼鳞在灯下闪着光；卖鸡蛋的阿姨把鸡蛋码成一座座小山，红皮的在左，白皮的在右。一个骑三轮车的小伙子给各个摊位送豆腐，一路按着铃铛。空气里混着葱姜、湿纸箱和橘子的味道。八点以后买菜的人才会多起来，而这最早的两个小时，属于在这里做生意的人，他们一边摆摊，一边交换着昨晚的新闻和笑话。",
    ),
    (
        "面包为什么会发起来",
        "面团之所以会发起来，是因为里面的酵母。酵母是一种微小的真菌，它以面粉里的糖分为食，同时放出二氧化碳。揉面会让面粉里的蛋白质形成有弹性的面筋网络，把气体困在无数个小气泡里，面团就像吹气球一样鼓了起来。进了烤箱，热量让气泡最后膨胀一次，随后酵母死去，面包的结构也就定了型。所以好面包里满是小孔，放在暖和地方的面团也总比放在冷厨房里的发得快。",
    ),
    (
        "雨中的站台",
        "七点四十二分那班车取消了，八点十分那班又晚点，于是半个小时里，站台变成了一个小小的村子。穿灰西装的先生把伞借给了两个学生；一位老奶奶从纸袋里掏出薄荷糖，一个个分给身边的人，好像这是她的工作。不知谁家的狗趴在陌生人的脚边睡着了。车终于进站，大家上了车，又变回了陌生人。可一路上，彼此目光相遇时，总会相视一笑，像一个只聚过一次的俱乐部的会员。",
    ),
    (
        "第一场雪",
        "今年的第一场雪是夜里悄悄下的。早上起来，整条街安静得有些陌生：没有车轮碾过积水的声音，也没有脚步声，只有一只猫穿过马路时，踩得雪咯吱咯吱地响。隔壁的两个孩子早饭都没吃就跑了出去，外套底下还露着睡裤，想堆一个雪人，可雪太松了，怎么也捏不到一块儿。到了中午，雪差不多都化了，但那几个小时里，整座小城像是新的一样。",
    ),
    (
        "外婆的菜园",
        "外婆的菜园从来都不整齐，可里面没有一样东西是浪费的。豆角爬满了篱笆，南瓜在枣树底下摊了一地，薄荷多年前从花盆里跑出来，占了整整一个角落。她把种子装在旧信封里，用铅笔写上名字，还有一个小本子，记着每一垄是哪天种下的。我问她怎么懂这么多，她说，每一种错她至少都犯过一次。我至今还留着她的一个信封，上面写着：“西红柿，好吃的那种。”",
    ),
    (
        "学骑自行车",
        "那一整个星期，我都在从自行车上摔下来。爸爸在旁边跟着跑，扶着后座，可他一松手，我就开始晃，一慌，车头就直直地冲进了路边的冬青丛。第八天傍晚，他说这回一定一直扶着，我放心地蹬到了路的尽头。回头一看，他远远地站在院门口，正举着两只手朝我挥。从那以后我学会了很多东西，可很少有哪一刻，像那一刻那样，感觉自己在飞。",
    ),
    (
        "守灯塔的人",
        "老周在海鸥礁上守了三十年灯塔。每天傍晚，他爬上一百一十二级台阶，擦亮那面巨大的透镜，点亮灯；每天早上，他在一本皮面的日志上记下天气。远处的船来来往往，船上的人从不知道他的名字。后来灯塔改成了自动化，工程师问他会不会舍不得。他想了好一会儿，说最舍不得的是那些台阶，因为往上爬的时候，总有时间慢慢想想事情。",
    ),
    (
        "二进制",
        "计算机只用0和1两个数字来计数，因为电子开关最容易做成两种状态：关和开。在我们平常用的十进制里，每往左一位，数值就变成原来的十倍；在二进制里，每往左一位，只变成原来的两倍。所以二进制的1011，表示一个八、零个四、一个二和一个一，加起来就是十一。刚开始看着别扭，不过练一练，你就能把每根手指当成一位二进制数，用一只手数到三十一。",
    ),
    (
        "指南针",
        "指南针其实就是一根被磁化、能自由转动的小针。地球本身像一块巨大的磁铁，小针会顺着地磁场的方向摆好，于是一端大致指向北方。地磁北极和地理上的北极并不在同一个位置，而且会随着年份慢慢移动，所以细心的航海者会按照地图上标注的磁偏角来修正读数。用指南针时要远离铁器和其他磁铁，否则它会理直气壮地指错方向。如今手机里也装着电子罗盘，原理虽然不同，却同样是在感知地球的磁场。",
    ),
    (
        "秋叶为什么会变色",
        "夏天的树叶是绿色的，因为里面充满了叶绿素，这是植物用来捕捉阳光的色素。叶子里其实也有黄色和橙色的色素，只是被绿色盖住了。秋天白天变短，很多树不再制造叶绿素，剩下的也逐渐分解，藏着的黄色和橙色便显露出来。有些树，比如一些枫树，这时还会在叶子里生成红色的色素。秋天如果晴天多、夜里凉，树叶的颜色往往最鲜艳。",
    ),
    (
        "走丢的小狗",
        "打雷那天晚上，豆豆不见了。我们打着手电筒找遍了整个小区，喊它的名字喊到嗓子都哑了。我们贴了寻狗启事，问了快递员，还把它的小毯子放在门口，盼着它能闻着味儿回来。三天后，六公里外一个村子里的大爷打来电话。原来豆豆这几天一直睡在他家的柴房里，还顺便吃了他家猫的饭。见到我们时，它一脸平静，好像完全不明白大家在着急什么。",
    ),
    (
        "深夜的城市",
        "过了午夜，城市换了一副模样。写字楼的灯都灭了，早点铺却亮着，透过窗户能看到系着白围裙的师傅在揉面、包包子。环卫车沿着空荡荡的大街慢慢开过。一辆出租车停在红灯前，路口却再没有别的车。桥上有个人在钓鱼，他承认自己好几年都没钓上过什么了。夜里的城市并没有睡着，它只是趁大多数人睡着的时候，悄悄地照顾着自己。",
    ),
    (
        "午休乒乓球",
        "我们公司地下室有一张乒乓球桌，每天中午十二点半，总有那么六个人“碰巧”出现在那里。规矩很严格：赢的人留下，输的人请下一轮咖啡，谁也不许谈工作。两年下来，我在球桌旁对同事的了解，比在任何会议上都多。我知道谁输了球会变得沉默，谁打了一个擦边球就连声道歉，还有谁在家偷偷练过。上个月有位同事调去了外地，临走那天，他没有发邮件告别，只是在球桌上留了一盒新球。",
    ),
    (
        "写给十年后的自己",
        "十年后的我：你好。不知道你的外套口袋里是不是还揣着一个小本子，也不知道钢琴你到底学会了没有。现在的我二十三岁，住在一间窗户漏风的出租屋里，却比自己预想的要快乐。希望你还保持着好奇心，希望你还会毫无理由地给朋友打电话。如果你变得太严肃了，请替我出门找一个水坑，狠狠地踩一脚。爱你的、有点心急的、年轻的自己。",
    ),
    (
        "放风筝",
        "每年春天，第一个有风的星期天，大家就会扛着风筝爬上学校后面的山坡。有颜色鲜艳的菱形风筝，有拖着长长纸尾巴的龙，也有用塑料袋和竹竿自己扎的。有的风筝一下子就升上了天；有的打着转俯冲下来，一头栽进草地，惹得围观的人一阵欢呼。最好看的时候，是几十只风筝同时飞在空中，所有的线都朝一个方向斜着，好像整座山坡都在攥着风。",
    ),
    (
        "旧书店",
        "渡口巷的那家旧书店没有电脑，书架也没有什么分类规则。书是按老板的心情摆的：诗集挨着园艺书，游记旁边是菜谱，一本讲天文的书夹在两本侦探小说中间。顾客们一边抱怨，一边一待就是一个小时。老板个子不高，戴着一副很大的眼镜，卖过的每一本书他都记得，还会主动告诉你，你其实应该买另一本。我每次去，都会带走一本之前不知道自己想要的书。",
    ),
    (
        "第一行代码",
        '很多人写的第一个程序，就是在屏幕上打印出“Hello, world”。在 Python 里，这只需要一行：print("Hello, world")。它小得好像无足轻重，却证明了一切都在正常工作：语言装好了，编辑器能保存文件，计算机也在听你的指挥。几十年来，程序员们用几百种语言写过这句小小的问候。它既是一种传统，也是一次测试，还是一句欢迎。',
    ),
    (
        "夏天的雷阵雨",
        "整个下午，热气沉沉地压在小城上空。天从蓝变白，又变成沉甸甸的铅灰色，燕子贴着田野低低地飞。接着起风了，卷起尘土和落叶，第一批大雨点砸在地上，留下铜钱大的印子。几分钟后，雨下得又急又猛，路边的排水沟都漫了出来，雷声在山谷里滚来滚去。半个小时后，雨停了，空气里满是青草的清香，热乎乎的马路上冒起了白汽。孩子们光着脚跑出来踩水，西边的天上还挂出了一道淡淡的彩虹。",
    ),
    (
        "运动会",
        "运动会在雨里开幕，在阳光里闭幕，大家都说这顺序刚刚好。低年级的小朋友比赛托球跑，一个个神情严肃，眼睛死死盯着勺子里的乒乓球。接力赛的冠军，属于掉棒次数最少的那个班。最后一项是老师百米跑，校长跑到一半掉了一只鞋，却还是坚持跑到了终点，赢得了全场最热烈的掌声。谁拿了总分第一，已经没人记得了，可那只鞋，大家都记得。",
    ),
    (
        "包饺子过年",
        "除夕下午，全家人围在桌子旁包饺子。妈妈负责和面、擀皮，爸爸调馅，我和表妹负责包，包出来的饺子奇形怪状，有的像元宝，有的像小船，还有的干脆露了馅。奶奶在一个饺子里偷偷包了一枚洗干净的硬币，说谁吃到谁明年就有好运气。晚上，热气腾腾的饺子端上桌，大家一边吃，一边小心翼翼地咬，生怕错过那枚硬币。最后硬币被爷爷吃到了，他笑得合不拢嘴，说自己今年一定身体硬朗。窗外的鞭炮声一阵接一阵，屋里暖烘烘的，满是饺子的香气。",
    ),
    (
        "中秋的月亮",
        "中秋节那天晚上，我们把小桌子搬到院子里，摆上月饼、柚子和一壶热茶。月亮从邻居家的屋顶后面慢慢升起来，又大又圆，亮得能看清院子里每一片树叶的影子。爷爷讲起他小时候，一家人分一块月饼，每人只能吃一小角。表弟听了，默默地把自己的月饼掰了一半递给爷爷。那天的月亮很好，可我记得最清楚的，是那半块月饼。后来爷爷把那半块月饼又切成几小块，分给了院子里的每一个人，大家笑着说，这是一年里最甜的一口。",
    ),
    (
        "一杯茶的时间",
        "奶奶泡茶从来不着急。她先用热水把茶壶烫一遍，再放进一小撮茶叶，第一泡很快倒掉，说是“洗茶”。第二泡，她会等上一小会儿，看着茶叶在水里慢慢舒展开来。她说，茶要慢慢喝，话要慢慢说，很多着急的事，等一杯茶喝完，也就没那么急了。后来我也学会了泡茶，虽然总是做不到她那样不慌不忙。每当工作忙得团团转的时候，我就给自己泡上一壶，坐下来，等茶叶慢慢沉到杯底，心也跟着静了下来。",
    ),
]

# ---------------------------------------------------------------------------
# SFT pools
# ---------------------------------------------------------------------------
# A "turn" is a dict(instruction, input, output, kind).  A conversation is
# dict(lang, system or None, turns=[turn, ...]).

EN_FACTS = [
    ("What is the capital of France?", "The capital of France is Paris."),
    ("How many days are there in a leap year?", "A leap year has 366 days. The extra day is 29 February."),
    (
        "At what temperature does water boil at sea level?",
        "At sea level, water boils at 100 degrees Celsius, which is 212 degrees Fahrenheit.",
    ),
    ("Which planet is closest to the Sun?", "Mercury is the planet closest to the Sun."),
    (
        "What gas do plants take in from the air for photosynthesis?",
        "Plants take in carbon dioxide. Using sunlight and water, they turn it into sugar and release oxygen.",
    ),
    ('Who wrote "Romeo and Juliet"?', '"Romeo and Juliet" was written by William Shakespeare.'),
    (
        "How many continents are there?",
        "By the most common convention there are seven continents: Africa, Antarctica, Asia, Australia (Oceania), Europe, North America and South America.",
    ),
    ("What is the largest ocean on Earth?", "The Pacific Ocean is the largest ocean on Earth."),
    ("How many sides does a hexagon have?", "A hexagon has six sides."),
    (
        "What is the freezing point of water in Fahrenheit?",
        "Water freezes at 32 degrees Fahrenheit, which is 0 degrees Celsius.",
    ),
    (
        "What is the longest river in China?",
        "The Yangtze is the longest river in China, at roughly 6,300 kilometres. It is also the longest river in Asia.",
    ),
    ("What language is mainly spoken in Brazil?", "The main language of Brazil is Portuguese."),
    (
        "What does CPU stand for?",
        "CPU stands for Central Processing Unit, the part of a computer that carries out program instructions.",
    ),
    ("What is the chemical symbol for gold?", "The chemical symbol for gold is Au, from the Latin word aurum."),
    ("How many minutes are there in a day?", "There are 1,440 minutes in a day (24 hours × 60 minutes)."),
    ("What is the square root of 144?", "The square root of 144 is 12."),
    ("Which is the largest planet in the solar system?", "Jupiter is the largest planet in the solar system."),
    (
        "In which year did people first land on the Moon?",
        "People first landed on the Moon in 1969, during NASA's Apollo 11 mission.",
    ),
    (
        "Where does the name of the Python programming language come from?",
        "Guido van Rossum named Python after the British comedy group Monty Python, not after the snake.",
    ),
    ("How many bones are there in an adult human body?", "An adult human body usually has 206 bones."),
    (
        "What does HTML stand for?",
        "HTML stands for HyperText Markup Language. It describes the structure of web pages.",
    ),
    ("What is the largest animal on Earth?", "The blue whale is the largest animal known to have lived on Earth."),
    ("How many strings does a standard guitar have?", "A standard guitar has six strings."),
    ("What is the smallest prime number?", "The smallest prime number is 2. It is also the only even prime number."),
    ("What is the capital of Australia?", "The capital of Australia is Canberra, not Sydney as many people guess."),
    ("What is the capital of Canada?", "The capital of Canada is Ottawa."),
    (
        "What is the tallest mountain above sea level?",
        "Mount Everest is the tallest mountain above sea level, at about 8,849 metres.",
    ),
    ("How many hours are there in a week?", "There are 168 hours in a week (7 days × 24 hours)."),
    ("What colour do you get by mixing blue and yellow paint?", "Mixing blue and yellow paint gives green."),
    (
        'What is the plural of "mouse"?',
        'The plural of "mouse" is "mice". For computer mice, "mice" is also the usual plural, although "mouses" is sometimes seen.',
    ),
    ("Which organ pumps blood around the body?", "The heart pumps blood around the body."),
    (
        "What does GPU stand for?",
        "GPU stands for Graphics Processing Unit. Besides graphics, GPUs are widely used to train machine-learning models.",
    ),
    (
        "How many bytes are in a kilobyte?",
        "It depends on the convention. In the SI (decimal) sense, a kilobyte is 1,000 bytes. In the binary sense, 1,024 bytes, which is more precisely called a kibibyte (KiB).",
    ),
    ("What is the hardest natural material?", "Diamond is the hardest naturally occurring material."),
    ("How fast does light travel?", "In a vacuum, light travels at about 299,792 kilometres per second."),
    ('What is a synonym for "happy"?', 'Some synonyms for "happy" are "glad", "cheerful", "joyful" and "content".'),
    ('What is the opposite of "ancient"?', 'The opposite of "ancient" is "modern".'),
    (
        "How many players are on a football (soccer) team on the pitch?",
        "Each team has eleven players on the pitch, including the goalkeeper.",
    ),
    ("What is the main ingredient in guacamole?", "The main ingredient in guacamole is avocado."),
    (
        "Why do we have leap years?",
        "A year on Earth lasts about 365.25 days. Adding an extra day roughly every four years keeps the calendar in step with the seasons.",
    ),
]

ZH_FACTS = [
    ("中国的首都是哪里？", "中国的首都是北京。"),
    ("水在标准大气压下的沸点是多少？", "在一个标准大气压下，水的沸点是100摄氏度。"),
    ("太阳系中最大的行星是哪一颗？", "太阳系中最大的行星是木星。"),
    ("《静夜思》的作者是谁？", "《静夜思》的作者是唐代诗人李白。"),
    ("中国最长的河流是哪条？", "中国最长的河流是长江，全长约6300公里，也是亚洲第一长河。"),
    ("一天有多少秒？", "一天有86400秒（24小时 × 60分钟 × 60秒）。"),
    ("人体最大的器官是什么？", "人体最大的器官是皮肤。"),
    ("彩虹通常有哪几种颜色？", "彩虹通常被描述为七种颜色：红、橙、黄、绿、蓝、靛、紫。"),
    ("大熊猫主要吃什么？", "大熊猫主要吃竹子，竹子占了它食物的绝大部分。"),
    ("地球上最大的海洋是哪个？", "地球上最大的海洋是太平洋。"),
    ("二十四节气中的第一个节气是什么？", "二十四节气通常以立春为第一个节气。"),
    ("端午节是农历哪一天？", "端午节是农历五月初五。"),
    ("中秋节有哪些传统习俗？", "中秋节的传统习俗主要有赏月、吃月饼、家人团聚，有些地方还有提灯笼、猜灯谜等活动。"),
    ("“三人行，必有我师焉”出自哪部书？", "这句话出自《论语·述而》。"),
    ("光年是时间单位还是长度单位？", "光年是长度单位，指光在真空中一年内传播的距离，约9.46万亿公里。"),
    ("三角形的内角和是多少度？", "三角形的内角和是180度。"),
    ("最小的质数是几？", "最小的质数是2，它也是唯一的偶数质数。"),
    ("Python 中用什么关键字定义函数？", "Python 中用 def 关键字定义函数，例如：def add(a, b): return a + b。"),
    ("HTTP 状态码 404 表示什么？", "404 表示服务器找不到请求的资源，也就是常说的“页面不存在”。"),
    ("世界上最高的山峰是哪座？", "世界最高峰是珠穆朗玛峰，海拔约8848.86米。"),
    ("中国有多少个省级行政区？", "中国共有34个省级行政区，包括23个省、5个自治区、4个直辖市和2个特别行政区。"),
    ("中国古代四大发明是什么？", "中国古代四大发明是造纸术、指南针、火药和印刷术。"),
    ("“床前明月光”的下一句是什么？", "下一句是“疑是地上霜”。"),
    ("水的化学式是什么？", "水的化学式是 H2O，即每个水分子由两个氢原子和一个氧原子构成。"),
    ("地球绕太阳公转一周大约需要多长时间？", "地球绕太阳公转一周大约需要365.25天，这也是设置闰年的原因。"),
    ("月亮自己会发光吗？", "月亮自己不会发光，我们看到的月光是它反射的太阳光。"),
    ("成年人一共有多少块骨头？", "成年人一般有206块骨头。"),
    ("蝌蚪长大后会变成什么？", "蝌蚪是青蛙或蟾蜍的幼体，长大后会变成青蛙或蟾蜍。"),
    ("“画蛇添足”是什么意思？", "“画蛇添足”比喻做了多余的事，不但无益，反而坏了事。"),
    ("一公斤等于多少克？", "一公斤等于1000克。"),
    ("中国的陆地面积大约是多少？", "中国的陆地面积约960万平方公里。"),
    ("CPU 是什么的缩写？", "CPU 是 Central Processing Unit 的缩写，意思是中央处理器，负责执行程序指令。"),
    ("秦始皇统一六国是在哪一年？", "秦始皇于公元前221年完成统一六国。"),
    ("“守株待兔”比喻什么？", "“守株待兔”比喻死守狭隘的经验、不知变通，也比喻妄想不经过努力就得到成功。"),
    ("冬至这一天，北半球的白天是最长还是最短？", "冬至这一天，北半球的白天最短、黑夜最长。"),
    ("声音能在真空中传播吗？", "不能。声音需要空气、水或固体等介质才能传播，真空中没有介质，所以听不到声音。"),
    ("红色和黄色的颜料混在一起是什么颜色？", "红色和黄色的颜料混合后是橙色。"),
    ("“事半功倍”的反义词是什么？", "“事半功倍”的反义词是“事倍功半”。"),
    ("一年中哪个月的天数最少？", "二月的天数最少，平年28天，闰年29天。"),
    (
        "GPU 是什么？",
        "GPU 是图形处理器（Graphics Processing Unit），擅长大规模并行计算，除了处理图形，也常用于训练机器学习模型。",
    ),
]

# parallel sentences for translation tasks: (english, chinese)
PARALLEL = [
    ("The weather is lovely today.", "今天天气真好。"),
    ("Could you please speak a little more slowly?", "您能说得慢一点吗？"),
    ("I have been learning Chinese for two years.", "我学中文已经两年了。"),
    ("Where is the nearest subway station?", "最近的地铁站在哪里？"),
    ("The dumplings at this restaurant are famous.", "这家餐馆的饺子很有名。"),
    ("Please remember to turn off the lights when you leave.", "离开的时候请记得关灯。"),
    ("The train leaves at half past eight.", "火车八点半出发。"),
    ("Thank you for your help yesterday.", "谢谢你昨天的帮助。"),
    ("My favourite season is autumn.", "我最喜欢的季节是秋天。"),
    ("It is going to rain this afternoon, so take an umbrella.", "今天下午要下雨，带把伞吧。"),
    ("He runs five kilometres every morning.", "他每天早上跑五公里。"),
    ("The meeting has been moved to Thursday.", "会议改到星期四了。"),
    ("Practice makes perfect.", "熟能生巧。"),
    ("Sorry, I didn't catch your name.", "不好意思，我没听清您的名字。"),
    ("This book is more interesting than I expected.", "这本书比我想象的有意思。"),
    ("How much does this cost?", "这个多少钱？"),
    ("We planted three trees in the garden last spring.", "去年春天我们在院子里种了三棵树。"),
    ("The library is open until nine in the evening.", "图书馆晚上开到九点。"),
    ("Don't forget to drink enough water.", "别忘了多喝水。"),
    ("Our cat likes to sleep in the sun.", "我们家的猫喜欢在太阳底下睡觉。"),
    ("Happy birthday! I hope all your wishes come true.", "生日快乐！祝你心想事成。"),
    ("The program crashed because a file was missing.", "程序崩溃了，因为缺少一个文件。"),
    ("Please save your work before closing the window.", "关闭窗口前请先保存你的工作。"),
    ("Learning a new language takes patience.", "学习一门新语言需要耐心。"),
    ("The city looks beautiful at night.", "这座城市的夜景很美。"),
    ("I'll call you back in ten minutes.", "我十分钟后给你回电话。"),
    ("She teaches at a primary school.", "她在一所小学教书。"),
    ("Can you recommend a good book?", "你能推荐一本好书吗？"),
    ("The soup is a little too salty.", "汤有点太咸了。"),
    ("A journey of a thousand miles begins with a single step.", "千里之行，始于足下。"),
    ("The bus was full, so we walked home.", "公交车满了，所以我们走回了家。"),
    ("The museum is closed on Mondays.", "博物馆周一闭馆。"),
    ("It took us three hours to climb the mountain.", "我们花了三个小时才爬上山顶。"),
    ("Please send me the file by email.", "请把文件通过邮件发给我。"),
    ("Good morning! Did you sleep well?", "早上好！昨晚睡得好吗？"),
    ("The children are playing football in the park.", "孩子们在公园里踢足球。"),
    ("Turn left at the second traffic light.", "在第二个红绿灯处左转。"),
    ("I prefer tea to coffee.", "比起咖啡，我更喜欢喝茶。"),
    ("The password must contain at least eight characters.", "密码至少要包含八个字符。"),
    ("The model finished training in four hours.", "模型用了四个小时完成训练。"),
]

EN_REWRITE = [
    (
        "Make this sentence more formal.",
        "Hey, can you send me that report thing by tomorrow?",
        "Could you please send me the report by tomorrow?",
    ),
    (
        "Correct the grammar in this sentence.",
        "She don't like going to the dentist.",
        "She doesn't like going to the dentist.",
    ),
    ("Correct the grammar in this sentence.", "Their going to the park later.", "They're going to the park later."),
    (
        "Correct the grammar in this sentence.",
        "Me and him went to the shop yesterday.",
        "He and I went to the shop yesterday.",
    ),
    (
        "Rewrite this sentence in the passive voice.",
        "The chef prepared the meal.",
        "The meal was prepared by the chef.",
    ),
    (
        "Rewrite this sentence in the passive voice.",
        "The committee approved the new budget.",
        "The new budget was approved by the committee.",
    ),
    (
        "Make this sentence more concise.",
        "Due to the fact that it was raining heavily, we made the decision to stay indoors.",
        "Because it was raining heavily, we decided to stay indoors.",
    ),
    (
        "Make this sentence more concise.",
        "In my personal opinion, I think that the plan is a good one.",
        "I think the plan is good.",
    ),
    (
        "Explain this sentence in words a young child would understand.",
        "Photosynthesis is the process by which plants convert light energy into chemical energy.",
        "Plants use sunlight to make their own food.",
    ),
    ("Make this request more polite.", "Give me the menu.", "Could I have the menu, please?"),
    (
        "Rewrite this with a more positive tone.",
        "The project is late and the team messed up again.",
        "The project is behind schedule, and the team is working hard to get it back on track.",
    ),
    (
        "Change this sentence to the past tense.",
        "I walk to school and buy a sandwich.",
        "I walked to school and bought a sandwich.",
    ),
    (
        "Change this sentence to the past tense.",
        "The cat sleeps on the sofa and dreams about birds.",
        "The cat slept on the sofa and dreamed about birds.",
    ),
    (
        "Make this message more formal.",
        "Thanks a ton for the help, you're a lifesaver!",
        "Thank you very much for your help; I truly appreciate it.",
    ),
    ("Fix the spelling mistakes.", "I recieved the pakage on Wensday.", "I received the package on Wednesday."),
    (
        "Rewrite this sentence so it sounds more natural.",
        "The rain was falling in a very heavy way all the day.",
        "It rained heavily all day.",
    ),
]

ZH_REWRITE = [
    ("把这句话改得更正式、更礼貌一些。", "老板，那个报告明天能给我不？", "您好，请问报告明天能发给我吗？"),
    (
        "修改下面的病句。",
        "通过这次活动，使我们增长了见识。",
        "这次活动使我们增长了见识。（或：通过这次活动，我们增长了见识。）",
    ),
    ("修改下面的病句。", "我们要尽可能节约不必要的浪费。", "我们要尽可能避免不必要的浪费。"),
    (
        "修改下面的病句。",
        "大约有一百人左右参加了这次会议。",
        "大约有一百人参加了这次会议。（“大约”和“左右”意思重复，保留一个即可。）",
    ),
    (
        "把下面这句话缩写得简洁一些。",
        "由于今天早上下了非常大的雨，所以我们最后做出了留在家里的决定。",
        "今天早上下大雨，我们决定留在家里。",
    ),
    ("把下面的句子改成“把”字句。", "我打碎了杯子。", "我把杯子打碎了。"),
    ("把下面的句子改成“被”字句。", "小猫吃掉了那条鱼。", "那条鱼被小猫吃掉了。"),
    ("把这句话说得更客气一些。", "把菜单拿过来。", "麻烦您把菜单拿过来，谢谢。"),
    (
        "把这句话改得积极一些。",
        "这个项目又延期了，团队真是一团糟。",
        "项目进度有些延后，团队正在积极调整，争取尽快赶上。",
    ),
    (
        "把下面这句话扩写得生动一些。",
        "春天来了。",
        "春天来了，柳树抽出了嫩绿的新芽，小草从泥土里探出头来，空气里满是花香。",
    ),
    ("把这句口语改成书面语。", "这事儿吧，我觉得挺靠谱的。", "我认为这件事比较可靠。"),
    ("找出并改正句子里的错别字。", "我们要按部就般地完成任务。", "我们要按部就班地完成任务。（“般”应为“班”。）"),
    ("找出并改正句子里的错别字。", "他做事情总是再接再励。", "他做事情总是再接再厉。（“励”应为“厉”。）"),
    ("把这句话改得简洁一些。", "在我个人看来，我认为这个方案是可行的。", "我认为这个方案可行。"),
    (
        "用小朋友能听懂的话解释这句话。",
        "光合作用是植物利用光能，把二氧化碳和水转化为有机物并释放氧气的过程。",
        "植物晒太阳的时候，会用空气和水给自己做“饭”，同时放出我们呼吸需要的氧气。",
    ),
    ("把下面的句子改成反问句。", "这个道理大家都明白。", "这个道理大家难道不明白吗？"),
]

EN_GREET = [
    ("Hi!", "Hello! How can I help you today?"),
    ("Good morning.", "Good morning! I hope your day is off to a good start. What can I do for you?"),
    (
        "Who are you?",
        "I'm an AI assistant. I can answer questions, help with writing, translate between Chinese and English, and work through simple problems with you.",
    ),
    ("Thank you!", "You're welcome! Let me know if there's anything else I can help with."),
    (
        "Can you speak Chinese?",
        "Yes. I can understand and write both Chinese and English, and I can translate between them. 我也可以用中文和你交流。",
    ),
    ("Good night!", "Good night! Sleep well."),
    ("How are you today?", "I'm doing well, thanks for asking. How about you? Is there anything I can help you with?"),
    (
        "What can you do?",
        "I can answer general questions, explain ideas simply, rewrite or translate text, help with basic maths, make lists and tables, and offer practical suggestions.",
    ),
    (
        "Sorry, that was a silly question.",
        "There's no need to apologise. Questions are how we learn, and I'm happy to help with anything you're curious about.",
    ),
    ("Bye for now.", "Goodbye! Feel free to come back any time."),
]
ZH_GREET = [
    ("你好", "你好！有什么可以帮你的吗？"),
    ("早上好！", "早上好！祝你今天一切顺利。有什么需要我帮忙的吗？"),
    ("你是谁？", "我是一个AI助手，可以回答问题、帮忙写作和改写、做中英文互译，也能和你一起解决一些简单的问题。"),
    ("谢谢你！", "不客气！如果还有其他问题，随时告诉我。"),
    ("你会说英文吗？", "会的。我可以用中文和英文交流，也可以帮你做中英文互译。I can chat in English too."),
    ("晚安", "晚安，祝你好梦！"),
    ("你今天过得怎么样？", "谢谢关心，我一切都好。你呢？有什么我可以帮你的吗？"),
    (
        "你能做些什么？",
        "我可以回答常识性问题、用简单的话解释概念、改写或翻译文字、帮你做基础的数学计算、整理清单和表格，还能给出一些实用的建议。",
    ),
    ("不好意思，刚才的问题有点傻。", "一点也不傻，提问本来就是学习的开始。有什么想知道的，尽管问我。"),
    ("我先走了，再见！", "再见！有需要随时回来找我。"),
]

EN_ADVICE = [
    (
        "How can I sleep better?",
        "A few habits help most people:\n1. Go to bed and get up at the same time every day, even at weekends.\n2. Keep your bedroom dark, quiet and cool.\n3. Avoid caffeine in the afternoon and heavy meals late in the evening.\n4. Put your phone away at least half an hour before bed.\n5. If you can't fall asleep after about twenty minutes, get up and do something calm until you feel sleepy.\nIf poor sleep continues for weeks, it's worth talking to a doctor.",
    ),
    (
        "How should I start learning to program?",
        "Pick one beginner-friendly language, such as Python, and stick with it for a while. Follow a structured course or book, type the examples yourself instead of copying them, and build tiny projects as early as possible: a unit converter, a to-do list, a quiz game. Expect to get stuck often; reading error messages carefully and searching for them is part of the skill. Thirty minutes a day is better than one long session a week.",
    ),
    (
        "Any tips for staying focused while studying?",
        "Try these:\n- Put your phone in another room or switch on a focus mode.\n- Work in short blocks, such as 25 minutes of study followed by a 5-minute break.\n- Start each session by writing down one specific goal.\n- Keep water nearby and your desk clear of distractions.\n- Test yourself instead of just rereading notes; active recall keeps your mind engaged.",
    ),
    (
        "How can I save money on groceries?",
        "Plan your meals for the week and shop with a list. Check what you already have before you go, buy seasonal fruit and vegetables, and compare prices per kilogram rather than per pack. Cook larger batches and freeze portions, and try not to shop when you're hungry. Store brands are often just as good as the famous ones.",
    ),
    (
        "What should I pack for a day hike?",
        "For a day hike, bring:\n- Water (at least 1.5 litres) and some snacks\n- A waterproof jacket and an extra warm layer\n- Comfortable, broken-in walking shoes\n- A map or downloaded offline map, plus a charged phone\n- Sun protection: hat, sunglasses and sunscreen\n- A small first-aid kit\nAlso tell someone where you're going and when you expect to be back.",
    ),
    (
        "How do I keep my houseplants alive?",
        "Most houseplants die from too much water rather than too little. Water only when the top few centimetres of soil feel dry, and make sure the pot has drainage holes. Put plants where they get the right amount of light for their type, wipe dust off the leaves now and then, and feed them lightly during spring and summer. If the leaves turn yellow and the soil stays wet, cut back on watering.",
    ),
    (
        "How can I prepare for a job interview?",
        "Research the company and the role, and think about why you want this job in particular. Prepare short stories that show your skills, using the pattern situation, task, action, result. Practise answering common questions out loud. Prepare two or three thoughtful questions to ask them. On the day, arrive a little early, bring copies of your CV, and remember that the interview is also your chance to judge whether the job suits you.",
    ),
    (
        "I get very nervous about speaking in public. Any advice?",
        "That's extremely common. Prepare well, but don't memorise every word; know your main points and how they connect. Practise aloud several times, ideally in front of a friend. Before you start, take a few slow breaths and plant your feet firmly. Look at friendly faces in the audience. Remember that listeners usually can't see how nervous you feel, and they want you to do well.",
    ),
    (
        "How can I drink more water during the day?",
        "Keep a refillable bottle with you and refill it at fixed times, for example at every meal. Drink a glass as soon as you wake up. If plain water bores you, add slices of lemon, cucumber or mint. Some people like using an app or marking lines on the bottle as reminders.",
    ),
    (
        "My code doesn't work and I don't know why. What should I do?",
        "Start by reading the full error message, especially the last line and the line number it mentions. Reproduce the problem with the smallest possible input. Print the values of key variables, or use a debugger, to see where reality differs from what you expected. Undo your most recent change to see if the problem goes away. If you're still stuck, explain the code step by step to someone else, or write the question down; that often reveals the answer.",
    ),
    (
        "How do I write a good commit message?",
        'Write a short summary line, ideally under about 50 characters, in the imperative mood, for example "Fix crash when config file is missing". If more detail is needed, leave a blank line and explain what changed and why, not how. Keep each commit focused on one logical change so the message can describe it clearly.',
    ),
    (
        "How can I make a habit stick?",
        'Make the habit small and specific, such as "read two pages after dinner" rather than "read more". Attach it to something you already do every day. Track it on a calendar so you can see your streak, and if you miss a day, just start again the next day instead of giving up. Over time you can make it bigger.',
    ),
    (
        "What's a good way to learn new vocabulary in a foreign language?",
        "Learn words in context, in short phrases or sentences, rather than as isolated lists. Use spaced repetition, for example flashcards that you review at increasing intervals. Say the words aloud, and try to use a few new ones each day in writing or conversation. Reading simple books or articles you enjoy will also expose you to words again and again.",
    ),
    (
        "How do I stay safe in hot weather?",
        "Drink water regularly, even before you feel thirsty. Avoid strenuous activity during the hottest part of the day, wear light, loose clothing and a hat, and stay in the shade when you can. Never leave children or pets in a parked car. Dizziness, headache, nausea or confusion can be signs of heat illness; move somewhere cool and get medical help if symptoms are severe.",
    ),
]
ZH_ADVICE = [
    (
        "怎样才能早睡早起？",
        "可以试试下面几个办法：\n1. 每天固定时间睡觉和起床，周末也尽量不变。\n2. 睡前半小时放下手机，换成看书或听舒缓的音乐。\n3. 下午以后少喝咖啡和浓茶。\n4. 早上起床后立刻拉开窗帘，让阳光帮助身体清醒。\n5. 一开始可以每天只提前十五分钟，慢慢调整。",
    ),
    (
        "零基础怎么开始学编程？",
        "建议先选一门对新手友好的语言，比如 Python，并且坚持学一段时间。跟着一门系统的课程或一本入门书学习，把例子亲手敲一遍，而不是直接复制。尽早动手做小项目，比如单位换算器、待办清单、小测验游戏。遇到报错很正常，学会读报错信息、上网查找答案，本身就是编程能力的一部分。每天学半小时，比一周突击一次效果更好。",
    ),
    (
        "学习的时候总是分心怎么办？",
        "可以试试这些方法：\n- 把手机放到另一个房间，或者打开专注模式。\n- 用“番茄工作法”：学习25分钟，休息5分钟。\n- 每次开始前写下一个具体的小目标。\n- 保持桌面整洁，只放当前需要的资料。\n- 多做自测，少做单纯的重读，主动回忆更能让大脑保持投入。",
    ),
    (
        "怎样买菜更省钱？",
        "出门前先把一周的饭菜大致计划好，列好清单，按清单买。去之前看看家里还剩什么，避免重复购买。多买应季的蔬菜水果，比较价格时看每斤的单价而不是每包的价格。可以一次多做一些，分装冷冻。还有一个小窍门：别在饿着肚子的时候去买菜。",
    ),
    (
        "第一次去爬山要带些什么？",
        "一日徒步建议带上：\n- 足够的饮用水（至少1.5升）和一些零食\n- 防水外套和一件保暖的衣服\n- 穿惯了的舒适运动鞋或登山鞋\n- 离线地图和充好电的手机\n- 帽子、墨镜和防晒霜\n- 简单的急救用品\n另外，出发前告诉家人或朋友你的路线和预计返回时间。",
    ),
    (
        "家里的绿植总是养不活怎么办？",
        "大多数绿植不是渴死的，而是被浇水浇多了、烂根死的。等表层几厘米的土摸起来干了再浇水，并且确保花盆底部有排水孔。根据植物的习性放在光线合适的地方，偶尔擦擦叶子上的灰，春夏季节少量施肥。如果叶子发黄而土一直是湿的，就要减少浇水了。",
    ),
    (
        "面试前应该怎么准备？",
        "先了解公司和岗位，想清楚自己为什么想要这份工作。准备几个能体现自己能力的小故事，可以按照“情境—任务—行动—结果”的结构来讲。把常见问题大声练习几遍。再准备两三个有深度的问题留着问面试官。面试当天提前一点到，带好简历，也别忘了：面试同样是你判断这份工作是否适合自己的机会。",
    ),
    (
        "一上台讲话就紧张，怎么办？",
        "这非常常见。先认真准备，但不要逐字背稿，记住主要观点和它们之间的逻辑就好。多大声练习几遍，最好找朋友当听众。上台前慢慢地深呼吸几次，双脚站稳。讲的时候多看看台下表情友善的人。要记住，听众通常看不出你有多紧张，而且他们是希望你讲好的。",
    ),
    (
        "怎样养成读书的习惯？",
        "从小处开始，比如“每天晚饭后读两页”，而不是笼统地说“多读书”。把读书和一件每天都会做的事绑在一起，比如睡前或通勤时。先挑自己真正感兴趣的书，读不下去就换一本，不必勉强。可以在日历上打卡，看着连续的记录会更有动力。",
    ),
    (
        "夏天怎样预防中暑？",
        "多喝水，不要等口渴了才喝；避免在一天中最热的时候做剧烈运动；穿浅色、宽松、透气的衣服，出门戴帽子，尽量待在阴凉处。千万不要把孩子或宠物留在停着的车里。如果出现头晕、头痛、恶心等症状，要立刻到阴凉通风处休息、补充水分，症状严重时应及时就医。",
    ),
    (
        "怎样写一份简洁的工作周报？",
        "可以按三部分来写：\n1. 本周完成：列出主要成果，尽量用数据说明。\n2. 问题与风险：遇到了什么困难，需要谁的支持。\n3. 下周计划：写清楚要做的几件重点工作。\n每一条尽量一句话说清楚，少写过程、多写结果。",
    ),
    (
        "程序报错了不知道怎么查，怎么办？",
        "先完整地读一遍报错信息，特别是最后一行和提示的行号。然后用尽量小的输入把问题复现出来。在关键位置打印变量的值，或者用调试器单步执行，看看实际情况和你的预期在哪里不一样。也可以撤销最近的修改，看问题是否消失。如果还是找不到，试着把代码一步步讲给别人听，或者把问题完整地写下来，往往写着写着就发现原因了。",
    ),
    (
        "怎样和室友好好相处？",
        "刚住在一起时，就把作息、卫生、访客、公共物品这些容易起矛盾的事情说清楚，最好定几条简单的约定。平时多一点体谅，比如晚归时动作轻一些，用了公共物品及时补上。有不满时及早、平和地沟通，对事不对人。偶尔一起吃顿饭，关系会融洽很多。",
    ),
    (
        "学外语怎样背单词更有效？",
        "尽量在语境中记单词，比如记短语和例句，而不是孤立地背词表。利用间隔重复，比如用单词卡，按越来越长的间隔复习。背的时候大声读出来，每天试着在写作或对话里用上几个新词。多读一些自己感兴趣的简单文章，同一个词会反复出现，自然就记住了。",
    ),
]

# item pools for list tasks: category -> (en items, zh items)
LIST_POOLS = {
    "fruits": (
        [
            "apples",
            "bananas",
            "oranges",
            "grapes",
            "pears",
            "mangoes",
            "peaches",
            "cherries",
            "plums",
            "kiwis",
            "lychees",
            "watermelons",
        ],
        ["苹果", "香蕉", "橙子", "葡萄", "梨", "芒果", "桃子", "樱桃", "李子", "猕猴桃", "荔枝", "西瓜"],
    ),
    "vegetables": (
        [
            "carrots",
            "spinach",
            "broccoli",
            "potatoes",
            "tomatoes",
            "cucumbers",
            "onions",
            "cabbage",
            "peppers",
            "aubergines",
            "celery",
            "pumpkins",
        ],
        ["胡萝卜", "菠菜", "西兰花", "土豆", "西红柿", "黄瓜", "洋葱", "白菜", "青椒", "茄子", "芹菜", "南瓜"],
    ),
    "planets": (
        ["Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune"],
        ["水星", "金星", "地球", "火星", "木星", "土星", "天王星", "海王星"],
    ),
    "programming languages": (
        ["Python", "JavaScript", "Java", "C", "C++", "Go", "Rust", "Ruby", "Kotlin", "Swift", "TypeScript", "PHP"],
        ["Python", "JavaScript", "Java", "C", "C++", "Go", "Rust", "Ruby", "Kotlin", "Swift", "TypeScript", "PHP"],
    ),
    "musical instruments": (
        ["piano", "violin", "guitar", "flute", "drums", "cello", "trumpet", "harp", "clarinet", "saxophone"],
        ["钢琴", "小提琴", "吉他", "长笛", "架子鼓", "大提琴", "小号", "竖琴", "二胡", "古筝"],
    ),
    "sports": (
        [
            "football",
            "basketball",
            "tennis",
            "swimming",
            "badminton",
            "volleyball",
            "table tennis",
            "cycling",
            "running",
            "rowing",
        ],
        ["足球", "篮球", "网球", "游泳", "羽毛球", "排球", "乒乓球", "骑自行车", "跑步", "赛艇"],
    ),
    "colours": (
        ["red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "grey", "white", "black"],
        ["红色", "橙色", "黄色", "绿色", "蓝色", "紫色", "粉色", "棕色", "灰色", "白色", "黑色"],
    ),
    "animals that live in the sea": (
        ["dolphins", "octopuses", "sea turtles", "jellyfish", "sharks", "seahorses", "starfish", "whales", "crabs"],
        ["海豚", "章鱼", "海龟", "水母", "鲨鱼", "海马", "海星", "鲸", "螃蟹"],
    ),
}
ZH_CAT = {
    "fruits": "水果",
    "vegetables": "蔬菜",
    "planets": "太阳系的行星",
    "programming languages": "编程语言",
    "musical instruments": "乐器",
    "sports": "体育运动",
    "colours": "颜色",
    "animals that live in the sea": "海洋动物",
}
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


EN_SHOP_ITEMS = [
    ("notebooks", "notebook"),
    ("pens", "pen"),
    ("cinema tickets", "cinema ticket"),
    ("bags of rice", "bag of rice"),
    ("plant pots", "plant pot"),
    ("bus passes", "bus pass"),
]
ZH_SHOP_ITEMS = [("本", "笔记本"), ("支", "钢笔"), ("张", "电影票"), ("袋", "大米"), ("个", "花盆"), ("斤", "苹果")]


def math_shop(rng, lang, followup=False):
    a, p = rng.randint(2, 8), rng.randint(2, 12)
    cost = a * p
    bill = _bill_for(cost)
    extra = rng.randint(1, 4)
    if lang == "en":
        name = pick(rng, EN_NAMES)
        pl, sg = pick(rng, EN_SHOP_ITEMS)
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
    name = pick(rng, ZH_NAMES)
    cl, item = pick(rng, ZH_SHOP_ITEMS)
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
        name = pick(rng, EN_NAMES)
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
    name = pick(rng, ZH_NAMES)
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
        name = pick(rng, EN_NAMES)
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
    name = pick(rng, ZH_NAMES)
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
        name = pick(rng, EN_NAMES)
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
    name = pick(rng, ZH_NAMES)
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
    cat = pick(rng, sorted(LIST_POOLS))
    en_items, zh_items = LIST_POOLS[cat]
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
    q = f"请列出{zh_num(n)}种{ZH_CAT[cat]}。"
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


EN_CITIES = ["Lisbon", "Osaka", "Nairobi", "Toronto", "Melbourne", "Bergen", "Chengdu", "Valparaíso"]
ZH_CITIES = ["杭州", "成都", "西安", "青岛", "厦门", "昆明", "大连", "苏州"]


def fmt_json(rng, lang, followup=False):
    age = rng.randint(19, 66)
    if lang == "en":
        name = pick(rng, EN_NAMES) + " " + pick(rng, EN_SURNAMES)
        city = pick(rng, EN_CITIES)
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
    name = pick(rng, ZH_SURNAMES) + pick(rng, ZH_GIVEN)
    city = pick(rng, ZH_CITIES)
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
    en_items, zh_items = LIST_POOLS[cat]
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
    en_items, zh_items = LIST_POOLS[cat]
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
        s = pick(rng, [p[0] for p in PARALLEL])
        words = s.replace("!", " ").replace("?", " ").replace(".", " ").replace(",", " ").split()
        return [T("How many words are in this sentence?", f"The sentence has {len(words)} words.", s, kind="format")]
    s = pick(rng, [p[1] for p in PARALLEL])
    n = sum(1 for ch in s if "\u4e00" <= ch <= "\u9fff")
    return [T("下面这句话有多少个汉字？（不算标点）", f"这句话一共有{n}个汉字。", s, kind="format")]


def fmt_upper(rng, lang, followup=False):
    if rng.random() < 0.5:
        s = pick(rng, [p[0] for p in PARALLEL])
        return [T("Convert this sentence to upper case.", s.upper(), s, kind="format")]
    plain = [p[0] for p in PARALLEL if not any(c in p[0][:-1] for c in ",.!?;")]
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

EN_TR_TO_ZH = [
    "Translate the following sentence into Chinese.",
    "Translate this into Simplified Chinese:",
    "How would you say this in Chinese?",
]
EN_TR_TO_EN = [
    "Translate the following sentence into English.",
    "Translate this Chinese sentence into English:",
    "What does this mean in English?",
]
ZH_TR_TO_EN = ["请把下面这句话翻译成英文。", "把这句中文译成英语：", "这句话用英语怎么说？"]
ZH_TR_TO_ZH = ["请把下面的英文翻译成中文。", "把这句英文译成中文：", "这句英语是什么意思？"]


def translation_turn(rng, lang, pair):
    en, zh = pair
    if lang == "en":
        if rng.random() < 0.5:
            return T(pick(rng, EN_TR_TO_ZH), zh, en, kind="translate")
        return T(pick(rng, EN_TR_TO_EN), en, zh, kind="translate")
    if rng.random() < 0.5:
        return T(pick(rng, ZH_TR_TO_EN), en, zh, kind="translate")
    return T(pick(rng, ZH_TR_TO_ZH), zh, en, kind="translate")


SYSTEM_GENERIC = {
    "en": [
        "You are a helpful assistant.",
        "You are a friendly and concise assistant. Give short, accurate answers.",
        "You are a helpful AI assistant. Answer clearly and honestly.",
    ],
    "zh": [
        "你是一个乐于助人的AI助手。",
        "请用简洁、准确的中文回答用户的问题。",
        "你是一个友好的助手，回答要清楚、有条理。",
    ],
}
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

THANKS = {
    "en": [
        ("Thanks!", "You're welcome! Happy to help."),
        ("Great, thank you.", "You're welcome. Let me know if you need anything else."),
        ("Perfect, that's all I needed.", "Glad it helped!"),
    ],
    "zh": [
        ("谢谢！", "不客气，很高兴能帮到你！"),
        ("好的，明白了，谢谢。", "不客气，还有问题随时问我。"),
        ("太好了，就是这个。", "很高兴能帮上忙！"),
    ],
}
MORE_Q = {
    "en": ["One more question: ", "Thanks. Another question: ", "Got it. And "],
    "zh": ["再问一个问题：", "谢谢。还有一个问题：", "明白了。另外，"],
}


def lower_first(s):
    return s[:1].lower() + s[1:] if s[:1].isupper() and not s[:2].isupper() else s


class SFTBuilder:
    def __init__(self, rng):
        self.rng = rng
        self.decks = {}
        for lang in ("en", "zh"):
            self.decks[(lang, "fact")] = Deck(rng, EN_FACTS if lang == "en" else ZH_FACTS)
            self.decks[(lang, "greet")] = Deck(rng, EN_GREET if lang == "en" else ZH_GREET)
            self.decks[(lang, "advice")] = Deck(rng, EN_ADVICE if lang == "en" else ZH_ADVICE)
            self.decks[(lang, "rewrite")] = Deck(rng, EN_REWRITE if lang == "en" else ZH_REWRITE)
            self.decks[(lang, "pair")] = Deck(rng, PARALLEL)
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
            pre = pick(rng, MORE_Q[lang])
            q2 = pre + (lower_first(t2["instruction"]) if pre.endswith("And ") else t2["instruction"])
            turns = [t1, T(q2, t2["output"], kind="fact")]
        elif kind == "rewrite":
            t1 = self.rewrite(lang)
            pool = EN_REWRITE if lang == "en" else ZH_REWRITE
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
            q, a = pick(rng, THANKS[lang])
            turns.append(T(q, a, kind="thanks"))
        return turns

    def system_for(self, lang, turns):
        kinds = [t["kind"] for t in turns]
        main = kinds[0]
        if (lang, main) in SYSTEM_KIND and self.rng.random() < 0.6:
            return SYSTEM_KIND[(lang, main)]
        return pick(self.rng, SYSTEM_GENERIC[lang])


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
    en_towns = town_names(rng, EN_TOWN_A, EN_TOWN_B, 120)
    zh_towns = town_names(rng, ZH_TOWN_A, ZH_TOWN_B, 120)
    en_town_iter = iter(en_towns)
    zh_town_iter = iter(zh_towns)

    def en_team():
        return f"{next(en_town_iter)} {pick(rng, EN_TEAM_SUFFIX)}"

    def zh_team():
        return next(zh_town_iter) + pick(rng, ZH_TEAM_SUFFIX)

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
    for title, text in EN_HANDWRITTEN:
        docs.append(("en", title, fit([text], "en")))
    for title, text in ZH_HANDWRITTEN:
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
