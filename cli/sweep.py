"""``studio train JOB --sweep FIELD=V1,V2`` and ``studio runs sweep SWEEP_ID``: the CLI side of :mod:`backend.sweep`.

Without ``--detach`` the sweep's runs run one after another, each followed like a plain ``studio train``
(so a CPU sweep does not split the cores between its runs), and the comparison table is printed at the
end; Ctrl-C aborts the running one and the runs not started yet. With ``--detach`` every run is handed
to the queue at once (:func:`backend.sweep.start`, as the Train tab's "Start sweep"): they take turns on
their device set, the CPU included. A bad ``--sweep`` item or combination is one ``error:`` line, exit 2, and
creates no run; a failed pre-flight check of any combination exits 1, also before any run exists.
"""

from __future__ import annotations

import sys

from backend.run.queue import abort_run
from backend.sweep import (
    SweepError,
    SweepPreflightError,
    comparison,
    create,
    describe,
    render,
    sort_rows,
    start,
    start_one,
)


def cmd_sweep(args, spec, follow) -> int:
    """Create, start and (unless ``--detach``) follow one run per combination; ``follow(run, home) -> code``."""
    from backend.launch import detect_hardware

    hardware = detect_hardware(home=args.home)
    try:
        sweep = create(spec, args.sweep, args.home, hardware, override=args.override)
    except SweepPreflightError as exc:
        print("\n".join([*exc.lines, str(exc)]), file=sys.stderr)
        return 1
    except SweepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in sweep.notes:
        print(line, file=sys.stderr)
    sweep_id, runs = sweep.id, [run for run, _ in sweep.runs]
    print(f"sweep {sweep_id}: {len(runs)} runs")
    for run, values in sweep.runs:
        print(f"  {run.id}  {describe(values)}")
    if args.detach:
        start(sweep, args.home, hardware)
        print(f"  queued; compare them with: studio runs sweep {sweep_id}")
        return 0
    codes = []
    for i, run in enumerate(runs):
        code = follow(start_one(sweep, run, args.home, hardware), args.home)
        if code == 130:  # Ctrl-C: the followed run was aborted; the ones not started yet go too
            for rest in runs[i + 1 :]:
                abort_run(rest.id, args.home)
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
