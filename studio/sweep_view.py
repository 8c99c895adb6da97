"""Sweeps in the browser: the Train tab's "Sweep" accordion and the Runs tab's sweep comparison.

Train tab: up to :data:`backend.sweep.MAX_FIELDS` rows of (JobSpec field, values), the values written as on
the command line (``1e-4, 2e-4, 5e-4`` or the whole-number range ``1..3``), and "Start sweep". The form is
the base spec; :func:`start_sweep` turns the rows into ``--sweep`` items and goes through the CLI's own path
(:func:`backend.sweep.create` then :func:`backend.sweep.start`): every combination is validated and
pre-flight checked before any run exists, and the runs are queued to take turns on one device set.

Runs tab: a sweep picker (the workspace's sweeps, newest first), the sweep's runs overlaid (training loss,
one line per combination, labelled by its values) and a table with one row per combination: the run, the
varied values as columns, its status and its final and best metrics, sorted by a chosen column.

No torch here; the handlers never show a traceback (``studio.util.guard``).
"""

from __future__ import annotations

import html

import gradio as gr
import pandas as pd

from backend import sweep as sweeps
from backend.spec import SpecError
from studio import runs_view, svgplot
from studio.form import FIELDS, docs, form_to_spec
from studio.i18n import Labeller, lookup
from studio.util import guard, hardware

# Kinds of form fields a sweep can vary: one scalar per run (lists and tables cannot be given as a value list).
SWEEPABLE_KINDS = ("int", "int?", "float", "float?", "bool", "choice", "text")
TRAIN_LABELS = {
    "en": {
        "sweep": "Sweep: several values of up to 3 fields",
        "sweep.help": "One run per combination (at most 16), each on the form's other values. Values: a list "
        "(`1e-4, 2e-4, 5e-4`) or a whole-number range (`1..3`). The runs queue and take turns on one "
        "device set; compare them in the Runs tab under Sweeps.",
        "sweep.field": "Field",
        "sweep.values": "Values",
        "start_sweep": "Start sweep",
    },
    "zh": {
        "sweep": "参数扫描：最多 3 个字段取多个值",
        "sweep.help": "每种组合启动一个运行（最多 16 个），其余字段取表单中的值。取值可写成列表"
        "（`1e-4, 2e-4, 5e-4`）或整数范围（`1..3`）。这些运行会排队，在同一组设备上依次进行；"
        "可在“运行记录”页的“参数扫描”中对比。",
        "sweep.field": "字段",
        "sweep.values": "取值",
        "start_sweep": "开始扫描",
    },
}
RUNS_LABELS = {
    "en": {
        "sweeps": "Sweeps",
        "sweep.pick": "Sweep",
        "sweep.sort": "Sort by",
        "sweep.overlay": "Training loss of the sweep's runs",
        "sweep.table": "One row per combination",
    },
    "zh": {
        "sweeps": "参数扫描",
        "sweep.pick": "扫描",
        "sweep.sort": "排序依据",
        "sweep.overlay": "该扫描各运行的训练损失",
        "sweep.table": "每种组合一行",
    },
}


def sweepable_fields() -> list[str]:
    """The JobSpec fields a sweep can vary from the form (one scalar each), in form order."""
    return [f for f in FIELDS if docs()[f]["kind"] in SWEEPABLE_KINDS]


def sweep_items(pairs: list) -> list[str]:
    """``--sweep`` items from ``[field, values, field, values, ...]``; rows without a field and values are
    skipped; SweepError for a row with only one of them."""
    items = []
    for field, values in zip(pairs[::2], pairs[1::2], strict=True):
        field, values = (field or "").strip(), (values or "").strip()
        if not field and not values:
            continue
        if not field:
            raise sweeps.SweepError(f"sweep: the values {values!r} have no field; pick one")
        if not values:
            raise sweeps.SweepError(f"sweep: {field} has no values; give a list (1e-4, 2e-4) or a range (1..3)")
        items.append(f"{field}={values}")
    if not items:
        raise sweeps.SweepError("sweep: pick a field and give it several values")
    return items


def _note(text: str, kind: str = "ok") -> str:
    color = {"ok": "#16a34a", "warn": "#b45309", "fail": "#b91c1c"}[kind]
    return f'<span style="color:{color}">{html.escape(text)}</span>'


def start_sweep(home: str, force: bool, base_dict: dict, pairs: list, values: list) -> tuple[str, list]:
    """Create and queue the sweep of the form: ``(html for the errors box, the runs queued)``.

    Nothing is created when a row, the form or any combination is bad: the box says why in one line per
    problem (the spec's field-named errors, the pre-flight's failed checks).
    """
    from backend.launch import build_launch
    from studio.live import errors_html

    try:
        items = sweep_items(pairs)
        spec = form_to_spec(base_dict, *values)
        if spec.distributed.launcher == "local":
            build_launch(spec, "<run_dir>", hardware())  # hardware mistakes (bf16 on CPU …), as Start does
        made = sweeps.create(spec, items, home, hardware(), override=bool(force))
    except SpecError as exc:
        return errors_html(exc), []
    except sweeps.SweepPreflightError as exc:
        return "<br>".join([*(_note(line, "fail") for line in exc.lines), _note(str(exc), "fail")]), []
    except sweeps.SweepError as exc:
        return _note(str(exc), "fail"), []
    runs = sweeps.start(made, home, hardware())
    lines = [_note(line, "warn") for line in made.notes]
    lines.append(_note(f"sweep {made.id}: {len(runs)} runs queued; they take turns on one device set"))
    lines += [_note(f"{run.id}: {sweeps.describe(v)}") for run, (_, v) in zip(runs, made.runs, strict=True)]
    return "<br>".join(lines), runs


def build_train_sweep() -> tuple[Labeller, list, gr.Button]:
    """The Train tab's Sweep accordion: its labeller, its inputs ``[field, values] * MAX_FIELDS`` and the button."""
    text = Labeller(lambda key, lang: lookup(TRAIN_LABELS, key, lang))
    L = lambda key: lookup(TRAIN_LABELS, key)  # noqa: E731 - the default-language label at build time
    choices = sweepable_fields()
    pairs = []
    with text("sweep", gr.Accordion(L("sweep"), open=False, elem_id="studio-sweep")):
        text("sweep.help", gr.Markdown(L("sweep.help"), elem_classes="studio-help"), "value")
        for i in range(sweeps.MAX_FIELDS):
            with gr.Row(equal_height=True):
                pairs.append(
                    text(
                        "sweep.field",
                        gr.Dropdown(choices, value=None, label=L("sweep.field"), elem_id=f"studio-sweep-field-{i}"),
                    )
                )
                pairs.append(
                    text(
                        "sweep.values",
                        gr.Textbox(
                            label=L("sweep.values"), placeholder="1e-4, 2e-4, 5e-4", elem_id=f"studio-sweep-values-{i}"
                        ),
                    )
                )
        button = text("start_sweep", gr.Button(L("start_sweep"), elem_id="studio-start-sweep"), "value")
    return text, pairs, button


# ------------------------------------------------------------------------------------------- Runs tab


def sweep_choices(home: str) -> list[tuple[str, str]]:
    """The sweep picker's choices: ``("<id> · N runs", id)``, newest first."""
    return [(f"{sweep_id} · {n} runs", sweep_id) for sweep_id, n in sweeps.sweep_ids(home)]


def _short(values: dict) -> str:
    """A combination as a legend label: the fields' last names (``learning_rate=0.0001, seed=2``)."""
    return ", ".join(f"{field.rsplit('.', 1)[-1]}={value}" for field, value in values.items())


def sweep_overlay(home: str, sweep_id: str) -> dict[str, list[tuple[float, float]]]:
    """The training loss of each run of the sweep, keyed by its combination's values."""
    out = {}
    for run, values in sweeps.members(home, sweep_id):
        points = runs_view.watch_of(run)["points"]
        out[_short(values)] = [(step, value) for step, name, value in points if name == "loss"]
    return out


def _cell(value):
    if value is None:
        return ""
    return float(f"{value:.6g}") if isinstance(value, float) else value


def sweep_table(home: str, sweep_id: str, sort: str | None = None) -> pd.DataFrame:
    """The comparison (:func:`backend.sweep.comparison`) as a frame, sorted by ``sort`` (empty cells last)."""
    headers, rows = sweeps.comparison(home, sweep_id)
    rows = sweeps.sort_rows(headers, rows, sort if sort in headers else None)
    return pd.DataFrame([[_cell(v) for v in row] for row in rows], columns=headers)


def build_runs_sweeps(home: str, refresh_s: float) -> Labeller:
    """The Runs tab's Sweeps accordion (picker, sort, overlaid loss, table) and its events; its labeller."""
    text = Labeller(lambda key, lang: lookup(RUNS_LABELS, key, lang))
    L = lambda key: lookup(RUNS_LABELS, key)  # noqa: E731 - the default-language label at build time
    with text("sweeps", gr.Accordion(L("sweeps"), open=True, elem_id="runs-sweeps")):
        with gr.Row(equal_height=True):
            pick = text(
                "sweep.pick",
                gr.Dropdown(sweep_choices(home), value=None, label=L("sweep.pick"), scale=3, elem_id="runs-sweep"),
            )
            sort = text(
                "sweep.sort", gr.Dropdown([], value=None, label=L("sweep.sort"), scale=1, elem_id="runs-sweep-sort")
            )
        text("sweep.overlay", gr.Markdown(L("sweep.overlay")), "value")
        overlay = gr.HTML(svgplot.line_chart({}), elem_id="runs-sweep-overlay")
        table = text(
            "sweep.table",
            gr.Dataframe(headers=["run"], interactive=False, label=L("sweep.table"), elem_id="runs-sweep-table"),
        )
    shown = gr.State(None)

    @guard
    def compare(sweep_id, column, last=None, force=True):
        if not sweep_id:
            return svgplot.line_chart({}), pd.DataFrame(columns=["run"]), gr.update(choices=[], value=None), None
        try:
            frame = sweep_table(home, sweep_id, column)
        except sweeps.SweepError as exc:
            raise gr.Error(str(exc)) from None
        lines = sweep_overlay(home, sweep_id)
        now = {"rows": frame.to_dict("split"), "points": sum(len(p) for p in lines.values())}
        if now == last and not force:
            return (gr.skip(),) * 4
        columns = [c for c in frame.columns if c != "run"]
        chosen = gr.update(choices=columns, value=column if column in columns else None)
        return svgplot.line_chart(lines), frame, chosen, now

    def tick(sweep_id, column, last):
        # While a sweep runs its rows and curves grow; an unchanged one re-renders nothing.
        return compare(sweep_id, column, last, force=False) if sweep_id else (gr.skip(),) * 4

    fast = dict(concurrency_limit=None, show_progress="hidden")
    outputs = [overlay, table, sort, shown]
    pick.focus(lambda: gr.update(choices=sweep_choices(home)), None, pick, api_visibility="private", **fast)
    pick.change(compare, [pick, sort], outputs, api_name="runs_sweep")
    sort.input(compare, [pick, sort], outputs, api_visibility="private")
    gr.Timer(refresh_s).tick(tick, [pick, sort, shown], outputs, api_visibility="private", **fast)
    # The chart's words follow the language; with no sweep picked nothing is re-rendered (the empty chart carries
    # both languages), so a late tab-select response cannot blank the table a pick has just filled.
    text.on_switch(
        lambda sweep_id, column: compare(sweep_id, column) if sweep_id else (gr.skip(),) * 4, [pick, sort], outputs
    )
    return text
