"""SVG charts drawn in Python, so the HTML report opens anywhere with no script and no network.

Each chart is an `<svg>` string with a `<title>` and `role="img"` (screen readers announce it)
and a `<title>` per bar (the exact numbers on hover). Colours come from LEVEL_COLOURS, chosen to
stay apart for the common colour-vision deficiencies and always paired with a text label.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, tzinfo
from html import escape

from tattletrail.report.model import local, middle_cut

# critical → low: dark red, vermilion, amber, blue (Okabe–Ito family); info: light grey.
LEVEL_COLOURS = {"critical": "#7a0019", "high": "#d55e00", "medium": "#e69f00", "low": "#0072b2",
                 "info": "#bdbdbd", "unscored": "#e0e0e0"}
INK = "#1f2328"
GRID = "#d0d7de"
BAR = "#0072b2"
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def nice_ceiling(value: float) -> int:
    """A round axis maximum at or above `value`: 1, 2, 5 × 10^n."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return int(step * power) or 1
    return int(10 * power)


def stacked_timeline(timeline: list[tuple[datetime, dict[str, int]]], levels: tuple[str, ...],
                     interval: timedelta, tz: tzinfo, title: str, width: int = 960, height: int = 240) -> str:
    """Bars per bucket, stacked by level (the first level at the bottom), with hour labels."""
    left, right, top, bottom = 44, 8, 12, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(levels_of.get(level, 0) for level in levels) for _, levels_of in timeline]
    ceiling = nice_ceiling(max(totals, default=0))
    slot = plot_w / max(1, len(timeline))
    parts = [_open(width, height, title), *_y_axis(ceiling, left, top, plot_w, plot_h)]
    label_every = max(1, math.ceil(len(timeline) / 12))
    for index, (start, counts) in enumerate(timeline):
        x = left + index * slot
        y = top + plot_h
        tooltip = f"{local(start, tz):%Y-%m-%d %H:%M}: " + ", ".join(
            f"{level} {counts.get(level, 0):,}" for level in reversed(levels) if counts.get(level))
        parts.append(f'<g><title>{escape(tooltip if totals[index] else tooltip + "no events")}</title>')
        for level in levels:
            n = counts.get(level, 0)
            if n:
                bar_h = n / ceiling * plot_h
                y -= bar_h
                parts.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(1.0, slot - 2):.1f}" '
                             f'height="{bar_h:.1f}" fill="{LEVEL_COLOURS[level]}" data-level="{level}"/>')
        parts.append("</g>")
        if index % label_every == 0:
            parts.append(_text(x + slot / 2, top + plot_h + 16, _tick(local(start, tz), interval), "middle"))
    if not any(totals):
        parts.append(_text(left + plot_w / 2, top + plot_h / 2, "no events in this window", "middle"))
    parts.append(_legend(levels, left, height - 6))
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(rows: list[tuple[str, int, int]], title: str, width: int = 460, label_width: int = 210,
                    first: str = "events", second: str | None = None) -> str:
    """One bar per row (label, value, highlighted part): the part in a darker colour, for
    "events of which at low or above". The value is written after the bar."""
    row_h, top = 22, 8
    height = top + row_h * max(1, len(rows)) + (22 if second else 6)
    plot_w = width - label_width - 56
    ceiling = max((value for _, value, _ in rows), default=0) or 1
    parts = [_open(width, height, title)]
    for index, (label, value, part) in enumerate(rows):
        y = top + index * row_h
        bar_w = value / ceiling * plot_w
        part_w = part / ceiling * plot_w
        tooltip = f"{label}: {value:,} {first}" + (f", {part:,} {second}" if second else "")
        parts.append(f"<g><title>{escape(tooltip)}</title>")
        parts.append(_text(label_width - 6, y + 15, middle_cut(label, 34), "end"))
        parts.append(f'<rect x="{label_width}" y="{y + 4}" width="{max(1.0, bar_w):.1f}" height="{row_h - 8}" '
                     f'fill="{BAR if not second else LEVEL_COLOURS["info"]}"/>')
        if part:
            parts.append(f'<rect x="{label_width}" y="{y + 4}" width="{max(2.0, part_w):.1f}" '
                         f'height="{row_h - 8}" fill="{LEVEL_COLOURS["high"]}"/>')
        parts.append(_text(label_width + bar_w + 6, y + 15, f"{value:,}", "start"))
        parts.append("</g>")
    if not rows:
        parts.append(_text(label_width, top + 14, "no events in this window", "start"))
    if second:
        y = height - 8
        parts.append(f'<rect x="{label_width}" y="{y - 9}" width="10" height="10" fill="{LEVEL_COLOURS["info"]}"/>')
        parts.append(_text(label_width + 14, y, first, "start"))
        parts.append(f'<rect x="{label_width + 70}" y="{y - 9}" width="10" height="10" '
                     f'fill="{LEVEL_COLOURS["high"]}"/>')
        parts.append(_text(label_width + 84, y, second, "start"))
    parts.append("</svg>")
    return "".join(parts)


def _open(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
            f'width="100%" style="max-width:{width}px" {FONT}><title>{escape(title)}</title>')


def _y_axis(ceiling: int, left: int, top: int, plot_w: int, plot_h: int) -> list[str]:
    parts = []
    for fraction in ((0, 0.5, 1) if ceiling % 2 == 0 else (0, 1)):
        y = top + plot_h - fraction * plot_h
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(_text(left - 6, y + 4, f"{round(ceiling * fraction):,}", "end"))
    return parts


def _tick(moment: datetime, interval: timedelta) -> str:
    if interval >= timedelta(days=1):
        return f"{moment:%d %b}"
    return f"{moment:%H:%M}" if (moment.hour or moment.minute) else f"{moment:%d %b}"


def _legend(levels: tuple[str, ...], x: float, y: float) -> str:
    parts = []
    for level in reversed(levels):
        parts.append(f'<rect x="{x:.0f}" y="{y - 9:.0f}" width="10" height="10" fill="{LEVEL_COLOURS[level]}"/>')
        parts.append(_text(x + 14, y, level, "start"))
        x += 30 + 7.5 * len(level)
    return "".join(parts)


def _text(x: float, y: float, text: str, anchor: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{INK}">{escape(text)}</text>'
