"""The Train tab: the whole JobSpec as a form over a preset, presets, the exact YAML and commands,
start (or queue), stop & save, abort, and a live view of the run (progress, status, log, and
loss/LR/grad-norm/throughput plots).

Contract:
- ``studio.form.FIELDS`` (every JobSpec leaf field) drives the components, ``form_to_spec`` and
  ``spec_to_form``; the form overlays the loaded preset's spec, held in ``gr.State`` as a plain dict.
- The live view (``studio.live``) reads only the new bytes of ``events.jsonl`` at each timer tick, from an
  offset kept in the browser session's ``gr.State``; a tick with nothing new returns ``gr.skip()``.
- Handlers never show a traceback: it goes to the server's terminal, the page gets one line.
- Nothing here imports torch; a run starts in its own process group through ``backend.run.submit``.

API names (for gradio_client): ``load_preset``, ``save_preset``, ``preview``, ``start``, ``start_sweep``,
``stop_save``, ``abort``, ``poll``, ``raw_log``.
"""

from __future__ import annotations

import html
import traceback

import gradio as gr

from backend.events import FINAL_STATES
from backend.run.queue import abort_run
from backend.run.registry import ACTIVE_STATES, Registry
from backend.run.stop import request_stop
from backend.run.story import log_tail
from backend.run.submit import submit
from backend.spec import SpecError, load_spec
from backend.workspace import workspace_home
from studio import live, presets, run_controls, sweep_view
from studio.form import FIELDS, form_to_spec, spec_to_form
from studio.i18n import Labeller, lookup
from studio.live import (
    LOG_LINES,
    PLOTS,
    POLL_S,
    checks_html,
    errors_html,
    new_watch,
    one_line,
    plot_html,
    progress_html,
    status_html,
    tick,
)
from studio.models_view import download_note
from studio.presets import commands, list_presets
from studio.train_form import build_form
from studio.util import guard, hardware

DEFAULT_PRESET = "presets/sft/tiny-lora.yaml"
LABELS = {
    "en": {
        "active": run_controls.LABELS["en"]["active"],
        "preset": "Preset",
        "preset_name": "Save the form as preset (name)",
        "save_preset": "Save as preset",
        "start": "Start",
        "abort": "Abort",
        "stop_save": "Stop & save",
        "override": "Start even if the memory check fails",
        "preview": "Preview: YAML and commands",
        "yaml": "job.yaml",
        "commands": "Commands",
        "progress": "Progress",
        "status": "Status",
        "log": "Log",
        "raw_log": "Raw train.log",
        "refresh": "Refresh",
        "plot.loss": "Loss (raw, smoothed, eval)",
        "plot.learning_rate": "Learning rate",
        "plot.grad_norm": "Gradient norm",
        "plot.tokens_per_s": "Tokens / s",
        "viewer": "Mix several sources in the [data-mix viewer](http://127.0.0.1:8001) (`studio viewer`), "
        "save the policy there, then pick it here:",
        "policy": "Saved sample policy → data.mix.policy",
    },
    "zh": {
        "active": run_controls.LABELS["zh"]["active"],
        "preset": "预设",
        "preset_name": "将当前表单保存为预设（名称）",
        "save_preset": "保存为预设",
        "start": "开始",
        "abort": "中止",
        "stop_save": "保存并停止",
        "override": "显存检查不通过也启动",
        "preview": "预览：YAML 与命令",
        "yaml": "job.yaml",
        "commands": "命令",
        "progress": "进度",
        "status": "状态",
        "log": "日志",
        "raw_log": "原始 train.log",
        "refresh": "刷新",
        "plot.loss": "损失（原始、平滑、验证）",
        "plot.learning_rate": "学习率",
        "plot.grad_norm": "梯度范数",
        "plot.tokens_per_s": "吞吐（token/秒）",
        "viewer": "在[数据配比工具](http://127.0.0.1:8001)（`studio viewer`）中调整多个数据源的配比并保存策略，"
        "再在这里选择：",
        "policy": "已保存的采样策略 → data.mix.policy",
    },
}
for _lang, _labels in sweep_view.TRAIN_LABELS.items():  # the Sweep accordion's labels (studio.sweep_view)
    LABELS[_lang].update(_labels)
_FOLLOW_LOG_JS = """() => {
  const t = document.querySelector('#studio-train-log textarea');
  if (!t) return;
  if (!t.dataset.followed) {
    t.dataset.followed = '1';
    t.addEventListener('scroll', () => {
      t.dataset.away = t.scrollHeight - t.scrollTop - t.clientHeight > 40 ? '1' : '';
    });
  }
  if (t.dataset.away !== '1') t.scrollTop = t.scrollHeight;
}"""


def _note(text: str, ok: bool = True, warn: bool = False) -> str:
    color = "#b45309" if warn else "#16a34a" if ok else "#b91c1c"
    return f'<span style="color:{color}">{html.escape(text)}</span>'


def _text(key: str, language: str) -> str:
    """A label of this tab, or a chart axis title (``axis.*``, from ``studio.live``)."""
    return lookup(live.LABELS if key.startswith("axis.") else LABELS, key, language)


def _plot(name: str) -> gr.HTML:
    # Plain SVG (studio.svgplot): the legend and axis titles are never clipped, an empty chart says so.
    return gr.HTML(plot_html(None, name), label=lookup(LABELS, f"plot.{name}"), show_label=True, container=True,
                   elem_id=f"studio-plot-{name}")  # fmt: skip


def _policies(home: str) -> list[str]:
    """The sample policies saved by the data-mix viewer under ``<workspace>/policies``."""
    from backend.data.mix_policy import list_policies

    return [str(p) for p in list_policies(home)]


def build(home: str | None, demo: gr.Blocks) -> list[Labeller]:
    """Build the Train tab inside the current Blocks context; returns its labellers (for the language switch)."""
    home = str(workspace_home(home))
    names = list_presets()
    first = DEFAULT_PRESET if DEFAULT_PRESET in names else (names[0] if names else None)
    spec0 = load_spec(presets.preset_path(first)) if first else None
    values0 = spec_to_form(spec0) if spec0 else [None] * len(FIELDS)
    text = Labeller(_text)
    L = lambda key: lookup(LABELS, key)  # noqa: E731 - the default-language label at build time

    base = gr.State(spec0.to_dict() if spec0 else None)
    watch = gr.State(None)  # this browser session's run, byte offset and folded events (see new_watch)
    with gr.Row():
        with gr.Column(scale=3):
            with gr.Row(equal_height=True):
                preset = text(
                    "preset", gr.Dropdown(names, value=first, label=L("preset"), scale=3, elem_id="studio-preset")
                )
                preset_name = text(
                    "preset_name", gr.Textbox(label=L("preset_name"), scale=2, elem_id="studio-preset-name")
                )
                save_btn = text(
                    "save_preset", gr.Button(L("save_preset"), scale=1, elem_id="studio-save-preset"), "value"
                )
            preset_note = gr.HTML("")
            inputs, field_labels = build_form(values0, home)  # the dataset and policy pickers sit by Datasets
            with text("preview", gr.Accordion(L("preview"), open=False, elem_id="studio-preview")) as preview_box:
                yaml_code = text(
                    "yaml",
                    gr.Code(spec0.to_yaml() if spec0 else "", language="yaml", label="job.yaml", elem_id="studio-yaml"),
                )
                cmd_code = text("commands", gr.Code("", language="shell", label=L("commands"), wrap_lines=True))
        # The run column sits beside the form, so errors, progress and curves stay in view while editing.
        with gr.Column(scale=2):
            with gr.Row():
                start_btn = text("start", gr.Button(L("start"), variant="primary", elem_id="studio-start"), "value")
                stop_btn = text(
                    "stop_save", gr.Button(L("stop_save"), interactive=False, elem_id="studio-stop-save"), "value"
                )  # fmt: skip - enabled by run_controls while the followed run is active
                abort_btn = text("abort", gr.Button(L("abort"), variant="stop", interactive=False,
                                                    elem_id="studio-abort"), "value")  # fmt: skip
            override = text("override", gr.Checkbox(False, label=L("override"), elem_id="studio-override"))
            sweep_text, sweep_pairs, sweep_btn = sweep_view.build_train_sweep()
            errors = gr.HTML("", elem_id="studio-train-errors")
            active_dd = text("active", gr.Dropdown([], value=None, label=L("active"), elem_id="studio-active-run"))
            gr.HTML(run_controls.DISABLED_CSS, padding=False)
            status = text("status", gr.HTML(status_html(None), label="Status", elem_id="studio-train-status"))
            progress = text("progress", gr.HTML(progress_html(None), label="Progress", elem_id="studio-train-progress"))
            plots = [text(f"plot.{name}", _plot(name)) for name in PLOTS]
            log = text(
                "log", gr.Textbox(label=L("log"), lines=10, max_lines=10, interactive=False, elem_id="studio-train-log")
            )
            with text("raw_log", gr.Accordion(L("raw_log"), open=False)) as raw_box:
                refresh_btn = text("refresh", gr.Button(L("refresh"), size="sm"), "value")
                raw = gr.Code("", show_label=False, max_lines=30)

    @guard
    def preview(preset_path, base_dict, *values):
        try:
            spec = form_to_spec(base_dict, *values)
            note, refused = download_note(spec, home)  # a hub model not downloaded yet: said before Start
            note = _note(note, ok=not refused, warn=refused) if note else ""
            return note, spec.to_yaml(), commands(preset_path, spec, hardware())
        except SpecError as exc:
            return errors_html(exc), "# fix the fields listed above the buttons", ""

    @guard
    def load_preset(path):
        if path not in list_presets():
            raise gr.Error(f"unknown preset {path!r}")
        try:
            spec = load_spec(presets.preset_path(path))
        except SpecError as exc:
            return [gr.skip()] * (1 + len(FIELDS)) + [errors_html(exc), gr.skip(), gr.skip()]
        values = spec_to_form(spec)
        return [spec.to_dict(), *values, *preview(path, spec.to_dict(), *values)]

    @guard
    def save_preset(name, base_dict, *values):
        try:
            spec = form_to_spec(base_dict, *values)
            saved = presets.save_preset(name, spec)
        except SpecError as exc:
            return errors_html(exc), gr.skip()
        except ValueError as exc:
            return _note(str(exc), ok=False), gr.skip()
        return _note(f"saved {saved}"), gr.update(choices=list_presets(), value=saved)

    @guard
    def start(watch_state, force, base_dict, *values):
        # A second Start while this session's run is active queues the new run: it starts when its devices
        # are free (at once when they do not overlap). The view follows the new run; the Runs tab shows both.
        previous = None
        if watch_state and watch_state["state"] not in FINAL_STATES:
            run = Registry(home).get(watch_state["run"])
            previous = run.id if run.status in ACTIVE_STATES else None
        try:
            spec = form_to_spec(base_dict, *values)
            # The CLI's path (backend.run.submit): the launch plan's hardware checks (bf16 on CPU … raise
            # here), the pre-flight (files, data, disk, memory estimate; torch-free), then create and queue.
            submitted = submit(spec, home, hardware(), override=bool(force))
        except SpecError as exc:
            return errors_html(exc), gr.skip(), gr.skip()
        checks = [
            c for c in submitted.checks if c.level != "ok" or c.message.endswith("downloaded first")
        ]  # fmt: skip - a hub model: say so
        lines = [_note(f"{c.level}: {c.line()}", ok=c.level == "ok", warn=c.level == "warn") for c in checks]
        if not submitted.ok:
            # Nothing starts. The override box (as `studio train --override`) turns only the memory check
            # into a warning: missing files or bad data cannot be overridden.
            return checks_html(checks), gr.skip(), gr.skip()  # the same box as a validation error
        run = submitted.run
        if run.job_id:
            lines.append(_note(f"run {run.id} submitted to Slurm as job {run.job_id}"))
        elif run.status == "queued":
            why = f"run {previous} is still active" if previous else "its devices are busy"
            lines.append(_note(f"run {run.id} is queued: {why}; it starts when its devices are free", warn=True))
        state = new_watch(run)
        return "<br>".join(lines), status_html(state), state

    @guard
    def start_sweep(force, base_dict, *args):
        # One run per combination through the CLI's path (backend.sweep); the view follows the first run.
        pairs, values = list(args[: len(sweep_pairs)]), list(args[len(sweep_pairs) :])
        note, runs = sweep_view.start_sweep(home, bool(force), base_dict, pairs, values)
        if not runs:
            return note, gr.skip(), gr.skip()
        state = new_watch(runs[0])
        return note, status_html(state), state

    @guard
    def stop_save(watch_state):
        if not watch_state:
            raise gr.Error("no run to stop")
        try:
            run = request_stop(watch_state["run"], home)
        except ValueError as exc:
            raise gr.Error(str(exc)) from None
        return status_html({**watch_state, "state": run.status, "message": "saving a checkpoint, then stopping"})

    @guard
    def abort(watch_state):
        if not watch_state:
            raise gr.Error("no run to abort")
        run = abort_run(watch_state["run"], home)
        return status_html({**watch_state, "state": run.status, "message": run.error or ""})

    def poll(watch_state):
        try:
            return tick(watch_state, home)
        except Exception as exc:  # noqa: BLE001 - a tick must never toast a traceback twice a second
            traceback.print_exc()
            skip = [gr.skip()] * (2 + len(PLOTS))
            return gr.skip(), status_html(None, error=one_line(exc)), *skip

    @guard
    def raw_log(watch_state):
        if not watch_state:
            return "no run yet"
        return log_tail(Registry(home).get(watch_state["run"]), LOG_LINES) or "(train.log is empty)"

    def reattach():
        # After a page reload: follow the newest active run again, replay its events from byte 0,
        # and show its own job.yaml in the form (not the default preset's values).
        run = next((r for r in Registry(home).list() if r.status in ACTIVE_STATES), None)
        if run is None:
            return [gr.skip()] * (2 + len(FIELDS))
        try:
            spec = load_spec(run.files.job)
            return [new_watch(run), spec.to_dict(), *spec_to_form(spec)]
        except SpecError:
            return [new_watch(run)] + [gr.skip()] * (1 + len(FIELDS))

    fast = dict(concurrency_limit=None, show_progress="hidden")
    previewed = [errors, yaml_code, cmd_code]
    preset.input(load_preset, preset, [base, *inputs, *previewed], api_name="load_preset")
    save_btn.click(save_preset, [preset_name, base, *inputs], [preset_note, preset], api_name="save_preset")
    gr.on(
        [c.input for c in inputs] + [preview_box.expand],
        preview,
        [preset, base, *inputs],
        previewed,
        api_name="preview",
        trigger_mode="always_last",
        **fast,
    )
    started = start_btn.click(start, [watch, override, base, *inputs], [errors, status, watch], api_name="start")
    sweep_btn.click(
        start_sweep, [override, base, *sweep_pairs, *inputs], [errors, status, watch], api_name="start_sweep"
    )
    stop_btn.click(stop_save, watch, status, api_name="stop_save")
    abort_btn.click(abort, watch, status, api_name="abort", js=run_controls.CONFIRM_ABORT_JS)
    run_controls.wire(home, demo, watch, active_dd, stop_btn, abort_btn, started)
    outputs = [progress, status, log, *plots, watch]
    ticked = gr.Timer(POLL_S).tick(poll, watch, outputs, api_name="poll", **fast)
    # Textbox autoscroll does not follow a read-only box in gradio 6.31; keep the tail in view in the
    # browser (no server call), unless the user has scrolled up to read.
    ticked.then(None, js=_FOLLOW_LOG_JS)
    gr.on([refresh_btn.click, raw_box.expand], raw_log, watch, raw, api_name="raw_log", **fast)
    demo.load(reattach, None, [watch, base, *inputs], api_visibility="private")
    # A language switch re-renders the run's status and progress in the new language.
    text.on_switch(
        lambda w: (progress_html(w), status_html(w), *(plot_html(w, name) for name in PLOTS)),
        [watch],
        [progress, status, *plots],
    )  # the charts' axis title too
    # Presets saved from another tab or session show up after a reload.
    demo.load(lambda: gr.update(choices=list_presets()), None, preset, api_visibility="private")
    return [text, field_labels, sweep_text]
