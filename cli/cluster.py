"""``studio cluster``: the Slurm cluster as the studio sees it: partitions (``sinfo``) and your jobs (``squeue``).

Exit status 2 with a one-line fix when the Slurm commands are missing or the controller does not answer.
"""

from __future__ import annotations

import getpass
import sys


def cmd_cluster(args) -> int:
    from backend.run.launchers.slurm import MISSING_ADVICE, SlurmError, missing_commands, slurm

    missing = missing_commands(("sinfo", "squeue"))
    if missing:
        print(f"error: {', '.join(missing)} not found: {MISSING_ADVICE}", file=sys.stderr)
        return 2
    user = args.user or getpass.getuser()
    try:
        partitions = slurm("sinfo", "-o", "%P %a %l %D %t %c %m %G")
        queue = slurm("squeue", "-u", user, "-o", "%i %j %T %M %l %D %R")
    except SlurmError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("partitions (sinfo):\n" + partitions.rstrip())
    body = queue.strip().splitlines()
    print(f"\njobs of {user} (squeue):\n" + ("\n".join(body) if len(body) > 1 else "no jobs"))
    return 0


def add_parser(sub) -> None:
    """Add the ``cluster`` command to the ``studio`` sub-parsers."""
    p = sub.add_parser("cluster", help="Slurm partitions (sinfo) and your jobs (squeue)")
    p.add_argument("--user", help="whose jobs to list (default: you)")
    p.set_defaults(func=cmd_cluster)
