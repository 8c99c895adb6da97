"""The batch script of a Slurm run: ``build_sbatch_script(spec, run_dir, run_id, ...) -> SbatchPlan``.

Pure (no I/O, no torch), like :func:`backend.launch.build_launch`, which it builds on: the UI's preview
and ``studio preflight`` show exactly the text that ``sbatch`` gets. The job has one task per node
(``--nodes = distributed.num_machines``, ``--ntasks-per-node=1``); ``srun`` starts that task on every
node, and the task runs the ``accelerate launch`` of :func:`build_launch` (DDP, or DeepSpeed ZeRO through
accelerate's ``standard`` multi-node launcher, i.e. torchrun on each node, no ssh) with:

- ``--machine_rank $SLURM_NODEID`` (each node's own rank),
- ``--main_process_ip $MAIN_ADDR``, the first host of ``scontrol show hostnames $SLURM_JOB_NODELIST``,
- ``--main_process_port $MAIN_PORT`` = ``distributed.main_process_port + SLURM_JOB_ID % 1000``: every
  node computes the same port, and two jobs sharing a node do not pick the same one,
- ``STUDIO_RUN_ID`` and the launch plan's variables exported, so every process of the run carries them.

Output (batch script and every rank) is appended to ``RUN_DIR/train.log``, as for a local run, so the run
directory must be on a file system every node shares (pre-flight says so): the nodes read ``job.yaml``,
``accelerate.json`` and the stop request from it and write events, checkpoints and weights into it.
With ``train.save_on_sigterm``, ``--signal=TERM@N`` asks Slurm for a SIGTERM N seconds before the time
limit, so the trainer saves a checkpoint before it is killed.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from backend.launch import Hardware, build_launch
from backend.run.rundir import RunDir
from backend.spec import JobSpec, SpecError

PROJECT_DIR = str(Path(__file__).resolve().parents[3])
RUN_ENV = "STUDIO_RUN_ID"  # the same variable as backend.run.launchers.local.RUN_ENV
_MAIN_ADDR = "__MAIN_ADDR__"  # placeholder the plan's argv carries until it is turned into $MAIN_ADDR
_VARS = {"--machine_rank": "$SLURM_NODEID", "--main_process_ip": "$MAIN_ADDR", "--main_process_port": "$MAIN_PORT"}


@dataclass(frozen=True)
class SbatchPlan:
    """The batch script, the files to write into the run directory first, and the resolved precision."""

    script: str
    files: dict[str, str] = field(default_factory=dict)
    precision: str = "fp32"


def slurm_hardware(spec: JobSpec) -> Hardware:
    """What a node of the job offers, as far as the spec says: its GPUs (bf16 assumed on cluster GPUs) and CPUs."""
    s = spec.distributed.slurm
    return Hardware(gpu_count=s.gpus_per_node, bf16_supported=s.gpus_per_node > 0, cpu_count=s.cpus_per_task or 1)


def _check_path(run_dir: str) -> None:
    # #SBATCH lines are not parsed by a shell: a space or a % (a Slurm filename pattern) would change the path.
    if any(c.isspace() or c in "%\"'\\$`" for c in run_dir):
        raise SpecError(
            [("output.workspace", f"the run directory {run_dir!r} must have no spaces, %, quotes, $ or backslashes")]
        )


def build_sbatch_script(
    spec: JobSpec, run_dir: str, run_id: str, python: str | None = None, project_dir: str = PROJECT_DIR
) -> SbatchPlan:
    """The ``sbatch`` script that trains ``spec`` in ``run_dir`` on ``distributed.num_machines`` nodes.

    ``python`` defaults to ``distributed.slurm.python``, else the studio's own interpreter; ``project_dir``
    is where ``backend`` is importable on the nodes (this checkout). Raises ``SpecError`` naming the field.
    """
    d, s = spec.distributed, spec.distributed.slurm
    _check_path(run_dir)
    python = python or s.python or sys.executable
    node_spec = spec.model_copy(deep=True)
    node_spec.distributed.machine_rank = 0
    if d.num_machines > 1:
        node_spec.distributed.main_process_ip = _MAIN_ADDR
    plan = build_launch(node_spec, run_dir, slurm_hardware(spec), python=python)
    words, argv = [], list(plan.argv)
    for i, arg in enumerate(argv):
        if i and argv[i - 1] in _VARS:
            words.append(f'"{_VARS[argv[i - 1]]}"')
        else:
            words.append(shlex.quote(arg))
    node_command = "exec " + " ".join(words)

    log = f"{run_dir}/{RunDir.LOG}"
    lines = ["#!/bin/bash", f"#SBATCH --job-name={s.job_name or spec.output.run_name or run_id}"]
    lines += [f"#SBATCH --nodes={d.num_machines}", "#SBATCH --ntasks-per-node=1"]
    if s.gpus_per_node:
        lines.append(f"#SBATCH --gpus-per-node={s.gpus_per_node}")
    if s.cpus_per_task:
        lines.append(f"#SBATCH --cpus-per-task={s.cpus_per_task}")
    for opt, value in (("mem", s.mem), ("time", s.time), ("partition", s.partition)):
        if value:
            lines.append(f"#SBATCH --{opt}={value}")
    for opt, value in (("account", s.account), ("qos", s.qos)):
        if value:
            lines.append(f"#SBATCH --{opt}={value}")
    lines += [f"#SBATCH --output={log}", "#SBATCH --open-mode=append", f"#SBATCH --chdir={project_dir}"]
    lines.append("#SBATCH --requeue" if s.requeue else "#SBATCH --no-requeue")
    if spec.train.save_on_sigterm and s.signal_before_s:
        lines.append(f"#SBATCH --signal=TERM@{s.signal_before_s}")
    lines += [f"#SBATCH {extra}" for extra in s.extra_sbatch]
    lines += ["", "# Written by llm-studio for run " + run_id + "; the run directory must be shared by every node."]
    lines += ["set -eo pipefail"]
    lines += s.setup
    env = {RUN_ENV: run_id, **plan.env}
    lines += [f"export {k}={shlex.quote(v)}" for k, v in env.items()]
    lines.append(f"export PYTHONPATH={shlex.quote(project_dir)}${{PYTHONPATH:+:$PYTHONPATH}}")
    lines.append('MAIN_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)')
    lines.append(f"MAIN_PORT=$(({d.main_process_port} + SLURM_JOB_ID % 1000))")
    lines.append("export MAIN_ADDR MAIN_PORT")
    lines.append(
        'echo "[studio] $(date +%H:%M:%S) slurm job $SLURM_JOB_ID on $SLURM_JOB_NODELIST, main $MAIN_ADDR:$MAIN_PORT"'
    )
    srun = f"srun --nodes={d.num_machines} --ntasks-per-node=1 --kill-on-bad-exit=1"
    lines.append(f"{srun} bash -c {shlex.quote(node_command)}")
    return SbatchPlan(script="\n".join(lines) + "\n", files=dict(plan.files), precision=plan.precision)
