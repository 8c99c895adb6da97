"""The local launcher: the run's processes on this machine, as they always were.

A thin adapter over ``backend.jobs`` (queue on the local devices, ``backend.supervise`` leading a
process group that runs ``accelerate launch``, SIGTERM/SIGKILL of that group and of every process
carrying the run's ``STUDIO_RUN_ID``); the code stays there, unchanged, so local runs behave as before.
"""

from __future__ import annotations


class LocalLauncher:
    """Runs on this machine (see the module docstring)."""

    name = "local"

    def preview(self, spec, run_dir: str, run_id: str, hardware=None) -> str:
        from backend.launch import build_launch, detect_hardware

        return build_launch(spec, run_dir, hardware or detect_hardware()).shell()

    def start(self, run, registry, hardware=None):
        from backend import jobs

        return jobs.queue_run(run, registry.home, hardware)

    def alive(self, run) -> bool:
        from backend import jobs

        return jobs.run_alive(run)

    def abort(self, run, registry, grace_s: float = 10.0):
        from backend import jobs

        return jobs.abort_run(run.id, registry.home, grace_s=grace_s)

    def reattach(self, run, registry) -> None:
        from backend import jobs

        jobs.reconcile(registry.home)
