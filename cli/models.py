"""``studio models``: download models from a hub, list the local ones, remove downloads.

    studio models pull ID [--revision R] [--endpoint URL] [--include PATTERNS] [--events FILE]
    studio models list
    studio models config ID        # fetch only config.json (pre-flight's estimate of a model not downloaded)
    studio models rm ID
    studio models token            # read a hub token from stdin into <workspace>/hub_token (0600)

ID is ``hf:ORG/NAME[@REV]``, ``ms:ORG/NAME[@REV]`` or a bare ``ORG/NAME`` (the default hub). A failure is
one ``error:`` line and exit status 2. With ``--events FILE`` the pull also writes ``status`` (downloading,
succeeded, failed) and ``progress`` events (bytes, total_bytes, speed, eta) to FILE: the Models tab and a
run's download step follow it. Also runnable as ``python -m cli [--home H] models ...``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from backend.models.hub import progress_line


def cmd_pull(args) -> int:
    from backend.events import EventWriter
    from backend.models.hub import HubError, pull
    from backend.models.ref import RefError, parse_ref
    from backend.workspace import workspace_home

    home = workspace_home(args.home)
    writer = EventWriter(args.events) if args.events else None
    try:
        ref = parse_ref(args.id)
        if args.revision:
            ref = parse_ref(f"{ref.hub}:{ref.repo}@{args.revision}") if ref.is_hub else ref
        if writer and not args.step:
            writer.emit("status", state="downloading", message=f"downloading {ref.id}", pid=os.getpid())
        tty = sys.stderr.isatty()

        def report(sample: dict) -> None:
            if writer:
                writer.emit("progress", phase="download", **sample)
            if tty:
                print("\r" + progress_line(sample)[:120].ljust(120), end="", file=sys.stderr, flush=True)

        include = [p for item in args.include or [] for p in item.split(",") if p.strip()]
        folder = pull(ref, home, endpoint=args.endpoint, include=include, report=report)
    except (HubError, RefError) as exc:
        if writer and not args.step:  # a run's step: the trainer reports the failure as the run's error
            writer.emit("error", kind=getattr(exc, "kind", "config"), message=str(exc))
            writer.emit("status", state="failed", message=str(exc))
        print(f"\nerror: {exc}" if sys.stderr.isatty() else f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if writer and not args.step:
            writer.emit("status", state="aborted", message="download cancelled")
        return 130
    if writer and not args.step:
        writer.emit("result", output_dir=str(folder), metrics={})
        writer.emit("status", state="succeeded", message=f"downloaded to {folder}")
    print(f"\n{ref.id} -> {folder}" if sys.stderr.isatty() else f"{ref.id} -> {folder}")
    return 0


def cmd_config(args) -> int:
    """Fetch only config.json of a hub model (pre-flight's memory estimate of a model not downloaded yet)."""
    from backend.models.hub import HubError, fetch_config
    from backend.models.ref import RefError, parse_ref
    from backend.workspace import workspace_home

    try:
        ref = parse_ref(args.id)
        if not ref.is_hub:
            raise RefError(f"{args.id}: not a hub id (hf:ORG/NAME or ms:ORG/NAME)")
        print(fetch_config(ref, workspace_home(args.home)))
    except (HubError, RefError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_list(args) -> int:
    from backend.models.local import format_table, list_models
    from backend.workspace import workspace_home

    print(format_table(list_models(workspace_home(args.home))))
    return 0


def cmd_rm(args) -> int:
    from backend.models.local import remove
    from backend.models.ref import RefError
    from backend.workspace import workspace_home

    try:
        folder = remove(workspace_home(args.home), args.id)
    except (ValueError, RefError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"removed {folder}")
    return 0


def cmd_token(args) -> int:
    from backend.models.hub import save_token
    from backend.workspace import workspace_home

    token = sys.stdin.readline().strip()
    if not token:
        print("error: no token on stdin (paste it, then Enter)", file=sys.stderr)
        return 2
    path = save_token(workspace_home(args.home), token)
    print(f"token saved to {path} (mode 0600)")
    return 0


def add_parser(sub) -> None:
    """Add ``models pull|list|rm|token`` to the ``studio`` sub-parsers."""
    models = sub.add_parser("models", help="download models from a hub, list and remove local models")
    msub = models.add_subparsers(dest="models_command", required=True)
    p = msub.add_parser("pull", help="download a model (hf:ORG/NAME, ms:ORG/NAME or ORG/NAME) into the workspace")
    p.add_argument("id", help="hf:ORG/NAME[@REV], ms:ORG/NAME[@REV] or ORG/NAME")
    p.add_argument("--revision", help="branch, tag or commit (overrides @REV)")
    p.add_argument("--endpoint", help="hub URL, e.g. a mirror (default: $HF_ENDPOINT, the workspace setting, hf.co)")
    p.add_argument("--include", action="append", help="extra file patterns to fetch, comma-separated (repeatable)")
    p.add_argument("--events", type=Path, help="also write status/progress events to this JSONL file")
    p.add_argument("--step", action="store_true", help=argparse.SUPPRESS)  # a run's step: progress events only
    p.set_defaults(func=cmd_pull)
    p = msub.add_parser("config", help="fetch only a hub model's config.json (for the memory estimate)")
    p.add_argument("id")
    p.set_defaults(func=cmd_config)
    msub.add_parser("list", help="local models: builtin, downloaded, exported").set_defaults(func=cmd_list)
    p = msub.add_parser("rm", help="delete a downloaded model")
    p.add_argument("id")
    p.set_defaults(func=cmd_rm)
    msub.add_parser("token", help="save a hub token (read from stdin) in the workspace, mode 0600").set_defaults(
        func=cmd_token
    )
