"""Mixing sources by token share: the plan's arithmetic, sampling by it, policies and the dataset registry."""

from __future__ import annotations

import json
import random

import pytest

from backend.data.formats import DataError
from backend.data.mix import MixError, SourceSize, plan_mix, token_shares
from backend.spec import MixPolicy, SpecError, load_policy, spec_from_dict


def sizes(*tokens, records=None):
    return [SourceSize(f"s{i}", t, records[i] if records else int(t // 10)) for i, t in enumerate(tokens)]


# ------------------------------------------------------------------------------------------ arithmetic


def test_weights_are_token_shares_and_the_scarcest_source_ends_the_mix():
    plan = plan_mix(sizes(1000, 1000), [3, 1])
    assert plan.shares == pytest.approx([0.75, 0.25])
    # Without a cap or budget each source is used at most once: s0 runs out at 1000 / 0.75 tokens.
    assert plan.total_tokens == pytest.approx(1000 / 0.75)
    assert plan.epochs == pytest.approx([1.0, 1 / 3])
    assert plan.bound == "exhausted:s0" and plan.records == [100, 33]


def test_temperature_interpolates_between_weights_and_natural_sizes():
    s = sizes(9000, 1000)
    assert token_shares(s, [1, 1], temperature=1) == pytest.approx([0.9, 0.1])  # natural
    assert token_shares(s, [1, 1], temperature=0) == pytest.approx([0.5, 0.5])  # uniform
    assert token_shares(s, [1, 1], temperature=0.5) == pytest.approx([0.75, 0.25])  # 3:1 = sqrt(9):1
    assert token_shares(s, [1, 3], temperature=1) == pytest.approx([0.75, 0.25])  # weight x size^alpha


def test_epoch_caps_allow_upsampling_and_bound_the_budget():
    plan = plan_mix(sizes(10_000, 500), [1, 1], caps=[None, 4])
    # s1 may be read 4 times: the mix ends at 4 * 500 / 0.5 = 4000 tokens, s0 is not exhausted.
    assert plan.total_tokens == pytest.approx(4000) and plan.bound == "cap:s1"
    assert plan.epochs == pytest.approx([0.2, 4.0])
    assert any("s1" in w and "upsampled" in w for w in plan.warnings)
    budget = plan_mix(sizes(10_000, 500), [1, 1], caps=[None, 2], total_tokens=5000)
    assert budget.total_tokens == pytest.approx(2000) and budget.bound == "cap:s1"
    assert any("budget" in w for w in budget.warnings)
    free = plan_mix(sizes(10_000, 500), [1, 1], total_tokens=3000)  # a budget and no caps: repeat freely
    assert free.total_tokens == 3000 and free.epochs == pytest.approx([0.15, 3.0]) and free.bound == "budget"


def test_edge_cases_give_clear_messages():
    one = plan_mix(sizes(700), [5])
    assert one.shares == [1.0] and one.epochs == [1.0] and one.total_tokens == 700
    with pytest.raises(MixError, match="every weight is zero"):
        plan_mix(sizes(10, 10), [0, 0])
    with pytest.raises(MixError, match="'s1' has no tokens"):
        plan_mix(sizes(100, 0), [1, 1])
    zero_weight = plan_mix(sizes(100, 0), [1, 0])  # an empty source that takes no share is harmless
    assert zero_weight.shares == [1.0, 0.0] and zero_weight.records == [10, 0]
    with pytest.raises(MixError, match="weight must be"):
        plan_mix(sizes(10), [-1])
    with pytest.raises(MixError, match="size must be"):
        plan_mix([SourceSize("x", -5, 1)], [1])
    with pytest.raises(MixError, match="temperature"):
        plan_mix(sizes(10), [1], temperature=2)
    with pytest.raises(MixError, match="no sources"):
        plan_mix([], [])


# ------------------------------------------------------------------------------- sampling by the plan


def synthetic_rows(seed: int = 0):
    """Tokenised rows of three sources with very different length distributions."""
    import datasets

    rng = random.Random(seed)
    ranges = [(10, 200), (50, 400), (5, 30)]
    counts = [3000, 800, 5000]
    ids, source = [], []
    for s, ((lo, hi), n) in enumerate(zip(ranges, counts, strict=True)):
        for _ in range(n):
            ids.append([1] * rng.randint(lo, hi))
            source.append(s)
    return datasets.Dataset.from_dict({"input_ids": ids, "labels": ids, "source": source})


def realised(rows) -> list[float]:
    tokens = [0, 0, 0]
    for row in rows:
        tokens[row["source"]] += len(row["input_ids"])
    return [t / sum(tokens) for t in tokens]


@pytest.mark.parametrize(
    "mix, weights, caps",
    [
        ({"total_tokens": 300_000}, [5, 3, 2], [None, None, None]),
        ({}, [1, 1, 1], [None, None, 3]),  # the scarcest source may be read 3 times: it is upsampled
        ({"temperature": 0.5}, [1, 1, 1], [None, None, None]),
    ],
)
def test_realised_token_shares_are_within_two_points_of_the_plan(mix, weights, caps):
    from backend.data.build import mix_rows

    rows = synthetic_rows()
    pairs = enumerate(zip(weights, caps, strict=True))
    sources = [{"path": f"s{i}.jsonl", "weight": w, "max_epochs": c} for i, (w, c) in pairs]
    spec = spec_from_dict({"data": {"sources": sources, "mix": mix}})
    mixed, plan = mix_rows(rows, spec, ["a", "b", "c"])
    got = realised(mixed)
    assert got == pytest.approx(plan.shares, abs=0.02), (got, plan.shares)
    # Token targets, not row counts: the mix holds the planned tokens to within a row per source.
    assert sum(len(x) for x in mixed["input_ids"]) == pytest.approx(plan.total_tokens, abs=3 * 400)
    assert len(mixed) == pytest.approx(sum(plan.records), rel=0.03)
    if caps[2]:
        assert plan.epochs[2] > 1
        picked = [i for i, s in zip(mixed._indices.column(0).to_pylist(), mixed["source"], strict=True) if s == 2]
        assert len(picked) > len(set(picked)) == 5000, "an upsampled source repeats rows, and uses every row"


def test_equal_weights_without_settings_concatenate_in_natural_proportions():
    from backend.data.build import mix_rows, mixing

    rows = synthetic_rows()
    spec = spec_from_dict({"data": {"sources": [{"path": "a"}, {"path": "b"}, {"path": "c"}]}})
    assert not mixing(spec)
    same, plan = mix_rows(rows, spec, ["a", "b", "c"])
    assert len(same) == len(rows) and plan.epochs == pytest.approx([1, 1, 1])
    assert plan.shares == pytest.approx(realised(rows))


# ---------------------------------------------------------------------------------------- policies


def test_policy_round_trip_replaces_sources_and_records_provenance(tmp_path):
    policy = MixPolicy.model_validate(
        {
            "sources": [
                {"path": "builtin:samples/sft_messages.jsonl", "weight": 0.7, "name": "messages"},
                {"path": "builtin:samples/sft_sharegpt.jsonl", "weight": 0.3, "max_epochs": 2},
            ],
            "mix": {"temperature": 0.3, "total_tokens": 50_000},
        }
    )
    file = tmp_path / "policy.yaml"
    file.write_text(policy.to_yaml(), encoding="utf-8")
    assert load_policy(file) == policy
    spec = spec_from_dict({"data": {"sources": [{"path": "old.jsonl"}], "mix": {"policy": str(file)}}})
    assert [s.path for s in spec.data.sources] == [s.path for s in policy.sources]
    assert spec.data.sources[1].max_epochs == 2 and spec.data.mix.temperature == 0.3
    assert spec.data.mix.policy is None and spec.data.mix.policy_from == str(file)
    # The saved job.yaml is self-contained: reloading it does not read the policy again.
    file.unlink()
    again = spec_from_dict(spec.to_dict())
    assert again.data.sources == spec.data.sources


@pytest.mark.parametrize(
    "text, message",
    [
        ("sources:\n  - path: a.jsonl\n    weight: -1\n", "sources[0].weight: must be greater than 0"),
        ("sources: [\n", "line"),
        ("- just a list\n", "expected a mapping"),
        ("sources:\n  - path: a.jsonl\n    colour: red\n", "sources[0].colour: unknown field"),
    ],
)
def test_bad_policies_name_the_field_and_the_file(tmp_path, text, message):
    file = tmp_path / "p.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        spec_from_dict({"data": {"sources": [{"path": "x"}], "mix": {"policy": str(file)}}})
    field, what = info.value.errors[0]
    assert field == "data.mix.policy" and str(file) in what and message in what, what


# ---------------------------------------------------------------------------------------- registry


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_registry_entry_with_column_mapping_loads_for_training(tmp_path):
    from backend.data.build import load_records

    rows = [{"q": f"问题 {i}?", "a": f"answer {i}", "extra": i} for i in range(5)]
    write(tmp_path / "data" / "qa.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    write(
        tmp_path / "datasets.yaml",
        "qa:\n  path: data/qa.jsonl\n  format: alpaca\n  columns: {instruction: q, output: a}\n",
    )
    spec = spec_from_dict({"data": {"sources": [{"path": "dataset:qa"}]}, "output": {"workspace": str(tmp_path)}})
    ds = load_records(spec, "chat")
    assert len(ds) == 5
    assert ds[2]["messages"][0]["role"] == "user" and ds[2]["messages"][0]["content"] == "问题 2?"
    assert ds[2]["messages"][-1]["content"] == "answer 2"
    missing = spec_from_dict({"data": {"sources": [{"path": "dataset:nope"}]}, "output": {"workspace": str(tmp_path)}})
    with pytest.raises(DataError, match=r"data.sources\[0\].path: unknown dataset 'nope'; registered: qa"):
        load_records(missing, "chat")


@pytest.mark.parametrize(
    "text, message",
    [
        ("qa:\n  path: a.jsonl\n    bad: x\n", "datasets.yaml:3: YAML syntax error"),
        ("qa:\n  format: alpaca\n", "qa.path: is required"),
        ("qa:\n  path: x.jsonl\n  fromat: alpaca\n", "qa.fromat: unknown field"),
        ("qa:\n  path: x.jsonl\n  format: csvx\n", "qa.format: must be one of"),
        ("- qa\n", "expected a mapping"),
    ],
)
def test_malformed_registry_is_reported_not_emptied(tmp_path, text, message):
    from backend.data.registry import load_registry

    write(tmp_path / "datasets.yaml", text)
    with pytest.raises(DataError, match=message.replace("[", r"\[")):
        load_registry(tmp_path)


def test_llama_factory_dataset_info_is_translated(tmp_path):
    from backend.data.registry import load_registry

    info = {
        "alpaca_zh": {
            "file_name": "a.json",
            "columns": {"prompt": "instruction", "query": "input", "response": "output"},
        },
        "chat": {"file_name": "c.json", "formatting": "sharegpt", "columns": {"messages": "conversations"}},
        "oai": {
            "file_name": "o.json",
            "formatting": "sharegpt",
            "columns": {"messages": "messages"},
            "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"},
        },
        "dpo": {
            "file_name": "d.json",
            "ranking": True,
            "columns": {"prompt": "q", "chosen": "good", "rejected": "bad"},
        },
    }
    write(tmp_path / "dataset_info.json", json.dumps(info))
    reg = load_registry(tmp_path)
    assert reg["alpaca_zh"].format == "alpaca" and reg["alpaca_zh"].columns["input"] == "input"
    assert reg["chat"].format == "sharegpt" and reg["chat"].columns == {"conversations": "conversations"}
    assert reg["oai"].format == "messages"
    assert reg["dpo"].format == "preference"
    assert reg["dpo"].columns == {"prompt": "q", "chosen": "good", "rejected": "bad"}
    assert reg["dpo"].path == (tmp_path / "d.json").resolve()
    write(tmp_path / "dataset_info.json", json.dumps({"hub": {"hf_hub_url": "org/name"}}))
    with pytest.raises(DataError, match="hub: hf_hub_url datasets need a hub"):
        load_registry(tmp_path)
    write(tmp_path / "dataset_info.json", '{"x": {"file_name": "a.json",}}')
    with pytest.raises(DataError, match="dataset_info.json:1: JSON syntax error"):
        load_registry(tmp_path)
