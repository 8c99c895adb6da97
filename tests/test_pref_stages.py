"""Preference stages (rm, dpo, kto, orpo): they learn a held-out preference, run through the real
entry point, save adapters and events, and refuse data of the wrong format with a data error."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import yaml

from backend.events import read_events
from backend.spec import SpecError, spec_from_dict

NAMES = ["Anna", "Ben", "Chen", "Dana", "Eli", "Fang", "Gus", "Hana", "Ivan", "Jun", "Kai", "Lena", "Mia", "Noah"]
TASKS = ["close the door", "send the report", "call the client", "water the plants", "book a room",
         "check the numbers", "bring the keys", "fix the printer", "read the notes", "clean the desk"]  # fmt: skip
POLITE, RUDE = ["please", "kindly"], ["hurry", "now"]


@pytest.fixture(autouse=True)
def one_thread():
    """The tiny model gains nothing from a second thread, and on a busy shared 2-core runner two threads
    were measured 5-10x slower than one (oversubscription)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def polite_pairs(path: Path, n: int = 200, seed: int = 0) -> Path:
    """A learnable preference: the chosen reply asks politely, the rejected one does not; otherwise the two
    are the same words, so neither length nor content gives the answer away."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        for _ in range(n):
            name, task = rng.choice(NAMES), rng.choice(TASKS)
            pair = {
                "prompt": f"Ask {name} to {task}.",
                "chosen": f"{name}, {rng.choice(POLITE)} {task}.",
                "rejected": f"{name}, {rng.choice(RUDE)} {task}.",
            }
            f.write(json.dumps(pair) + "\n")
    return path


def job(stage: str, source: str, method: str = "lora", **train) -> dict:
    return {
        "stage": stage,
        "model": {"name_or_path": "builtin:tiny-llama"},
        "method": {"type": method, "lora": {"rank": 8, "alpha": 16}},
        "data": {"sources": [{"path": source}], "cutoff_len": 128, "val_size": 40},
        "train": {"per_device_batch_size": 8, "logging_steps": 4, "lr_scheduler": "constant", **train},
    }


def run_stage(tmp_path: Path, spec: dict) -> tuple[int, list[dict], Path]:
    """Run the trainer entry point in this process on a run directory holding ``spec``."""
    from backend.train.__main__ import main

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "job.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    code = main([str(run_dir)])
    return code, read_events(run_dir / "events.jsonl"), run_dir


def result_of(code: int, events: list[dict]) -> dict:
    assert code == 0, [e for e in events if e["type"] in ("error", "log")][-3:]
    assert events[-1] == {**events[-1], "type": "status", "state": "succeeded"}
    return next(e for e in events if e["type"] == "result")["metrics"]


def saved_tensors(folder: Path) -> list[str]:
    from safetensors import safe_open

    files = sorted(folder.glob("*.safetensors"))
    assert files, f"no safetensors in {folder}"
    assert not (folder / "training_args.bin").exists() and not list(folder.glob("*.bin"))
    names = []
    for file in files:
        with safe_open(file, "pt") as f:
            names += list(f.keys())
    return names


@pytest.mark.slow
def test_reward_model_ranks_held_out_pairs(tmp_path, tiny_model):
    data = polite_pairs(tmp_path / "pairs.jsonl")
    code, events, run_dir = run_stage(tmp_path, job("rm", str(data), max_steps=24, learning_rate=5e-3))
    metrics = result_of(code, events)
    assert metrics["eval_pair_accuracy"] >= 0.9, metrics
    assert metrics["eval_pair_margin_mean"] > 0 and metrics["eval_pair_margin_std"] >= 0
    exact = [e for e in events if e["type"] == "metric" and "eval_pair_accuracy" in e]
    assert exact and exact[-1]["eval_pair_accuracy"] == metrics["eval_pair_accuracy"]
    # The new score head is trained in full beside the adapter and saved with it.
    names = saved_tensors(run_dir / "adapter")
    assert any("score" in n for n in names) and any("lora_A" in n for n in names)
    assert (run_dir / "adapter" / "tokenizer_config.json").exists()
    assert reload_scores(run_dir / "adapter", tiny_model, "Ask Noah to pay the bill.", "Noah, please pay the bill.",
                         "Noah, hurry pay the bill.") > 0  # fmt: skip


def reload_scores(adapter: Path, base: Path, prompt: str, chosen: str, rejected: str) -> float:
    """r(chosen) - r(rejected) from the saved reward adapter, loaded the way a later stage loads it."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(adapter)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    model.config.pad_token_id = tokenizer.pad_token_id
    model = PeftModel.from_pretrained(model, adapter).eval()
    scores = []
    for reply in (chosen, rejected):
        chat = [{"role": "user", "content": prompt}, {"role": "assistant", "content": reply}]
        ids = tokenizer.apply_chat_template(chat, return_tensors="pt", return_dict=True)
        with torch.no_grad():
            scores.append(model(**ids).logits[0, 0].item())
    return scores[0] - scores[1]


@pytest.mark.slow
def test_dpo_learns_the_held_out_preference(tmp_path, tiny_model):
    data = polite_pairs(tmp_path / "pairs.jsonl")
    spec = job("dpo", str(data), max_steps=16, learning_rate=5e-3)
    spec["pref"] = {"beta": 0.1, "loss_type": "sigmoid"}
    metrics = result_of(*run_stage(tmp_path, spec)[:2])
    before, after = metrics["before_eval_pref_accuracy"], metrics["eval_pref_accuracy"]
    # Implicit reward: beta * (log pi - log pi_ref); every margin is 0 before training.
    assert metrics["eval_reward_accuracy"] >= 0.9, metrics
    assert metrics["eval_reward_margin_mean"] > 0
    assert after >= 0.9 and after - before >= 0.25, (before, after)


@pytest.mark.slow
@pytest.mark.parametrize(
    "stage, source, method",
    [
        ("kto", "builtin:samples/kto.jsonl", "lora"),
        ("orpo", "builtin:samples/preference.jsonl", "lora"),
        ("dpo", "builtin:samples/preference.jsonl", "full"),  # the reference is a frozen copy, not the base
    ],
)
def test_stage_runs_through_the_entry_point(tmp_path, tiny_model, stage, source, method):
    spec = job(stage, source, method, max_steps=3, learning_rate=1e-3, logging_steps=1)
    spec["data"]["val_size"] = 6
    spec["train"]["per_device_batch_size"] = 4
    code, events, run_dir = run_stage(tmp_path, spec)
    metrics = result_of(code, events)
    kinds = {e["type"] for e in events}
    assert {"progress", "metric", "result"} <= kinds
    losses = [e["loss"] for e in events if e["type"] == "metric" and "loss" in e]
    assert len(losses) == 3 and all(loss == loss for loss in losses)  # three steps, no NaN
    assert "eval_loss" in metrics
    if stage == "dpo":  # three steps moved the policy away from its frozen reference
        assert metrics["eval_reward_margin_std"] > 0 and metrics["before_eval_pref_accuracy"] >= 0
    out = run_dir / ("adapter" if method == "lora" else "model")
    assert next(e for e in events if e["type"] == "result")["output_dir"] == str(out)
    names = saved_tensors(out)
    assert any("lora_" in n for n in names) == (method == "lora")
    assert (out / "chat_template.jinja").exists() or "chat_template" in (out / "tokenizer_config.json").read_text()


@pytest.mark.slow
def test_qlora_dpo_trains_with_fp32_compute(tmp_path, tiny_model):
    # TRL keeps QLoRA adapters in bf16; with fp32 compute (CPU) the stage casts them back, or the first matmul fails.
    spec = job("dpo", "builtin:samples/preference.jsonl", "qlora", max_steps=2, learning_rate=1e-3, logging_steps=1)
    spec["data"]["val_size"] = 0  # bitsandbytes' CPU eval path cannot pack the tiny model's 688-wide layers
    spec["train"]["per_device_batch_size"] = 2
    code, events, run_dir = run_stage(tmp_path, spec)
    result_of(code, events)
    assert any("lora_" in n for n in saved_tensors(run_dir / "adapter"))


def test_wrong_data_format_is_a_data_error(tmp_path, tiny_model):
    code, events, _ = run_stage(tmp_path, job("dpo", "builtin:samples/sft_messages.jsonl", max_steps=1))
    assert code == 1
    error = next(e for e in events if e["type"] == "error")
    assert error["kind"] == "data"
    assert "'messages' data" in error["message"] and "dpo stage needs 'preference'" in error["message"]
    assert "data.sources[0].format" in error["message"]


def test_kto_takes_unpaired_labels_and_preference_pairs(tiny_model):
    from backend.data.pairs import load_pairs

    spec = spec_from_dict(job("kto", "builtin:samples/preference.jsonl", max_steps=1) | {"data": {
        "sources": [{"path": "builtin:samples/preference.jsonl"}, {"path": "builtin:samples/kto.jsonl"}]}})  # fmt: skip
    train, val = load_pairs(spec)
    assert val is None and len(train) == 2 * 30 + 26
    assert set(train.column_names) == {"prompt", "completion", "label"}
    first = train[0]
    assert first["prompt"][-1]["role"] == "user" and first["completion"][0]["role"] == "assistant"
    assert sum(train["label"][:60]) == 30  # each pair gave one desirable and one undesirable reply


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"model": {"from_scratch": True}, "method": {"type": "full"}}, "model.from_scratch"),
        ({"data": {"sources": [{"path": "x.jsonl"}], "streaming": True, "val_size": 0}}, "data.streaming"),
    ],
)
def test_preference_stages_refuse_what_they_cannot_do(patch, field):
    spec = job("dpo", "x.jsonl", max_steps=5) | patch
    with pytest.raises(SpecError) as info:
        spec_from_dict(spec)
    assert field in dict(info.value.errors)
