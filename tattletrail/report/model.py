"""The report's content, built from a store and a window: what was risky, who did it, what failed.

`build_report(store, since, until)` asks the store only through the Store protocol (`search` and
`count` with query trees), so the same report comes out of DuckDB and OpenSearch. Everything here
is UTC; the renderers (text.py, html.py, `Report.to_json`) choose the time zone they show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from tattletrail.event import THREAT_LEVELS
from tattletrail.query import parse_query
from tattletrail.query.tree import All, And, Exists, Match, Node, Not, Range
from tattletrail.searches import find_search
from tattletrail.stores.base import Store

SCHEMA_VERSION = 1
# Highest first: the order items and totals are shown in. Events stored before rules existed
# (or by an ingest without rules) have no level: they are counted as "unscored".
LEVELS_DOWN = tuple(reversed(THREAT_LEVELS))
UNSCORED = "unscored"
ITEM_LEVELS = ("critical", "high", "medium", "low")  # info is the normal traffic, not an item
EVENTS_READ_PER_LEVEL = 2_000  # beyond this, a level's items are counted exactly but listed in part
SHOWN_VALUES = 5  # resources, IPs… kept per item (the item says how many there were)
# Bucket widths for the timeline: the smallest that keeps a window under ~72 bars.
TIMELINE_STEPS = tuple(timedelta(hours=hours) for hours in (1, 2, 3, 6, 12, 24, 48, 168))


@dataclass
class ReportItem:
    """One actor doing one action at one threat level in the window, however many times."""

    level: str
    actor: str
    event_name: str
    count: int
    first: datetime | None
    last: datetime | None
    resources: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    source_ips: list[str] = field(default_factory=list)
    annotations: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)  # the newest few (newest first), to look them up
    listed: int = 0  # events of the item read from the store (< count when the level was too big)

    @property
    def resource(self) -> str | None:
        return self.resources[0] if self.resources else None

    @property
    def source_ip(self) -> str | None:
        return self.source_ips[0] if self.source_ips else None

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "score": THREAT_LEVELS.index(self.level), "actor": self.actor,
                "eventName": self.event_name, "count": self.count, "first": iso(self.first),
                "last": iso(self.last), "resources": self.resources, "regions": self.regions,
                "accounts": self.accounts, "sourceIPAddresses": self.source_ips, "annotations": self.annotations,
                "rules": self.rules, "errors": self.errors, "event_ids": self.event_ids,
                "complete": self.listed >= self.count}


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
    generated_at: datetime | None = None

    @property
    def headline(self) -> str:
        """The first line of the morning: the top item, or that nothing risky happened."""
        if not self.items:
            scored = self.total - self.by_level.get(UNSCORED, 0)
            return f"no threats — {self.total:,} events, none at low or above" + (
                "" if scored or not self.total else " (none of them scored: ingest with rules, or rescore)")
        return headline_of(self.items[0])

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "window": {"since": iso(self.since), "until": iso(self.until)},
            "generated_at": iso(self.generated_at), "store": self.store, "headline": self.headline,
            "total": self.total, "by_level": dict(self.by_level),
            "items": [item.to_json() for item in self.items], "more_items": self.more_items,
            "top_actors": [{"actor": actor, "events": events, "threat_events": threats}
                           for actor, events, threats in self.top_actors],
            "regions": [{"region": name, "events": n} for name, n in self.regions],
            "accounts": [{"account": name, "events": n} for name, n in self.accounts],
            "timeline": {"interval_seconds": int(self.interval.total_seconds()),
                         "buckets": [{"start": iso(start), **levels} for start, levels in self.timeline]},
            "denied": {"count": self.denied,
                       "by_actor": [{"actor": name, "events": n} for name, n in self.denied_by_actor],
                       "by_eventName": [{"eventName": name, "events": n} for name, n in self.denied_by_event_name]},
            "failed": {"count": self.failed,
                       "by_errorCode": [{"errorCode": name, "events": n} for name, n in self.failed_by_error]},
        }


def headline_of(item: ReportItem, tz: timezone | Any = timezone.utc) -> str:
    """`high threat — DeleteRoute on rtb-… by DOE1 at 16:42 from 203.0.113.7` (times in `tz`)."""
    text = f"{item.level} threat — {item.event_name}"
    if item.count > 1:
        text += f" ×{item.count}"
    if item.resource:
        text += f" on {item.resource}" + (f" (+{len(item.resources) - 1})" if len(item.resources) > 1 else "")
    text += f" by {item.actor}"
    if item.first is not None:
        text += f" at {local(item.first, tz):%H:%M}"
    if item.source_ip:
        text += f" from {item.source_ip}"
    return text


def build_report(store: Store, since: datetime, until: datetime, *, top: int = 25, top_actors: int = 10,
                 generated_at: datetime | None = None, events_per_level: int = EVENTS_READ_PER_LEVEL) -> Report:
    """The report of [since, until) (naive UTC): a function of what the store holds, nothing else.

    At most `events_per_level` events of each level are read to form the items; a level with more
    still gets exact counts (asked per item), but its items may miss a few resources or IPs.
    """
    everything: Node = All()
    by_level = level_totals(store, since, until)
    items, more = threat_items(store, since, until, top, events_per_level)
    interval = timeline_interval(until - since)
    denied_tree = parse_query(find_search("denied-calls").query)
    failed_tree = parse_query(find_search("failed-calls").query)
    denied_actors = store.count(denied_tree, since, until, by="actor", top=10)
    return Report(
        since=since, until=until, store=store.url, total=sum(by_level.values()), by_level=by_level,
        items=items, more_items=more,
        top_actors=actor_ranking(store, since, until, top_actors),
        regions=store.count(everything, since, until, by="awsRegion", top=15).groups,
        accounts=store.count(everything, since, until, by="account", top=15).groups,
        interval=interval, timeline=level_timeline(store, since, until, interval),
        denied=denied_actors.total, denied_by_actor=denied_actors.groups,
        denied_by_event_name=store.count(denied_tree, since, until, by="eventName", top=10).groups,
        failed=(failed := store.count(failed_tree, since, until, by="errorCode", top=10)).total,
        failed_by_error=failed.groups, generated_at=generated_at)


def level_totals(store: Store, since: datetime, until: datetime) -> dict[str, int]:
    counted = dict(store.count(All(), since, until, by="threat_level", top=len(THREAT_LEVELS) + 1).groups)
    totals = {level: counted.get(level, 0) for level in LEVELS_DOWN}
    unscored = store.count(Not(Exists("threat_level")), since, until).total
    if unscored:
        totals[UNSCORED] = unscored
    return totals


def threat_items(store: Store, since: datetime, until: datetime, top: int,
                 events_per_level: int = EVENTS_READ_PER_LEVEL) -> tuple[list[ReportItem], int]:
    """Items from critical down, each level's oldest first; and how many more there were."""
    items: list[ReportItem] = []
    for level in ITEM_LEVELS:
        level_tree = Match("threat_level", level)
        documents = store.search(level_tree, since, until, limit=events_per_level)
        grouped = group_documents(level, documents)
        if len(documents) >= events_per_level:
            _count_exactly(store, since, until, level_tree, grouped)
        items.extend(sorted(grouped, key=_chronological))
    return items[:top], max(0, len(items) - top)


def group_documents(level: str, documents: list[dict[str, Any]]) -> list[ReportItem]:
    """Same actor and same eventName → one item; documents come newest first."""
    items: dict[tuple[str, str], ReportItem] = {}
    for document in documents:
        key = (document.get("actor") or "?", document.get("eventName") or "?")
        moment = parse_time(document.get("event_time"))
        item = items.get(key)
        if item is None:
            item = items[key] = ReportItem(level=level, actor=key[0], event_name=key[1], count=0,
                                           first=moment, last=moment)
        item.count += 1
        item.listed += 1
        if moment is not None:
            item.first = moment if item.first is None else min(item.first, moment)
            item.last = moment if item.last is None else max(item.last, moment)
        _remember(item.resources, document.get("resource"))
        _remember(item.regions, document.get("awsRegion"))
        _remember(item.accounts, document.get("account"))
        _remember(item.source_ips, document.get("sourceIPAddress"))
        _remember(item.errors, document.get("errorCode"))
        for note in document.get("annotations") or ():
            _remember(item.annotations, note, keep=3)
        for rule in document.get("threat_rules") or ():
            _remember(item.rules, rule)
        _remember(item.event_ids, document.get("event_id"))
    return list(items.values())


def _remember(values: list[str], value: Any, keep: int = SHOWN_VALUES) -> None:
    if value is not None and value != "" and len(values) < keep and str(value) not in values:
        values.append(str(value))


def _count_exactly(store: Store, since: datetime, until: datetime, level_tree: Node,
                   items: list[ReportItem]) -> None:
    """The level had more events than were read: ask the store for each item's true count."""
    for item in items:
        tree = And((level_tree, Match("actor", item.actor), Match("eventName", item.event_name)))
        item.count = store.count(tree, since, until).total


def _chronological(item: ReportItem) -> tuple[datetime, str, str]:
    return (item.first or datetime.max, item.actor, item.event_name)


def actor_ranking(store: Store, since: datetime, until: datetime, top: int) -> list[tuple[str, int, int]]:
    """The busiest actors, each with how many of their events were at low or above."""
    busiest = store.count(All(), since, until, by="actor", top=top).groups
    risky_tree = Range("threat_score", str(THREAT_LEVELS.index("low")), None)
    risky = dict(store.count(risky_tree, since, until, by="actor", top=1_000).groups)
    return [(actor, events, risky.get(actor, 0)) for actor, events in busiest]


def timeline_interval(span: timedelta) -> timedelta:
    for step in TIMELINE_STEPS:
        if span / step <= 72:
            return step
    return TIMELINE_STEPS[-1]


def level_timeline(store: Store, since: datetime, until: datetime,
                   interval: timedelta) -> list[tuple[datetime, dict[str, int]]]:
    """Events per level per bucket, every bucket of the window present (empty ones as zeros)."""
    grid = bucket_starts(since, until, interval)
    timeline = {start: {level: 0 for level in THREAT_LEVELS} for start in grid}
    for level in THREAT_LEVELS:
        for start, n in store.count(Match("threat_level", level), since, until, interval=interval).buckets:
            if start in timeline:
                timeline[start][level] = n
    return list(timeline.items())


def bucket_starts(since: datetime, until: datetime, interval: timedelta) -> list[datetime]:
    """Bucket starts aligned on the epoch, as the stores align them, covering [since, until)."""
    epoch = datetime(1970, 1, 1)
    start = epoch + (since - epoch) // interval * interval
    starts = []
    while start < until:
        starts.append(start)
        start += interval
    return starts


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"


def local(moment: datetime, tz: Any) -> datetime:
    """A naive UTC time in the zone a reader wants."""
    return moment.replace(tzinfo=timezone.utc).astimezone(tz)


def middle_cut(text: str, most: int) -> str:
    """`AWSReservedSSO_Admin…/mike@example.com`: long labels lose their middle, keeping both ends."""
    if len(text) <= most:
        return text
    tail = min(len(text) // 2, most * 3 // 5)
    return text[: most - tail - 1] + "…" + text[-tail:]
