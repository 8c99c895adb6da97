"""What the Data tab shows, as pure functions: an inspect report and a token preview as HTML.

The inputs are the JSON documents of ``studio data inspect --json`` and ``studio data preview --json``
(see ``cli.data``). Everything that came from a dataset (file names, field names, error
messages, token text) is HTML-escaped here, so a record holding ``<script>`` shows as text and never
runs. Colours are inline styles, so the output looks the same wherever it is placed.
"""

from __future__ import annotations

import html

from studio.i18n import lookup

MAX_TOKENS = 20_000  # tokens drawn in one preview; more would make a page of megabytes
# The inset white edge separates neighbouring tokens of the same colour without moving the text.
LOSS_STYLE = "background:#bbf7d0;color:#14532d;box-shadow:inset -1px 0 0 #fff"
MASKED_STYLE = "background:#e5e7eb;color:#6b7280;box-shadow:inset -1px 0 0 #fff"
# A rejected reply is scored too (the stage pushes its likelihood down): red, so it cannot pass for a chosen one.
REJECTED_STYLE = "background:#fecaca;color:#7f1d1d;box-shadow:inset -1px 0 0 #fff"
MERGED_MARK = "text-decoration:underline dotted #7c3aed;text-underline-offset:3px"
STAT_COLUMNS = ("count", "min", "mean", "p50", "p95", "max")
LABELS = {
    "en": {
        "format": "Format",
        "records": "Records",
        "bad": "Bad records",
        "unknown": "unknown",
        "files": "Records per file",
        "file": "File",
        "field": "Field",
        "chars": "{name} (characters)",
        "turns": "turns per conversation",
        "tokens": "tokens per record (rendered with the template)",
        "no_stats": "No valid record to measure.",
        "errors": "Bad records (first {shown} of {total})",
        "clean": "No bad records.",
        "unusable": "This source holds no usable records: a training run would stop on it.",
        "legend": "green: carries loss (the model learns it) · grey: masked (prompt, template markers) · "
        "│ sample boundary in a packed row",
        "row_counts": "{tokens} tokens, {loss} with loss, {masked} masked",
        "row_samples": "{n} samples",
        "sample": "sample {i}",
        "packed": "packed row {i}",
        "totals": "Rows: {rows} · samples: {samples} · tokens: {tokens}, of which {loss} carry loss",
        "empty": "No valid record to preview: inspect the file to see why.",
        "cut": "… {n} more tokens not drawn",
        "error": "Error",
        "template_check": "Template check",
        "pair": "pair {i} · {side}",
        "side.chosen": "prompt + chosen reply",
        "side.rejected": "prompt + rejected reply",
        "side.desirable": "prompt + desirable completion",
        "side.undesirable": "prompt + undesirable completion",
        "pair_legend": "Preference data: each pair shows the prompt (grey, masked) with the chosen reply (green) and "
        "with the rejected reply (red); both replies are scored.",
        "merged": "{n} byte pieces (ids {ids}) that only together form the character(s) {text}",
        "merged_legend": "dotted underline: byte-level pieces shown merged into the character they form",
    },
    "zh": {
        "format": "格式",
        "records": "记录数",
        "bad": "错误记录",
        "unknown": "未知",
        "files": "各文件记录数",
        "file": "文件",
        "field": "字段",
        "chars": "{name}（字符）",
        "turns": "每段对话的轮数",
        "tokens": "每条记录的 token 数（按模板渲染）",
        "no_stats": "没有可统计的有效记录。",
        "errors": "错误记录（显示前 {shown} 条，共 {total} 条）",
        "clean": "没有错误记录。",
        "unusable": "该数据源没有可用的记录：训练会因此停止。",
        "legend": "绿色：计算损失（模型学习的部分）· 灰色：被屏蔽（提示词、模板标记）· │ 打包行中的样本边界",
        "row_counts": "{tokens} 个 token，{loss} 个计算损失，{masked} 个被屏蔽",
        "row_samples": "{n} 个样本",
        "sample": "样本 {i}",
        "packed": "打包行 {i}",
        "totals": "行数：{rows} · 样本数：{samples} · token 数：{tokens}，其中 {loss} 个计算损失",
        "empty": "没有可预览的有效记录：请先检查（Inspect）该文件查看原因。",
        "cut": "… 另有 {n} 个 token 未显示",
        "error": "错误",
        "template_check": "模板检查",
        "pair": "第 {i} 对 · {side}",
        "side.chosen": "提示词 + 选中回答",
        "side.rejected": "提示词 + 拒绝回答",
        "side.desirable": "提示词 + 期望回答",
        "side.undesirable": "提示词 + 不期望回答",
        "pair_legend": "偏好数据：每一对分别显示提示词（灰色，被屏蔽）加选中回答（绿色），"
        "以及提示词加拒绝回答（红色）；两个回答都参与打分。",
        "merged": "{n} 个字节级词片（id {ids}）合起来才构成字符 {text}",
        "merged_legend": "点状下划线：字节级词片合并显示为它们组成的那个字符",
    },
}


def _t(key: str, language: str, **values) -> str:
    return lookup(LABELS, key, language).format(**values)


def esc(value) -> str:
    """``value`` as text that HTML shows literally (quotes too, so it is safe inside attributes)."""
    return html.escape(str(value), quote=True)


def error_html(message: str, language: str = "en") -> str:
    """One clear error line (never a traceback: callers pass a one-line message)."""
    return (
        f'<div class="data-error" style="color:#b91c1c;padding:6px 0"><b>{esc(_t("error", language))}:</b> '
        f"{esc(message)}</div>"
    )


def _table(head: list[str], rows: list[list], elem_class: str) -> str:
    cells = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{elem_class}"><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>'


def stats_rows(report: dict, language: str = "en") -> list[list]:
    """The length statistics of an inspect report as table rows: field, count, min, mean, p50, p95, max."""
    rows = []
    chars = (report.get("chars") or {}).items()
    named = [(_t("turns", language) if k == "turns" else _t("chars", language, name=k), v) for k, v in chars]
    if report.get("tokens"):
        named.append((_t("tokens", language), report["tokens"]))
    for name, summary in named:
        if summary.get("count"):
            rows.append([name, *(summary.get(c, "") for c in STAT_COLUMNS)])
    return rows


def report_html(report: dict, language: str = "en") -> str:
    """An inspect report (``studio data inspect --json``): summary, per-file counts, statistics, bad records."""
    fmt = report.get("format") or _t("unknown", language)
    records, bad = report.get("records", 0), report.get("bad_records", 0)
    bad_colour = "#b91c1c" if bad else "inherit"
    summary = [
        f'<b>{esc(_t("format", language))}:</b> <span class="data-format">{esc(fmt)}</span>',
        f'<b>{esc(_t("records", language))}:</b> <span class="data-records">{esc(records)}</span>',
        f'<b>{esc(_t("bad", language))}:</b> <span class="data-bad" style="color:{bad_colour}">{esc(bad)}</span>',
    ]
    parts = ['<div class="data-report">', f'<p class="data-summary">{" · ".join(summary)}</p>']
    files = report.get("files") or {}
    if len(files) > 1:
        rows = [[f, v.get("format") or "", v.get("records", 0)] for f, v in files.items()]
        head = [_t("file", language), _t("format", language), _t("records", language)]
        parts += [f"<p><b>{esc(_t('files', language))}</b></p>", _table(head, rows, "data-files")]
    stats = stats_rows(report, language)
    if stats:
        parts.append(_table([_t("field", language), *STAT_COLUMNS], stats, "data-stats"))
    else:
        parts.append(f"<p>{esc(_t('no_stats', language))}</p>")
    errors = report.get("errors") or []
    if errors:
        title = _t("errors", language, shown=len(errors), total=bad)
        lines = "\n".join(esc(e) for e in errors)
        parts.append(f'<p><b>{esc(title)}</b></p><pre class="data-errors" style="white-space:pre-wrap">{lines}</pre>')
    elif not bad and records:
        parts.append(f"<p>{esc(_t('clean', language))}</p>")
    if not records:  # `[]` or whitespace only is not "clean": inspect exits 1 and a run would stop
        parts.append(f'<p class="data-unusable" style="color:#b91c1c">{esc(_t("unusable", language))}</p>')
    parts.append("</div>")
    return "".join(parts)


def token_span(text: str, token_id: int, loss: bool, rejected: bool = False) -> str:
    """One token as a coloured span; a newline shows as ↵ before the line break it makes."""
    shown = esc(text).replace("\n", "↵\n")
    style, flag = ((REJECTED_STYLE if rejected else LOSS_STYLE), "1") if loss else (MASKED_STYLE, "0")
    return f'<span class="data-tok" data-loss="{flag}" title="id {int(token_id)}" style="{style}">{shown}</span>'


def merged_span(text: str, ids: list[int], loss: bool, rejected: bool, language: str = "en") -> str:
    """Byte-level pieces shown as the one character they form, underlined, the piece ids in the title."""
    style = ((REJECTED_STYLE if rejected else LOSS_STYLE) if loss else MASKED_STYLE) + ";" + MERGED_MARK
    title = _t("merged", language, n=len(ids), ids=" ".join(str(int(i)) for i in ids), text=text)
    return (
        f'<span class="data-tok data-merged" data-loss="{int(bool(loss))}" data-pieces="{len(ids)}" '
        f'title="{esc(title)}" style="{style}">{esc(text).replace(chr(10), "↵" + chr(10))}</span>'
    )


BOUNDARY = '<span class="data-boundary" style="color:#7c3aed;font-weight:bold">│</span>'


def row_html(row: dict, title: str, language: str = "en", budget: int = MAX_TOKENS) -> str:
    """One sample or packed row: ``title`` with its counts, then its tokens (at most ``budget`` of them)."""
    tokens, starts = row.get("tokens") or [], set(row.get("starts") or [0])
    n, loss = row.get("n_tokens", len(tokens)), row.get("loss_tokens", sum(1 for t in tokens if t["loss"]))
    counts = _t("row_counts", language, tokens=n, loss=loss, masked=n - loss)
    if len(starts) > 1:
        counts += " · " + _t("row_samples", language, n=len(starts))
    spans = []
    rejected = row.get("side") in ("rejected", "undesirable")
    shown = tokens[:budget]
    for i, tok in enumerate(shown):
        if i and i in starts:
            spans.append(BOUNDARY)
        if tok.get("cont"):
            continue  # drawn with the first piece of its character
        if tok.get("pieces"):
            run = shown[i : i + tok["pieces"]]
            loss = any(t["loss"] for t in run)
            spans.append(merged_span(tok["text"], [t["id"] for t in run], loss, rejected, language))
        else:
            spans.append(token_span(tok["text"], tok["id"], tok["loss"], rejected))
    if len(tokens) > budget:
        spans.append(f"<i>{esc(_t('cut', language, n=len(tokens) - budget))}</i>")
    side = f' data-side="{esc(row["side"])}"' if row.get("side") else ""
    return (
        f'<div class="data-row"{side} style="margin:8px 0"><div><b>{esc(title)}</b> · {esc(counts)}</div>'
        '<div class="data-tokens" style="white-space:pre-wrap;font-family:monospace;line-height:1.8;'
        f'border:1px solid #e5e7eb;padding:6px;border-radius:4px">{"".join(spans)}</div></div>'
    )


CHECK_COLORS = {"ok": "#15803d", "warn": "#b45309", "fail": "#b91c1c"}


def template_check_html(findings: list[dict], language: str = "en") -> str:
    """The "Template check" section: one line per finding (ok, warn, fail), coloured by level."""
    if not findings:
        return ""
    lines = "".join(
        f'<li class="template-{esc(f["level"])}" style="color:{CHECK_COLORS.get(f["level"], "#374151")}">'
        f"<b>{esc(f['level'])}</b> {esc(f['message'])}</li>"
        for f in findings
    )
    title = esc(_t("template_check", language))
    return f'<div class="template-check"><b>{title}</b><ul style="margin:4px 0">{lines}</ul></div>'


def preview_html(preview: dict, language: str = "en") -> str:
    """A token preview (``studio data preview --json``): a legend, totals, and every row's coloured tokens."""
    rows = preview.get("rows") or []
    if not rows:
        return f'<div class="data-preview"><p>{esc(_t("empty", language))}</p></div>'
    counts = dict(samples=preview.get("samples", len(rows)), tokens=preview.get("n_tokens", 0))
    totals = _t("totals", language, rows=len(rows), loss=preview.get("loss_tokens", 0), **counts)
    parts = [
        '<div class="data-preview">',
        template_check_html(preview.get("template_check") or [], language),
        f"<p>{esc(totals)}</p>",
        f"<p><small>{esc(_t('legend', language))}</small></p>",
    ]
    if any(r.get("side") for r in rows):
        parts.append(f'<p class="data-pair-legend"><small>{esc(_t("pair_legend", language))}</small></p>')
    if any(t.get("pieces") for r in rows for t in r.get("tokens") or []):
        parts.append(f"<p><small>{esc(_t('merged_legend', language))}</small></p>")
    budget = MAX_TOKENS
    for i, row in enumerate(rows, 1):
        if row.get("side"):
            side = _t(f"side.{row['side']}", language)
            title = _t("pair", language, i=row.get("pair", i), side=side)
        else:
            title = _t("packed" if preview.get("pack") else "sample", language, i=i)
        parts.append(row_html(row, title, language, budget))
        budget = max(0, budget - len(row.get("tokens") or []))
    parts.append("</div>")
    return "".join(parts)
