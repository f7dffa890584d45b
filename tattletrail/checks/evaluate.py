"""The pure core of the checker: (check, what the store answered, state, now) → results, notifications, state.

Nothing here reads a clock, a store or the network; runner.py does that and passes the answers in.
That is what lets tests drive every transition with plain values, and `check test --replay` feed
the same function with counts from history.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Sequence

from tattletrail.alert import Status
from tattletrail.checks.model import Check, Direction, Kind, TimeField, duration_text
from tattletrail.checks.silence import Silence, covering
from tattletrail.checks.state import CheckState, GroupKey, GroupState
from tattletrail.timespec import iso_utc

# After a long outage the catch-up window reaches back at most this far.
MAX_CATCH_UP = timedelta(days=7)


@dataclass(frozen=True)
class Window:
    """Events whose time (ingest or event time) is in [start, end), naive UTC."""

    start: datetime
    end: datetime

    def text(self) -> str:
        return f"[{iso_utc(self.start)}, {iso_utc(self.end)})"


def window_for(check: Check, now: datetime, last_end: datetime | None = None) -> Window:
    """The window a run at `now` counts: the last `window` (ending `delay` ago when counting by
    event time), widened back to the end of the last counted window if the checker was away longer
    than a window, so that no event falls between two runs. Ends are whole seconds."""
    end = now.replace(microsecond=0)
    if check.count_by is TimeField.event_time:
        end -= check.delay
    start = end - check.window
    if last_end is not None and last_end < start:
        start = max(last_end, end - MAX_CATCH_UP)
    return Window(start, end)


@dataclass
class Observation:
    """What the store answered for one window."""

    counts: dict[GroupKey, int] = field(default_factory=dict)  # count: matching events per group
    values: dict[GroupKey, dict[str, int]] = field(default_factory=dict)  # new_value: values in the window
    # new_value, first run only: values seen before the window, with when they were last seen
    baseline: dict[GroupKey, dict[str, datetime]] | None = None

    @property
    def is_empty(self) -> bool:
        """Nothing matched at all (a reason to ask whether the store holds anything)."""
        return not any(self.counts.values()) and not any(self.values.values()) and not any((self.baseline or {}).values())


@dataclass(frozen=True)
class Failure:
    """The store could not answer (unreachable, refused, query failed): the run is UNKNOWN."""

    reason: str


@dataclass(frozen=True)
class Result:
    """One line of `check run`: a check (and group), its status, what was counted and over when."""

    check: str
    key: GroupKey
    group: dict[str, str]
    status: Status
    count: int | None
    window: Window
    message: str
    warning: float | None = None
    critical: float | None = None
    new_values: tuple[str, ...] = ()
    below: bool = False  # direction below: a breach is a count under the threshold

    @property
    def label(self) -> str:
        if not self.group:
            return self.check
        return self.check + "[" + ",".join(f"{name}={value}" for name, value in self.group.items()) + "]"

    def sensu_line(self) -> str:
        """`NAME STATUS: message|count=N;warn;crit` — Nagios plugin output with performance data.
        Thresholds are Nagios ranges: `3` for a check above (as Sensu writes it), `1:` (alert
        under 1) for a check below."""
        count = "U" if self.count is None else str(self.count)
        suffix = ":" if self.below else ""
        perf = f"count={count};{_number(self.warning, suffix)};{_number(self.critical, suffix)}"
        return f"{self.label} {self.status.name}: {self.message}|{perf}"

    def to_json(self) -> dict[str, object]:
        return {"check": self.check, "group": dict(self.group), "status": self.status.name,
                "exit_code": int(self.status), "count": self.count, "warning": self.warning,
                "critical": self.critical, "window": {"start": iso_utc(self.window.start), "end": iso_utc(self.window.end)},
                "message": self.message, "new_values": list(self.new_values)}


def _number(value: float | None, suffix: str = "") -> str:
    return "" if value is None else f"{value:g}{suffix}"


@dataclass(frozen=True)
class Notification:
    """A result someone must be told about: a transition, a due repeat, or a RECOVERY."""

    result: Result
    previous: Status  # the status last notified
    suppressed: int  # repeats held back by `refresh` since that notification
    destinations: tuple[str, ...]


@dataclass
class Evaluation:
    results: list[Result]
    notifications: list[Notification]
    state: CheckState


def evaluate(check: Check, window: Window, observed: Observation | Failure, state: CheckState,
             now: datetime, silences: Sequence[Silence] = ()) -> Evaluation:
    """One run of one check. `state` is not changed; the new state is returned. A result that a
    silence covers is evaluated and recorded like any other, but not notified."""
    state = copy.deepcopy(state)
    warning, critical = check.thresholds
    if isinstance(observed, Failure):
        result = Result(check.name, (), {}, Status.UNKNOWN, None, window, observed.reason, warning, critical,
                        below=check.direction is Direction.below)
        notification = _decide(check, state.groups.setdefault((), GroupState()), result, now, silences)
        return Evaluation([result], [notification] if notification else [], state)

    if check.kind is Kind.new_value:
        counts, new_values = _new_values(check, window, observed, state)
    else:
        counts, new_values = dict(observed.counts), {}
    if not counts and (check.group_by or check.kind is Kind.new_value):
        counts[()] = 0
    keys = list(counts) + [key for key, group in state.groups.items() if key not in counts and (
        not group.is_quiet or (check.direction is Direction.below and key != ()))]

    results, notifications = [], []
    for key in keys:
        count = counts.get(key, 0)
        status = check.status_of(count)
        if key == () and check.group_by and key not in counts:
            status = Status.OK  # the whole-check line of a grouped check: its groups speak for it
        result = Result(check.name, key, dict(zip(check.group_by, key)), status, count, window,
                        _message(check, count, window, new_values.get(key, ())), warning, critical,
                        tuple(new_values.get(key, ())), check.direction is Direction.below)
        results.append(result)
        notification = _decide(check, state.groups.setdefault(key, GroupState()), result, now, silences)
        if notification:
            notifications.append(notification)
    state.groups = {key: group for key, group in state.groups.items()
                    if not group.is_quiet or (check.direction is Direction.below and key != ())}
    state.last_end = window.end
    return Evaluation(results, notifications, state)


def _decide(check: Check, group: GroupState, result: Result, now: datetime,
            silences: Sequence[Silence] = ()) -> Notification | None:
    """Update one group's state with its new status; the notification it calls for, if any (none
    while silenced: what was last notified stays as it was, so the end of the silence tells)."""
    status = result.status
    if group.status is not status or group.since is None:
        group.since = now
    group.status = status
    return _notification(check, group, result, now, silences)


def _notification(check: Check, group: GroupState, result: Result, now: datetime,
                  silences: Sequence[Silence]) -> Notification | None:
    status = result.status
    if status is Status.UNKNOWN and not check.destinations.unknown:
        return None  # nobody asked to hear about outages: keep what was told as it was
    if status is Status.OK:
        group.consecutive = 0
        if group.notified is Status.OK:
            return None
        if check.kind is Kind.new_value:  # each new value is an event, not a condition: no RECOVERY
            group.notified, group.suppressed = Status.OK, 0
            return None
        return _notify(check, group, result, now, tuple(check.destinations.everywhere()), silences)
    if status is not Status.UNKNOWN:
        group.consecutive += 1
        if group.consecutive < check.occurrences:
            return None
    due = group.notified_at is None or now - group.notified_at >= check.refresh
    if status is group.notified and not due:
        group.suppressed += 1
        return None
    return _notify(check, group, result, now, tuple(check.destinations.for_status(status)), silences)


def _notify(check: Check, group: GroupState, result: Result, now: datetime,
            destinations: tuple[str, ...], silences: Sequence[Silence] = ()) -> Notification | None:
    if covering(silences, check.name, result.group, now) is not None:
        group.silenced += 1
        return None
    notification = Notification(result, group.notified, group.suppressed, destinations)
    group.notified, group.notified_at, group.suppressed, group.silenced = result.status, now, 0, 0
    return notification


def _new_values(check: Check, window: Window, observed: Observation,
                state: CheckState) -> tuple[dict[GroupKey, int], dict[GroupKey, list[str]]]:
    """Values in the window not seen in the `baseline` before it; remembers what was seen."""
    assert check.baseline is not None  # the model guarantees it for new_value checks
    if state.seen is None:
        state.seen = copy.deepcopy(observed.baseline or {})
    horizon = window.start - check.baseline
    counts: dict[GroupKey, int] = {}
    fresh: dict[GroupKey, list[str]] = {}
    for key, values in observed.values.items():
        known = state.seen.setdefault(key, {})
        new = sorted(value for value in values if known.get(value, horizon - timedelta(seconds=1)) < horizon)
        counts[key] = len(new)
        if new:
            fresh[key] = new
        for value in values:
            known[value] = max(known.get(value, window.end), window.end)
    oldest = window.end - check.baseline
    state.seen = {key: kept for key, values in state.seen.items()
                  if (kept := {value: when for value, when in values.items() if when >= oldest})}
    return counts, fresh


def _message(check: Check, count: int, window: Window, new_values: list[str] | tuple[str, ...]) -> str:
    by = check.count_by.value
    if check.kind is Kind.new_value:
        assert check.baseline is not None
        if not new_values:
            return f"no new {check.field} in {window.text()} by {by}"
        return (f"{len(new_values)} new {check.field}: {', '.join(new_values)} in {window.text()} by {by} "
                f"(not seen in the {duration_text(check.baseline)} before)")
    noun = ("event" if count == 1 else "events") if not check.distinct else f"distinct {'+'.join(check.distinct)}"
    return f"{count} {noun} in {window.text()} by {by}{_thresholds_text(check)}"


def _thresholds_text(check: Check) -> str:
    operator = ">=" if check.direction is Direction.above else "<"
    parts = [f"{name} {operator} {value:g}" for name, value in zip(("warning", "critical"), check.thresholds)
             if value is not None]
    return f" ({', '.join(parts)})" if parts else ""
