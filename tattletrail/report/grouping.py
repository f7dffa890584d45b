"""From scored events to the report's items: one item per actor's session, ranked.

A *session* is what one actor did in one sitting: their events in time order, each joining the
one before when it came within SESSION_GAP of it with the same access key (or with none: a
console sign-in has no key, the calls after it a temporary one — closeness joins them). Another
key is another session (a role assumed again, another run of a pipeline).
Sessions of one actor with the same calls at the same level (a role reading the same parameter
every hour) become one item `×N`. An item's level is the highest of its events', its sentence the
most specific rule's annotation (the rules list them highest level first).

Items rank by level, then by rarity — how many events of the item's lead action reached that
level in the window, fewest first — then by time: a `DeleteRoute` seen once at high outranks the
hundredth `PutObject` at high.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

from tattletrail.event import THREAT_LEVELS
from tattletrail.report.model import SHOWN_VALUES, Call, ReportItem, parse_time

SESSION_GAP = timedelta(minutes=30)
# requestParameters keys that list several resources when `resource` names none (GetParameters…).
RESOURCE_LISTS = ("names", "parameterNames", "secretIdList", "resourceArns", "instanceIds", "bucketNames")


@dataclass
class Session:
    actor: str
    events: list[dict[str, Any]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    last: datetime | None = None

    def joins(self, moment: datetime | None, key: str | None) -> bool:
        if not self.events:
            return True
        same_key = not key or not self.keys or key in self.keys
        return same_key and moment is not None and self.last is not None and moment - self.last <= SESSION_GAP

    def add(self, document: dict[str, Any], moment: datetime | None, key: str | None) -> None:
        self.events.append(document)
        if key:
            self.keys.add(key)
        self.last = moment or self.last


def score(level: str | None) -> int:
    return THREAT_LEVELS.index(level) if level in THREAT_LEVELS else 0


def access_key(document: dict[str, Any]) -> str | None:
    identity = document.get("userIdentity")
    key = identity.get("accessKeyId") if isinstance(identity, dict) else None
    return key if isinstance(key, str) and key else None


def sessions(documents: Iterable[dict[str, Any]]) -> list[Session]:
    """Each actor's events (per account) cut into sessions, oldest event first."""
    by_actor: dict[tuple[str, str], list[tuple[datetime, dict[str, Any]]]] = defaultdict(list)
    for document in documents:
        moment = parse_time(document.get("event_time")) or datetime.min
        by_actor[(document.get("actor") or "?", document.get("account") or "")].append((moment, document))
    found: list[Session] = []
    for (actor, _), events in by_actor.items():
        events.sort(key=lambda pair: (pair[0], pair[1].get("event_id") or ""))
        current = Session(actor)
        for moment, document in events:
            key = access_key(document)
            if not current.joins(moment, key):
                found.append(current)
                current = Session(actor)
            current.add(document, moment, key)
        found.append(current)
    return found


Rarity = dict[tuple[str, str], int]  # (level, eventName) → events in the window


def items_of(documents: Iterable[dict[str, Any]], rarity: Rarity) -> list[ReportItem]:
    """The items of these scored events (each at low or above), ranked."""
    merged: dict[tuple[Any, ...], ReportItem] = {}
    for session in sessions(documents):
        item = item_of(session)
        key = (item.actor, item.level, tuple(call.event_name for call in item.calls), tuple(item.accounts))
        if key in merged:
            absorb(merged[key], item)
        else:
            merged[key] = item
    for item in merged.values():
        item.rarity = rarity_of(item, rarity)
    return rank(list(merged.values()))


def rarity_of(item: ReportItem, rarity: Rarity) -> int:
    return min((rarity.get((item.level, call.event_name), 0) for call in item.calls if call.level == item.level),
               default=0)


def rank(items: list[ReportItem]) -> list[ReportItem]:
    return sorted(items, key=lambda item: (-score(item.level), item.rarity, item.first or datetime.max,
                                           item.actor))


def item_of(session: Session) -> ReportItem:
    events = session.events
    top = max(events, key=lambda document: score(document.get("threat_level")))
    level = top.get("threat_level") or "low"
    calls: dict[str, Call] = {}
    item = ReportItem(level=level, actor=session.actor, calls=[], count=len(events),
                      first=parse_time(events[0].get("event_time")), last=parse_time(events[-1].get("event_time")))
    resources: set[str] = set()
    for document in events:
        name = document.get("eventName") or "?"
        call = calls.setdefault(name, Call(name, document.get("eventSource"), 0, "info"))
        call.count += 1
        if score(document.get("threat_level")) > score(call.level):
            call.level = document.get("threat_level") or call.level
        for resource in resources_of(document):
            resources.add(resource)
            _remember(item.resources, resource)
        _remember(item.regions, document.get("awsRegion"))
        _remember(item.accounts, document.get("account"))
        _remember(item.source_ips, document.get("sourceIPAddress"))
        _remember(item.errors, document.get("errorCode"))
        _remember(item.event_ids, document.get("event_id"))
        for rule in document.get("threat_rules") or ():
            _remember(item.rules, rule, keep=10)
    item.calls = sorted(calls.values(), key=lambda call: -score(call.level))  # stable: first seen first
    item.resource_count = len(resources)
    notes = top.get("annotations") or ()
    item.annotation = notes[0] if notes else None
    return item


def absorb(item: ReportItem, other: ReportItem) -> None:
    """`other` is another session with the same calls: one item, ×N."""
    item.count += other.count
    item.sessions += other.sessions
    for mine, theirs in zip(item.calls, other.calls):
        mine.count += theirs.count
    if other.first and (item.first is None or other.first < item.first):
        item.first = other.first
    if other.last and (item.last is None or other.last > item.last):
        item.last = other.last
    known = set(item.resources)
    item.resource_count += len([resource for resource in other.resources if resource not in known]) + \
        max(0, other.resource_count - len(other.resources))
    for name in ("resources", "regions", "accounts", "source_ips", "errors", "event_ids"):
        for value in getattr(other, name):
            _remember(getattr(item, name), value)


def resources_of(document: dict[str, Any]) -> list[str]:
    """The event's resource, or the names a batch call lists (GetParameters names several)."""
    if document.get("resource"):
        return [str(document["resource"])]
    parameters = document.get("requestParameters")
    if isinstance(parameters, dict):
        for key in RESOURCE_LISTS:
            values = parameters.get(key)
            if isinstance(values, list):
                return [str(value) for value in values if isinstance(value, (str, int))]
    return []


def _remember(values: list[str], value: Any, keep: int = SHOWN_VALUES) -> None:
    if value is not None and value != "" and len(values) < keep and str(value) not in values:
        values.append(str(value))
