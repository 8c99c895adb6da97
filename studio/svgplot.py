"""A small SVG line chart for the Runs tab's overlay of several runs.

Gradio 6.31's LinePlot fixes its colour domain from the first frame it draws; the overlay's series are
run ids that change with every selection, and lines of series it did not know were drawn without a
colour. This chart is plain SVG in a ``gr.HTML``: every selection draws exactly what it is given.
"""

from __future__ import annotations

import html
import math

from studio.i18n import tr

LABELS = {
    "en": {"empty": "no loss points yet", "step": "step"},
    "zh": {"empty": "尚无损失数据", "step": "步数"},
}
PALETTE = ("#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04", "#db2777")


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def line_chart(series: dict[str, list[tuple[float, float]]], x_label: str | None = None, height: int = 300) -> str:
    """An SVG chart with one coloured line per entry of ``series`` ({name: [(x, y), …]}) and a legend;
    ``x_label`` defaults to "step" in the current language."""
    x_label = html.escape(tr(LABELS, "step") if x_label is None else x_label)
    points = [(x, y) for pts in series.values() for x, y in pts if math.isfinite(y)]
    if not points:
        return f'<div class="studio-chart" style="color:#6b7280;padding:8px">{html.escape(tr(LABELS, "empty"))}</div>'
    width, left, right, top, bottom = 1100, 64, 16, 10, 30
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1e-9 + abs(y0) * 0.01)

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(y: float) -> float:
        return top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom)

    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="loss curves">',
        f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" '
        'fill="none" stroke="#e5e7eb"/>',
    ]
    for frac in (0, 0.5, 1):
        y = y0 + frac * (y1 - y0)
        parts.append(f'<text x="{left - 4}" y="{sy(y) + 4:.1f}" font-size="11" text-anchor="end">{_fmt(y)}</text>')
        x = x0 + frac * (x1 - x0)
        anchor = ("start", "middle", "end")[int(frac * 2)]
        parts.append(f'<text x="{sx(x):.1f}" y="{height - 12}" font-size="11" text-anchor="{anchor}">{_fmt(x)}</text>')
    parts.append(f'<text x="{width / 2}" y="{height - 1}" font-size="11" text-anchor="middle">{x_label}</text>')
    legend = []
    for i, (name, pts) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts if math.isfinite(y))
        if path:
            parts.append(
                f'<polyline class="series" data-series="{html.escape(name)}" fill="none" stroke="{color}" '
                f'stroke-width="2" points="{path}"/>'
            )
        legend.append(
            f'<span style="margin-right:14px"><span style="display:inline-block;width:12px;height:3px;'
            f'background:{color};vertical-align:middle"></span> {html.escape(name)}</span>'
        )
    parts.append("</svg>")
    return f'<div class="studio-chart">{"".join(parts)}<div style="font-size:12px">{"".join(legend)}</div></div>'
