"""A small SVG line chart: the Train tab's live plots, the Runs tab's loss chart and its overlay of runs.

Gradio 6.31's LinePlot fixes its colour domain from the first frame it draws (lines of series it did not
know were drawn without a colour), clips its legend and axis titles in a narrow column, and draws an
empty frame as a "0.000000" axis. This chart is plain SVG in a ``gr.HTML``:

- every call draws exactly the series it is given, each with its own colour *and* dash pattern / point
  markers (``STYLES``), so loss, its smoothed curve and eval loss can be told apart in grey scale too;
- the legend and the axis titles are HTML beside and under the SVG, so they wrap and are never clipped;
  tick labels have a margin sized for their longest text;
- a chart with no finite point is an empty-state text (in English and Chinese, the one shown following
  the page's language switch through an attribute of ``<body>``; see ``_I18N_CSS``), never an axis of zeros.
"""

from __future__ import annotations

import html
import math

from studio.i18n import tr

LABELS = {"en": {"step": "step"}, "zh": {"step": "步数"}}
PALETTE = ("#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04", "#db2777")
# Series drawn in a fixed style wherever they appear: (colour, dash pattern or "", width, point markers).
STYLES = {
    "loss": ("#93c5fd", "", 1.5, False),
    "loss (EMA)": ("#1d4ed8", "", 2.5, False),
    "eval_loss": ("#ea580c", "6 4", 2, True),
    "best": ("#16a34a", "2 3", 1.5, False),
    "learning_rate": ("#9333ea", "", 2, False),
    "grad_norm": ("#0891b2", "", 2, False),
    "tokens_per_s": ("#2563eb", "", 2, False),
    "tokens_per_s_per_device": ("#ca8a04", "5 3", 2, False),
}
EMPTY = {"en": "no points yet", "zh": "暂无数据点"}
# Only the text of the page's language shows: the header's switch sets <body data-studio-lang> (studio.i18n's
# LOAD_JS and SAVE_JS). An
# attribute of <body>, not a `:has()` on the radio, which can make every DOM update restyle the whole page.
_I18N_CSS = (
    "<style>.studio-i18n-zh{display:none}"
    'body[data-studio-lang="zh"] .studio-i18n-zh{display:inline}'
    'body[data-studio-lang="zh"] .studio-i18n-en{display:none}</style>'
)


def bilingual(texts: dict[str, str]) -> str:
    """``texts`` ({"en": …, "zh": …}) as two spans of which only the page's language shows."""
    return _I18N_CSS + "".join(
        f'<span class="studio-i18n-{lang}">{html.escape(texts[lang])}</span>' for lang in ("en", "zh")
    )


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _style(name: str, i: int) -> tuple[str, str, float, bool]:
    return STYLES.get(name) or (PALETTE[i % len(PALETTE)], "", 2, False)


def line_chart(
    series: dict[str, list[tuple[float, float]]],
    x_label: str | None = None,
    height: int = 300,
    empty: dict[str, str] | None = None,
    label: str = "loss curves",
) -> str:
    """An SVG chart with one styled line per entry of ``series`` ({name: [(x, y), …]}) and an HTML legend;
    an empty-state text (``empty``, default ``EMPTY``) when no series has a finite point; ``x_label`` defaults
    to "step" in the session's language."""
    x_label = tr(LABELS, "step") if x_label is None else x_label
    points = [(x, y) for pts in series.values() for x, y in pts if math.isfinite(y)]
    if not points:
        text = bilingual(empty or EMPTY)
        return f'<div class="studio-chart studio-chart-empty" style="color:#6b7280;padding:8px">{text}</div>'
    y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
    ticks = [y0 + frac * ((y1 if y1 > y0 else y0 + 1e-9 + abs(y0) * 0.01) - y0) for frac in (0, 0.5, 1)]
    width, right, top, bottom = 600, 12, 10, 24
    left = 12 + 7 * max(len(_fmt(y)) for y in ticks)  # room for the longest tick label (11px font)
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), ticks[-1]

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(y: float) -> float:
        return top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom)

    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{html.escape(label)}" '
        'style="overflow:visible">',
        f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" '
        'fill="none" stroke="#e5e7eb"/>',
    ]
    for frac, y in zip((0, 0.5, 1), ticks, strict=True):
        parts.append(f'<text x="{left - 4}" y="{sy(y) + 4:.1f}" font-size="11" text-anchor="end">{_fmt(y)}</text>')
        x = x0 + frac * (x1 - x0)
        anchor = ("start", "middle", "end")[int(frac * 2)]
        parts.append(f'<text x="{sx(x):.1f}" y="{height - 8}" font-size="11" text-anchor="{anchor}">{_fmt(x)}</text>')
    legend = []
    for i, (name, pts) in enumerate(series.items()):
        color, dash, stroke, marks = _style(name, i)
        drawn = [(sx(x), sy(y)) for x, y in pts if math.isfinite(y)]
        if not drawn:
            continue
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in drawn)
        parts.append(
            f'<polyline class="series" data-series="{html.escape(name)}" data-n="{len(drawn)}" fill="none" '
            f'stroke="{color}" stroke-width="{stroke}"{dashed} points="{path}"/>'
        )
        if marks or len(drawn) == 1:  # a single point has no line to show
            parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in drawn]
        swatch = (
            '<svg width="26" height="8" style="display:inline-block;vertical-align:middle">'
            f'<line x1="1" y1="4" x2="25" y2="4" '
            f'stroke="{color}" stroke-width="{stroke}"{dashed}/>'
            + (f'<circle cx="13" cy="4" r="3" fill="{color}"/>' if marks else "")
            + "</svg>"
        )
        legend.append(f'<span class="legend-item" style="white-space:nowrap;margin-right:14px">{swatch} '
                      f"{html.escape(name)}</span>")  # fmt: skip
    parts.append("</svg>")
    axis = f'<div style="text-align:center;font-size:11px;color:#374151">{html.escape(x_label)}</div>'
    legend_html = f'<div class="studio-legend" style="font-size:12px;line-height:1.8">{"".join(legend)}</div>'
    # The top padding keeps the block's label badge (Gradio draws it over the content) off the top tick.
    return f'<div class="studio-chart" style="padding-top:22px">{"".join(parts)}{axis}{legend_html}</div>'


def frame_chart(frame, height: int = 220, label: str = "chart") -> str:
    """A long DataFrame (step, series, value; see ``studio.live.metric_frame``) as a ``line_chart``, its series
    in the order they first appear (the seeded NaN rows fix that order)."""
    series: dict[str, list[tuple[float, float]]] = {}
    for step, name, value in frame[["step", "series", "value"]].itertuples(index=False):
        series.setdefault(name, []).append((float(step), float(value)))
    return line_chart(series, height=height, label=label)
