"""The report's content, asked of a store in a few grouped queries on one connection.

`build_report(store, since, until)` asks only the Store protocol (`search` and `count` with query
trees) inside `store.reading()`, so DuckDB opens its file once and OpenSearch gives the same
report. The queries: totals by level, events per action (rarity), the routine actions, the scored
events at low and above (two searches), the timeline (one histogram per level), actors, regions,
accounts, denied and failed calls, and what the pack's aggregate checks found (findings.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Sequence

from tattletrail.checks.model import Check
from tattletrail.event import THREAT_LEVELS
from tattletrail.query import parse_query
from tattletrail.query.tree import All, And, Exists, Match, Node, Not, Or, Range
from tattletrail.report.alarms import check_status
from tattletrail.report.evidence import link_evidence
from tattletrail.report.findings import Found, check_findings, main_actor
from tattletrail.report.grouping import Rarity, Session, item_of, items_of, rank, rarity_of, score
from tattletrail.report.model import ITEM_LEVELS, LEVELS_DOWN, UNSCORED, Report, ReportItem, Routine, parse_time
from tattletrail.searches import find_search
from tattletrail.stores.base import Store

EVENTS_READ = 5_000  # scored events read per search (medium and above; low): the items' material
# A low action with this many events by this many actors in the window is routine: one line.
ROUTINE_EVENTS = 20
ROUTINE_ACTORS = 3
# Bucket widths for the timeline: the smallest that keeps a window under ~72 bars.
TIMELINE_STEPS = tuple(timedelta(hours=hours) for hours in (1, 2, 3, 6, 12, 24, 48, 168))
MEDIUM_OR_ABOVE = Range("threat_score", str(THREAT_LEVELS.index("medium")), None)
LOW = Match("threat_level", "low")


def build_report(store: Store, since: datetime, until: datetime, *, top: int | None = 25, top_actors: int = 10,
                 generated_at: datetime | None = None, checks: Sequence[Check] = (),
                 state_path: str | Path | None = None, dashboards_url: str | None = None,
                 events_read: int = EVENTS_READ) -> Report:
    """The report of [since, until) (naive UTC). `top=None` keeps every item; `checks` are the pack
    whose aggregate checks add findings; `state_path` the checker's state file (what is alarming now)."""
    with store.reading():
        by_level = level_totals(store, since, until)
        rarity = level_rarity(store, since, until)
        routine = routine_actions(store, since, until, rarity)
        documents, unread = scored_events(store, since, until, [line.event_name for line in routine], by_level,
                                          events_read)
        items = items_of(documents, rarity)
        findings = check_findings(store, list(checks), since, until, dashboards_url)
        items = rank(place_findings(items, findings.found, rarity))
        kept = items if top is None else items[:top]
        for item in kept:
            item.complete = not unread.get(item.level)
            link_evidence(item, store, dashboards_url)
        interval = timeline_interval(until - since)
        denied_tree = parse_query(find_search("denied-calls").query)
        failed_tree = parse_query(find_search("failed-calls").query)
        denied_actors = store.count(denied_tree, since, until, by="actor", top=10)
        failed = store.count(failed_tree, since, until, by="errorCode", top=10)
        report = Report(
            since=since, until=until, store=store.url, total=sum(by_level.values()), by_level=by_level,
            items=kept, more_items=len(items) - len(kept), routine=routine, unread=unread,
            top_actors=actor_ranking(store, since, until, top_actors),
            regions=store.count(All(), since, until, by="awsRegion", top=15).groups,
            accounts=store.count(All(), since, until, by="account", top=15).groups,
            interval=interval, timeline=level_timeline(store, since, until, interval),
            denied=denied_actors.total, denied_by_actor=denied_actors.groups,
            denied_by_event_name=store.count(denied_tree, since, until, by="eventName", top=10).groups,
            failed=failed.total, failed_by_error=failed.groups, generated_at=generated_at)
    report.check_failures = findings.failed
    if state_path is not None:
        report.checks = check_status(state_path, store.url, {check.name: check.group_by for check in checks})
    return report


def level_totals(store: Store, since: datetime, until: datetime) -> dict[str, int]:
    counted = dict(store.count(All(), since, until, by="threat_level", top=len(THREAT_LEVELS) + 1).groups)
    totals = {level: counted.get(level, 0) for level in LEVELS_DOWN}
    unscored = store.count(Not(Exists("threat_level")), since, until).total
    if unscored:
        totals[UNSCORED] = unscored
    return totals


def level_rarity(store: Store, since: datetime, until: datetime) -> Rarity:
    """Events per (level, eventName) in the window, for every level an item can have."""
    return {(level, name): n for level in ITEM_LEVELS
            for name, n in store.count(Match("threat_level", level), since, until, by="eventName", top=100_000).groups}


def routine_actions(store: Store, since: datetime, until: datetime, rarity: Rarity) -> list[Routine]:
    """Low actions done often by many actors (`ssm:GetParameter ×1,234 by 12 actors`): one line each."""
    routine = []
    frequent = sorted(((n, name) for (level, name), n in rarity.items() if level == "low" and n >= ROUTINE_EVENTS),
                      reverse=True)
    for n, name in frequent:
        tree = And((LOW, Match("eventName", name)))
        actors = store.count(tree, since, until, by="actor", top=1_000).groups
        if len(actors) >= ROUTINE_ACTORS:
            sources = store.count(tree, since, until, by="eventSource", top=1).groups
            routine.append(Routine(name, sources[0][0] if sources else None, "low", n, len(actors), actors[0][0]))
    return routine


def scored_events(store: Store, since: datetime, until: datetime, routine: list[str], by_level: dict[str, int],
                  limit: int) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Events at medium and above, and low ones but the routine; and per level how many were not read."""
    low: Node = LOW if not routine else And((LOW, Not(Or(tuple(Match("eventName", name) for name in routine)))))
    documents = store.search(MEDIUM_OR_ABOVE, since, until, limit=limit)
    read = {level: 0 for level in THREAT_LEVELS}
    for document in documents:
        read[document.get("threat_level") or "info"] += 1
    unread = {level: by_level.get(level, 0) - read[level] for level in ("critical", "high", "medium")}
    lows = store.search(low, since, until, limit=limit)
    if len(lows) >= limit:
        unread["low"] = store.count(low, since, until).total - len(lows)
    return documents + lows, {level: n for level, n in unread.items() if n > 0}


def place_findings(items: list[ReportItem], found: list[Found], rarity: Rarity) -> list[ReportItem]:
    """Each finding joins its actor's item of the same time (one story per actor), or is an item."""
    for each in found:
        finding, documents = each.finding, sorted(each.documents, key=lambda document: document.get("event_time") or "")
        actor = main_actor(documents)
        first = parse_time(documents[0].get("event_time")) if documents else finding.start
        last = parse_time(documents[-1].get("event_time")) if documents else finding.end
        home = next((item for item in items if item.actor == actor and item.first and item.last
                     and item.first <= (last or finding.end) and item.last >= (first or finding.start)), None)
        if home is None:
            home = finding_item(each, actor, documents, rarity)
            items.append(home)
        home.findings.append(finding)
        if score(each.level) > score(home.level) or not home.annotation:
            home.level, home.annotation = max((home.level, each.level), key=score), finding.sentence
            home.rarity = rarity_of(home, rarity)  # none of its own calls at a level a check raised it to: 0
    return items


def finding_item(found: Found, actor: str | None, documents: list[dict[str, Any]],
                 rarity: Rarity) -> ReportItem:
    finding = found.finding
    if documents:
        item = item_of(Session(actor or "?", documents))
        others = len({document.get("actor") for document in documents}) - 1
        item.actor += f" (+{others} other{'s' if others > 1 else ''})" if others > 0 else ""
        item.annotation = None
    else:
        label = ", ".join(finding.group.values()) or "all events"
        item = ReportItem(level=found.level, actor=label, calls=[], count=finding.count, first=finding.start,
                          last=finding.end)
    item.level = max((item.level, found.level), key=score)
    item.rarity = rarity_of(item, rarity)
    return item


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
