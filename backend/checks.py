"""``Check``: one pre-flight result, shared by the pre-flight (:mod:`backend.preflight`) and the checks a
launcher adds for itself (:mod:`backend.run.launchers.slurm_preflight`), so that neither imports the other."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class Check:
    """One pre-flight result: ``level`` is ok, warn or fail; ``message`` is one human line."""

    name: str
    level: str
    message: str

    def to_dict(self) -> dict:
        return asdict(self)
