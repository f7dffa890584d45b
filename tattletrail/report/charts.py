"""SVG charts drawn in Python, so the HTML report opens anywhere with no script and no network.

Each chart is an `<svg>` string with a `<title>` and `role="img"` (screen readers announce it)
and a `<title>` per bar (the exact numbers on hover). Colours come from LEVEL_COLOURS, chosen to
stay apart for the common colour-vision deficiencies and always paired with a text label. Charts
are drawn 1200 units wide and fill the page's width up to 1200 px.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from html import escape
from typing import Any

from tattletrail.report.model import middle_cut
from tattletrail.report.times import local

# critical → low: dark red, vermilion, amber, blue (Okabe–Ito family); info: light grey.
LEVEL_COLOURS = {"critical": "#7a0019", "high": "#d55e00", "medium": "#e69f00", "low": "#0072b2",
                 "info": "#bdbdbd", "unscored": "#e0e0e0"}
THREATS = ("medium", "high", "critical")  # bottom to top: the levels that matter, on their own scale
FAINT = "#e4e7eb"  # all events, behind the threats, on the right-hand scale
INK = "#1f2328"
MUTED = "#57606a"
GRID = "#d0d7de"
BAR = "#0072b2"
WIDTH = 1200
FONT = 'font-family="system-ui, sans-serif" font-size="15"'  # ~9 px at 800 px wide; the page's own size at 1200


def nice_ceiling(value: float) -> int:
    """A round axis maximum at or above `value`: 1, 2, 5 × 10^n."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return int(step * power) or 1
    return int(10 * power)


def threat_timeline(timeline: list[tuple[datetime, dict[str, int]]], interval: timedelta, tz: Any, zone: str,
                    title: str, height: int = 270) -> str:
    """Medium, high and critical events per bucket, stacked on their own (left) scale; all events
    as a faint bar behind each, on the right-hand scale. The axis names the hours and, under
    them, each day."""
    left, right, top, bottom = 48, 64, 14, 62
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    threats = [sum(counts.get(level, 0) for level in THREATS) for _, counts in timeline]
    totals = [sum(counts.values()) for _, counts in timeline]
    ceiling, all_ceiling = nice_ceiling(max(threats, default=0)), nice_ceiling(max(totals, default=0))
    slot = plot_w / max(1, len(timeline))
    parts = [_open(WIDTH, height, title), *_y_axis(ceiling, left, top, plot_w, plot_h)]
    parts += [_text(left + plot_w + 6, top + 4, f"{all_ceiling:,}", "start", MUTED),
              _text(left + plot_w + 6, top + plot_h + 4, "0", "start", MUTED)]
    for index, (start, counts) in enumerate(timeline):
        x, base = left + index * slot, top + plot_h
        tooltip = (f"{local(start, tz):%Y-%m-%d %H:%M} {zone}: " + ", ".join(
            f"{level} {counts.get(level, 0):,}" for level in reversed(THREATS)) + f" · all events {totals[index]:,}")
        parts.append(f"<g><title>{escape(tooltip)}</title>")
        faint_h = totals[index] / all_ceiling * plot_h
        parts.append(f'<rect x="{x + 1:.1f}" y="{base - faint_h:.1f}" width="{max(1.0, slot - 2):.1f}" '
                     f'height="{faint_h:.1f}" fill="{FAINT}" data-level="all"/>')
        y: float = base
        for level in THREATS:
            n = counts.get(level, 0)
            if n:
                bar_h = max(2.0, n / ceiling * plot_h)
                y -= bar_h
                parts.append(f'<rect x="{x + slot * 0.2:.1f}" y="{y:.1f}" width="{max(2.0, slot * 0.6):.1f}" '
                             f'height="{bar_h:.1f}" fill="{LEVEL_COLOURS[level]}" data-level="{level}"/>')
        parts.append("</g>")
    parts += _time_axis(timeline, interval, tz, left, top + plot_h, slot)
    if not any(totals):
        parts.append(_text(left + plot_w / 2, top + plot_h / 2, "no events in this window", "middle"))
    parts.append(_legend(left, height - 8))
    parts.append("</svg>")
    return "".join(parts)


def _time_axis(timeline: list[tuple[datetime, dict[str, int]]], interval: timedelta, tz: Any, left: float,
               base: float, slot: float) -> list[str]:
    """Hours on the first row (every few, on round hours); each day's date under its first bucket."""
    parts: list[str] = []
    hours = interval.total_seconds() / 3600
    every = max(1, math.ceil(len(timeline) / (WIDTH / 60)))  # a label per ~60 units
    previous_day = None
    for index, (start, _) in enumerate(timeline):
        moment = local(start, tz)
        x = left + index * slot
        if hours < 24 and moment.hour % max(1, round(every * hours)) == 0:
            parts.append(_text(x, base + 16, f"{moment:%H:%M}", "middle"))
        if moment.date() != previous_day:
            if previous_day is not None:
                parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{base - 200}" y2="{base + 34}" stroke="{GRID}" '
                             'stroke-dasharray="3 3"/>')
            if hours >= 24 or index == 0 or moment.hour == 0:
                parts.append(_text(x + 2, base + 34, f"{moment:%a} {moment.day} {moment:%b}", "start", MUTED))
            previous_day = moment.date()
    return parts


def horizontal_bars(rows: list[tuple[str, int, int]], title: str, label_width: int = 420,
                    first: str = "events", second: str | None = None) -> str:
    """One bar per row (label, value, highlighted part): the part in a darker colour, for
    "events of which at low or above". The value is written after the bar."""
    row_h, top = 27, 8
    height = top + row_h * max(1, len(rows)) + (24 if second else 6)
    plot_w = WIDTH - label_width - 140  # room for `2,046 (197)` after the longest bar
    ceiling = max((value for _, value, _ in rows), default=0) or 1
    parts = [_open(WIDTH, height, title)]
    for index, (label, value, part) in enumerate(rows):
        y = top + index * row_h
        bar_w = value / ceiling * plot_w
        part_w = part / ceiling * plot_w
        tooltip = f"{label}: {value:,} {first}" + (f", {part:,} {second}" if second else "")
        parts.append(f"<g><title>{escape(tooltip)}</title>")
        parts.append(_text(label_width - 8, y + 18, middle_cut(label, 46), "end"))
        parts.append(f'<rect x="{label_width}" y="{y + 5}" width="{max(1.0, bar_w):.1f}" height="{row_h - 9}" '
                     f'fill="{BAR if not second else LEVEL_COLOURS["info"]}"/>')
        if part:
            parts.append(f'<rect x="{label_width}" y="{y + 5}" width="{max(2.0, part_w):.1f}" '
                         f'height="{row_h - 9}" fill="{LEVEL_COLOURS["high"]}"/>')
        parts.append(_text(label_width + bar_w + 6, y + 18, f"{value:,}" + (f" ({part:,})" if part else ""),
                           "start"))
        parts.append("</g>")
    if not rows:
        parts.append(_text(label_width, top + 14, "no events in this window", "start"))
    if second:
        y = height - 8
        parts.append(_swatch(label_width, y, LEVEL_COLOURS["info"]) + _text(label_width + 16, y, first, "start"))
        parts.append(_swatch(label_width + 80, y, LEVEL_COLOURS["high"])
                     + _text(label_width + 96, y, second, "start"))
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


def _legend(x: float, y: float) -> str:
    parts = []
    for level in reversed(THREATS):
        parts.append(_swatch(x, y, LEVEL_COLOURS[level]) + _text(x + 16, y, level, "start"))
        x += 36 + 7.5 * len(level)
    parts.append(_swatch(x, y, FAINT) + _text(x + 16, y, "all events (right-hand scale)", "start", MUTED))
    return "".join(parts)


def _swatch(x: float, y: float, colour: str) -> str:
    return f'<rect x="{x:.0f}" y="{y - 10:.0f}" width="11" height="11" fill="{colour}"/>'


def _text(x: float, y: float, text: str, anchor: str, colour: str = INK) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{colour}">{escape(text)}</text>'
