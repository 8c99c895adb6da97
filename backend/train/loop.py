"""The shared tail of every Trainer-based stage: datasets + model -> StudioTrainer -> train -> save."""

from __future__ import annotations

from pathlib import Path

from backend.data.build import stats
from backend.data.mix import realised_shares
from backend.data.packing import Collator
from backend.data.templates import resolve_template
from backend.flops import throughput_for, throughput_line
from backend.memory import peak_rss_mb
from backend.run.rundir import RunDir
from backend.spec import JobSpec
from backend.train import stop
from backend.train.best import best_callbacks
from backend.train.callbacks import EventsCallback
from backend.train.common import StudioTrainer, eval_metrics, load_model, resolve_precision, training_arguments
from backend.train.stop_check import run_stop_check


def output_dir(spec: JobSpec, run_dir: Path) -> Path:
    """Where the final weights go: ``adapter/`` for LoRA/QLoRA, ``model/`` otherwise."""
    return RunDir(run_dir).output(spec.method.type)


def log_plan(events, plan) -> None:
    """One event with the mix plan: requested share, epochs and tokens per source."""
    if plan is None:
        return
    parts = [f"{r['name']} {r['share']:.1%} ({r['epochs']:.2f} ep)" for r in plan.rows()]
    head = "data mix (estimated sizes): " if plan.estimated else "data mix: "
    events.log(head + ", ".join(parts), mix_plan=plan.to_dict())
    for warning in plan.warnings:
        events.log("data mix: " + warning, level="warning")


def realised_mix(collator: Collator, plan):
    """A function giving the realised per-source tokens and shares so far, for every metric event."""
    if plan is None:
        return None

    def fields() -> dict:
        seen = dict(collator.mix_seen)
        if not seen:
            return {}
        shares = realised_shares(seen, plan.names)
        tokens = {name: seen.get(i, 0) for i, name in enumerate(plan.names)}
        return {"mix_tokens": tokens, "mix_share": {k: round(v, 4) for k, v in shares.items()}}

    return fields


def eval_callbacks(spec: JobSpec, run_dir: Path, events, tokenizer) -> list:
    """The ``eval`` section as a callback: single-choice accuracy and generation samples while training."""
    ev = spec.eval
    if not (ev.choice_data or ev.prompts_data):
        return []
    from backend.train.eval_callback import EvalCallback
    from backend.workspace import require_data_path, workspace_home

    # Read as data.sources are: from the workspace first, then the current folder (pre-flight checks the same).
    home = workspace_home(spec.output.workspace)

    template = resolve_template(tokenizer, spec.data.template)
    every = ev.every_steps or spec.train.eval_steps or 10**9  # 10**9: only the end-of-training evaluation
    return [
        EvalCallback(
            events,
            tokenizer,
            template,
            every,
            choice_path=require_data_path(ev.choice_data, home, "eval.choice_data") if ev.choice_data else None,
            prompts_path=require_data_path(ev.prompts_data, home, "eval.prompts_data") if ev.prompts_data else None,
            few_shot=ev.few_shot,
            max_new_tokens=ev.max_new_tokens,
            limit=ev.limit,
            out_dir=run_dir / "eval",
        )
    ]


def train_and_save(spec: JobSpec, run_dir: Path, events, tokenizer, train_ds, eval_ds, plan=None) -> dict:
    """Train on tokenised rows and save the result; returns the final metrics.

    ``plan`` (a :class:`backend.data.mix.MixPlan`) is logged, and the realised per-source token counts
    (as handed to the model, on the main process) ride along on every metric event.
    """
    streaming = not hasattr(train_ds, "__len__")
    if not streaming and len(train_ds) == 0:
        raise ValueError("data.sources: no training rows are left after tokenisation (every sample was empty)")
    if not streaming:
        data_stats = stats(train_ds, spec)
        events.log("data: " + ", ".join(f"{k}={v}" for k, v in data_stats.items()), stats=data_stats)
    log_plan(events, plan)
    collator = Collator(tokenizer.pad_token_id)
    precision = resolve_precision(spec)
    model = load_model(spec, tokenizer, precision)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    events.log(f"model: {total / 1e6:.2f}M parameters, {trainable / 1e6:.2f}M trainable; precision {precision}")
    args = training_arguments(spec, run_dir, precision, has_eval=eval_ds is not None)
    events.log(f"launch: {args.world_size} processes on {args.device.type}, {spec.distributed.num_machines} machine(s)")
    throughput = throughput_for(model, spec, args)
    events.log(throughput_line(throughput))
    evals = eval_callbacks(spec, run_dir, events, tokenizer)
    best = best_callbacks(spec, events, evals)  # after the evaluations it watches
    trainer = StudioTrainer(
        model=model,
        args=args,
        train_dataset=train_ds,
        eval_dataset=eval_ds,
        data_collator=collator,
        processing_class=tokenizer,
        callbacks=[EventsCallback(events, extra=realised_mix(collator, plan), throughput=throughput), *evals, *best],
    )

    def final_eval(trainer) -> dict:
        # The final evaluation, unless the periodic one just ran at the last step (its figures stand).
        step = trainer.state.global_step
        done = [h for h in trainer.state.log_history if "eval_loss" in h and h.get("step") == step]
        return eval_metrics(done[-1] if done else trainer.evaluate())

    def sft_figures() -> dict:
        out = {}
        for cb in best:
            out.update(cb.summary())
        mix = realised_mix(collator, plan)
        if mix and mix():
            out.update({f"mix_share/{k}": v for k, v in mix()["mix_share"].items()})
        return out

    # SFT saves the template the model was trained with (a named data.template, or the tokenizer's own), so
    # chat, export and any later from_pretrained format conversations the same way.
    template = resolve_template(tokenizer, spec.data.template) if spec.stage == "sft" else None
    metrics = finish(trainer, spec, run_dir, tokenizer, evaluate=final_eval, extra=sft_figures, template=template)
    # After the save, on the main process alone: ZeRO-3 shards the weights over every rank, so it is skipped there.
    if spec.stage == "sft" and spec.eval.stop_check and trainer.is_world_process_zero():
        if spec.distributed.zero_stage == 3:
            events.log("stop check skipped: the weights are sharded over the ranks (ZeRO-3)")
        else:
            run_stop_check(trainer.model, tokenizer, spec, events, metrics)
    return metrics


def finish(trainer, spec: JobSpec, run_dir: Path, tokenizer, evaluate=None, extra=None, template=None) -> dict:
    """The one tail of every Trainer-based stage: train (stoppable: :func:`backend.train.stop.train`) -> the
    run's numeric metrics -> ``evaluate(trainer)`` (a dict of ``eval_*`` figures; only when the trainer has a
    held-out set) -> ``extra()`` (the stage's own figures) -> ``final_loss`` (the last logged training loss)
    -> :func:`save_final`. ``template``: a chat template set on the tokenizer just before it is saved (SFT).
    Returns the final metrics."""
    result = stop.train(trainer, spec, run_dir)
    metrics = {k: v for k, v in result.metrics.items() if isinstance(v, (int, float))}
    if evaluate is not None and trainer.eval_dataset is not None:
        metrics.update(evaluate(trainer))
    if extra is not None:
        metrics.update(extra())
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    if losses:
        metrics["final_loss"] = losses[-1]
    if template is not None:
        tokenizer.chat_template = template
    return save_final(trainer, spec, run_dir, tokenizer, metrics)


def save_final(trainer, spec: JobSpec, run_dir: Path, tokenizer, metrics: dict) -> dict:
    """Every Trainer-based stage's end: the weights and tokenizer in :func:`output_dir`, pickle-free, and
    ``metrics`` completed with the peak memory and that folder."""
    out = output_dir(spec, run_dir)
    trainer.save_model(str(out))
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(out)
        # The Trainer also drops its pickled arguments here; outputs stay pickle-free (safetensors only).
        (out / "training_args.bin").unlink(missing_ok=True)
    metrics["peak_rss_mb"] = round(peak_rss_mb(), 1)
    metrics["output_dir"] = str(out)
    return metrics
