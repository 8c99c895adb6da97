"""What the preference stages (rm, dpo, kto, orpo) share: TRL configs from the spec, the run's tail
(describe -> :func:`backend.train.loop.finish` with the stage's held-out figures) and held-out pair scores.
The model comes from the one loader, :func:`backend.train.common.load_model` with ``peft_by_trainer=True``.

TRL wraps the model in PEFT itself when given the bare base and a ``peft_config``; DPO and KTO then
take the adapter-disabled base as the reference model, so no second copy is held in memory and the
saved adapter is the only one. Full and freeze training get an explicit frozen copy as the reference.
"""

from __future__ import annotations

from pathlib import Path

import torch

from backend.data.templates import resolve_template
from backend.spec import JobSpec
from backend.train.callbacks import EventsCallback
from backend.train.common import training_arguments
from backend.train.loop import finish


def trl_config(config_cls, spec: JobSpec, run_dir: Path, precision: str, has_eval: bool, **extra):
    """A TRL config (``DPOConfig``, ``RewardConfig``, ``GRPOConfig`` …) with the studio's training arguments,
    then ``extra`` (the stage's own fields).

    TRL's own defaults (bf16 and gradient checkpointing on) are replaced by the spec's: on CPU that
    means fp32 and no checkpointing unless asked (bf16 autocast there is 4-25x slower).
    """
    base = training_arguments(spec, run_dir, precision, has_eval).to_dict()
    base = {k: v for k, v in base.items() if k in config_cls.__dataclass_fields__ and not k.startswith("_")}
    # The one default a TRL config changes that the spec does not decide: KTO reads its KL estimate from
    # neighbours in a fixed-order batch, so its config samples sequentially.
    base.pop("train_sampling_strategy", None)
    common = dict(
        remove_unused_columns=True,  # TRL's trainers pick their tokenised columns by signature
        max_length=spec.data.cutoff_len,
        dataset_num_proc=spec.data.preprocessing_workers,
        # TRL rewrites these when None; the spec decided them already.
        bf16=precision == "bf16",
        fp16=precision == "fp16",
    )
    # GRPOConfig has no max_length/dataset_num_proc (it tokenises prompts as it samples); ``extra`` is the
    # stage's own and must name real fields.
    base.update({k: v for k, v in common.items() if k in config_cls.__dataclass_fields__})
    base.update(extra)
    return config_cls(**base)


def frozen_copy(model):
    """A frozen evaluation-mode copy of ``model``: the reference of full and freeze DPO/KTO."""
    import copy

    ref = copy.deepcopy(model).eval()
    ref.requires_grad_(False)
    return ref


def set_template(spec: JobSpec, tokenizer) -> None:
    """Render with the template the run trains with (TRL applies ``tokenizer.chat_template``)."""
    tokenizer.chat_template = resolve_template(tokenizer, spec.data.template)


def describe_model(events, model, precision: str) -> None:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    events.log(f"model: {total / 1e6:.2f}M parameters, {trainable / 1e6:.2f}M trainable; precision {precision}")


def train_and_save(trainer, spec: JobSpec, run_dir: Path, events, tokenizer, extra_eval=None) -> dict:
    """Train, evaluate on the held-out split, save weights and tokenizer; returns the final metrics.

    ``extra_eval`` (trainer -> dict of ``eval_*`` metrics) adds the stage's exact held-out figures; they are
    also sent as one metric event, so the run's plots show them.
    """
    quantized = getattr(trainer.model, "is_loaded_in_4bit", False) or getattr(trainer.model, "is_loaded_in_8bit", False)
    if quantized and not trainer.args.bf16:
        # TRL keeps QLoRA adapters in bf16 (as the QLoRA paper does); with fp32/fp16 compute (CPU, older GPUs)
        # they must be fp32 or the first matmul fails on mixed dtypes. No optimiser exists yet.
        for param in trainer.model.parameters():
            if param.requires_grad:
                param.data = param.data.float()
    describe_model(events, trainer.model, "bf16" if trainer.args.bf16 else "fp16" if trainer.args.fp16 else "fp32")

    def evaluate(trainer) -> dict:
        # No perplexity here: these eval losses are preference losses, not token cross-entropies.
        metrics = {k: v for k, v in trainer.evaluate().items() if isinstance(v, (int, float))}
        if extra_eval is not None:
            exact = extra_eval(trainer)
            metrics.update(exact)
            step = trainer.state.global_step
            events.emit("metric", step=step, total_steps=trainer.state.max_steps, **exact)
        return metrics

    return finish(trainer, spec, run_dir, tokenizer, evaluate=evaluate)


def callbacks(events) -> list:
    return [EventsCallback(events)]


def summary(prefix: str, margins: torch.Tensor) -> dict:
    """Accuracy (share of pairs with a positive margin) and the margin's mean and standard deviation."""
    margins = margins.float()
    return {
        f"{prefix}accuracy": round((margins > 0).float().mean().item(), 4),
        f"{prefix}margin_mean": round(margins.mean().item(), 4),
        f"{prefix}margin_std": round(margins.std().item() if len(margins) > 1 else 0.0, 4),
    }


@torch.no_grad()
def eval_batches(trainer):
    """The held-out batches, as the trainer's collator makes them, on the trainer's device."""
    for batch in trainer.get_eval_dataloader():
        yield trainer._prepare_inputs(batch)
