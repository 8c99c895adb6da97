"""Round trip: a policy exported by the data-mix viewer trains with the shares the viewer showed.

The viewer's own functions measure two sample sources, plan a 30/70 mix with an epoch cap and a token
budget, and save the policy to the workspace; a JobSpec points ``data.mix.policy`` at it; a tiny SFT
run in this process then reports its realised per-source token shares, which must match within 2 points.
"""

from __future__ import annotations

import pytest
from test_data_stream import plan_of, run_stage, tiny_sft

from backend.data import mix_policy as mixer
from backend.data import mix_view
from backend.spec import spec_from_dict
from studio import runs_view

pytestmark = pytest.mark.slow


def test_a_viewer_policy_trains_with_the_shares_it_showed(tmp_path, studio_home, tiny_model):
    count, exact = mix_view.token_counter("builtin", studio_home)
    assert exact, "the session workspace has the builtin tokenizer"
    pairs = [("messages", "builtin:samples/sft_messages.jsonl"), ("sharegpt", "builtin:samples/sft_sharegpt.jsonl")]
    sources = [mix_view.measure(name, path, "auto", count, exact, studio_home) for name, path in pairs]
    percents, caps, budget = [30.0, 70.0], [0.0, 3.0], 8_000
    shown = mixer.make_plan(sources, percents, caps, None, budget, "shares")
    text = mixer.build_policy(sources, shown, caps, budget, "shares", None).to_yaml()
    policy = mixer.save_policy(studio_home, "round trip", text)

    spec = tiny_sft([{"path": "placeholder.jsonl"}], mix={"policy": str(policy)})
    loaded = spec_from_dict(spec).data  # the JobSpec takes the viewer's file unchanged
    assert [(s.name, s.weight, s.max_epochs) for s in loaded.sources] == [("messages", 30, None), ("sharegpt", 70, 3)]
    assert loaded.mix.total_tokens == budget and loaded.mix.policy_from == str(policy)

    events = run_stage(tmp_path, spec)
    plan = plan_of(events)
    assert plan["names"] == ["messages", "sharegpt"] and plan["shares"] == pytest.approx(shown.shares)
    final = [e for e in events if e["type"] == "metric" and "mix_share" in e][-1]["mix_share"]
    assert [final["messages"], final["sharegpt"]] == pytest.approx(shown.shares, abs=0.02)
    # The Runs tab's table of the realised mix reads the same events.
    table = runs_view.realised_mix(tmp_path / "run")
    assert list(table["source"]) == ["messages", "sharegpt"] and list(table["planned %"]) == [30, 70]
    assert list(table["realised %"]) == pytest.approx([100 * final["messages"], 100 * final["sharegpt"]])
    assert table["diff (points)"].abs().max() <= 2
