"""Stage ``rm``: a reward model that scores a whole conversation with one number, from preference pairs.

The base becomes ``AutoModelForSequenceClassification`` with one output (a new ``score`` head) and TRL's
RewardTrainer trains it with the pairwise loss ``-log sigmoid(r(chosen) - r(rejected))``. With LoRA the
adapter is of task type SEQ_CLS, so peft trains the head in full beside it (``modules_to_save``) and saves
it with the adapter. At the end every held-out pair is scored: ``eval_pair_accuracy`` (the share of pairs
whose chosen reply scores higher) and the mean and spread of the margin ``r(chosen) - r(rejected)``.
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
    set_template,
    summary,
    train_and_save,
    trl_config,
)


def run(spec: JobSpec, run_dir: Path, events) -> dict:
    from transformers import AutoModelForSequenceClassification
    from trl import RewardConfig, RewardTrainer

    tokenizer = load_tokenizer(spec)
    set_template(spec, tokenizer)
    train, val = load_pairs(spec, events)
    events.log(f"data: {len(train)} training pairs, {len(val) if val is not None else 0} held out")
    precision = resolve_precision(spec)
    model = load_model(spec, tokenizer, precision, auto_class=AutoModelForSequenceClassification, peft_by_trainer=True,
                       num_labels=1)  # fmt: skip
    if spec.method.type == "freeze":  # the new head starts at random: it learns whatever else stays frozen
        for name, param in model.named_parameters():
            if name.startswith(("score.", "classifier.")):
                param.requires_grad_(True)
    trainer = RewardTrainer(
        model=model,
        args=trl_config(RewardConfig, spec, run_dir, precision, has_eval=val is not None),
        train_dataset=train,
        eval_dataset=val,
        processing_class=tokenizer,
        peft_config=lora_config(spec, task_type="SEQ_CLS"),
        callbacks=callbacks(events),
    )
    return train_and_save(trainer, spec, run_dir, events, tokenizer, extra_eval=pair_scores)


@torch.no_grad()
def pair_scores(trainer) -> dict:
    """Accuracy and margin statistics of the reward model over every held-out pair (all processes)."""
    trainer.model.eval()
    margins = []
    for batch in eval_batches(trainer):
        # The collator stacks the chosen sequences of a batch first, then the rejected ones.
        out = trainer.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False)
        chosen, rejected = out.logits.squeeze(-1).float().chunk(2)
        margins.append(trainer.accelerator.gather_for_metrics(chosen - rejected))
    return summary("eval_pair_", torch.cat(margins))
