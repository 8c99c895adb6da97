"""The stage table (backend.stages), the memory terms of the extra models it names, RunDir and submit().

Cheap: no training runs; submit's run is queued with the scheduler held, so no trainer starts.
"""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from backend.data.formats import ALL_FORMATS, DataError
from backend.launch import Hardware
from backend.memory import GB, estimate_memory, extra_models, reward_model_params
from backend.model_shape import ModelShape
from backend.preflight import _stage_format
from backend.run.launchers import local
from backend.run.registry import Registry
from backend.run.rundir import RunDir
from backend.run.stop import STOPPABLE_STAGES
from backend.run.submit import submit
from backend.spec import SpecError, load_spec, spec_from_dict
from backend.stages import STAGE_INFO, STAGES, stage_info, stages_where

CPU = Hardware(gpu_count=0, cpu_count=2)
H100x4 = Hardware(gpu_count=4, bf16_supported=True, cpu_count=64, gpu_free_gb=(79.0,) * 4)
# A small untied Llama-style shape whose counts are easy to do by hand:
#   embed 1000×64 = 64,000; per layer q,k,v,o 4×64×64 = 16,384, gate/up/down 3×64×128 = 24,576, 2 norms 128
#   -> 41,088; 2 layers 82,176; final norm 64; untied head 64,000 -> P = 210,240.
SHAPE = ModelShape(vocab=1000, hidden=64, layers=2, heads=4, kv_heads=4, head_dim=16, intermediate=128, tied=False)
P = 210_240


# ----------------------------------------------------------------------------------- the stage table


@pytest.mark.parametrize("name", list(STAGE_INFO))
def test_every_stage_entry_is_complete(name):
    info = STAGE_INFO[name]
    assert info.name == name and STAGES[name] == info.module
    # The recipe module imports and exposes the entry point backend.train.__main__ calls: run(spec, run_dir, events).
    module = importlib.import_module(info.module)
    entry = getattr(module, info.entry)
    assert list(inspect.signature(entry).parameters)[:3] == ["spec", "run_dir", "events"]
    # Its formats exist, and the first is the shape its rows take.
    assert info.formats and set(info.formats) <= set(ALL_FORMATS), info.formats
    first = {"text": "text", "chat": "alpaca", "pairs": info.formats[0], "prompts": "generation"}[info.data_kind]
    assert info.formats[0] == first
    # A preset exists for it, loads, and is of this stage.
    presets = sorted((ROOT / "presets" / name).glob("*.yaml"))
    assert presets, f"no preset under presets/{name}/"
    assert all(load_spec(p).stage == name for p in presets)
    # Resuming needs the checkpoint that stop & save writes; only online RL holds a value head or reward model.
    assert info.can_stop or not info.can_resume
    assert info.data_kind == "prompts" or not (info.value_head or info.reward_model)


def test_the_form_sections_of_the_table_exist():
    from studio.train_form import GROUP_LABELS, GROUPS

    keys = {key for key, _, _ in GROUPS}
    for info in STAGE_INFO.values():
        if info.form_group:
            assert info.form_group in keys
    # The section labels name exactly the stages of the table that read their fields.
    assert GROUP_LABELS["en"]["group.pref"] == "Preference stages (rm, dpo, kto, orpo)"
    assert GROUP_LABELS["zh"]["group.rl"] == "在线强化学习（ppo、grpo）"


@pytest.mark.parametrize("name", list(STAGE_INFO))
def test_stage_format_rules_follow_the_table(name, tmp_path):
    # The trainer's own format checks (as pre-flight calls them) accept exactly the table's formats.
    spec = spec_from_dict({"stage": name, "model": {"name_or_path": "m"}, "data": {"sources": [{"path": "x"}]}})
    for fmt in ALL_FORMATS:
        if fmt in stage_info(name).formats:
            _stage_format(spec, fmt, "data.sources[0]", tmp_path / "x.jsonl")
        else:
            with pytest.raises(DataError, match=r"data\.sources\[0\]"):
                _stage_format(spec, fmt, "data.sources[0]", tmp_path / "x.jsonl")


def _spec_errors(data: dict) -> dict:
    try:
        spec_from_dict(data)
    except SpecError as exc:
        return dict(exc.errors)
    return {}


@pytest.mark.parametrize("name", list(STAGE_INFO))
def test_spec_rules_follow_the_table(name):
    info = stage_info(name)
    base = {"stage": name, "model": {"name_or_path": "m"}, "data": {"sources": [{"path": "x"}]}}
    scratch = _spec_errors({**base, "model": {"from_scratch": True, "tokenizer": "t"}, "method": {"type": "full"}})
    if info.from_scratch:
        assert "model.from_scratch" not in scratch, scratch
    else:
        assert (
            scratch["model.from_scratch"] == f"the {name} stage starts from a trained model; set it to false (got True)"
        )
    stream = _spec_errors({**base, "data": {"sources": [{"path": "x"}], "streaming": True, "val_size": 0},
                           "train": {"max_steps": 5}})  # fmt: skip
    if info.streaming:
        assert not stream, stream
    else:
        assert stream["data.streaming"] == f"the {name} stage loads its records whole; set it to false (got True)"
    best = _spec_errors(
        {**base, "data": {"sources": [{"path": "x"}], "val_size": 2}, "train": {"keep_best": True, "eval_steps": 5}}
    )
    if info.evaluates:
        assert not best, best
    else:
        assert best["train.keep_best"] == f"works with the pt and sft stages, not {name} (got True)"


def test_stop_and_save_follows_the_table():
    # A ppo run cannot be stopped with a checkpoint (its loop keeps no Trainer state): the table says so.
    assert STOPPABLE_STAGES == stages_where(can_stop=True) == ("pt", "sft", "rm", "dpo", "kto", "orpo", "grpo")


# ------------------------------------------------------------------------ memory of the extra models


def _spec(stage: str, method: str = "full", rl: dict | None = None, **model):
    return spec_from_dict({"stage": stage, "model": {"name_or_path": "m", **model}, "method": {"type": method},
                           "data": {"sources": [{"path": "x"}]}, "rl": rl or {}})  # fmt: skip


def test_shape_count_by_hand():
    assert SHAPE.total_params() == P
    assert reward_model_params(SHAPE) == P - 64_000 + 64  # the untied head becomes a 64 -> 1 score head


@pytest.mark.parametrize(
    ("stage", "method", "expected"),
    [
        ("dpo", "full", P * 4),  # a frozen fp32 copy of the policy
        ("kto", "freeze", P * 4),
        ("dpo", "lora", None),  # the adapter-disabled base is the reference: no copy
        ("kto", "qlora", None),
        ("orpo", "full", None),  # reference-free
        ("rm", "full", None),
        ("sft", "full", None),
        ("ppo", "full", P * 4),
        ("ppo", "lora", None),
        ("grpo", "full", P * 4),
        ("grpo", "lora", None),
    ],
)
def test_reference_model_term(stage, method, expected):
    parts, _ = extra_models(_spec(stage, method), SHAPE, "fp32", world=1, zero=0)
    assert parts.get("reference_model") == expected


def test_reference_dtypes_and_zero3():
    # dpo copies the policy as it is held (bf16 with model.dtype bfloat16); ppo loads a full model in that dtype too.
    assert extra_models(_spec("dpo", dtype="bfloat16"), SHAPE, "bf16", 1, 0)[0]["reference_model"] == P * 2
    assert extra_models(_spec("ppo", dtype="bfloat16"), SHAPE, "bf16", 1, 0)[0]["reference_model"] == P * 2
    # ZeRO-3 over 4 processes shards TRL's reference (dpo) but not the one of ppo's own loop.
    assert extra_models(_spec("dpo"), SHAPE, "fp32", 4, 3)[0]["reference_model"] == P * 4 / 4
    assert extra_models(_spec("ppo"), SHAPE, "fp32", 4, 3)[0]["reference_model"] == P * 4
    # grpo without a KL penalty builds no reference (TRL skips it at beta 0).
    assert "reference_model" not in extra_models(_spec("grpo", rl={"kl_coef": 0}), SHAPE, "fp32", 1, 0)[0]


def test_value_head_and_reward_model_terms():
    parts, notes = extra_models(_spec("ppo", "lora", rl={"reward_model": "rm-run"}), SHAPE, "fp32", 1, 0)
    assert parts["value_head"] == 65 * 16  # (hidden + 1) fp32 weights, grads and two AdamW moments (the default)
    assert parts["reward_model"] == (P - 64_000 + 64) * 4  # ppo loads it in fp32
    assert notes == ["the reward model is assumed to have the policy's shape"]
    # grpo loads it in the compute dtype; a known reward shape replaces the assumption.
    small = ModelShape(vocab=1000, hidden=32, layers=1, heads=2, kv_heads=2, head_dim=16, intermediate=64, tied=True)
    parts, notes = extra_models(_spec("grpo", "lora", rl={"reward_model": "r"}), SHAPE, "bf16", 1, 0, small)
    assert parts == {"reward_model": reward_model_params(small) * 2} and notes == []
    assert reward_model_params(small) == small.total_params() + 32  # tied: nothing to drop, a score head added
    # No reward model named, no term; a stage without a value head has none.
    assert extra_models(_spec("grpo", "lora"), SHAPE, "fp32", 1, 0) == ({}, [])


def test_estimate_breakdown_shows_the_extra_models():
    spec = _spec("dpo")
    est = estimate_memory(spec, SHAPE, CPU)
    assert est.parts["reference_model"] * GB == pytest.approx(P * 4)
    assert est.per_device_gb == pytest.approx(sum(est.parts.values()))
    without = estimate_memory(_spec("dpo", "lora"), SHAPE, CPU)
    assert "reference_model" not in without.parts
    # An sft breakdown keeps its historic parts.
    assert list(estimate_memory(_spec("sft"), SHAPE, CPU).parts) == [
        "weights", "grads", "optimizer", "activations", "logits", "runtime_overhead"
    ]  # fmt: skip
    gpu = estimate_memory(_spec("ppo", rl={"reward_model": "r"}), SHAPE, H100x4)
    assert [k for k in gpu.parts if k in ("reference_model", "value_head", "reward_model")] == [
        "reference_model", "value_head", "reward_model"
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------- RunDir


def test_rundir_keeps_the_historic_layout(tmp_path):
    d = RunDir(str(tmp_path))
    names = {
        d.job: "job.yaml", d.launch: "launch.json", d.events: "events.jsonl", d.log: "train.log",
        d.stop_request: "stop_request.json", d.checkpoints: "checkpoints", d.watch_log: "watch.log",
        d.checkpoint(12): "checkpoints/checkpoint-12", d.output("lora"): "adapter", d.output("qlora"): "adapter",
        d.output("full"): "model", d.output("freeze"): "model",
    }  # fmt: skip
    for path, rel in names.items():
        assert path == tmp_path / rel
    assert RunDir.OUTPUTS == ("adapter", "model", "merged", "checkpoints")
    assert not RunDir.holds_run(tmp_path)
    d.job.write_text("stage: sft\n", encoding="utf-8")
    assert RunDir.holds_run(tmp_path)
    for step, complete in ((5, True), (10, False)):
        d.checkpoint(step).mkdir(parents=True)
        if complete:
            (d.checkpoint(step) / "trainer_state.json").write_text("{}", encoding="utf-8")
    (d.checkpoints / "checkpoint-tmp").mkdir()
    assert sorted(p.name for p in d.checkpoint_dirs()) == ["checkpoint-10", "checkpoint-5"]


# ---------------------------------------------------------------------------------------- submit()


def _job(home: Path, **train) -> dict:
    spec = yaml.safe_load((ROOT / "presets/sft/tiny-lora.yaml").read_text(encoding="utf-8"))
    spec["output"]["workspace"] = str(home)
    spec["train"].update(train)
    return spec


def _runs(home: Path) -> list:
    return Registry(home).list() if (home / "registry.db").exists() else []


def test_submit_creates_nothing_when_preflight_fails(tmp_path):
    job = _job(tmp_path)
    job["data"]["sources"] = [{"path": str(tmp_path / "missing.jsonl")}]
    result = submit(job, tmp_path, CPU)
    assert not result.ok and result.run is None
    assert [c.name for c in result.errors] == ["data.sources[0]"]
    assert "missing.jsonl" in result.errors[0].message
    assert _runs(tmp_path) == [] and not any((tmp_path / "runs").glob("*"))


def test_submit_raises_the_plans_field_errors_and_creates_nothing(tmp_path):
    with pytest.raises(SpecError) as info:
        submit(_job(tmp_path, precision="bf16"), tmp_path, CPU)  # no bf16 on this CPU
    assert info.value.errors == [("train.precision", "bf16 needs a GPU; use auto or fp32")]
    assert _runs(tmp_path) == [] and not any((tmp_path / "runs").glob("*"))


def test_submit_builds_the_plan_once_and_never_rereads_job_yaml(tmp_path, monkeypatch):
    import backend.launch
    import backend.preflight

    built, parsed = [], []
    real_build, real_load = backend.launch.build_launch, local.load_spec

    def counting_build(*args, **kwargs):
        built.append(args[1])
        return real_build(*args, **kwargs)

    monkeypatch.setattr(backend.launch, "build_launch", counting_build)
    monkeypatch.setattr(backend.preflight, "build_launch", counting_build)
    monkeypatch.setattr(local, "load_spec", lambda *a, **k: parsed.append(a) or real_load(*a, **k))
    monkeypatch.setattr(local, "schedule", lambda home=None: [])  # hold the queue: no trainer starts here
    result = submit(_job(tmp_path), tmp_path, CPU)
    assert result.ok and result.errors == []
    run = result.run
    assert run.status == "queued" and run.devices == "cpu"
    assert built == [str(run.path)] and parsed == []  # one plan, built for the run's own directory
    plan = json.loads(RunDir(run.path).launch.read_text(encoding="utf-8"))
    assert plan["argv"][-1] == str(run.path) and (run.path / "accelerate.json").exists()
    assert load_spec(RunDir(run.path).job).output.workspace == str(tmp_path)
    assert [r.id for r in _runs(tmp_path)] == [run.id]
