"""``RunDir``: the one owner of the file names inside a run directory (``<workspace>/runs/<run id>/``).

The layout on disk is the one runs have always had, so old runs keep working::

    job.yaml                the full JobSpec of the run (written once at create; resume adds resume_from_checkpoint)
    launch.json             the launch plan: argv, environment and the command line (written before the start)
    accelerate.json         accelerate's config, and deepspeed.json with ZeRO (files of the launch plan)
    events.jsonl            the typed event stream (backend.events)
    train.log               stdout and stderr of the supervisor, the launcher and the trainer
    stop_request.json       a stop & save request (backend.run.stop.request_stop; read by backend.train.stop)
    checkpoints/checkpoint-N  the Trainer's checkpoints (the newest complete one is resumable)
    adapter/ or model/      the final weights (LoRA/QLoRA: the adapter; full/freeze: the whole model)
    merged/                 an adapter merged into its base (export)
    slurm.sbatch, slurm.json, watch.log   a Slurm run's batch script, job state and watcher log

Light to import (no torch, no registry): the trainer, the launchers and the UI all use it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from backend.events import EVENTS_FILE, STOP_FILE


@dataclass(frozen=True)
class RunDir:
    """The paths of one run directory. ``RunDir(path).job`` is ``path/job.yaml``, and so on."""

    path: Path | str | os.PathLike

    JOB = "job.yaml"
    LAUNCH = "launch.json"
    EVENTS = EVENTS_FILE
    LOG = "train.log"
    STOP = STOP_FILE
    CHECKPOINTS = "checkpoints"
    CHECKPOINT_PREFIX = "checkpoint-"
    ADAPTER = "adapter"
    MODEL = "model"
    MERGED = "merged"
    SLURM_SCRIPT = "slurm.sbatch"
    SLURM_STATE = "slurm.json"
    WATCH_LOG = "watch.log"
    OUTPUTS = (ADAPTER, MODEL, MERGED, CHECKPOINTS)  # the folders a run may leave weights in, in that order

    def __post_init__(self):
        object.__setattr__(self, "path", Path(self.path))  # a str is welcome too

    @property
    def job(self) -> Path:
        return self.path / self.JOB

    @property
    def launch(self) -> Path:
        return self.path / self.LAUNCH

    @property
    def events(self) -> Path:
        return self.path / self.EVENTS

    @property
    def log(self) -> Path:
        return self.path / self.LOG

    @property
    def stop_request(self) -> Path:
        return self.path / self.STOP

    @property
    def checkpoints(self) -> Path:
        return self.path / self.CHECKPOINTS

    @property
    def watch_log(self) -> Path:
        return self.path / self.WATCH_LOG

    def checkpoint(self, step: int) -> Path:
        """``checkpoints/checkpoint-<step>``."""
        return self.checkpoints / f"{self.CHECKPOINT_PREFIX}{step}"

    def checkpoint_dirs(self) -> list[Path]:
        """Every ``checkpoints/checkpoint-N`` folder with a numeric N (complete or not), in no set order."""
        return [
            p
            for p in self.checkpoints.glob(self.CHECKPOINT_PREFIX + "*")
            if p.name.removeprefix(self.CHECKPOINT_PREFIX).isdigit()
        ]

    def output(self, method_type: str) -> Path:
        """Where the final weights go: ``adapter/`` for LoRA/QLoRA, ``model/`` otherwise."""
        return self.path / (self.ADAPTER if method_type in ("lora", "qlora") else self.MODEL)

    @classmethod
    def holds_run(cls, path: str | os.PathLike) -> bool:
        """Whether ``path`` is a run directory (it has a ``job.yaml``)."""
        return (Path(path) / cls.JOB).is_file()
