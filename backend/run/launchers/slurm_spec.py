"""``distributed.slurm``: the batch-job settings of a run submitted to a Slurm cluster (torch-free).

Every value here ends up in an ``#SBATCH`` line or in the batch script, so each is checked for what
Slurm accepts and for anything a shell would interpret (spaces, quotes, ``$``, ``;``, backticks, new
lines): a spec can never smuggle a command into the script. The only shell the user writes on purpose
is ``setup`` (module loads, activating an environment), and those lines are shown in the preview.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

_NAME = r"^[\w.\-]+$"
_NAMES = r"^[\w.\-]+(,[\w.\-]+)*$"
# Slurm's time formats: minutes, minutes:seconds, hours:minutes:seconds, days-hours,
# days-hours:minutes and days-hours:minutes:seconds.
_TIME = re.compile(
    r"^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d{1,2}|\d+-\d{1,2}:\d{1,2}|\d+-\d{1,2}:\d{1,2}:\d{1,2})$"
)
# One long option, optionally with a value of safe characters only (no spaces, quotes, $, ;, `, |, &, <, >).
_EXTRA = re.compile(r"^--[a-z][a-z0-9\-]*(=[\w.,:@%/+\-=]+)?$")
# Options the studio writes itself: setting them again would send the output elsewhere or break the launch.
STUDIO_SBATCH = (
    "output",
    "error",
    "open-mode",
    "chdir",
    "nodes",
    "ntasks",
    "ntasks-per-node",
    "job-name",
    "partition",
    "account",
    "qos",
    "time",
    "gpus-per-node",
    "cpus-per-task",
    "mem",
    "requeue",
    "no-requeue",
    "signal",
    "parsable",
    "wrap",
)


class SlurmSpec(BaseModel):
    """Batch-job settings used when distributed.launcher is slurm."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    partition: str | None = Field(
        None, pattern=_NAMES, description="Slurm partition (--partition); empty: the default."
    )
    account: str | None = Field(None, pattern=_NAME, description="Account charged for the job (--account).")
    qos: str | None = Field(None, pattern=_NAME, description="Quality of service (--qos).")
    time: str | None = Field(
        None,
        description="Time limit (--time), e.g. 30, 4:00:00 or 2-00:00:00; empty: the partition's default.",
    )
    gpus_per_node: int = Field(
        0, ge=0, description="GPUs per node (--gpus-per-node); 0 trains on CPU. Set num_processes to the same."
    )
    cpus_per_task: int | None = Field(
        None, gt=0, description="CPU cores for the one task on each node (--cpus-per-task); empty: Slurm's default."
    )
    mem: str | None = Field(
        None, pattern=r"^\d+[KMGT]?$", description="Memory per node (--mem), e.g. 64G; empty: Slurm's default."
    )
    job_name: str | None = Field(
        None, pattern=_NAME, description="Job name shown by squeue (--job-name); empty: the run's name."
    )
    requeue: bool = Field(
        False,
        description=(
            "Let Slurm requeue the job when it is preempted (--requeue). Combine with train.save_on_sigterm "
            "and save_steps so the requeued job has a checkpoint to continue from."
        ),
    )
    signal_before_s: int = Field(
        120,
        ge=0,
        le=65535,
        description=(
            "With train.save_on_sigterm: Slurm sends SIGTERM this many seconds before the time limit "
            "(--signal=TERM@N), so the run saves a checkpoint before it is killed."
        ),
    )
    extra_sbatch: list[str] = Field(
        default_factory=list,
        description=(
            "More #SBATCH options, one per entry, e.g. --constraint=a100 or --exclusive (long form, no spaces "
            "or shell characters)."
        ),
    )
    setup: list[str] = Field(
        default_factory=list,
        description=(
            "Shell lines run on the first node before the launch, e.g. 'module load cuda/12.4' or "
            "'source /shared/venv/bin/activate' (one command per entry)."
        ),
    )
    python: str | None = Field(
        None,
        description="Python on the nodes (a path on the shared file system); empty: the studio's own interpreter.",
    )

    @field_validator("time", mode="before")
    @classmethod
    def _time(cls, value):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # YAML reads `time: 30` (minutes) as a number
        if value is not None and (not isinstance(value, str) or not _TIME.match(value)):
            raise ValueError("must be a Slurm time such as 30, 4:00:00 or 2-00:00:00")
        return value

    @field_validator("extra_sbatch")
    @classmethod
    def _extra(cls, lines: list[str]) -> list[str]:
        for i, line in enumerate(lines):
            if not _EXTRA.match(line):
                raise ValueError(
                    f"entry {i} ({line!r}) must be one long option such as --constraint=a100, without spaces, "
                    "quotes or shell characters"
                )
            name = line[2:].split("=", 1)[0]
            if name in STUDIO_SBATCH:
                raise ValueError(f"entry {i}: --{name} is set by the studio (use its own field)")
        return lines

    @field_validator("setup")
    @classmethod
    def _setup(cls, lines: list[str]) -> list[str]:
        for i, line in enumerate(lines):
            if not line.strip() or any(c in line for c in "\n\r\0"):
                raise ValueError(f"entry {i} ({line!r}) must be one non-empty line")
        return lines

    @field_validator("python")
    @classmethod
    def _python(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[\w./+\-]+$", value):
            raise ValueError("must be a path without spaces or shell characters")
        return value
