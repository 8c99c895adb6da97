"""Pre-flight checks of a Slurm run (torch-free): the commands are there, the script builds, the run
directory is on a file system the nodes can share."""

from __future__ import annotations

import os
from pathlib import Path

# File systems that live on one machine: a run directory there is invisible to the other nodes.
LOCAL_FS = ("ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "overlay", "zfs", "f2fs", "vfat", "ramfs")


def filesystem_of(path: Path) -> str:
    """The type of the file system holding ``path`` (longest mount point of /proc/mounts), or ``""``."""
    path = Path(os.path.realpath(path))
    best, kind = "", ""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return ""
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        if (str(path) == point or str(path).startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
            best, kind = point, parts[2]
    return kind


def check_slurm(spec, home: Path) -> list:
    """``slurm`` (commands present, script builds) and ``shared`` (the workspace's file system) checks."""
    from backend.checks import Check
    from backend.run.launchers.slurm import MISSING_ADVICE, missing_commands
    from backend.run.launchers.slurm_script import build_sbatch_script
    from backend.spec import SpecError

    checks = []
    missing = missing_commands()
    if missing:
        checks.append(Check("slurm", "fail", f"{', '.join(missing)} not found: {MISSING_ADVICE}"))
    else:
        try:
            build_sbatch_script(spec, str(home / "runs" / "RUN_ID"), "RUN_ID")
        except SpecError as exc:
            checks.append(Check("slurm", "fail", "; ".join(f"{f}: {m}" for f, m in exc.errors)))
        else:
            s = spec.distributed.slurm
            what = f"{spec.distributed.num_machines} node(s)"
            what += f" × {s.gpus_per_node} GPU(s)" if s.gpus_per_node else ", CPU"
            checks.append(Check("slurm", "ok", f"sbatch job: {what}, partition {s.partition or '(default)'}"))
    kind = filesystem_of(home)
    msg = (
        f"the workspace {home} is on {kind or 'an unknown file system'}: every node must see the run directory "
        "at the same path (job.yaml, stop requests, events, checkpoints)"
    )
    if kind in LOCAL_FS:
        checks.append(Check("shared", "warn", msg + "; a local disk only works when the job runs on this machine"))
    else:
        checks.append(Check("shared", "ok", f"the workspace {home} is on {kind or 'an unknown file system'}"))
    return checks
