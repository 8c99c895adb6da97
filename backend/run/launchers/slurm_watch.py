"""``python -m backend.run.launchers.slurm_watch RUN_DIR HOME RUN_ID``: follows one Slurm run to its end.

Started by :class:`~backend.run.launchers.slurm.SlurmLauncher` in a session of its own (restarted by
``reconcile`` after a studio restart). Every ``STUDIO_SLURM_POLL_S`` seconds it asks Slurm about the job
and records queued/running (with Slurm's reason) and, once the job has ended, the run's final status.
It is not one of the run's processes (it carries no ``STUDIO_RUN_ID``) and holds no devices.
"""

from __future__ import annotations

import sys
import time

from backend.run.launchers.slurm import POLL_S, SlurmError, SlurmLauncher
from backend.run.registry import Registry


def main(argv: list[str]) -> int:
    _run_dir, home, run_id = argv[0], argv[1], argv[2]
    registry, launcher = Registry(home), SlurmLauncher()
    failures = 0
    while True:
        run = registry.get(run_id)
        if run.finished:
            return 0
        try:
            run = launcher.refresh(run, registry)
            failures = 0
        except SlurmError as exc:  # the controller may be restarting: keep trying for a while
            failures += 1
            print(f"[studio] {time.strftime('%H:%M:%S')} {exc}", flush=True)
            if failures > 150:
                return 1  # reconcile restarts a watcher later
        if run.finished:
            print(f"[studio] {time.strftime('%H:%M:%S')} {run.status}: {run.error or 'finished'}", flush=True)
            return 0
        time.sleep(POLL_S)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
