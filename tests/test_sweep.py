"""Sweeps from the CLI: parsing and limits of --sweep, one run per combination run in turn, and the comparison."""

from __future__ import annotations

import pytest
from conftest import ROOT, run_cli

from backend.run.registry import Registry
from backend.spec import load_spec
from backend.sweep import SweepError, expand, parse, sort_rows, sweep_of

TINY_SFT = ROOT / "presets/sft/tiny-lora.yaml"


def test_lists_ranges_and_combinations():
    axes = parse(["train.learning_rate=1e-4,2e-4", "train.seed=1..3"])
    assert axes == [("train.learning_rate", [1e-4, 2e-4]), ("train.seed", [1, 2, 3])]
    combos = expand(load_spec(TINY_SFT), axes)
    assert len(combos) == 6
    values, spec = combos[4]
    assert values == {"train.learning_rate": 2e-4, "train.seed": 2}
    assert (spec.train.learning_rate, spec.train.seed, spec.output.run_name) == (2e-4, 2, "tiny-lora-5of6")


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["train.seed"], "--sweep 'train.seed': expected field=v1,v2,... or field=A..B"),
        (["train.seed=3..1"], "--sweep 'train.seed=3..1': the range 3..1 is empty"),
        (["train.seed=1..17"], "--sweep 'train.seed=1..17': 17 values; at most 16 runs in a sweep"),
        (["train.seed=1,,2"], "--sweep 'train.seed=1,,2': an empty value in the list"),
        (["train.seed=1,1"], "--sweep 'train.seed=1,1': a value is listed twice"),
        (["train.seed=1,2", "train.seed=3,4"], "--sweep 'train.seed=3,4': train.seed is swept twice"),
        (["train.seed=1..5", "train.learning_rate=1e-4,2e-4,3e-4,4e-4"], "--sweep: 20 combinations; at most 16 runs"),
        (["train.seed=1,2", "train.optim=sgd,adamw_torch", "train.max_steps=1,2", "train.lr_scheduler=linear,cosine"],
         "--sweep: 4 fields; at most 3 fields in a sweep"),
    ],
)  # fmt: skip
def test_bad_sweeps_are_one_line(items, message):
    with pytest.raises(SweepError) as err:
        parse(items)
    assert str(err.value).startswith(message)


def test_a_bad_combination_names_itself_and_creates_nothing(studio_home):
    before = len(Registry(studio_home).list())
    proc = run_cli("train", str(TINY_SFT), "--sweep", "train.learning_rate=1e-4,-1", home=studio_home)
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .startswith("error: --sweep combination train.learning_rate=-1: invalid job spec: train.learning_rate:")
    )
    assert len(Registry(studio_home).list()) == before


@pytest.mark.scale
@pytest.mark.slow
def test_three_value_sweep_runs_all_three_in_turn_and_compares_them(studio_home, tiny_model):
    sets = [
        "train.max_steps=2",
        "data.val_size=0",
        "train.logging_steps=1",
        "output.run_name=sw",
        "eval.stop_check=false",
    ]
    args = [a for s in sets for a in ("--set", s)]
    proc = run_cli("train", str(TINY_SFT), *args, "--sweep", "train.learning_rate=1e-4,2e-4,5e-4", home=studio_home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sweep_id = proc.stdout.split("sweep ", 1)[1].split(":", 1)[0]
    runs = sorted((r for r in Registry(studio_home).list() if r.name.startswith("sw-")), key=lambda r: r.name)
    assert [r.name for r in runs] == ["sw-1of3", "sw-2of3", "sw-3of3"]
    assert all(r.status == "succeeded" for r in runs)
    assert [load_spec(r.path / "job.yaml").train.learning_rate for r in runs] == [1e-4, 2e-4, 5e-4]
    assert all(sweep_of(r.path)["sweep"] == sweep_id for r in runs)
    assert runs[0].ended <= runs[1].started and runs[1].ended <= runs[2].started  # in turn, never together
    shown = run_cli("runs", "sweep", sweep_id, "--sort", "train.learning_rate", home=studio_home)
    assert shown.returncode == 0, shown.stderr
    header, *rows = shown.stdout.strip().splitlines()
    assert header.split()[:3] == ["run", "train.learning_rate", "status"] and "final_loss" in header
    assert [row.split()[:3] for row in rows] == [
        [r.id, lr, "succeeded"] for r, lr in zip(runs, ["0.0001", "0.0002", "0.0005"], strict=True)
    ]
    assert rows == [line for line in proc.stdout.strip().splitlines()[-3:]]  # the same table ends the train command
    with pytest.raises(SweepError, match="--sort 'nope': expected one of run, train.learning_rate, status"):
        sort_rows(header.split(), [], "nope")
    missing = run_cli("runs", "sweep", "sweep-none", home=studio_home)
    assert (missing.returncode, missing.stderr.strip()) == (
        2,
        "error: no runs of sweep 'sweep-none' (the id is printed by `studio train ... --sweep`)",
    )


def test_a_cpu_sweep_takes_turns_while_other_cpu_runs_share_the_cpu():
    from backend.run.launchers.local import conflicts, device_set

    one = device_set("cpu#sweep-a")
    assert conflicts(one, device_set("cpu#sweep-a"))  # the same sweep: one run at a time
    assert not conflicts(one, device_set("cpu")) and not conflicts(one, device_set("cpu#sweep-b"))
    assert not conflicts(device_set("cpu"), device_set("cpu"))  # plain CPU runs still run together
    assert conflicts(device_set("0,1"), device_set("1"))


def test_a_resumed_sweep_run_keeps_its_cpu_turn(studio_home):
    """Resume re-queues a run with no turn argument; on the CPU it must still wait for its sweep's turn."""
    from backend.launch import Hardware
    from backend.run.launchers.local import LocalLauncher
    from backend.run.registry import create_run

    registry = Registry(studio_home)
    busy, resumed = (create_run(load_spec(TINY_SFT), studio_home) for _ in range(2))
    registry.update(busy.id, status="running", devices="cpu#sweep-a")  # the sweep's turn is taken
    registry.update(resumed.id, status="created", devices="cpu#sweep-a", attempt=2)  # as resume_run leaves it
    LocalLauncher().start(registry.get(resumed.id), registry, hardware=Hardware(gpu_count=0, cpu_count=2))
    row = registry.get(resumed.id)
    assert (row.status, row.devices) == ("queued", "cpu#sweep-a")  # waits for its turn, not started beside it
    registry.finish(busy.id, "failed", error_kind="test", error="cleanup")
    registry.finish(resumed.id, "failed", error_kind="test", error="cleanup")


def test_train_tab_sweep_rows_become_sweep_items_and_bad_rows_say_why(studio_home, monkeypatch):
    from backend.launch import Hardware
    from studio import sweep_view

    monkeypatch.setattr(sweep_view, "hardware", lambda: Hardware(gpu_count=0, cpu_count=2))  # no probe process

    assert sweep_view.sweep_items(["train.learning_rate", " 1e-4, 2e-4 ", None, "", "train.seed", "1..2"]) == [
        "train.learning_rate=1e-4, 2e-4",
        "train.seed=1..2",
    ]
    for pairs, message in [
        ([None, "", None, ""], "sweep: pick a field and give it several values"),
        (["train.seed", " "], "sweep: train.seed has no values; give a list (1e-4, 2e-4) or a range (1..3)"),
        ([None, "1,2"], "sweep: the values '1,2' have no field; pick one"),
    ]:
        with pytest.raises(SweepError) as err:
            sweep_view.sweep_items(pairs)
        assert str(err.value) == message
    fields = sweep_view.sweepable_fields()
    assert "train.learning_rate" in fields and "model.name_or_path" in fields
    assert "data.sources" not in fields and "method.lora.target_modules" not in fields  # lists cannot be swept
    # Through the same path as the CLI: a bad combination is one line and creates no run.
    before = len(Registry(studio_home).list())
    base = load_spec(TINY_SFT).to_dict()
    from studio.form import spec_to_form

    note, runs = sweep_view.start_sweep(
        str(studio_home), False, base, ["train.learning_rate", "1e-4,-1"], spec_to_form(load_spec(TINY_SFT))
    )
    assert runs == [] and "--sweep combination train.learning_rate=-1: invalid job spec" in note
    assert len(Registry(studio_home).list()) == before


def test_runs_tab_sweep_comparison_lists_one_row_per_combination_sorted(studio_home):
    from backend.events import EVENTS_FILE, EventWriter
    from backend.run.registry import create_run
    from backend.sweep import mark
    from studio import sweep_view

    spec = load_spec(TINY_SFT)
    losses = {1e-4: 2.5, 2e-4: 1.5, 5e-4: None}  # the last one has not finished: no result yet
    for k, (lr, final) in enumerate(losses.items()):
        run = create_run(spec, studio_home)
        mark(run.path, "sweep-test-1", {"train.learning_rate": lr})
        events = EventWriter(run.path / EVENTS_FILE)
        for step in (1, 2):
            events.emit("metric", step=step, total_steps=2, loss=3.0 - step * (k + 1) * 0.1)
        if final is not None:
            events.emit("result", metrics={"final_loss": final})
    other = create_run(spec, studio_home)  # not part of the sweep
    assert ("sweep-test-1 · 3 runs", "sweep-test-1") in sweep_view.sweep_choices(str(studio_home))
    frame = sweep_view.sweep_table(str(studio_home), "sweep-test-1", "final_loss")
    assert list(frame.columns) == ["run", "train.learning_rate", "status", "final_loss"]
    assert frame["train.learning_rate"].tolist() == [2e-4, 1e-4, 5e-4]  # by final loss, the unfinished one last
    assert frame["final_loss"].tolist() == [1.5, 2.5, ""] and other.id not in frame["run"].tolist()
    lines = sweep_view.sweep_overlay(str(studio_home), "sweep-test-1")
    assert lines == {
        "learning_rate=0.0001": [(1, 2.9), (2, 2.8)],
        "learning_rate=0.0002": [(1, 2.8), (2, 2.6)],
        "learning_rate=0.0005": [(1, 2.7), (2, pytest.approx(2.4))],
    }


def test_a_failed_preflight_creates_no_run_of_the_sweep(studio_home, tmp_path):
    from backend.launch import Hardware
    from backend.spec import apply_overrides
    from backend.sweep import SweepPreflightError, create

    missing = tmp_path / "nope.jsonl"
    spec = apply_overrides(load_spec(TINY_SFT), [f'data.sources=[{{"path": "{missing}"}}]'])
    before = len(Registry(studio_home).list())
    with pytest.raises(SweepPreflightError) as err:
        create(spec, ["train.seed=1,2"], studio_home, Hardware(gpu_count=0, cpu_count=2))
    assert str(err.value) == "pre-flight failed for train.seed=1: no run of the sweep was created"
    assert any(line.startswith("[fail] train.seed=1: ") and str(missing) in line for line in err.value.lines)
    assert len(Registry(studio_home).list()) == before
