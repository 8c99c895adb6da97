"""Pre-flight checks of a job before it launches: ``preflight(spec, home, hw) -> list[Check]``.

Torch-free (the UI calls it in-process): it reads config.json and tokenizer files, streams the first
records of each data source, and probes nothing heavier than ``shutil.disk_usage`` and /proc/meminfo.
Checks, each ``ok``, ``warn`` or ``fail``:

* ``settings``: the launch plan builds on this hardware (processes vs GPUs, gpu_ids, precision);
* ``model``: config.json, safetensors weights (every shard of an index) and tokenizer files present;
* ``data``: every source exists and its first ``sample`` records validate (bad ones named file:line);
* ``template`` (sft): the chat template check of :mod:`backend.data.template_check` on the first records:
  replies locatable, end-of-turn learned and among the stop tokens, generation prompt as trained;
* ``disk``: free space in the workspace vs the checkpoints (× save_total_limit) and the final output;
* ``memory``: the peak estimate of :mod:`backend.memory` vs free memory: GPU free memory of the chosen
  devices, or MemAvailable on CPU (all processes of the machine). Above 90 % warns, above 100 % fails
  unless ``override`` (then it warns and says so).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from backend.data.build import resolve_source
from backend.data.formats import DataError
from backend.data.validate import iter_checked
from backend.launch import Hardware, build_launch
from backend.memory import GB, OPTIMIZER_BYTES, Estimate, estimate_memory, meminfo_gb
from backend.model_shape import ModelShape, model_dir, shape_for_spec
from backend.spec import JobSpec, SpecError
from backend.workspace import BUILTIN_PREFIX, workspace_home

WARN_AT, FAIL_AT = 0.9, 1.0
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json")


@dataclass
class Check:
    """One pre-flight result: ``level`` is ok, warn or fail; ``message`` is one human line."""

    name: str
    level: str
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


def check_settings(spec: JobSpec, hw: Hardware) -> Check:
    try:
        plan = build_launch(spec, "<run_dir>", hw)
    except SpecError as exc:
        return Check("settings", "fail", "; ".join(f"{f}: {m}" for f, m in exc.errors))
    d = spec.distributed
    where = f"{d.num_processes} process(es) × {d.num_machines} machine(s), {plan.precision}"
    return Check("settings", "ok", where + (f", ZeRO-{d.zero_stage}" if d.zero_stage else ""))


def _model_files(folder: Path, field: str, need_weights: bool) -> list[str]:
    if not folder.is_dir():
        return [f"{field}: {folder} is not a folder"]
    problems = []
    if need_weights:
        if not (folder / "config.json").exists():
            problems.append(f"{field}: no config.json in {folder}")
        index = folder / "model.safetensors.index.json"
        if index.exists():
            shards = set(json.loads(index.read_text(encoding="utf-8")).get("weight_map", {}).values())
            if missing := sorted(s for s in shards if not (folder / s).exists()):
                problems.append(f"{field}: missing weight shards {', '.join(missing[:3])}")
        elif not list(folder.glob("*.safetensors")):
            pickled = list(folder.glob("*.bin")) + list(folder.glob("*.pt"))
            what = "only pickle weights (*.bin); convert them to safetensors" if pickled else "no *.safetensors"
            problems.append(f"{field}: {what} in {folder}")
    if not any((folder / f).exists() for f in TOKENIZER_FILES):
        problems.append(f"{field}: no tokenizer files ({', '.join(TOKENIZER_FILES)}) in {folder}")
    return problems


def check_model(spec: JobSpec, home: Path) -> Check:
    m = spec.model
    problems: list[str] = []
    built_on_use = []
    for field, name, weights in (
        ("model.name_or_path", None if m.from_scratch else m.name_or_path, True),
        ("model.tokenizer", m.tokenizer or (m.name_or_path if m.from_scratch else None), False),
    ):
        if not name:
            continue
        folder = model_dir(name, home)
        if name.startswith(BUILTIN_PREFIX) and not folder.exists():
            built_on_use.append(name)  # the studio builds its tiny model/tokenizer on first use
            continue
        problems += _model_files(folder, field, weights)
    if problems:
        return Check("model", "fail", "; ".join(problems))
    what = "from scratch" if m.from_scratch else m.name_or_path
    extra = f" ({', '.join(built_on_use)} built on first use)" if built_on_use else ""
    return Check("model", "ok", f"model {what}: files present{extra}")


def check_data(spec: JobSpec, sample: int) -> list[Check]:
    out = []
    for i, source in enumerate(spec.data.sources):
        name = f"data.sources[{i}]"
        try:
            path, fmt, columns = resolve_source(spec, i)
            good, bad, first, found = 0, 0, None, None
            for resolved, record, item in iter_checked(path, fmt, columns=columns):
                if good + bad >= sample:
                    break
                if record is None:
                    bad, first = bad + 1, first or item.message()
                else:
                    good, found = good + 1, found or resolved
        except (DataError, ValueError, OSError) as exc:
            out.append(Check(name, "fail", str(exc)))
            continue
        head = f"{source.path}: format {found or '?'}, first {good + bad} records checked, {bad} bad"
        if bad and not spec.data.skip_bad_records:
            out.append(Check(name, "fail", f"{head}; first: {first} (or set data.skip_bad_records)"))
        elif bad or not good:
            out.append(Check(name, "warn", head + (f"; first: {first}" if first else "; no usable records")))
        else:
            out.append(Check(name, "ok", head))
    return out


def check_template(spec: JobSpec, home: Path, sample: int = 20) -> list[Check]:
    """The template check (:mod:`backend.data.template_check`) of an ``sft`` job on the first chat records of
    each source, with the model's stop tokens. Torch-free: the tokenizer is read with ``tokenizers``."""
    from backend.data.light_tokenizer import load_light_tokenizer
    from backend.data.preview import sample_conversations
    from backend.data.template_check import check_template as run_check
    from backend.data.template_check import stop_token_ids
    from backend.data.templates import resolve_template

    if spec.stage != "sft":
        return []
    m = spec.model
    folder = model_dir(m.tokenizer or m.name_or_path, home)
    if not folder.is_dir():
        return []  # the model check says what is missing (or the builtin model is built on first use)
    tok = load_light_tokenizer(folder)
    if tok is None:
        return [Check("template", "ok", f"no tokenizer.json in {folder}: the template is checked when training starts")]
    try:
        jinja = resolve_template(tok, spec.data.template)
        conversations = []
        for i in range(len(spec.data.sources)):
            path, fmt, columns = resolve_source(spec, i)
            conversations += sample_conversations(path, fmt, sample, columns)
    except (DataError, ValueError, OSError) as exc:
        return [Check("template", "fail", str(exc))]
    if not conversations:
        return []
    weights = model_dir(m.name_or_path, home) if not m.from_scratch else folder
    findings = run_check(tok, jinja, spec.data.template, conversations, stop_token_ids(weights, tok))
    return [Check("template", level, message) for level, message in findings]


def checkpoint_gb(spec: JobSpec, est: Estimate, shape: ModelShape) -> tuple[float, float]:
    """(one checkpoint, the final output) in GiB: saved weights, plus optimizer states in a checkpoint."""
    lora = spec.method.type in ("lora", "qlora")
    weights = est.trainable * 4 if lora else shape.total_params() * (2 if est.precision != "fp32" else 4)
    optim = est.trainable * OPTIMIZER_BYTES.get(spec.train.optim, 0)  # all ranks' shards together
    return (weights + optim) / GB, weights / GB


def check_disk(spec: JobSpec, home: Path, est: Estimate, shape: ModelShape) -> Check:
    ckpt, final = checkpoint_gb(spec, est, shape)
    t = spec.train
    saves = t.max_steps // t.save_steps if t.save_steps and t.max_steps > 0 else 10  # unknown: assume 10
    keep = min(t.save_total_limit or saves, saves) if t.save_steps else 0
    need = ckpt * keep + final
    free = shutil.disk_usage(home).free / GB
    msg = f"needs ~{need:.2f} GiB ({keep} checkpoint(s) × {ckpt:.2f} + output {final:.2f}), {free:.1f} GiB free"
    level = "fail" if need > free else "warn" if need > WARN_AT * free else "ok"
    return Check("disk", level, msg + f" in {home}")


def check_memory(est: Estimate, spec: JobSpec, hw: Hardware, override: bool) -> Check:
    d = spec.distributed
    if est.device == "cuda":
        ids = d.gpu_ids if d.gpu_ids is not None else list(range(d.num_processes))
        free = [hw.gpu_free_gb[i] for i in ids if i < len(hw.gpu_free_gb)]
        if not free:
            return Check("memory", "warn", f"estimate {est.summary()}; free GPU memory unknown")
        have = min(free)
        where = f"free on GPU {ids[free.index(have)]}"
    else:
        have, where = meminfo_gb() or 0.0, "MemAvailable"
    need = est.machine_gb
    if est.cpu_offload_gb and est.device == "cuda":
        host = meminfo_gb()
        if host is not None and est.cpu_offload_gb * d.num_processes > host:
            return Check("memory", "warn", f"offloaded states need {est.cpu_offload_gb:.1f} GiB/process of host RAM")
    ratio = need / have if have else float("inf")
    msg = f"estimated peak {need:.2f} GiB vs {have:.2f} GiB {where} ({ratio:.0%}); {est.summary()}"
    if ratio > FAIL_AT:
        if override:
            return Check("memory", "warn", msg + "; over the limit, launching anyway (overridden)")
        return Check("memory", "fail", msg + "; lower batch/length, use checkpointing, LoRA/QLoRA or ZeRO offload")
    return Check("memory", "warn" if ratio > WARN_AT else "ok", msg)


def preflight(
    spec: JobSpec, home=None, hardware: Hardware | None = None, override: bool = False, sample: int = 200
) -> list[Check]:
    """Every pre-flight check of ``spec`` on ``hardware`` (detected when None: a torch child process)."""
    home = workspace_home(home or spec.output.workspace)
    slurm_checks = []
    if spec.distributed.launcher == "slurm":  # the job runs on the cluster's nodes, not on this machine
        from backend.run.launchers.slurm_preflight import check_slurm
        from backend.run.launchers.slurm_script import slurm_hardware

        hardware, slurm_checks = slurm_hardware(spec), check_slurm(spec, home)
    if hardware is None:
        from backend.launch import detect_hardware

        hardware = detect_hardware()
    checks = [check_settings(spec, hardware), *slurm_checks, check_model(spec, home), *check_data(spec, sample)]
    checks += check_template(spec, home)
    try:
        shape = shape_for_spec(spec, home)
    except (FileNotFoundError, OSError, ValueError, KeyError) as exc:
        return checks + [Check("memory", "warn", f"no estimate: cannot read the model's shape ({exc})")]
    est = estimate_memory(spec, shape, hardware)
    if slurm_checks:  # this machine's free memory says nothing about the nodes'
        mem = spec.distributed.slurm.mem
        grant = f"the nodes' memory is Slurm's to grant (distributed.slurm.mem: {mem or 'the default'})"
        memory = Check("memory", "ok", f"estimated peak {est.machine_gb:.2f} GiB per node ({est.summary()}); {grant}")
        return checks + [check_disk(spec, home, est, shape), memory]
    return checks + [check_disk(spec, home, est, shape), check_memory(est, spec, hardware, override)]


def failed(checks: list[Check]) -> bool:
    """Whether any check failed (the job should not launch)."""
    return any(c.level == "fail" for c in checks)
