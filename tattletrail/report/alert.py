"""The report as an alert (kind "report"), so any destination can send it on a schedule.

It lives with the report, not in alert.py: the alert is what every destination knows, and knows
nothing of the report (report → alert, never back).
"""

from __future__ import annotations

from datetime import datetime

from tattletrail.alert import Alert, SampleEvent, Status
from tattletrail.timespec import iso_utc
from tattletrail.report.model import ITEM_LEVELS, Report

REPORT_SAMPLES = 10  # the top items a report alert carries; the full report is one command away


def report_alert(report: Report, created_at: datetime | None = None, samples: int = REPORT_SAMPLES) -> Alert:
    """The report as an alert (kind "report"), so any destination can send it on a schedule.

    The status follows the highest item: critical or high → CRITICAL, medium → WARNING, else OK
    (previous = status: a report is never a recovery). `message` is a short text summary; the
    samples are the top items, one event each, annotated with their level and count.
    """
    top_level = report.items[0].level if report.items else None
    status = {"critical": Status.CRITICAL, "high": Status.CRITICAL, "medium": Status.WARNING}.get(
        top_level or "", Status.OK)
    levels = " · ".join(f"{level} {n:,}" for level, n in report.by_level.items())
    message = "\n".join([report.headline,
                         f"Threat levels: {levels} ({report.total:,} events)",
                         f"Denied calls: {report.denied:,} · failed calls: {report.failed:,}"])
    top_items = tuple(
        SampleEvent(event_id=item.event_ids[0] if item.event_ids else "", time=item.first, actor=item.actor,
                    event_name=item.event_name, resource=item.resource, region=item.regions[0] if item.regions
                    else None, source_ip=item.source_ip, error=item.errors[0] if item.errors else None,
                    annotation=f"{item.level}" + (f" ×{item.count}" if item.count > 1 else "")
                    + (f": {item.annotations[0]}" if item.annotations else ""))
        for item in report.items[:samples])
    since, until = iso_utc(report.since), iso_utc(report.until)
    return Alert(
        check="report", status=status, previous=status,
        count=sum(report.by_level.get(level, 0) for level in ITEM_LEVELS), window_start=report.since,
        window_end=report.until, query="threat_score:>=1",
        description="Tattletrail report: the highest-threat activity of the window, grouped by actor and action.",
        message=message, samples=top_items, suppressed=max(0, len(report.items) - samples) + report.more_items,
        severity=top_level, tags=("report",), kind="report", created_at=created_at,
        explore_command=f"tattletrail report --since {since} --until {until} --format html --out report.html")
