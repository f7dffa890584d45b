"""Check findings for the report: what the pack's aggregate checks saw during the window.

A single event's rule can't see a burst of denied calls, a region an account never used, or an
hour with no events at all; the checks can. The report asks the check machinery itself, by event
time: a count check is replayed over the window (`checks.replay`, the same evaluation as the
checker, from histograms); a new_value check is evaluated once over the window against the
values its field had in the `baseline` before (one query, instead of the checker's daily slices).

Only *aggregate* breaches are findings — a status whose threshold needs more than one event
(`warning: 5` denied calls per actor, `critical: 20` route changes), a new value, or a silence
(`direction: below`). A check that fires on one event says what a rule already says per event.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tattletrail.alert import Status
from tattletrail.checks.evaluate import Observation, Window, evaluate, window_for
from tattletrail.checks.explore import explore
from tattletrail.checks.model import Check, Direction, Kind, TimeField, duration_text
from tattletrail.checks.observe import (count_distinct, count_groups, sample_tree,
                                       values_by_group, window_tree)
from tattletrail.checks.replay import Replay, grid_of, replay
from tattletrail.checks.state import CheckState
from tattletrail.checks.tally import MAX_TALLY_ROWS, Tally, count_order, read_tally, too_big
from tattletrail.errors import TattletrailError
from tattletrail.event import THREAT_LEVELS
from tattletrail.report.model import CheckFinding
from tattletrail.searches import escape_value
from tattletrail.stores.base import Store

MAX_NARROWED = 50  # groups named in a narrowed replay's query; beyond, the whole check is replayed
SAMPLE_EVENTS = 200  # events read per finding, to say who, what and from where
STATUS_LEVELS = {Status.CRITICAL: "high", Status.WARNING: "medium"}  # when a check's severity is no level


class CannotTell(TattletrailError):
    """The store holds too little to evaluate the check over this window (said, never taken as OK)."""


@dataclass
class Found:
    """A finding, its level, and (some of) the events it is about."""

    finding: CheckFinding
    level: str
    documents: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Findings:
    found: list[Found] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # `check: reason` for checks that could not be evaluated


def check_findings(store: Store, checks: list[Check], since: datetime, until: datetime,
                   dashboards_url: str | None = None) -> Findings:
    findings = Findings()
    for check in checks:
        if not check.enabled or not is_aggregate(check):
            continue
        check = check.model_copy(update={"count_by": TimeField.event_time, "delay": timedelta(0)})
        try:
            breaches = _new_values(check, store, since, until) if check.kind is Kind.new_value else \
                _breaches(check, store, since, until)
            for finding in breaches:
                window = Window(finding.start, finding.end)
                key = tuple(finding.group.get(name, "") for name in check.group_by)
                finding.explore_url, finding.explore_command = explore(store, dashboards_url, check, window,
                                                                       key, finding.new_values)
                documents = store.search(sample_tree(check, window, key, finding.new_values), limit=SAMPLE_EVENTS)
                findings.found.append(Found(finding, level_of(check, finding.status), documents))
        except CannotTell as reason:
            findings.failed.append(f"{check.name}: {reason}")
        except Exception as error:  # noqa: BLE001 - said in the report, never silently OK
            findings.failed.append(f"{check.name}: {type(error).__name__}: {error}")
    return findings


def is_aggregate(check: Check) -> bool:
    if check.kind is Kind.new_value or check.direction is Direction.below:
        return True
    return any(threshold is not None and threshold > 1 for threshold in check.thresholds)


def level_of(check: Check, status: str) -> str:
    if check.severity in THREAT_LEVELS and check.severity != "info":
        return check.severity
    return STATUS_LEVELS.get(Status[status], "medium")


def _breaches(check: Check, store: Store, since: datetime, until: datetime) -> list[CheckFinding]:
    """Replay the count check over the window; one finding per group that breached."""
    by_group: dict[tuple[str, ...], CheckFinding] = {}
    for transition in _replayed(check, store, since, until).transitions:
        result = transition.result
        if result.status not in (Status.WARNING, Status.CRITICAL) or not _counts(check, result, since):
            continue
        sentence = _sentence(check, result.status, result.count or 0, result.group)
        found = by_group.get(result.key)
        if found is None:
            by_group[result.key] = CheckFinding(check.name, result.status.name, dict(result.group), result.count or 0,
                                                sentence, result.window.start, result.window.end)
            continue
        found.end = max(found.end, result.window.end)
        if Status[found.status] < result.status or (check.direction is Direction.above and
                                                    (result.count or 0) > found.count):
            found.status, found.count, found.sentence = result.status.name, result.count or 0, sentence
    return list(by_group.values())


def _replayed(check: Check, store: Store, since: datetime, until: datetime) -> Replay:
    """The check replayed over the window from its events read in one query. Safety cap: a check
    whose tally is too big to hold (over MAX_TALLY_ROWS rows, or a field with more values than a
    count keeps; `read_tally` says None) is replayed from the store as before, narrowed to the
    groups that can breach."""
    grid = grid_of(check, until - since, until)
    tally = read_tally(check, store, grid.read.start, grid.read.end, grid.bucket)
    if tally is not None:
        if check.direction is Direction.above:  # only the groups that can breach: the others stay OK
            groups = _can_breach(check, tally, grid.read)
            if not groups:
                return Replay(check, since, until, grid.step, 0, [], 0)
            tally = tally.restricted(groups)
        return replay(check, store, until - since, until, tally)
    narrowed = _narrowed(check, store, since, until) if check.direction is Direction.above else check
    if narrowed is None:
        return Replay(check, since, until, grid.step, 0, [], 0)
    return replay(narrowed, store, until - since, until)


def _can_breach(check: Check, tally: Tally, read: Window) -> set[tuple[str, ...]]:
    """The groups whose events (or distinct values) in all that was read reach an aggregate
    threshold: in any one window a group has at most that many, so no other can breach."""
    least = min(value for value in check.thresholds if value is not None and value > 1)
    counted = tally.distinct_counts(read, check.group_by, least) if check.distinct else tally.counts(read)
    return {key for key, n in counted.items() if n >= least}


def _narrowed(check: Check, store: Store, since: datetime, until: datetime) -> Check | None:
    """The check restricted to the groups whose events in the whole window reach an aggregate
    threshold (no other group can breach in any part of it); None when there is none. Replaying
    only those keeps the replay short on a busy day."""
    least = min(value for value in check.thresholds if value is not None and value > 1)
    whole = window_tree(check.tree, TimeField.event_time, Window(since, until))
    # A group's events (or distinct values) in any part of the window are at most those in all of it.
    counted = count_distinct(store, whole, check.group_by, check.distinct, least) if check.distinct else \
        count_groups(store, whole, check.group_by)
    candidates = [key for key, n in counted.items() if n >= least]
    if not candidates:
        return None
    if not check.group_by or len(candidates) > MAX_NARROWED:
        return check
    groups = " OR ".join("(" + " AND ".join(f"{name}:{escape_value(value)}" for name, value in zip(check.group_by, key))
                         + ")" for key in candidates)
    return check.model_copy(update={"query": f"({check.query}) AND ({groups})"})


def _counts(check: Check, result: Any, since: datetime) -> bool:
    """An aggregate breach inside the report's window: for `above`, at a threshold over 1."""
    if check.direction is Direction.below:
        return bool(result.window.start >= since)
    threshold = check.thresholds[1 if result.status is Status.CRITICAL else 0]
    return bool(result.window.end > since and threshold is not None and threshold > 1)


def _sentence(check: Check, status: Status, count: int, group: dict[str, str]) -> str:
    warning, critical = check.thresholds
    threshold = critical if status is Status.CRITICAL else warning
    where = " for " + ", ".join(f"{name} {value}" for name, value in group.items()) if group else ""
    operator = "≥" if check.direction is Direction.above else "<"
    noun = "event" if count == 1 else "events"
    return (f"{check.name}: {count:,} matching {noun} in {duration_text(check.window)}{where} "
            f"({status.name.lower()} at {operator} {threshold:g})")


def _new_values(check: Check, store: Store, since: datetime, until: datetime) -> list[CheckFinding]:
    """Values of the check's field in the window that the `baseline` before it never had."""
    assert check.field is not None and check.baseline is not None
    before = _values_seen(check, store, since - check.baseline, since)
    if not before:
        raise CannotTell(f"no events in the {duration_text(check.baseline)} before the window to compare with, "
                         f"so no {check.field} can be told new")
    seen: dict[tuple[str, ...], dict[str, datetime]] = {}
    for key in before:
        seen.setdefault(key[:-1], {})[key[-1]] = since
    state = CheckState(check.fingerprint, last_end=since, seen=seen)
    window = window_for(check, until, since)
    observed = Observation(values=values_by_group(_values_seen(check, store, window.start, window.end)))
    evaluation = evaluate(check, window, observed, state, until)
    found = []
    for result in evaluation.results:  # a store that fails raises: check_findings says so
        if result.status is Status.OK or not result.new_values:
            continue
        group = ", ".join(f"{name} {value}" for name, value in result.group.items())
        sentence = (f"{check.name}: {check.field} {', '.join(result.new_values)} first seen"
                    f"{' for ' + group if group else ''} (not in the {duration_text(check.baseline)} before)")
        found.append(CheckFinding(check.name, result.status.name, dict(result.group), len(result.new_values),
                                  sentence, result.window.start, result.window.end, tuple(result.new_values)))
    return found


def _values_seen(check: Check, store: Store, start: datetime, end: datetime) -> dict[tuple[str, ...], int]:
    """Events per (group, value of the check's field) in [start, end), by event time: one grouped
    query (a count per group and field otherwise: 1 + one per value of each field but the last)."""
    assert check.field is not None
    fields = [*check.group_by, check.field]
    tallied = store.tally(check.tree, start, end, fields, None, limit=MAX_TALLY_ROWS)
    if too_big(tallied, len(fields)):  # too many to hold, or more values than a count keeps
        return count_groups(store, window_tree(check.tree, TimeField.event_time, Window(start, end)), fields)
    counted = {key: n for key, _, _, n in tallied}
    return {key: counted[key] for key in count_order(counted)}  # the order the checker's results have


def main_actor(documents: list[dict[str, Any]]) -> str | None:
    counted = Counter(document.get("actor") for document in documents if document.get("actor"))
    return counted.most_common(1)[0][0] if counted else None
