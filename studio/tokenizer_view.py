"""The Data tab's Tokenizer section: train a tokenizer, extend a base model with it, compare before/after.

Contract:
- Each button runs ``studio tokenizer train|extend|compare ... --json`` (as ``python -m
  cli.tokenizer``, the same parser ``studio tokenizer`` uses) in a subprocess with a timeout:
  the UI process never imports torch or transformers. The three commands are shown and follow the form.
- The comparison is drawn from its JSON: a table (tokens per character for zh and en, the length
  reduction against "before"), a bar chart (inline SVG) and the sentence split side by side. All text
  that came from a tokenizer or a file is HTML-escaped. Errors are one line, never a traceback.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from backend.tokenizer.compare import DEFAULT_SENTENCE  # noqa: F401 - the tab's default sentence
from backend.tokenizer.train import KINDS
from studio.data_files import DataTabError, run_json
from studio.data_view import error_html, esc
from studio.i18n import lookup

PROGRAM = [sys.executable, "-m", "cli"]
TRAIN_TIMEOUT_S, EXTEND_TIMEOUT_S, COMPARE_TIMEOUT_S = 600, 600, 300
COLOURS = ("#94a3b8", "#2563eb", "#16a34a", "#f97316")
SPLIT_STYLES = ("background:#dbeafe", "background:#fde68a")
LABELS = {
    "en": {
        "section": "Tokenizer: train, extend a model's vocabulary, compare",
        "guide": "1. **Train** a tokenizer on your corpus. 2. **Extend** a base model with its new pieces: old ids "
        "stay, new embedding rows start as the mean of their old sub-tokens. 3. **Compare** tokens per character "
        "before and after. Then continue-pretrain the extended model with `method.type: full`, or LoRA with "
        "`method.lora.modules_to_save: [embed_tokens, lm_head]` (or freeze with `trainable_layers: 0` and "
        "`extra_modules: [embed_tokens, lm_head]` to train the embeddings only).",
        "corpus": "Corpus (text/jsonl/.jsonl.zst file or shard folder)",
        "kind": "Tokenizer kind",
        "vocab": "Vocabulary size",
        "chat": "Add <|system|> <|user|> <|assistant|> <|endofchat|>",
        "tok_out": "Save the trained tokenizer to",
        "train": "1. Train tokenizer",
        "base": "Base model (or tokenizer) to extend",
        "ext_out": "Save the extended model to",
        "extend": "2. Extend base",
        "before": "Before (tokenizer or model folder)",
        "after": "After",
        "sentence": "Sentence to split",
        "compare": "3. Compare",
        "commands": "Tokenizer commands",
        "trained": "Trained a {kind} tokenizer with {n} tokens in {out} (round trip checked on {texts} texts).",
        "extended": "{old} → {new} tokens ({added} pieces, {special} special, {route} merge) in {out}.",
        "rows": "Embedding rows {a} → {b} ({tied}); new rows = mean of their old sub-token rows.",
        "tokenizer": "Tokenizer",
        "vocab_col": "Vocab",
        "zh_tpc": "zh tokens/char",
        "zh_red": "zh shorter ×",
        "en_tpc": "en tokens/char",
        "en_red": "en shorter ×",
        "chart": "Tokens per character (lower is shorter)",
        "split": "How each splits the sentence",
        "n_tokens": "{n} tokens",
    },
    "zh": {
        "section": "分词器：训练、扩充模型词表、对比",
        "guide": "1. **训练**：在你的语料上训练分词器。2. **扩充**：把新词片加入基座模型，"
        "旧 id 保持不变，新嵌入行初始化为其旧子词嵌入的均值。3. **对比**：扩充前后每字符 token 数。"
        "之后用 `method.type: full` 继续预训练扩充后的模型，或用 LoRA 并设置 "
        "`method.lora.modules_to_save: [embed_tokens, lm_head]`（或用 freeze，`trainable_layers: 0`、"
        "`extra_modules: [embed_tokens, lm_head]`，只训练嵌入）。",
        "corpus": "语料（text/jsonl/.jsonl.zst 文件或分片目录）",
        "kind": "分词器类型",
        "vocab": "词表大小",
        "chat": "加入 <|system|> <|user|> <|assistant|> <|endofchat|>",
        "tok_out": "训练好的分词器保存到",
        "train": "1. 训练分词器",
        "base": "要扩充的基座模型（或分词器）",
        "ext_out": "扩充后的模型保存到",
        "extend": "2. 扩充基座",
        "before": "扩充前（分词器或模型目录）",
        "after": "扩充后",
        "sentence": "用于切分展示的句子",
        "compare": "3. 对比",
        "commands": "分词器命令",
        "trained": "已训练 {kind} 分词器，共 {n} 个 token，保存在 {out}（已在 {texts} 条文本上验证可还原）。",
        "extended": "{old} → {new} 个 token（新增 {added} 个词片、{special} 个特殊 token，{route} 合并），"
        "保存在 {out}。",
        "rows": "嵌入行数 {a} → {b}（{tied}）；新行 = 其旧子词嵌入的均值。",
        "tokenizer": "分词器",
        "vocab_col": "词表",
        "zh_tpc": "中文 token/字",
        "zh_red": "中文缩短倍数",
        "en_tpc": "英文 token/字符",
        "en_red": "英文缩短倍数",
        "chart": "每字符 token 数（越低越短）",
        "split": "各分词器对句子的切分",
        "n_tokens": "{n} 个 token",
    },
}


def _t(key: str, language: str, **values) -> str:
    return lookup(LABELS, key, language).format(**values)


def _need(value, what: str) -> str:
    value = str(value or "").strip()
    if not value:
        raise DataTabError(f"{what}: empty; fill it in")
    return value


def train_argv(home, corpus, kind, vocab, chat, out) -> list[str]:
    """The argv (after the program) of ``studio tokenizer train ... --json``."""
    vocab = int(vocab or 0)
    if vocab < 1:
        raise DataTabError("vocabulary size must be a positive number")
    if kind not in KINDS:
        raise DataTabError(f"tokenizer kind must be one of {', '.join(KINDS)}")
    tail = [_need(corpus, "corpus"), "--out", _need(out, "tokenizer folder"), "--kind", kind]
    tail += ["--vocab-size", str(vocab), *(["--chat-tokens"] if chat else [])]
    return ["--home", str(home), "tokenizer", "train", *tail, "--json"]


def extend_argv(home, base, source, out) -> list[str]:
    """The argv of ``studio tokenizer extend ... --json``."""
    tail = ["--base", _need(base, "base model"), "--from", _need(source, "trained tokenizer folder")]
    return ["--home", str(home), "tokenizer", "extend", *tail, "--out", _need(out, "extended model folder"), "--json"]


def compare_argv(home, before, after, corpus, sentence) -> list[str]:
    """The argv of ``studio tokenizer compare ... --json`` (``after`` may be empty: one tokenizer)."""
    toks = [_need(before, "before tokenizer")] + ([str(after).strip()] if str(after or "").strip() else [])
    extra = ["--sentence", str(sentence)] if str(sentence or "").strip() else []
    return ["--home", str(home), "tokenizer", "compare", *toks, "--source", _need(corpus, "corpus"), *extra, "--json"]


def commands_text(home, corpus, kind, vocab, chat, tok_out, base, ext_out, before, after, sentence) -> str:
    """The three commands the buttons run, as shell lines (``studio`` = ``python -m cli``)."""
    lines = []
    for title, build in (("# 1. Train:", lambda: train_argv(home, corpus, kind, vocab, chat, tok_out)),
                         ("# 2. Extend:", lambda: extend_argv(home, base, tok_out, ext_out)),
                         ("# 3. Compare:", lambda: compare_argv(home, before, after, corpus, sentence))):  # fmt: skip
        try:
            lines += [title, shlex.join(["studio", *build()])]
        except (DataTabError, ValueError) as exc:
            lines += [title, f"# {exc}"]
    return "\n".join(lines)


def run(kind: str, argv: list[str], language: str = "en") -> tuple[str, dict]:
    """Run one tokenizer command; (HTML, the kept result ``{"kind", "data"}``)."""
    timeout = {"train": TRAIN_TIMEOUT_S, "extend": EXTEND_TIMEOUT_S}.get(kind, COMPARE_TIMEOUT_S)
    try:
        result = {"kind": kind, "data": run_json(argv, timeout, program=PROGRAM)}
    except DataTabError as exc:
        result = {"kind": "error", "data": str(exc)}
    return render(result, language), result


def render(result: dict | None, language: str = "en") -> str:
    """A kept result as HTML in ``language``."""
    if not result:
        return ""
    kind, data = result["kind"], result["data"]
    if kind == "error":
        return error_html(data, language)
    if kind == "train":
        text = _t("trained", language, kind=data["kind"], n=data["vocab_size"], out=data["out"],
                  texts=data["roundtrip"]["texts"])  # fmt: skip
        return f'<p class="tok-result">{esc(text)}</p>'
    if kind == "extend":
        text = _t("extended", language, old=data["old_size"], new=data["new_size"], added=data["added"],
                  special=data["added_special"], route=data["route"], out=data["out"])  # fmt: skip
        if data.get("model"):
            a, b = data["model"]["embedding_rows"]
            text += " " + _t("rows", language, a=a, b=b, tied="tied" if data["model"]["tied"] else "untied")
        return f'<p class="tok-result">{esc(text)}</p>'
    return compare_html(data, language)


def _num(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def chart_svg(rows: list[dict], language: str = "en") -> str:
    """Grouped bars: tokens per character of each tokenizer, for zh and for en."""
    values = [r[lang]["tokens_per_char"] or 0 for r in rows for lang in ("zh", "en")]
    top = max(values + [1e-9])
    width, height, left, bar = 520, 180, 40, 26
    parts = [f'<svg class="tok-chart" viewBox="0 0 {width} {height + 40}" width="{width}" role="img" '
             f'aria-label="{esc(_t("chart", language))}">']  # fmt: skip
    for g, lang in enumerate(("zh", "en")):
        x0 = left + g * (width - left) / 2
        for i, row in enumerate(rows):
            v = row[lang]["tokens_per_char"] or 0
            h = v / top * (height - 20)
            x = x0 + i * (bar + 6)
            colour = COLOURS[i % len(COLOURS)]
            parts.append(f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{bar}" height="{h:.1f}" fill="{colour}">'
                         f"<title>{esc(row['name'])}: {v:.3f}</title></rect>")  # fmt: skip
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - h - 3:.1f}" font-size="10" '
                         f'text-anchor="middle">{v:.2f}</text>')  # fmt: skip
        parts.append(f'<text x="{x0 + 20:.1f}" y="{height + 16}" font-size="12">{lang}</text>')
    legend = "".join(f'<tspan fill="{COLOURS[i % len(COLOURS)]}">■ {esc(r["name"])}  </tspan>'
                     for i, r in enumerate(rows))  # fmt: skip
    parts.append(f'<text x="{left}" y="{height + 34}" font-size="11">{legend}</text></svg>')
    return "".join(parts)


def compare_html(result: dict, language: str = "en") -> str:
    """The comparison: table, chart and the sentence split by each tokenizer side by side."""
    rows = result.get("rows") or []
    head = ["tokenizer", "vocab_col", "zh_tpc", "zh_red", "en_tpc", "en_red"]
    cells = "".join(f"<th>{esc(_t(h, language))}</th>" for h in head)
    body = "".join(
        f"<tr><td>{esc(r['name'])}</td><td>{r['vocab_size']}</td><td>{_num(r['zh']['tokens_per_char'])}</td>"
        f"<td>{_num(r['zh']['reduction'], 2)}</td><td>{_num(r['en']['tokens_per_char'])}</td>"
        f"<td>{_num(r['en']['reduction'], 2)}</td></tr>"
        for r in rows
    )
    table = f'<table class="tok-compare"><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>'
    columns = []
    for split in result.get("splits") or []:
        spans = "".join(
            f'<span class="tok-piece" title="id {int(t["id"])}" style="{SPLIT_STYLES[i % 2]}">{esc(t["text"])}</span>'
            for i, t in enumerate(split["tokens"])
        )
        count = esc(_t("n_tokens", language, n=len(split["tokens"])))
        columns.append(f'<div style="flex:1;min-width:0"><b>{esc(split["name"])}</b> · {count}'
                       f'<div class="tok-split" style="white-space:pre-wrap;font-family:monospace;line-height:1.8">'
                       f"{spans}</div></div>")  # fmt: skip
    return (
        f'<div class="tok-report">{table}<p><b>{esc(_t("chart", language))}</b></p>{chart_svg(rows, language)}'
        f"<p><b>{esc(_t('split', language))}</b>: {esc(result.get('sentence', ''))}</p>"
        f'<div style="display:flex;gap:16px">{"".join(columns)}</div></div>'
    )


def default_paths(home) -> tuple[str, str]:
    """Default output folders under the workspace's models/."""
    models = Path(home) / "models"
    return str(models / "my-tokenizer"), str(models / "tiny-llama-extended")
