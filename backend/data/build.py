"""From ``data.sources`` to tokenised (and packed) training rows, for the pt and sft stages.

Records are streamed and validated (:mod:`backend.data.validate`), normalised by format, split off
for validation, tokenised with ``Dataset.map`` (cached by ``datasets`` between runs) and, with
``data.packing``, packed into rows of ``data.cutoff_len`` tokens.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from pathlib import Path

from backend.data.build_parts import (  # noqa: F401 (defined there for the streaming build too; imported from here)
    ACCEPTS,
    check_want,
    mixing,
    resolve_source,
    source_labels,
)
from backend.data.build_parts import make_encoder as _encoder
from backend.data.build_parts import shape_record as _shape
from backend.data.formats import DataError
from backend.data.mix import SourceSize, plan_mix
from backend.data.packing import pack_examples
from backend.data.stream import source_files
from backend.data.validate import iter_valid_records
from backend.spec import JobSpec

log = logging.getLogger(__name__)
_RECORDS_VERSION = 3  # bump when normalisation changes, so cached record sets are rebuilt


def _workers(spec: JobSpec, n: int) -> int | None:
    if spec.data.preprocessing_workers:
        return spec.data.preprocessing_workers
    # Process start-up costs more than it saves on small data.
    return min(4, os.cpu_count() or 1) if n >= 50_000 else None


def load_records(spec: JobSpec, want: str, events=None):
    """All sources as one ``datasets.Dataset`` with a ``messages`` (want='chat') or ``text`` column, and ``source``.

    ``source`` is the index of the record's entry in ``data.sources`` (mixing and the realised-mix events
    use it). Records are streamed through :func:`iter_valid_records`: a bad record fails the run with its
    ``file:line: field: problem`` unless ``data.skip_bad_records``, which skips it; the count per source
    is logged (and sent as a warning event when ``events`` is given). The result is cached by ``datasets``
    under a fingerprint of the files' sizes and modification times.
    """
    import datasets

    parts = []
    on_error = "skip" if spec.data.skip_bad_records else "raise"
    for i, source in enumerate(spec.data.sources):
        path, fmt, columns = resolve_source(spec, i)
        kwargs = {"path": str(path), "fmt": fmt, "on_error": on_error, "limit": source.max_samples,
                  "columns": columns, "source": i}  # fmt: skip
        extra = {"want": want, "where": f"data.sources[{i}]"}
        parts.append(cached_records(_generate, kwargs, want, i, events, extra=extra))
    return parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)


def cached_records(generate, kwargs: dict, tag: str, i: int, events=None, extra: dict | None = None, features=None):
    """``data.sources[i]`` as a ``datasets.Dataset`` built by ``generate(**kwargs, fingerprint=…)``, cached.

    The cache key is a fingerprint of the source files' sizes and times, ``kwargs`` and ``tag``; a
    ``DataError`` raised while generating surfaces as itself (its ``file:line: field`` intact), an empty
    source is an error, and the skip count the generator left is reported (see :func:`_report_skips`).
    """
    import datasets

    path = kwargs["path"]
    fingerprint = _fingerprint(path, kwargs, tag)
    gen = {**kwargs, **(extra or {}), "fingerprint": fingerprint}
    try:
        ds = datasets.Dataset.from_generator(generate, gen_kwargs=gen, features=features, fingerprint=fingerprint)
    except datasets.exceptions.DatasetGenerationError as exc:
        cause = exc.__cause__ or exc
        if isinstance(cause, DataError):
            raise cause from None
        raise DataError(f"{path}: {cause}", advice="see train.log for where reading it failed") from None
    if len(ds) == 0:
        raise DataError(f"data.sources[{i}].path: {path} holds no usable records")
    _report_skips(fingerprint, f"data.sources[{i}] ({path})", events)
    return ds


def _fingerprint(path, kwargs: dict, want: str) -> str:
    files = [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in source_files(Path(path))]
    blob = json.dumps([files, kwargs, want, _RECORDS_VERSION], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def skips_file(fingerprint: str) -> Path:
    # Beside the datasets cache: a cached record set is not regenerated, yet its skip count must be reported.
    import datasets

    return Path(datasets.config.HF_DATASETS_CACHE) / "studio-skips" / f"{fingerprint}.json"


def _report_skips(fingerprint: str, where: str, events) -> None:
    file = skips_file(fingerprint)
    if not file.exists():
        return
    info = json.loads(file.read_text(encoding="utf-8"))
    message = f"{where}: skipped {info['skipped']} bad records (first: {info['first_error']})"
    log.warning(message)
    if events is not None:
        events.log(message, level="warning", skipped=info["skipped"], source=where)


def _generate(path: str, fmt: str, on_error: str, limit, want: str, where: str, source: int, columns, fingerprint):
    records = iter_valid_records(path, fmt, on_error, limit, columns=columns)
    skips = skips_file(fingerprint)
    skips.unlink(missing_ok=True)
    for record in records:
        origin = {"origin": records.where} if want == "chat" else {}  # file:line, for loss-mask errors
        yield _shape(record, records.format, want, where, path) | {"source": source} | origin
    if not records.taken:  # raised here: datasets' own error for an empty generator says nothing useful
        raise records.no_usable_records(where)
    if records.skipped:
        skips.parent.mkdir(parents=True, exist_ok=True)
        skips.write_text(json.dumps({"skipped": records.skipped, "first_error": records.first_error}), "utf-8")


def split_validation(ds, spec: JobSpec, events=None):
    """(train, eval or None) by ``data.val_size`` (a fraction below 1, else a record count).

    A fraction that comes to less than one record (0.05 of 2 records) holds nothing out: the run trains
    on every record without a validation split and says so in a warning (see :func:`no_split_reason`).
    """
    size = spec.data.val_size
    if not size:
        return ds, None
    if reason := no_split_reason(spec, len(ds)):
        log.warning(reason)
        if events is not None:
            events.log(reason, level="warning", records=len(ds))
        return ds, None
    check_val_size(size, len(ds))
    test = size if size < 1 else int(size)
    parts = ds.train_test_split(test_size=test, seed=spec.train.seed)
    return parts["train"], parts["test"]


def no_split_reason(spec: JobSpec, n: int) -> str | None:
    """The warning when a fractional ``data.val_size`` is under one of ``n`` records (no split is made),
    else None. A run that needs the split (early stopping or keep_best on eval_loss) keeps the usual rule."""
    size, t = spec.data.val_size, spec.train
    needs_split = (t.early_stopping.patience or t.keep_best) and t.early_stopping.metric == "eval_loss"
    if not n or not (0 < size < 1 and size * n < 1) or needs_split:  # no records: the data check says so
        return None
    s = "" if n == 1 else "s"
    return (f"no validation split: {n} record{s} (data.val_size {size:g} of them is under one record); "
            "every record trains")  # fmt: skip


def check_val_size(size: float, n: int) -> None:
    """Raise a DataError when ``data.val_size`` leaves no validation or no training record out of ``n``.

    The split is ``datasets``' ``train_test_split``: a fraction (below 1) takes ``ceil(size * n)`` records,
    a count (1 or more) that many. More records never make a passing size fail (pre-flight relies on it).
    """
    if not size:
        return
    test = math.ceil(size * n) if size < 1 else int(size)
    if 1 <= test < n:
        return
    left = "no validation record" if test < 1 else "no training record"
    advice = (
        f"set data.val_size to a count from 1 to {n - 1} (or a smaller fraction), add records, or set "
        "data.val_size: 0 to train without a validation split"
        if n > 1
        else "add records (a validation split needs 2 at least), or set data.val_size: 0"
    )
    raise DataError(f"data.val_size: {size:g} leaves {left} out of {n} record(s)", advice=advice)


def tokenise(ds, spec: JobSpec, tokenizer, want: str):
    """Records -> unpacked rows ``input_ids``/``labels``/``source``: chat (loss on assistant turns) or text.

    Pretraining texts are cut into pieces of at most ``cutoff_len`` tokens (each document ends with EOS).
    """
    encode = _encoder(spec, tokenizer, want)
    return ds.map(encode, batched=True, remove_columns=ds.column_names, num_proc=_workers(spec, len(ds)))


def tokenise_chat(ds, spec: JobSpec, tokenizer):
    """Chat records -> rows with loss on assistant turns, packed when ``data.packing`` (no ``source``)."""
    return pack(tokenise(ds, spec, tokenizer, "chat"), spec)


def tokenise_text(ds, spec: JobSpec, tokenizer):
    """Pretraining texts -> pieces of at most ``cutoff_len`` tokens, packed when ``data.packing``."""
    return pack(tokenise(ds, spec, tokenizer, "text"), spec)


def pack(ds, spec: JobSpec, keep_source: bool = False):
    """Rows packed into ``cutoff_len`` when ``data.packing``; ``source`` becomes per-row ``mix_tokens`` or goes."""
    if not keep_source and "source" in ds.column_names:
        ds = ds.remove_columns("source")
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


def source_sizes(rows, labels: list[str]) -> tuple[list[SourceSize], list, object]:
    """Exact token and record counts per source of tokenised rows, each source's row indices, row lengths."""
    import numpy as np
    import pyarrow.compute as pc

    table = rows.data  # a fresh map() output: no indices mapping, rows are in table order
    lengths = pc.list_value_length(table.column("input_ids")).to_numpy()
    source = table.column("source").to_numpy()
    sizes, indices = [], []
    for i, label in enumerate(labels):
        idx = np.flatnonzero(source == i)
        sizes.append(SourceSize(label, float(lengths[idx].sum()), len(idx)))
        indices.append(idx)
    return sizes, indices, lengths


def mix_rows(rows, spec: JobSpec, labels: list[str]):
    """(rows sampled by the mix plan, the plan). Concat keeps every row once and reports natural shares.

    Sampling is stratified rather than a coin per row: each source contributes ``floor(epochs)`` shuffled
    passes plus random rows of one more pass up to its token target, so realised token shares match the
    plan to within a row per source; the Trainer shuffles the result.
    """
    import numpy as np

    sizes, indices, lengths = source_sizes(rows, labels)
    s = spec.data.sources
    if not mixing(spec):
        return rows, plan_mix(sizes, [x.tokens for x in sizes], caps=[1.0] * len(sizes))
    plan = plan_mix(sizes, [x.weight for x in s], [x.max_epochs for x in s], spec.data.mix.temperature,
                    spec.data.mix.total_tokens)  # fmt: skip
    rng = np.random.default_rng(spec.train.seed)
    picks = []
    for idx, epochs, size in zip(indices, plan.epochs, sizes, strict=True):
        whole, part = int(epochs), epochs - int(epochs)
        picks += [rng.permutation(idx) for _ in range(whole)]
        # The last, partial pass takes shuffled rows until its token target is met (not a row count), so
        # a source of long and short rows still contributes its share of tokens, to within one row.
        rest = rng.permutation(idx)
        filled = np.cumsum(lengths[rest])
        picks.append(rest[: int(np.searchsorted(filled, part * size.tokens, side="left"))])
    order = rng.permutation(np.concatenate(picks)) if picks else np.array([], dtype=int)
    if len(order) == 0:
        advice = "raise data.mix.total_tokens or the sources' max_epochs"
        raise DataError(
            "data.mix: the plan takes no rows; raise data.mix.total_tokens or the epoch caps", advice=advice
        )
    return rows.select(order), plan


def prepare(spec: JobSpec, tokenizer, want: str, events=None):
    """Training and evaluation rows for a Trainer stage, and the mix plan (None for a single source).

    ``want`` is 'chat' (sft) or 'text' (pt). With ``data.streaming`` the rows are ``IterableDataset``s
    built by :mod:`backend.data.streaming`; otherwise records are cached, split, tokenised, mixed by
    ``data.mix`` and packed.
    """
    if spec.data.streaming:
        from backend.data.streaming import prepare_stream

        return prepare_stream(spec, tokenizer, want, events)
    labels = source_labels(spec)
    train, val = split_validation(load_records(spec, want, events), spec, events)
    rows = tokenise(train, spec, tokenizer, want)
    plan = None
    if len(labels) > 1 or mixing(spec):
        rows, plan = mix_rows(rows, spec, labels)
    eval_rows = pack(tokenise(val, spec, tokenizer, want), spec) if val is not None else None
    return pack(rows, spec, keep_source=len(labels) > 1), eval_rows, plan


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
