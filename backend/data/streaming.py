"""``data.streaming``: sources read as streams while training, for data sets larger than memory.

Each source becomes a ``datasets.IterableDataset`` over the studio's validating reader (files, folders of
``part-*.jsonl.zst`` shards; nothing is cached or loaded whole), tokenised on the fly, shuffled in a
buffer, interleaved by the mix plan with ``datasets.interleave_datasets`` and packed in windows. Memory
stays bounded by the buffers whatever the size of the data.

The plan needs every source's size. Records come from the ``manifest.json`` that ``studio data shard``
writes, or from a counting pass over the source; tokens per record are estimated from the first
records, so the plan is marked as estimated. A source's record quota (``epochs x records``) ends its
stream, and the mix ends when the first source uses its quota up, so the realised shares follow the
plan; the realised per-source tokens are reported as training runs.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from backend.data.build_parts import make_encoder, mixing, resolve_source, shape_record, source_labels
from backend.data.mix import SourceSize, plan_mix
from backend.data.packing import pack_examples
from backend.data.shard import MANIFEST
from backend.data.validate import iter_valid_records
from backend.spec import JobSpec

log = logging.getLogger(__name__)
SAMPLE_RECORDS = 256  # records tokenised per source to estimate its tokens per record
SHUFFLE_BUFFER = 2_000  # samples; bounds memory while decorrelating neighbouring records
PACK_WINDOW = 2_000  # samples packed together; best-fit needs a window, not the whole stream


def _records(path, fmt, on_error, columns, want, where, source: int, quota: int | None):
    """Normalised records of one source with their ``source`` index: passes repeat until ``quota``."""
    given = 0
    while True:
        records = iter_valid_records(path, fmt, on_error, columns=columns)
        before = given
        for record in records:
            if quota is not None and given >= quota:
                return
            given += 1
            yield shape_record(record, records.format, want, where, path) | {"source": source}
        if records.skipped:
            log.warning("%s: skipped %d bad records (first: %s)", where, records.skipped, records.first_error)
        if quota is None or given == before:  # one pass asked for, or a source with no usable record
            return


def count_records(path: Path, fmt: str, columns) -> tuple[int, bool]:
    """(records, from a manifest): the shard manifest's total, else a counting pass (bad records excluded)."""
    manifest = path / MANIFEST if path.is_dir() else None
    if manifest is not None and manifest.exists():
        try:
            return int(json.loads(manifest.read_text(encoding="utf-8"))["totals"]["records"]), True
        except (ValueError, KeyError, TypeError):
            log.warning("%s is not a studio shard manifest; counting records instead", manifest)
    return sum(1 for _ in iter_valid_records(path, fmt, "skip", columns=columns)), False


def estimate_size(spec: JobSpec, i: int, label: str, tokenizer, want: str) -> SourceSize:
    """Records (exact) and tokens (records x mean tokens of the first ``SAMPLE_RECORDS``) of a source."""
    path, fmt, columns = resolve_source(spec, i)
    records, _ = count_records(path, fmt, columns)
    if spec.data.sources[i].max_samples:
        records = min(records, spec.data.sources[i].max_samples)
    encode = make_encoder(spec, tokenizer, want)
    column = "messages" if want == "chat" else "text"
    sample = []
    for record in _records(path, fmt, "skip", columns, want, f"data.sources[{i}]", i, SAMPLE_RECORDS):
        sample.append(record)
    if not sample:
        return SourceSize(label, 0.0, 0, estimated=True)
    rows = encode({column: [r[column] for r in sample], "source": [i] * len(sample)})
    per_record = sum(len(x) for x in rows["input_ids"]) / len(sample)
    return SourceSize(label, per_record * records, records, estimated=len(sample) < records)


def prepare_stream(spec: JobSpec, tokenizer, want: str, events=None):
    """(train IterableDataset, eval Dataset or None, mix plan) for ``data.streaming``."""
    import datasets

    labels = source_labels(spec)
    sizes = [estimate_size(spec, i, label, tokenizer, want) for i, label in enumerate(labels)]
    for i, size in enumerate(sizes):
        if size.records == 0:  # say why: a pass that counts the bad records
            path, fmt, columns = resolve_source(spec, i)
            records = iter_valid_records(path, fmt, "skip", columns=columns)
            for _ in records:
                pass
            raise records.no_usable_records(f"data.sources[{i}]")
    s = spec.data.sources
    if mixing(spec):
        plan = plan_mix(sizes, [x.weight for x in s], [x.max_epochs for x in s], spec.data.mix.temperature,
                        spec.data.mix.total_tokens)  # fmt: skip
    else:
        plan = plan_mix(sizes, [x.tokens for x in sizes], caps=[1.0] * len(sizes))
    on_error = "skip" if spec.data.skip_bad_records else "raise"
    encode = make_encoder(spec, tokenizer, want)
    column = "messages" if want == "chat" else "text"
    parts = []
    for i, records in enumerate(plan.records):
        path, fmt, columns = resolve_source(spec, i)
        quota = max(1, records) if mixing(spec) else None
        gen = {"path": str(path), "fmt": fmt, "on_error": on_error, "columns": columns, "want": want,
               "where": f"data.sources[{i}]", "source": i, "quota": quota}  # fmt: skip
        part = datasets.IterableDataset.from_generator(_records, gen_kwargs=gen)
        part = part.map(encode, batched=True, batch_size=256, remove_columns=[column, "source"])
        parts.append(part.shuffle(seed=spec.train.seed + i, buffer_size=SHUFFLE_BUFFER))
    if len(parts) == 1:
        stream = parts[0]
    else:
        # Records are drawn in proportion to each source's quota, so all quotas run out together.
        weights = [max(r, 1) for r in plan.records]
        probabilities = [w / sum(weights) for w in weights]
        stream = datasets.interleave_datasets(
            parts, probabilities=probabilities, seed=spec.train.seed, stopping_strategy="first_exhausted"
        )
    eval_rows = None
    if spec.data.val_size:
        held = list(stream.take(int(spec.data.val_size)))
        eval_rows = _pack_list(held, spec)
        stream = stream.skip(int(spec.data.val_size))
    return _pack_stream(stream, spec, keep_source=len(labels) > 1), eval_rows, plan


def _pack_stream(stream, spec: JobSpec, keep_source: bool):
    if not keep_source:
        stream = stream.remove_columns("source")
    if not spec.data.packing:
        return stream
    return stream.map(
        pack_examples,
        batched=True,
        batch_size=PACK_WINDOW,
        fn_kwargs={"capacity": spec.data.cutoff_len},
        remove_columns=["input_ids", "labels"] + (["source"] if keep_source else []),
    )


def _pack_list(rows: list[dict], spec: JobSpec):
    """The held-out rows as a small in-memory ``Dataset`` (evaluation needs a length)."""
    import datasets

    if not rows:
        raise ValueError("data.val_size: the stream ended before any validation record was read")
    batch = {"input_ids": [r["input_ids"] for r in rows], "labels": [r["labels"] for r in rows]}
    if spec.data.packing:
        batch = pack_examples(batch, spec.data.cutoff_len)
    return datasets.Dataset.from_dict(batch)
