"""Train a tokenizer on your corpus and save it as a Hugging Face tokenizer folder.

Contract:
- :func:`corpus_texts` streams the strings of text/jsonl/.jsonl.zst/... sources (files or shard
  folders, any format of :mod:`backend.data.validate`), capped by records and characters; nothing is
  loaded whole. An empty corpus is a :class:`TokenizerError`.
- :func:`train` trains a sentencepiece BPE/unigram (``kind="sp-bpe"|"sp-unigram"``; byte fallback,
  split digits, NFKC or identity normalisation, user-defined tokens) or a ``tokenizers`` byte-level BPE
  (``kind="byte-bpe"``) and writes ``tokenizer.json``, ``tokenizer_config.json``, the special tokens,
  a chat template, and for sentencepiece also ``tokenizer.model`` (what :mod:`backend.tokenizer.extend`
  merges into a sentencepiece base). The HF tokenizer is built from the trained model directly,
  never through ``LlamaTokenizer(vocab_file=...)`` or ``AutoTokenizer`` on a bare ``tokenizer.model``
  (both tokenize wrongly in transformers 5.23); the saved folder is reloaded with ``AutoTokenizer``
  and must round-trip the sample texts, else the training fails.
Extension and comparison live in ``backend.tokenizer.extend`` and ``backend.tokenizer.compare``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from backend.tokenizer.errors import TokenizerError  # defined there, imported from here

KINDS = ("sp-bpe", "sp-unigram", "byte-bpe")
NORMALISATIONS = ("identity", "nfkc", "nfkc_cf", "nmt_nfkc", "nfc")
CHAT_TOKENS = ["<|system|>", "<|user|>", "<|assistant|>", "<|endofchat|>"]  # LLMsTrainer's chat markers
# A role-marker template for CHAT_TOKENS: <|user|>\n{content}<|endofchat|>\n ...
ROLES_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|' + message['role'] + '|>\\n' + message['content'] + '<|endofchat|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|assistant|>\\n' }}{%- endif %}"
)
MAX_SENTENCE_BYTES = 1 << 16  # sentencepiece silently drops longer lines (default 4192)


def corpus_texts(sources, fmt: str = "auto", max_records: int | None = None, max_chars: int | None = None,
                 stats: dict | None = None, home=None) -> Iterator[str]:  # fmt: skip
    """Every non-empty line of every string of every valid record of ``sources``, streamed.

    A relative source is read as ``data.sources`` are: from the workspace ``home`` first, then the current
    folder (:func:`backend.workspace.resolve_data_path`); a missing one names every place looked in.

    Stops after ``max_records`` records or ``max_chars`` characters; bad records are skipped and counted
    in ``stats["skipped"]`` (``stats`` also gets ``records`` and ``chars``).
    """
    from backend.data.validate import iter_valid_records, record_texts
    from backend.workspace import data_path_tried, resolve_data_path

    stats = stats if stats is not None else {}
    stats.update(records=0, chars=0, skipped=0)
    for source in sources:
        path = resolve_data_path(str(source), home)
        if not path.exists():
            tried = ", ".join(map(str, data_path_tried(str(source), home)))
            raise TokenizerError(f"{source}: no such file or folder (looked in {tried})")
        records = iter_valid_records(path, fmt, on_error="skip")
        for record in records:
            if max_records is not None and stats["records"] >= max_records:
                break
            stats["records"] += 1
            for text in record_texts(record):
                for line in str(text).splitlines():
                    if line.strip():
                        stats["chars"] += len(line)
                        yield line
                if max_chars is not None and stats["chars"] >= max_chars:
                    return
        stats["skipped"] += records.skipped


def _specials(special_tokens, chat_tokens: bool) -> list[str]:
    out = list(dict.fromkeys([*(special_tokens or []), *(CHAT_TOKENS if chat_tokens else [])]))
    for tok in out:
        if not tok or tok != tok.strip():
            raise TokenizerError(f"special token {tok!r}: must be non-empty with no surrounding spaces")
    return out


def train(sources, out, kind: str = "sp-bpe", vocab_size: int = 10_000, character_coverage: float = 0.9995,
          byte_fallback: bool = True, split_digits: bool = True, normalization: str = "identity",
          special_tokens=None, chat_tokens: bool = False, fmt: str = "auto", max_records: int | None = None,
          max_chars: int | None = 50_000_000, model_max_length: int = 4096, home=None) -> dict:  # fmt: skip
    """Train a tokenizer on ``sources`` (relative ones read from the workspace ``home`` first, as data sources
    are) and save it as a HF tokenizer folder ``out``; a report dict.

    ``special_tokens`` are never split (e.g. ``<|im_start|>``); ``chat_tokens`` adds LLMsTrainer's
    ``<|system|> <|user|> <|assistant|> <|endofchat|>`` and a chat template using them.
    """
    if kind not in KINDS:
        raise TokenizerError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    if normalization not in NORMALISATIONS:
        raise TokenizerError(f"normalization: {normalization!r} is not one of {', '.join(NORMALISATIONS)}")
    if not 0 < character_coverage <= 1:
        raise TokenizerError(f"character_coverage: must be in (0, 1] (got {character_coverage})")
    specials = _specials(special_tokens, chat_tokens)
    stats: dict = {}
    texts = list(corpus_texts(sources, fmt, max_records, max_chars, stats, home=home))
    if not texts:
        where = ", ".join(map(str, sources))
        raise TokenizerError(f"empty corpus: no text in {where} ({stats.get('skipped', 0)} bad records skipped)")
    if kind == "byte-bpe":
        from backend.tokenizer.build import train_byte_bpe

        tok = train_byte_bpe(texts, vocab_size, specials, split_digits, normalization)
    else:
        from backend.tokenizer.build import hf_from_sentencepiece, train_sentencepiece

        if normalization == "nfc":
            raise TokenizerError("normalization: sentencepiece has no nfc rule; use identity or nfkc")
        proto = train_sentencepiece(texts, kind.removeprefix("sp-"), vocab_size, character_coverage,
                                    byte_fallback, split_digits, normalization, specials)  # fmt: skip
        tok = hf_from_sentencepiece(proto, specials)
    template = _chat_template(specials, tok)
    if template:
        tok.chat_template = template
    tok.model_max_length = model_max_length
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(out)
    if kind != "byte-bpe":
        (out / "tokenizer.model").write_bytes(proto.SerializeToString())
    report = {"kind": kind, "out": str(out), "vocab_size": len(tok), "requested_vocab_size": vocab_size,
              "special_tokens": specials, "normalization": normalization, "chat_template": bool(template),
              "corpus": {**stats, "lines": len(texts)}}  # fmt: skip
    report["roundtrip"] = check_roundtrip(out, texts[:: max(1, len(texts) // 200)], normalization)
    (out / "tokenizer_report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return report


def _chat_template(specials: list[str], tok) -> str | None:
    from backend.builtin import CHATML_TEMPLATE

    if {"<|im_start|>", "<|im_end|>"} <= set(specials):
        return CHATML_TEMPLATE
    if set(CHAT_TOKENS) <= set(specials):
        return ROLES_TEMPLATE
    return None


def normalise(text: str, normalization: str) -> str:
    """``text`` as the tokenizer's normaliser changes it (what a round trip gives back at best)."""
    import unicodedata

    form = {"nfkc": "NFKC", "nmt_nfkc": "NFKC", "nfkc_cf": "NFKC", "nfc": "NFC"}.get(normalization)
    text = unicodedata.normalize(form, text) if form else text
    return text.casefold() if normalization.endswith("_cf") else text


def check_roundtrip(folder, texts: list[str], normalization: str = "identity") -> dict:
    """Reload ``folder`` with AutoTokenizer and check decode(encode(t)) gives back every text (after the
    normaliser); raises TokenizerError naming the first text that does not."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    checked = 0
    for text in texts:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        back = tok.decode(ids, skip_special_tokens=False)
        want = normalise(text, normalization)
        if not ids or (back != want and normalization != "nmt_nfkc"):
            raise TokenizerError(f"the saved tokenizer does not round-trip {text[:60]!r}: got {back[:60]!r}")
        checked += 1
    return {"texts": checked, "ok": True}
