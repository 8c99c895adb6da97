"""Stage ``sft``: supervised fine-tuning on chat data, loss on assistant turns only.

alpaca / sharegpt / messages records -> the chat template -> input_ids with labels -100 everywhere
but the assistant turns -> packed rows (optional) -> StudioTrainer (full, freeze, LoRA or QLoRA).
"""

from __future__ import annotations

from pathlib import Path

from backend.data.build import prepare
from backend.spec import JobSpec
from backend.train.common import load_tokenizer
from backend.train.loop import train_and_save


def run(spec: JobSpec, run_dir: Path, events) -> dict:
    tokenizer = load_tokenizer(spec)
    train_rows, val_rows, plan = prepare(spec, tokenizer, "chat", events)
    return train_and_save(spec, run_dir, events, tokenizer, train_rows, val_rows, plan)
