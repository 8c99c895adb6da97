"""``studio train JOB --sweep FIELD=V1,V2`` and ``studio runs sweep SWEEP_ID``: the CLI side of :mod:`backend.sweep`.

Without ``--detach`` the sweep's runs run one after another, each followed like a plain ``studio train``
(so a CPU sweep does not split the cores between its runs), and the comparison table is printed at the
end; Ctrl-C aborts the running one and the runs not started yet. With ``--detach`` every run is handed
to the queue at once: in turn on one GPU set, side by side on disjoint GPUs, and (as any CPU runs)
side by side on the CPU. A bad ``--sweep`` item or combination is one ``error:`` line, exit 2, and
creates no run; a failed pre-flight check of any combination exits 1, also before any run exists.
"""

from __future__ import annotations

import sys

from backend import jobs
from backend.sweep import SweepError, comparison, expand, mark, new_id, parse, render, sort_rows


def _describe(values: dict) -> str:
    return ", ".join(f"{field}={value}" for field, value in values.items())


def cmd_sweep(args, spec, follow) -> int:
    """Create, start and (unless ``--detach``) follow one run per combination; ``follow(run, home) -> code``."""
    from backend.launch import detect_hardware
    from backend.run.submit import prepare

    try:
        combos = expand(spec, parse(args.sweep))
    except SweepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    hardware = detect_hardware()
    # backend.run.submit's steps, split: every combination is validated and pre-flighted (its launch plan
    # built once) before any run is created, so a failing one leaves no half-made sweep.
    prepared = []
    for values, one in combos:
        ready = prepare(one, args.home, hardware, override=args.override)
        for check in ready.checks:
            if check.level != "ok":
                print(f"[{check.level}] {_describe(values)}: {check.name}: {check.message}", file=sys.stderr)
        if ready.failed:
            print(f"pre-flight failed for {_describe(values)}: no run of the sweep was created", file=sys.stderr)
            return 1
        prepared.append(ready)
    sweep_id = new_id()
    runs = []
    for (values, _), ready in zip(combos, prepared, strict=True):
        run = ready.create()
        mark(run.path, sweep_id, values)
        runs.append(run)
    print(f"sweep {sweep_id}: {len(runs)} runs")
    for run, (values, _) in zip(runs, combos, strict=True):
        print(f"  {run.id}  {_describe(values)}")
    if args.detach:
        for run, ready in zip(runs, prepared, strict=True):
            ready.launch(run)
        print(f"  queued; compare them with: studio runs sweep {sweep_id}")
        return 0
    codes = []
    for i, (run, ready) in enumerate(zip(runs, prepared, strict=True)):
        code = follow(ready.launch(run), args.home)
        if code == 130:  # Ctrl-C: the followed run was aborted; the ones not started yet go too
            for rest in runs[i + 1 :]:
                jobs.abort_run(rest.id, args.home)
            return 130
        codes.append(code)
    headers, rows = comparison(args.home, sweep_id)
    print(f"\nsweep {sweep_id}\n" + render(headers, rows))
    return 0 if all(code == 0 for code in codes) else 1


def cmd_sweep_show(args) -> int:
    """Print the sweep's comparison table, sorted by ``--sort`` when given."""
    try:
        headers, rows = comparison(args.home, args.sweep_id)
        rows = sort_rows(headers, rows, args.sort)
    except SweepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(render(headers, rows))
    return 0
