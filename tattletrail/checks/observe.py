"""What a check asks the store: counts per group in a window, values of a field, sample events.

Only the Store protocol is used (`count` and `search` with a query tree), so every store answers
the same way. The window is part of the query tree (a range on `ingest_time` or `event_time`,
`[start, end)`), which both stores compile to a plain range filter.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tattletrail.alert import SampleEvent
from tattletrail.checks.baseline import BaselineFile, extended
from tattletrail.checks.evaluate import Observation, Window
from tattletrail.checks.model import Check, Kind, TimeField
from tattletrail.checks.state import CheckState, GroupKey
from tattletrail.query import parse_query
from tattletrail.query.tree import And, Match, Node, Or, Range
from tattletrail.stores import Store
from tattletrail.timespec import iso_utc

# Groups per field a check follows; beyond this the least frequent values are not seen (docs/checks.md).
MAX_GROUPS = 1_000
# A new_value baseline is first read from the store in slices of this length, to learn when each
# value was last seen; after that the state keeps it up to date.
BASELINE_SLICE = timedelta(days=1)
MATCH_ALL = parse_query("*")


def window_tree(query: Node, time_field: TimeField, window: Window) -> Node:
    """The check's query, restricted to the window [start, end) of its time field."""
    bounds = Range(time_field.value, iso_utc(window.start, "microseconds", zulu=False),
                   iso_utc(window.end, "microseconds", zulu=False), include_low=True, include_high=False)
    return And((query, bounds))


def group_tree(query: Node, fields: list[str], key: GroupKey) -> Node:
    """The query restricted to one group (exact values of the group_by fields)."""
    if not key:
        return query
    return And((query, *[Match(name, value) for name, value in zip(fields, key)]))


def observe(check: Check, store: Store, window: Window, state: CheckState,
            baselines: BaselineFile | None = None) -> Observation:
    """Ask the store what `evaluate` needs for this window (exceptions are the caller's UNKNOWN).
    A new_value check's baseline is read whole only when neither the state nor `baselines` keep it."""
    tree = window_tree(check.tree, check.count_by, window)
    if check.kind is Kind.count:
        if check.distinct:
            return Observation(counts=count_distinct(store, tree, check.group_by, check.distinct,
                                                     lowest_threshold(check), followed_groups(state)))
        return Observation(counts=count_groups(store, tree, check.group_by))
    assert check.field is not None and check.baseline is not None
    fields = [*check.group_by, check.field]
    values = values_by_group(count_groups(store, tree, fields))
    baseline = None
    if state.seen is None:
        baseline = baseline_before(check, store, window.start, baselines)
    return Observation(values=values, baseline=baseline)


def followed_groups(state: CheckState) -> set[GroupKey]:
    """The groups a distinct count keeps counting when no group can reach the threshold: those
    the state has not let go of (in breach, so they can recover)."""
    return {key for key, group in state.groups.items() if not group.is_quiet}


def holds_events(store: Store) -> bool:
    """Whether the store holds any event at all: an empty store can't vouch that nothing happened."""
    return store.count(MATCH_ALL).total > 0


def baseline_before(check: Check, store: Store, end: datetime,
                    baselines: BaselineFile | None) -> dict[GroupKey, dict[str, datetime]]:
    """The values seen in the baseline before `end`: the kept ones, extended by what the store
    holds since they were read (everything, the first time)."""
    assert check.baseline is not None
    kept = baselines.load(check) if baselines else None
    seen, keep = extended(kept, end - check.baseline, end,
                          lambda start, stop: read_baseline(check, store, start, stop))
    if baselines:
        baselines.save(check, keep)
    return seen


def count_groups(store: Store, tree: Node, fields: list[str]) -> dict[GroupKey, int]:
    """Matching events per combination of values of `fields` (one field: one query; each further
    field one query per value of the one before). Events without a value for a field are in no group."""
    if not fields:
        return {(): store.count(tree).total}
    first, rest = fields[0], fields[1:]
    counted = store.count(tree, by=first, top=MAX_GROUPS)
    if not rest:
        return {(value,): n for value, n in counted.groups if n}
    groups: dict[GroupKey, int] = {}
    for value, _ in counted.groups:
        for key, n in count_groups(store, And((tree, Match(first, value))), rest).items():
            groups[(value, *key)] = n
    return groups


def lowest_threshold(check: Check) -> float:
    return min(value for value in check.thresholds if value is not None)


def count_distinct(store: Store, tree: Node, group_by: list[str], fields: list[str], threshold: float,
                   followed: frozenset[GroupKey] | set[GroupKey] = frozenset()) -> dict[GroupKey, int]:
    """Distinct values of `fields` (one set for all of them: a secret read by GetSecretValue and
    by BatchGetSecretValue counts once) per group.

    First the values of each field in the whole window (a query per field). Fewer than
    `threshold` in all: no group can reach it, and only the `followed` groups (those the state has
    in breach, so they can recover) are counted. Otherwise the sets are built whichever way asks
    the store less: per group (a query per group and field) or per value (a query per value)."""
    window_values = {field: [value for value, n in store.count(tree, by=field, top=MAX_GROUPS).groups if n]
                     for field in fields}
    if not group_by:
        return {(): len({value for values in window_values.values() for value in values})}
    if len({value for values in window_values.values() for value in values}) < threshold:
        return {key: len(_values(store, group_tree(tree, group_by, key), fields))
                for key in followed if len(key) == len(group_by)}
    groups = count_groups(store, tree, group_by)
    if sum(map(len, window_values.values())) < len(groups) * len(fields):
        sets: dict[GroupKey, set[str]] = {key: set() for key in groups}
        for field, values in window_values.items():
            for value in values:
                for key in count_groups(store, And((tree, Match(field, value))), group_by):
                    sets.setdefault(key, set()).add(value)
        return {key: len(values) for key, values in sets.items()}
    return {key: len(_values(store, group_tree(tree, group_by, key), fields)) for key in groups}


def _values(store: Store, tree: Node, fields: list[str]) -> set[str]:
    values: set[str] = set()
    for field in fields:
        values.update(value for value, n in store.count(tree, by=field, top=MAX_GROUPS).groups if n)
    return values


def read_baseline(check: Check, store: Store, start: datetime, end: datetime) -> dict[GroupKey, dict[str, datetime]]:
    """Values of the check's field per group seen in [start, end) by event time, each with the end
    of the last slice it was seen in. By event time: a trail ingested in bulk has one ingest time."""
    assert check.field is not None
    fields = [*check.group_by, check.field]
    seen: dict[GroupKey, dict[str, datetime]] = {}
    slice_start = start
    while slice_start < end:
        slice_end = min(slice_start + BASELINE_SLICE, end)
        tree = window_tree(check.tree, TimeField.event_time, Window(slice_start, slice_end))
        for key, values in values_by_group(count_groups(store, tree, fields)).items():
            for value in values:
                seen.setdefault(key, {})[value] = slice_end
        slice_start = slice_end
    return seen


def values_by_group(counts: dict[GroupKey, int]) -> dict[GroupKey, dict[str, int]]:
    values: dict[GroupKey, dict[str, int]] = {}
    for key, n in counts.items():
        values.setdefault(key[:-1], {})[key[-1]] = n
    return values


def sample_tree(check: Check, window: Window, key: GroupKey, new_values: tuple[str, ...] = ()) -> Node:
    """The events an alert shows: the group's events in the window (for new_value, with a new value)."""
    tree = group_tree(window_tree(check.tree, check.count_by, window), check.group_by, key)
    if new_values and check.field is not None:
        tree = And((tree, Or(tuple(Match(check.field, value) for value in new_values))))
    return tree


def samples(store: Store, tree: Node, limit: int) -> tuple[SampleEvent, ...]:
    if limit <= 0:
        return ()
    return tuple(sample_of(document) for document in store.search(tree, limit=limit))


def sample_of(document: dict[str, Any]) -> SampleEvent:
    """An event as an alert shows it: its own eventTime, who, what, on what, in which account and
    region, from where, and what the threat rules said of it (`high: …`)."""
    time = document.get("event_time")
    annotations = [text for text in document.get("annotations") or [] if text]
    level = document.get("threat_level")
    annotation = "; ".join(annotations) or None
    if annotation and level:
        annotation = f"{level}: {annotation}"
    return SampleEvent(
        event_id=document.get("event_id") or "", time=_parse(time) if time else None,
        actor=document.get("actor"), event_name=document.get("eventName"), resource=document.get("resource"),
        region=document.get("awsRegion"), source_ip=document.get("sourceIPAddress"),
        error=document.get("errorCode"), annotation=annotation, account=document.get("account"))


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)
