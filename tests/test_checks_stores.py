"""Checks on real stores: the embedded DuckDB file and OpenSearch (osmem) give the same statuses
for the same CloudTrail; restarts neither repeat nor miss; baselines persist; failures are UNKNOWN."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote

import orjson
import pytest

from tattletrail.alert import Status
from tattletrail.checks.model import TimeField, load_checks
from tattletrail.checks.runner import Runner
from tattletrail.checks.state import StateFile
from tattletrail.destinations import DeliveryPolicy, Destination, Dispatcher
from tattletrail.destinations.jsonl import JsonLinesDestination
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.checks_engine_events import FakeClock, denied, describe, ingress, put
from tests.opensearch_helpers import STORE_KINDS, new_store

FIXTURES = Path(__file__).parent / "checks_fixtures"
T = datetime(2026, 11, 20, 16, 0, 0)
MINUTE = timedelta(minutes=1)
CHECKS = {check.name: check for check in load_checks(FIXTURES)}


def scenario(store: Any) -> None:
    """Two days of quiet DescribeInstances in eu-west-1, then in the last half hour: SSH opened to
    the world by alice, a private-range look-alike by bob, four denials for mallory, one for alice,
    a first call in ap-east-1, and dave's world-open ingress whose event is 50 minutes old but was
    delivered only a minute ago. Each batch arrives two minutes after its events (CloudTrail lag)."""
    for hours in range(48, 0, -3):
        moment = T - timedelta(hours=hours)
        put(store, [describe(moment, "alice"), describe(moment + MINUTE, "bob")], moment + 2 * MINUTE)
    put(store, [ingress(T - 40 * MINUTE, "carol")], T - 38 * MINUTE)  # before the window
    put(store, [ingress(T - 10 * MINUTE, "alice"), ingress(T - 9 * MINUTE, "bob", cidr="10.0.0.0/8")], T - 8 * MINUTE)
    put(store, [denied(T - 20 * MINUTE + i * MINUTE, "mallory") for i in range(4)] + [denied(T - 20 * MINUTE, "alice")],
        T - 15 * MINUTE)
    put(store, [describe(T - 5 * MINUTE, "alice", region="ap-east-1")], T - 3 * MINUTE)
    put(store, [ingress(T - 50 * MINUTE, "dave")], T - MINUTE)


@pytest.fixture(scope="module", params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    made = new_store(request, tmp_path_factory.mktemp("checks"), "checks")
    scenario(made)
    yield made
    made.close()


EXPECTED = [
    ("ingress-open-to-world[actor=alice]", Status.CRITICAL, 1),
    ("ingress-open-to-world[actor=dave]", Status.CRITICAL, 1),   # late event: counted when it arrived
    ("access-denied-burst[actor=mallory]", Status.WARNING, 4),
    ("access-denied-burst[actor=alice]", Status.OK, 1),
    ("no-cloudtrail-events", Status.OK, 10),
    ("new-region", Status.WARNING, 1),
]


def statuses(store: Any, now: datetime, names: list[str]) -> list[tuple[str, Status, int | None]]:
    runner = Runner(store, clock=FakeClock(now))
    return [(result.label, result.status, result.count) for name in names for result in runner.run(CHECKS[name]).results]


def test_both_stores_give_the_same_statuses(store: Any) -> None:
    names = ["ingress-open-to-world", "access-denied-burst", "no-cloudtrail-events", "new-region"]
    assert sorted(statuses(store, T, names)) == sorted(EXPECTED)


def test_counting_by_event_time_misses_the_late_event_until_the_delay_covers_it(store: Any) -> None:
    by_event_time = CHECKS["ingress-open-to-world"].model_copy(update={"count_by": TimeField.event_time})
    runner = Runner(store, clock=FakeClock(T))
    assert [result.label for result in runner.run(by_event_time).results] == ["ingress-open-to-world[actor=alice]"]
    delayed = by_event_time.model_copy(update={"delay": 25 * MINUTE})  # window [T-55m, T-25m)
    assert sorted(result.label for result in runner.run(delayed).results) == [
        "ingress-open-to-world[actor=carol]", "ingress-open-to-world[actor=dave]"]


def test_no_events_for_an_hour_is_critical(store: Any) -> None:
    later = T + timedelta(hours=2)
    [result] = Runner(store, clock=FakeClock(later)).run(CHECKS["no-cloudtrail-events"]).results
    assert (result.status, result.count) == (Status.CRITICAL, 0)
    assert result.sensu_line() == ("no-cloudtrail-events CRITICAL: 0 events in [2026-11-20T17:00:00Z, "
                                   "2026-11-20T18:00:00Z) by ingest_time (critical < 1)|count=0;;1:")


def dispatcher_to(tmp_path: Path, **destinations: Destination) -> Dispatcher:
    """One try per delivery (a failure waits in the outbox at once: no test sleeps)."""
    return Dispatcher(destinations, tmp_path / "outbox.sqlite",
                      policies={name: DeliveryPolicy(attempts=1) for name in destinations})


def alerts_in(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def test_alerts_carry_samples_window_and_where_to_look(store: Any, tmp_path: Path) -> None:
    sink = tmp_path / "alerts.jsonl"
    runner = Runner(store, state=StateFile(tmp_path / "state.sqlite", store.url),
                    dispatcher=dispatcher_to(tmp_path, alerts=JsonLinesDestination("alerts", sink)),
                    dashboards_url="https://dashboards.example.com", clock=FakeClock(T))
    runner.run(CHECKS["ingress-open-to-world"])
    alice = next(alert for alert in alerts_in(sink) if alert["group"] == {"actor": "alice"})
    assert (alice["status"], alice["previous_status"], alice["count"]) == ("CRITICAL", "OK", 1)
    assert alice["window"] == {"start": "2026-11-20T15:30:00Z", "end": "2026-11-20T16:00:00Z"}
    [sample] = alice["samples"]
    assert (sample["time"], sample["actor"], sample["eventName"], sample["resource"], sample["region"],
            sample["sourceIPAddress"]) == ("2026-11-20T15:50:00Z", "alice", "AuthorizeSecurityGroupIngress",
                                           "sg-0a1b2c3d4e5f60718", "eu-west-1", "203.0.113.7")
    assert "ingest_time:[2026-11-20T15:30:00Z TO 2026-11-20T16:00:00Z}" in alice["explore_command"]
    assert alice["explore_command"].startswith("tattletrail search --store ")
    if store.url.startswith("opensearch"):
        url = unquote(alice["explore_url"])
        assert url.startswith("https://dashboards.example.com/app/discover#/?_g=(time:(from:'2026-11-19T15:30:00Z',"
                              "to:'2026-11-20T16:00:00Z'))")
        assert "actor:alice" in url and "language:lucene" in url
    else:
        assert alice["explore_url"] is None


def test_restart_sends_no_duplicate_and_catches_up_on_what_it_missed(store: Any, tmp_path: Path) -> None:
    sink, state_path = tmp_path / "alerts.jsonl", tmp_path / "state.sqlite"
    check = CHECKS["ingress-open-to-world"]

    def run_at(now: datetime) -> list[tuple[str, str, str]]:
        before = len(alerts_in(sink))
        runner = Runner(store, state=StateFile(state_path, store.url),  # a new process each time
                        dispatcher=dispatcher_to(tmp_path, alerts=JsonLinesDestination("alerts", sink)),
                        clock=FakeClock(now))
        runner.run(check)
        return sorted((alert["group"]["actor"], alert["previous_status"], alert["status"])
                      for alert in alerts_in(sink)[before:])

    assert run_at(T) == [("alice", "OK", "CRITICAL"), ("dave", "OK", "CRITICAL")]
    assert run_at(T + MINUTE) == []  # restarted: state remembers what was told
    # The checker is down for three hours; meanwhile erin opens SSH to the world.
    put(store, [ingress(T + 58 * MINUTE, "erin")], T + 60 * MINUTE)
    assert run_at(T + 3 * 60 * MINUTE) == [("alice", "CRITICAL", "OK"), ("dave", "CRITICAL", "OK"),
                                           ("erin", "OK", "CRITICAL")]
    erin = next(alert for alert in alerts_in(sink) if alert["group"] == {"actor": "erin"})
    assert erin["window"] == {"start": "2026-11-20T16:01:00Z", "end": "2026-11-20T19:00:00Z"}  # one catch-up result


def test_a_failing_destination_does_not_stop_the_run(store: Any, tmp_path: Path) -> None:
    broken = JsonLinesDestination("broken", tmp_path)  # a directory: every write fails
    sink = tmp_path / "alerts.jsonl"
    check = CHECKS["ingress-open-to-world"].model_copy(
        update={"destinations": CHECKS["ingress-open-to-world"].destinations.model_copy(
            update={"critical": ["broken", "missing", "alerts"]})})
    runner = Runner(store, state=StateFile(tmp_path / "state.sqlite", store.url),
                    dispatcher=dispatcher_to(tmp_path, broken=broken, alerts=JsonLinesDestination("alerts", sink)),
                    clock=FakeClock(T))
    run = runner.run(check)
    assert len(alerts_in(sink)) == 2
    outcomes = sorted((delivery.destination, delivery.delivered) for delivery in run.deliveries)
    assert outcomes == [("alerts", True)] * 2 + [("broken", False)] * 2 + [("missing", False)] * 2
    assert "unknown destination 'missing'" in next(d.error for d in run.deliveries if d.destination == "missing")
    assert [d.queued for d in run.deliveries if d.destination == "broken"] == [True, True]  # kept in the outbox


def test_new_value_baseline_persists_across_restarts(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    put(store, [describe(T - timedelta(days=3), "alice", region="eu-central-1")], T - timedelta(days=3))
    put(store, [describe(T - 10 * MINUTE, "alice", region="eu-west-1")], T - 9 * MINUTE)
    state_path = tmp_path / "state.sqlite"
    check = CHECKS["new-region"]

    def run_at(now: datetime, path: Path = state_path) -> list[tuple[str, ...]]:
        runner = Runner(store, state=StateFile(path, store.url), dispatcher=dispatcher_to(
            tmp_path, alerts=JsonLinesDestination("alerts", tmp_path / "alerts.jsonl")), clock=FakeClock(now))
        return [result.new_values for result in runner.run(check).results]

    assert run_at(T) == [("eu-west-1",)]  # eu-central-1 is in the baseline read from the store
    with store.connect(read_only=False) as connection:  # history expires from the store…
        connection.execute("DELETE FROM events WHERE aws_region = 'eu-central-1'")
    put(store, [describe(T + 50 * MINUTE, "bob", region="eu-central-1")], T + 51 * MINUTE)
    assert run_at(T + 60 * MINUTE) == [()]  # …but the state remembers it: not new
    assert run_at(T + 60 * MINUTE, tmp_path / "fresh.sqlite") == [("eu-central-1",)]  # a fresh state: new


def test_replay_from_histograms_matches_asking_the_store_at_every_step(store: Any) -> None:
    from tattletrail.checks.evaluate import Window, evaluate
    from tattletrail.checks.observe import observe
    from tattletrail.checks.replay import replay
    from tattletrail.checks.state import CheckState

    check = CHECKS["ingress-open-to-world"].model_copy(update={"count_by": TimeField.event_time})
    replayed = replay(check, store, timedelta(hours=2), T + 30 * MINUTE)  # before erin (test_restart_…)
    found = [(change.at, change.result.label, change.result.status) for change in replayed.transitions]
    state, expected, statuses = CheckState(check.fingerprint), [], {}
    moment = replayed.end - check.interval * (replayed.steps - 1)
    while moment <= replayed.end:
        window = Window(moment - check.window, moment)
        evaluation = evaluate(check, window, observe(check, store, window, state), state, moment)
        state = evaluation.state
        for result in evaluation.results:
            if statuses.get(result.key, Status.OK) is not result.status:
                expected.append((moment, result.label, result.status))
            statuses[result.key] = result.status
        moment += check.interval
    assert found == expected
    assert [(at - T, label.split("=")[1][:-1], status.name) for at, label, status in found] == [
        (-49 * MINUTE, "dave", "CRITICAL"), (-39 * MINUTE, "carol", "CRITICAL"), (-19 * MINUTE, "dave", "OK"),
        (-9 * MINUTE, "alice", "CRITICAL"), (-9 * MINUTE, "carol", "OK"), (21 * MINUTE, "alice", "OK")]


def test_a_pass_shares_one_duckdb_connection_and_then_lets_writers_in(tmp_path: Path) -> None:
    import subprocess
    import sys

    store = DuckDBStore(tmp_path / "events.duckdb")
    put(store, [describe(T - MINUTE)], T)
    writer = [sys.executable, "-c", (
        "import sys; from tattletrail.stores.duckdb.store import DuckDBStore; from tattletrail.stores.base "
        "import Batch, StoreLocked\ntry:\n    DuckDBStore(sys.argv[1], lock_timeout=0.5).write(Batch())\nexcept StoreLocked:\n"
        "    sys.exit(7)"), str(store.path)]
    runner = Runner(store, clock=FakeClock(T + MINUTE))
    with store.reading():
        statuses = [runner.run(CHECKS["no-cloudtrail-events"]).results[0].count for _ in range(3)]
        assert subprocess.run(writer, timeout=60).returncode == 7  # the pass holds the file (read-only)
    assert statuses == [1, 1, 1]
    assert subprocess.run(writer, timeout=60).returncode == 0  # and lets it go when the pass ends


DISTINCT_CALLS = """
- name: many-distinct-calls
  description: One actor making several distinct calls in half an hour
  query: '*'
  distinct: [eventName]
  window: 30m
  interval: 1m
  warning: 2
  critical: 3
  group_by: actor
  destinations:
    warning: [alerts]
"""


class CountedReads:
    """The real store, with its `count` calls counted (every read a distinct replay makes)."""

    def __init__(self, store: Any) -> None:
        self.store, self.counts = store, 0

    def count(self, *args: Any, **kwargs: Any) -> Any:
        self.counts += 1
        return self.store.count(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_replay_of_distinct_values_asks_only_where_a_window_holds_enough_events(store: Any, tmp_path: Path) -> None:
    """The steps skipped (too few events in the window to reach the threshold, no group in breach)
    give the same transitions as asking the store at every step, on both stores."""
    from tattletrail.checks.evaluate import Window, evaluate
    from tattletrail.checks.observe import observe
    from tattletrail.checks.replay import replay
    from tattletrail.checks.state import CheckState

    (tmp_path / "distinct.yml").write_text(DISTINCT_CALLS)
    (check,) = load_checks(tmp_path)
    check = check.model_copy(update={"count_by": TimeField.event_time})
    counted = CountedReads(store)
    replayed = replay(check, counted, timedelta(hours=2), T + 30 * MINUTE)  # type: ignore[arg-type]
    found = [(change.at, change.result.label, change.result.status) for change in replayed.transitions]
    state, expected, statuses, every_step = CheckState(check.fingerprint), [], {}, CountedReads(store)
    moment = replayed.end - check.interval * (replayed.steps - 1)
    while moment <= replayed.end:
        window = Window(moment - check.window, moment)
        evaluation = evaluate(check, window, observe(check, every_step, window, state), state, moment)  # type: ignore[arg-type]
        state = evaluation.state
        for result in evaluation.results:
            if statuses.get(result.key, Status.OK) is not result.status:
                expected.append((moment, result.label, result.status))
            statuses[result.key] = result.status
        moment += check.interval
    assert found == expected
    assert [(at - T, label.split("=")[1][:-1], status.name) for at, label, status in found] == [
        (-9 * MINUTE, "alice", "WARNING"), (21 * MINUTE, "alice", "OK")]
    assert replayed.steps == 120 and counted.counts < every_step.counts  # here 186 reads against 243
