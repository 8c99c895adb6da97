"""``studio train`` and ``studio runs list|show|sweep|resume|abort``; ``studio fields`` and ``studio presets``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from backend.run.queue import abort_run, follow, reconcile, resume_run
from backend.run.registry import Registry, Run, format_duration
from backend.run.story import log_tail, vanished_story
from backend.spec import apply_overrides, field_docs, load_spec
from backend.workspace import PROJECT_ROOT

PRESETS_DIR = PROJECT_ROOT / "presets"


def _fmt_time(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "-"


def cmd_train(args) -> int:
    spec = load_spec(args.job)
    if args.set:
        spec = apply_overrides(spec, args.set)
    if getattr(args, "sweep", None):
        from cli.sweep import cmd_sweep

        return cmd_sweep(args, spec, _follow)
    from backend.run.submit import submit

    submitted = submit(spec, args.home, override=args.override)
    for check in submitted.checks:
        if check.level != "ok":
            print(f"[{check.level}] {check.line()}", file=sys.stderr)
    if not submitted.ok:
        print("pre-flight failed: fix the lines above (or pass --override for the memory check)", file=sys.stderr)
        return 1
    run = submitted.run
    print(f"run {run.id}\n  dir: {run.run_dir}")
    if run.job_id:
        print(f"  submitted to Slurm as job {run.job_id}")
    elif run.status == "queued":
        where = "the CPU" if (run.devices or "").startswith("cpu") else f"GPU {run.devices}"
        print(f"  queued: waiting for {where}")
    if args.detach:
        print(f"  follow it with: studio runs show {run.id}")
        return 0
    return _follow(run, args.home)


def _follow(run: Run, home) -> int:
    from tqdm import tqdm

    bar = None
    try:
        for event in follow(run):
            kind = event["type"]
            if kind in ("progress", "metric") and event.get("total_steps"):
                if bar is None:
                    bar = tqdm(total=event["total_steps"], unit="step", dynamic_ncols=True)
                bar.n = event["step"]
                if "loss" in event:
                    bar.set_postfix(loss=f"{event['loss']:.4f}", refresh=False)
                bar.refresh()
            elif kind == "status" and event.get("state") == "downloading":  # a hub model, before training
                print(f"{event.get('message')} (progress: the Train tab, or events.jsonl)")
            elif kind == "log":
                (bar.write if bar else print)(event.get("message", ""))
            elif kind == "error":
                (bar.write if bar else print)(f"error ({event.get('kind')}): {event.get('message')}")
            elif kind == "result":
                (bar.write if bar else print)(f"saved to {event.get('output_dir')}")
    except KeyboardInterrupt:
        if bar:
            bar.close()
        print("\naborting the run (Ctrl-C again leaves it running)...")
        run = abort_run(run.id, home)
        print(f"run {run.id}: {run.status}")
        return 130
    if bar:
        bar.close()
    final = Registry(home).get(run.id)
    if not final.finished:  # the events say it ended, but the registry could not record it (a full disk)
        state, kind, message, _ = vanished_story(final)
        print(f"run {final.id}: {state} - [{kind}] {message.splitlines()[0]} (the registry records it once it can)")
        return 0 if state == "succeeded" else 1
    print(f"run {final.id}: {final.status}" + (f" - {final.error}" if final.error else ""))
    return 0 if final.status == "succeeded" else 1


def cmd_runs_list(args) -> int:
    notes: list[str] = []
    runs = reconcile(args.home, notes)
    for note in notes:  # a full disk: listed read-only, as last recorded
        print(f"warning: {note}", file=sys.stderr)
    if args.status:
        runs = [r for r in runs if r.status == args.status]
    if not runs:
        print("no runs")
        return 0
    print(f"{'id':44} {'stage':5} {'method':6} {'status':10} {'started':16} {'time':>8} {'loss':>8}")
    for r in runs:
        loss = f"{r.final_loss:.4f}" if r.final_loss is not None else "-"
        print(
            f"{r.id:44} {r.stage:5} {r.method:6} {r.status:10} {_fmt_time(r.started):16} "
            f"{format_duration(r.duration):>8} {loss:>8}"
        )
    return 0


def cmd_runs_show(args) -> int:
    notes: list[str] = []
    reconcile(args.home, notes)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    run = Registry(args.home).get(args.run_id)
    print(f"run      {run.id}\nstatus   {run.status}\nstage    {run.stage} ({run.method})\nmodel    {run.model}")
    print(f"started  {_fmt_time(run.started)}  duration {format_duration(run.duration)}\ndir      {run.run_dir}")
    if run.job_id:
        print(f"slurm    job {run.job_id}  {run.job_state or ''}")
    if run.final_loss is not None:
        print(f"loss     {run.final_loss:.4f}")
    if run.error:
        print(f"error    [{run.error_kind}] {run.error}")
    tail = log_tail(run, args.lines)
    if tail:
        print("\n--- train.log (tail) ---\n" + tail)
    return 0


def cmd_runs_resume(args) -> int:
    try:
        run = resume_run(args.run_id, args.home, args.checkpoint)
    except (KeyError, ValueError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    print(f"run {run.id}: attempt {run.attempt}, {run.status}")
    if args.detach:
        return 0
    return _follow(run, args.home)


def cmd_runs_abort(args) -> int:
    if args.save:
        print(f"asking run {args.run_id} to save a checkpoint and stop (up to {args.timeout:.0f} s)...")
    run = abort_run(args.run_id, args.home, save=args.save, save_timeout_s=args.timeout)
    print(f"run {run.id}: {run.status}" + (f" - {run.error}" if run.error else ""))
    return 0


def cmd_fields(args) -> int:
    for name, doc in field_docs().items():
        if args.prefix and not name.startswith(args.prefix):
            continue
        choices = f" one of {doc['choices']}" if doc["choices"] else ""
        print(f"{name}  ({doc['type']}, default {doc['default']!r}){choices}\n    {doc['description']}")
    return 0


def cmd_presets(args) -> int:
    for path in sorted(PRESETS_DIR.rglob("*.yaml")):
        if path.parent.name == "accelerate":
            continue
        first = path.read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()
        print(f"{path.relative_to(PROJECT_ROOT)}\n    {first}")
    return 0


def _sweep_show(args) -> int:
    from cli.sweep import cmd_sweep_show

    return cmd_sweep_show(args)


def add_train(sub) -> None:
    """``studio train``."""
    p = sub.add_parser("train", help="start a job from a JobSpec YAML")
    p.add_argument("job", type=Path, help="JobSpec YAML, e.g. presets/sft/tiny-lora.yaml")
    p.add_argument(
        "--set",
        action="append",
        metavar="FIELD=VALUE",
        help="override a field, e.g. train.max_steps=10 (see `studio fields`)",
    )
    p.add_argument("--detach", action="store_true", help="print the run id and return; the run goes on")
    p.add_argument("--override", action="store_true", help="launch even if the memory pre-flight check fails")
    p.add_argument(
        "--sweep",
        action="append",
        metavar="FIELD=V1,V2,...|A..B",
        help="one run per combination (at most 3 fields, 16 runs), run in turn; see `studio runs sweep`",
    )
    p.set_defaults(func=cmd_train)


def add_runs(sub) -> None:
    """``studio runs list|show|sweep|resume|abort``."""
    runs = sub.add_parser("runs", help="list, show or abort runs").add_subparsers(dest="runs_command", required=True)
    p = runs.add_parser("list", help="every run of the workspace")
    p.add_argument("--status", help="only runs with this status")
    p.set_defaults(func=cmd_runs_list)
    p = runs.add_parser("show", help="one run: status, error, log tail")
    p.add_argument("run_id")
    p.add_argument("--lines", type=int, default=20, help="log lines to show")
    p.set_defaults(func=cmd_runs_show)
    p = runs.add_parser("sweep", help="a sweep's runs side by side: varied values, status, final and best metrics")
    p.add_argument("sweep_id")
    p.add_argument("--sort", default=None, help="sort by this column (e.g. eval_loss)")
    p.set_defaults(func=_sweep_show)
    p = runs.add_parser("resume", help="continue a failed or aborted run from a checkpoint (latest by default)")
    p.add_argument("run_id")
    p.add_argument("--checkpoint", default=None, help="a checkpoint-N folder of the run (default: the latest)")
    p.add_argument("--detach", action="store_true", help="return at once; the run goes on in the background")
    p.set_defaults(func=cmd_runs_resume)
    p = runs.add_parser("abort", help="stop a run and every process it started")
    p.add_argument("run_id")
    p.add_argument(
        "--save", action="store_true", help="first save a checkpoint at the end of the current step (resumable)"
    )
    p.add_argument("--timeout", type=float, default=600, help="with --save: seconds to wait before killing")
    p.set_defaults(func=cmd_runs_abort)


def add_fields(sub) -> None:
    """``studio fields [PREFIX]``."""
    p = sub.add_parser("fields", help="every JobSpec field with its help")
    p.add_argument("prefix", nargs="?", help="only fields starting with this, e.g. train.")
    p.set_defaults(func=cmd_fields)


def add_presets(sub) -> None:
    """``studio presets``."""
    sub.add_parser("presets", help="the shipped presets").set_defaults(func=cmd_presets)
