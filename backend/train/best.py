"""Early stopping and the best checkpoint (``train.early_stopping``, ``train.keep_best``) for pt and sft runs.

:class:`BestCallback` watches one metric: ``eval_loss`` (from the Trainer's evaluation, lower is better) or
``eval_choice_acc`` (from :class:`backend.train.eval_callback.EvalCallback`, higher is better). A value
counts as an improvement when it beats the best so far by more than ``min_delta``; then

* the best value and step go into the Trainer's state (``best_metric``, ``best_global_step``, so a resumed
  run keeps them), and with ``keep_best`` the callback asks for a checkpoint at this step; the Trainer
  records it as ``best_model_checkpoint`` and never rotates it away (it keeps it beside the last
  ``save_total_limit`` ones);
* otherwise a counter grows, and at ``patience`` evaluations without improvement training stops: the
  run still saves its final weights and ends ``succeeded``; the reason is logged and put in the result.

The counter, the best value and its step are saved with every checkpoint (the callback is an
``ExportableState``: ``trainer_state.json``'s ``stateful_callbacks["BestCallback"]``) and read back at the
start of a resumed attempt, so Stop & save -> Resume stops at the step an uninterrupted run stops at. The
callback restores itself in ``on_train_begin``; the Trainer's own restore
(``restore_callback_states_from_checkpoint``) is not used, as it would rebuild the callback without its
events writer. A checkpoint written before this was saved restores the best only (from ``best_metric``).

:meth:`BestCallback.summary` gives the result's ``best_step``, ``best_<metric>``, ``best_checkpoint`` and
``stopped_early`` fields. Every process computes the same decision for ``eval_loss`` (the Trainer gathers
it over ranks); ``eval_choice_acc`` is scored on the main process only, so it is refused with several.
"""

from __future__ import annotations

from pathlib import Path

from transformers import TrainerCallback
from transformers.trainer_callback import ExportableState

HIGHER_IS_BETTER = {"eval_loss": False, "eval_choice_acc": True}


class BestCallback(TrainerCallback, ExportableState):
    """Tracks the best value of ``metric``, saves its checkpoint (``keep_best``) and stops after ``patience``."""

    def __init__(self, events, metric: str, patience: int, min_delta: float, keep_best: bool, choice=None):
        if metric not in HIGHER_IS_BETTER:
            raise ValueError(f"metric must be one of {', '.join(HIGHER_IS_BETTER)}, got {metric!r}")
        if metric == "eval_choice_acc" and choice is None:
            raise ValueError("eval_choice_acc needs the EvalCallback that scores it")
        self.events, self.metric, self.patience = events, metric, patience
        self.min_delta, self.keep_best, self.choice = min_delta, keep_best, choice
        self.best: tuple[float, int] | None = None  # (value, step)
        self.bad = 0  # evaluations in a row without improvement
        self.stopped: str | None = None
        self.output_dir: str | None = None
        self._seen_step = -1

    def improves(self, value: float) -> bool:
        """Whether ``value`` beats the best so far by more than ``min_delta``."""
        if self.best is None:
            return True
        if HIGHER_IS_BETTER[self.metric]:
            return value > self.best[0] + self.min_delta
        return value < self.best[0] - self.min_delta

    def on_train_begin(self, args, state, control, **kwargs):
        if self.metric == "eval_choice_acc" and args.world_size > 1:
            raise ValueError(
                "train.early_stopping.metric: eval_choice_acc is scored on the main process only; "
                "use eval_loss with several processes"
            )
        self.output_dir = args.output_dir
        if state.best_global_step and state.best_metric is not None:  # resumed: the best so far stands
            self.best = (float(state.best_metric), int(state.best_global_step))
        saved = (getattr(state, "stateful_callbacks", None) or {}).get(type(self).__name__)
        saved = saved[-1] if isinstance(saved, list) and saved else saved
        attributes = saved.get("attributes", {}) if isinstance(saved, dict) else {}
        if attributes.get("best") and attributes.get("metric") == self.metric:  # resumed: the count goes on
            self.best = (float(attributes["best"][0]), int(attributes["best"][1]))
            self.bad = int(attributes.get("bad", 0))
        if isinstance(getattr(state, "stateful_callbacks", None), dict):
            # A checkpoint from before this callback was stateful has no entry; the Trainer's save needs one.
            state.stateful_callbacks[type(self).__name__] = self.state()

    def state(self) -> dict:
        """What a checkpoint keeps of the count (``ExportableState``): the best and evaluations since."""
        best = list(self.best) if self.best is not None else None
        return {"args": {}, "attributes": {"metric": self.metric, "best": best, "bad": self.bad}}

    def observe(self, value: float, state, control) -> None:
        """One evaluation's value at ``state.global_step``: a new best, or one more without improvement."""
        step = state.global_step
        if self.improves(value):
            self.best, self.bad = (float(value), step), 0
            state.best_metric, state.best_global_step = float(value), step
            if self.keep_best:
                control.should_save = True  # the Trainer saves checkpoint-<step> right after this evaluation
            return
        self.bad += 1
        if self.patience and self.bad >= self.patience:
            best, at = self.best
            self.stopped = (
                f"early stopping at step {step}: {self.metric} did not improve by more than {self.min_delta:g} "
                f"for {self.bad} evaluation(s); best {best:.6g} at step {at}"
            )
            self.events.log(self.stopped)
            control.should_training_stop = True

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if self.metric == "eval_loss" and metrics and isinstance(metrics.get("eval_loss"), (int, float)):
            self.observe(metrics["eval_loss"], state, control)

    def on_step_end(self, args, state, control, **kwargs):
        if self.metric != "eval_choice_acc" or not self.choice.history:
            return
        last = self.choice.history[-1]
        if last["step"] == state.global_step != self._seen_step and self.metric in last["metrics"]:
            self._seen_step = state.global_step
            self.observe(last["metrics"][self.metric], state, control)

    def summary(self) -> dict:
        """The result's fields: best step and value, the kept checkpoint (when on disk), why it stopped early."""
        out: dict = {}
        if self.best is not None:
            value, step = self.best
            out["best_step"] = step
            out[f"best_{self.metric}"] = value
            folder = Path(self.output_dir or "") / f"checkpoint-{step}"
            if self.keep_best and folder.is_dir():
                out["best_checkpoint"] = str(folder)
        if self.stopped:
            out["stopped_early"] = self.stopped
        return out


def best_callbacks(spec, events, eval_cbs: list) -> list:
    """The spec's BestCallback (in a list), or none when neither early stopping nor keep_best is on."""
    stop = spec.train.early_stopping
    if not (stop.patience or spec.train.keep_best):
        return []
    choice = next((cb for cb in eval_cbs if getattr(cb, "choice", None) is not None), None)
    return [BestCallback(events, stop.metric, stop.patience, stop.min_delta, spec.train.keep_best, choice)]
