"""The pure core: statuses, windows and notification decisions from plain values (no store, no clock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tattletrail.alert import Status
from tattletrail.checks.evaluate import MAX_CATCH_UP, Failure, Observation, Window, evaluate, window_for
from tattletrail.checks.model import Check
from tattletrail.checks.state import CheckState

OK, WARNING, CRITICAL, UNKNOWN = Status.OK, Status.WARNING, Status.CRITICAL, Status.UNKNOWN
T0 = datetime(2026, 11, 23, 16, 0, 0)
MINUTE = timedelta(minutes=1)


def make_check(**fields: Any) -> Check:
    fields.setdefault("name", "test-check")
    fields.setdefault("query", "eventName:AuthorizeSecurityGroupIngress")
    fields.setdefault("destinations", {"warning": ["slack"], "critical": ["slack", "sns"]})
    return Check.model_validate(fields)


@pytest.mark.parametrize("direction, warning, critical, count, expected", [
    ("above", 1, 5, 0, OK),
    ("above", 1, 5, 1, WARNING),       # count >= threshold
    ("above", 1, 5, 4, WARNING),
    ("above", 1, 5, 5, CRITICAL),
    ("above", None, 1, 0, OK),
    ("above", None, 1, 7, CRITICAL),
    ("above", 3, None, 100, WARNING),
    ("below", None, 1, 0, CRITICAL),   # "no events in 60m": count < threshold
    ("below", None, 1, 1, OK),
    ("below", 10, 1, 5, WARNING),
    ("below", 10, 1, 0, CRITICAL),
    ("below", 10, 1, 10, OK),
])
def test_status_of_a_count(direction: str, warning: float | None, critical: float | None, count: int,
                           expected: Status) -> None:
    check = make_check(direction=direction, warning=warning, critical=critical)
    assert check.status_of(count) is expected


def run_sequence(check: Check, observations: list[Any], step: timedelta = MINUTE,
                 state: CheckState | None = None) -> tuple[list[tuple[Any, ...]], CheckState]:
    """Evaluate one observation per step (a count, a {group: count}, or a Failure); per step, what
    was notified: (status, previous, suppressed, destinations) for each notification."""
    state = state or CheckState(check.fingerprint)
    now = T0
    seen = []
    for observed in observations:
        now += step
        if isinstance(observed, int):
            observed = Observation(counts={(): observed})
        elif isinstance(observed, dict):
            observed = Observation(counts={(key,): n for key, n in observed.items()})
        evaluation = evaluate(check, window_for(check, now, state.last_end), observed, state, now)
        state = evaluation.state
        seen.append([(n.result.group.get("actor", ""), n.result.status, n.previous, n.suppressed, n.destinations)
                     for n in evaluation.notifications])
    return seen, state


SLACK, BOTH = ("slack",), ("slack", "sns")


@pytest.mark.parametrize("fields, counts, expected", [
    # one breach notifies; repeats within refresh are held back and counted; the end sends one RECOVERY
    (dict(critical=1), [0, 1, 2, 1, 0, 0],
     [[], [("", CRITICAL, OK, 0, BOTH)], [], [], [("", OK, CRITICAL, 2, BOTH)], []]),
    # occurrences: only the third breach in a row notifies; an OK in between starts again
    (dict(critical=1, occurrences=3), [1, 1, 0, 1, 1, 1, 1],
     [[], [], [], [], [], [("", CRITICAL, OK, 0, BOTH)], []]),
    # a breach that never reached `occurrences` ends without a RECOVERY (nobody was told)
    (dict(critical=1, occurrences=2), [1, 0, 0], [[], [], []]),
    # escalation and de-escalation notify at once, whatever the refresh
    (dict(warning=1, critical=5), [1, 5, 5, 2, 0],
     [[("", WARNING, OK, 0, SLACK)], [("", CRITICAL, WARNING, 0, BOTH)], [], [("", WARNING, CRITICAL, 1, SLACK)],
      [("", OK, WARNING, 0, BOTH)]]),
    # refresh: a repeat goes out once `refresh` has passed since the last notification, with the count held back
    (dict(critical=1, refresh="3m"), [1, 1, 1, 1, 1],
     [[("", CRITICAL, OK, 0, BOTH)], [], [], [("", CRITICAL, CRITICAL, 2, BOTH)], []]),
    # below: "no CloudTrail events in 60 minutes"
    (dict(query="*", direction="below", critical=1, window="60m"), [120, 0, 0, 3],
     [[], [("", CRITICAL, OK, 0, BOTH)], [], [("", OK, CRITICAL, 1, BOTH)]]),
])
def test_notifications_follow_transitions(fields: dict[str, Any], counts: list[int], expected: list[Any]) -> None:
    seen, _ = run_sequence(make_check(**fields), counts)
    assert seen == expected


def test_refresh_is_per_group() -> None:
    check = make_check(critical=1, group_by=["actor"], refresh="1h")
    seen, state = run_sequence(check, [{"alice": 1}, {"alice": 2, "bob": 1}, {"alice": 1, "bob": 1}, {"bob": 1}])
    assert seen == [
        [("alice", CRITICAL, OK, 0, BOTH)],
        [("bob", CRITICAL, OK, 0, BOTH)],      # alice's recent notification does not hold back bob's
        [],                                     # both within their own refresh: held back
        [("alice", OK, CRITICAL, 2, BOTH)],     # alice recovers (her count is 0: absent from the answer)
    ]
    assert state.groups[("bob",)].suppressed == 2 and ("alice",) not in state.groups


def test_a_grouped_check_without_any_group_prints_one_line() -> None:
    check = make_check(critical=1, group_by=["actor"])
    evaluation = evaluate(check, window_for(check, T0), Observation(counts={}), CheckState(check.fingerprint), T0)
    assert [(result.label, result.status, result.count) for result in evaluation.results] == [("test-check", OK, 0)]


def test_a_failure_is_unknown_never_ok_and_the_window_is_counted_again() -> None:
    check = make_check(critical=1)
    seen, state = run_sequence(check, [1, Failure("connection refused")])
    assert seen == [[("", CRITICAL, OK, 0, BOTH)], []]  # nobody asked for UNKNOWN: nothing sent, nothing forgotten
    assert state.last_end == T0 + MINUTE
    evaluation = evaluate(check, window_for(check, T0 + 2 * MINUTE, state.last_end), Failure("refused"), state,
                          T0 + 2 * MINUTE)
    assert [(result.status, result.count, result.message) for result in evaluation.results] == [(UNKNOWN, None, "refused")]
    assert evaluation.results[0].sensu_line() == "test-check UNKNOWN: refused|count=U;;1"
    # back: still CRITICAL, and no duplicate CRITICAL notification (within refresh)
    seen, state = run_sequence(check, [1], state=state, step=3 * MINUTE)
    assert seen == [[]] and state.groups[()].notified is CRITICAL


def test_unknown_notifies_when_asked_and_recovers() -> None:
    check = make_check(critical=1, destinations={"critical": ["slack"], "unknown": ["pager"]})
    seen, _ = run_sequence(check, [0, Failure("timeout"), Failure("timeout"), 0])
    assert seen == [[], [("", UNKNOWN, OK, 0, ("pager",))], [], [("", OK, UNKNOWN, 1, ("slack", "pager"))]]


@pytest.mark.parametrize("fields, now, last_end, expected", [
    (dict(window="30m"), T0, None, (T0 - 30 * MINUTE, T0)),
    (dict(window="30m"), T0.replace(microsecond=654321), None, (T0 - 30 * MINUTE, T0)),  # whole seconds
    (dict(window="30m"), T0, T0 - MINUTE, (T0 - 30 * MINUTE, T0)),          # on time: the plain window
    (dict(window="30m"), T0, T0 - 2 * 60 * MINUTE, (T0 - 120 * MINUTE, T0)),  # away 2h: one result since then
    (dict(window="30m"), T0, T0 - timedelta(days=30), (T0 - MAX_CATCH_UP, T0)),
    (dict(window="30m", count_by="event_time", delay="10m"), T0, None, (T0 - 40 * MINUTE, T0 - 10 * MINUTE)),
])
def test_window(fields: dict[str, Any], now: datetime, last_end: datetime | None,
                expected: tuple[datetime, datetime]) -> None:
    window = window_for(make_check(critical=1, **fields), now, last_end)
    assert (window.start, window.end) == expected


def test_every_result_states_its_window_in_utc() -> None:
    check = make_check(warning=1, critical=3)
    result = evaluate(check, Window(T0 - 30 * MINUTE, T0), Observation(counts={(): 2}), CheckState(), T0).results[0]
    assert result.sensu_line() == ("test-check WARNING: 2 events in [2026-11-23T15:30:00Z, 2026-11-23T16:00:00Z) "
                                   "by ingest_time (warning >= 1, critical >= 3)|count=2;1;3")


def new_region_check(**fields: Any) -> Check:
    return make_check(kind="new_value", query="*", field="awsRegion", baseline="30d", window="30m",
                      destinations={"warning": ["slack"]}, **fields)


def test_new_value_fires_once_for_a_region_not_in_the_baseline() -> None:
    check = new_region_check()
    state = CheckState(check.fingerprint)
    baseline = {(): {"eu-west-1": T0 - timedelta(days=2), "us-east-1": T0 - timedelta(days=29)}}
    steps = [({"eu-west-1": 40}, baseline), ({"eu-west-1": 3, "ap-east-1": 2}, None), ({"ap-east-1": 1}, None),
             ({"me-south-1": 1}, None)]
    now, fired = T0, []
    for values, seeded in steps:
        now += MINUTE
        evaluation = evaluate(check, window_for(check, now, state.last_end),
                              Observation(values={(): values}, baseline=seeded), state, now)
        state = evaluation.state
        fired.append([(n.result.status, n.result.new_values, n.destinations) for n in evaluation.notifications])
    assert fired == [[], [(WARNING, ("ap-east-1",), ("slack",))], [], [(WARNING, ("me-south-1",), ("slack",))]]
    assert set(state.seen[()]) == {"eu-west-1", "us-east-1", "ap-east-1", "me-south-1"}


def test_new_value_forgets_values_older_than_the_baseline() -> None:
    check = new_region_check()
    state = CheckState(check.fingerprint, seen={(): {"sa-east-1": T0 - timedelta(days=31)}})
    evaluation = evaluate(check, window_for(check, T0), Observation(values={(): {"sa-east-1": 1}}), state, T0)
    assert evaluation.results[0].new_values == ("sa-east-1",)


def test_explore_query_and_discover_link_quote_what_needs_quoting() -> None:
    from urllib.parse import unquote

    from tattletrail.checks.explore import explore_query, explore_window, search_command
    from tattletrail.stores.opensearch.discover import discover_url

    check = make_check(critical=1, group_by=["actor"], query="eventName:Authorize*")
    window = Window(T0 - 30 * MINUTE, T0)
    query = explore_query(check, window, ("AWSReservedSSO_Admin_1a2b/o'neil@example.com",))
    assert query == ("(eventName:Authorize*) AND ingest_time:[2026-11-23T15:30:00Z TO 2026-11-23T16:00:00Z} AND "
                     "actor:AWSReservedSSO_Admin_1a2b\\/o'neil@example.com")
    assert search_command("duckdb:///var/lib/tattletrail/events.duckdb", query).startswith(
        "tattletrail search --store duckdb:///var/lib/tattletrail/events.duckdb '(eventName:Authorize*) AND ")
    url = unquote(discover_url("https://dash.example.com/", query, *explore_window(check, window)))
    assert url.startswith("https://dash.example.com/app/discover#/?_g=(time:(from:'2026-11-22T15:30:00Z',"
                          "to:'2026-11-23T16:00:00Z'))&_a=(query:(language:lucene,query:'(eventName:Authorize*)")
    assert "o!'neil@example.com'))" in url  # rison escapes ' as !'
