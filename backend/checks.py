"""``Check``: one pre-flight result, shared by the pre-flight (:mod:`backend.preflight`) and the checks a
launcher adds for itself (:mod:`backend.run.launchers.slurm_preflight`), so that neither imports the other."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from backend.failures import field_once


@dataclass
class Check:
    """One pre-flight result: ``level`` is ok, warn or fail; ``message`` is one human line; ``name`` is
    the check (``model``, ``data.sources[0]``, ``memory`` …), a stable key."""

    name: str
    level: str
    message: str

    def to_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        """``name: message`` with the field named once: a message that starts with the check's field or a
        deeper one (``data.sources[0].path: no such file``) is shown as it is, not after the name again."""
        return ": ".join(field_once(self.name, self.message))
