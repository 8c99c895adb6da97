"""Events: the writer appends complete lines; the reader follows from a byte offset."""

from __future__ import annotations

import json

import pytest

from backend.events import EventReader, EventWriter, make_event, read_events


def test_reader_returns_only_new_complete_events(tmp_path):
    path = tmp_path / "events.jsonl"
    reader = EventReader(path)
    assert reader.read_new() == []  # no file yet
    with EventWriter(path) as w:
        w.emit("status", state="running")
        w.emit("metric", step=1, total_steps=10, loss=2.5)
    first = reader.read_new()
    assert [e["type"] for e in first] == ["status", "metric"]
    assert first[1]["loss"] == 2.5 and first[1]["time"] > 0
    assert reader.read_new() == []
    # A writer killed mid-line leaves a partial line: it is held back until completed.
    with open(path, "a") as fh:
        fh.write('{"type": "progress", "step": 2')
    assert reader.read_new() == []
    with open(path, "a") as fh:
        fh.write(', "total_steps": 10}\n')
    (event,) = reader.read_new()
    assert event["step"] == 2
    assert reader.offset == path.stat().st_size


def test_corrupt_lines_are_skipped_and_counted(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"type": "log", "message": "a"}\nnot json\n{"type": "log", "message": "b"}\n')
    reader = EventReader(path)
    assert [e["message"] for e in reader.read_new()] == ["a", "b"]
    assert reader.skipped == 1


def test_unknown_event_type_is_refused():
    with pytest.raises(ValueError, match="unknown event type"):
        make_event("telemetry")


def test_non_ascii_round_trips(tmp_path):
    path = tmp_path / "e.jsonl"
    with EventWriter(path) as w:
        w.emit("log", message="训练开始")
    assert "训练开始" in path.read_text(encoding="utf-8")
    assert read_events(path)[0]["message"] == "训练开始"
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[0])["type"] == "log"
