"""Stage ``dpo``: direct preference optimisation of a chat model on preference pairs (TRL's DPOTrainer).

``pref.beta`` sets the strength, ``pref.loss_type`` the loss (sigmoid: the original DPO; ipo; hinge) and
``pref.sft_weight`` adds TRL's ``sft`` loss (NLL of the chosen reply, as in RPO) with that weight. The
reference is the starting model: with LoRA/QLoRA the same weights with the adapter switched off, with
full/freeze training a frozen copy.

Held out, every pair is scored before and after training: ``eval_pref_accuracy`` is how often the model
itself gives the chosen reply the higher log-probability, and ``eval_reward_accuracy`` / ``eval_reward_margin_*``
use DPO's implicit reward ``beta * (log pi(y|x) - log pi_ref(y|x))`` (at the start every margin is 0).
"""

from __future__ import annotations

from pathlib import Path

import torch

from backend.data.pairs import load_pairs
from backend.spec import JobSpec
from backend.train.common import load_model, load_tokenizer, lora_config, resolve_precision
from backend.train.preference import (
    callbacks,
    eval_batches,
    frozen_copy,
    set_template,
    summary,
    train_and_save,
    trl_config,
)

# The spec's loss names and TRL's (the same today; the table keeps the spec independent of TRL's names).
LOSS_TYPES = {"sigmoid": "sigmoid", "ipo": "ipo", "hinge": "hinge"}


def run(spec: JobSpec, run_dir: Path, events) -> dict:
    from trl import DPOConfig, DPOTrainer

    tokenizer = load_tokenizer(spec)
    set_template(spec, tokenizer)
    train, val = load_pairs(spec, events)
    events.log(f"data: {len(train)} training pairs, {len(val) if val is not None else 0} held out")
    precision = resolve_precision(spec)
    model = load_model(spec, tokenizer, precision, peft_by_trainer=True)
    peft_config = lora_config(spec)
    pref = spec.pref
    losses, weights = [LOSS_TYPES[pref.loss_type]], [1.0]
    if pref.sft_weight > 0:
        losses, weights = [*losses, "sft"], [*weights, pref.sft_weight]
    args = trl_config(DPOConfig, spec, run_dir, precision, val is not None,
                      beta=pref.beta, loss_type=losses, loss_weights=weights)  # fmt: skip
    trainer = DPOTrainer(
        model=model,
        ref_model=None if peft_config else frozen_copy(model),
        args=args,
        train_dataset=train,
        eval_dataset=val,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=callbacks(events),
    )
    before = {}
    if val is not None:
        before = {"before_eval_pref_accuracy": pair_metrics(trainer)["eval_pref_accuracy"]}
        events.log(f"held-out preference before training: {before['before_eval_pref_accuracy']:.1%}")
    metrics = train_and_save(trainer, spec, run_dir, events, tokenizer, extra_eval=pair_metrics)
    return {**metrics, **before}


@torch.no_grad()
def pair_metrics(trainer) -> dict:
    """The model's own preference rate and the implicit-reward accuracy and margins over every held-out pair."""
    trainer.model.eval()
    policy, ref = [], []
    for batch in eval_batches(trainer):
        mask = batch["completion_mask"]
        labels = batch["input_ids"].masked_fill(mask == 0, -100)
        # TRL's fused head returns per-token log-probs of the labels (0 where there is none).
        out = trainer.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=labels,
                            fused_lm_head=True, use_cache=False)  # fmt: skip
        logps = out.log_probs[:, -(mask.size(1) - 1) :].sum(dim=1).float()
        policy.append(torch.stack(logps.chunk(2), dim=1))  # [chosen, rejected] per pair
        # TRL scores the model it is given (with the adapter off under PEFT): the frozen copy, if there is one.
        reference = trainer.compute_ref_log_probs(trainer.ref_model or trainer.model, batch)
        ref.append(torch.stack([x.float() for x in reference], dim=1))
    policy = trainer.accelerator.gather_for_metrics(torch.cat(policy))
    ref = trainer.accelerator.gather_for_metrics(torch.cat(ref))
    rewards = trainer.beta * (policy - ref)
    out = summary("eval_reward_", rewards[:, 0] - rewards[:, 1])
    out["eval_pref_accuracy"] = round((policy[:, 0] > policy[:, 1]).float().mean().item(), 4)
    return out
