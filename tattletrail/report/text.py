"""The report for a terminal: the headline, then each item in two lines, then the tables.

Built as rich renderables so colour and width follow the terminal; `render_text` gives plain
text (no colour) for a file, an email body or a test. Every line is cut (…) rather than wrapped,
so the first screen of a 100-column terminal holds the headline and the top items.
"""

from __future__ import annotations

import io
from datetime import tzinfo
from typing import Iterable

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from tattletrail.report.model import Report, ReportItem, headline_of, middle_cut
from tattletrail.report.times import Clock

LEVEL_STYLES = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan",
                "info": "dim", "unscored": "dim"}
STATUS_STYLES = {"CRITICAL": "bold red", "WARNING": "yellow", "UNKNOWN": "magenta"}
SPARK = "▁▂▃▄▅▆▇█"
ACTOR_WIDTH = 30  # long role/session actors lose their middle: the session (the person) stays
INDENT = " " * 9


def report_renderables(report: Report, tz: tzinfo) -> list[RenderableType]:
    clock = Clock(tz, report.since, report.until)
    title = Text.assemble(("Tattletrail report", "bold"), f" · {clock.window(report.since, report.until)}"
                          f" · {report.store}")
    parts: list[RenderableType] = [
        Text(headline(report, clock), style=LEVEL_STYLES.get(report.items[0].level, "") if report.items else "green"),
        title, level_line(report)]
    if report.checks is not None:
        parts.append(checks_line(report))
    parts += [Text(""), Text(f"Highest threat first (times {clock.zone})", style="bold underline")]
    parts.extend(item_lines(item, clock) for item in report.items)
    if not report.items:
        parts.append(Text("  nothing at low or above in this window", style="dim"))
    if report.more_items:
        parts.append(Text(f"  … and {report.more_items} more items (--top to see more, --format json for all)",
                          style="dim"))
    parts += routine_lines(report) + check_lines(report)
    parts += [Text(""), timeline_line(report, clock), Text(""), actors_table(report), Text(""),
              counts_table("Regions", "region", report.regions), Text(""), *failure_tables(report),
              Text(""), counts_table("Accounts", "account", report.accounts)]
    return [_one_line(part) if isinstance(part, Text) else part for part in parts]


def _one_line(text: Text) -> Text:
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def headline(report: Report, clock: Clock) -> str:
    return headline_of(report.items[0], clock) if report.items else report.headline


def level_line(report: Report) -> Text:
    line = Text.assemble(("Threat levels: ", "bold"))
    for index, (level, n) in enumerate(report.by_level.items()):
        if index:
            line.append(" · ")
        line.append(f"{level} {n:,}", style=LEVEL_STYLES.get(level, "") if n else "dim")
    line.append(f"   ({report.total:,} events)")
    return line


def checks_line(report: Report) -> Text:
    """One line: which checks are alarming now (the checker's state), or that nobody can say."""
    status = report.checks
    assert status is not None
    if status.missing:
        return Text.assemble(("Checks now: ", "bold"), (f"unknown — no checker state for this store in "
                                                        f"{status.path}", "dim"))
    if not status.alarms:
        return Text.assemble(("Checks now: ", "bold"), ("all OK", "green"))
    line = Text.assemble(("Checks not OK now: ", "bold"))
    for index, alarm in enumerate(status.alarms):
        line.append(" · " if index else "")
        line.append(alarm.status, style=STATUS_STYLES.get(alarm.status, ""))
        line.append(f" {alarm.label}")
    return line


def item_lines(item: ReportItem, clock: Clock) -> Group:
    """`CRITICAL 22 Nov 16:42  DOE1  DeleteRoute  rtb-… · eu-west-1 · 979… · 203.0.113.7`, then its sentence."""
    first = Text()
    first.append(f"{item.level.upper():<8}", style=LEVEL_STYLES[item.level])
    first.append(f" {clock.span(item.first, item.last)}  ")
    first.append(middle_cut(item.actor, ACTOR_WIDTH), style="bold")
    first.append(f"  {item.what or item.findings[0].check}", style="bold")
    where = " · ".join(filter(None, [resource_text(item), ", ".join(item.regions), ", ".join(item.accounts),
                                     ", ".join(item.source_ips)]))
    first.append(f"  {where}" if where else "")
    return Group(_one_line(first), _one_line(Text(INDENT + sentence(item), style="italic")))


def resource_text(item: ReportItem, most: int = 2) -> str:
    """The first names and how many more: `/prod/db-host, /prod/db-user +3`."""
    shown = item.resources[:most]
    more = item.resource_count - len(shown)
    return ", ".join(shown) + (f" +{more}" if more > 0 else "")


def sentence(item: ReportItem) -> str:
    """The item's one sentence, and the error codes of its calls that the sentence doesn't name.
    A sentence about a refused call names its own code, so codes left over belong to other calls
    of the session: said as such, never as if the sentence's call had failed."""
    text = item.annotation or f"{item.actor} called {item.what}"
    errors = [error for error in item.errors if error not in text]
    if not errors:
        return text
    if item.annotation is None or any(item.annotation.startswith(found.check) for found in item.findings):
        return f"{text} ({', '.join(errors)})"  # the session's own calls (a check's finding is about them)
    return f"{text}; other calls failed: {', '.join(errors)}"


def routine_lines(report: Report) -> list[RenderableType]:
    if not report.routine:
        return []
    lines: list[RenderableType] = [Text(""), Text("Routine low-level activity (one line each, not items)",
                                                  style="bold underline")]
    lines += [Text(f"  {line.label}" + (f" (most: {line.top_actor})" if line.top_actor else ""))
              for line in report.routine]
    lines += [Text(f"  {level}: {n:,} events not read (more than the report reads)", style="dim")
              for level, n in report.unread.items()]
    return lines


def check_lines(report: Report) -> list[RenderableType]:
    lines: list[RenderableType] = []
    if report.checks and report.checks.alarms:
        lines += [Text(""), Text("Checks not OK right now (the checker's state)", style="bold underline")]
        for alarm in report.checks.alarms:
            told = f" · notified {alarm.since:%Y-%m-%d %H:%M} UTC" if alarm.since else ""
            lines.append(Text.assemble("  ", (alarm.status, STATUS_STYLES.get(alarm.status, "")),
                                       f" {alarm.label}{told}"))
    if report.check_failures:
        lines += [Text(""), Text("Checks the report could not evaluate", style="bold underline")]
        lines += [Text(f"  {failure}", style="magenta") for failure in report.check_failures]
    return lines


def timeline_line(report: Report, clock: Clock) -> Text:
    """Events per bucket as a sparkline; buckets with something at high or above are marked."""
    totals = [sum(levels.values()) for _, levels in report.timeline]
    largest = max(totals, default=0) or 1
    line = Text.assemble((f"Events per {interval_name(report)}: ", "bold"))
    for (_, levels), total in zip(report.timeline, totals):
        bar = SPARK[min(len(SPARK) - 1, round(total / largest * (len(SPARK) - 1)))] if total else " "
        risky = "critical" if levels.get("critical") else "high" if levels.get("high") else None
        line.append(bar, style=LEVEL_STYLES[risky] if risky else "")
    if report.timeline:
        line.append(f"  {clock.span(report.timeline[0][0], report.timeline[-1][0])}; red: high or critical",
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
        view.add_row(middle_cut(actor, 60), f"{events:,}", Text(f"{risky:,}", style="bold" if risky else "dim"))
    return view


def counts_table(title: str, column: str, rows: Iterable[tuple[str, int]], unit: str = "events") -> Table:
    view = _table(title)
    view.add_column(column, no_wrap=True)
    view.add_column(unit, justify="right")
    for name, n in rows:
        view.add_row(middle_cut(name, 60), f"{n:,}")
    return view


def failure_tables(report: Report) -> list[RenderableType]:
    """One table per question, each headed: who was denied, which calls, which error codes."""
    return [Text.assemble(("Denied and failed calls", "bold underline"),
                          f"  {report.denied:,} denied · {report.failed:,} failed (any errorCode)"),
            counts_table("Who was denied", "actor", report.denied_by_actor, "denied"), Text(""),
            counts_table("Which calls were denied", "eventName", report.denied_by_event_name, "denied"), Text(""),
            counts_table("Why calls failed", "errorCode", report.failed_by_error, "failed")]


def _table(title: str) -> Table:
    return Table(title=title or None, title_justify="left", title_style="bold", box=None,
                 header_style="bold", pad_edge=False)


def print_report(report: Report, tz: tzinfo, console: Console) -> None:
    for part in report_renderables(report, tz):
        if isinstance(part, Text):  # print() would wrap a Text whatever its own no_wrap says
            console.print(part, highlight=False, no_wrap=True, overflow="ellipsis")
        else:
            console.print(part, highlight=False)


def render_text(report: Report, tz: tzinfo, width: int = 100) -> str:
    """Plain text (no colour codes): for --out, a mail body, a test."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, soft_wrap=False, force_terminal=False)
    print_report(report, tz, console)
    return buffer.getvalue()
