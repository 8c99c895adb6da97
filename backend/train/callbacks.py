"""The one TrainerCallback that turns training progress into events (see ``backend.events``).

Only the main process writes; progress events are throttled to a few per second so a fast tiny
run does not flood the file, while metric events are written at every logging step.
"""

from __future__ import annotations

import time

from transformers import TrainerCallback

from backend.train.common import eval_metrics

PROGRESS_INTERVAL_S = 0.5
ETA_AFTER_STEPS = 3  # whole step cycles measured before the first ETA
# Cumulative counters the Trainer adds to every log; the event has tokens_seen and tokens_per_s instead.
SKIPPED = ("epoch", "step", "num_input_tokens_seen", "train_tokens_per_second")


class EventsCallback(TrainerCallback):
    """Writes progress, metric and checkpoint events for a Trainer run."""

    def __init__(self, events, start_time: float | None = None, extra=None, throughput=None):
        self.events = events
        self.extra = extra  # () -> dict of more fields for every metric event (e.g. the realised mix)
        self.throughput = throughput  # tokens/s -> {tokens_per_s_per_device, mfu} (backend.flops.Throughput)
        self.start = start_time or time.time()
        self.last_progress = 0.0
        self.last_tokens = (0, self.start)
        self.train_start: float | None = None
        self.start_step = 0
        self.first_step_end: tuple[int, float] | None = None  # (step, time) the ETA is measured from

    def _timing(self, state) -> dict:
        """Elapsed seconds, and the ETA from the measured time of whole step cycles: from the end of the first
        step of this attempt to the end of the latest, so every measured step includes what runs between
        steps (logging, the metric event). None until ``ETA_AFTER_STEPS`` cycles ran: the first step alone
        leaves that out and read about 25% low on a small model."""
        now = time.time()
        elapsed = now - self.start
        left = max(state.max_steps - state.global_step, 0)
        eta = None
        if self.first_step_end is not None:
            step0, t0 = self.first_step_end
            cycles = state.global_step - step0
            if cycles >= ETA_AFTER_STEPS and now > t0:
                eta = (now - t0) / cycles * left
        return {"elapsed": round(elapsed, 2), "eta": None if eta is None else round(eta, 2)}

    def on_train_begin(self, args, state, control, **kwargs):
        self.train_start = time.time()
        self.start_step = state.global_step
        self.last_tokens = (state.num_input_tokens_seen, self.train_start)
        self.events.emit(
            "progress",
            step=state.global_step,
            total_steps=state.max_steps,
            epoch=state.epoch or 0.0,
            **self._timing(state),
        )
        self.events.log(f"training for {state.max_steps} steps")

    def on_step_end(self, args, state, control, **kwargs):
        now = time.time()
        if self.first_step_end is None:
            self.first_step_end = (state.global_step, now)
        if now - self.last_progress >= PROGRESS_INTERVAL_S or state.global_step >= state.max_steps:
            self.last_progress = now
            self.events.emit(
                "progress",
                step=state.global_step,
                total_steps=state.max_steps,
                epoch=round(state.epoch or 0.0, 4),
                **self._timing(state),
            )

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = dict(logs or {})
        if "train_runtime" in logs and "train_loss" in logs:
            return  # the end-of-training summary; the result event carries it
        now = time.time()
        tokens, then = self.last_tokens
        seen = state.num_input_tokens_seen
        metrics = {
            k: v
            for k, v in logs.items()
            if isinstance(v, (int, float)) and k not in SKIPPED and not k.endswith(("_runtime", "_per_second"))
        }
        metrics = eval_metrics(metrics)
        if seen > tokens and now > then and "loss" in logs:
            metrics["tokens_per_s"] = round((seen - tokens) / (now - then), 1)
            self.last_tokens = (seen, now)
            if self.throughput is not None:
                metrics.update(self.throughput(metrics["tokens_per_s"]))
        if "learning_rate" not in metrics and "lr" in metrics:
            metrics["learning_rate"] = metrics.pop("lr")
        self.events.emit(
            "metric",
            step=state.global_step,
            total_steps=state.max_steps,
            epoch=round(state.epoch or 0.0, 4),
            tokens_seen=seen,
            **metrics,
            **self._timing(state),
            **(self.extra() if self.extra else {}),
        )

    def on_save(self, args, state, control, **kwargs):
        path = f"{args.output_dir}/checkpoint-{state.global_step}"
        self.events.emit("checkpoint", step=state.global_step, path=path)
