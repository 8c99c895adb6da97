"""Stage ``kto``: Kahneman-Tversky optimisation from replies labelled good or bad (TRL's KTOTrainer).

Unlike DPO, KTO needs no pairs: each example is a prompt, one reply and a label (``kto`` records).
Preference pairs work too, as one desirable and one undesirable example each. ``pref.beta`` sets the
strength, ``pref.desirable_weight`` / ``pref.undesirable_weight`` balance the two kinds (TRL warns when
they do not offset unequal counts). The reference is the starting model, as in the dpo stage. Held-out
figures are TRL's: the mean implicit rewards of desirable and undesirable replies and their margin.
"""

from __future__ import annotations

from pathlib import Path

from backend.data.pairs import load_pairs
from backend.spec import JobSpec
from backend.train.common import load_model, load_tokenizer, lora_config, resolve_precision
from backend.train.preference import (
    callbacks,
    frozen_copy,
    set_template,
    train_and_save,
    trl_config,
)


def run(spec: JobSpec, run_dir: Path, events) -> dict:
    from trl import KTOConfig, KTOTrainer

    tokenizer = load_tokenizer(spec)
    set_template(spec, tokenizer)
    train, val = load_pairs(spec, events)
    # KTO's trainer reads the data in order (see preference.trl_config); shuffle once so that a file of
    # all good replies and then all bad ones still gives mixed batches.
    train = train.shuffle(seed=spec.train.seed)
    good = sum(train["label"])
    events.log(f"data: {len(train)} training examples ({good} desirable, {len(train) - good} undesirable), "
               f"{len(val) if val is not None else 0} held out")  # fmt: skip
    precision = resolve_precision(spec)
    model = load_model(spec, tokenizer, precision, peft_by_trainer=True)
    peft_config = lora_config(spec)
    pref = spec.pref
    args = trl_config(KTOConfig, spec, run_dir, precision, val is not None, beta=pref.beta,
                      desirable_weight=pref.desirable_weight, undesirable_weight=pref.undesirable_weight)  # fmt: skip
    trainer = KTOTrainer(
        model=model,
        ref_model=None if peft_config else frozen_copy(model),
        args=args,
        train_dataset=train,
        eval_dataset=val,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=callbacks(events),
    )
    return train_and_save(trainer, spec, run_dir, events, tokenizer)
