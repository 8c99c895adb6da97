"""Stage ``orpo``: odds-ratio preference optimisation (TRL's experimental ORPOTrainer).

ORPO needs no reference model: its loss is the SFT loss on the chosen reply plus ``pref.beta`` times a
log-odds-ratio term that pushes the chosen reply's odds above the rejected one's, so one run does the
SFT and the preference step. Held-out figures are TRL's: ``eval_rewards/accuracies`` (how often the
chosen reply has the higher length-normalised log-probability) and ``eval_rewards/margins``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from backend.data.pairs import load_pairs
from backend.spec import JobSpec
from backend.train.common import load_model, load_tokenizer, lora_config, resolve_precision
from backend.train.preference import callbacks, set_template, train_and_save, trl_config


def run(spec: JobSpec, run_dir: Path, events) -> dict:
    with warnings.catch_warnings():  # TRL warns on import that the experimental API may change
        warnings.simplefilter("ignore")
        from trl.experimental.orpo import ORPOConfig, ORPOTrainer

    tokenizer = load_tokenizer(spec)
    set_template(spec, tokenizer)
    train, val = load_pairs(spec, events)
    events.log(f"data: {len(train)} training pairs, {len(val) if val is not None else 0} held out")
    precision = resolve_precision(spec)
    model = load_model(spec, tokenizer, precision, peft_by_trainer=True)
    # ORPO's batches have no input_ids column for the Trainer to count tokens by.
    args = trl_config(ORPOConfig, spec, run_dir, precision, val is not None, beta=spec.pref.beta,
                      include_num_input_tokens_seen="no")  # fmt: skip
    trainer = ORPOTrainer(
        model=model,
        args=args,
        train_dataset=train,
        eval_dataset=val,
        processing_class=tokenizer,
        peft_config=lora_config(spec),
        callbacks=callbacks(events),
    )
    return train_and_save(trainer, spec, run_dir, events, tokenizer)
