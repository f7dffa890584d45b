"""`check test --replay`: the check run over history, step by step, to tune thresholds.

History is replayed by event time: a trail ingested in bulk has one ingest time, so counting past
windows by ingest time would say nothing. Each step evaluates exactly as the checker would
(occurrences, refresh) with the step's time as `now`, and nothing is delivered.

A count check is replayed from one histogram query per group (buckets that tile every window),
not one query per step, so a week of one-minute steps takes seconds. Steps are on a grid of whole
buckets (e.g. 16:42:00, 16:43:00). A new_value check asks the store at each step. A caller that
read the check's events once (checks/tally.py: the report) passes them in, and no step asks the
store.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import accumulate
from typing import Callable

from tattletrail.alert import Status
from tattletrail.checks.evaluate import Observation, Result, Window, evaluate
from tattletrail.checks.model import Check, Direction, Kind, TimeField
from tattletrail.checks.observe import (count_groups, followed_groups, group_tree, lowest_threshold, observe,
                                        window_tree)
from tattletrail.checks.state import CheckState, GroupKey
from tattletrail.checks.tally import Tally
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


@dataclass(frozen=True)
class Grid:
    """When a replay's steps fall: every `step` from `first` to `end`, each window made of whole
    `bucket`s; the events it reads are those in `read` (the first step's window to the end)."""

    first: datetime
    end: datetime
    step: timedelta
    bucket: timedelta
    read: Window


def grid_of(check: Check, span: timedelta, now: datetime) -> Grid:
    stepwise = check.kind is not Kind.count or bool(check.distinct)  # distinct values do not add up per bucket
    limit = MAX_NEW_VALUE_STEPS if stepwise else MAX_STEPS
    steps = max(1, int(span / check.interval))
    step = check.interval * math.ceil(steps / limit) if steps > limit else check.interval
    bucket = timedelta(seconds=math.gcd(int(step.total_seconds()), int(check.window.total_seconds())) or 1)
    end = _floor(now, bucket)
    first = end - step * (int(span / step) - 1)
    return Grid(first, end, step, bucket, Window(first - check.window, end))


def replay(check: Check, store: Store, span: timedelta, now: datetime, tally: Tally | None = None) -> Replay:
    """`tally`: the check's events over `grid_of(check, span, now).read`, read once (a count check);
    without it, each step's counts come from the store."""
    check = check.model_copy(update={"count_by": TimeField.event_time, "delay": timedelta(0)})
    grid = grid_of(check, span, now)
    observe_at = _observer(check, store, grid, tally)
    state = CheckState(check.fingerprint)
    statuses: dict[GroupKey, Status] = {}
    transitions: list[Transition] = []
    notifications = taken = 0
    moment = grid.first
    while moment <= grid.end:
        window = Window(moment - check.window, moment)
        observed = observe_at(window, state)
        if tally is not None and _quiet_step(check, observed, state):
            moment += grid.step
            taken += 1
            continue
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
        moment += grid.step
        taken += 1
    return Replay(check, grid.end - span, grid.end, grid.step, taken, transitions, notifications)


def _observer(check: Check, store: Store, grid: Grid,
              tally: Tally | None) -> Callable[[Window, CheckState], Observation]:
    """How a step learns what `evaluate` needs: from the tally, from histograms per group (a plain
    count), or by asking the store (distinct values and new values do not add up per bucket)."""
    if tally is not None and check.distinct:
        threshold, by = lowest_threshold(check), check.group_by
        return lambda window, state: Observation(counts=tally.distinct_counts(window, by, threshold, followed_groups(state)))
    if tally is not None:
        return lambda window, state: Observation(counts=tally.counts(window))
    if check.kind is Kind.count and not check.distinct:
        counts_at = _histogram_counts(check, store, grid.read.start, grid.read.end, grid.bucket)
        return lambda window, state: Observation(counts=counts_at(window))
    return lambda window, state: observe(check, store, window, state)


def _quiet_step(check: Check, observed: Observation, state: CheckState) -> bool:
    """A step `evaluate` would end where it began: no group held in the state, and every count
    (and none at all) OK — only OK results for groups that were OK, nothing notified. Skipping
    it is what makes a day of one-minute steps from a tally cheap; the answer is the same."""
    if check.kind is not Kind.count or check.direction is not Direction.above or state.groups:
        return False
    return all(check.status_of(n) is Status.OK for n in [*observed.counts.values(), 0])


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
