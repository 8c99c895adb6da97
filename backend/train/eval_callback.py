"""Task evaluation while training: single-choice accuracy and generation samples every N steps.

    EvalCallback(events, tokenizer, template, every_n_steps=50,
                 choice_path="ceval_val.jsonl", prompts_path="eval_prompts.jsonl", out_dir=run_dir / "eval")

Every ``every_n_steps`` optimizer steps (and at the end of training with ``at_end``) the model being
trained is switched to eval mode, scored with the evaluators of :mod:`backend.eval.evaluators`, and switched
back. Results become events (see :mod:`backend.events`): one ``metric`` event with ``eval_choice_acc``
(plus ``eval_choice_acc/<subject>`` when there are several subjects) and, for generations,
``eval_gen_char_f1``/``eval_gen_exact_match`` where prompts have references; one ``log`` event whose
``samples`` list holds the prompts, references and outputs. With ``out_dir`` the generations are also
written as ``generate-step<N>.jsonl``. The data files are read when the callback is built, so a bad file
fails before training starts. Only the main process evaluates, except under DeepSpeed ZeRO-3, where the
weights are sharded and every rank must take part in the forward passes.
"""

from __future__ import annotations

from pathlib import Path

from transformers import TrainerCallback

from backend.eval.data import read_records


class EvalCallback(TrainerCallback):
    """Runs choice accuracy and/or generation samples every ``every_n_steps`` steps (see module docs)."""

    def __init__(self, events, tokenizer, template: str, every_n_steps: int, choice_path=None, prompts_path=None,
                 few_shot: int = 0, max_new_tokens: int = 64, limit: int | None = None, out_dir=None,
                 at_end: bool = True, batch_size: int = 8):  # fmt: skip
        if every_n_steps < 1:
            raise ValueError(f"every_n_steps must be >= 1, got {every_n_steps}")
        if choice_path is None and prompts_path is None:
            raise ValueError("EvalCallback needs choice_path, prompts_path or both")
        self.events, self.tokenizer, self.template = events, tokenizer, template
        self.every, self.few_shot, self.max_new_tokens = every_n_steps, few_shot, max_new_tokens
        self.batch_size, self.at_end = batch_size, at_end
        self.out_dir = Path(out_dir) if out_dir else None
        self.choice = read_records(choice_path, "choice", limit) if choice_path else None
        self.prompts = read_records(prompts_path, "generate", limit) if prompts_path else None
        self.history: list[dict] = []  # {"step", "metrics", "samples"} per evaluation, for callers and tests
        self._last_step = -1

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step % self.every == 0:
            self._evaluate(state, kwargs)

    def on_train_end(self, args, state, control, **kwargs):
        if self.at_end and state.global_step != self._last_step:
            self._evaluate(state, kwargs)

    def _evaluate(self, state, kwargs) -> None:
        from transformers.integrations import is_deepspeed_zero3_enabled

        zero3 = is_deepspeed_zero3_enabled()
        self._last_step = state.global_step
        if not (state.is_world_process_zero or zero3):
            return
        model = kwargs["model"]
        tokenizer = self.tokenizer or kwargs.get("processing_class")
        was_training = model.training
        model.eval()
        try:
            metrics, samples = self._run(model, tokenizer, state.global_step, zero3)
        finally:
            model.train(was_training)
        self.history.append({"step": state.global_step, "metrics": metrics, "samples": samples})
        if not state.is_world_process_zero:
            return
        where = dict(step=state.global_step, total_steps=state.max_steps, epoch=round(state.epoch or 0.0, 4))
        self.events.emit("metric", **where, **metrics)
        if samples is not None:
            self.events.emit("log", level="info", message=f"generation samples at step {state.global_step}",
                             samples=samples, **where)  # fmt: skip

    def _run(self, model, tokenizer, step: int, zero3: bool) -> tuple[dict, list | None]:
        from backend.eval.evaluators import choice_accuracy, generate_samples

        metrics: dict = {}
        samples = None
        if self.choice is not None:
            result = choice_accuracy(model, tokenizer, None, self.template, self.few_shot,
                                     batch_size=self.batch_size, records=self.choice)  # fmt: skip
            metrics["eval_choice_acc"] = round(result["accuracy"], 6)
            if len(result["subjects"]) > 1:
                for name, s in result["subjects"].items():
                    metrics[f"eval_choice_acc/{name}"] = round(s["accuracy"], 6)
        if self.prompts is not None:
            out = self.out_dir / f"generate-step{step}.jsonl" if self.out_dir else None
            result = generate_samples(model, tokenizer, None, self.template, self.max_new_tokens, True, out,
                                      self.batch_size, records=self.prompts, synced_gpus=zero3)  # fmt: skip
            if result["char_f1"] is not None:
                metrics["eval_gen_char_f1"] = round(result["char_f1"], 6)
                metrics["eval_gen_exact_match"] = round(result["exact_match"], 6)
            samples = [{"prompt": o["prompt"][-1]["content"], "reference": o["reference"], "output": o["output"]}
                       for o in result["outputs"]]  # fmt: skip
        return metrics, samples
