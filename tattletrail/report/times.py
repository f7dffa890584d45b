"""Times as a reader of one report needs them: in their zone, with the date whenever the window
covers more than one calendar day (a range crossing midnight must say so), the zone always named."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any


def local(moment: datetime, tz: Any) -> datetime:
    """A naive UTC time in the zone a reader wants."""
    return moment.replace(tzinfo=timezone.utc).astimezone(tz)


def zone_label(tz: tzinfo, moment: datetime) -> str:
    """`Europe/Paris` for a named zone, else its abbreviation (`UTC`)."""
    return getattr(tz, "key", None) or local(moment, tz).tzname() or "UTC"


class Clock:
    """Formats the times of one report: `16:42` within a single day, `22 Nov 16:42` otherwise."""

    def __init__(self, tz: tzinfo, since: datetime, until: datetime) -> None:
        self.tz = tz
        last = until - timedelta(microseconds=1)
        self.dated = local(since, tz).date() != local(last, tz).date()
        self.zone = zone_label(tz, until)

    def moment(self, moment: datetime | None, seconds: bool = False) -> str:
        if moment is None:
            return "?"
        shown = local(moment, self.tz)
        clock = f"{shown:%H:%M:%S}" if seconds else f"{shown:%H:%M}"
        return f"{shown.day} {shown:%b} {clock}" if self.dated else clock

    def short_zone(self, moment: datetime) -> str:
        """`CET`, `CEST`, `UTC`: the zone's abbreviation at that moment (for one-line texts)."""
        return local(moment, self.tz).tzname() or self.zone

    def span(self, first: datetime | None, last: datetime | None, seconds: bool = False) -> str:
        """`16:42`, `16:40 → 16:42`, or `22 Nov 16:01 → 23 Nov 14:51`: the end keeps its date
        whenever it falls on another day than the start."""
        start = self.moment(first, seconds)
        if first is None or last is None or last == first:
            return start
        end_local, start_local = local(last, self.tz), local(first, self.tz)
        clock = f"{end_local:%H:%M:%S}" if seconds else f"{end_local:%H:%M}"
        if end_local.date() != start_local.date():
            clock = f"{end_local.day} {end_local:%b} {clock}"
        return f"{start} → {clock}"

    def window(self, since: datetime, until: datetime) -> str:
        """`2026-11-22 10:40 → 2026-11-23 10:40 UTC (24h)`."""
        start, end = local(since, self.tz), local(until, self.tz)
        hours = (until - since).total_seconds() / 3600
        length = f"{hours:.0f}h" if hours < 72 else f"{hours / 24:.0f}d"
        return f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} {self.zone} ({length})"
