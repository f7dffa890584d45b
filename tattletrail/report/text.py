"""The report for a terminal: the headline, then each item in three short lines, then the tables.

Built as rich renderables so colour and width follow the terminal; `render_text` gives plain
text (no colour) for a file, an email body or a test.
"""

from __future__ import annotations

import io
from datetime import datetime, tzinfo
from typing import Iterable

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from tattletrail.report.model import Report, ReportItem, headline_of, local, middle_cut

LEVEL_STYLES = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan",
                "info": "dim", "unscored": "dim"}
SPARK = "▁▂▃▄▅▆▇█"
ACTOR_WIDTH = 40  # long role/session actors lose their middle: the session (the person) stays


def zone_label(tz: tzinfo, moment: datetime) -> str:
    return getattr(tz, "key", None) or local(moment, tz).tzname() or "UTC"


def window_line(report: Report, tz: tzinfo) -> str:
    start, end = local(report.since, tz), local(report.until, tz)
    hours = (report.until - report.since).total_seconds() / 3600
    span = f"{hours:.0f}h" if hours < 72 else f"{hours / 24:.0f}d"
    return f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} {zone_label(tz, report.until)} ({span})"


def when(moment: datetime | None, tz: tzinfo) -> str:
    return f"{local(moment, tz):%Y-%m-%d %H:%M:%S}" if moment else "?"


def report_renderables(report: Report, tz: tzinfo) -> list[RenderableType]:
    title = Text.assemble(("Tattletrail report", "bold"), f" · {window_line(report, tz)} · {report.store}")
    title.no_wrap, title.overflow = True, "ellipsis"
    parts: list[RenderableType] = [
        Text(headline(report, tz), style=LEVEL_STYLES.get(report.items[0].level, "") if report.items else "green"),
        title,
        Text(""),
        level_line(report),
        Text(""),
        Text("Highest threat first", style="bold underline"),
    ]
    parts.extend(item_lines(item, tz) for item in report.items)
    if not report.items:
        parts.append(Text("  nothing at low or above in this window", style="dim"))
    if report.more_items:
        parts.append(Text(f"  … and {report.more_items} more items (--top to see more, --format json for all)",
                          style="dim"))
    parts += [Text(""), timeline_line(report, tz), Text(""), actors_table(report), Text(""),
              counts_table("Regions", "region", report.regions), Text(""), failures_table(report)]
    return parts


def headline(report: Report, tz: tzinfo) -> str:
    return headline_of(report.items[0], tz) if report.items else report.headline


def level_line(report: Report) -> Text:
    line = Text.assemble(("Threat levels: ", "bold"))
    for index, (level, n) in enumerate(report.by_level.items()):
        if index:
            line.append(" · ")
        line.append(f"{level} {n:,}", style=LEVEL_STYLES.get(level, "") if n else "dim")
    line.append(f"   ({report.total:,} events)")
    return line


def item_lines(item: ReportItem, tz: tzinfo) -> Group:
    """`HIGH  2026-11-22 16:42:07  DOE1  DeleteRoute  rtb-…`, where and from, then the annotation;
    each line cut (…) at the terminal's width rather than wrapped."""
    times = when(item.first, tz) + (f" → {when(item.last, tz)[11:]}" if item.count > 1 else "")
    count = f" ×{item.count}" if item.count > 1 else ""
    resources = ", ".join(item.resources) + (" …" if item.count > item.listed or len(item.resources) >= 5 else "")
    first = Text(no_wrap=True, overflow="ellipsis")
    first.append(f"{item.level.upper():<8}", style=LEVEL_STYLES[item.level])
    first.append(f" {times}  ")
    first.append(middle_cut(item.actor, ACTOR_WIDTH), style="bold")
    first.append(f"  {item.event_name}{count}", style="bold")
    first.append(f"  {resources}" if resources else "")
    where = " · ".join(filter(None, [", ".join(item.regions),
                                     "account " + ", ".join(item.accounts) if item.accounts else "",
                                     "from " + ", ".join(item.source_ips) if item.source_ips else "",
                                     ", ".join(item.errors)]))
    lines = [Text(""), first, Text(f"{'':9}{where}", no_wrap=True, overflow="ellipsis")]
    lines += [Text(f"{'':9}{note}", style="italic", no_wrap=True, overflow="ellipsis")
              for note in item.annotations[:2]]
    return Group(*lines)


def timeline_line(report: Report, tz: tzinfo) -> Text:
    """Events per bucket as a sparkline; buckets with something at high or above are marked."""
    totals = [sum(levels.values()) for _, levels in report.timeline]
    largest = max(totals, default=0) or 1
    line = Text.assemble((f"Events per {interval_name(report)}: ", "bold"))
    for (_, levels), total in zip(report.timeline, totals):
        bar = SPARK[min(len(SPARK) - 1, round(total / largest * (len(SPARK) - 1)))] if total else " "
        risky = "critical" if levels.get("critical") else "high" if levels.get("high") else None
        line.append(bar, style=LEVEL_STYLES[risky] if risky else "")
    if report.timeline:
        first, last = report.timeline[0][0], report.timeline[-1][0]
        line.append(f"  {local(first, tz):%d %H:%M} → {local(last, tz):%d %H:%M}; red: high or critical",
                    style="dim")
    return line


def interval_name(report: Report) -> str:
    hours = report.interval.total_seconds() / 3600
    return "hour" if hours == 1 else f"{hours:g} hours"


def actors_table(report: Report) -> Table:
    view = _table("Top actors")
    view.add_column("actor", no_wrap=True)
    view.add_column("events", justify="right")
    view.add_column("at low or above", justify="right")
    for actor, events, risky in report.top_actors:
        view.add_row(middle_cut(actor, ACTOR_WIDTH + 20), f"{events:,}",
                     Text(f"{risky:,}", style="bold" if risky else "dim"))
    return view


def counts_table(title: str, column: str, rows: Iterable[tuple[str, int]]) -> Table:
    view = _table(title)
    view.add_column(column, no_wrap=True)
    view.add_column("events", justify="right")
    for name, n in rows:
        view.add_row(name, f"{n:,}")
    return view


def failures_table(report: Report) -> Group:
    title = Text.assemble(("Denied and failed calls", "bold underline"),
                          f"  {report.denied:,} denied · {report.failed:,} failed")
    denied = counts_table("", "denied: actor",
                          [(middle_cut(actor, ACTOR_WIDTH), n) for actor, n in report.denied_by_actor])
    actions = counts_table("", "denied: eventName", report.denied_by_event_name)
    failed = counts_table("", "failed: errorCode", report.failed_by_error)
    grid = Table.grid(padding=(0, 4))
    grid.add_row(denied, actions)
    return Group(title, grid, Text(""), failed)


def _table(title: str) -> Table:
    return Table(title=title or None, title_justify="left", title_style="bold underline", box=None,
                 header_style="bold", pad_edge=False)


def print_report(report: Report, tz: tzinfo, console: Console) -> None:
    for part in report_renderables(report, tz):
        console.print(part, highlight=False)


def render_text(report: Report, tz: tzinfo, width: int = 120) -> str:
    """Plain text (no colour codes): for --out, a mail body, a test."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, soft_wrap=False, force_terminal=False)
    print_report(report, tz, console)
    return buffer.getvalue()
