"""What a report holds: items (one actor's story each), routine volume, totals, charts' data.

Everything here is naive UTC; the renderers (text.py, html.py, `Report.to_json`) choose the time
zone they show. gather.py fills a Report from a store; grouping.py makes the items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from tattletrail.event import THREAT_LEVELS
from tattletrail.timespec import iso_utc

SCHEMA_VERSION = 2
# Highest first: the order items and totals are shown in. Events stored before rules existed
# (or by an ingest without rules) have no level: they are counted as "unscored".
LEVELS_DOWN = tuple(reversed(THREAT_LEVELS))
UNSCORED = "unscored"
ITEM_LEVELS = ("critical", "high", "medium", "low")  # info is the normal traffic, not an item
SHOWN_VALUES = 5  # resources, IPs… kept per item (the item says how many resources there were)


@dataclass
class Call:
    """One API action within an item: `ssm:GetParameter ×3`, at the highest level it reached."""

    event_name: str
    event_source: str | None
    count: int
    level: str

    @property
    def label(self) -> str:
        return self.event_name + (f" ×{self.count:,}" if self.count > 1 else "")

    def to_json(self) -> dict[str, Any]:
        return {"eventName": self.event_name, "eventSource": self.event_source, "count": self.count,
                "level": self.level}


@dataclass
class CheckFinding:
    """A check of the pack that breached during the window on more than one event (a burst, a new
    value, a silence): what a single event's rule can't see."""

    check: str
    status: str  # WARNING or CRITICAL (the worst reached in the window)
    group: dict[str, str]
    count: int  # matching events in its window when it reached its worst status (new values for new_value)
    sentence: str
    start: datetime  # the first breaching window's start, the last one's end
    end: datetime
    new_values: tuple[str, ...] = ()  # new_value checks: the values first seen
    explore_command: str | None = None
    explore_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "status": self.status, "group": self.group, "count": self.count,
                "new_values": list(self.new_values),
                "sentence": self.sentence, "start": iso_utc(self.start), "end": iso_utc(self.end),
                "explore_command": self.explore_command, "explore_url": self.explore_url}


@dataclass
class ReportItem:
    """What one actor did in one session (or in repeated identical sessions), at the highest
    level of its parts; or a check finding, with the events it is about."""

    level: str
    actor: str
    calls: list[Call]
    count: int
    first: datetime | None
    last: datetime | None
    resources: list[str] = field(default_factory=list)
    resource_count: int = 0  # distinct resources seen (the list keeps the first few)
    regions: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    source_ips: list[str] = field(default_factory=list)
    annotation: str | None = None  # one sentence: the most specific rule's, or the finding's
    rules: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)  # the first few, to look them up
    findings: list[CheckFinding] = field(default_factory=list)
    sessions: int = 1  # identical sessions merged into this item
    rarity: int = 0  # events of its lead action in the window: the fewer, the rarer (ranks within a level)
    complete: bool = True  # false when its level had more events than were read
    search_command: str | None = None  # the `tattletrail search …` that shows its events
    discover_url: str | None = None  # the same in OpenSearch Dashboards, when its URL is configured

    @property
    def event_name(self) -> str:
        """The lead call: the first that reached the item's level."""
        lead = next((call for call in self.calls if call.level == self.level), None)
        return (lead or self.calls[0]).event_name if self.calls else "?"

    @property
    def resource(self) -> str | None:
        return self.resources[0] if self.resources else None

    @property
    def source_ip(self) -> str | None:
        return self.source_ips[0] if self.source_ips else None

    @property
    def annotations(self) -> list[str]:
        return [self.annotation] if self.annotation else []

    @property
    def what(self) -> str:
        """`DeleteRoute ×3`, or the calls of a session: `ConsoleLogin, GetAccountSummary, …`."""
        return self.calls_text()

    def calls_text(self, most: int = 6) -> str:
        """The first `most` calls and how many more: `ListUsers ×2, ListRoles ×2, … +9 more calls`."""
        shown = ", ".join(call.label for call in self.calls[:most])
        hidden = len(self.calls) - most
        return shown + (f" +{hidden} more call{'s' if hidden > 1 else ''}" if hidden > 0 else "")

    @property
    def more_resources(self) -> int:
        return max(0, self.resource_count - len(self.resources))

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "score": THREAT_LEVELS.index(self.level), "actor": self.actor,
                "eventName": self.event_name, "calls": [call.to_json() for call in self.calls],
                "count": self.count, "sessions": self.sessions, "first": iso_utc(self.first), "last": iso_utc(self.last),
                "resources": self.resources, "resource_count": self.resource_count, "regions": self.regions,
                "accounts": self.accounts, "sourceIPAddresses": self.source_ips, "annotation": self.annotation,
                "rules": self.rules, "errors": self.errors, "event_ids": self.event_ids,
                "findings": [finding.to_json() for finding in self.findings], "rarity": self.rarity,
                "complete": self.complete, "search_command": self.search_command,
                "discover_url": self.discover_url}


@dataclass
class Routine:
    """High-volume low-level activity in one line: `ssm:GetParameter ×1,234 by 12 actors`."""

    event_name: str
    event_source: str | None
    level: str
    count: int
    actors: int
    top_actor: str | None

    @property
    def label(self) -> str:
        service = (self.event_source or "").split(".", 1)[0]
        return f"{service + ':' if service else ''}{self.event_name} ×{self.count:,} by {self.actors:,} " \
               f"actor{'s' if self.actors != 1 else ''}"

    def to_json(self) -> dict[str, Any]:
        return {"eventName": self.event_name, "eventSource": self.event_source, "level": self.level,
                "count": self.count, "actors": self.actors, "top_actor": self.top_actor, "line": self.label}


@dataclass
class Alarm:
    """A check that is not OK right now, as the checker's state file says."""

    check: str
    group: dict[str, str]
    status: str
    since: datetime | None  # when someone was last told
    checked: datetime | None  # the end of the check's last window

    @property
    def label(self) -> str:
        group = ",".join(f"{name}={value}" for name, value in self.group.items())
        return f"{self.check}[{group}]" if group else self.check

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "group": self.group, "status": self.status, "notified_at": iso_utc(self.since),
                "checked_until": iso_utc(self.checked)}


@dataclass
class CheckStatus:
    """What the state file says now: the checks not OK, or why nothing can be said."""

    path: str
    alarms: list[Alarm] = field(default_factory=list)
    missing: bool = False  # no state file: no checker has run against this store from here

    def to_json(self) -> dict[str, Any]:
        return {"state_file": self.path, "known": not self.missing,
                "not_ok": [alarm.to_json() for alarm in self.alarms]}


@dataclass
class Report:
    """Everything a rendering shows. Times are naive UTC."""

    since: datetime
    until: datetime
    store: str
    total: int
    by_level: dict[str, int]  # every level (and "unscored" when there are such events), highest first
    items: list[ReportItem]
    more_items: int  # items beyond the ones kept
    routine: list[Routine]
    unread: dict[str, int]  # events per level left out of the items (more than were read)
    top_actors: list[tuple[str, int, int]]  # actor, events, events at low or above
    regions: list[tuple[str, int]]
    accounts: list[tuple[str, int]]
    interval: timedelta
    timeline: list[tuple[datetime, dict[str, int]]]  # bucket start → events per level
    denied: int
    denied_by_actor: list[tuple[str, int]]
    denied_by_event_name: list[tuple[str, int]]
    failed: int
    failed_by_error: list[tuple[str, int]]
    checks: CheckStatus | None = None  # None: no state file was asked for
    check_failures: list[str] = field(default_factory=list)  # checks that could not be evaluated
    generated_at: datetime | None = None

    @property
    def headline(self) -> str:
        return self.headline_in(timezone.utc)

    def headline_in(self, tz: Any) -> str:
        """The first line of the morning: the top item, or that nothing risky happened."""
        if not self.items:
            scored = self.total - self.by_level.get(UNSCORED, 0)
            return f"no threats — {self.total:,} events, none at low or above" + (
                "" if scored or not self.total else " (none of them scored: ingest with rules, or rescore)")
        from tattletrail.report.times import Clock

        return headline_of(self.items[0], Clock(tz, self.since, self.until))

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "window": {"since": iso_utc(self.since), "until": iso_utc(self.until)},
            "generated_at": iso_utc(self.generated_at), "store": self.store, "headline": self.headline,
            "total": self.total, "by_level": dict(self.by_level),
            "items": [item.to_json() for item in self.items], "more_items": self.more_items,
            "routine": [line.to_json() for line in self.routine], "unread": dict(self.unread),
            "checks": self.checks.to_json() if self.checks else None, "check_failures": list(self.check_failures),
            "top_actors": [{"actor": actor, "events": events, "threat_events": threats}
                           for actor, events, threats in self.top_actors],
            "regions": [{"region": name, "events": n} for name, n in self.regions],
            "accounts": [{"account": name, "events": n} for name, n in self.accounts],
            "timeline": {"interval_seconds": int(self.interval.total_seconds()),
                         "buckets": [{"start": iso_utc(start), **levels} for start, levels in self.timeline]},
            "denied": {"count": self.denied,
                       "by_actor": [{"actor": name, "events": n} for name, n in self.denied_by_actor],
                       "by_eventName": [{"eventName": name, "events": n} for name, n in self.denied_by_event_name]},
            "failed": {"count": self.failed,
                       "by_errorCode": [{"errorCode": name, "events": n} for name, n in self.failed_by_error]},
        }


def headline_of(item: ReportItem, clock: Any = None) -> str:
    """`critical threat — DeleteRoute on rtb-… by DOE1 at 22 Nov 16:42 UTC from 203.0.113.7`
    (`clock`: a times.Clock; without one, UTC with the date)."""
    if clock is None:
        from tattletrail.report.times import Clock

        clock = Clock(timezone.utc, datetime.min, datetime.max)
    text = f"{item.level} threat — {item.event_name}"
    calls = sum(call.count for call in item.calls if call.event_name == item.event_name)
    if calls > 1:
        text += f" ×{calls}"
    if len(item.calls) > 1:
        text += f" (+{len(item.calls) - 1} more call{'s' if len(item.calls) > 2 else ''})"
    if item.resource:
        text += f" on {item.resource}" + (f" (+{item.resource_count - 1})" if item.resource_count > 1 else "")
    text += f" by {item.actor}"
    if item.first is not None:
        text += f" at {clock.moment(item.first)} {clock.short_zone(item.first)}"
    if item.source_ip:
        text += f" from {item.source_ip}"
    return text


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment




def middle_cut(text: str, most: int) -> str:
    """`AWSReservedSSO_Admin…/mike@example.com`: long labels lose their middle, keeping both ends."""
    if len(text) <= most:
        return text
    tail = min(len(text) // 2, most * 3 // 5)
    return text[: most - tail - 1] + "…" + text[-tail:]
