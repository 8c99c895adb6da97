"""Data pipeline benchmarks: packing efficiency and chat tokenisation throughput.

The data: a generated SFT set with a long-tailed length distribution, built from the shipped samples
(``data/samples/sft_*.json*``): each conversation strings sample exchanges together (and lengthens some
answers by repeating them) up to a target length drawn from a log-normal distribution, so most
conversations are short and a few are very long, as in real SFT mixes.

(a) Packing: the share of row capacity that holds tokens (not padding) at several cutoffs, for
``backend.data.packing.pack_lengths`` (best-fit decreasing), first-fit in arrival order, next-fit in
arrival order (concatenate until the row is full) and no packing (batches of 8 padded to their longest
sample). Samples longer than the cutoff are truncated to it first, as training does.

(b) Tokenisation: tokens/s of ``backend.data.build.tokenise_chat`` (render, tokenise, loss mask on the
assistant turns, through ``datasets.map``) on the builtin tiny tokenizer, against per-record loops in
the same process: ``tokenizer.apply_chat_template(messages, tokenize=True)`` (ids only, no mask), and
the same call on every prefix ending in an assistant turn to place the loss mask (ids and labels).
Alternating rounds, best round of each.

    python bench/data_pipeline.py [--records 3000] [--rounds 3] [--write]

``--write`` replaces the packing and tokenisation sections of BENCHMARKS.md (or appends them).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bench.benchmarks_md import machine_line, replace_section  # noqa: E402

CUTOFFS = (512, 1024, 2048)
BATCH = 8


def sample_exchanges() -> list[list[dict]]:
    """(user, assistant) pairs of the shipped SFT samples, normalised to messages."""
    from backend.data.validate import iter_valid_records

    pairs = []
    for path in sorted((ROOT / "data" / "samples").glob("sft_*.json*")):
        for record in iter_valid_records(path):
            msgs = [m for m in record["messages"] if m["role"] != "system"]
            pairs += [msgs[i : i + 2] for i in range(0, len(msgs) - 1, 2) if msgs[i]["role"] == "user"]
    return pairs


def generate(n: int, seed: int = 0) -> list[list[dict]]:
    """``n`` conversations whose lengths (characters) follow a log-normal (median ~600, long tail to 6,000)."""
    rng, pairs, out = random.Random(seed), sample_exchanges(), []
    for _ in range(n):
        target = min(6000, max(20, int(rng.lognormvariate(math.log(600), 1.0))))
        messages, size = [], 0
        while size < target:
            user, answer = rng.choice(pairs)
            content = answer["content"]
            if target - size > 4 * len(content) and rng.random() < 0.5:  # a long answer
                content = "\n".join([content] * rng.randint(2, max(2, (target - size) // max(1, len(content)))))
            messages += [dict(user), {"role": "assistant", "content": content}]
            size += len(user["content"]) + len(content)
        out.append(messages)
    return out


def first_fit(lengths: list[int], capacity: int) -> int:
    """Rows used by first-fit in arrival order (each sample goes into the first row with room)."""
    free: list[int] = []
    for n in lengths:
        for b, space in enumerate(free):
            if space >= n:
                free[b] -= n
                break
        else:
            free.append(capacity - n)
    return len(free)


def next_fit(lengths: list[int], capacity: int) -> int:
    """Rows used by concatenating samples in arrival order, starting a new row when one does not fit."""
    rows, space = 0, 0
    for n in lengths:
        if n > space:
            rows, space = rows + 1, capacity
        space -= n
    return rows


def packing_table(lengths: list[int]) -> str:
    from backend.data.packing import pack_lengths

    rows = ["| cutoff | setup | rows | efficiency |", "|---:|---|---:|---:|"]
    for cutoff in CUTOFFS:
        cut = [min(n, cutoff) for n in lengths]
        tokens = sum(cut)
        t = time.perf_counter()
        studio = len(pack_lengths(cut, cutoff))
        took = time.perf_counter() - t
        padded = sum(BATCH * max(cut[i : i + BATCH]) for i in range(0, len(cut), BATCH))
        setups = [
            (f"studio `pack_lengths` (best-fit decreasing, {took * 1000:.0f} ms)", studio * cutoff),
            ("first-fit, arrival order", first_fit(cut, cutoff) * cutoff),
            ("next-fit, arrival order (concatenate)", next_fit(cut, cutoff) * cutoff),
            (f"no packing (batches of {BATCH} padded to their longest)", padded),
        ]
        for name, capacity in setups:
            nrows = len(cut) if name.startswith("no packing") else capacity // cutoff
            rows.append(f"| {cutoff} | {name} | {nrows} | {tokens / capacity:.1%} |")
    return "\n".join(rows)


def tiny_tokenizer():
    """The builtin tiny tokenizer (trained from the samples into a temporary home), without length warnings."""
    from transformers import AutoTokenizer

    from backend.builtin import ensure_tiny_tokenizer

    with tempfile.TemporaryDirectory() as home:
        tokenizer = AutoTokenizer.from_pretrained(ensure_tiny_tokenizer(Path(home)))
    tokenizer.model_max_length = 1 << 30  # long conversations are the point here, not a mistake
    return tokenizer


def naive_ids(tokenizer, convs: list[list[dict]]) -> int:
    return sum(len(tokenizer.apply_chat_template(m, tokenize=True, return_dict=False)) for m in convs)


def naive_masked(tokenizer, convs: list[list[dict]]) -> int:
    """ids and labels per record: the ids of every prefix ending in an assistant turn place the mask."""
    tokens = 0
    for messages in convs:
        ids = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=False)
        labels, start = [-100] * len(ids), 0
        for i, m in enumerate(messages):
            if m["role"] == "assistant":
                prompt = tokenizer.apply_chat_template(messages[:i], tokenize=True, add_generation_prompt=True,
                                                       return_dict=False)  # fmt: skip
                end = len(tokenizer.apply_chat_template(messages[: i + 1], tokenize=True, return_dict=False))
                start = len(prompt)
                labels[start:end] = ids[start:end]
        tokens += len(ids)
    return tokens


def studio(tokenizer, ds, spec) -> int:
    from backend.data.build import tokenise_chat

    out = tokenise_chat(ds, spec, tokenizer)
    return sum(len(x) for x in out["input_ids"])


def tokenise_table(convs: list[list[dict]], rounds: int) -> tuple[str, str]:
    import datasets

    from backend.spec import spec_from_dict

    datasets.disable_caching()  # every round tokenises anew
    datasets.disable_progress_bars()
    tokenizer = tiny_tokenizer()
    spec = spec_from_dict({"data": {"sources": [{"path": "x.jsonl"}], "cutoff_len": 16384, "packing": False}})
    ds = datasets.Dataset.from_list([{"messages": m} for m in convs])
    runs = {
        "studio `tokenise_chat` (ids + loss mask, datasets.map)": lambda: studio(tokenizer, ds, spec),
        "per-record `apply_chat_template(tokenize=True)` (ids only)": lambda: naive_ids(tokenizer, convs),
        "per-record `apply_chat_template` on each assistant prefix (ids + loss mask)": lambda: naive_masked(
            tokenizer, convs
        ),
    }
    best, tokens = dict.fromkeys(runs, float("inf")), {}
    for r in range(rounds):
        for name in list(runs) if r % 2 == 0 else list(runs)[::-1]:
            t = time.perf_counter()
            tokens[name] = runs[name]()
            best[name] = min(best[name], time.perf_counter() - t)
    ours = next(iter(runs))
    rows = ["| setup | tokens | best time s | tokens/s | studio speed / this |", "|---|---:|---:|---:|---:|"]
    for name in runs:
        rate = tokens[name] / best[name]
        rows.append(f"| {name} | {tokens[name]} | {best[name]:.2f} | {rate:,.0f} | {best[name] / best[ours]:.2f}x |")
    return "\n".join(rows), f"{len(convs)} conversations, best of {rounds} alternating rounds"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--write", action="store_true", help="update the data sections of BENCHMARKS.md")
    args = ap.parse_args()
    load_start = os.getloadavg()[0]
    convs = generate(args.records)
    tokenizer = tiny_tokenizer()
    lengths = [len(tokenizer.apply_chat_template(m, tokenize=True, return_dict=False)) for m in convs]
    s = sorted(lengths)
    dist = (f"{len(s)} conversations, {sum(s)} tokens; tokens per conversation: p50 {s[len(s) // 2]}, "
            f"p90 {s[int(0.9 * len(s))]}, p99 {s[int(0.99 * len(s))]}, max {s[-1]}")  # fmt: skip
    pack = packing_table(lengths)
    print(dist + "\n\n" + pack + "\n")
    tok, tok_note = tokenise_table(convs, args.rounds)
    load = f"{load_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    print(tok + "\n\n" + tok_note + f"; load average {load}")
    if args.write:
        _write(args, dist, pack, tok, tok_note, load)
    return 0


_PACK_NOTE = """\
Packing removes nearly all padding: without it, a batch of 8 long-tailed conversations is mostly
padding (39-69% efficiency). Best-fit decreasing beats first-fit in arrival order by 0.9-1.8 points
and a plain concatenation (next-fit) by about 20 points, in a few milliseconds for 3,000 samples.
The rows it saves turn directly into fewer training steps for the same tokens.
"""

_TOKENISE_NOTE = """\
`tokenise_chat` also builds the loss mask, which the ids-only loop does not; against a loop that
builds the same mask by tokenising every assistant prefix, it is the faster one. The mask is read off
the rendering of the whole conversation (issue 14): one render with every message swapped for a
sentinel places each message when the template writes contents verbatim (ChatML, Llama 3 …); then
each assistant turn costs one render of its generation prompt (plus one for the end-of-turn text of a
turn that is not the last). Templates that transform replies (trim, drop reasoning) fall back to one
render per reply and per message before it. Without that one-render path the mask cost 0.29x of the
ids-only loop instead of 0.57x (1,000 conversations, same session).
"""


def _write(args, dist: str, pack: str, tok: str, tok_note: str, load) -> None:
    import tokenizers
    import transformers

    day, command = time.strftime("%Y-%m-%d"), f"`python bench/data_pipeline.py --records {args.records} " \
        f"--rounds {args.rounds} --write`"  # fmt: skip
    data = (f"Data: {dist} (generated from `data/samples/sft_*.json*`, log-normal lengths; tokens of the "
            "builtin tiny tokenizer, vocab 8192).")  # fmt: skip
    replace_section(
        "## Packing efficiency",
        f"## Packing efficiency ({day})\n\n{machine_line()}; 1-minute load average {load}.\n{data}\n"
        f"Command: {command}\n\nEfficiency is the share of row capacity (rows x cutoff, or batch x longest "
        f"without packing) that holds tokens; samples longer than the cutoff are truncated to it.\n\n{pack}\n\n"
        + _PACK_NOTE,
    )
    replace_section(
        "## Tokenisation throughput",
        f"## Tokenisation throughput ({day})\n\n{machine_line()}; transformers {transformers.__version__}, "
        f"tokenizers {tokenizers.__version__}; 1-minute load average {load}.\n{data} No truncation "
        f"(cutoff 16384), no packing; {tok_note}.\nCommand: {command}\n\n{tok}\n\n" + _TOKENISE_NOTE,
    )


if __name__ == "__main__":
    sys.exit(main())
