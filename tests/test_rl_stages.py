"""Online RL stages (ppo, grpo): rule rewards, prompts, reward-model loading, the PPO maths checked by
hand, and tiny CPU runs whose mean reward must rise clearly above the start, with KL reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import ROOT, run_cli

from backend.data.formats import DataError
from backend.events import read_events
from backend.spec import SpecError, apply_overrides, load_spec, spec_from_dict
from backend.train.ppo import completion_mask, gae, ppo_losses, whiten
from backend.train.rewards import RewardModelScorer, load_reward_model, parse_rule, parse_rules

# ------------------------------------------------------------------------------------ rule rewards


def test_rule_rewards_score_completions():
    contains, count, regex, length = parse_rules(["contains:谢谢", "count:ab", r"regex:\d{3}", "length:4"])
    texts = ["非常谢谢你", "ab ab abab", "call 123", "no"]
    assert contains(texts) == [1.0, 0.0, 0.0, 0.0]
    assert count(texts) == [0.0, 4.0, 0.0, 0.0]
    assert regex(texts) == [0.0, 0.0, 1.0, 0.0]
    # length counts completion tokens when TRL hands them over: 1 - |n - 4| / 4, floored at 0
    assert length(texts, completion_ids=[[1] * 4, [1] * 2, [1] * 6, [1] * 12]) == [1.0, 0.5, 0.5, 0.0]
    # TRL's conversational completions are message lists: the last message's content is scored
    assert contains([[{"role": "assistant", "content": "谢谢"}]]) == [1.0]
    assert contains.__name__ == "contains:谢谢"


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("eval:1+1", "unknown rule"),
        ("contains", "unknown rule"),
        ("contains:", "empty argument"),
        ("regex:(", "invalid regular expression"),
        ("length:abc", "positive whole number"),
        ("length:0", "positive whole number"),
    ],
)
def test_bad_rules_name_the_field(rule, words):
    with pytest.raises(SpecError) as info:
        parse_rules(["contains:ok", rule])
    assert "rl.reward_functions[1]" in str(info.value) and words in str(info.value)


def test_regex_rule_is_matched_not_evaluated():
    rule = parse_rule("regex:__import__\\('os'\\)")
    assert rule(["__import__('os')", "print(1)"]) == [1.0, 0.0]


# --------------------------------------------------------------------------------------- the maths


def test_gae_matches_a_hand_computation():
    rewards = torch.tensor([[0.0, 0.5, 1.0, 9.0]])
    values = torch.tensor([[0.2, 0.4, 0.6, 9.0]])
    mask = torch.tensor([[1, 1, 1, 0]])  # the last position is past the stop token: ignored
    gamma, lam = 0.9, 0.8
    d2 = 1.0 - 0.6  # terminal: no next value
    d1 = 0.5 + gamma * 0.6 - 0.4
    d0 = 0.0 + gamma * 0.4 - 0.2
    a2 = d2
    a1 = d1 + gamma * lam * a2
    a0 = d0 + gamma * lam * a1
    adv, ret = gae(rewards, values, mask, gamma, lam)
    assert adv[0].tolist() == pytest.approx([a0, a1, a2, 0.0])
    assert ret[0].tolist() == pytest.approx([a0 + 0.2, a1 + 0.4, a2 + 0.6, 0.0])


def test_whiten_uses_only_masked_positions():
    x = torch.tensor([[1.0, 2.0, 3.0, 100.0]])
    mask = torch.tensor([[1, 1, 1, 0]])
    std = (2 / 3) ** 0.5  # population std of 1, 2, 3
    assert whiten(x, mask)[0].tolist() == pytest.approx([-1 / std, 0.0, 1 / std, 0.0], abs=1e-5)


def test_completion_mask_keeps_the_first_stop_token():
    tokens = torch.tensor([[5, 6, 2, 7, 2], [5, 6, 7, 8, 9], [2, 3, 3, 3, 3]])
    assert completion_mask(tokens, [2]).tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]]


def test_ppo_losses_clip_the_ratio_and_the_value():
    mask = torch.ones(1, 2)
    old = torch.zeros(1, 2)
    new = torch.log(torch.tensor([[1.5, 0.9]]))  # ratio 1.5 (clipped at 1.2) and 0.9 (inside)
    adv = torch.tensor([[1.0, 1.0]])
    values, old_values, returns = torch.tensor([[1.0, 0.0]]), torch.zeros(1, 2), torch.tensor([[0.0, 1.0]])
    pg, vf, clip_frac, approx_kl = ppo_losses(new, old, adv, values, old_values, returns, mask, 0.2)
    assert pg.item() == pytest.approx(-(1.2 + 0.9) / 2)  # pessimistic: the clipped gain for the positive advantage
    # value 1.0 vs return 0: unclipped error 1, clipped (0.2) error 0.04 -> the max, 1; second: both (0-1)^2
    assert vf.item() == pytest.approx(0.5 * (1.0 + 1.0) / 2)
    assert clip_frac.item() == pytest.approx(0.5)
    assert approx_kl.item() == pytest.approx(
        0.5 * (torch.log(torch.tensor(1.5)) ** 2 + torch.log(torch.tensor(0.9)) ** 2).item() / 2
    )


# ------------------------------------------------------------------------------------------- prompts


def _spec(stage: str, sources: list[dict], **sections) -> object:
    return spec_from_dict({"stage": stage, "data": {"sources": sources}, **sections})


@pytest.mark.parametrize("optim, cls_name", [("adamw_torch", "AdamW"), ("sgd", "SGD"), ("adafactor", "Adafactor")])
def test_ppo_optimiser_follows_train_optim_as_the_estimate_counts(optim, cls_name):
    """PPO's own loop builds the optimiser of train.optim (it was always AdamW), with its learning rate and weight
    decay; its states take the bytes per parameter the memory estimate counts (policy and value head alike)."""
    from backend.memory import OPTIMIZER_BYTES, extra_models
    from backend.model_shape import ModelShape
    from backend.train.ppo import optimizer_factory

    spec = _spec("ppo", [{"path": "x.jsonl"}], train={"optim": optim, "learning_rate": 0.01, "weight_decay": 0.1})
    head = torch.nn.Linear(8, 1)
    opt = optimizer_factory(spec)(list(head.parameters()))
    assert type(opt).__name__ == cls_name
    assert (opt.param_groups[0]["lr"], opt.param_groups[0]["weight_decay"]) == (0.01, 0.1)
    before = head.weight.detach().clone()
    head(torch.ones(2, 8)).sum().backward()
    opt.step()
    assert not torch.equal(before, head.weight)
    if optim != "adafactor":  # the estimate counts Adafactor's factored moments as ~0 and says so
        state = sum(t.numel() * t.element_size() for s in opt.state.values() for t in s.values() if t.dim() > 0)
        assert state == OPTIMIZER_BYTES[optim] * 9
    shape = ModelShape(vocab=100, hidden=8, layers=1, heads=2, kv_heads=2, head_dim=4, intermediate=16, tied=True)
    parts, _ = extra_models(spec, shape, "fp32", world=1, zero=0)
    assert parts["value_head"] == 9 * (8 + OPTIMIZER_BYTES.get(optim, 0))


def test_prompts_from_generation_and_chat_records(tmp_path):
    from backend.data.prompts import load_prompts

    chat = tmp_path / "chat.jsonl"
    rows = [
        {
            "messages": [
                {"role": "system", "content": "s"},
                {"role": "user", "content": "q1"},
                {"role": "assistant", "content": "a1"},
                {"role": "user", "content": "q2"},
                {"role": "assistant", "content": "a2"},
            ]
        },  # fmt: skip
    ]
    chat.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    spec = _spec("grpo", [{"path": "builtin:samples/eval_prompts.jsonl"}, {"path": str(chat)}])
    prompts = load_prompts(spec)
    assert len(prompts) == 21
    assert [{"role": "user", "content": "用一句话介绍长城。"}] in prompts
    # a chat record gives the conversation up to its last user turn; the last reply is for the policy to write
    assert [m["content"] for m in next(p for p in prompts if p[-1]["content"] == "q2")] == ["s", "q1", "a1", "q2"]


def test_prompts_refuse_pretraining_text():
    from backend.data.prompts import load_prompts

    with pytest.raises(
        DataError, match=r"data.sources\[0\].format: .* is 'text' data; the ppo stage needs .*\(a prompt\)"
    ):
        load_prompts(_spec("ppo", [{"path": "builtin:samples/pretrain_zh_en.jsonl"}]))


# -------------------------------------------------------------------------------------- reward model


def _texts_scores(model, tokenizer, prompts, completions):
    texts = [
        tokenizer.apply_chat_template(p + [{"role": "assistant", "content": c}], tokenize=False)
        for p, c in zip(prompts, completions, strict=True)
    ]
    batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    with torch.no_grad():
        return model(**batch).logits[:, 0].tolist()


def test_reward_model_from_a_full_model_and_from_an_adapter(tmp_path, tiny_model, tiny_tokenizer):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForSequenceClassification

    prompts = [[{"role": "user", "content": "你好"}], [{"role": "user", "content": "Hi there"}]]
    completions = ["谢谢，很高兴见到你。", "Hello!"]
    torch.manual_seed(0)
    full = AutoModelForSequenceClassification.from_pretrained(tiny_model, num_labels=1).eval()
    full.save_pretrained(tmp_path / "rm-full" / "model")
    tiny_tokenizer.save_pretrained(tmp_path / "rm-full" / "model")
    spec = _spec(
        "ppo", [{"path": "builtin:samples/eval_prompts.jsonl"}], rl={"reward_model": str(tmp_path / "rm-full")}
    )
    model, tokenizer = load_reward_model(spec)
    scores = RewardModelScorer(model, tokenizer)(prompts, completions)
    assert scores == pytest.approx(_texts_scores(full, tiny_tokenizer, prompts, completions), abs=1e-5)
    assert scores[0] != pytest.approx(scores[1])

    # an rm run trained with LoRA saves the adapter and the score head (modules_to_save) in run/adapter
    base = AutoModelForSequenceClassification.from_pretrained(tiny_model, num_labels=1)
    peft = get_peft_model(base, LoraConfig(task_type="SEQ_CLS", r=4, target_modules=["q_proj", "v_proj"]))
    with torch.no_grad():
        for name, param in peft.named_parameters():
            if "lora_B" in name or "modules_to_save" in name:
                param.add_(torch.randn_like(param) * 0.05)
    peft.eval().save_pretrained(tmp_path / "rm-lora" / "adapter")
    spec = _spec(
        "ppo", [{"path": "builtin:samples/eval_prompts.jsonl"}], rl={"reward_model": str(tmp_path / "rm-lora")}
    )
    model, tokenizer = load_reward_model(spec)
    scores = RewardModelScorer(model, tokenizer)(prompts, completions)
    assert scores == pytest.approx(_texts_scores(peft, tiny_tokenizer, prompts, completions), abs=1e-4)


def test_reward_model_errors_name_the_field(tmp_path):
    spec = _spec("ppo", [{"path": "builtin:samples/eval_prompts.jsonl"}], rl={"reward_model": str(tmp_path)})
    with pytest.raises(SpecError, match=r"rl.reward_model.*holds no model"):
        load_reward_model(spec)
    spec = _spec("ppo", [{"path": "builtin:samples/eval_prompts.jsonl"}], rl={"reward_model": "no-such-run"})
    with pytest.raises(SpecError, match=r"rl.reward_model.*neither a folder nor"):
        load_reward_model(spec)


# ------------------------------------------------------------------------------------ training runs


@pytest.fixture
def one_thread():
    """One torch thread: on a shared 2-core machine, more threads spin against each other (10x slower)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _train(stage: str, run_dir: Path, overrides: list[str]) -> tuple[dict, list[dict]]:
    import importlib

    from backend.train.__main__ import RunEvents

    spec = apply_overrides(load_spec(ROOT / "presets" / stage / "tiny.yaml"), overrides)
    run_dir.mkdir(parents=True, exist_ok=True)
    metrics = importlib.import_module(f"backend.train.{stage}").run(spec, run_dir, RunEvents(run_dir, main=True))
    return metrics, read_events(run_dir / "events.jsonl")


def _check_learning(events: list[dict], keys: tuple[str, ...]) -> list[float]:
    metrics = [e for e in events if e["type"] == "metric"]
    rewards = [e["reward"] for e in metrics]
    first, last = sum(rewards[:3]) / 3, sum(rewards[-4:]) / 4
    assert last >= first + 0.35 and last >= 0.6, rewards  # learned to say the word, not noise
    assert all(e["kl"] >= 0 for e in metrics) and metrics[-1]["kl"] > 0, [e["kl"] for e in metrics]
    for key in keys:
        assert key in metrics[-1], sorted(metrics[-1])
    print("rewards", rewards, "kl", [round(e["kl"], 3) for e in metrics])
    steps = [e["step"] for e in events if e["type"] in ("progress", "metric")]
    assert steps == sorted(steps) and steps[-1] == metrics[-1]["total_steps"]
    return rewards


def _check_adapter(folder: Path, tiny_model: Path, tokenizer) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    assert (folder / "adapter_model.safetensors").exists() and (folder / "tokenizer_config.json").exists()
    assert not list(folder.rglob("*.bin")) and not (folder / "ref").exists()
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model), folder).eval()
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "用一句话介绍长城。"}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    torch.manual_seed(0)
    with torch.no_grad():
        out = model.generate(**prompt, do_sample=True, top_k=50, max_new_tokens=12, num_return_sequences=8)
    texts = tokenizer.batch_decode(out[:, prompt["input_ids"].shape[1] :], skip_special_tokens=True)
    assert sum("科学" in t for t in texts) >= 4, texts  # the saved adapter carries what was learned


@pytest.mark.slow
def test_ppo_raises_the_reward(tmp_path, tiny_model, tiny_tokenizer, one_thread):
    metrics, events = _train("ppo", tmp_path / "ppo", ["train.max_steps=14"])
    _check_learning(events, ("value_loss", "clip_fraction", "policy_loss", "learning_rate", "loss"))
    assert metrics["output_dir"].endswith("adapter") and metrics["final_kl"] > 0
    assert (tmp_path / "ppo" / "adapter" / "value_head.safetensors").exists()
    assert any(e["type"] == "progress" and e.get("eta") is not None for e in events)
    _check_adapter(tmp_path / "ppo" / "adapter", tiny_model, tiny_tokenizer)


@pytest.mark.slow
def test_grpo_raises_the_reward(tmp_path, tiny_model, tiny_tokenizer, one_thread):
    metrics, events = _train("grpo", tmp_path / "grpo", ["train.max_steps=14"])
    _check_learning(events, ("rewards/contains:科学/mean", "entropy", "learning_rate", "loss"))
    assert metrics["final_kl"] > 0
    _check_adapter(tmp_path / "grpo" / "adapter", tiny_model, tiny_tokenizer)


@pytest.mark.slow
def test_rl_stages_score_with_a_reward_model(tmp_path, tiny_model, one_thread):
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(0)
    rm = AutoModelForSequenceClassification.from_pretrained(tiny_model, num_labels=1)
    rm.save_pretrained(tmp_path / "rm" / "model")
    rm_args = [f"rl.reward_model={tmp_path / 'rm'}", "train.max_steps=2", "train.save_steps=1"]
    _, events = _train("ppo", tmp_path / "ppo", rm_args)
    metric = [e for e in events if e["type"] == "metric"][-1]
    assert "rewards/reward_model/mean" in metric and "rewards/contains:科学/mean" in metric
    assert metric["reward"] == pytest.approx(metric["rewards/reward_model/mean"] + metric["rewards/contains:科学/mean"])
    checkpoints = [e for e in events if e["type"] == "checkpoint"]
    assert [e["step"] for e in checkpoints] == [1] and Path(
        checkpoints[0]["path"], "adapter_model.safetensors"
    ).exists()
    _, events = _train("grpo", tmp_path / "grpo", rm_args[:2])
    metric = [e for e in events if e["type"] == "metric"][-1]
    assert "rewards/reward_model/mean" in metric and "rewards/contains:科学/mean" in metric, sorted(metric)


@pytest.mark.slow
def test_cli_ppo_run_succeeds_with_events(studio_home, tiny_model):
    proc = run_cli(
        "train", "presets/ppo/tiny.yaml", "--set", "train.max_steps=3", "--set", "output.run_name=rl-cli-ppo",
        home=studio_home, env={"OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    from backend.run.registry import Registry

    run = next(r for r in Registry(studio_home).list() if r.name == "rl-cli-ppo")
    assert run.status == "succeeded"
    events = read_events(run.path / "events.jsonl")
    assert [e["state"] for e in events if e["type"] == "status"][-1] == "succeeded"
    assert len([e for e in events if e["type"] == "metric"]) == 3
    result = next(e for e in events if e["type"] == "result")
    assert result["output_dir"].endswith("adapter") and "final_reward" in result["metrics"]
