"""Sweeps from the CLI: parsing and limits of --sweep, one run per combination run in turn, and the comparison."""

from __future__ import annotations

import pytest
from conftest import ROOT, run_cli

from backend.jobs import Registry
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
