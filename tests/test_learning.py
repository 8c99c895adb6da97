"""Learning, not just running: a held-out synthetic task goes from ~0% to >= 90% exact match.

The task: write a 3-digit number in Chinese numerals, digit by digit ("把数字写成中文：407" ->
"四零七"). 900 numbers train, 100 unseen numbers test, so a model can only pass by learning to read
each digit and map it, not by memorising. The tiny random-init model scores ~0% before; a short full
SFT through the real CLI path (registry, supervisor, accelerate, trainer) must reach >= 90%.
"""

from __future__ import annotations

import json
import random

import pytest
from conftest import run_cli

from backend.run.registry import Registry

NUMERALS = "零一二三四五六七八九"


def prompt(number: str) -> str:
    return f"把数字写成中文：{number}"


def answer(number: str) -> str:
    return "".join(NUMERALS[int(d)] for d in number)


def exact_match(model_dir, numbers) -> float:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    tok.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    texts = [
        tok.apply_chat_template([{"role": "user", "content": prompt(n)}], tokenize=False, add_generation_prompt=True)
        for n in numbers
    ]
    enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=8, do_sample=False)
    replies = tok.batch_decode(out[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    return sum(r.strip() == answer(n) for r, n in zip(replies, numbers, strict=True)) / len(numbers)


@pytest.mark.slow
@pytest.mark.scale  # heavier end to end: make test-scale (CI runs both), keeps make test in its budget
def test_sft_teaches_a_held_out_task(studio_home, tiny_model, tmp_path):
    rng = random.Random(1)
    numbers = [f"{i:03d}" for i in range(1000)]
    rng.shuffle(numbers)
    held_out, train = numbers[:100], numbers[100:]
    data = tmp_path / "numerals.jsonl"
    with open(data, "w", encoding="utf-8") as fh:
        for n in train:
            messages = [{"role": "user", "content": prompt(n)}, {"role": "assistant", "content": answer(n)}]
            fh.write(json.dumps({"messages": messages}, ensure_ascii=False) + "\n")
    job = tmp_path / "job.yaml"
    job.write_text(
        "# Full SFT of the tiny model on the numerals task.\n"
        "stage: sft\n"
        "model: {name_or_path: 'builtin:tiny-llama'}\n"
        "method: {type: full}\n"
        f"data: {{sources: [{{path: '{data}'}}], cutoff_len: 64, packing: true}}\n"
        "train: {max_steps: 400, per_device_batch_size: 8, learning_rate: 3.0e-3, warmup_ratio: 0.05, "
        "logging_steps: 50, seed: 0}\n"
        "output: {run_name: learn-numerals}\n",
        encoding="utf-8",
    )
    before = exact_match(tiny_model, held_out)
    assert before <= 0.05, before

    proc = run_cli("train", str(job), home=studio_home)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run = next(r for r in Registry(studio_home).list() if r.name == "learn-numerals")
    after = exact_match(run.path / "model", held_out)
    print(f"held-out exact match: before {before:.0%}, after {after:.0%}")
    assert after >= 0.90, after
