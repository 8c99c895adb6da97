"""The shared tail of every Trainer-based stage: datasets + model -> StudioTrainer -> train -> save."""

from __future__ import annotations

from pathlib import Path

from backend.data.build import stats
from backend.data.packing import Collator
from backend.spec import JobSpec
from backend.train.callbacks import EventsCallback
from backend.train.common import StudioTrainer, eval_metrics, load_model, resolve_precision, training_arguments


def output_dir(spec: JobSpec, run_dir: Path) -> Path:
    """Where the final weights go: ``adapter/`` for LoRA/QLoRA, ``model/`` otherwise."""
    return run_dir / ("adapter" if spec.method.type in ("lora", "qlora") else "model")


def train_and_save(spec: JobSpec, run_dir: Path, events, tokenizer, train_ds, eval_ds) -> dict:
    """Train on tokenised rows and save the result; returns the final metrics."""
    if len(train_ds) == 0:
        raise ValueError("data.sources: no training rows are left after tokenisation (every sample was empty)")
    data_stats = stats(train_ds, spec)
    events.log("data: " + ", ".join(f"{k}={v}" for k, v in data_stats.items()), stats=data_stats)
    precision = resolve_precision(spec)
    model = load_model(spec, tokenizer, precision)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    events.log(f"model: {total / 1e6:.2f}M parameters, {trainable / 1e6:.2f}M trainable; precision {precision}")
    args = training_arguments(spec, run_dir, precision, has_eval=eval_ds is not None)
    events.log(f"launch: {args.world_size} processes on {args.device.type}, {spec.distributed.num_machines} machine(s)")
    trainer = StudioTrainer(
        model=model,
        args=args,
        train_dataset=train_ds,
        eval_dataset=eval_ds,
        data_collator=Collator(tokenizer.pad_token_id),
        processing_class=tokenizer,
        callbacks=[EventsCallback(events)],
    )
    resume = spec.train.resume_from_checkpoint
    result = trainer.train(resume_from_checkpoint=True if resume == "latest" else resume)
    metrics = {k: v for k, v in result.metrics.items() if isinstance(v, (int, float))}
    if eval_ds is not None:
        # The final evaluation, unless the periodic one just ran at the last step (its figures stand).
        done = [h for h in trainer.state.log_history if "eval_loss" in h and h.get("step") == trainer.state.global_step]
        metrics.update(eval_metrics(done[-1] if done else trainer.evaluate()))
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    if losses:
        metrics["final_loss"] = losses[-1]
    out = output_dir(spec, run_dir)
    trainer.save_model(str(out))
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(out)
        # The Trainer also drops its pickled arguments here; outputs stay pickle-free (safetensors only).
        (out / "training_args.bin").unlink(missing_ok=True)
    metrics["output_dir"] = str(out)
    return metrics
