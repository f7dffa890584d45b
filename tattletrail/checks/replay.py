"""`check test --replay`: the check run over history, step by step, to tune thresholds.

History is replayed by event time: a trail ingested in bulk has one ingest time, so counting past
windows by ingest time would say nothing. Each step evaluates exactly as the checker would
(occurrences, refresh) with the step's time as `now`, and nothing is delivered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from tattletrail.alert import Status
from tattletrail.checks.evaluate import Result, Window, evaluate
from tattletrail.checks.model import Check, TimeField
from tattletrail.checks.observe import observe
from tattletrail.checks.state import CheckState, GroupKey
from tattletrail.stores import Store

MAX_STEPS = 2_000


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


def replay(check: Check, store: Store, span: timedelta, now: datetime, max_steps: int = MAX_STEPS) -> Replay:
    check = check.model_copy(update={"count_by": TimeField.event_time, "delay": timedelta(0)})
    steps = max(1, int(span / check.interval))
    step = check.interval * math.ceil(steps / max_steps) if steps > max_steps else check.interval
    end = now.replace(microsecond=0)
    moment = end - step * int(span / step) + step
    state = CheckState(check.fingerprint)
    statuses: dict[GroupKey, Status] = {}
    transitions: list[Transition] = []
    notifications = count = 0
    while moment <= end:
        window = Window(moment - check.window, moment)
        evaluation = evaluate(check, window, observe(check, store, window, state), state, moment)
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
        count += 1
    return Replay(check, end - span, end, step, count, transitions, notifications)
