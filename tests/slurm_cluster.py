"""A real one-node Slurm cluster for the tests (Debian's ``slurm-wlm`` and ``munge``), started as root.

:func:`start_cluster` writes a munge key, starts ``munged`` on its own socket, writes a minimal
``slurm.conf`` (this machine as the only node, ``proctrack/linuxproc``, ``task/none``, no accounting
database), starts ``slurmctld -D`` and ``slurmd -D`` in the background and waits until ``sinfo`` shows
the node idle. Everything (key, socket, state, spool, logs) lives under one temporary directory, and
the daemons listen on free ports, so a system Slurm or another test session is not touched.
:meth:`Cluster.stop` stops exactly the processes it started, by pid. ``SLURM_CONF`` is what points
``sbatch``/``squeue``/``scontrol`` (and the studio) at this cluster.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scontrol", "scancel", "sinfo")


def missing_binaries() -> list[str]:
    """The Slurm/munge programs this machine lacks (empty when a cluster can be started)."""
    found = []
    for name in DAEMONS + CLIENTS:
        if not (shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")):
            found.append(name)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mem_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 1024


@dataclass
class Cluster:
    root: Path
    conf: Path
    node: str
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {"SLURM_CONF": str(self.conf)}

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self.root.glob("*.log"))
        )

    def stop(self) -> None:
        """Stop the daemons this cluster started (by pid): SIGTERM, then SIGKILL after 10 s."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        deadline = time.time() + 10
        for proc in reversed(self.procs):
            try:
                proc.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def _sbin(name: str) -> str:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin") or name


def start_cluster(root: Path, cpus: int = 2, timeout: float = 60.0) -> Cluster:
    """Start munged, slurmctld and slurmd under ``root``; the running :class:`Cluster` (RuntimeError if not up)."""
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("state", "spool", "munge"):
        (root / sub).mkdir(exist_ok=True)
    os.chmod(root / "munge", 0o700)
    key = root / "munge" / "munge.key"
    key.write_bytes(secrets.token_bytes(1024))
    os.chmod(key, 0o400)
    sock = root / "munge" / "munge.socket"
    # In the foreground (-F) so that it is our child: stopped and reaped by pid like the Slurm daemons.
    munged_args = [
        _sbin("munged"),
        "-F",
        "--force",
        f"--socket={sock}",
        f"--key-file={key}",
        f"--pid-file={root / 'munge' / 'munged.pid'}",
        f"--log-file={root / 'munged.log'}",
        f"--seed-file={root / 'munge' / 'munged.seed'}",
    ]
    node = socket.gethostname().split(".")[0]
    cluster = Cluster(root=root, conf=root / "slurm.conf", node=node)
    munged_log = open(root / "munged.out.log", "wb")  # noqa: SIM115 - written until the daemon ends
    cluster.procs.append(subprocess.Popen(munged_args, stdout=munged_log, stderr=subprocess.STDOUT))
    deadline = time.time() + 20
    while not sock.exists():
        if cluster.procs[0].poll() is not None or time.time() > deadline:
            cluster.stop()
            raise RuntimeError(f"munged did not start:\n{cluster.logs()}")
        time.sleep(0.1)
    cluster.conf.write_text(
        "\n".join(
            [
                "ClusterName=studiotest",
                f"SlurmctldHost={node}",
                f"SlurmctldPort={_free_port()}",
                f"SlurmdPort={_free_port()}",
                f"AuthInfo=socket={sock}",
                "AuthType=auth/munge",
                "CredType=cred/munge",
                "SlurmUser=root",
                "SlurmdUser=root",
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_Core",
                "SchedulerType=sched/backfill",
                "JobAcctGatherType=jobacct_gather/none",
                "AccountingStorageType=accounting_storage/none",
                "JobCompType=jobcomp/none",
                "MpiDefault=none",
                "ReturnToService=2",
                # More CPUs than the machine has may be declared, so that several tiny jobs run side by side.
                "SlurmdParameters=config_overrides",
                "MinJobAge=600",
                "KillWait=5",
                "InactiveLimit=0",
                "SlurmctldTimeout=30",
                "SlurmdTimeout=30",
                "OverTimeLimit=0",
                f"StateSaveLocation={root / 'state'}",
                f"SlurmdSpoolDir={root / 'spool'}",
                f"SlurmctldPidFile={root / 'slurmctld.pid'}",
                f"SlurmdPidFile={root / 'slurmd.pid'}",
                f"SlurmctldLogFile={root / 'slurmctld.log'}",
                f"SlurmdLogFile={root / 'slurmd.log'}",
                f"NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={max(256, _mem_mb() - 1024)} State=UNKNOWN",
                f"PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP",
                "",
            ]
        )
    )
    env = {**os.environ, "SLURM_CONF": str(cluster.conf)}
    try:
        for daemon in ("slurmctld", "slurmd"):
            args = [_sbin(daemon), "-D", "-f", str(cluster.conf)]
            if daemon == "slurmctld":
                args.append("-c")  # a clean start: no jobs from an earlier state directory
            log = open(root / f"{daemon}.out.log", "wb")  # noqa: SIM115 - the daemon writes it until it ends
            cluster.procs.append(subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(p.poll() is not None for p in cluster.procs):
                raise RuntimeError("a Slurm daemon exited at start")
            out = subprocess.run(["sinfo", "-h", "-N", "-o", "%t"], env=env, capture_output=True, text=True, timeout=10)
            if out.returncode == 0 and out.stdout.strip() == "idle":
                return cluster
            time.sleep(0.5)
        raise RuntimeError(f"the Slurm node did not become idle in {timeout:.0f} s")
    except BaseException as exc:
        cluster.stop()
        if isinstance(exc, RuntimeError):
            raise RuntimeError(f"{exc}\n{cluster.logs()}") from None
        raise
