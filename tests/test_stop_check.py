"""The stop check at the end of SFT: greedy replies to training prompts, a warning when none stops."""

from __future__ import annotations

import pytest

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
