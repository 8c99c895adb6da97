"""Extend a base model's vocabulary and initialise the new embeddings by the mean of their old sub-tokens.

Contract of :func:`extend`:
- New pieces come from a trained tokenizer folder (its pieces the base lacks, in the source's id
  order, as LLMsTrainer merges a Chinese sentencepiece into Llama) and/or a word list; special tokens
  (e.g. ``<|user|>``) are added as special tokens after them. Every old id keeps its token, old text
  splits as before except where a new piece forms, and no space is added around new pieces (they
  are vocabulary pieces with merges, not ``add_tokens`` entries). See :mod:`backend.tokenizer.merge`.
- When the base folder holds a model, its input and output embeddings are resized (tied or untied)
  and each new row is the mean of the rows of the ids the *old* tokenizer splits the piece's text
  into; a new special token gets the mean of all old rows. Model (safetensors) and tokenizer are
  saved to ``out`` with ``extension.json`` (old/new sizes, every added piece with its id and sub-ids).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from backend.tokenizer.merge import merge_into_json, merge_into_proto, representation, to_text
from backend.tokenizer.train import TokenizerError

TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tokenizer_config.json")


def has_tokenizer(folder: Path) -> bool:
    return any((folder / f).is_file() for f in TOKENIZER_FILES)


def source_texts(source) -> tuple[list[str], list[str]]:
    """(piece texts, user-defined/special tokens) of a tokenizer folder, in its id order."""
    folder = Path(source)
    if not has_tokenizer(folder):
        raise TokenizerError(f"{source}: no tokenizer here (expected tokenizer.json or tokenizer.model)")
    if (folder / "tokenizer.model").is_file():
        from backend.tokenizer.build import sp_model_pb2

        proto = sp_model_pb2().ModelProto()
        proto.ParseFromString((folder / "tokenizer.model").read_bytes())
        texts = [p.piece.replace("▁", " ") for p in proto.pieces if p.type == 1]
        return texts, [p.piece for p in proto.pieces if p.type == 4]
    data = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    rep, vocab = representation(data), data["model"]["vocab"]
    pieces = sorted(vocab, key=vocab.get) if isinstance(vocab, dict) else [p for p, _ in vocab]
    specials = {t["content"] for t in data.get("added_tokens", [])}
    texts = [t for p in pieces if p not in specials and (t := to_text(p, rep))]
    return texts, sorted(specials - {"<unk>", "<s>", "</s>", "<pad>", "<|endoftext|>", "<|pad|>"})


def sub_token_ids(old, piece: str) -> list[int]:
    """The ids the old tokenizer's BPE model splits the vocabulary entry ``piece`` into.

    The model itself is asked (no normaliser or pre-tokenizer), so a piece without a leading ``▁`` gets no
    dummy-prefix token, and byte-level pieces that are part of a UTF-8 character split correctly too.
    """
    return [t.id for t in old.backend_tokenizer.model.tokenize(piece)]


def extend(base, out, source=None, words=None, special_tokens=None, max_new: int | None = None,
           home=None) -> dict:  # fmt: skip
    """Add the pieces of ``source`` (a tokenizer folder) and ``words`` to the base at ``base`` (a folder,
    ``builtin:``, or a hub id, downloaded first like chat's and export's); save to ``out``."""
    from transformers import AutoTokenizer

    from backend.models.ondemand import NotDownloaded, ensure_local
    from backend.models.ref import RefError
    from backend.workspace import workspace_home

    try:  # a folder, builtin:, or a hub id (downloaded now when it is not local yet)
        base = Path(ensure_local(str(base), workspace_home(home), "--base")).expanduser().resolve()
    except NotDownloaded as exc:
        raise TokenizerError(str(exc)) from None
    except (ValueError, RefError) as exc:
        raise TokenizerError(f"--base {base}: {exc}") from None
    if not base.is_dir() or not has_tokenizer(base):
        raise TokenizerError(f"{base}: no tokenizer in this folder (expected tokenizer.json or tokenizer.model)")
    if Path(out).expanduser().resolve() == base:
        raise TokenizerError(f"--out {out} is the base folder; write the extended model to a new folder")
    texts, specials = source_texts(source) if source else ([], [])
    texts += [w.strip() for w in (words or []) if w.strip()]
    specials = list(dict.fromkeys([*specials, *(special_tokens or [])]))
    if not texts and not specials:
        raise TokenizerError("nothing to add: give a trained tokenizer (--from) or a word list (--words)")
    old = AutoTokenizer.from_pretrained(base)
    old_vocab = old.get_vocab()
    texts = [t for t in dict.fromkeys(texts) if t not in old_vocab][: max_new or None]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    old.save_pretrained(out)
    data = json.loads(old.backend_tokenizer.to_str())
    route, proto = "tokenizers", None
    if (base / "tokenizer.model").is_file():
        from backend.tokenizer.build import sp_model_pb2

        proto = sp_model_pb2().ModelProto()
        proto.ParseFromString((base / "tokenizer.model").read_bytes())
        route = "sentencepiece" if max(old_vocab.values()) < len(proto.pieces) else "tokenizers"
    if route == "sentencepiece":
        data, added = merge_into_proto(proto, data, texts)
        (out / "tokenizer.model").write_bytes(proto.SerializeToString())
    else:
        data, added = merge_into_json(data, texts)
        (out / "tokenizer.model").unlink(missing_ok=True)  # it would no longer match tokenizer.json
    (out / "tokenizer.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    new = AutoTokenizer.from_pretrained(out)
    fresh = [t for t in specials if t not in new.get_vocab()]
    if fresh:
        new.add_special_tokens({"extra_special_tokens": fresh}, replace_extra_special_tokens=False)
    new.save_pretrained(out)
    new = AutoTokenizer.from_pretrained(out)
    _check_old_ids(old, new)
    rep = representation(data) if route == "tokenizers" else "meta"
    rows = [{"id": new.convert_tokens_to_ids(p), "piece": p, "text": to_text(p, rep)} for p in added]
    for row in rows:
        row["sub_ids"] = sub_token_ids(old, row["piece"])
    specials_rows = [{"id": new.convert_tokens_to_ids(t), "piece": t, "special": True} for t in fresh]
    report = {"base": str(base), "out": str(out), "route": route, "old_size": len(old), "new_size": len(new),
              "added": len(rows), "added_special": len(specials_rows), "model": None}  # fmt: skip
    if (base / "config.json").is_file():
        report["model"] = _extend_model(base, out, old, new, rows, specials_rows)
    (out / "extension.json").write_text(
        json.dumps({**report, "pieces": rows, "specials": specials_rows}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    return report


def _check_old_ids(old, new) -> None:
    size = len(old)
    before = old.convert_ids_to_tokens(list(range(size)))
    after = new.convert_ids_to_tokens(list(range(size)))
    moved = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    if moved:
        raise TokenizerError(f"extension moved {len(moved)} old ids (first: id {moved[0]}); nothing is usable")


def _extend_model(base: Path, out: Path, old, new, rows: list[dict], specials: list[dict]) -> dict:
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base, dtype="auto")
    before = model.get_input_embeddings().weight.shape[0]
    if len(new) > before:
        model.resize_token_embeddings(len(new), pad_to_multiple_of=64, mean_resizing=False)
    tied = model.get_output_embeddings() is None or (
        model.get_output_embeddings().weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    )
    matrices = [model.get_input_embeddings().weight]
    if not tied:
        matrices.append(model.get_output_embeddings().weight)
    with torch.no_grad():
        for weight in matrices:
            default = weight[: len(old)].float().mean(0)  # special tokens: the mean of every old row
            for row in rows:
                weight[row["id"]] = weight[row["sub_ids"]].float().mean(0).to(weight.dtype)
            for row in specials:
                weight[row["id"]] = default.to(weight.dtype)
    model.config.vocab_size = model.get_input_embeddings().weight.shape[0]
    model.save_pretrained(out, safe_serialization=True)
    for extra in ("generation_config.json",):
        if (base / extra).is_file() and not (out / extra).is_file():
            shutil.copy(base / extra, out / extra)
    rows_after = model.get_input_embeddings().weight.shape[0]
    return {"embedding_rows": [before, rows_after], "tied": tied, "dtype": str(model.dtype).removeprefix("torch.")}
