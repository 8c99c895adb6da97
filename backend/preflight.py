"""Pre-flight checks of a job before it launches: ``preflight(spec, home, hw) -> list[Check]``.

Torch-free (the UI calls it in-process): it reads config.json and tokenizer files, streams the first
records of each data source, and probes nothing heavier than ``shutil.disk_usage`` and /proc/meminfo.
Checks, each ``ok``, ``warn`` or ``fail``:

* ``settings``: the launch plan builds on this hardware (processes vs GPUs, gpu_ids, precision);
* ``model``: config.json, safetensors weights (every shard of an index) and tokenizer files present; a hub id
  not downloaded yet passes when the run can download it first, and fails in one line when the studio is
  offline (``HF_HUB_OFFLINE=1``) or the endpoint cannot be reached;
* ``data``: every source exists and its first ``sample`` records validate (bad ones named file:line),
  and the trainer's own data rules pass: the stage against the source's format, a source with no
  usable record, a damaged file (fatal even with ``data.skip_bad_records``);
* ``data.val_size`` (when set): the held-out size against the record count, by the trainer's rule;
* ``template`` (sft): the chat template check of :mod:`backend.data.template_check` on the first records:
  replies locatable, end-of-turn learned and among the stop tokens, generation prompt as trained;
* ``disk``: free space in the workspace vs the checkpoints (× save_total_limit) and the final output, sized
  from the model and method (weights or adapter, optimizer state, tokenizer files);
* ``memory``: the peak estimate of :mod:`backend.memory` vs free memory: GPU free memory of the chosen
  devices, or MemAvailable on CPU (all processes of the machine). Above 90 % warns, above 100 % fails
  unless ``override`` (then it warns and says so).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from backend.checks import Check
from backend.data.build import resolve_source
from backend.data.formats import DataError
from backend.data.validate import ValidRecords, iter_checked
from backend.failures import human_bytes
from backend.launch import Hardware, LaunchPlan, build_launch
from backend.memory import OPTIMIZER_BYTES, Estimate, _weight_bytes, estimate_memory, meminfo_gb
from backend.model_shape import ModelShape, model_dir, shape_for_spec
from backend.models.hub import preflight_line as hub_preflight_line
from backend.models.ref import RefError, no_such_folder, parse_ref
from backend.models.resolve import reward_model_problem
from backend.spec import JobSpec, SpecError
from backend.stages import stage_info
from backend.workspace import BUILTIN_PREFIX, require_data_path, workspace_home

WARN_AT, FAIL_AT = 0.9, 1.0
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json")


def check_settings(spec: JobSpec, hw: Hardware, plan: LaunchPlan | None = None) -> Check:
    """The launch plan's own checks (hardware against the settings). ``plan``: the plan the caller built
    already (``backend.run.submit`` builds it once, for the run's directory)."""
    try:
        plan = plan or build_launch(spec, "<run_dir>", hw)
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
    built_on_use, downloads = [], []
    for field, name, weights in (
        ("model.name_or_path", None if m.from_scratch else m.name_or_path, True),
        ("model.tokenizer", m.tokenizer or (m.name_or_path if m.from_scratch else None), False),
    ):
        if not name:
            continue
        try:
            ref = parse_ref(name, home)
        except RefError as exc:
            problems.append(f"{field}: {exc}")
            continue
        folder = ref.local_dir(home)
        if name.startswith(BUILTIN_PREFIX) and not folder.exists():
            built_on_use.append(name)  # the studio builds its tiny model/tokenizer on first use
            continue
        if ref.is_hub and not ref.downloaded(home):  # the run downloads it first, unless it cannot
            if line := hub_preflight_line(ref, home, field):
                problems.append(line)
            elif ref.id not in downloads:
                downloads.append(ref.id)
            continue
        if ref.kind == "local" and not folder.is_dir():
            problems.append(no_such_folder(name, home, field))
            continue
        problems += _model_files(folder, field, weights)
    reward = spec.rl.reward_model if spec.stage in ("ppo", "grpo") else None
    if reward:  # a folder, a run (resolved when the run is created) or a hub id (downloaded first)
        ref = _hub_ref(reward)
        if ref is not None and not ref.downloaded(home):
            if line := hub_preflight_line(ref, home, "rl.reward_model"):
                problems.append(line)
            elif ref.id not in downloads:
                downloads.append(ref.id)
        elif line := reward_model_problem(reward, home):
            problems.append(line)
    if problems:
        return Check("model", "fail", "; ".join(problems))
    what = "from scratch" if m.from_scratch else m.name_or_path
    extra = f" ({', '.join(built_on_use)} built on first use)" if built_on_use else ""
    if downloads:
        return Check("model", "ok", f"model {what}: {', '.join(downloads)} will be downloaded first{extra}")
    return Check("model", "ok", f"model {what}: files present{extra}")


def _hub_ref(text: str):
    try:
        ref = parse_ref(text)
    except RefError:
        return None  # reward_model_problem words it
    return ref if ref.is_hub else None


def _stage_format(spec: JobSpec, fmt: str, where: str, path) -> None:
    """The trainer's own stage-vs-format rule for one source (raises its DataError)."""
    from backend.data.build import check_want
    from backend.data.pairs import check_pair_format
    from backend.data.prompts import check_prompt_format

    kind = stage_info(spec.stage).data_kind
    if kind in ("text", "chat"):
        check_want(fmt, kind, where, path)
    elif kind == "pairs":
        check_pair_format(fmt, spec.stage, where, path)
    else:
        check_prompt_format(fmt, spec.stage, where, path)


def _failed(name: str, exc: Exception) -> Check:
    advice = getattr(exc, "advice", None)
    return Check(name, "fail", f"{exc}" + (f" — {advice}" if advice else ""))


def check_data(spec: JobSpec, sample: int) -> list[Check]:
    """Per source: its first ``sample`` records validated (bad ones named file:line), then the checks the
    trainer's data build makes, with its own functions: the format against the stage, a source with no
    usable record (read to its end when the sample finds none), a damaged file (fatal even when skipping),
    and ``data.val_size`` against the record count (counted only as far as the rule needs)."""
    out, scans = [], []
    for i, source in enumerate(spec.data.sources):
        name = f"data.sources[{i}]"
        try:
            path, fmt, columns = resolve_source(spec, i)
            scan = _Scan(iter_checked(path, fmt, columns=columns), source.max_samples)
            scan.read(lambda s: s.good + s.bad >= sample and s.good > 0)
            if scan.good:
                _stage_format(spec, scan.format, name, path)
        except (DataError, ValueError, OSError) as exc:
            out.append(_from_policy(spec, _failed(name, exc)))
            continue
        head = (
            f"{source.path}: format {scan.format or '?'}, first {scan.good + scan.bad} records checked, {scan.bad} bad"
        )
        if scan.done and not scan.good:  # the trainer's error for it, word for word
            none = ValidRecords(path, skipped=scan.bad, first_error=scan.first).no_usable_records(name)
            out.append(_failed(name, none))
        elif scan.bad and not spec.data.skip_bad_records:
            out.append(Check(name, "fail", f"{head}; first: {scan.first} (or set data.skip_bad_records: true)"))
        elif scan.bad or not scan.good:
            out.append(Check(name, "warn", head + (f"; first: {scan.first}" if scan.first else "; no usable records")))
        else:
            out.append(Check(name, "ok", head))
        scans.append(scan)
    if spec.data.val_size and len(scans) == len(spec.data.sources):
        out.append(check_val_size(spec, scans))
    return out


def check_eval_files(spec: JobSpec, home: Path) -> list[Check]:
    """``eval.choice_data`` / ``eval.prompts_data`` found as the trainer finds them (workspace, then the current
    folder: :func:`backend.workspace.require_data_path`); a missing one fails naming the field and the places."""
    out = []
    for field in ("eval.choice_data", "eval.prompts_data"):
        text = getattr(spec.eval, field.split(".")[1])
        if not text:
            continue
        try:
            path = require_data_path(text, home, field)
        except (OSError, ValueError) as exc:
            out.append(Check(field, "fail", str(exc)))
            continue
        out.append(Check(field, "ok", f"{text}: {path}"))
    return out


def _from_policy(spec: JobSpec, check: Check) -> Check:
    """A failed source check of a job whose sources came from a sample policy names that policy (the place to
    fix it), and for a format the stage cannot use, the data-mix viewer's stage filter."""
    policy = spec.data.mix.policy_from
    if policy and check.level == "fail":
        check.message += f" [this source comes from the policy {policy}"
        if "stage needs" in check.message:
            check.message += f": in the data-mix viewer pick the stage {spec.stage} to leave out what it cannot use"
        check.message += "]"
    return check


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


def check_val_size(spec: JobSpec, scans: list) -> Check:
    """``data.val_size`` against the records the trainer would split (the trainer's own rule; more records
    never make a passing size fail, so sources are read on only while it fails)."""
    from backend.data.build import check_val_size as rule
    from backend.data.build import no_split_reason

    per = [2 if spec.stage == "kto" and s.format == "preference" else 1 for s in scans]

    def total() -> int:  # a KTO stage unpairs each preference record into two examples
        return sum(s.good * k for s, k in zip(scans, per, strict=True))

    def passes() -> bool:
        if no_split_reason(spec, total()):  # too few so far: read on (more records never bring it back)
            return False
        try:
            rule(spec.data.val_size, total())
            return True
        except DataError:
            return False

    for scan in scans:
        try:
            scan.read(lambda _: passes())
        except (DataError, ValueError, OSError) as exc:
            return _failed("data.val_size", exc)
    if not total():  # nothing usable: the data check names why; a split rule would only add a misleading line
        return Check("data.val_size", "ok", "nothing to split: no usable records (see the data check)")
    if reason := no_split_reason(spec, total()):  # every source read to its end: the trainer does the same
        return Check("data.val_size", "warn", reason)
    try:
        rule(spec.data.val_size, total())
    except DataError as exc:
        return _failed("data.val_size", exc)
    counted = "" if all(s.done for s in scans) else " at least"
    return Check("data.val_size", "ok", f"{spec.data.val_size:g} of{counted} {total()} records held out for validation")


class _Scan:
    """A source read as far as needed: good and bad record counts, its format, its first problem."""

    def __init__(self, items, limit: int | None):
        self.items, self.limit = items, limit
        self.good = self.bad = 0
        self.format = self.first = None
        self.done = False

    def read(self, enough) -> None:
        """Read until ``enough(self)`` or the end (or ``limit`` good records); a damaged file raises."""
        from backend.data.validate import DAMAGED_ADVICE

        while not self.done and not enough(self):
            resolved, record, item = next(self.items, (None, None, None))
            if item is None or (self.limit is not None and self.good >= self.limit):
                self.done = True
            elif record is not None:
                self.good, self.format = self.good + 1, self.format or resolved
            elif item.field == "file" and item.what.startswith("is empty"):
                continue
            elif item.fatal:
                raise DataError(item.message(), advice=DAMAGED_ADVICE)
            else:
                self.bad, self.first = self.bad + 1, self.first or item.message()


# Files the tokenizer saves next to the weights (in every checkpoint and in the output).
TOKENIZER_SAVED = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json", "merges.txt",
                   "special_tokens_map.json", "added_tokens.json", "chat_template.jinja")  # fmt: skip


def checkpoint_bytes(spec: JobSpec, est: Estimate, shape: ModelShape, home: Path) -> tuple[int, int]:
    """(one checkpoint, the final output) in bytes, from the model and the method.

    Weights: the adapter for LoRA/QLoRA (trainable parameters × 4, PEFT keeps adapters in fp32), else every
    parameter × the dtype the trainer holds them in (``backend.memory._weight_bytes``: fp32 masters for full
    training). A Trainer checkpoint adds the optimizer state (trainable × bytes per parameter of
    ``train.optim``, all ranks' shards together); both carry the tokenizer files.
    """
    lora = spec.method.type in ("lora", "qlora")
    weights = est.trainable * 4 if lora else shape.total_params() * _weight_bytes(spec, est.precision)
    optim = est.trainable * OPTIMIZER_BYTES.get(spec.train.optim, 0)
    tok = _tokenizer_bytes(spec, home)
    return int(weights + optim + tok), int(weights + tok)


def _tokenizer_bytes(spec: JobSpec, home: Path) -> int:
    name = spec.model.tokenizer or spec.model.name_or_path
    try:
        folder = model_dir(name, home)
        return sum((folder / f).stat().st_size for f in TOKENIZER_SAVED if (folder / f).is_file())
    except (OSError, ValueError):
        return 0  # a builtin not built yet, or an unreadable folder: the weights dominate anyway


def check_disk(spec: JobSpec, home: Path, est: Estimate, shape: ModelShape) -> Check:
    ckpt, final = checkpoint_bytes(spec, est, shape, home)
    t = spec.train
    known = t.max_steps > 0
    saves = t.max_steps // t.save_steps if t.save_steps and known else 10  # unknown length: assume 10
    keep = min(t.save_total_limit or saves, saves) if t.save_steps else 0
    need = ckpt * keep + final
    free = shutil.disk_usage(home).free
    count = f"{keep}" if known or not t.save_steps else f"~{keep}"
    msg = (
        f"needs ~{human_bytes(need)} ({count} checkpoint(s) × {human_bytes(ckpt)} + output {human_bytes(final)}), "
        f"{human_bytes(free)} free"
    )
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
        return Check("memory", "fail", msg + "; " + memory_advice(est, spec))
    return Check("memory", "warn" if ratio > WARN_AT else "ok", msg)


def memory_advice(est: Estimate, spec: JobSpec) -> str:
    """What would lower this job's peak, leaving out what it already does (checkpointing on, QLoRA already,
    ZeRO offload on a CPU) and what cannot help (batch and length when loading the checkpoint is the peak)."""
    t, method, d = spec.train, spec.method.type, spec.distributed
    if est.load_peak_gb > sum(est.parts.values()):  # CPU: the checkpoint's files beside the model being built
        fix = "use method.type qlora (4-bit weights)" if method != "qlora" else "use a smaller model"
        return f"the peak is loading the checkpoint, not training: {fix} or a machine with more memory"
    ways = []
    if t.per_device_batch_size > 1:
        ways.append("lower train.per_device_batch_size (raise gradient_accumulation_steps to keep the batch)")
    ways.append("lower data.cutoff_len")
    if not t.gradient_checkpointing:
        ways.append("set train.gradient_checkpointing: true")
    if method in ("full", "freeze"):
        ways.append("use method.type lora or qlora")
    elif method == "lora":
        ways.append("use method.type qlora")
    if est.device == "cuda" and not (d.offload_optimizer or d.offload_params):
        ways.append("use ZeRO with distributed.offload_optimizer")
    return "; ".join(ways)


def preflight(
    spec: JobSpec,
    home=None,
    hardware: Hardware | None = None,
    override: bool = False,
    sample: int = 200,
    plan: LaunchPlan | None = None,
) -> list[Check]:
    """Every pre-flight check of ``spec`` on ``hardware`` (detected when None: a torch child process).

    ``plan``: the local launch plan built already, so that it is not built twice.
    """
    home = workspace_home(home or spec.output.workspace)
    slurm_checks = []
    if spec.distributed.launcher == "slurm":  # the job runs on the cluster's nodes, not on this machine
        from backend.run.launchers.slurm_preflight import check_slurm
        from backend.run.launchers.slurm_script import slurm_hardware

        hardware, slurm_checks = slurm_hardware(spec), check_slurm(spec, home)
    if hardware is None:
        from backend.launch import detect_hardware

        hardware = detect_hardware(home=home)
    settings = check_settings(spec, hardware, None if slurm_checks else plan)
    checks = [
        settings,
        *slurm_checks,
        check_model(spec, home),
        *check_data(spec, sample),
        *check_eval_files(spec, home),
    ]
    if not failed(checks):  # a source that is missing or of the wrong format was named once already
        checks += check_template(spec, home)
    try:
        shape = shape_for_spec(spec, home)
    except (FileNotFoundError, OSError, ValueError, KeyError) as exc:
        shape, why = _remote_shape(spec, home)  # a hub model not downloaded yet: its config.json alone
        if shape is None:
            return checks + [Check("memory", "warn", why or f"no estimate: cannot read the model's shape ({exc})")]
    est = estimate_memory(spec, shape, hardware)
    if slurm_checks:  # this machine's free memory says nothing about the nodes'
        mem = spec.distributed.slurm.mem
        grant = f"the nodes' memory is Slurm's to grant (distributed.slurm.mem: {mem or 'the default'})"
        memory = Check("memory", "ok", f"estimated peak {est.machine_gb:.2f} GiB per node ({est.summary()}); {grant}")
        return checks + [check_disk(spec, home, est, shape), memory]
    return checks + [check_disk(spec, home, est, shape), check_memory(est, spec, hardware, override)]


def _remote_shape(spec: JobSpec, home: Path) -> tuple[ModelShape | None, str | None]:
    """The shape of a hub model that is not downloaded yet, from its config.json fetched alone (or why not)."""
    from backend.models.ondemand import config_for_estimate

    if spec.model.from_scratch or not spec.model.name_or_path:
        return None, None
    config, why = config_for_estimate(spec.model.name_or_path, home)
    try:
        return (ModelShape.from_config(config), None) if config else (None, why)
    except (KeyError, TypeError, ValueError) as exc:
        return None, f"no estimate: cannot read the model's shape from its config.json ({exc})"


def failed(checks: list[Check]) -> bool:
    """Whether any check failed (the job should not launch)."""
    return any(c.level == "fail" for c in checks)
