"""Commands for a run across machines: one ``accelerate launch`` per machine, or a DeepSpeed hostfile launch.

Pure functions over :func:`backend.launch.build_launch` (no I/O, no torch), shown by the UI and CLI:

* :func:`node_commands` gives the exact command for every machine rank of ``distributed.num_machines``:
  the same spec with ``machine_rank = r``. Every machine needs the project, the model and the data at
  the same paths, and the run directory with ``job.yaml`` (and ``accelerate.json``/``deepspeed.json``,
  identical on every machine: the rank is passed on the command line). Rank 0 hosts the rendezvous at
  ``main_process_ip:main_process_port`` and saves the model; the other ranks write no events.
  Verified on loopback: 2 machines × 1 CPU process (gloo) trained and rank 0 saved a loadable model
  (tests/test_multinode.py).
* :func:`deepspeed_hostfile_plan` is the alternative for ZeRO runs on clusters with passwordless ssh:
  a ``hostfile`` (``host slots=N`` lines), a ``.deepspeed_env`` (the variables DeepSpeed's pdsh launcher
  exports on every host) and one ``deepspeed --hostfile ... --module backend.train RUN_DIR`` command on
  the main machine. The trainer reads the DeepSpeed config through ``ACCELERATE_USE_DEEPSPEED`` /
  ``ACCELERATE_DEEPSPEED_CONFIG_FILE``, as under accelerate. The ssh/pdsh fan-out is not run here (no
  second machine); what each host then runs is: the same command without ``--hostfile`` (DeepSpeed's own
  launcher, the ``.deepspeed_env`` variables, ``--module backend.train``) trained ZeRO-2 over 2 CPU
  processes and saved DeepSpeed checkpoints (tests/test_multinode.py).
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass

from backend.launch import BASE_ENV, TRAIN_MODULE, Hardware, build_launch
from backend.spec import JobSpec, SpecError


def with_rank(spec: JobSpec, rank: int) -> JobSpec:
    """The same job as machine ``rank`` runs it."""
    spec = spec.model_copy(deep=True)
    spec.distributed.machine_rank = rank
    return spec


def node_commands(spec: JobSpec, run_dir: str, hw: Hardware, python: str = "python") -> list[str]:
    """The shell command for every machine rank (index r = machine_rank r), each from ``build_launch``.

    ``python`` is the interpreter on the other machines (the local ``sys.executable`` rarely matches).
    """
    d = spec.distributed
    if d.num_machines < 2:
        raise SpecError([("distributed.num_machines", "node commands need 2 or more machines")])
    return [build_launch(with_rank(spec, r), run_dir, hw, python=python).shell() for r in range(d.num_machines)]


@dataclass(frozen=True)
class HostfilePlan:
    """Files to put beside the run (hostfile, .deepspeed_env) and the one command to start every host."""

    hostfile: str
    deepspeed_env: str
    command: str
    files: dict[str, str]
    argv: tuple[str, ...] = ()  # ``command`` as words (without the ``cd``), to run it from Python


def hostfile_text(hosts: list[str], slots: int) -> str:
    """DeepSpeed's hostfile: one ``hostname slots=N`` line per machine (N processes/GPUs on each)."""
    bad = [h for h in hosts if not h or any(c.isspace() for c in h)]
    if bad or not hosts:
        raise SpecError([("hosts", f"need one host name per machine without spaces (got {hosts!r})")])
    return "".join(f"{h} slots={slots}\n" for h in hosts)


def deepspeed_hostfile_plan(
    spec: JobSpec, run_dir: str, hw: Hardware, hosts: list[str], python: str = "python"
) -> HostfilePlan:
    """A ``deepspeed --hostfile`` launch of a ZeRO job over ``hosts`` (first host = rank 0 = main_process_ip)."""
    d = spec.distributed
    if d.zero_stage == 0:
        raise SpecError([("distributed.zero_stage", "a DeepSpeed hostfile launch needs ZeRO stage 1-3")])
    if len(hosts) != d.num_machines:
        raise SpecError([("hosts", f"list {d.num_machines} hosts (distributed.num_machines), got {len(hosts)}")])
    plan = build_launch(spec, run_dir, hw, python=python)  # validates, and gives the deepspeed.json to write
    env = {k: v for k, v in plan.env.items() if k != "CUDA_VISIBLE_DEVICES"}
    env |= {
        "ACCELERATE_USE_DEEPSPEED": "true",
        "ACCELERATE_DEEPSPEED_CONFIG_FILE": os.path.join(run_dir, "deepspeed.json"),
        "ACCELERATE_MIXED_PRECISION": {"bf16": "bf16", "fp16": "fp16"}.get(plan.precision, "no"),
        **BASE_ENV,
    }
    deepspeed_env = "".join(f"{k}={v}\n" for k, v in sorted(env.items()))
    hostfile = hostfile_text(hosts, d.num_processes)
    argv = ["deepspeed", "--hostfile", os.path.join(run_dir, "hostfile")]
    if d.gpu_ids is None:
        argv += ["--num_nodes", str(d.num_machines), "--num_gpus", str(d.num_processes)]
    else:
        # The same GPU indices on every host (CUDA_VISIBLE_DEVICES would not reach them); DeepSpeed refuses
        # --num_nodes/--num_gpus together with --include.
        argv += ["--include", "@".join(f"{h}:{','.join(map(str, d.gpu_ids))}" for h in hosts)]
    argv += ["--master_addr", str(d.main_process_ip or hosts[0]), "--master_port", str(d.main_process_port)]
    argv += ["--no_local_rank", "--module", TRAIN_MODULE, run_dir]
    # DeepSpeed reads .deepspeed_env from the directory it is started in: start it in the run dir.
    command = f"cd {shlex.quote(run_dir)} && " + " ".join(shlex.quote(a) for a in argv)
    files = {**plan.files, "hostfile": hostfile, ".deepspeed_env": deepspeed_env}
    return HostfilePlan(hostfile=hostfile, deepspeed_env=deepspeed_env, command=command, files=files, argv=tuple(argv))
