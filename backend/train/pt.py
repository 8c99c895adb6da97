"""Stage ``pt``: pretraining, either continued from a local model or from scratch.

Texts (``text``, ``title``+``content``; chat records are flattened to their contents) -> tokens +
EOS -> pieces of ``cutoff_len`` -> packed rows whose attention never crosses documents ->
StudioTrainer. With ``model.from_scratch`` the weights are initialised at random from
``model.architecture`` and the tokenizer comes from ``model.tokenizer``.
"""

from __future__ import annotations

from pathlib import Path

from backend.data.build import prepare
from backend.spec import JobSpec
from backend.train.common import load_tokenizer
from backend.train.loop import train_and_save


def run(spec: JobSpec, run_dir: Path, events) -> dict:
    tokenizer = load_tokenizer(spec)
    train_rows, val_rows, plan = prepare(spec, tokenizer, "text", events)
    return train_and_save(spec, run_dir, events, tokenizer, train_rows, val_rows, plan)
