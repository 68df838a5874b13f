"""Server-side SVG charts: markup built here, no script and no network at run time.

Only presentation attributes and classes (the pages' CSP allows no inline style); every
text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 720
HEIGHT = 240
LEFT = 64
RIGHT = 16
TOP = 16
BOTTOM = 40


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar (a day or an hour)
    value: float  # in the chart's unit (dollars)
    title: str  # the bar's tooltip and accessible text


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = float(10 ** (len(str(int(value))) - 1))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return value


def spend_chart(
    bars: Sequence[Bar],
    *,
    label: str,
    budget: float | None,
    budget_label: str,
    money: str,
) -> Markup:
    """Bars of spend per bucket against a horizontal budget line (when there is one).
    `money` formats an axis value, e.g. `"${:,.2f}"`."""
    top_value = max([bar.value for bar in bars] + [budget or 0.0])
    scale_max = _nice_max(top_value)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / scale_max

    parts = [
        f'<svg data-testid="spend-chart" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" preserveAspectRatio="xMidYMid meet" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
    ]
    for tick in range(5):
        value = scale_max * tick / 4
        ty = y(value)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}"/>'
        )
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">'
            f"{escape(money.format(value))}</text>"
        )
    count = max(len(bars), 1)
    slot = plot_w / count
    bar_w = max(slot * 0.7, 1.0)
    label_every = max(1, count // 12)
    for index, bar in enumerate(bars):
        x = LEFT + index * slot + (slot - bar_w) / 2
        top = y(bar.value)
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{top:.1f}" width="{bar_w:.1f}" '
            f'height="{TOP + plot_h - top:.1f}"><title>{escape(bar.title)}</title></rect>'
        )
        if index % label_every == 0:
            parts.append(
                f'<text class="axis" x="{x + bar_w / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle">{escape(bar.label)}</text>'
            )
    if budget is not None:
        by = y(budget)
        parts.append(
            f'<line class="budget" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{by:.1f}" '
            f'y2="{by:.1f}"><title>{escape(budget_label)}</title></line>'
        )
        parts.append(
            f'<text class="budget-label" x="{WIDTH - RIGHT}" y="{by - 4:.1f}" '
            f'text-anchor="end">{escape(budget_label)}</text>'
        )
    parts.append(
        f'<line class="axis-line" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
        f'y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def cap_bar(fraction: float) -> Markup:
    """The filled share of a spend cap's bar (the caller wraps it in role="progressbar")."""
    share = min(max(fraction, 0.0), 1.0)
    level = "over" if fraction >= 1 else "high" if fraction >= 0.8 else "ok"
    return Markup(
        '<svg class="cap-bar-svg" viewBox="0 0 100 8" preserveAspectRatio="none" '
        'aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">'
        '<rect class="cap-track" x="0" y="0" width="100" height="8"/>'
        f'<rect class="cap-fill cap-{level}" x="0" y="0" width="{share * 100:.2f}" height="8"/>'
        "</svg>"
    )
