"""Preference pairs and KTO examples for the rm, dpo, kto and orpo stages, in TRL's conversational form.

Each source is streamed and validated like chat data (:func:`backend.data.validate.iter_valid_records`),
normalised by :mod:`backend.data.task_formats` and cached by ``datasets``:

- rm, dpo, orpo: ``{"prompt": [...], "chosen": [assistant], "rejected": [assistant]}``;
- kto: ``{"prompt": [...], "completion": [assistant], "label": bool}``. Preference sources work too:
  each pair becomes a desirable and an undesirable example (as TRL's ``unpair_preference_dataset``).

A source of another format (chat, text, ...) fails with a :class:`DataError` that names the source, its
format and the one the stage needs, before anything is tokenised.
"""

from __future__ import annotations

from backend.data.build import cached_records, resolve_source, skips_file, split_validation
from backend.data.formats import format_mismatch
from backend.data.task_formats import task_features
from backend.data.validate import iter_valid_records
from backend.spec import JobSpec
from backend.stages import STAGE_INFO

# The record formats each stage trains on, first the one its rows are shaped as.
STAGE_FORMATS: dict[str, tuple[str, ...]] = {s.name: s.formats for s in STAGE_INFO.values() if s.data_kind == "pairs"}
_KEYS = {"preference": "prompt, chosen, rejected", "kto": "prompt, completion, label"}


def source_format(spec: JobSpec, i: int, stage: str) -> str:
    """The format of ``data.sources[i]`` (detected from its first good record when 'auto'), checked
    against what ``stage`` trains on; raises a DataError naming both otherwise.

    A source whose format cannot be told raises what stopped it: a damaged or unreadable file, or the
    source holding no usable record (with its first bad one), never a bare 'unknown' format.
    """
    path, fmt, columns = resolve_source(spec, i)
    if fmt == "auto":
        records = iter_valid_records(path, "auto", on_error="skip", limit=1, columns=columns)
        next(iter(records), None)  # a damaged file raises here (fatal problems raise even when skipping)
        if records.format is None:
            raise records.no_usable_records(f"data.sources[{i}]")
        fmt = records.format
    check_pair_format(fmt, stage, f"data.sources[{i}]", path)
    return fmt


def check_pair_format(fmt: str | None, stage: str, where: str, path) -> None:
    """Raise the DataError for a source of ``fmt`` that ``stage`` (rm, dpo, kto, orpo) cannot train on."""
    accepted = STAGE_FORMATS[stage]
    if fmt not in accepted:
        wanted = " or ".join(f"{f!r} ({_KEYS[f]})" for f in accepted)
        raise format_mismatch(where, path, fmt, stage, f"{wanted} records")


def load_pairs(spec: JobSpec, events=None):
    """(train, validation or None) ``datasets.Dataset``s of the stage's records, split by ``data.val_size``.

    A bad record fails the run with its ``file:line: field: problem`` unless ``data.skip_bad_records``
    (then skipped and counted in a warning event).
    """
    import datasets

    stage = spec.stage
    shape = STAGE_FORMATS[stage][0]
    parts = []
    for i, source in enumerate(spec.data.sources):
        path, _, columns = resolve_source(spec, i)
        fmt = source_format(spec, i, stage)
        kwargs = {"path": str(path), "fmt": fmt, "on_error": "skip" if spec.data.skip_bad_records else "raise",
                  "limit": source.max_samples, "columns": columns, "shape": shape, "source": i}  # fmt: skip
        parts.append(cached_records(_generate, kwargs, f"pairs-{shape}", i, events, features=task_features(shape)))
    ds = parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)
    return split_validation(ds, spec, events)


def _generate(path: str, fmt: str, on_error: str, limit, columns, shape: str, source: int, fingerprint: str):
    import json

    records = iter_valid_records(path, fmt, on_error, limit, columns=columns)
    skips = skips_file(fingerprint)
    skips.unlink(missing_ok=True)
    for record in records:
        if shape == "kto" and fmt == "preference":
            yield {"prompt": record["prompt"], "completion": record["chosen"], "label": True}
            yield {"prompt": record["prompt"], "completion": record["rejected"], "label": False}
        else:
            yield record
    if not records.taken:  # raised here: datasets' own error for an empty generator says nothing useful
        raise records.no_usable_records(f"data.sources[{source}]")
    if records.skipped:
        skips.parent.mkdir(parents=True, exist_ok=True)
        skips.write_text(json.dumps({"skipped": records.skipped, "first_error": records.first_error}), "utf-8")
