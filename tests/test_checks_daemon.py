"""The checker daemon driven by a fake clock: each check on its own interval, lag logged, the grid
kept after a late run, one notification per transition however many runs; no test sleeps."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from tattletrail.alert import Alert
from tattletrail.checks.model import load_checks
from tattletrail.checks.runner import CheckRun, Runner
from tattletrail.checks.scheduler import Checker
from tattletrail.checks.state import StateFile
from tattletrail.destinations import Dispatcher
from tattletrail.destinations.jsonl import JsonLinesDestination
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.checks_engine_events import FakeClock, describe, ingress, put

FIXTURES = Path(__file__).parent / "checks_fixtures"
T = datetime(2026, 11, 20, 16, 0, 0)
MINUTE = timedelta(minutes=1)


class SlowDestination:
    """A destination that takes 150 s of (fake) time to answer, like a stuck webhook."""

    def __init__(self, clock: FakeClock) -> None:
        self.name = "slow"
        self.clock = clock
        self.sent: list[Alert] = []

    def send(self, alert: Alert) -> None:
        self.clock.advance(timedelta(seconds=150))
        self.sent.append(alert)


@pytest.fixture()
def store(tmp_path: Path) -> DuckDBStore:
    made = DuckDBStore(tmp_path / "events.duckdb")
    put(made, [describe(T - 10 * MINUTE, "alice"), describe(T - 9 * MINUTE, "bob")], T - 8 * MINUTE)
    return made


def make_checker(store: DuckDBStore, tmp_path: Path, clock: FakeClock, destinations: dict[str, Any],
                 names: list[str]) -> tuple[Checker, list[tuple[str, datetime, float]]]:
    checks = [check for check in load_checks(FIXTURES) if check.name in names]
    dispatcher = Dispatcher(destinations, tmp_path / "outbox.sqlite", clock=clock.now)
    runner = Runner(store, state=StateFile(tmp_path / "state.sqlite", store.url), dispatcher=dispatcher, clock=clock)
    runs: list[tuple[str, datetime, float]] = []

    def record(run: CheckRun, lag: float) -> None:
        runs.append((run.check.name, clock.now(), lag))

    return Checker(checks, runner, clock, on_run=record), runs


def test_each_check_runs_on_its_own_interval_without_sleeping(store: DuckDBStore, tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock(T)
    sink = tmp_path / "alerts.jsonl"
    checker, runs = make_checker(store, tmp_path, clock, {"alerts": JsonLinesDestination("alerts", sink)},
                                 ["ingress-open-to-world", "no-cloudtrail-events"])
    put(store, [ingress(T + 2 * MINUTE + timedelta(seconds=10), "mallory")], T + 2 * MINUTE + timedelta(seconds=30))
    with caplog.at_level(logging.INFO, logger="tattletrail.checker"):
        checker.serve(until=lambda: clock.now() >= T + 10 * MINUTE)
    ingress_runs = [when for name, when, _ in runs if name == "ingress-open-to-world"]
    quiet_runs = [when for name, when, _ in runs if name == "no-cloudtrail-events"]
    assert ingress_runs == [T + i * MINUTE for i in range(10)]
    assert quiet_runs == [T, T + 5 * MINUTE]
    assert all(lag == 0 for _, _, lag in runs)
    assert sum(clock.slept) == pytest.approx(600)  # all waiting was the fake clock's
    alerts = [orjson.loads(line) for line in sink.read_bytes().splitlines()]
    # mallory's ingress is seen by the 16:03 run and by every run after it: notified once
    assert [(alert["group"], alert["status"], alert["window"]["end"]) for alert in alerts] == [
        ({"actor": "mallory"}, "CRITICAL", "2026-11-20T16:03:00Z")]
    lines = [record.getMessage() for record in caplog.records]
    assert any(line.startswith("ingress-open-to-world[actor=mallory] CRITICAL: 1 event in [2026-11-20T15:33:00Z, "
                               "2026-11-20T16:03:00Z) by ingest_time (critical >= 1)|count=1;;1 lag=0.0s")
               for line in lines)
    assert lines[0] == "checker started: 2 check(s)" and lines[-1] == "checker stopped"


def test_a_slow_run_is_logged_with_its_lag_and_the_grid_is_kept(store: DuckDBStore, tmp_path: Path) -> None:
    clock = FakeClock(T)
    slow = SlowDestination(clock)
    checker, runs = make_checker(store, tmp_path, clock, {"alerts": slow}, ["ingress-open-to-world"])
    put(store, [ingress(T - MINUTE, "mallory")], T - MINUTE)
    checker.serve(until=lambda: clock.now() >= T + 5 * MINUTE)
    # 16:00 takes until 16:02:30 (the slow destination); the 16:01 and 16:02 slots are past: the next
    # run is 16:03, on the grid, and finds nothing new to send
    assert [(when, lag) for _, when, lag in runs] == [(T + timedelta(seconds=150), 0.0), (T + 3 * MINUTE, 0.0),
                                                     (T + 4 * MINUTE, 0.0)]
    assert len(slow.sent) == 1


def test_lag_is_measured_from_the_due_time(store: DuckDBStore, tmp_path: Path) -> None:
    clock = FakeClock(T)
    checker, runs = make_checker(store, tmp_path, clock, {}, ["ingress-open-to-world"])
    checker.scheduler.run_pending()  # the first run is due at once
    clock.advance(timedelta(seconds=75))  # the process was descheduled: 15 s late for 16:01
    checker.scheduler.run_pending()
    assert [lag for _, _, lag in runs] == [0.0, 15.0]
    assert checker.next_due() == T + 2 * MINUTE


def test_stop_ends_serve_after_the_current_run(store: DuckDBStore, tmp_path: Path) -> None:
    clock = FakeClock(T)
    checker, runs = make_checker(store, tmp_path, clock, {}, ["ingress-open-to-world", "no-cloudtrail-events"])
    original = checker.on_run

    def stop_after_three(run: CheckRun, lag: float) -> None:
        original(run, lag)
        if len(runs) == 3:
            checker.stop()

    checker.on_run = stop_after_three
    checker.serve()
    assert len(runs) == 3


def test_a_check_that_cannot_run_is_logged_and_the_others_go_on(store: DuckDBStore, tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock(T)
    checker, runs = make_checker(store, tmp_path, clock, {}, ["ingress-open-to-world", "no-cloudtrail-events"])
    state_path = tmp_path / "state.sqlite"
    checker.runner.state.close()
    state_path.unlink()
    state_path.mkdir()  # the state file is now a directory: every save fails
    (state_path / "x").write_text("")
    with caplog.at_level(logging.ERROR, logger="tattletrail.checker"):
        checker.serve(until=lambda: clock.now() >= T + 2 * MINUTE)
    failures = [record.getMessage() for record in caplog.records if "could not run" in record.getMessage()]
    assert len(failures) == 3  # ingress-open-to-world at 16:00 and 16:01, no-cloudtrail-events at 16:00
    assert checker.next_due() == T + 2 * MINUTE
