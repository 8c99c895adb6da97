"""Compare tokenizers on sample text: tokens per character for Chinese and English, the sequence-length
reduction against the first ("before") tokenizer, and how each splits one sentence.

:func:`compare` returns a JSON-ready dict (``studio tokenizer compare --json`` prints it; the Data tab
draws it). Lines of the sample are sorted into ``zh`` (at least 30 % CJK characters) and ``en`` (no
CJK, mostly ASCII letters); everything else is left out of both.
"""

from __future__ import annotations

import re
from pathlib import Path

from backend.tokenizer.train import TokenizerError, corpus_texts

DEFAULT_SOURCES = ("builtin:samples/pretrain_zh_en.jsonl",)
DEFAULT_SENTENCE = "我们今天去北京大学参观了人工智能实验室。The weather in Beijing is lovely today."
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")


def language(line: str) -> str | None:
    """``zh``, ``en`` or None (mixed or neither) for one line of text."""
    cjk = len(CJK.findall(line))
    if cjk >= 0.3 * len(line):
        return "zh"
    if cjk == 0 and len(LATIN.findall(line)) >= 0.5 * len(line):
        return "en"
    return None


def load(path: str, home=None):
    """A tokenizer from a folder or ``builtin:tiny-tokenizer``; TokenizerError when there is none."""
    from transformers import AutoTokenizer

    from backend.tokenizer.extend import has_tokenizer
    from backend.workspace import resolve_model_path, workspace_home

    folder = resolve_model_path(str(path), workspace_home(home))
    if not folder.is_dir() or not has_tokenizer(folder):
        raise TokenizerError(f"{path}: no tokenizer in this folder (expected tokenizer.json or tokenizer.model)")
    return AutoTokenizer.from_pretrained(folder)


def split(tok, text: str) -> list[dict]:
    """``text`` as the tokenizer splits it: ``{"id", "text"}`` per token (the raw piece when a token is
    only part of a UTF-8 character)."""
    ids = tok(text, add_special_tokens=False)["input_ids"]
    out = []
    for tid in ids:
        shown, piece = tok.decode([tid]), tok.convert_ids_to_tokens(tid)
        if "\ufffd" in shown:
            shown = piece
        elif piece.startswith("▁") and not shown.startswith(" "):
            shown = " " + shown  # the decoder strips a leading space; show where words start
        out.append({"id": tid, "text": shown})
    return out


def compare(tokenizers: list[str], sources=DEFAULT_SOURCES, sentence: str = DEFAULT_SENTENCE, fmt: str = "auto",
            max_records: int | None = 2000, home=None) -> dict:  # fmt: skip
    """Per tokenizer and language: characters, tokens, tokens/char and the reduction (before/after tokens)."""
    if not tokenizers:
        raise TokenizerError("give at least one tokenizer to compare")
    groups: dict[str, list[str]] = {"zh": [], "en": []}
    from backend.workspace import workspace_home

    for line in corpus_texts(sources, fmt, max_records=max_records, home=workspace_home(home)):
        lang = language(line)
        if lang:
            groups[lang].append(line)
    if not any(groups.values()):
        raise TokenizerError(f"empty corpus: no Chinese or English text in {', '.join(map(str, sources))}")
    rows, splits = [], []
    for path in tokenizers:
        tok = load(path, home)
        name = Path(str(path)).name if not str(path).startswith("builtin:") else str(path)
        row = {"tokenizer": str(path), "name": name, "vocab_size": len(tok)}
        for lang, lines in groups.items():
            chars = sum(len(x) for x in lines)
            tokens = sum(len(ids) for ids in tok(lines, add_special_tokens=False)["input_ids"]) if lines else 0
            row[lang] = {"lines": len(lines), "chars": chars, "tokens": tokens,
                         "tokens_per_char": round(tokens / chars, 4) if chars else None}  # fmt: skip
        rows.append(row)
        splits.append({"name": name, "tokens": split(tok, sentence)})
    first = rows[0]
    for row in rows:
        for lang in groups:
            before, after = first[lang]["tokens"], row[lang]["tokens"]
            row[lang]["reduction"] = round(before / after, 4) if after else None
    return {"sources": [str(s) for s in sources], "sentence": sentence, "rows": rows, "splits": splits}


def render_text(result: dict) -> str:
    """The comparison as a plain-text table and the sentence splits (for the terminal)."""
    lines = [f"{'tokenizer':32} {'vocab':>7} {'zh tok/char':>11} {'zh ×':>6} {'en tok/char':>11} {'en ×':>6}"]
    for row in result["rows"]:
        zh, en = row["zh"], row["en"]
        fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        zh_cols = f"{fmt(zh['tokens_per_char']):>11} {fmt(zh['reduction']):>6}"
        en_cols = f"{fmt(en['tokens_per_char']):>11} {fmt(en['reduction']):>6}"
        lines.append(f"{row['name'][:32]:32} {row['vocab_size']:>7} {zh_cols} {en_cols}")
    lines.append(f"\n{result['sentence']}")
    for s in result["splits"]:
        lines.append(f"{s['name']} ({len(s['tokens'])} tokens): " + " | ".join(t["text"] for t in s["tokens"]))
    return "\n".join(lines)
