"""What an alert says, independent of where it goes: Slack, email and SNS render this one summary.

Keeping the wording here means a Slack message and an email of the same alert say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tattletrail.alert import Alert

COLOURS = {"RECOVERY": "#2eb67d", "OK": "#2eb67d", "WARNING": "#ecb22e", "CRITICAL": "#e01e5a",
           "UNKNOWN": "#868686", "TEST": "#36c5f0"}
MARKS = {"RECOVERY": "✅", "OK": "✅", "WARNING": "⚠️", "CRITICAL": "🔴", "UNKNOWN": "❔", "TEST": "🧪"}


@dataclass(frozen=True)
class AlertSummary:
    status_label: str                 # RECOVERY, CRITICAL, WARNING, UNKNOWN, OK
    headline: str                     # "CRITICAL: root-activity [account=111122223333]"
    colour: str                       # hex, by status
    mark: str                         # an emoji for chat, by status
    lead: str                         # one sentence: what happened
    description: str
    facts: tuple[tuple[str, str], ...]  # (label, value): count vs thresholds, window, group, previous
    sample_lines: tuple[str, ...]     # the samples shown
    more: int                         # matching events not shown (samples cut + suppressed)
    explore_url: str | None
    explore_command: str | None


def summarize(alert: Alert, max_samples: int) -> AlertSummary:
    label = "RECOVERY" if alert.is_recovery else alert.status.name
    style = "TEST" if alert.kind == "test" else label
    headline = ("TEST " if alert.kind == "test" else "") + alert.title
    shown = alert.samples[:max(max_samples, 0)]
    return AlertSummary(
        status_label=label, headline=headline, colour=COLOURS[style], mark=MARKS[style],
        lead=_lead(alert, label), description=alert.description, facts=tuple(_facts(alert)),
        sample_lines=tuple(sample.line() for sample in shown),
        more=len(alert.samples) - len(shown) + alert.suppressed,
        explore_url=alert.explore_url, explore_command=alert.explore_command)


def _lead(alert: Alert, label: str) -> str:
    if alert.kind == "test":
        return "A test alert from Tattletrail: if you can read this, the destination works."
    if label == "RECOVERY":
        return f"Back to OK (was {alert.previous.name})." + (f" {alert.message}" if alert.message else "")
    return alert.message or f"{alert.check} is {label}."


def _facts(alert: Alert) -> list[tuple[str, str]]:
    facts = []
    if alert.count is not None:
        facts.append(("Count", count_against_thresholds(alert)))
    facts.append(("Window", window_text(alert.window_start, alert.window_end)))
    if alert.group:
        facts.append(("Group", alert.group_label))
    if alert.previous is not alert.status:
        facts.append(("Previously", alert.previous.name))
    if alert.severity:
        facts.append(("Severity", alert.severity))
    if alert.tags:
        facts.append(("Tags", ", ".join(alert.tags)))
    return facts


def count_against_thresholds(alert: Alert) -> str:
    """`12 events (warning ≥ 5, critical ≥ 10)`; `≤` for checks that alert when the count is low."""
    sign = "≤" if alert.direction == "below" else "≥"
    limits = [f"{name} {sign} {_number(value)}" for name, value in
              (("warning", alert.warning), ("critical", alert.critical)) if value is not None]
    noun = "event" if alert.count == 1 else "events"
    return f"{alert.count} {noun}" + (f" ({', '.join(limits)})" if limits else "")


def window_text(start: datetime, end: datetime) -> str:
    """`2026-11-22 16:00 → 16:15 UTC (15 min)`; the end carries its date when the day changes."""
    minutes = round((end - start).total_seconds() / 60)
    length = f"{minutes // 60} h" if minutes and minutes % 60 == 0 else f"{minutes} min"
    end_format = "%H:%M" if start.date() == end.date() else "%Y-%m-%d %H:%M"
    return f"{start:%Y-%m-%d %H:%M} → {end.strftime(end_format)} UTC ({length})"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def plain_text(summary: AlertSummary) -> str:
    """The text rendering shared by the email text part and SNS."""
    lines = [summary.headline, "", summary.lead]
    if summary.description:
        lines += ["", summary.description]
    lines.append("")
    lines += [f"{label}: {value}" for label, value in summary.facts]
    if summary.sample_lines:
        lines += ["", "Events:"] + [f"  {line}" for line in summary.sample_lines]
    if summary.more:
        lines.append(f"  … and {summary.more} more")
    if summary.explore_url:
        lines += ["", f"Explore: {summary.explore_url}"]
    elif summary.explore_command:
        lines += ["", f"Explore: {summary.explore_command}"]
    return "\n".join(lines)

