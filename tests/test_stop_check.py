"""The stop check at the end of SFT: greedy replies to training prompts, a warning when none stops."""

from __future__ import annotations

import pytest
import torch

from backend.spec import spec_from_dict
from backend.train.stop_check import NOT_STOPPING, run_stop_check, stop_check


class Events:
    def __init__(self):
        self.logged = []

    def log(self, message, level="info", **fields):
        self.logged.append((level, message, fields))


@pytest.fixture(scope="module")
def model_and_tokenizer(tiny_model, tiny_tokenizer):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(tiny_model), tiny_tokenizer


def spec(home) -> object:
    return spec_from_dict(
        {
            "stage": "sft",
            "model": {"name_or_path": "builtin:tiny-llama"},
            "data": {"sources": [{"path": "builtin:samples/sft_messages.jsonl"}]},
            "output": {"workspace": str(home)},
        }
    )


def test_a_model_that_never_stops_gets_a_warning(studio_home, model_and_tokenizer):
    """The random tiny model is given no stop token it would emit: every reply runs to its limit."""
    model, tok = model_and_tokenizer
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    bias = {"never": im_end}

    def suppress(_module, _inputs, logits):  # the end-of-turn and EOS can never be the greedy choice
        logits[..., bias["never"]] = -1e9
        logits[..., tok.eos_token_id] = -1e9
        return logits

    handle = model.lm_head.register_forward_hook(suppress)
    try:
        events, metrics = Events(), {}
        run_stop_check(model, tok, spec(studio_home), events, metrics)
    finally:
        handle.remove()
    ((level, message, fields),) = events.logged
    assert level == "warning" and message.startswith(NOT_STOPPING) and "0 of 3" in message
    assert metrics["stop_check"] == 0.0
    samples = fields["stop_check"]["samples"]
    assert [s["tokens"] for s in samples] == [s["limit"] for s in samples]  # ran to the limit every time
    assert all(s["record"].endswith(f"sft_messages.jsonl:{i + 1}") for i, s in enumerate(samples))


def test_a_model_that_ends_at_the_end_of_turn_passes(studio_home, model_and_tokenizer):
    """Forcing the template's end-of-turn token after a few tokens: every reply stops, no warning."""
    model, tok = model_and_tokenizer
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    calls = {"n": 0}

    def finish(_module, _inputs, logits):
        calls["n"] += 1
        if calls["n"] % 4 == 0:  # every 4th forward pass: the end-of-turn wins
            logits[..., -1, im_end] = 1e9
        return logits

    handle = model.lm_head.register_forward_hook(finish)
    try:
        result = stop_check(model, tok, spec(studio_home))
        events, metrics = Events(), {}
        run_stop_check(model, tok, spec(studio_home), events, metrics)
    finally:
        handle.remove()
    assert result["checked"] == 3 and result["stopped"] == 3
    assert all(s["tokens"] < s["limit"] for s in result["samples"])
    assert metrics["stop_check"] == 1.0 and events.logged[0][0] == "info"


def test_a_lora_model_is_checked_merged_and_left_unmerged(studio_home, tiny_model, tiny_tokenizer):
    """Generation runs on the merged weights (no LoRA branch per token, the cost at real size); afterwards
    the adapter is unmerged and every weight is as it was."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model)
    config = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False)
    model = get_peft_model(base, config)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    lora_calls = []
    hooks = [m.register_forward_hook(lambda *_: lora_calls.append(1)) for n, m in model.named_modules()
             if n.endswith("lora_A.default")]  # fmt: skip
    events, metrics = Events(), {}
    try:
        run_stop_check(model, tiny_tokenizer, spec(studio_home), events, metrics)
    finally:
        for h in hooks:
            h.remove()
    assert "stop_check" in metrics and lora_calls == []  # checked, and never through the LoRA branch
    layers = [m for m in model.modules() if hasattr(m, "merged_adapters")]
    assert layers and not any(m.merged for m in layers)
    after = model.state_dict()
    assert all(torch.allclose(before[k], after[k], atol=1e-5) for k in before)
    assert model.training  # restored
