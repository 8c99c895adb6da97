"""The evaluators (backend/eval/evaluators.py, eval_choice.py), `studio eval` and the training-time EvalCallback.

Figures are checked against hand computations on the tiny model; single-choice accuracy must rise from
chance to near 100% on held-out questions after a short SFT on a task the tiny model can learn (the answer
letter is fixed by a keyword in the question), which no scorer that ignores the model could pass.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from backend.events import EventWriter, read_events

# The synthetic task: a keyword in the question decides the answer letter; options are random filler.
EN_KEYS = {"red": 0, "crimson": 0, "blue": 1, "azure": 1, "green": 2, "olive": 2, "gold": 3, "amber": 3}
ZH_KEYS = {"猫": 0, "虎": 0, "狗": 1, "狼": 1, "鸟": 2, "鹰": 2, "鱼": 3, "鲸": 3}
EN_FILL = ["river", "table", "music", "window", "garden", "paper", "winter", "cloud", "market", "school"]
ZH_FILL = ["山", "水", "书", "花", "米", "田", "风", "雨", "门", "车"]


def keyword_question(rng: random.Random, subject: str, keyword: str | None = None) -> dict:
    """A short question whose keyword fixes the answer letter; the four options are random filler words.

    The keyword is said several times: a random-init model then sees it even before it has learned where
    to look, so a short SFT escapes the plateau at chance (once, it stayed there for 80 steps).
    """
    keys, fill = (EN_KEYS, EN_FILL) if subject == "colour" else (ZH_KEYS, ZH_FILL)
    kw = keyword or rng.choice(list(keys))
    question = f"Topic: {', '.join([kw] * 6)}." if subject == "colour" else f"话题：{'、'.join([kw] * 6)}。"
    return {"question": question, "choices": rng.sample(fill, 4), "answer": keys[kw], "subject": subject}


def run_eval(*args: str, home: Path):
    """``studio eval ...`` in a subprocess (``python -m cli``, whose table mounts cli/eval.py's parser)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "STUDIO_HOME": str(home)}
    cmd = [sys.executable, "-m", "cli", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny(tiny_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from backend.data.templates import resolve_template

    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model).eval()
    return model, tok, resolve_template(tok, "auto")


CHATS = [
    [{"role": "user", "content": "中国的首都是哪里？"}, {"role": "assistant", "content": "北京。"}],
    [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Name a primary colour, please, in one word only."},
        {"role": "assistant", "content": "Blue"},
    ],
]


def hand_nll(model, ids: list[int], start: int) -> tuple[float, int]:
    """Summed NLL of tokens ids[start:] given what precedes each, from one unpadded forward pass."""
    import torch

    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), -1)
    return -sum(logp[t - 1, ids[t]].item() for t in range(start, len(ids))), len(ids) - start


def test_perplexity_is_the_token_weighted_nll_of_assistant_tokens(tiny, tmp_path):
    from backend.data.templates import render
    from backend.eval.evaluators import perplexity

    model, tok, tmpl = tiny
    data = write_jsonl(tmp_path / "chat.jsonl", [{"messages": m} for m in CHATS])
    total, count, everything = 0.0, 0, 0.0
    for messages in CHATS:
        full = tok(render(tok, messages, tmpl), add_special_tokens=False)["input_ids"]
        prompt = tok(render(tok, messages[:-1], tmpl, True), add_special_tokens=False)["input_ids"]
        assert full[: len(prompt)] == prompt
        nll, n = hand_nll(model, full, len(prompt))  # the reply, its <|im_end|> and newline
        total, count = total + nll, count + n
        everything += hand_nll(model, full, 1)[0]
    got = perplexity(model, tok, data, tmpl, cutoff_len=512, batch_size=2)  # padded batch of both
    assert got["tokens"] == count and got["records"] == 2
    assert got["nll"] == pytest.approx(total / count, rel=1e-5)
    assert got["perplexity"] == pytest.approx(math.exp(total / count), rel=1e-5)
    # Prompt tokens are masked: counting them would give a different figure.
    assert abs(got["nll"] - everything / sum(len(tok(render(tok, m, tmpl))["input_ids"]) - 1 for m in CHATS)) > 1e-3


def test_perplexity_of_text_counts_every_token_and_cuts_long_documents(tiny, tmp_path):
    from backend.eval.evaluators import perplexity

    model, tok, tmpl = tiny
    texts = ["长城是中国古代的军事防御工程。", "A rainbow is an arc of colours in the sky after rain."]
    data = write_jsonl(tmp_path / "text.jsonl", [{"text": t} for t in texts])
    total = count = 0
    for t in texts:
        ids = tok(t, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        nll, n = hand_nll(model, ids, 1)
        total, count = total + nll, count + n
    got = perplexity(model, tok, data, tmpl, cutoff_len=512, batch_size=1)
    assert got["tokens"] == count and got["nll"] == pytest.approx(total / count, rel=1e-5)
    cut = perplexity(model, tok, data, tmpl, cutoff_len=8, batch_size=3)
    assert cut["rows"] > 2 and cut["tokens"] < count  # each 8-token piece starts without context, as in training


def test_choice_scores_letters_per_subject_and_matches_an_unpadded_pass(tiny, tmp_path):
    import torch

    from backend.eval.choice import LETTERS, build_prompt, choice_accuracy, letter_ids

    model, tok, tmpl = tiny
    rng = random.Random(3)
    folder = tmp_path / "ceval"
    folder.mkdir()
    write_jsonl(folder / "colour_val.jsonl", [keyword_question(rng, "colour") for _ in range(5)])
    # C-Eval layout: option columns, letter answers, no subject key: the file name is the subject.
    write_jsonl(folder / "animal_val.jsonl", [
        {"question": q["question"], **dict(zip("ABCD", q["choices"], strict=True)), "answer": LETTERS[q["answer"]]}
        for q in (keyword_question(rng, "animal") for _ in range(4))
    ])  # fmt: skip
    result = choice_accuracy(model, tok, folder, tmpl, batch_size=3)
    assert {k: v["total"] for k, v in result["subjects"].items()} == {"animal": 4, "colour": 5}
    assert result["total"] == 9 and result["correct"] == sum(p["correct"] for p in result["predictions"])
    first = result["predictions"][0]
    assert first["where"].endswith("animal_val.jsonl:1") and first["subject"] == "animal"
    # The same question scored alone, without padding, gives the same letter probabilities.
    from backend.eval.data import read_records

    record = read_records(folder, "choice")[0].value
    prompt, sep = build_prompt(tok, record, [], tmpl)
    assert "以下是单项选择题" in prompt and prompt.endswith("<|im_start|>assistant\n")
    ids = letter_ids(tok, prompt, sep, 4)
    with torch.no_grad():
        logits = model(torch.tensor([tok(prompt, add_special_tokens=False)["input_ids"]])).logits[0, -1]
    assert first["probs"] == pytest.approx(torch.softmax(logits[ids], -1).tolist(), abs=1e-4)
    # Few-shot: earlier turns of the same subject, never the question itself.
    shot = choice_accuracy(model, tok, folder, tmpl, few_shot=2, batch_size=4)
    assert shot["total"] == 9
    prompt2, _ = build_prompt(tok, record, [read_records(folder, "choice")[1].value], tmpl)
    assert prompt2.count("<|im_start|>user") == 2 and prompt2.count("<|im_start|>assistant") == 2
    plain, sep = build_prompt(tok, record, [], "none")
    assert plain.endswith("答案：") and sep == ""


def test_generation_writes_outputs_beside_references(tiny, tmp_path):
    import torch

    from backend.data.templates import render
    from backend.eval.evaluators import generate_samples

    model, tok, tmpl = tiny
    prompts = [{"prompt": "用一句话介绍长城。", "reference": "长城是古代防御工程。"},
               {"prompt": "Say hi.", "reference": None},
               {"messages": CHATS[1]}]  # fmt: skip
    data = write_jsonl(tmp_path / "prompts.jsonl", prompts[:2])
    out = tmp_path / "gen" / "out.jsonl"
    result = generate_samples(model, tok, data, tmpl, max_new_tokens=6, out_path=out, batch_size=2)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert result["samples"] == 2 and [x["reference"] for x in lines] == ["长城是古代防御工程。", None]
    assert all(x["output"] and x["tokens"] <= 6 for x in lines)
    assert result["char_f1"] is not None and 0 <= result["char_f1"] <= 1  # over the one prompt with a reference
    # Left padding changes nothing: the first prompt alone, greedy, gives the same text.
    text = render(tok, [{"role": "user", "content": prompts[0]["prompt"]}], tmpl, True)
    ids = tok(text, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        alone = model.generate(**ids, max_new_tokens=6, do_sample=False, pad_token_id=tok.pad_token_id)
    assert lines[0]["output"] == tok.decode(alone[0, ids["input_ids"].shape[1] :], skip_special_tokens=True).strip()
    # A chat record is a prompt too: its last assistant turn is the reference.
    chat = generate_samples(model, tok, write_jsonl(tmp_path / "c.jsonl", prompts[2:]), tmpl, max_new_tokens=2)
    assert chat["outputs"][0]["reference"] == "Blue" and chat["outputs"][0]["prompt"][-1]["role"] == "user"


def pair(rng: random.Random, good: bool) -> str:
    words = ["great", "lovely", "excellent", "wonderful"] if good else ["awful", "terrible", "horrible", "bad"]
    return " ".join(rng.sample(words, 2)) + "."


def preference_pairs(rng: random.Random, n: int) -> list[dict]:
    return [{"prompt": f"Review {i}: how was it?", "chosen": pair(rng, True), "rejected": pair(rng, False)}
            for i in range(n)]  # fmt: skip


def test_reward_accuracy_on_a_separable_case(tiny_tokenizer, tmp_path, studio_home):
    import torch
    from transformers import LlamaConfig, LlamaForSequenceClassification

    from backend.data.templates import render, resolve_template
    from backend.eval.evaluators import reward_accuracy

    tok = tiny_tokenizer
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=2, num_labels=1, pad_token_id=tok.pad_token_id)  # fmt: skip
    model = LlamaForSequenceClassification(config)
    rng = random.Random(0)
    train, test = preference_pairs(rng, 32), preference_pairs(rng, 24)
    data = write_jsonl(tmp_path / "pairs.jsonl", test)
    before = reward_accuracy(model.eval(), tok, data)
    tmpl = resolve_template(tok, "auto")
    texts = [render(tok, [{"role": "user", "content": p["prompt"]}, {"role": "assistant", "content": p[k]}], tmpl)
             for p in train for k in ("chosen", "rejected")]  # fmt: skip
    enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(30):  # Bradley-Terry loss: -log sigmoid(chosen - rejected)
        scores = model(**enc).logits[:, 0]
        loss = -torch.nn.functional.logsigmoid(scores[0::2] - scores[1::2]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = reward_accuracy(model.eval(), tok, data, batch_size=5)
    assert after["pairs"] == 24 and after["accuracy"] == 1.0, (before["accuracy"], after["accuracy"])
    assert before["margin_mean"] < after["margin_mean"]
    margins = [d["margin"] for d in after["pairs_detail"]]
    assert after["margin_mean"] == pytest.approx(sum(margins) / 24)
    assert after["margin_std"] == pytest.approx(float(torch.tensor(margins).std(unbiased=False)), rel=1e-5)
    # The same through `studio eval` on the saved model.
    model.save_pretrained(tmp_path / "rm")
    tok.save_pretrained(tmp_path / "rm")
    proc = run_eval("eval", str(tmp_path / "rm"), "--task", "reward", "--data", str(data), "--json", home=studio_home)
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    assert doc["metrics"]["accuracy"] == 1.0 and Path(doc["file"]).is_file()


def test_cli_errors_are_one_line_with_exit_2(studio_home, tiny_model):
    cases = [
        (["eval", "no-such-run", "--task", "ppl", "--data", "builtin:samples/pretrain_zh_en.jsonl"], "no-such-run"),
        (["eval", "builtin:tiny-llama", "--task", "choice", "--data", "builtin:samples/sft_messages.jsonl"],
         "'messages' data; --task choice needs single-choice records"),
        (["eval", "builtin:tiny-llama", "--task", "reward", "--data", "builtin:samples/preference.jsonl"],
         "is not a reward model"),
        (["eval", "builtin:tiny-llama", "--task", "ppl", "--data", "/nonexistent.jsonl"], "no such file"),
    ]  # fmt: skip
    for args, expected in cases:
        proc = run_eval(*args, home=studio_home)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2, proc.stderr[-2000:]
        assert lines[-1].startswith("error: ") and expected in lines[-1], lines[-1]
        assert "Traceback" not in proc.stderr


def _sft_spec(data: Path, steps: int) -> dict:
    return {
        "stage": "sft",
        "model": {"name_or_path": "builtin:tiny-llama"},
        "method": {"type": "full"},
        "data": {"sources": [{"path": str(data)}], "cutoff_len": 512, "packing": True, "val_size": 0},
        "train": {"max_steps": steps, "per_device_batch_size": 4, "learning_rate": 3.0e-3, "warmup_ratio": 0.05,
                  "lr_scheduler": "constant_with_warmup",
                  "logging_steps": 20, "eval_steps": 0, "seed": 0},
        "output": {"run_name": "learn-choice"},
    }  # fmt: skip


@pytest.mark.slow
@pytest.mark.scale  # heavier end to end: make test-scale (CI runs both), keeps make test in its budget
def test_choice_accuracy_rises_after_sft_and_is_stored_with_the_run(tiny, tmp_path, studio_home):
    from backend.eval.choice import choice_accuracy, choice_messages
    from backend.train.__main__ import main

    model, tok, tmpl = tiny
    rng = random.Random(7)
    held = [keyword_question(rng, s, kw) for s, keys in (("colour", EN_KEYS), ("animal", ZH_KEYS))
            for kw in keys for _ in range(5)]  # fmt: skip
    seen = {(q["question"], tuple(q["choices"])) for q in held}
    train = [q for s in ("colour", "animal") for q in (keyword_question(rng, s) for _ in range(1600))
             if (q["question"], tuple(q["choices"])) not in seen]  # fmt: skip
    held_file = write_jsonl(tmp_path / "held.jsonl", held)
    # One question per conversation: in a multi-question one, earlier keywords would blur the signal.
    convs = [choice_messages(q) for q in train]
    chat = write_jsonl(tmp_path / "train.jsonl", [{"messages": m} for m in convs])
    before = choice_accuracy(model, tok, held_file, tmpl)
    assert before["accuracy"] <= 0.45, before["accuracy"]  # chance is 25%; answers are balanced

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    spec = _sft_spec(chat, 200)
    # The spec's eval section scores the held-out file while training, through the real stage.
    spec["eval"] = {"choice_data": str(held_file), "every_steps": 100}
    (run_dir / "job.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    assert main([str(run_dir)]) == 0, read_events(run_dir / "events.jsonl")[-3:]
    during = [e for e in read_events(run_dir / "events.jsonl") if e["type"] == "metric" and "eval_choice_acc" in e]
    assert [e["step"] for e in during] == [100, 200] and during[-1]["eval_choice_acc"] >= 0.8, during

    proc = run_eval("eval", str(run_dir), "--task", "choice", "--data", str(held_file), home=studio_home)
    assert proc.returncode == 0, proc.stderr[-2000:]
    stored = list((run_dir / "eval").glob("choice-*.json"))
    assert len(stored) == 1, proc.stdout
    after = json.loads(stored[0].read_text(encoding="utf-8"))["metrics"]
    print(f"held-out choice accuracy: before {before['accuracy']:.0%}, after {after['accuracy']:.0%}")
    print(proc.stdout)
    assert after["accuracy"] >= 0.8 and after["accuracy"] - before["accuracy"] >= 0.4, after["accuracy"]
    assert all(s["accuracy"] >= 0.6 for s in after["subjects"].values()), after["subjects"]
    assert "accuracy" in proc.stdout and "animal" in proc.stdout and str(stored[0]) in proc.stdout


def test_eval_callback_emits_metrics_and_samples_with_a_plain_trainer(tiny_model, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

    from backend.data.packing import Collator
    from backend.data.templates import encode_chat, resolve_template
    from backend.eval.choice import choice_accuracy, choice_messages
    from backend.train.eval_callback import EvalCallback

    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    tmpl = resolve_template(tok, "auto")
    rng = random.Random(1)
    questions = [keyword_question(rng, "colour") for _ in range(28)]
    rows = [encode_chat(tok, choice_messages(q), tmpl, 256) for q in questions]
    choice_file = write_jsonl(tmp_path / "choice.jsonl", questions[:6])
    prompts = write_jsonl(tmp_path / "prompts.jsonl", [{"prompt": "Say hi.", "reference": "hi"}, {"prompt": "你好"}])
    events_path = tmp_path / "events.jsonl"
    with EventWriter(events_path) as events:
        callback = EvalCallback(events, tok, tmpl, every_n_steps=3, choice_path=choice_file, prompts_path=prompts,
                                max_new_tokens=4, out_dir=tmp_path / "eval")  # fmt: skip
        args = TrainingArguments(output_dir=str(tmp_path / "out"), max_steps=7, per_device_train_batch_size=4,
                                 learning_rate=1e-3, report_to=[], use_cpu=True, save_strategy="no",
                                 logging_steps=100, disable_tqdm=True)  # fmt: skip
        trainer = Trainer(model=model, args=args, train_dataset=rows, data_collator=Collator(tok.pad_token_id),
                          callbacks=[callback])  # fmt: skip
        trainer.train()
    metrics = [e for e in read_events(events_path) if e["type"] == "metric"]
    logs = [e for e in read_events(events_path) if e["type"] == "log"]
    assert [e["step"] for e in metrics] == [3, 6, 7]  # every 3 steps, then once at the end
    assert all(0 <= e["eval_choice_acc"] <= 1 and "eval_gen_char_f1" in e for e in metrics)
    assert [len(e["samples"]) for e in logs] == [2, 2, 2] and logs[-1]["samples"][0]["reference"] == "hi"
    assert sorted(p.name for p in (tmp_path / "eval").iterdir()) == [
        "generate-step3.jsonl", "generate-step6.jsonl", "generate-step7.jsonl"]  # fmt: skip
    assert model.training  # put back in training mode after each evaluation
    final = choice_accuracy(model.eval(), tok, choice_file, tmpl)
    assert metrics[-1]["eval_choice_acc"] == pytest.approx(final["accuracy"])
