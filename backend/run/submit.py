"""One way to start a run: ``submit(spec, home) -> Submitted``, for the Train tab's Start and ``studio train``.

validate → pre-flight → create → queue/launch, in that order, and nothing is created unless pre-flight
passed:

1. **validate**: the spec is a validated :class:`~backend.spec.JobSpec` (``load_spec``/``form_to_spec``
   made it, or ``submit`` validates a dict or a YAML path); the launch plan then checks the settings
   against the hardware (bf16 on a CPU, more processes than GPUs, …). Either raises a SpecError naming
   the fields, before anything else runs (the tab shows it beside the fields, the CLI prints it).
2. **pre-flight** (:func:`backend.preflight.preflight`): files, data, template, disk and the memory
   estimate, with the plan built in step 1.
3. **create**: model references that name runs (``rl.reward_model``) were pinned to their folders in
   step 1; the run id chosen there becomes ``runs/<id>/`` with its ``job.yaml`` and a registry row.
4. **queue/launch**: the plan built in step 1 (for this very run directory) is written beside the job
   and the run is queued on its devices (or submitted to Slurm by its launcher).

The local launch plan is built once per submit and job.yaml is written once and never parsed on the
way. A sweep prepares every combination first (:func:`prepare`) and creates runs only when all pass.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from backend.spec import JobSpec, load_spec, spec_from_dict
from backend.workspace import workspace_home


@dataclass
class Submitted:
    """What a submit did. ``run`` is the created (queued, starting or submitted) run, or ``None`` when
    pre-flight failed and nothing was created; ``checks`` are the pre-flight results."""

    run: object | None  # backend.run.registry.Run
    checks: list = field(default_factory=list)  # backend.preflight.Check

    @property
    def ok(self) -> bool:
        return self.run is not None

    @property
    def errors(self) -> list:
        """The failed checks (why nothing was created)."""
        return [c for c in self.checks if c.level == "fail"]

    @property
    def warnings(self) -> list:
        return [c for c in self.checks if c.level == "warn"]


@dataclass
class Prepared:
    """A submit that has passed (or failed) steps 1-2 and created nothing yet."""

    spec: JobSpec  # its output.workspace set to ``home``, as job.yaml will hold it
    home: Path
    run_id: str
    hardware: object | None  # backend.launch.Hardware; None for a Slurm job (its nodes' hardware)
    plan: object | None  # backend.launch.LaunchPlan for the run's own directory (local launcher)
    checks: list

    @property
    def failed(self) -> bool:
        return any(c.level == "fail" for c in self.checks)

    def create(self):
        """Step 3: the run directory, its job.yaml and the registry row (status ``created``)."""
        from backend.run.registry import create_run

        return create_run(self.spec, self.home, run_id=self.run_id)

    def launch(self, run):
        """Step 4: queue the created run with the plan of step 1 (or submit it to its cluster)."""
        from backend.run.queue import start_run

        return start_run(run, self.home, hardware=self.hardware, plan=self.plan)


def as_spec(spec: JobSpec | dict | str | os.PathLike) -> JobSpec:
    """A validated JobSpec from a JobSpec, a dict or a YAML file (a SpecError names the bad fields)."""
    if isinstance(spec, JobSpec):
        return spec
    if isinstance(spec, dict):
        return spec_from_dict(spec)
    return load_spec(spec)


def prepare(
    spec: JobSpec | dict | str | os.PathLike,
    home: str | os.PathLike | None = None,
    hardware=None,
    override: bool = False,
    sample: int = 200,
) -> Prepared:
    """Steps 1-2 of :func:`submit`: the run id, the launch plan (built once) and the pre-flight checks.

    ``hardware``: this machine's (detected when None and the job runs here); ``override`` turns a failed
    memory check into a warning, as ``studio train --override``. Raises SpecError for an invalid spec or
    settings this hardware cannot run (step 1).
    """
    from backend.models.resolve import pin_job_refs
    from backend.preflight import preflight
    from backend.run.registry import new_run_id, run_dir_of

    spec = as_spec(spec).model_copy(deep=True)
    home = workspace_home(home or spec.output.workspace)
    spec.output.workspace = str(home)
    spec = pin_job_refs(spec, home)  # run references become folders once: the trainer never looks one up
    run_id = new_run_id(spec)
    plan = None
    if spec.distributed.launcher == "local":  # a Slurm job's plan is checked against its nodes (pre-flight)
        from backend.launch import build_launch, detect_hardware

        hardware = hardware or detect_hardware(home=home)
        plan = build_launch(spec, str(run_dir_of(home, run_id)), hardware)  # hardware mistakes: SpecError
    checks = preflight(spec, home, hardware, override=override, sample=sample, plan=plan)
    return Prepared(spec, home, run_id, hardware, plan, checks)


def submit(
    spec: JobSpec | dict | str | os.PathLike,
    home: str | os.PathLike | None = None,
    hardware=None,
    override: bool = False,
) -> Submitted:
    """Validate, pre-flight, create and queue one run of ``spec`` (see the module docstring).

    Raises SpecError for a spec that does not validate or settings this hardware cannot run (nothing is
    checked further or created), OSError when the run directory cannot be written (nothing half-made is
    left behind).
    """
    prepared = prepare(spec, home, hardware, override)
    if prepared.failed:
        return Submitted(None, prepared.checks)
    run = prepared.launch(prepared.create())
    return Submitted(run, prepared.checks)
