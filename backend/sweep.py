"""Sweeps: one run per combination of a few fields' values, grouped by a shared sweep id.

    studio train JOB --sweep train.learning_rate=1e-4,2e-4,5e-4 [--sweep train.seed=1..3]
    studio runs sweep SWEEP_ID [--sort COLUMN]

A ``--sweep`` item is ``field=v1,v2,...`` (values parsed as ``--set`` parses them) or ``field=A..B`` (the
whole numbers A to B). At most :data:`MAX_FIELDS` fields and :data:`MAX_RUNS` combinations; a field may
not be swept twice. Every combination's spec is validated before any run is created, so a bad value
creates nothing. Each run is named ``<run_name>-<k>of<n>`` and its folder holds ``sweep.json``
(``{"sweep": id, "values": {field: value}}``): the registry is not changed, and the grouping survives a
moved workspace. :func:`comparison` reads the runs back with their final and best metrics.

:func:`create` and :func:`start` are the one path from a spec and ``--sweep`` items to queued runs, for the
CLI (:mod:`cli.sweep`) and the Train tab's "Start sweep" (:mod:`studio.sweep_view`): every
combination is validated and passes the pre-flight before any run exists, and :func:`start` queues the runs
with the sweep id as their ``turn``, so they run one after another on one device set (the CPU included).
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from backend.spec import JobSpec, SpecError, apply_overrides

SWEEP_FILE = "sweep.json"
MAX_FIELDS = 3
MAX_RUNS = 16
_RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")
# Result metrics shown per run (when present), in this order.
METRICS = ("final_loss", "eval_loss", "best_step", "best_eval_loss", "best_eval_choice_acc")


class SweepError(ValueError):
    """A bad ``--sweep`` item or sweep id; one line for the user."""


class SweepPreflightError(SweepError):
    """A combination failed its pre-flight check; ``lines`` are every combination's non-ok checks."""

    def __init__(self, message: str, lines: list[str]):
        super().__init__(message)
        self.lines = lines


def parse(items: list[str]) -> list[tuple[str, list]]:
    """``[(field, values)]`` from ``--sweep`` items; SweepError naming the item when one is bad."""
    import yaml

    from backend.safe_yaml import load_yaml

    axes: list[tuple[str, list]] = []
    for item in items:
        field, sep, raw = item.partition("=")
        field = field.strip()
        if not sep or not field or not raw.strip():
            raise SweepError(f"--sweep {item!r}: expected field=v1,v2,... or field=A..B")
        if field in [f for f, _ in axes]:
            raise SweepError(f"--sweep {item!r}: {field} is swept twice")
        found = _RANGE.match(raw)
        if found:
            lo, hi = int(found.group(1)), int(found.group(2))
            if hi < lo:
                raise SweepError(f"--sweep {item!r}: the range {lo}..{hi} is empty")
            if hi - lo + 1 > MAX_RUNS:
                raise SweepError(f"--sweep {item!r}: {hi - lo + 1} values; at most {MAX_RUNS} runs in a sweep")
            values = list(range(lo, hi + 1))
        else:
            values = []
            for text in raw.split(","):
                if not text.strip():
                    raise SweepError(f"--sweep {item!r}: an empty value in the list")
                try:
                    value = load_yaml(text)
                except yaml.YAMLError:
                    value = text.strip()
                if isinstance(value, str) and _NUMBER.match(value):
                    value = float(value)  # YAML 1.1 reads 1e-4 (no dot) as a string
                values.append(value)
        if len(set(map(repr, values))) != len(values):
            raise SweepError(f"--sweep {item!r}: a value is listed twice")
        axes.append((field, values))
    if len(axes) > MAX_FIELDS:
        raise SweepError(f"--sweep: {len(axes)} fields; at most {MAX_FIELDS} fields in a sweep")
    total = 1
    for _, values in axes:
        total *= len(values)
    if total > MAX_RUNS:
        raise SweepError(f"--sweep: {total} combinations; at most {MAX_RUNS} runs in a sweep")
    return axes


def expand(spec: JobSpec, axes: list[tuple[str, list]]) -> list[tuple[dict, JobSpec]]:
    """``[(values, spec)]`` for every combination, each spec validated (SweepError names the combination)."""
    fields = [f for f, _ in axes]
    base = spec.output.run_name or f"{spec.stage}-{spec.method.type}"
    combos = list(itertools.product(*[values for _, values in axes]))
    out = []
    for k, combo in enumerate(combos, start=1):
        values = dict(zip(fields, combo, strict=True))
        sets = [f"{f}={json.dumps(v)}" for f, v in values.items()]
        try:
            one = apply_overrides(spec, [*sets, f"output.run_name={base}-{k}of{len(combos)}"])
        except SpecError as exc:
            shown = ", ".join(f"{f}={v}" for f, v in values.items())
            raise SweepError(f"--sweep combination {shown}: {str(exc).splitlines()[0]}") from None
        out.append((values, one))
    return out


def new_id() -> str:
    """A sweep id: ``sweep-<date>-<time>-<4 hex>``."""
    return f"sweep-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def mark(run_dir: Path, sweep_id: str, values: dict) -> None:
    """Write the run's ``sweep.json``."""
    text = json.dumps({"sweep": sweep_id, "values": values}, ensure_ascii=False)
    (Path(run_dir) / SWEEP_FILE).write_text(text + "\n", encoding="utf-8")


def sweep_of(run_dir: Path) -> dict | None:
    """The run's ``sweep.json`` as a dict, or None when the run is not part of a sweep (or it is unreadable)."""
    try:
        data = json.loads((Path(run_dir) / SWEEP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("values"), dict) else None


def comparison(home, sweep_id: str) -> tuple[list[str], list[list]]:
    """``(headers, rows)``: one row per run of the sweep (oldest first) with its values, status and metrics."""
    from backend.events import EVENTS_FILE, read_events

    runs = members(home, sweep_id)
    if not runs:
        raise SweepError(f"no runs of sweep {sweep_id!r} (the id is printed by `studio train ... --sweep`)")
    fields = list(runs[0][1])
    rows = []
    results = {}
    for run, _ in runs:
        found = [e for e in read_events(run.path / EVENTS_FILE) if e.get("type") == "result"]
        results[run.id] = (found[-1].get("metrics") or {}) if found else {}
    shown = [m for m in METRICS if any(m in r for r in results.values())]
    for run, values in runs:
        metrics = results[run.id]
        rows.append([run.id, *[values.get(f) for f in fields], run.status, *[metrics.get(m) for m in shown]])
    return ["run", *fields, "status", *shown], rows


def describe(values: dict) -> str:
    """``field=value, field=value``: one combination in one line."""
    return ", ".join(f"{f}={v}" for f, v in values.items())


@dataclass
class Sweep:
    """A created sweep: its id, its runs (created, not started) with their values, and the pre-flight's notes."""

    id: str
    runs: list = field(default_factory=list)  # [(backend.run.registry.Run, {field: value})]
    notes: list[str] = field(default_factory=list)  # "[warn] field=value: check: message"
    plans: dict = field(default_factory=dict)  # run id -> its launch plan, built once by the pre-flight step


def create(spec: JobSpec, items: list[str], home, hardware, override: bool = False) -> Sweep:
    """Create (not start) one run per combination of ``items`` over ``spec``, each marked with the sweep id.

    SweepError for a bad item or combination, SweepPreflightError when any combination fails its pre-flight
    (``override`` turns the memory check into a warning, as ``studio train --override``); either way no run
    is created.
    """
    from backend.run.submit import prepare

    combos = expand(spec, parse(items))
    notes, ready = [], []
    for values, one in combos:  # backend.run.submit's steps, split: every combination passes before any run exists
        prepared = prepare(one, home, hardware, override=override)
        checks = prepared.checks
        notes += [f"[{c.level}] {describe(values)}: {c.line()}" for c in checks if c.level != "ok"]
        if prepared.failed:
            raise SweepPreflightError(
                f"pre-flight failed for {describe(values)}: no run of the sweep was created", notes
            )
        ready.append(prepared)
    sweep = Sweep(new_id(), notes=notes)
    for (values, _), prepared in zip(combos, ready, strict=True):
        run = prepared.create()
        mark(run.path, sweep.id, values)
        sweep.runs.append((run, values))
        sweep.plans[run.id] = prepared.plan
    return sweep


def start(sweep: Sweep, home, hardware) -> list:
    """Queue every run of the sweep (in order); they take turns on their device set. The updated rows."""
    return [start_one(sweep, run, home, hardware) for run, _ in sweep.runs]


def start_one(sweep: Sweep, run, home, hardware):
    """Queue one run of the sweep with the launch plan its pre-flight built; it takes its turn on its devices."""
    from backend.run.queue import start_run

    return start_run(run, home, hardware=hardware, turn=sweep.id, plan=sweep.plans.get(run.id))


def sweep_ids(home) -> list[tuple[str, int]]:
    """``[(sweep id, number of runs)]`` of the workspace's sweeps, newest first."""
    from backend.run.registry import Registry

    counts: dict[str, int] = {}
    for run in Registry(home).list():
        info = sweep_of(run.path)
        if info and isinstance(info.get("sweep"), str):
            counts[info["sweep"]] = counts.get(info["sweep"], 0) + 1
    return list(counts.items())


def members(home, sweep_id: str) -> list:
    """``[(run, values)]`` of a sweep, oldest first (empty when there is no such sweep)."""
    from backend.run.registry import Registry

    out = []
    for run in reversed(Registry(home).list()):
        info = sweep_of(run.path)
        if info and info.get("sweep") == sweep_id:
            out.append((run, info["values"]))
    return out


def sort_rows(headers: list[str], rows: list[list], column: str | None) -> list[list]:
    """Rows sorted by ``column`` (empty cells last); SweepError when there is no such column."""
    if not column:
        return rows
    if column not in headers:
        raise SweepError(f"--sort {column!r}: expected one of {', '.join(headers)}")
    i = headers.index(column)
    return sorted(rows, key=lambda r: (r[i] is None, r[i] if isinstance(r[i], (int, float)) else str(r[i])))


def render(headers: list[str], rows: list[list]) -> str:
    """A plain text table."""

    def cell(v) -> str:
        if v is None:
            return "-"
        return f"{v:.6g}" if isinstance(v, float) else str(v)

    table = [headers, *[[cell(v) for v in r] for r in rows]]
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table)
