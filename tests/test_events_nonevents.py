"""Valid JSON lines that are not events (issue 15, item 6) are skipped by every reader of ``events.jsonl``.

The Runs tab's run-details function (api ``run_details``), the live view, the registry's summary and
``studio runs show`` all read through ``backend.events.EventReader``; none may fail on such a line.
"""

from __future__ import annotations

import json
import time

import gradio as gr
import pytest

from backend.events import EventReader, EventWriter, is_event
from backend.run.registry import Registry, Run
from backend.run.story import summarise_events
from studio import live, runs_view
from studio.tabs import runs as runs_tab

NOT_EVENTS = [
    "[1, 2, 3]",
    "null",
    '"x"',
    "42",
    "{}",
    '{"type": "telemetry", "time": 1}',
    '{"type": "log", "time": 1, "message": ["a", "list"]}',
    '{"type": "metric", "time": "noon", "step": 3, "loss": 1.0}',
    '{"type": "metric", "time": 1, "step": "3", "loss": 1.0}',
    '{"type": "metric", "time": 1, "step": 3, "loss": "low"}',
    '{"type": "status", "time": 1, "state": {"a": 1}}',
    '{"type": "error", "time": 1, "kind": "oom", "message": 7}',
    '{"type": "log", "time": 1, "message": "plan", "mix_plan": [1]}',
    '{"type": "metric", "time": true, "step": 3}',
    "[" * 100_000 + "]" * 100_000,  # json's decoder raises RecursionError on this one
]


@pytest.mark.parametrize("line", NOT_EVENTS, ids=range(len(NOT_EVENTS)))
def test_not_an_event(line):
    try:
        parsed = json.loads(line)
    except RecursionError:
        parsed = None
    assert not is_event(parsed)


def _write_run(home, lines: list[str]) -> Run:
    """A finished run whose events.jsonl holds good events with ``lines`` between them."""
    registry = Registry(home)
    run_dir = home / "runs" / "odd"
    run_dir.mkdir(parents=True)
    (run_dir / "job.yaml").write_text("stage: sft\n", encoding="utf-8")
    path = run_dir / "events.jsonl"
    with EventWriter(path) as w:
        w.emit("status", state="running", message="stage sft")
        w.emit("metric", step=1, total_steps=2, loss=2.0)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    with EventWriter(path) as w:
        w.emit("log", level="info", message="still here", mix_plan={"names": ["a"], "shares": [1.0]})
        w.emit("metric", step=2, total_steps=2, loss=1.5, mix_share={"a": 1.0}, mix_tokens={"a": 10})
        w.emit("status", state="succeeded", message="finished")
    now = time.time()
    run = Run(id="odd", name="odd", stage="sft", method="lora", model="m", status="succeeded",
                   run_dir=str(run_dir), created=now, started=now, ended=now, final_loss=1.5)  # fmt: skip
    registry.insert(run)
    return run


def test_readers_skip_non_event_lines(tmp_path):
    run = _write_run(tmp_path, NOT_EVENTS)
    reader = EventReader(run.path / "events.jsonl")
    events = reader.read_new()
    assert [e["type"] for e in events] == ["status", "metric", "log", "metric", "status"]
    assert reader.skipped == len(NOT_EVENTS)
    assert summarise_events(run.path) == {"final_loss": 1.5, "state": "succeeded", "message": "finished"}
    # The live view (Train tab) folds the same events from byte 0.
    watch = live.fold(live.new_watch(run), events, reader.offset)
    assert watch["state"] == "succeeded"
    assert [p for p in watch["points"] if p[1] == "loss"] == [[1, "loss", 2.0], [2, "loss", 1.5]]


def test_runs_tab_run_details_with_non_event_lines(tmp_path):
    run = _write_run(tmp_path, NOT_EVENTS)
    with gr.Blocks() as demo:
        runs_tab.build(str(tmp_path), demo)
    (show,) = [f.fn for f in demo.fns.values() if f.api_name == "run_details"]
    badge, curves, spec, log, ckpts, outs, *buttons, mix = show(run.id)
    assert "succeeded" in badge and run.id in badge
    assert 'data-series="loss" data-n="2"' in curves  # the SVG chart (studio.svgplot) of the points below
    frame = runs_view.curves(run)
    assert frame[frame.series == "loss"].dropna()[["step", "value"]].values.tolist() == [[1, 2.0], [2, 1.5]]
    assert spec.startswith("stage: sft")
    assert mix.values.tolist() == [["a", 100.0, 100.0, 0.0, 10]]
    assert runs_view.overlay(str(tmp_path), [run.id]) == {run.id: [(1, 2.0), (2, 1.5)]}
