"""``studio preflight JOB.yaml [--set F=V ...] [--json] [--override] [--hosts a,b]``: check a job before launching it.

Prints one line per check (ok / warn / FAIL), the peak-memory estimate's parts, and for a multi-node
job the exact command for every machine (plus a DeepSpeed hostfile launch with ``--hosts`` for ZeRO), and for
a Slurm job (``distributed.launcher: slurm``) the exact batch script that ``sbatch`` gets.
Exit status 1 when a check fails, 0 otherwise; ``--json`` prints the same as one JSON object.
"""

from __future__ import annotations

import json
from pathlib import Path

from backend.checks import Check
from backend.spec import SpecError, apply_overrides, load_spec

MARK = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


def report(spec, home, hardware=None, override: bool = False, hosts: list[str] | None = None) -> dict:
    """Checks, estimate and multi-node commands of ``spec`` as one JSON-safe dict."""
    from backend.launch import detect_hardware
    from backend.memory import estimate_memory
    from backend.model_shape import shape_for_spec
    from backend.multinode import deepspeed_hostfile_plan, node_commands
    from backend.preflight import failed, preflight
    from backend.workspace import workspace_home

    home = workspace_home(home or spec.output.workspace)
    hw = hardware or detect_hardware(home=home)
    checks = preflight(spec, home, hw, override=override)
    out: dict = {"ok": not failed(checks), "checks": [c.to_dict() for c in checks]}
    try:
        out["estimate"] = estimate_memory(spec, shape_for_spec(spec, home), hw).to_dict()
    except (FileNotFoundError, OSError, ValueError, KeyError):
        out["estimate"] = None
    run_dir = str(home / "runs" / "<run-id>")
    if spec.distributed.launcher == "slurm":
        from backend.run.launchers.slurm_script import build_sbatch_script

        try:
            out["sbatch_script"] = build_sbatch_script(spec, run_dir, "<run-id>").script
        except SpecError as exc:
            out["sbatch_script_error"] = str(exc)
    elif spec.distributed.num_machines > 1:
        try:
            out["node_commands"] = node_commands(spec, run_dir, hw)
            if hosts and spec.distributed.zero_stage:
                plan = deepspeed_hostfile_plan(spec, run_dir, hw, hosts)
                out["deepspeed_hostfile"] = {"command": plan.command, "hostfile": plan.hostfile,
                                             "deepspeed_env": plan.deepspeed_env}  # fmt: skip
        except SpecError as exc:
            out["node_commands_error"] = str(exc)
    return out


def render(out: dict) -> str:
    """The report as terminal text."""
    # Each field named once (``data.sources[0].path: …``, not ``data.sources[0]: data.sources[0].path: …``).
    lines = [f"[{MARK[c['level']]}] {Check(**c).line()}" for c in out["checks"]]
    est = out.get("estimate")
    if est:
        parts = ", ".join(f"{k} {v:.3f}" for k, v in est["parts_gb"].items())
        head = f"memory estimate ({est['device']}, {est['precision']}): {est['per_device_gb']:.3f} GiB per process"
        lines.append(f"{head} = {parts} GiB; {est['trainable']:,} of {est['params']:,} parameters trainable")
        lines += [f"  note: {n}" for n in est["notes"]]
    for rank, command in enumerate(out.get("node_commands", [])):
        lines.append(f"machine {rank}: {command}")
    if ds := out.get("deepspeed_hostfile"):
        lines.append("DeepSpeed hostfile launch (on the main machine; needs ssh to every host):")
        lines.append("  hostfile:\n    " + ds["hostfile"].strip().replace("\n", "\n    "))
        lines.append(f"  {ds['command']}")
    if script := out.get("sbatch_script"):
        lines.append("Slurm batch script (sbatch):\n    " + script.rstrip().replace("\n", "\n    "))
    if err := out.get("sbatch_script_error"):
        lines.append(f"Slurm: {err}")
    if err := out.get("node_commands_error"):
        lines.append(f"multi-node: {err}")
    lines.append("pre-flight: " + ("passed" if out["ok"] else "FAILED (fix the lines marked FAIL)"))
    return "\n".join(lines)


def cmd_preflight(args) -> int:
    spec = load_spec(args.job)
    if args.set:
        spec = apply_overrides(spec, args.set)
    hosts = [h.strip() for h in args.hosts.split(",")] if args.hosts else None
    out = report(spec, args.home, override=args.override, hosts=hosts)
    print(json.dumps(out, indent=2, ensure_ascii=False) if args.json else render(out))
    return 0 if out["ok"] else 1


def add_parser(sub) -> None:
    """Add the ``preflight`` command to the ``studio`` sub-parsers."""
    p = sub.add_parser("preflight", help="check disk, data, model files and the memory estimate before a run")
    p.add_argument("job", type=Path, help="JobSpec YAML")
    p.add_argument("--set", action="append", metavar="FIELD=VALUE", help="override a field (see `studio fields`)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--override", action="store_true", help="turn a failing memory check into a warning")
    p.add_argument("--hosts", help="comma-separated host names for a DeepSpeed hostfile launch (ZeRO, multi-node)")
    p.set_defaults(func=cmd_preflight)
