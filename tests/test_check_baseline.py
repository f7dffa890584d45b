"""new_value baselines kept between runs: read whole once, then only the time since (checks/baseline.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tattletrail.checks.baseline import SETTLE, BaselineFile, merged
from tattletrail.checks.model import load_checks
from tattletrail.checks.runner import Runner
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.checks_engine_events import FakeClock, describe, put

T = datetime(2026, 11, 20, 16, 0, 0)
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
CHECK = {check.name: check for check in load_checks(Path(__file__).parent / "checks_fixtures")}["new-region"]


def new_regions(store: DuckDBStore, now: datetime, baselines: BaselineFile) -> list[tuple[str, ...]]:
    """As `check run` does: read-only (no state file), the baselines kept beside it."""
    runner = Runner(store, clock=FakeClock(now), baselines=baselines)
    return [result.new_values for result in runner.run(CHECK).results]


def forget_region(store: DuckDBStore, region: str) -> None:
    """History the store no longer has: only a kept baseline can still know it."""
    with store.connect(read_only=False) as connection:
        connection.execute("DELETE FROM events WHERE aws_region = ?", [region])


@pytest.fixture
def store(tmp_path: Path) -> DuckDBStore:
    made = DuckDBStore(tmp_path / "events.duckdb")
    put(made, [describe(T - 3 * DAY, "alice", region="eu-central-1")], T - 3 * DAY)
    put(made, [describe(T - 10 * MINUTE, "alice", region="eu-west-1")], T - 9 * MINUTE)
    return made


def test_the_second_run_reads_only_the_time_since_the_first(store: DuckDBStore, tmp_path: Path) -> None:
    kept = BaselineFile(tmp_path / "baselines.sqlite", store.url)
    assert new_regions(store, T, kept) == [("eu-west-1",)]  # eu-central-1 read from 30 days of store
    forget_region(store, "eu-central-1")
    put(store, [describe(T + 2 * DAY + 50 * MINUTE, "bob", region="eu-central-1")], T + 2 * DAY + 51 * MINUTE)
    # Had it read the 30 days again, eu-central-1 would be new: the kept baseline still knows it.
    assert new_regions(store, T + 2 * DAY + 60 * MINUTE, kept) == [()]
    fresh = BaselineFile(tmp_path / "fresh.sqlite", store.url)
    assert new_regions(store, T + 2 * DAY + 60 * MINUTE, fresh) == [("eu-central-1",)]


def test_a_value_last_seen_before_the_baseline_is_new_again(store: DuckDBStore, tmp_path: Path) -> None:
    kept = BaselineFile(tmp_path / "baselines.sqlite", store.url)
    assert new_regions(store, T, kept) == [("eu-west-1",)]
    later = T + 29 * DAY
    put(store, [describe(later - 5 * MINUTE, "bob", region="eu-central-1")], later - 4 * MINUTE)
    assert new_regions(store, later, kept) == [("eu-central-1",)]  # last seen 32 days before: forgotten


def test_events_arriving_late_are_still_in_the_baseline(store: DuckDBStore, tmp_path: Path) -> None:
    kept = BaselineFile(tmp_path / "baselines.sqlite", store.url)
    assert new_regions(store, T, kept) == [("eu-west-1",)]
    # After the first run, an event from before its window arrives (late, within SETTLE)…
    put(store, [describe(T - 45 * MINUTE, "carol", region="sa-east-1")], T + 5 * MINUTE)
    # …and the next window, later than that delivery, sees sa-east-1 again: not new.
    put(store, [describe(T + 40 * MINUTE, "carol", region="sa-east-1")], T + 41 * MINUTE)
    assert SETTLE >= timedelta(minutes=45)
    assert new_regions(store, T + 50 * MINUTE, kept) == [()]


def test_another_check_query_starts_a_new_baseline(store: DuckDBStore, tmp_path: Path) -> None:
    kept = BaselineFile(tmp_path / "baselines.sqlite", store.url)
    new_regions(store, T, kept)
    assert kept.load(CHECK) is not None
    assert kept.load(CHECK.model_copy(update={"query": "readOnly:true"})) is None


@pytest.mark.parametrize("kept, found, expected", [
    ({("a",): {"x": T}}, {("a",): {"x": T + DAY}}, {("a",): {"x": T + DAY}}),  # the later time wins
    ({("a",): {"x": T + DAY}}, {("a",): {"x": T}}, {("a",): {"x": T + DAY}}),
    ({("a",): {"x": T - 2 * DAY}}, {("b",): {"y": T}}, {("b",): {"y": T}}),  # older than the baseline: gone
    ({}, {(): {"z": T}}, {(): {"z": T}}),
])
def test_merged_keeps_each_values_latest_time_within_the_baseline(kept, found, expected) -> None:
    assert merged(kept, found, oldest=T - DAY) == expected
