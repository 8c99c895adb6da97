"""Prompts for the online RL stages (ppo, grpo): ``data.sources`` -> a list of chat prompts.

Every source is streamed through :func:`backend.data.validate.iter_valid_records`, so bad records fail
with ``file:line: field: what`` (or are skipped with ``data.skip_bad_records``). Accepted records:

- ``generation`` (``{"prompt": str | messages, "reference"?}``): the prompt as given;
- ``preference`` and ``kto`` records: their prompt (the replies are ignored);
- chat records (messages, sharegpt, alpaca, …): the conversation up to and including the last user
  turn, so the policy writes the reply that follows it.

Pretraining text has no prompt and is an error naming the source.
"""

from __future__ import annotations

import random

from backend.data.build import resolve_source
from backend.data.formats import DataError, format_mismatch
from backend.data.validate import iter_valid_records
from backend.spec import JobSpec
from backend.stages import stage_info


def chat_prompt(messages: list[dict]) -> list[dict]:
    """The conversation up to and including its last user turn; a DataError when there is none."""
    last = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=None)
    if last is None:
        raise DataError("the conversation has no user turn to answer", field="messages")
    return [{"role": m["role"], "content": m["content"]} for m in messages[: last + 1]]


def record_prompt(record: dict) -> list[dict]:
    """The prompt messages of one normalised record (see the module docstring)."""
    if "prompt" in record:
        return [{"role": m["role"], "content": m["content"]} for m in record["prompt"]]
    if "messages" in record:
        return chat_prompt(record["messages"])
    raise DataError("a pretraining text has no prompt; RL stages need generation, preference or chat records")


PROMPT_FORMATS = stage_info("ppo").formats  # the formats a record_prompt exists for (the stage table's RL formats)


def check_prompt_format(fmt: str | None, stage: str, where: str, path) -> None:
    """Raise the DataError for a source of ``fmt`` that an RL stage cannot take prompts from."""
    if fmt not in PROMPT_FORMATS:
        raise format_mismatch(where, path, fmt, stage, "generation, preference, kto or chat records (a prompt)")


def load_prompts(spec: JobSpec, events=None) -> list[list[dict]]:
    """The prompts of every ``data.sources`` entry (``max_samples`` respected), shuffled with ``train.seed``.

    ``events``, when given, receives one log line with the count per source.
    """
    prompts: list[list[dict]] = []
    counts = []
    on_error = "skip" if spec.data.skip_bad_records else "raise"
    for i, source in enumerate(spec.data.sources):
        path, fmt, columns = resolve_source(spec, i)
        records = iter_valid_records(path, fmt, on_error, source.max_samples, columns=columns)
        before = len(prompts)
        try:
            for record in records:
                if len(prompts) == before:
                    check_prompt_format(records.format, spec.stage, f"data.sources[{i}]", path)
                prompts.append(record_prompt(record))
        except DataError as exc:
            if str(exc).startswith(f"data.sources[{i}]"):
                raise  # already names the source
            raise DataError(f"data.sources[{i}] ({path}): {exc}", field=exc.field, what=exc.what,
                            advice=exc.advice) from None  # fmt: skip
        if len(prompts) == before:
            raise records.no_usable_records(f"data.sources[{i}]", "prompts")
        counts.append(
            f"{path.name} {len(prompts) - before}" + (f" ({records.skipped} skipped)" if records.skipped else "")
        )
    if events is not None:
        events.log(f"prompts: {len(prompts)} ({', '.join(counts)})", prompts=len(prompts))
    random.Random(spec.train.seed).shuffle(prompts)
    return prompts
