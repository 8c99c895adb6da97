"""The live view of a run: events folded into a per-session watch, rendered as progress, status, log, plots.

A *watch* is a plain dict held in the browser session's ``gr.State``: the run id and folder, the byte
offset reached in ``events.jsonl``, and what the events so far say (state, progress, log lines, loss
points). Each timer tick reads only the bytes after the offset; a tick with nothing new returns
``gr.skip()`` for every output, so nothing re-renders. Replaying from offset 0 rebuilds the whole
view, which is how a reloaded page catches up with a run.
"""

from __future__ import annotations

import html
import math
import time
from pathlib import Path

import gradio as gr
import pandas as pd

from backend.events import EVENTS_FILE, FINAL_STATES, EventReader
from backend.failures import disk_message, field_once, human_bytes, is_disk_error, reason
from backend.run.queue import lost, reconcile
from backend.run.registry import Registry, Run, format_duration
from backend.spec import SpecError
from backend.workspace import workspace_home
from studio.i18n import state_word, tr

LOG_LINES = 200
POLL_S = 0.5
# The texts this module renders, in the session's language (studio.i18n.tr).
LABELS = {
    "en": {
        "nothing_started": "Nothing was started. Fix:",
        "no_run": "no run",
        "no_run_yet": "no run yet",
        "waiting": "waiting for the first step…",
        "ended_early": "{state} before the first training step",
        "downloading": "downloading the model · {done} / {total} · {pct:.0f}% · {speed}/s · ETA {eta}",
        "progress": "step {step}/{total} · {pct:.0f}% · elapsed {elapsed} · ETA {eta}",
        "rate": " · {rate:,.0f} tokens/s per device",
        "axis.step": "step",
        "axis.value": "value",
        "axis.series": "series",
    },
    "zh": {
        "nothing_started": "未启动任何运行。请修正：",
        "no_run": "无运行",
        "no_run_yet": "尚无运行",
        "waiting": "等待第一步…",
        "ended_early": "{state}（尚未完成第一个训练步）",
        "downloading": "正在下载模型 · {done} / {total} · {pct:.0f}% · {speed}/s · 预计剩余 {eta}",
        "progress": "第 {step}/{total} 步 · {pct:.0f}% · 已用 {elapsed} · 预计剩余 {eta}",
        "rate": " · 每设备 {rate:,.0f} token/秒",
        "axis.step": "步数",
        "axis.value": "数值",
        "axis.series": "曲线",
    },
}
_COLORS = {
    "starting": "#d97706",
    "running": "#2563eb",
    "aborting": "#d97706",
    "succeeded": "#16a34a",
    "failed": "#dc2626",
}


def one_line(exc: BaseException) -> str:
    """An exception as one short human line (never a traceback); a full disk is the ``disk`` class's line,
    with the path and the free space there."""
    if is_disk_error(exc):
        return "[disk] " + reason("disk", disk_message(exc, workspace_home()))
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:300]


def errors_html(exc: SpecError) -> str:
    """The error box: one ``field: message`` line per problem (each field named once)."""
    return problems_html([field_once(f, m) for f, m in exc.errors])


def problems_html(problems: list[tuple[str, str]]) -> str:
    """The "Nothing was started" box, one line per ``(field or check name, message)``: validation errors and
    pre-flight failures look the same."""
    items = "".join(
        f"<li><code>{html.escape(f)}</code>: {html.escape(m)}</li>" if f else f"<li>{html.escape(m)}</li>"
        for f, m in problems
    )
    return (
        '<div style="border:1px solid #dc2626;border-radius:6px;padding:6px 12px;color:#b91c1c">'
        f"<b>{html.escape(tr(LABELS, 'nothing_started'))}</b><ul style='margin:4px 0'>{items}</ul></div>"
    )


def checks_html(checks) -> str:
    """Pre-flight results of a refused start: the failed checks in the same box as validation errors (each
    field named once), then the warnings, one amber line each."""
    box = problems_html([field_once(c.name, c.message) for c in checks if c.level == "fail"])
    warned = "".join(
        f'<div style="color:#b45309">warn: {html.escape(c.name)}: {html.escape(c.message)}</div>'
        for c in checks
        if c.level == "warn"
    )
    return box + warned


MAX_WARNINGS = 3


def new_watch(run: Run) -> dict:
    """A session's view of ``run`` before any event is read, so the events replay from byte 0."""
    return dict(
        run=run.id,
        dir=run.run_dir,
        offset=0,
        state=run.status,
        message="",
        error="",
        progress=None,
        warnings=[],
        lines=[],
        points=[],
        ema=None,
    )


EMA_WEIGHT = 0.8  # weight of the previous smoothed value (TensorBoard-style smoothing)
# plot name -> the series it draws; every series is a metric key except the smoothed loss.
PLOTS = {
    "loss": ("loss", "loss (EMA)", "eval_loss"),
    "learning_rate": ("learning_rate",),
    "grad_norm": ("grad_norm",),
    "tokens_per_s": ("tokens_per_s", "tokens_per_s_per_device"),
}
_METRICS = ("loss", "eval_loss", "learning_rate", "grad_norm", "tokens_per_s", "tokens_per_s_per_device", "mfu")
# Shown under the progress bar from the latest metric event (backend.flops: MFU only on a GPU it knows).
RATE_KEYS = ("tokens_per_s_per_device", "mfu")


def _add_points(w: dict, e: dict) -> None:
    """Append this metric event's values (and the smoothed loss) to the watch's points."""
    recent = [p[:2] for p in w["points"][-8:]]
    for key in _METRICS:
        value = e.get(key)
        # One point per step and series: a value reported twice (final eval) comes back to back.
        if not isinstance(value, (int, float)) or [e["step"], key] in recent:
            continue
        w["points"].append([e["step"], key, value])
        if key == "loss":
            ema = value if w.get("ema") is None else EMA_WEIGHT * w["ema"] + (1 - EMA_WEIGHT) * value
            w["ema"] = ema
            w["points"].append([e["step"], "loss (EMA)", round(ema, 6)])


def fold(watch: dict, events: list[dict], offset: int) -> dict:
    """A new watch with ``events`` applied: progress, state, log lines and metric points."""
    w = {**watch, "offset": offset, "lines": list(watch["lines"]), "points": list(watch["points"])}
    w["warnings"] = list(watch.get("warnings") or [])
    for e in events:
        kind, line = e["type"], None
        if kind in ("progress", "metric") and e.get("total_steps"):
            # Final metric events may lack timing; keep the last known elapsed/ETA rather than blank them.
            fresh = {k: e[k] for k in ("step", "total_steps", "elapsed", "eta") if e.get(k) is not None}
            w["progress"] = {**(w["progress"] or {}), **fresh}
        if kind == "progress" and e.get("phase") == "download" and e.get("total_bytes"):
            w["download"] = {k: e.get(k) for k in ("bytes", "total_bytes", "speed", "eta")}  # the run's download step
        if kind == "metric":
            _add_points(w, e)
            if isinstance(e.get("tokens_per_s_per_device"), (int, float)):
                w["rate"] = {k: e[k] for k in RATE_KEYS if isinstance(e.get(k), (int, float))}
            shown = ", ".join(f"{k} {e[k]:.4g}" for k in _METRICS if isinstance(e.get(k), (int, float)))
            line = f"step {e.get('step')}/{e.get('total_steps')}: {shown}" if shown else None
        elif kind == "status":
            w["state"], w["message"] = e.get("state", w["state"]), e.get("message", "")
            line = f"[{w['state']}] {w['message']}"
        elif kind == "log":
            line = e.get("message", "")
            if e.get("level") == "warning" and line not in w["warnings"]:
                w["warnings"] = (w["warnings"] + [line])[-MAX_WARNINGS:]  # shown under the status badge
        elif kind == "error":
            w["error"] = e.get("message", "")
            line = f"error ({e.get('kind', 'unknown')}): {w['error']}"
        elif kind == "checkpoint":
            line = f"checkpoint at step {e.get('step')}: {e.get('path')}"
        elif kind == "result":
            line = f"saved to {e.get('output_dir')}"
        stamp = time.strftime("%H:%M:%S ", time.localtime(e.get("time", 0)))
        if line is not None and not (w["lines"] and w["lines"][-1][len(stamp) :] == line):
            w["lines"].append(stamp + line)
    w["lines"] = w["lines"][-LOG_LINES:]
    return w


def tick(watch: dict | None, home: str) -> tuple:
    """One timer tick: (progress, status, log, *plots, watch) with one plot per ``PLOTS`` entry;
    gr.skip() for all when nothing is new, and for each plot that got no new point."""
    nothing = (gr.skip(),) * (4 + len(PLOTS))
    if not watch:
        return nothing
    reader = EventReader(Path(watch["dir"]) / EVENTS_FILE, watch["offset"])
    events = reader.read_new()
    if not events:
        if watch["state"] not in FINAL_STATES:
            run = Registry(home).get(watch["run"])
            if lost(run):
                reconcile(home)  # killed outright: this records it, and its event arrives next tick
        return nothing
    w = fold(watch, events, reader.offset)
    new = {p[1] for p in w["points"][len(watch["points"]) :]}
    plots = [
        plot_html(w, name) if new & set(series) or not watch["offset"] else gr.skip() for name, series in PLOTS.items()
    ]
    return (progress_html(w), status_html(w), "\n".join(w["lines"]), *plots, w)


def plot_html(w: dict | None, name: str) -> str:
    """The ``PLOTS[name]`` series of a watch as an SVG chart (an empty-state text before the first point)."""
    from studio.svgplot import frame_chart

    return frame_chart(metric_frame(w, PLOTS[name], seed=False), label=name)


def progress_html(w: dict | None) -> str:
    """The progress bar with "step 37/120 · 31% · elapsed 0:12 · ETA 0:25" under it, then the tokens/s per
    device and MFU of the latest metric event (MFU only where :mod:`backend.flops` knows the GPU's peak)."""
    p = (w or {}).get("progress")
    d = (w or {}).get("download")
    if not p and d:  # the run downloads its model first
        pct = 100.0 * (d["bytes"] or 0) / d["total_bytes"]
        eta = format_duration(d.get("eta"), "–")
        done, size, speed = (human_bytes(d.get(k) or 0) for k in ("bytes", "total_bytes", "speed"))
        text = tr(LABELS, "downloading", done=done, total=size, pct=pct, speed=speed, eta=eta)
    elif not p and w and w.get("state") in FINAL_STATES:  # never "waiting…" for an ended run
        pct, text = 0.0, tr(LABELS, "ended_early", state=state_word(w["state"]))
    elif not p:
        pct, text = 0.0, tr(LABELS, "waiting" if w else "no_run_yet")
    else:
        step, total = p.get("step") or 0, p.get("total_steps") or 0
        pct = 100.0 * step / total if total else 0.0
        elapsed, eta = (format_duration(p.get(k), "–") for k in ("elapsed", "eta"))
        text = tr(LABELS, "progress", step=step, total=total, pct=pct, elapsed=elapsed, eta=eta)
        rate = w.get("rate") or {}
        if "tokens_per_s_per_device" in rate:
            text += tr(LABELS, "rate", rate=rate["tokens_per_s_per_device"])
        if "mfu" in rate:
            text += f" · MFU {100 * rate['mfu']:.1f}%"
    return (
        '<div style="background:#e5e7eb;border-radius:4px;height:10px;overflow:hidden">'
        f'<div style="width:{pct:.1f}%;height:100%;background:#2563eb"></div></div>'
        f'<div style="font-family:monospace;margin-top:4px">{html.escape(text)}</div>'
    )


def status_html(w: dict | None, error: str | None = None) -> str:
    """The status badge, the run id, the error message of a failed run and the run's warnings."""
    if error:
        state, run, detail = "error", "", error
    elif not w:
        return f'<span style="color:#6b7280">{html.escape(tr(LABELS, "no_run"))}</span>'
    else:
        state, run = w["state"], w["run"]
        detail = (w.get("error") or w.get("message") or "") if state in ("failed", "aborted") else ""
    badge = (
        f'<span class="run-state" data-state="{html.escape(state)}" '
        f'style="background:{_COLORS.get(state, "#6b7280")};color:#fff;border-radius:9px;padding:2px 10px">'
    )
    warned = "".join(
        f'<div class="run-warning" style="color:#b45309">⚠ {html.escape(m)}</div>'
        for m in (w or {}).get("warnings") or []
    )
    return (
        f"<div>{badge}{html.escape(state_word(state))}</span> <code>{html.escape(run)}</code> "
        f"{html.escape(detail)}{warned}</div>"
    )


def metric_frame(w: dict | None, series: tuple[str, ...] = PLOTS["loss"], seed: bool = True) -> pd.DataFrame:
    """The points of ``series`` as a long DataFrame: step, series, value.

    With ``seed``, every series also gets an empty (NaN) point at step 0. Gradio 6.31's plot fixes its
    colour domain from the first frame it draws and later frames only swap the data, so a series that
    was not in the first frame is drawn without a colour (invisible); seeding keeps them all in it.
    """
    rows = [[0, name, math.nan] for name in series] if seed else []
    rows += [p for p in (w or {}).get("points") or [] if p[1] in series]
    # Typed columns even when empty: an untyped (object) column would make the values categories.
    frame = pd.DataFrame(rows, columns=["step", "series", "value"])
    return frame.astype({"step": "int64", "series": "str", "value": "float64"})


def loss_frame(w: dict | None) -> pd.DataFrame:
    """The loss curves (raw, smoothed, eval) as a long DataFrame."""
    return metric_frame(w, PLOTS["loss"])
