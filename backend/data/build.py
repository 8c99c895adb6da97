"""From ``data.sources`` to tokenised (and packed) training rows, for the pt and sft stages.

Records are streamed and validated (:mod:`backend.data.validate`), normalised by format, split off
for validation, tokenised with ``Dataset.map`` (cached by ``datasets`` between runs) and, with
``data.packing``, packed into rows of ``data.cutoff_len`` tokens.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from backend.data.formats import CHAT_FORMATS, DataError
from backend.data.packing import chunk_document, pack_examples
from backend.data.stream import source_files
from backend.data.templates import encode_chat, encode_text, resolve_template
from backend.data.validate import iter_valid_records
from backend.spec import JobSpec
from backend.workspace import resolve_data_path

log = logging.getLogger(__name__)
_RECORDS_VERSION = 2  # bump when normalisation changes, so cached record sets are rebuilt


def _workers(spec: JobSpec, n: int) -> int | None:
    if spec.data.preprocessing_workers:
        return spec.data.preprocessing_workers
    # Process start-up costs more than it saves on small data.
    return min(4, os.cpu_count() or 1) if n >= 50_000 else None


def load_records(spec: JobSpec, want: str):
    """All sources as one ``datasets.Dataset`` with a ``messages`` (want='chat') or ``text`` column.

    Records are streamed through :func:`iter_valid_records`: a bad record fails the run with its
    ``file:line: field: problem`` unless ``data.skip_bad_records``, which skips and logs the count. The
    result is cached by ``datasets`` under a fingerprint of the files' sizes and modification times.
    """
    import datasets

    parts = []
    on_error = "skip" if spec.data.skip_bad_records else "raise"
    for i, source in enumerate(spec.data.sources):
        path = resolve_data_path(source.path)
        if not Path(path).exists():
            raise DataError(f"data.sources[{i}].path: {path}: no such file or folder")
        kwargs = {"path": str(path), "fmt": source.format, "on_error": on_error, "limit": source.max_samples}
        fingerprint = _fingerprint(path, kwargs, want)
        try:
            ds = datasets.Dataset.from_generator(
                _generate, gen_kwargs={**kwargs, "want": want, "where": f"data.sources[{i}]"}, fingerprint=fingerprint
            )
        except datasets.exceptions.DatasetGenerationError as exc:
            cause = exc.__cause__ or exc
            raise (cause if isinstance(cause, DataError) else DataError(f"{path}: {cause}")) from None
        if len(ds) == 0:
            raise DataError(f"data.sources[{i}].path: {path} holds no usable records")
        parts.append(ds)
    return parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)


def _fingerprint(path, kwargs: dict, want: str) -> str:
    files = [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in source_files(Path(path))]
    blob = json.dumps([files, kwargs, want, _RECORDS_VERSION], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _generate(path: str, fmt: str, on_error: str, limit, want: str, where: str):
    records = iter_valid_records(path, fmt, on_error, limit)
    for record in records:
        if want == "chat" and "messages" not in record:
            raise DataError(
                f"{where}.format: {path} is {records.format!r} data; supervised fine-tuning needs a chat format "
                f"({', '.join(CHAT_FORMATS)})"
            )
        if want != "chat" and "messages" in record:
            record = {"text": "\n".join(m["content"] for m in record["messages"])}
        yield record
    if records.skipped:
        log.warning("%s: skipped %d bad records (first: %s)", path, records.skipped, records.first_error)


def split_validation(ds, spec: JobSpec):
    """(train, eval or None) by ``data.val_size`` (a fraction below 1, else a record count)."""
    size = spec.data.val_size
    if not size:
        return ds, None
    test = size if size < 1 else int(size)
    if (test if isinstance(test, int) else int(test * len(ds))) < 1 or len(ds) < 2:
        raise DataError(f"data.val_size: {size} leaves no validation record out of {len(ds)}")
    parts = ds.train_test_split(test_size=test, seed=spec.train.seed)
    return parts["train"], parts["test"]


def tokenise_chat(ds, spec: JobSpec, tokenizer):
    """Chat records -> ``input_ids``/``labels`` (loss on assistant turns), packed when asked."""
    template = resolve_template(tokenizer, spec.data.template)
    cutoff, on_prompt, last_only = spec.data.cutoff_len, spec.data.train_on_prompt, spec.data.mask_history

    def encode(batch):
        out = {"input_ids": [], "labels": []}
        for messages in batch["messages"]:
            enc = encode_chat(tokenizer, messages, template, cutoff, on_prompt, last_only)
            if any(label != -100 for label in enc["labels"][1:]):  # a sample with nothing to learn is dropped
                out["input_ids"].append(enc["input_ids"])
                out["labels"].append(enc["labels"])
        return out

    ds = ds.map(encode, batched=True, remove_columns=ds.column_names, num_proc=_workers(spec, len(ds)))
    return _maybe_pack(ds, spec)


def tokenise_text(ds, spec: JobSpec, tokenizer):
    """Pretraining texts -> pieces of at most ``cutoff_len`` tokens (each ends its document with EOS)."""
    cutoff = spec.data.cutoff_len

    def encode(batch):
        out = {"input_ids": [], "labels": []}
        for text in batch["text"]:
            for piece in chunk_document(encode_text(tokenizer, text), cutoff):
                if len(piece) > 1:
                    out["input_ids"].append(piece)
                    out["labels"].append(list(piece))
        return out

    ds = ds.map(encode, batched=True, remove_columns=ds.column_names, num_proc=_workers(spec, len(ds)))
    return _maybe_pack(ds, spec)


def _maybe_pack(ds, spec: JobSpec):
    if not spec.data.packing or len(ds) == 0:
        return ds
    # Pack within windows of samples so memory stays flat on big sets; 20k samples fill rows well.
    return ds.map(
        pack_examples,
        batched=True,
        batch_size=20_000,
        fn_kwargs={"capacity": spec.data.cutoff_len},
        remove_columns=ds.column_names,
    )


def stats(ds, spec: JobSpec) -> dict:
    """Token counts and packing efficiency of a tokenised set (non-pad share of row capacity)."""
    rows = tokens = trained = 0
    # In batches: ds["labels"] would materialise every row of a large set as Python lists at once.
    for batch in ds.iter(batch_size=10_000):
        rows += len(batch["input_ids"])
        tokens += sum(len(x) for x in batch["input_ids"])
        trained += sum(sum(1 for v in row[1:] if v != -100) for row in batch["labels"])
    out = {"rows": rows, "tokens": tokens, "loss_tokens": trained}
    if spec.data.packing and rows:
        out["packing_efficiency"] = round(tokens / (rows * spec.data.cutoff_len), 4)
    return out
