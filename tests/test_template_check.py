"""The template check (pre-flight, preview, Data tab) and the torch-free tokenizer it runs on in the UI."""

from __future__ import annotations

import json

import pytest
from template_oracle import official_template
from test_data_templates import CONVERSATIONS, R1_OFFICIAL, TWICE

from backend.data.light_tokenizer import load_light_tokenizer
from backend.data.template_check import check_template, stop_token_ids
from backend.data.templates import resolve_template, turn_spans

SAMPLES = [(f"chat.jsonl:{i + 1}", CONVERSATIONS[name]) for i, name in enumerate(sorted(CONVERSATIONS))]


def levels(findings) -> list[str]:
    return [level for level, _ in findings]


def test_chatml_passes_with_its_end_of_turn_among_the_stop_tokens(tiny_tokenizer, tiny_model):
    stops = stop_token_ids(tiny_model, tiny_tokenizer)
    assert tiny_tokenizer.convert_tokens_to_ids("<|im_end|>") in stops
    findings = check_template(tiny_tokenizer, resolve_template(tiny_tokenizer, "chatml"), "chatml", SAMPLES, stops)
    assert levels(findings) == ["ok"]
    assert findings[0][1] == (
        "data.template 'chatml': 4 conversation(s), roles assistant, system, user; "
        "each reply is learned with its end-of-turn '<|im_end|>\\n', a stop token"
    )


def test_end_of_turn_missing_from_the_stop_tokens_warns(tiny_tokenizer):
    eos_only = [tiny_tokenizer.eos_token_id]
    findings = check_template(tiny_tokenizer, resolve_template(tiny_tokenizer, "chatml"), "chatml", SAMPLES, eos_only)
    assert levels(findings) == ["ok", "warn"]
    assert "end-of-turn '<|im_end|>\\n' is not among the model's stop tokens" in findings[1][1]
    assert f"eos_token_id {eos_only}" in findings[1][1]


def test_a_template_that_writes_no_end_of_turn_is_refused(tiny_tokenizer):
    """GLM-4.5's official template ends a reply with nothing (GLM stops at the next <|user|>): trained as is, the
    last reply of every record teaches no stop; the named glm4.5 template ends it with <|endoftext|>."""
    findings = check_template(tiny_tokenizer, official_template("glm-4.5"), "glm-4.5.jinja", SAMPLES, [0])
    assert levels(findings) == ["fail"]
    assert findings[0][1].startswith("data.template 'glm-4.5.jinja': chat.jsonl:1: the template writes nothing after")
    assert findings[0][1].endswith("try data.template: glm4 (or a fixed .jinja file)")
    named = check_template(tiny_tokenizer, resolve_template(tiny_tokenizer, "glm4.5"), "glm4.5", SAMPLES, [0])
    assert "fail" not in levels(named)


def test_a_generation_prompt_unlike_training_warns(tiny_tokenizer):
    findings = check_template(tiny_tokenizer, R1_OFFICIAL, "r1.jinja", SAMPLES, [tiny_tokenizer.eos_token_id])
    warn = [m for level, m in findings if level == "warn" and "generation prompt" in m]
    assert (
        warn and "the generation prompt ends '<think>\\n' where training renders '42<｜end▁of▁sentence｜>'" in warn[0]
    )
    assert "try data.template: deepseek-r1" in warn[0]
    named = check_template(tiny_tokenizer, resolve_template(tiny_tokenizer, "deepseek-r1"), "deepseek-r1", SAMPLES)
    assert not [m for _, m in named if "generation prompt" in m]


def test_unrendered_roles_and_failing_templates(tiny_tokenizer):
    no_system = "{% for m in messages %}{% if m.role != 'system' %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endif %}{% endfor %}"  # noqa: E501
    findings = check_template(tiny_tokenizer, no_system, "x.jinja", SAMPLES)
    assert (
        "warn",
        "data.template 'x.jinja': chat.jsonl:2: the template leaves out 'system' messages; their text is unseen",
    ) in findings  # noqa: E501
    strict = "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('no system role') }}{% endif %}{{ m.content }}<|im_end|>{% endfor %}"  # noqa: E501
    failed = check_template(tiny_tokenizer, strict, "strict.jinja", SAMPLES)
    assert levels(failed) == ["fail"] and "chat.jsonl:2: the template cannot render this conversation" in failed[0][1]
    assert "no system role" in failed[0][1]
    twice = check_template(tiny_tokenizer, TWICE, "twice.jinja", SAMPLES)
    assert levels(twice) == ["fail"] and "chat.jsonl:1: the template renders 2 times" in twice[0][1]


@pytest.mark.parametrize("name", ["auto", "qwen3", "deepseek-r1", "glm4.5", "llama3", "mistral"])
def test_the_light_tokenizer_masks_exactly_like_transformers(tiny_tokenizer, tiny_model, name):
    """Pre-flight's torch-free tokenizer renders and tokenises as the trainer's does, so the check is the same."""
    light = load_light_tokenizer(tiny_model)
    assert light.eos_token == tiny_tokenizer.eos_token and light.chat_template == tiny_tokenizer.chat_template
    for messages in CONVERSATIONS.values():
        a_full, a_spans, a_enc = turn_spans(tiny_tokenizer, messages, resolve_template(tiny_tokenizer, name))
        b_full, b_spans, b_enc = turn_spans(light, messages, resolve_template(light, name))
        assert (a_full, a_spans, a_enc["input_ids"]) == (b_full, b_spans, b_enc["input_ids"])
        assert [tuple(o) for o in a_enc["offset_mapping"]] == [tuple(o) for o in b_enc["offset_mapping"]]


def test_preflight_refuses_an_sft_job_whose_template_cannot_be_masked(tmp_path, studio_home, tiny_model):
    from backend import preflight as pf
    from backend.launch import Hardware
    from backend.spec import spec_from_dict

    template = tmp_path / "twice.jinja"
    template.write_text(TWICE, encoding="utf-8")
    data = tmp_path / "chat.jsonl"
    data.write_text(json.dumps({"messages": CONVERSATIONS["single"]}) + "\n", encoding="utf-8")
    spec = spec_from_dict(
        {
            "stage": "sft",
            "model": {"name_or_path": "builtin:tiny-llama"},
            "data": {"sources": [{"path": str(data)}], "template": str(template)},
            "output": {"workspace": str(studio_home)},
        }
    )
    checks = {c.name: c for c in pf.preflight(spec, studio_home, Hardware(gpu_count=0, cpu_count=2))}
    assert checks["template"].level == "fail" and pf.failed(checks.values())
    assert checks["template"].message.startswith(f"data.template {str(template)!r}: {data}:1: the template renders 2")
