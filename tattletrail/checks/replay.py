"""`check test --replay`: the check run over history, step by step, to tune thresholds.

History is replayed by event time: a trail ingested in bulk has one ingest time, so counting past
windows by ingest time would say nothing. Each step evaluates exactly as the checker would
(occurrences, refresh) with the step's time as `now`, and nothing is delivered.

A count check is replayed from one histogram query per group (buckets that tile every window),
not one query per step, so a week of one-minute steps takes seconds. Steps are on a grid of whole
buckets (e.g. 16:42:00, 16:43:00). A new_value check asks the store at each step; a count of
distinct values (which don't add up per bucket) asks only at the steps whose window holds enough
events to reach a threshold (or a group in breach), known from one histogram of all its events.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from typing import Callable

from tattletrail.alert import Status
from tattletrail.checks.evaluate import Observation, Result, Window, evaluate
from tattletrail.checks.model import Check, Kind, TimeField
from tattletrail.checks.observe import count_groups, distinct_without_asking, group_tree, observe, window_tree
from tattletrail.checks.state import CheckState, GroupKey
from tattletrail.stores import Store

MAX_STEPS = 20_000
MAX_NEW_VALUE_STEPS = 500  # each is a store query
HISTOGRAM_BUCKETS = 5_000  # per histogram query


@dataclass(frozen=True)
class Transition:
    """A status change of a check (or group) during the replay, and whether it would notify."""

    at: datetime
    previous: Status
    result: Result
    notify: tuple[str, ...] | None  # destinations it would go to; None: not notified


@dataclass
class Replay:
    check: Check
    start: datetime
    end: datetime
    step: timedelta
    steps: int
    transitions: list[Transition]
    notifications: int


def replay(check: Check, store: Store, span: timedelta, now: datetime) -> Replay:
    check = check.model_copy(update={"count_by": TimeField.event_time, "delay": timedelta(0)})
    stepwise = check.kind is not Kind.count or bool(check.distinct)  # distinct values do not add up per bucket
    limit = MAX_NEW_VALUE_STEPS if stepwise else MAX_STEPS
    steps = max(1, int(span / check.interval))
    step = check.interval * math.ceil(steps / limit) if steps > limit else check.interval
    bucket = timedelta(seconds=math.gcd(int(step.total_seconds()), int(check.window.total_seconds())) or 1)
    end = _floor(now, bucket)
    first = end - step * (int(span / step) - 1)
    counts_at: Callable[[Window], dict[GroupKey, int]] | None = None
    events_at: Callable[[Window], dict[GroupKey, int]] | None = None
    if not stepwise:
        counts_at = _histogram_counts(check, store, first - check.window, end, bucket)
    elif check.kind is Kind.count:  # distinct: the events per window (one histogram) spare most steps' queries
        events_at = _histogram_counts(check.model_copy(update={"group_by": []}), store, first - check.window, end,
                                      bucket)
    state = CheckState(check.fingerprint)
    statuses: dict[GroupKey, Status] = {}
    transitions: list[Transition] = []
    notifications = taken = 0
    moment = first
    while moment <= end:
        window = Window(moment - check.window, moment)
        known = distinct_without_asking(check, state, events_at(window).get((), 0)) if events_at else None
        if counts_at:
            observed = Observation(counts=counts_at(window))
        elif known is not None:
            observed = Observation(counts=known)
        else:
            observed = observe(check, store, window, state)
        if check.kind is Kind.new_value and not any((state.seen or {}).values()):
            observed = _learn_without_history(observed, window)
            state.seen = None  # evaluate takes the learned baseline as what was seen
        evaluation = evaluate(check, window, observed, state, moment)
        state = evaluation.state
        notified = {notification.result.key: notification.destinations for notification in evaluation.notifications}
        notifications += len(notified)
        for result in evaluation.results:
            previous = statuses.get(result.key, Status.OK)
            if result.status is not previous or result.key in notified:
                transitions.append(Transition(moment, previous, result, notified.get(result.key)))
            statuses[result.key] = result.status
        for key in set(statuses) - {result.key for result in evaluation.results}:
            statuses[key] = Status.OK
        moment += step
        taken += 1
    return Replay(check, end - span, end, step, taken, transitions, notifications)


def _learn_without_history(observed: Observation, window: Window) -> Observation:
    """A new_value replay step before any history (the store's events begin inside the replay):
    with nothing seen before, nothing can be called new; the first values seen become the baseline."""
    if any((observed.baseline or {}).values()):
        return observed
    learned = {key: {value: window.end for value in values} for key, values in observed.values.items()}
    return Observation(values=observed.values, baseline=learned)


def _histogram_counts(check: Check, store: Store, start: datetime, end: datetime,
                      bucket: timedelta) -> Callable[[Window], dict[GroupKey, int]]:
    """Counts per group for any window on the bucket grid in [start, end), from histograms."""
    keys = list(count_groups(store, window_tree(check.tree, TimeField.event_time, Window(start, end)), check.group_by))
    sums: dict[GroupKey, list[int]] = {}
    total = int((end - start) / bucket)
    for key in keys:
        counts = [0] * total
        tree = group_tree(check.tree, check.group_by, key)
        for chunk_start in range(0, total, HISTOGRAM_BUCKETS):
            since = start + bucket * chunk_start
            until = min(start + bucket * (chunk_start + HISTOGRAM_BUCKETS), end)
            for bucket_start, n in store.count(tree, since=since, until=until, interval=bucket).buckets:
                index = int((bucket_start - start) / bucket)
                if 0 <= index < total:
                    counts[index] += n
        sums[key] = [0, *accumulate(counts)]

    def counts_at(window: Window) -> dict[GroupKey, int]:
        low, high = int((window.start - start) / bucket), int((window.end - start) / bucket)
        found = {key: prefix[high] - prefix[low] for key, prefix in sums.items()}
        return {key: n for key, n in found.items() if n}

    return counts_at


def _floor(moment: datetime, size: timedelta) -> datetime:
    epoch = moment.replace(tzinfo=timezone.utc).timestamp()
    seconds = size.total_seconds()
    return datetime.fromtimestamp(epoch // seconds * seconds, tz=timezone.utc).replace(tzinfo=None)
