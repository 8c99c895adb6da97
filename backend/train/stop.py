"""Stop & save: end a run early with a complete checkpoint, so ``studio runs resume`` continues it.

Two ways to ask, one mechanism:

- **A request file** ``RUN_DIR/stop_request.json`` (written by ``backend.run.stop.request_stop``: the
  "Stop & save" buttons and ``studio runs abort ID --save``). No signal is involved, so no launcher
  (accelerate, torchrun) kills a rank half-way through writing.
- **SIGTERM**, when the job says ``train.save_on_sigterm: true`` (a cluster preempting the job, a plain
  ``kill``). The handler only sets a flag; a rank blocked inside a collective runs it when the collective
  returns. torchrun SIGKILLs its workers 30 s after it is signalled itself, so the save must fit in that.

Every rank checks at the end of each optimiser step; with several processes the ranks agree through
one all-reduce of a single integer (max), so they all save the same step and stop together even if the
request reached them at different steps (or, across machines, only rank 0's run directory has the file).
The Trainer then saves ``checkpoint-N`` and leaves its loop; the stage raises :class:`Stopped`, and
``backend.train.__main__`` ends the run as ``aborted`` with the checkpoint's path.
"""

from __future__ import annotations

import signal
from pathlib import Path

from transformers import TrainerCallback

from backend.events import STOP_FILE


class Stopped(Exception):
    """Training stopped on request after saving ``checkpoint`` at ``step``."""

    def __init__(self, step: int, checkpoint: str | None):
        self.step, self.checkpoint = step, checkpoint
        where = f"; checkpoint saved: {checkpoint}" if checkpoint else ""
        super().__init__(f"stopped by request at step {step}{where}")


class StopCallback(TrainerCallback):
    """Turns a stop request (file or SIGTERM) into "save a checkpoint now, then end training"."""

    def __init__(self, run_dir: Path, on_sigterm: bool = False):
        self.request = Path(run_dir) / STOP_FILE
        self.on_sigterm = on_sigterm
        self.signalled = False
        self.stopped_at: int | None = None
        self.checkpoint: str | None = None

    def on_train_begin(self, args, state, control, **kwargs):
        # A request made while the data was still being prepared stops the run after its first step;
        # one left over from an earlier attempt was removed when this attempt was launched (run.queue.resume_run).
        if self.on_sigterm:
            signal.signal(signal.SIGTERM, self._on_term)

    def _on_term(self, signum, frame):
        self.signalled = True

    def _asked(self, args) -> bool:
        mine = self.signalled or self.request.exists()
        if args.world_size <= 1:
            return mine
        import torch
        import torch.distributed as dist

        if not dist.is_available() or not dist.is_initialized():
            return mine
        device = "cuda" if dist.get_backend() == "nccl" else "cpu"
        flag = torch.tensor([int(mine)], device=device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item())

    def on_step_end(self, args, state, control, **kwargs):
        if self.stopped_at is None and self._asked(args):
            self.stopped_at = state.global_step
            control.should_save = True
            control.should_log = True  # the curve ends at the saved step
            control.should_evaluate = False
            control.should_training_stop = True
        return control

    def on_save(self, args, state, control, **kwargs):
        if self.stopped_at is not None:
            self.checkpoint = f"{args.output_dir}/checkpoint-{state.global_step}"

    def raise_if_stopped(self) -> None:
        """After ``trainer.train()``: raise :class:`Stopped` when the run ended on a request."""
        if self.stopped_at is not None:
            self.request.unlink(missing_ok=True)
            raise Stopped(self.stopped_at, self.checkpoint)


def train(trainer, spec, run_dir: Path):
    """``trainer.train()`` honouring stop requests and ``train.resume_from_checkpoint``; raises :class:`Stopped`."""
    stop = StopCallback(run_dir, on_sigterm=spec.train.save_on_sigterm)
    trainer.add_callback(stop)
    resume = spec.train.resume_from_checkpoint
    result = trainer.train(resume_from_checkpoint=True if resume == "latest" else resume)
    stop.raise_if_stopped()
    return result
