"""The Train tab: a JobSpec form over a preset, the exact YAML and commands, start/abort, a live view.

Contract:
- ``FIELDS`` (dotted JobSpec names) is the one list that drives the components, ``form_to_spec`` and
  ``spec_to_form``; no other code depends on the position of a value.
- The form overlays the loaded preset's spec, held in ``gr.State`` as a plain dict, so the fields the
  form does not show keep the preset's values.
- The live view (``studio.live``) reads only the new bytes of ``events.jsonl`` at each timer tick, from an offset kept
  in the browser session's ``gr.State``; a tick with nothing new returns ``gr.skip()``.
- Handlers never show a traceback: it goes to the server's terminal, the page gets one line.
- Nothing here imports torch; a run starts in its own process group through ``backend.jobs``.

API names (for gradio_client): ``load_preset``, ``preview``, ``start``, ``abort``, ``poll``, ``raw_log``.
"""

from __future__ import annotations

import copy
import functools
import re
import shlex
import threading
import traceback

import gradio as gr
import yaml

from backend import jobs
from backend.events import FINAL_STATES
from backend.launch import Hardware, build_launch, detect_hardware
from backend.spec import DataSource, JobSpec, SpecError, apply_overrides, field_docs, load_spec, spec_from_dict
from backend.workspace import PROJECT_ROOT, workspace_home
from studio.i18n import DEFAULT_LANGUAGE, t
from studio.live import (
    LOG_LINES,
    POLL_S,
    errors_html,
    loss_frame,
    new_watch,
    one_line,
    progress_html,
    status_html,
    tick,
)

FIELDS = [
    "stage",
    "method.type",
    "train.precision",
    "model.name_or_path",
    "data.sources[0].path",
    "output.run_name",
    "data.cutoff_len",
    "train.num_epochs",
    "train.max_steps",
    "train.per_device_batch_size",
    "train.gradient_accumulation_steps",
    "train.learning_rate",
]
DEFAULT_PRESET = "presets/sft/tiny-lora.yaml"
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
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@functools.cache
def _docs() -> dict[str, dict]:
    # field_docs does not descend into lists; the form edits the first data source.
    return {**field_docs(), **field_docs(DataSource, "data.sources[0].")}


def _parts(dotted: str) -> list[str | int]:
    return [int(index) if index else key for key, index in _PART.findall(dotted)]


def _get(data, dotted: str):
    for part in _parts(dotted):
        data = data[part]
    return data


def _set(data: dict, dotted: str, value) -> None:
    parts = _parts(dotted)
    for part, nxt in zip(parts, parts[1:], strict=False):
        if isinstance(part, int):
            data.extend({} for _ in range(part + 1 - len(data)))
            data = data[part]
        else:
            data = data.setdefault(part, [] if isinstance(nxt, int) else {})
    data[parts[-1]] = value


def _coerce(field: str, value):
    """A form value as the JobSpec expects it: blank optional text is None, whole floats are ints."""
    doc = _docs()[field]
    if isinstance(value, str):
        value = value.strip()
        if not value and (doc["default"] is None or "None" in doc["type"]):
            return None
    if doc["type"].startswith("int") and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def form_to_spec(base_spec: JobSpec | dict | None, *values) -> JobSpec:
    """The form's ``values`` (in FIELDS order) laid over ``base_spec``; raises SpecError naming fields."""
    if len(values) != len(FIELDS):
        raise TypeError(f"expected {len(FIELDS)} form values, got {len(values)}")
    data = base_spec.to_dict() if isinstance(base_spec, JobSpec) else copy.deepcopy(base_spec or {})
    for field, value in zip(FIELDS, values, strict=True):
        _set(data, field, _coerce(field, value))
    return spec_from_dict(data)


def spec_to_form(spec: JobSpec) -> list:
    """The form values of ``spec``, in FIELDS order (None text as "", which form_to_spec turns back)."""
    data = spec.to_dict()
    return [("" if value is None and not _docs()[f]["choices"] else value) for f in FIELDS for value in [_get(data, f)]]


def list_presets() -> list[str]:
    """Every JobSpec preset, relative to the project root (accelerate/DeepSpeed configs excluded)."""
    root = PROJECT_ROOT / "presets"
    paths = (p for p in root.rglob("*.yaml") if p.relative_to(root).parts[0] != "accelerate")
    return sorted(str(p.relative_to(PROJECT_ROOT)) for p in paths)


_hw_lock = threading.Lock()
_hw: Hardware | None = None


def hardware() -> Hardware:
    """This machine's hardware, probed once (in a child process, so torch stays out of the UI)."""
    global _hw
    with _hw_lock:
        if _hw is None:
            _hw = detect_hardware()
        return _hw


def _scalar(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10**9).strip().removesuffix("...").strip()


def commands(preset: str | None, spec: JobSpec, hw: Hardware) -> str:
    """The shell lines that run ``spec``: ``studio train`` (from job.yaml, and from the preset with
    ``--set`` overrides when those reproduce ``spec`` exactly) and the ``accelerate launch`` it makes."""
    lines = ["# the YAML above, saved as job.yaml:", "studio train job.yaml"]
    if preset:
        base = load_spec(PROJECT_ROOT / preset)
        new, old = spec.to_dict(), base.to_dict()
        sets = [f"{f}={_scalar(_get(new, f))}" for f in FIELDS if _get(new, f) != _get(old, f)]
        try:
            same = apply_overrides(base, sets) == spec
        except SpecError:  # e.g. a dataset path: apply_overrides has no list indexes
            same = False
        if same:
            line = " ".join(["studio train", shlex.quote(preset), *(f"--set {shlex.quote(s)}" for s in sets)])
            lines += ["# or, the same from the preset:", line]
    lines += ["# which launches:", build_launch(spec, "<run_dir>", hw).shell()]
    return "\n".join(lines)


def _guard(fn):
    """Turn unexpected exceptions into one line on the page (gr.Error); the traceback goes to the log."""

    @functools.wraps(fn)
    def wrapper(*args):
        try:
            return fn(*args)
        except gr.Error:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever it is, the page gets one line
            traceback.print_exc()
            raise gr.Error(one_line(exc)) from None

    return wrapper


def build(home: str | None, demo: gr.Blocks, lang: gr.Radio | None = None) -> None:
    """Build the Train tab inside the current Blocks context; ``lang`` relabels it live."""
    home = str(workspace_home(home))
    presets = list_presets()
    first = DEFAULT_PRESET if DEFAULT_PRESET in presets else (presets[0] if presets else None)
    spec0 = load_spec(PROJECT_ROOT / first) if first else None
    values0 = spec_to_form(spec0) if spec0 else [None] * len(FIELDS)

    labelled: list[tuple[str, gr.components.Component, str]] = []

    def label(key: str, component, attr: str = "label"):
        labelled.append((key, component, attr))
        return component

    base = gr.State(spec0.to_dict() if spec0 else None)
    watch = gr.State(None)  # this browser session's run, byte offset and folded events (see new_watch)
    preset = label("preset", gr.Dropdown(presets, value=first, label=t("preset")))
    inputs = []
    for row in range(0, len(FIELDS), 3):
        with gr.Row():
            for field, value in zip(FIELDS[row : row + 3], values0[row : row + 3], strict=True):
                inputs.append(label(field, _component(field, value)))
    errors = gr.HTML("")
    with gr.Row():
        start_btn = label("start", gr.Button(t("start"), variant="primary"), "value")
        abort_btn = label("abort", gr.Button(t("abort"), variant="stop"), "value")
    with label("preview", gr.Accordion(t("preview"), open=False)) as preview_box:
        yaml_code = label("yaml", gr.Code(spec0.to_yaml() if spec0 else "", language="yaml", label=t("yaml")))
        cmd_code = label("commands", gr.Code("", language="shell", label=t("commands"), wrap_lines=True))
    status = label("status", gr.HTML(status_html(None), label=t("status")))
    progress = label("progress", gr.HTML(progress_html(None), label=t("progress")))
    with gr.Row():
        plot = label("loss", gr.LinePlot(loss_frame(None), x="step", y="value", color="series", label=t("loss")))
        log = label(
            "log", gr.Textbox(label=t("log"), lines=14, max_lines=14, interactive=False, elem_id="studio-train-log")
        )
    with label("raw_log", gr.Accordion(t("raw_log"), open=False)) as raw_box:
        refresh_btn = label("refresh", gr.Button(t("refresh"), size="sm"), "value")
        raw = gr.Code("", show_label=False, max_lines=30)

    @_guard
    def preview(preset_path, base_dict, *values):
        try:
            spec = form_to_spec(base_dict, *values)
            return "", spec.to_yaml(), commands(preset_path, spec, hardware())
        except SpecError as exc:
            return errors_html(exc), "# fix the fields listed above the buttons", ""

    @_guard
    def load_preset(path):
        if path not in list_presets():
            raise gr.Error(f"unknown preset {path!r}")
        try:
            spec = load_spec(PROJECT_ROOT / path)
        except SpecError as exc:
            return [gr.skip()] * (1 + len(FIELDS)) + [errors_html(exc), gr.skip(), gr.skip()]
        values = spec_to_form(spec)
        return [spec.to_dict(), *values, *preview(path, spec.to_dict(), *values)]

    @_guard
    def start(watch_state, base_dict, *values):
        # The trainer's final event can come a moment before the supervisor records the exit: either ends it.
        if (
            watch_state
            and watch_state["state"] not in FINAL_STATES
            and jobs.Registry(home).get(watch_state["run"]).status in jobs.ACTIVE_STATES
        ):
            raise gr.Error(f"run {watch_state['run']} is still active: abort it or wait for it to end")
        try:
            spec = form_to_spec(base_dict, *values)
            build_launch(spec, "<run_dir>", hardware())  # hardware mistakes (bf16 on CPU …) before a run exists
        except SpecError as exc:
            return errors_html(exc), gr.skip(), gr.skip()
        run = jobs.start_run(jobs.create_run(spec, home), home, hardware=hardware())
        state = new_watch(run)
        return "", status_html(state), state

    @_guard
    def abort(watch_state):
        if not watch_state:
            raise gr.Error("no run to abort")
        run = jobs.abort_run(watch_state["run"], home)
        return status_html({**watch_state, "state": run.status, "message": run.error or ""})

    def poll(watch_state):
        try:
            return tick(watch_state, home)
        except Exception as exc:  # noqa: BLE001 - a tick must never toast a traceback twice a second
            traceback.print_exc()
            return gr.skip(), status_html(None, error=one_line(exc)), gr.skip(), gr.skip(), gr.skip()

    @_guard
    def raw_log(watch_state):
        if not watch_state:
            return "no run yet"
        return jobs.log_tail(jobs.Registry(home).get(watch_state["run"]), LOG_LINES) or "(train.log is empty)"

    def reattach():
        # After a page reload: follow the newest active run again, replay its events from byte 0,
        # and show its own job.yaml in the form (not the default preset's values).
        run = next((r for r in jobs.Registry(home).list() if r.status in jobs.ACTIVE_STATES), None)
        if run is None:
            return [gr.skip()] * (2 + len(FIELDS))
        try:
            spec = load_spec(run.path / "job.yaml")
            return [new_watch(run), spec.to_dict(), *spec_to_form(spec)]
        except SpecError:
            return [new_watch(run)] + [gr.skip()] * (1 + len(FIELDS))

    def relabel(language):
        return [gr.update(**{attr: t(key, language)}) for key, _, attr in labelled]

    fast = dict(concurrency_limit=None, show_progress="hidden")
    previewed = [errors, yaml_code, cmd_code]
    preset.input(load_preset, preset, [base, *inputs, *previewed], api_name="load_preset")
    gr.on(
        [c.input for c in inputs] + [preview_box.expand],
        preview,
        [preset, base, *inputs],
        previewed,
        api_name="preview",
        trigger_mode="always_last",
        **fast,
    )
    start_btn.click(start, [watch, base, *inputs], [errors, status, watch], api_name="start")
    abort_btn.click(abort, watch, status, api_name="abort")
    ticked = gr.Timer(POLL_S).tick(poll, watch, [progress, status, log, plot, watch], api_name="poll", **fast)
    # Textbox autoscroll does not follow a read-only box in gradio 6.31; keep the tail in view in the
    # browser (no server call), unless the user has scrolled up to read.
    ticked.then(None, js=_FOLLOW_LOG_JS)
    gr.on([refresh_btn.click, raw_box.expand], raw_log, watch, raw, api_name="raw_log", **fast)
    demo.load(reattach, None, [watch, base, *inputs], api_visibility="private")
    if lang is not None:
        lang.change(relabel, lang, [c for _, c, _ in labelled], api_visibility="private", **fast)


def _component(field: str, value):
    """The input for one JobSpec field, typed from its annotation, with its description as help."""
    doc = _docs()[field]
    common = dict(value=value, label=t(field, DEFAULT_LANGUAGE), info=doc["description"])
    if doc["choices"]:
        return gr.Dropdown([str(c) for c in doc["choices"]], **common)
    if doc["type"].startswith("int"):
        return gr.Number(precision=0, **common)
    if doc["type"].startswith("float"):
        return gr.Number(**common)
    return gr.Textbox(**common)
