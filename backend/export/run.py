"""Export a trained run as a self-contained Hugging Face model folder.

``export(target, out)`` resolves ``target`` (a run id or name, a run directory, an adapter or model
directory, or a checkpoint of a run), loads the weights as one plain model (a LoRA adapter is merged
tensor by tensor, streaming the base's shards, by :mod:`backend.export.stream`; what that does not cover,
DoRA for one, is merged into the fp32 base in memory; a DeepSpeed ZeRO checkpoint is consolidated), and
writes to ``out``:

* the weights as safetensors, sharded at ``max_shard_size`` (with ``model.safetensors.index.json``
  when there is more than one shard), in the chosen dtype;
* the tokenizer with the chat template the run trained with (checked to render identically after
  the round trip), and the base's custom modelling code files, if any;
* ``README.md`` (model card) and, for a known chat template, an Ollama ``Modelfile``;
* with ``gguf`` (``f16`` or ``q8_0``), one ``<name>-<gguf>.gguf`` file for llama.cpp and Ollama (llama and
  qwen2 families; :mod:`backend.export.gguf`), which the Modelfile's ``FROM`` then names; ``gguf_only``
  leaves the safetensors out (the tokenizer files, card and Modelfile stay).

A reward model (an ``rm`` run, a SEQ_CLS adapter or a ``*ForSequenceClassification`` folder) is exported
as a sequence classifier with its trained score head (``score.weight``), merged like any adapter; it
scores conversations and generates nothing, so it gets no Modelfile and a card that says how to score.

Every failure is an :class:`ExportError` with one line for the user. Nothing here starts a UI.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from backend.export.card import model_card, ollama_modelfile
from backend.export.source import Source, base_dir_of, is_reward, load_tokenizer, resolve_source, run_metrics
from backend.export.weights import ExportError

SAMPLE_CONVERSATION = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What is 2+2? 用中文回答。"},
    {"role": "assistant", "content": "4。"},
    {"role": "user", "content": "And 3+3?"},
]


@dataclass
class ExportResult:
    """What an export wrote: the folder, its files with sizes, and what the user should know."""

    out: Path
    source: Source
    merged: bool
    dtype: str
    files: list[tuple[str, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    modelfile: str = ""
    weights: str = ""  # what the weights are, in words
    gguf: str = ""  # the GGUF file's name, when one was written


def _prepare_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ExportError(f"--out {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ExportError(f"--out {out} exists and is not empty (use --force to overwrite)")


def _publish(tmp: Path, out: Path) -> None:
    """Move the finished export into ``out`` (replacing a previous export's files under --force)."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in [*out.glob("*.safetensors"), *out.glob("*.safetensors.index.json"), *out.glob("*.gguf")]:
        stale.unlink()  # shards of an earlier export would otherwise mix with the new ones
    for item in tmp.iterdir():
        dest = out / item.name
        if dest.is_dir():
            shutil.rmtree(dest)
        shutil.move(str(item), dest)
        dest.chmod(0o644)  # safetensors shards come out 0600; an Ollama/vLLM server may run as another user


def export(
    target: str,
    out: str | Path,
    home=None,
    checkpoint: str | None = None,
    max_shard_size: str = "2GB",
    dtype: str = "auto",
    merge: bool = True,
    force: bool = False,
    base: str | None = None,
    from_zero: bool = False,
    trust_remote_code: bool = False,
    command: str = "",
    gguf: str | None = None,
    gguf_only: bool = False,
    streaming: bool = True,
) -> ExportResult:
    """Export ``target`` to the folder ``out``; see the module docstring. ``streaming=False`` forces the
    in-memory merge even where the streaming one applies (for comparisons)."""
    from backend.export import weights as W

    out = Path(out).expanduser().resolve()
    if gguf_only and not gguf:
        raise ExportError("--gguf-only needs --gguf f16 or --gguf q8_0")
    if gguf and not merge:
        raise ExportError("--gguf writes a merged model; drop --no-merge")
    _prepare_out(out, force)
    W.check_shard_size(max_shard_size)
    source = resolve_source(target, home, checkpoint, from_zero)
    spec = source.spec
    trc = trust_remote_code or bool(spec and spec.model.trust_remote_code)  # only when asked, never implied
    base_dir = base_dir_of(source, base) if source.kind != "model" else None
    tok = load_tokenizer(source, base_dir, trc)
    cfg_dir = source.weights if source.kind == "model" else base_dir
    if gguf and cfg_dir and (cfg_dir / "config.json").is_file():
        from backend.export.gguf import check_supported

        check_supported(W.base_config(cfg_dir, trc), gguf)  # refuse before loading any weights
    notes: list[str] = []
    method = spec.method.type if spec else ("lora" if source.kind == "adapter" else "full")
    reward = is_reward(source)
    stream = None  # a LoRA merge tensor by tensor (backend.export.stream), when the adapter allows it
    if source.kind == "adapter" and merge and not gguf and not reward and streaming:
        from backend.export import stream as export_stream

        stream, why = export_stream.plan(source.weights, base_dir, len(tok))
        if stream is None:
            notes.append(f"merged in memory in fp32 ({why}; the streaming merge does not cover it)")
    if stream is not None:
        model = None
    elif source.kind == "model":
        model = W.load_model_dir(source.weights, trc)
    elif source.kind == "adapter":
        model = W.load_adapter(source.weights, base_dir, trc, len(tok), merge)
    else:
        model = W.load_zero(source.weights, base_dir, trc, len(tok), merge)
        notes.append(f"weights consolidated to fp32 from the DeepSpeed ZeRO checkpoint {source.weights.name}")
    adapter_out = source.kind != "model" and method in ("lora", "qlora")  # the weights are an adapter
    merged = merge and adapter_out
    what = "adapter merged into the full-precision base" if merged else "adapter (not merged)"
    what = what if adapter_out else f"full model ({method} training; no adapter to merge)"
    if reward:
        what += "; a reward model (sequence classifier with its trained score head)"
    if method == "qlora" and merge:
        notes.append("the run trained on a quantised base; the adapter was merged into the full-precision base")
    config = (base_dir and W.base_config(base_dir, trc)) or model.config
    if stream is not None:
        notes.append("merged tensor by tensor (the base was never loaded whole; peak memory about one tensor)")
    if gguf:
        from backend.export.gguf import check_supported

        if reward:
            raise ExportError("--gguf: a reward model scores conversations; GGUF export is for causal LMs")
        check_supported(model.config, gguf)
    out_dtype = W.export_dtype(dtype, config)
    title = source.run_dir.name if source.run_dir else source.weights.name
    gguf_file = ""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        if gguf:
            from backend.export.gguf import gguf_name, write_gguf

            gguf_file = gguf_name(title, gguf)
            # From the fp32 weights, before the cast, so f16/q8_0 round them only once.
            notes += write_gguf(model, tok, tmp / gguf_file, gguf, name=title)
        if stream is not None:
            from transformers.utils.hub import convert_file_size_to_int

            export_stream.merge(stream, tmp, out_dtype, convert_file_size_to_int(max_shard_size))
            export_stream.write_config(base_dir, tmp, out_dtype, trc)
        else:
            model = W.cast(model, out_dtype)
            model.config.use_cache = True  # training turned the KV cache off; generation wants it back
        if reward and tok.pad_token_id is not None:
            # The classifier scores each row at its last non-pad token, found by this id; the rm stage set it
            # from the tokenizer it trained with, which a LoRA export's base config does not carry.
            model.config.pad_token_id = tok.pad_token_id
        if not gguf_only and stream is None:
            model.save_pretrained(tmp, max_shard_size=max_shard_size)
        tok.save_pretrained(tmp)
        copied = W.copy_custom_code(base_dir, tmp)
        if copied:
            notes.append("custom modelling code copied from the base: " + ", ".join(copied))
        W.check_template(tok, tmp, SAMPLE_CONVERSATION, trc)
        modelfile, mf_note = ollama_modelfile(tok.chat_template, f"./{gguf_file}" if gguf_file else ".")
        if adapter_out and not merged:
            modelfile, mf_note = None, "no Modelfile: the adapter was not merged (--no-merge)"
        if reward:
            modelfile, mf_note = None, "no Modelfile: a reward model scores conversations and generates no text"
        if modelfile:
            (tmp / "Modelfile").write_text(modelfile, encoding="utf-8")
        final, at_ckpt = run_metrics(source)
        base_name = spec.model.name_or_path if spec and not spec.model.from_scratch else base_dir and str(base_dir)
        info = dict(
            title=title, gguf=gguf_file, gguf_only=gguf_only,
            base=base_name,
            method=method, spec=spec, spec_yaml=spec.to_yaml() if spec else "", metrics=final,
            checkpoint_metrics=at_ckpt, source=source.label, merged=merged, weights=what, notes=notes, dtype=out_dtype,
            shards=sorted(p.name for p in tmp.glob("*.safetensors")), command=command, modelfile=bool(modelfile),
            reward=reward,
        )  # fmt: skip
        (tmp / "README.md").write_text(model_card(info), encoding="utf-8")
        if W.pickles_in(tmp):
            raise ExportError(f"refusing to publish pickled files: {', '.join(W.pickles_in(tmp))}")
        _publish(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    files = [(p.name, p.stat().st_size) for p in sorted(out.iterdir()) if p.is_file()]
    return ExportResult(out, source, merged, out_dtype, files, notes, mf_note, what, gguf_file)


def render_summary(result: ExportResult) -> str:
    """The lines ``studio export`` prints when it is done."""
    shards = [(n, s) for n, s in result.files if n.endswith(".safetensors")]
    total = sum(s for _, s in shards)
    lines = [f"exported {result.source.label}", f"  to       {result.out}"]
    if shards:
        lines.append(
            f"  weights  {result.weights}, {result.dtype}, {len(shards)} safetensors file(s), {total / 1e6:.1f} MB"
        )
    else:
        lines.append(f"  weights  {result.weights}; GGUF only (no safetensors)")
    lines += [f"           {name}  {size / 1e6:.1f} MB" for name, size in shards]
    if result.gguf:
        size = dict(result.files).get(result.gguf, 0)
        lines.append(f"  gguf     {result.gguf}  {size / 1e6:.1f} MB (llama.cpp, Ollama)")
    if any(n == "model.safetensors.index.json" for n, _ in result.files):
        lines.append("           model.safetensors.index.json")
    lines += [f"  note     {n}" for n in result.notes]
    lines.append(f"  ollama   {result.modelfile}")
    lines.append(f"  card     {result.out / 'README.md'}")
    return "\n".join(lines)
