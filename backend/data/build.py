"""From ``data.sources`` to tokenised (and packed) training rows, for the pt and sft stages.

Records are read with ``datasets``, normalised by format, split off for validation, tokenised with
``Dataset.map`` (cached by ``datasets`` between runs) and, with ``data.packing``, packed into rows of
``data.cutoff_len`` tokens.
"""

from __future__ import annotations

import os

from backend.data.formats import CHAT_FORMATS, DataError, detect_format, to_messages, to_text
from backend.data.packing import chunk_document, pack_examples
from backend.data.readers import load_source
from backend.data.templates import encode_chat, encode_text, resolve_template
from backend.spec import JobSpec
from backend.workspace import resolve_data_path


def _workers(spec: JobSpec, n: int) -> int | None:
    if spec.data.preprocessing_workers:
        return spec.data.preprocessing_workers
    # Process start-up costs more than it saves on small data.
    return min(4, os.cpu_count() or 1) if n >= 50_000 else None


def load_records(spec: JobSpec, want: str):
    """All sources as one ``datasets.Dataset`` with a ``messages`` (want='chat') or ``text`` column."""
    import datasets

    parts = []
    for i, source in enumerate(spec.data.sources):
        path = resolve_data_path(source.path)
        ds = load_source(path, source.max_samples)
        if len(ds) == 0:
            raise DataError(f"data.sources[{i}].path: {path} holds no records")
        fmt = source.format if source.format != "auto" else _detect(ds[0], path)
        if want == "chat" and fmt not in CHAT_FORMATS:
            raise DataError(
                f"data.sources[{i}].format: {path} is {fmt!r} data; supervised fine-tuning needs a chat format "
                f"({', '.join(CHAT_FORMATS)})"
            )

        def normalise(record, idx, fmt=fmt, path=path):
            record = dict(record)  # datasets passes a LazyRow (a Mapping, not a dict) to map functions
            try:
                if want == "chat":
                    return {"messages": to_messages(record, fmt)}
                return {"text": to_text(record, fmt) if fmt not in CHAT_FORMATS else _chat_as_text(record, fmt)}
            except DataError as exc:
                raise DataError(f"{path}: record {idx + 1}: {exc}") from None

        parts.append(ds.map(normalise, with_indices=True, remove_columns=ds.column_names, desc=None))
    return parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)


def _detect(record: dict, path) -> str:
    try:
        return detect_format(record)
    except DataError as exc:
        raise DataError(f"{path}: record 1: {exc}") from None


def _chat_as_text(record: dict, fmt: str) -> str:
    return "\n".join(m["content"] for m in to_messages(record, fmt))


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
    cutoff, on_prompt = spec.data.cutoff_len, spec.data.train_on_prompt

    def encode(batch):
        out = {"input_ids": [], "labels": []}
        for messages in batch["messages"]:
            enc = encode_chat(tokenizer, messages, template, cutoff, on_prompt)
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
    lengths = [len(x) for x in ds["input_ids"]]
    trained = sum(sum(1 for v in row[1:] if v != -100) for row in ds["labels"])
    tokens = sum(lengths)
    out = {"rows": len(lengths), "tokens": tokens, "loss_tokens": trained}
    if spec.data.packing and lengths:
        out["packing_efficiency"] = round(tokens / (len(lengths) * spec.data.cutoff_len), 4)
    return out
