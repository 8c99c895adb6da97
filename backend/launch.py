"""Turn a JobSpec into the command that starts training: ``build_launch(spec, run_dir, hw) -> LaunchPlan``.

Contract: everything here is pure (no torch, no I/O) so the UI can import it cheaply, except
``detect_hardware``, which probes torch in a child process (once per boot and device set, see
:mod:`backend.hardware_cache`). A ``LaunchPlan`` holds the argv (always
``python -m accelerate.commands.launch <flags> -m backend.train <run_dir>``), the variables to add to
the environment, the files to write into the run dir first (``accelerate.json``, ``deepspeed.json``)
and the resolved precision. Hardware-dependent mistakes raise ``SpecError`` naming the field.

Verified by running accelerate 1.15 / deepspeed 0.19.8 / torch 2.13 CPU / transformers 5.23 on 2 cores
(tiny Llama, HF Trainer, 3 steps; the loss and the summed weights were the same on every rank):
- ``--cpu --num_processes 2`` starts ONE process: ``--cpu`` selects accelerate's simple launcher,
  which only spawns N processes through mpirun. Accelerate also refuses ``--cpu`` together with
  ``--multi_gpu`` or ``--use_deepspeed``. What works for N CPU workers is ``--multi_gpu`` (torchrun)
  without ``--cpu``, plus ``ACCELERATE_USE_CPU=true``. TrainingArguments then builds a MULTI_CPU
  state with ``ddp_backend="gloo"``, and all_reduce works across the workers.
- DeepSpeed on CPU: use ``--use_deepspeed`` without ``--cpu``, and set ``DS_ACCELERATOR=cpu`` (auto-detected
  too, but kept explicit). The trainer must pass ``ddp_backend="gloo"`` and must NOT pass
  ``TrainingArguments(deepspeed=...)``: accelerate hands it the config through ``ACCELERATE_DEEPSPEED_CONFIG_FILE``.
  ZeRO-1, ZeRO-2, ZeRO-2 with optimizer offload, ZeRO-3 and ZeRO-3 with full offload all
  trained with 2 processes. ZeRO-3 ``save_model`` wrote a full model that loads again.
  Failures seen: without gloo, and also with ``deepspeed=`` (that path drops ddp_backend), ranks
  stop on "train_batch_size is not equal to micro_batch_per_gpu * gradient_acc_step * world_size". With
  ``ACCELERATE_USE_CPU=true``, DeepSpeed is silently skipped and the job trains as plain DDP.
- One plain process with ``ddp_backend="gloo"`` crashes ("Default process group has not been
  initialized"), so STUDIO_DDP_BACKEND is only set for torchrun launches.
- Multi-node, simulated as 2 machines x 1 process on localhost, worked both as DDP and as ZeRO-2
  (``--deepspeed_multinode_launcher standard``).
- ``ACCELERATE_DISABLE_RICH`` does not exist; rich output is opt-in (``ACCELERATE_ENABLE_RICH``).
- Our own ``accelerate.json`` is passed with ``--config_file``. Otherwise a user's
  ~/.cache/huggingface/accelerate/default_config.yaml could turn DeepSpeed or FSDP on without the spec asking.
- Not run here (no GPU): the GPU paths (nccl, bf16/fp16, --gpu_ids).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass, field

from backend import hardware_cache
from backend.spec import JobSpec, SpecError, spec_from_dict

TRAIN_MODULE = "backend.train"
BASE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "PYTHONUNBUFFERED": "1",
}
_ACCELERATE_PRECISION = {"bf16": "bf16", "fp16": "fp16", "fp32": "no"}


@dataclass(frozen=True)
class Hardware:
    """What this machine offers; passed in so that build_launch stays pure and testable."""

    gpu_count: int = 0  # visible CUDA GPUs on this machine
    bf16_supported: bool = False  # every visible GPU runs bf16 natively (Ampere+)
    cpu_count: int = 1  # CPU cores this process may use
    gpu_free_gb: tuple[float, ...] = ()  # free memory per visible GPU at probe time (empty: unknown)
    gpu_total_gb: tuple[float, ...] = ()  # total memory per visible GPU


@dataclass(frozen=True)
class LaunchPlan:
    """The full command, the environment variables to add, files to write into the run dir first."""

    argv: list[str]
    env: dict[str, str]
    files: dict[str, str] = field(default_factory=dict)
    precision: str = "fp32"

    def shell(self) -> str:
        """The command as one copy-pasteable shell line, env prefix first, every word shlex-quoted."""
        prefix = [f"{k}={shlex.quote(v)}" for k, v in sorted(self.env.items())]
        return " ".join(prefix + [shlex.quote(a) for a in self.argv])


def native_bf16(capability_majors: list[int]) -> bool:
    """The one bf16 rule: bf16 counts as supported when there are GPUs and every one has compute capability 8.0+
    (Ampere or later: native bf16; ``torch.cuda.is_bf16_supported()`` is also true where it is only emulated)."""
    return bool(capability_majors) and all(major >= 8 for major in capability_majors)


def resolve_precision(spec: JobSpec, hw: Hardware) -> str:
    """Resolve ``train.precision`` to "bf16", "fp16" or "fp32" on this hardware.

    auto picks bf16 only on GPUs that run it natively and fp16 on older GPUs. On CPU it picks fp32,
    because bf16 autocast on these CPUs is 4-25x slower (FINDINGS.md).
    """
    wanted = spec.train.precision
    if wanted == "auto":
        if not hw.gpu_count:
            return "fp32"
        return "bf16" if hw.bf16_supported else "fp16"
    if wanted in ("bf16", "fp16") and not hw.gpu_count:
        raise SpecError([("train.precision", f"{wanted} needs a GPU; use auto or fp32")])
    return wanted


# The DeepSpeed configs shipped under presets/deepspeed/ (for use outside the studio, e.g. with a plain
# HF Trainer's --deepspeed): name -> distributed settings. A test keeps the files equal to the generator.
SHIPPED_DEEPSPEED = {
    "zero1": {"zero_stage": 1},
    "zero2": {"zero_stage": 2},
    "zero2-offload": {"zero_stage": 2, "offload_optimizer": True},
    "zero3": {"zero_stage": 3},
    "zero3-offload": {"zero_stage": 3, "offload_optimizer": True, "offload_params": True},
}


def shipped_deepspeed_configs() -> dict[str, dict]:
    """``{file stem: DeepSpeed JSON}`` of presets/deepspeed/, bf16 (the precision of current GPUs)."""
    return {
        name: deepspeed_config(spec_from_dict({"data": {"sources": [{"path": "-"}]}, "distributed": d}), "bf16")
        for name, d in SHIPPED_DEEPSPEED.items()
    }


def deepspeed_config(spec: JobSpec, precision: str) -> dict:
    """The DeepSpeed JSON for ZeRO stage 1-3. HF Trainer fills in the "auto" values from TrainingArguments."""
    d = spec.distributed
    zero: dict = {"stage": d.zero_stage, "contiguous_gradients": True, "reduce_bucket_size": "auto"}
    if d.zero_stage in (1, 2):
        zero |= {"allgather_partitions": True, "reduce_scatter": True, "overlap_comm": False}
    if d.zero_stage == 3:
        zero |= {
            "overlap_comm": False,
            "stage3_prefetch_bucket_size": "auto",
            "stage3_param_persistence_threshold": "auto",
            # Without it, saving under ZeRO-3 writes empty placeholder weights instead of a loadable model.
            "stage3_gather_16bit_weights_on_model_save": True,
        }
    if d.offload_optimizer:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": True}
    if d.offload_params:
        zero["offload_param"] = {"device": "cpu", "pin_memory": True}
    cfg: dict = {
        "train_batch_size": "auto",
        "train_micro_batch_size_per_gpu": "auto",
        "gradient_accumulation_steps": "auto",
        "gradient_clipping": "auto",
        "bf16": {"enabled": precision == "bf16"},
        "fp16": {"enabled": precision == "fp16"},
        "zero_optimization": zero,
        # Trainer's own optimiser (adafactor, 8-bit AdamW) is not on DeepSpeed's ZeRO list; it still works.
        "zero_allow_untested_optimizer": True,
        "steps_per_print": 10**9,
        "wall_clock_breakdown": False,
    }
    if d.offload_optimizer:
        # Offloaded optimiser states need DeepSpeed's CPU Adam; a client torch optimiser is rejected.
        cfg["optimizer"] = {
            "type": "AdamW",
            "params": {"lr": "auto", "betas": "auto", "eps": "auto", "weight_decay": "auto"},
        }
    return cfg


def _validate(spec: JobSpec, hw: Hardware) -> list[tuple[str, str]]:
    d, errors = spec.distributed, []
    if hw.gpu_count and d.num_processes > hw.gpu_count:
        errors.append(("distributed.num_processes", f"{d.num_processes} processes but only {hw.gpu_count} GPU(s)"))
    if d.gpu_ids is not None:
        if not hw.gpu_count:
            errors.append(("distributed.gpu_ids", "this machine has no GPU; leave it empty"))
        elif bad := [i for i in d.gpu_ids if not 0 <= i < hw.gpu_count]:
            errors.append(("distributed.gpu_ids", f"no such GPU {bad}; this machine has 0-{hw.gpu_count - 1}"))
        elif len(set(d.gpu_ids)) != len(d.gpu_ids):
            errors.append(("distributed.gpu_ids", f"lists a GPU twice ({d.gpu_ids})"))
    if d.offload_optimizer and spec.train.optim not in ("adamw_torch", "adamw_torch_fused"):
        errors.append(("train.optim", "offload_optimizer uses DeepSpeed's CPU AdamW; choose adamw_torch"))
    return errors


def build_launch(spec: JobSpec, run_dir: str, hw: Hardware, python: str = sys.executable) -> LaunchPlan:
    """Build the accelerate command, environment and run-dir files that start ``backend.train run_dir``."""
    errors = _validate(spec, hw)
    try:
        precision = resolve_precision(spec, hw)
    except SpecError as exc:
        errors = exc.errors + errors
    if errors:
        raise SpecError(errors)
    d = spec.distributed
    on_cpu = hw.gpu_count == 0
    total = d.num_processes * d.num_machines  # accelerate counts processes over all machines
    use_ds = d.zero_stage > 0
    accel_file = os.path.join(run_dir, "accelerate.json")
    argv = [python, "-m", "accelerate.commands.launch", "--config_file", accel_file]
    argv += ["--num_processes", str(total), "--num_machines", str(d.num_machines)]
    argv += ["--mixed_precision", _ACCELERATE_PRECISION[precision], "--dynamo_backend", "no"]
    if use_ds:
        dist_type = "DEEPSPEED"
        argv += ["--use_deepspeed", "--deepspeed_config_file", os.path.join(run_dir, "deepspeed.json")]
        if d.num_machines > 1:
            # "standard" runs torchrun on each machine like the non-DeepSpeed path; the default (pdsh) needs ssh.
            argv += ["--deepspeed_multinode_launcher", "standard"]
    elif total > 1:
        # torchrun spawns the workers, on GPU and on CPU alike (see the module docstring).
        dist_type = "MULTI_GPU"
        argv.append("--multi_gpu")
    else:
        dist_type = "NO"
        if on_cpu:
            argv.append("--cpu")
    if d.gpu_ids is not None:
        argv += ["--gpu_ids", ",".join(map(str, d.gpu_ids))]
    if d.num_machines > 1:
        argv += ["--machine_rank", str(d.machine_rank), "--main_process_ip", str(d.main_process_ip)]
    if total > 1:
        argv += ["--main_process_port", str(d.main_process_port)]
    argv += ["-m", TRAIN_MODULE, run_dir]

    env = dict(BASE_ENV)
    if d.gpu_ids is not None:
        env["CUDA_VISIBLE_DEVICES"] = ",".join(map(str, d.gpu_ids))
    if on_cpu:
        env["DS_ACCELERATOR"] = "cpu"
        if total > 1 or use_ds:
            # Only under torchrun: with a single plain process, TrainingArguments(ddp_backend="gloo")
            # makes accelerate ask for the world size of a process group that was never created.
            env["STUDIO_DDP_BACKEND"] = "gloo"
        if not use_ds:
            env["ACCELERATE_USE_CPU"] = "true"  # with DeepSpeed it would switch DeepSpeed off
        if d.num_processes > 1:
            env["OMP_NUM_THREADS"] = str(max(1, hw.cpu_count // d.num_processes))

    accel = {
        "compute_environment": "LOCAL_MACHINE",
        "distributed_type": dist_type,
        "mixed_precision": _ACCELERATE_PRECISION[precision],
        "use_cpu": on_cpu and not use_ds,
        "num_processes": total,
        "num_machines": d.num_machines,
        "machine_rank": d.machine_rank,
        "debug": False,
    }
    files = {"accelerate.json": json.dumps(accel, indent=2) + "\n"}
    if use_ds:
        files["deepspeed.json"] = json.dumps(deepspeed_config(spec, precision), indent=2) + "\n"
    return LaunchPlan(argv=argv, env=env, files=files, precision=precision)


_PROBE = (
    "import json, torch; c = torch.cuda; n = c.device_count() if c.is_available() else 0; "
    "m = [c.mem_get_info(i) for i in range(n)]; "
    "print(json.dumps([n, [c.get_device_capability(i)[0] for i in range(n)], "
    "[f / 2**30 for f, t in m], [t / 2**30 for f, t in m], "
    "[str(getattr(c.get_device_properties(i), 'uuid', '')) for i in range(n)]]))"
)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _probe(python: str, timeout: float) -> dict | None:
    """Run the torch probe in a child process: {gpu_count, bf16, free_gb, total_gb, uuids}, or None."""
    try:
        out = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, timeout=timeout, check=True)
        gpus, majors, *rest = json.loads(out.stdout.strip().splitlines()[-1])
        bf16 = native_bf16([int(m) for m in majors])  # the probe reports capabilities; the rule is native_bf16
        free, total = (list(map(float, m)) for m in rest[:2]) if len(rest) >= 2 else ([], [])
        uuids = [str(u) for u in rest[2]] if len(rest) >= 3 else []
        return {"gpu_count": int(gpus), "bf16": bool(bf16), "free_gb": free, "total_gb": total, "uuids": uuids}
    except (OSError, subprocess.SubprocessError, ValueError, IndexError, TypeError):
        return None


def _from_cache(probe: dict, cpus: int) -> Hardware | None:
    """A stored probe as Hardware with free GPU memory read afresh (nvidia-smi); None to re-probe."""
    try:
        gpus, bf16, total, uuids = probe["gpu_count"], probe["bf16"], probe["total_gb"], probe["uuids"]
        if not gpus:
            return Hardware(gpu_count=0, bf16_supported=False, cpu_count=cpus)
        free = hardware_cache.free_gb_by_uuid(uuids) if len(uuids) == gpus else None
        if free is None:
            return None
        return Hardware(int(gpus), bool(bf16), cpus, gpu_free_gb=free, gpu_total_gb=tuple(map(float, total)))
    except (KeyError, TypeError, ValueError):
        return None


def detect_hardware(
    python: str = sys.executable, timeout: float = 120.0, home: str | os.PathLike | None = None, cache: bool = True
) -> Hardware:
    """Probe GPUs (count, bf16, free/total memory) with torch in a child process; Hardware(0, False, cpus)
    if torch or CUDA is unavailable.

    A child process keeps torch and a CUDA context (hundreds of MB of GPU memory) out of the UI process.
    bf16 counts as supported when every visible GPU has compute capability 8.0+ (native bf16, not emulated).
    With ``cache`` (the default) a successful probe is stored in ``<workspace>/cache/hardware.json`` for this
    boot, device set, torch and Python (:mod:`backend.hardware_cache`), so later calls skip the child process;
    free GPU memory is always read afresh. The CPU count is read every call (it is cheap and per process).
    """
    cpus = _cpus()
    key = hardware_cache.cache_key(python) if cache else None
    if key is not None:
        stored = hardware_cache.load(home, key)
        hw = _from_cache(stored, cpus) if stored is not None else None
        if hw is not None:
            return hw
    probe = _probe(python, timeout)
    if probe is None:
        return Hardware(gpu_count=0, bf16_supported=False, cpu_count=cpus)
    if key is not None:
        hardware_cache.store(home, key, {k: v for k, v in probe.items() if k != "free_gb"})
    return Hardware(
        probe["gpu_count"],
        probe["bf16"],
        cpus,
        gpu_free_gb=tuple(probe["free_gb"]),
        gpu_total_gb=tuple(probe["total_gb"]),
    )
