"""The parts of the in-memory data build that the streaming build (:mod:`backend.data.streaming`) shares.

Which file and format a source names, the label it carries in plans and events, whether sources are mixed
by a plan, the record shape a stage wants, and the batched encoder from records to ``input_ids``/``labels``.
Apart from :mod:`backend.data.build` so that ``streaming`` (which ``build.prepare`` calls for
``data.streaming``) need not import ``build`` back (an import cycle). :mod:`backend.data.build` re-exports the
public names, which stays the place to import them from. Torch-free.
"""

from __future__ import annotations

from pathlib import Path

from backend.data import registry
from backend.data.formats import CHAT_FORMATS, DataError, format_mismatch
from backend.data.packing import chunk_document
from backend.data.templates import MaskError, encode_chat, encode_text, mask_error, resolve_template
from backend.spec import JobSpec
from backend.stages import STAGE_INFO
from backend.workspace import resolve_data_path, workspace_home


def source_labels(spec: JobSpec) -> list[str]:
    """A short unique name per source (``name``, else the file or folder name), for plans and events."""
    labels: list[str] = []
    for i, source in enumerate(spec.data.sources):
        label = source.name or Path(source.path.removeprefix("builtin:samples/")).name or f"source{i}"
        labels.append(label if label not in labels else f"{label}#{i}")
    return labels


def resolve_source(spec: JobSpec, i: int) -> tuple[Path, str, dict | None]:
    """(path, format, column mapping) of ``data.sources[i]``: a file or folder, or a registry entry."""
    source = spec.data.sources[i]
    if registry.is_registered(source.path):
        try:
            entry = registry.lookup(source.path, workspace_home(spec.output.workspace))
        except DataError as exc:
            advice = "fix the dataset registry entry, or point data.sources[].path at a file or folder"
            raise DataError(f"data.sources[{i}].path: {exc}", advice=advice) from None
        fmt = source.format if source.format != "auto" else entry.format
        path, columns = entry.path, entry.columns or None
    else:
        path, fmt, columns = resolve_data_path(source.path, workspace_home(spec.output.workspace)), source.format, None
    if not Path(path).exists():
        advice = "check data.sources[].path: the file or folder must exist on every machine that trains"
        if not Path(source.path).expanduser().is_absolute() and not registry.is_registered(source.path):
            advice += "; a relative path is read from the workspace"
        raise DataError(f"data.sources[{i}].path: {path}: no such file or folder", advice=advice)
    return Path(path), fmt, columns


# The formats each kind of Trainer data takes: chat for sft; text, or chat flattened, for pt.
ACCEPTS = {s.data_kind: s.formats for s in STAGE_INFO.values() if s.data_kind in ("text", "chat")}  # the stage table


_NEEDS = {"chat": f"a chat format ({', '.join(CHAT_FORMATS)})", "text": "text or chat records"}


def check_want(fmt: str | None, want: str, where: str, path) -> None:
    """Raise the DataError for a source of ``fmt`` that the pt ('text') or sft ('chat') stage cannot use."""
    if fmt not in ACCEPTS[want]:
        raise format_mismatch(where, path, fmt, "sft" if want == "chat" else "pt", _NEEDS[want])


def shape_record(record: dict, fmt: str, want: str, where: str, path) -> dict:
    """A normalised record in the form a stage wants: chat messages, or text (chat flattened for pt)."""
    check_want(fmt, want, where, path)
    if want != "chat" and "text" not in record:
        return {"text": "\n".join(m["content"] for m in record["messages"])}
    return record


def make_encoder(spec: JobSpec, tokenizer, want: str):
    """A batched ``map`` function: records -> ``input_ids``/``labels`` (and their ``source``)."""
    cutoff = spec.data.cutoff_len
    if want == "chat":
        template = resolve_template(tokenizer, spec.data.template)
        on_prompt, last_only = spec.data.train_on_prompt, spec.data.mask_history

        def pieces(record_value, origin):
            try:
                enc = encode_chat(tokenizer, record_value, template, cutoff, on_prompt, last_only)
            except MaskError as exc:  # never a shifted mask: the run stops, naming the record and the template
                raise mask_error(exc, spec.data.template, template, origin) from None
            # A sample with nothing to learn is dropped.
            return [(enc["input_ids"], enc["labels"])] if any(x != -100 for x in enc["labels"][1:]) else []

    else:

        def pieces(record_value, origin):
            chunks = chunk_document(encode_text(tokenizer, record_value), cutoff)
            return [(piece, list(piece)) for piece in chunks if len(piece) > 1]

    column = "messages" if want == "chat" else "text"

    def encode(batch):
        out = {"input_ids": [], "labels": [], "source": []}
        n = len(batch[column])
        sources = batch.get("source") or [0] * n
        origins = batch.get("origin") or [f"data.sources[{s}]" for s in sources]
        for value, source, origin in zip(batch[column], sources, origins, strict=True):
            for ids, labels in pieces(value, origin):
                out["input_ids"].append(ids)
                out["labels"].append(labels)
                out["source"].append(source)
        return out

    return encode


def mixing(spec: JobSpec) -> bool:
    """Whether sources are sampled by a plan (interleave) rather than concatenated."""
    mix = spec.data.mix
    if mix.strategy != "auto":
        return mix.strategy == "interleave"
    sources = spec.data.sources
    return (
        mix.temperature is not None
        or mix.total_tokens is not None
        or any(s.max_epochs is not None for s in sources)
        or len({s.weight for s in sources}) > 1
    )
