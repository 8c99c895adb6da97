"""Issue 17's run-side fixes outside the browser: error wording, the Stop & save reason, a resumed run's
times, the run controls, the SVG charts, the ETA, the library-noise filters, the busy-port message and the
pyproject licence form."""

from __future__ import annotations

import errno
import logging
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest

from backend.events import EVENTS_FILE, EventWriter
from backend.failures import field_once
from backend.preflight import Check
from backend.run.registry import Registry, Run, create_run
from backend.spec import SpecError, load_spec
from backend.workspace import PROJECT_ROOT
from studio import export_view, i18n, live, run_controls, runs_view, svgplot


def _run(home: Path, name: str = "r", status: str = "running") -> Run:
    spec = load_spec(PROJECT_ROOT / "presets/sft/tiny-lora.yaml")
    spec.output.run_name = name
    run = create_run(spec, home)
    Registry(home).update(run.id, status=status)
    return Registry(home).get(run.id)


# ------------------------------------------------------------------------------------- item 14: errors


def test_a_field_is_named_once():
    assert field_once("data.sources[0]", "data.sources[0].path: x: no such file") == (
        "data.sources[0].path",
        "x: no such file",
    )
    assert field_once("train.lr", "train.lr: must be > 0") == ("train.lr", "must be > 0")
    assert field_once("data.sources[0]", "format text: bad") == ("data.sources[0]", "format text: bad")
    assert field_once("data", "dataset: x") == ("data", "dataset: x")  # not a deeper field of "data"
    exc = SpecError([("data.sources[0]", "data.sources[0].path: gone")])
    assert (
        exc.errors == [("data.sources[0].path", "gone")] and str(exc) == "invalid job spec: data.sources[0].path: gone"
    )


def test_pre_flight_failures_use_the_validation_box():
    checks = [
        Check("data.sources[0]", "fail", "data.sources[0].path: /x.jsonl: no such file or folder"),
        Check("memory", "warn", "tight"),
        Check("disk", "ok", "fine"),
    ]
    html = live.checks_html(checks)
    assert html.startswith('<div style="border:1px solid #dc2626') and "Nothing was started" in html
    assert "<code>data.sources[0].path</code>: /x.jsonl: no such file or folder" in html
    assert "data.sources[0]: data.sources[0]" not in html and "warn: memory: tight" in html and "fine" not in html
    # The CLI, the sweep notes and the Train tab's check list print Check.line(): the same field named once.
    assert checks[0].line() == "data.sources[0].path: /x.jsonl: no such file or folder"
    assert checks[0].name == "data.sources[0]" and checks[1].line() == "memory: tight"  # the check's key is kept


def test_export_errors_name_the_overwrite_checkbox_once():
    from studio.tabs.export import LABELS

    lines = ["$ studio export x", "error: --out /w/exports/x exists and is not empty (use --force to overwrite)"]
    line = export_view.error_line(lines, 2)
    assert line == "--out /w/exports/x exists and is not empty (tick “Overwrite a non-empty folder” to replace it)"
    assert f"“{LABELS['en']['force']}”" in export_view.FORCE_UI  # the checkbox's own label
    with i18n.using("中文"):  # in 中文 mode the advice names the checkbox by its Chinese label
        zh = export_view.error_line(lines, 2)
    assert zh.endswith(f"（勾选“{LABELS['zh']['force']}”即可替换）") and "--force" not in zh


def test_stop_and_save_reads_as_stopped_and_saved(tmp_path):
    run = _run(tmp_path, status="aborted")
    stopped = "stopped by request at step 3; checkpoint saved: /r/checkpoint-3"
    Registry(tmp_path).update(run.id, error_kind="killed", error=stopped)
    line = runs_view.reason(Registry(tmp_path).get(run.id))
    assert line == "stopped and saved at step 3 (/r/checkpoint-3); Resume continues from there"
    with i18n.using("中文"):
        assert runs_view.reason(Registry(tmp_path).get(run.id)).startswith("已在第 3 步停止并保存 (/r/checkpoint-3)")
    Registry(tmp_path).update(run.id, error="aborted by the user")
    assert runs_view.reason(Registry(tmp_path).get(run.id)) == "[killed] aborted by the user"


def test_a_run_that_ended_before_its_first_step_does_not_say_waiting(tmp_path):
    watch = live.new_watch(_run(tmp_path))
    assert "waiting for the first step" in live.progress_html(watch)
    failed = live.fold(watch, [{"type": "status", "state": "failed", "message": "data error", "time": 1}], 10)
    text = live.progress_html(failed)
    assert "failed before the first training step" in text and "waiting" not in text


# ---------------------------------------------------------------------------- item 6: the SVG charts


def test_charts_tell_the_loss_series_apart_and_say_when_empty():
    empty = svgplot.line_chart({})
    assert "no points yet" in empty and "暂无数据点" in empty and "0.000000" not in empty and "<svg" not in empty
    chart = svgplot.line_chart({"loss": [(1, 2.0), (2, 1.5)], "loss (EMA)": [(1, 2.0), (2, 1.9)],
                                "eval_loss": [(2, 1.7)]})  # fmt: skip
    styles = {name: svgplot.STYLES[name][:3] for name in ("loss", "loss (EMA)", "eval_loss")}
    assert len(set(styles.values())) == 3 and 'stroke-dasharray="6 4"' in chart and "<circle" in chart
    assert chart.count('class="legend-item"') == 3 and "white-space:nowrap" in chart  # the legend is HTML: it wraps
    big = svgplot.line_chart({"tokens_per_s": [(1, 123456.789), (2, 0.000123)]})
    assert 'x="{}"'.format(12 + 7 * len("1.235e+05") - 4) in big  # the margin fits the longest tick label


# ------------------------------------------------------------------ item 8 / 13: the run controls


def test_controls_follow_the_active_runs(tmp_path):
    home = str(tmp_path)
    assert run_controls.controls(home, None) == {"choices": [], "value": None, "stop": False, "abort": False}
    older, newer = _run(tmp_path, "older"), _run(tmp_path, "newer", status="queued")
    now = run_controls.controls(home, live.new_watch(older))
    assert [v for _, v in now["choices"]] == [newer.id, older.id]  # every active run, newest first
    assert now["value"] == older.id and now["stop"] and now["abort"]
    queued = run_controls.controls(home, live.new_watch(newer))
    assert not queued["stop"] and queued["abort"]  # nothing to stop & save before the trainer runs
    Registry(home).finish(older.id, "succeeded")
    done = run_controls.controls(home, live.new_watch(older))
    assert done["value"] is None and not done["stop"] and not done["abort"]
    assert "confirm(" in run_controls.CONFIRM_ABORT_JS and "throw" in run_controls.CONFIRM_ABORT_JS
    assert set(run_controls.LABELS["en"]) == set(run_controls.LABELS["zh"])


# ------------------------------------------------------------------- also: a resumed run's times


def test_a_resumed_runs_started_and_duration_cover_every_attempt(tmp_path):
    run = _run(tmp_path, status="succeeded")
    writer = EventWriter(run.path / EVENTS_FILE)
    t0 = time.time() - 1000
    for event in (
        dict(type="status", state="starting", time=t0),
        dict(type="status", state="aborted", time=t0 + 100),  # first attempt: 100 s
        dict(type="status", state="queued", time=t0 + 500),
        dict(type="status", state="starting", time=t0 + 600),
        dict(type="status", state="succeeded", time=t0 + 650),  # second attempt: 50 s
    ):
        writer.emit(**event)
    Registry(tmp_path).update(run.id, attempt=2, started=t0 + 600, ended=t0 + 650)
    started, duration = runs_view.span(Registry(tmp_path).get(run.id))
    assert started == pytest.approx(t0, abs=0.01) and duration == pytest.approx(150, abs=0.01)
    row = runs_view.table_rows(str(tmp_path))[0]
    assert row[7] == "2:30" and row[6] == time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t0))


# ----------------------------------------------------------------------------------- also: the ETA


def test_the_first_eta_comes_from_whole_measured_step_cycles(monkeypatch):
    from backend.train import callbacks

    clock = [100.0]
    monkeypatch.setattr(callbacks.time, "time", lambda: clock[0])
    cb = callbacks.EventsCallback(SimpleNamespace(emit=lambda *a, **k: None, log=lambda *a, **k: None), start_time=90)
    state = SimpleNamespace(global_step=0, max_steps=10, epoch=0.0, num_input_tokens_seen=0)
    cb.on_train_begin(None, state, None)
    for step, at in ((1, 103.0), (2, 107.0), (3, 111.0)):  # step 1 took 3 s, then 4 s per cycle (logging included)
        clock[0], state.global_step = at, step
        cb.on_step_end(None, state, None)
    assert cb._timing(state)["eta"] is None  # 2 cycles measured: too few
    clock[0], state.global_step = 115.0, 4
    assert cb._timing(state) == {"elapsed": 25.0, "eta": 24.0}  # 6 steps left x 4 s (not 6 x 3.75 from the start)


# --------------------------------------------------------------------------- also: library noise


def test_library_noise_is_filtered_narrowly():
    from backend.quiet import BNB_LOGGER, quiet_library_noise

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_library_noise()
        warnings.warn(
            "`gradient_checkpointing` is deprecated and will be removed in v6. Use x", FutureWarning, stacklevel=1
        )
        warnings.warn(
            "`is_gradient_checkpointing` is deprecated and will be removed in v6. Use y", FutureWarning, stacklevel=1
        )
        warnings.warn(
            "`learning_rate` is deprecated and will be removed in v6", FutureWarning, stacklevel=1
        )  # not ours
        warnings.warn("`gradient_checkpointing` is deprecated and will be removed in v6", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == [
        "`learning_rate` is deprecated and will be removed in v6",
        "`gradient_checkpointing` is deprecated and will be removed in v6",
    ]
    logger = logging.getLogger(BNB_LOGGER)
    kept = []
    handler = logging.Handler()
    handler.emit = kept.append
    logger.addHandler(handler)
    try:
        head = "Failed to load CPU gemm_4bit_forward from kernels-community: %s. Please make sure"
        logger.warning(head, ModuleNotFoundError("No module named 'kernels'"))
        logger.warning(head, RuntimeError("kernel hash mismatch"))  # a real failure still shows
    finally:
        logger.removeHandler(handler)
    assert [r.getMessage() for r in kept] == [head % "kernel hash mismatch"]


# ------------------------------------------------------------------------- also: port and licence


def test_a_busy_port_names_the_port_flag():
    from studio.app import serve_error

    gradio = OSError(
        "Cannot find empty port in range: 7860-7860. You can specify a different port by setting the "
        "GRADIO_SERVER_PORT environment variable or passing the `server_port` parameter to `launch()`."
    )
    line = serve_error("127.0.0.1", 7860, gradio)
    assert "--port" in line and "GRADIO_SERVER_PORT" not in line and "7860" in line
    assert "--port" in serve_error("127.0.0.1", 80, OSError(errno.EADDRINUSE, "Address already in use"))
    assert serve_error("::1", 1, OSError(errno.EACCES, "denied")).startswith("cannot serve on ::1:1:")


def test_pyproject_licence_is_the_pep639_string_without_deprecation():
    from setuptools.config import pyprojecttoml
    from setuptools.dist import Distribution

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dist = pyprojecttoml.apply_configuration(Distribution(), PROJECT_ROOT / "pyproject.toml")
    assert dist.metadata.license_expression == "Apache-2.0"
    assert not [w for w in caught if "license" in str(w.message).lower()]


# --------------------------------------------------------------------- also: Evaluate shows progress


def test_a_running_evaluation_reports_its_elapsed_time(tmp_path, monkeypatch):
    from studio import eval_view
    from studio.eval_view import EvalTabError

    fake = tmp_path / "python"  # stands in for `python -m cli …`: works 0.5 s, then prints its document
    fake.write_text('#!/bin/sh\nsleep 0.5\necho \'{"task": "ppl"}\'\n')
    fake.chmod(0o755)
    monkeypatch.setattr(eval_view.sys, "executable", str(fake))
    steps = list(eval_view.run_eval_steps(["eval"], timeout=30, every=0.1))
    assert steps[-1] == {"task": "ppl"} and len(steps) >= 3
    assert all(isinstance(s, float) for s in steps[:-1]) and steps[:-1] == sorted(steps[:-1])
    with pytest.raises(EvalTabError, match="timed out after 0 s"):  # and the child does not outlive it
        list(eval_view.run_eval_steps(["eval"], timeout=0.2, every=0.1))
