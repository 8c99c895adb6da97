"""The Runs tab: every run in the registry, one run's details, and a comparison of several runs.

Everything comes from the SQLite registry and the run folders, so a reloaded page or a restarted UI
shows the same runs. The table refreshes on a slow timer and returns ``gr.skip()`` when nothing
changed. Selecting a row (or an id in the dropdown) shows that run, and its details follow it while it is
active; picking several ids in the
comparison overlays their loss curves and lists only the JobSpec fields that differ.

API names (for gradio_client): ``runs_refresh``, ``run_details``, ``runs_compare``, ``run_abort``, ``run_stop_save``,
``run_resume``, ``runs_sweep`` (a sweep's comparison: :mod:`studio.sweep_view`).
"""

from __future__ import annotations

import gradio as gr

from backend.run.queue import abort_run, resume_run
from backend.run.registry import ACTIVE_STATES, Registry, latest_checkpoint
from backend.run.stop import request_stop
from backend.workspace import workspace_home
from studio import live, run_controls, runs_view, svgplot, sweep_view
from studio.i18n import STATES, Labeller, lookup
from studio.live import status_html
from studio.util import guard, hardware

REFRESH_S = 2.0
STATUSES = ["all", "created", "queued", "starting", "running", "aborting", "succeeded", "failed", "aborted"]
LABELS = {
    "en": {
        "filter": "Status",
        "refresh": "Refresh",
        "table": "Runs (click a row to open it)",
        "run": "Run",
        "abort": "Abort this run",
        "stop_save": "Stop & save checkpoint",
        "resume": "Resume from the latest checkpoint",
        "status": "Status and reason",
        "curves": "Loss",
        "spec": "job.yaml",
        "log": "Log tail",
        "checkpoints": "Checkpoints",
        "outputs": "Output folders",
        "compare": "Compare runs",
        "compare_runs": "Runs to compare",
        "overlay": "Training loss of the selected runs",
        "diff": "Fields that differ",
        "mix": "Data mix: planned vs realised token shares",
    },
    "zh": {
        "filter": "状态",
        "refresh": "刷新",
        "table": "运行列表（点击一行查看）",
        "run": "运行",
        "abort": "中止该运行",
        "stop_save": "保存检查点并停止",
        "resume": "从最新检查点继续",
        "status": "状态与原因",
        "curves": "损失",
        "spec": "job.yaml",
        "log": "日志末尾",
        "checkpoints": "检查点",
        "outputs": "输出目录",
        "compare": "对比运行",
        "compare_runs": "要对比的运行",
        "overlay": "所选运行的训练损失",
        "diff": "不同的配置项",
        "mix": "数据配比：计划与实际 token 占比",
    },
}

for _lang, _labels in sweep_view.RUNS_LABELS.items():  # the Sweeps accordion's labels (studio.sweep_view)
    LABELS[_lang].update(_labels)


def _text(key: str, language: str):
    """A label of this tab, a chart axis title (``axis.*``) or the status filter's choices (``filter.choices``)."""
    if key == "filter.choices":
        return [(lookup(STATES, s, language) if s in STATES["zh"] else s, s) for s in STATUSES]
    return lookup(live.LABELS if key.startswith("axis.") else LABELS, key, language)


def _ids(rows: list[list]) -> list[str]:
    return [row[0] for row in rows]


def build(home: str | None, demo: gr.Blocks) -> list[Labeller]:
    """Build the Runs tab inside the current Blocks context; returns its labeller (for the language switch)."""
    home = str(workspace_home(home))
    text = Labeller(_text)
    L = lambda key: lookup(LABELS, key)  # noqa: E731 - the default-language label at build time

    rows0 = runs_view.table_rows(home)
    shown = gr.State(None)  # what the table shows now, so an unchanged refresh re-renders nothing
    with gr.Row(equal_height=True):
        status_filter = text("filter", gr.Dropdown(STATUSES, value="all", label=L("filter"), scale=1))
        text("filter.choices", status_filter, "choices")
        refresh_btn = text("refresh", gr.Button(L("refresh"), size="sm", scale=0), "value")
    table = text(
        "table",
        gr.Dataframe(
            rows0, headers=runs_view.COLUMNS, interactive=False, label=L("table"), max_height=320, elem_id="runs-table"
        ),
    )
    with gr.Row(equal_height=True):
        run_dd = text("run", gr.Dropdown(_ids(rows0), value=None, label=L("run"), scale=3, elem_id="runs-run"))
        stop_btn = text(
            "stop_save", gr.Button(L("stop_save"), scale=1, interactive=False, elem_id="runs-stop-save"), "value"
        )
        abort_btn = text(
            "abort", gr.Button(L("abort"), variant="stop", scale=1, interactive=False, elem_id="runs-abort"), "value"
        )
        resume_btn = text("resume", gr.Button(L("resume"), scale=1, interactive=False, elem_id="runs-resume"), "value")
    status = text("status", gr.HTML("", label=L("status"), elem_id="runs-status"))
    gr.HTML(run_controls.DISABLED_CSS, padding=False)  # a disabled Abort looks disabled, not red
    with gr.Row():
        # Plain SVG (studio.svgplot): loss, its EMA, eval loss and the best step in styles told apart, the legend
        # never clipped, an empty-state text for a run with no loss yet.
        curves = text(
            "curves",
            gr.HTML(svgplot.line_chart({}), label=L("curves"), show_label=True, container=True, elem_id="runs-curves"),
        )
        spec = text("spec", gr.Code("", language="yaml", label=L("spec"), max_lines=24))
    with gr.Row():
        log = text("log", gr.Code("", label=L("log"), max_lines=16))
        with gr.Column():
            ckpts = text("checkpoints", gr.Textbox(label=L("checkpoints"), lines=3, interactive=False))
            outs = text("outputs", gr.Textbox(label=L("outputs"), lines=2, interactive=False))
    mix = text(
        "mix", gr.Dataframe(headers=runs_view.MIX_COLUMNS, interactive=False, label=L("mix"), elem_id="runs-mix")
    )
    with text("compare", gr.Accordion(L("compare"), open=True)):
        compare_dd = text(
            "compare_runs",
            gr.Dropdown(_ids(rows0), value=[], multiselect=True, label=L("compare_runs"), elem_id="runs-compare"),
        )
        # The overlay's series are run ids that change with the selection: drawn as plain SVG (see svgplot).
        text("overlay", gr.Markdown(L("overlay")), "value")
        overlay = gr.HTML(svgplot.line_chart({}), elem_id="runs-overlay")
        diff = text("diff", gr.Dataframe(headers=["field"], interactive=False, label=L("diff"), elem_id="runs-diff"))
    sweep_text = sweep_view.build_runs_sweeps(home, REFRESH_S)  # a sweep's runs grouped and compared

    @guard
    def refresh(status_value, last, force=False):
        rows = runs_view.table_rows(home, status_value)
        ids = [r.id for r in Registry(home).list()]  # choices are every run, whatever the filter
        now = {"rows": rows, "ids": ids}
        if now == last and not force:
            return (gr.skip(),) * 4
        # Only the choices change: setting the values here would race the user's own selection.
        choices = gr.update(choices=ids) if force or not last or last["ids"] != ids else gr.skip()
        return runs_view.shown_table(rows), choices, choices, now

    def refresh_now(status_value, last):
        return refresh(status_value, last, force=True)

    @guard
    def show(run_id):
        if not run_id:
            off = gr.update(interactive=False)
            return "", gr.skip(), "", "", "", "", off, off, off, gr.skip()
        d = runs_view.details(home, run_id)
        run = d["run"]
        badge = status_html(
            {
                "state": run.status,
                "run": run.id,
                "error": d["reason"],
                "message": d["reason"],
                "warnings": d["warnings"],
            }
        )
        active = run.status in ACTIVE_STATES
        return (
            badge,
            svgplot.frame_chart(runs_view.curves(run), height=260, label="loss"),
            d["yaml"],
            d["log"],
            d["checkpoints"],
            d["outputs"],
            gr.update(interactive=active),
            # Stop & save needs a trainer that is running and a stage that keeps resumable checkpoints.
            gr.update(interactive=run.status in ("starting", "running") and d["stoppable"]),
            # A failed or aborted run with a complete checkpoint can go on as its next attempt.
            gr.update(interactive=run.status in ("failed", "aborted") and latest_checkpoint(run) is not None),
            runs_view.realised_mix(run.run_dir),
        )

    def follow_selected(run_id, seen=None):
        # The open run's details follow it while it is active, and once more whenever its recorded state
        # differs from the one they last showed (its end, however late the tick that sees it comes; a
        # resume); a finished run is not re-read every tick. Returns the details and what they show.
        if not run_id:
            return (*(gr.skip(),) * len(shown_out), seen)
        run = Registry(home).get(run_id)
        now = [run.id, run.status, run.attempt]
        if run.status not in ACTIVE_STATES and now == seen:
            return (*(gr.skip(),) * len(shown_out), seen)
        return (*show(run_id), now)

    def pick(evt: gr.SelectData):
        row = evt.row_value or []
        return row[0] if row else gr.skip()

    @guard
    def compare(run_ids):
        run_ids = list(run_ids or [])
        return svgplot.line_chart(runs_view.overlay(home, run_ids)), runs_view.config_diff(home, run_ids)

    @guard
    def abort(run_id):
        if not run_id:
            raise gr.Error("no run selected")
        abort_run(run_id, home)
        return show(run_id)

    @guard
    def stop_save(run_id):
        if not run_id:
            raise gr.Error("no run selected")
        try:
            request_stop(run_id, home)  # returns at once; the run saves, stops and ends as aborted
        except ValueError as exc:
            raise gr.Error(str(exc)) from None
        return show(run_id)

    @guard
    def resume(run_id):
        if not run_id:
            raise gr.Error("no run selected")
        try:
            resume_run(run_id, home, hardware=hardware())
        except ValueError as exc:
            raise gr.Error(str(exc)) from None
        return show(run_id)

    fast = dict(concurrency_limit=None, show_progress="hidden")
    listed = [status_filter, shown]
    refreshed = [table, run_dd, compare_dd, shown]
    shown_out = [status, curves, spec, log, ckpts, outs, abort_btn, stop_btn, resume_btn, mix]
    gr.on([refresh_btn.click, status_filter.change], refresh_now, listed, refreshed, api_name="runs_refresh")

    def tick(status_value, last, run_id, seen):
        # The table and the open run's details in one handler, so the table's status never lags the details.
        return (*refresh(status_value, last), *follow_selected(run_id, seen))

    seen = gr.State(None)  # [run id, status, attempt] the details showed at the last tick
    timer = gr.Timer(REFRESH_S)
    timer.tick(tick, [*listed, run_dd, seen], [*refreshed, *shown_out, seen], api_visibility="private", **fast)
    demo.load(refresh_now, listed, refreshed, api_visibility="private")
    table.select(pick, None, run_dd, api_visibility="private")
    run_dd.change(show, run_dd, shown_out, api_name="run_details")
    compare_dd.change(compare, compare_dd, [overlay, diff], api_name="runs_compare")
    # An action changes the run's status: the table shows it at once, not at the next tick.
    abort_btn.click(abort, run_dd, shown_out, api_name="run_abort", js=run_controls.CONFIRM_ABORT_JS).then(
        refresh_now, listed, refreshed, **fast
    )
    stop_btn.click(stop_save, run_dd, shown_out, api_name="run_stop_save").then(refresh_now, listed, refreshed, **fast)
    resume_btn.click(resume, run_dd, shown_out, api_name="run_resume").then(refresh_now, listed, refreshed, **fast)
    # A language switch re-renders what handlers wrote: the table, the open run, the comparison.
    text.on_switch(refresh_now, listed, refreshed)
    # With nothing picked there is nothing to re-render (empty charts carry both languages): skipping also keeps a
    # late switch or tab-select response from blanking what a pick that came after it has shown.
    text.on_switch(lambda run_id: show(run_id) if run_id else (gr.skip(),) * len(shown_out), [run_dd], shown_out)
    text.on_switch(lambda run_id: gr.skip() if run_id else runs_view.empty_mix(), [run_dd], [mix])
    text.on_switch(lambda ids: compare(ids) if ids else (gr.skip(), gr.skip()), [compare_dd], [overlay, diff])
    return [text, sweep_text]
