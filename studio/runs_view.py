"""What the Runs tab shows, computed from the registry and the run directories (no gradio here).

- ``table_rows``: one row per registered run (newest first), optionally filtered by status.
- ``details``: a run's spec, status and reason of failure, log tail, checkpoints and output folder.
- ``curves`` / ``overlay``: loss points folded from ``events.jsonl`` (the same fold as the live view).
- ``config_diff``: only the JobSpec fields that differ between runs, as rows of a table.
- ``realised_mix``: a mixed run's planned vs realised token share per source (from its events).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd
import yaml

from backend.events import EVENTS_FILE, FINAL_STATES, read_events
from backend.run.registry import Registry, Run, format_duration, is_local
from backend.run.rundir import RunDir
from backend.run.stop import STOPPABLE_STAGES
from backend.run.story import log_tail
from backend.safe_yaml import read_yaml_file
from studio.i18n import state_word, tr
from studio.live import PLOTS, fold, metric_frame, new_watch

COLUMNS = ["id", "name", "stage", "method", "model", "status", "started", "duration", "final loss", "launcher"]
# Column headers as a page shows them (the English ones are the names above; unknown ones, like run ids, stay).
LABELS = {
    "en": {"stopped_saved": "stopped and saved at step {step}{where}; Resume continues from there"},
    "zh": {
        "stopped_saved": "已在第 {step} 步停止并保存{where}；点“继续训练”从这里接着训练",
        "id": "编号",
        "name": "名称",
        "stage": "阶段",
        "method": "方法",
        "model": "模型",
        "status": "状态",
        "started": "开始时间",
        "duration": "时长",
        "final loss": "最终损失",
        "launcher": "启动方式",
        "source": "数据源",
        "planned %": "计划占比 %",
        "realised %": "实际占比 %",
        "diff (points)": "差值（百分点）",
        "tokens seen": "已训练 token 数",
        "field": "配置项",
    },
}


def headers(columns: list[str]) -> list[str]:
    """``columns`` in the current language (studio.i18n)."""
    return [tr(LABELS, str(c)) for c in columns]


def shown_table(rows: list[list]) -> pd.DataFrame:
    """The runs table as the page shows it: headers and status words in the current language."""
    status = COLUMNS.index("status")
    shown = [[state_word(c) if i == status else c for i, c in enumerate(row)] for row in rows]
    return pd.DataFrame(shown, columns=headers(COLUMNS))


def launcher_cell(run: Run) -> str:
    """``local``, or ``slurm job 42: PENDING (Priority)`` (Slurm's job id, state and reason)."""
    if is_local(run):
        return "local"
    return f"slurm job {run.job_id}: {run.job_state}" if run.job_id else "slurm"


def span(run: Run) -> tuple[float | None, float | None]:
    """(started, duration) over every attempt of a run: the first attempt's start, and the time its attempts
    ran added up (not the pauses between them). The registry keeps only the current attempt's start, so a
    resumed run (``attempt > 1``) is read from its ``starting`` and final ``status`` events."""
    if run.attempt <= 1:
        return run.started, run.duration
    first, total, begun = None, 0.0, None
    for e in read_events(Path(run.run_dir) / EVENTS_FILE):
        if e.get("type") != "status":
            continue
        if e.get("state") == "starting":
            begun = e.get("time")
            first = first if first is not None else begun
        elif e.get("state") in FINAL_STATES and begun is not None:
            total += max(0.0, e.get("time", begun) - begun)
            begun = None
    if first is None:
        return run.started, run.duration
    if begun is not None or not run.finished:  # the current attempt is still going
        total += run.duration or (time.time() - begun if begun else 0.0)
    return first, total


def table_rows(home: str, status: str | None = None) -> list[list]:
    """The runs table (``COLUMNS``), newest first; ``status`` filters (None or "all" for every run). Started
    and duration cover all attempts of a resumed run (``span``)."""
    runs = Registry(home).list(None if status in (None, "", "all") else status)
    return [_row(r, *span(r)) for r in runs]


def _row(r: Run, started: float | None, duration: float | None) -> list:
    return [
        r.id,
        r.name,
        r.stage,
        r.method,
        r.model or "",
        r.status,
        time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started or r.created)),
        format_duration(duration, ""),
        "" if r.final_loss is None else round(r.final_loss, 4),
        launcher_cell(r),
    ]


def spec_dict(run: Run) -> dict:
    """The run's job.yaml as a dict ({} when it cannot be read)."""
    try:
        data = read_yaml_file(run.files.job)
    except (OSError, ValueError, yaml.YAMLError):  # ValueError: not UTF-8
        return {}
    return data if isinstance(data, dict) else {}


def checkpoints(run: Run) -> list[str]:
    """Checkpoint folders of a run, oldest step first."""
    folder = run.files.checkpoints
    found = [p for p in folder.glob(RunDir.CHECKPOINT_PREFIX + "*") if p.is_dir()] if folder.is_dir() else []
    return [str(p) for p in sorted(found, key=lambda p: int(p.name.rsplit("-", 1)[-1]) if p.name[-1].isdigit() else 0)]


def outputs(run: Run) -> list[str]:
    """The run's output folders that exist (adapter, merged, model, checkpoints)."""
    return [str(run.path / n) for n in RunDir.OUTPUTS if (run.path / n).exists()]


def reason(run: Run) -> str:
    """Why a run ended the way it did, in one or two lines (empty for a run that is fine). A Stop & save is
    told as what it is (stopped, checkpoint saved, resumable), not as a killed run."""
    if run.status not in ("failed", "aborted"):
        return ""
    first = (run.error or "no reason was recorded").strip().splitlines()
    line = first[0] if first else ""
    stopped = STOPPED.match(line) if run.status == "aborted" else None
    if stopped:
        where = f" ({stopped['checkpoint']})" if stopped["checkpoint"] else ""
        return tr(LABELS, "stopped_saved", step=stopped["step"], where=where)
    kind = f"[{run.error_kind}] " if run.error_kind else ""
    return kind + line


# backend.train.stop.Stopped's message: a Stop & save, recorded as an aborted run.
STOPPED = re.compile(r"stopped by request at step (?P<step>\d+)(?:; checkpoint saved: (?P<checkpoint>.+))?$")


def details(home: str, run_id: str, log_lines: int = 40) -> dict:
    """Everything the detail panel shows about one run."""
    run = Registry(home).get(run_id)
    spec = spec_dict(run)
    return dict(
        run=run,
        yaml=yaml.safe_dump(spec, sort_keys=False, allow_unicode=True) if spec else "# job.yaml is missing",
        reason=reason(run),
        log=log_tail(run, log_lines),
        checkpoints="\n".join([*filter(None, [best_line(run)]), *checkpoints(run)]) or "(none)",
        outputs="\n".join(outputs(run)) or str(run.path),
        stoppable=(spec or {}).get("stage", "sft") in STOPPABLE_STAGES,
        warnings=watch_of(run)["warnings"],  # e.g. the stop check's "the model does not stop"
    )


def watch_of(run: Run) -> dict:
    """A run's events folded from the start (as the live view would show them now)."""
    return fold(new_watch(run), read_events(Path(run.run_dir) / EVENTS_FILE), 0)


def best_of(run: Run) -> dict:
    """The run's best evaluation (``train.early_stopping`` / ``keep_best``) from its result: ``best_step``,
    ``best_<metric>``, ``best_checkpoint``, ``stopped_early`` (only those present); empty for other runs."""
    results = [e for e in read_events(Path(run.run_dir) / EVENTS_FILE) if e.get("type") == "result"]
    metrics = (results[-1].get("metrics") or {}) if results else {}
    return {k: v for k, v in metrics.items() if k.startswith("best_") or k == "stopped_early"}


CURVES = (*PLOTS["loss"], "best")  # the Runs tab's plot: loss, loss (EMA), eval_loss, the best step


def curves(run: Run) -> pd.DataFrame:
    """The run's loss series (raw, smoothed, eval) and, when it kept a best evaluation, a vertical
    ``best`` line at that step (two points spanning the plotted values)."""
    frame = metric_frame(watch_of(run), CURVES)
    step = best_of(run).get("best_step")
    values = frame["value"].dropna()
    if step is None or values.empty:
        return frame
    mark = pd.DataFrame([[int(step), "best", values.min()], [int(step), "best", values.max()]], columns=frame.columns)
    return pd.concat([frame, mark.astype(frame.dtypes.to_dict())], ignore_index=True)


NOT_VALUES = ("best_step", "best_checkpoint")


def best_line(run: Run) -> str:
    """One line about the run's best evaluation for the checkpoints panel, or ``""``."""
    best = best_of(run)
    if "best_step" not in best:
        return ""
    value = next(((k[5:], v) for k, v in best.items() if k.startswith("best_") and k not in NOT_VALUES), None)
    text = f"best: step {best['best_step']}" + (f", {value[0]} {value[1]:.6g}" if value else "")
    text += f" ({best['best_checkpoint']})" if best.get("best_checkpoint") else ""
    return text + (f"; {best['stopped_early']}" if best.get("stopped_early") else "")


def overlay(home: str, run_ids: list[str]) -> dict[str, list[tuple[float, float]]]:
    """The training loss of several runs: ``{run id: [(step, loss), …]}``."""
    registry = Registry(home)
    out = {}
    for run_id in run_ids:
        points = watch_of(registry.get(run_id))["points"]
        out[run_id] = [(step, value) for step, name, value in points if name == "loss"]
    return out


MIX_COLUMNS = ["source", "planned %", "realised %", "diff (points)", "tokens seen"]


def realised_mix(run_dir: str | Path) -> pd.DataFrame:
    """Per source: the plan's share, the share of tokens trained on so far, and their difference.

    From the run's ``mix_plan`` log event and its latest metric event's ``mix_tokens``/``mix_share``; no
    rows for a run that mixes no sources.
    """
    plan, seen = None, None
    for event in read_events(Path(run_dir) / EVENTS_FILE):
        if event.get("type") == "log" and "mix_plan" in event:
            plan = event["mix_plan"]
        elif event.get("type") == "metric" and "mix_share" in event:
            seen = event
    planned = dict(zip(plan["names"], plan["shares"], strict=False)) if plan else {}
    realised = (seen or {}).get("mix_share", {})
    rows = []
    for name in list(planned) + [n for n in realised if n not in planned]:
        want, got = planned.get(name), realised.get(name)
        diff = "" if want is None or got is None else round(100 * (got - want), 2)
        tokens = (seen or {}).get("mix_tokens", {}).get(name, "")
        rows.append([name, _pct(want), _pct(got), diff, tokens])
    return pd.DataFrame(rows, columns=headers(MIX_COLUMNS))


def empty_mix() -> pd.DataFrame:
    """The data-mix table with no run open (its headers in the current language)."""
    return pd.DataFrame([], columns=headers(MIX_COLUMNS))


def _pct(share) -> float | str:
    return "" if share is None else round(100 * share, 2)


def flatten(data, prefix: str = "") -> dict:
    """A nested spec dict as ``{dotted key: value}``; lists of sections use ``[i]`` indexes."""
    out = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(data, list) and data and all(isinstance(v, dict) for v in data):
        for i, value in enumerate(data):
            out.update(flatten(value, f"{prefix}[{i}]"))
    else:
        out[prefix] = data
    return out


# Fields that always differ between runs and say nothing about the configuration.
_IGNORED = ("output.workspace",)


def config_diff(home: str, run_ids: list[str]) -> pd.DataFrame:
    """Rows = JobSpec fields that differ between the runs, columns = field then one per run."""
    registry = Registry(home)
    flat = {run_id: flatten(spec_dict(registry.get(run_id))) for run_id in run_ids}
    keys = sorted({k for f in flat.values() for k in f} - set(_IGNORED))
    rows = []
    for key in keys:
        values = [flat[r].get(key, "—") for r in run_ids]
        if len({repr(v) for v in values}) > 1:
            rows.append([key, *[_cell(v) for v in values]])
    return pd.DataFrame(rows, columns=[*headers(["field"]), *run_ids])


def _cell(value) -> str:
    if isinstance(value, (dict, list)):
        return yaml.safe_dump(value, default_flow_style=True).strip()
    return str(value)
