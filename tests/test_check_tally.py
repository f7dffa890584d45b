"""A replay from the check's events read once (checks/tally.py) says exactly what a replay that asks
the store at every step says: the same transitions, counts, windows and notifications, for every
count check of the shipped pack, over a generated trail with its injected incidents and the
behaviour checks' attacks and look-alikes, on DuckDB and on OpenSearch."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterator

import pytest

from tattletrail.alert import Status
from tattletrail.checks import PACK
from tattletrail.checks.evaluate import Window
from tattletrail.checks.model import Kind, TimeField, load_checks
from tattletrail.checks.observe import count_distinct, count_groups, lowest_threshold, window_tree
from tattletrail.checks.replay import Replay, grid_of, replay
from tattletrail.checks.tally import read_tally
from tattletrail.generate.trail import generate_trail
from tattletrail.ingest import ingest
from tattletrail.report.findings import check_findings
from tattletrail.sources.local import local_objects
from tests.opensearch_helpers import STORE_KINDS, new_store
from tests.test_check_pack_windows import T, scenario

COUNT_CHECKS = [check for check in load_checks(PACK) if check.kind is Kind.count]
NOW = T + timedelta(minutes=7, seconds=13)  # off the grid of every check
SPAN = timedelta(hours=8)


@pytest.fixture(scope="module")
def generated_trail(tmp_path_factory: pytest.TempPathFactory) -> Any:
    base = tmp_path_factory.mktemp("tally-trail")
    return base / "trail", generate_trail(base / "trail", days=1, seed=3, accounts=3, events_per_day=3_000, end=T)


@pytest.fixture(scope="module", params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          generated_trail: Any) -> Iterator[Any]:
    made = new_store(request, tmp_path_factory.mktemp("tally"), "tally")
    ingest(local_objects(generated_trail[0]), made)
    scenario(made)
    yield made
    made.close()


def said(replayed: Replay) -> dict[str, Any]:
    return {"steps": replayed.steps, "notifications": replayed.notifications, "span": (replayed.start, replayed.end),
            "transitions": [(transition.at, transition.previous, transition.result.key, transition.result.status,
                             transition.result.count, transition.result.window, transition.result.message,
                             transition.notify) for transition in replayed.transitions]}


@pytest.mark.parametrize("check", COUNT_CHECKS, ids=lambda check: check.name)
def test_a_replay_from_the_tally_says_what_a_replay_from_the_store_says(store: Any, check: Any) -> None:
    span = SPAN if not check.distinct else timedelta(hours=2)  # from the store: queries at every step
    grid = grid_of(check, span, NOW)
    tally = read_tally(check, store, grid.read.start, grid.read.end, grid.bucket)
    assert tally is not None
    assert said(replay(check, store, span, NOW, tally)) == said(replay(check, store, span, NOW))


def test_the_pack_breaches_something_in_the_replayed_span(store: Any) -> None:
    """So that the equality above is about transitions, not two empty lists."""
    breached = set()
    for check in COUNT_CHECKS:
        grid = grid_of(check, SPAN, NOW)
        tally = read_tally(check, store, grid.read.start, grid.read.end, grid.bucket)
        if any(transition.result.status in (Status.WARNING, Status.CRITICAL)
               for transition in replay(check, store, SPAN, NOW, tally).transitions):
            breached.add(check.name)
    assert {"unauthorized-api-calls", "secret-harvesting", "ssm-commands-across-instances",
            "s3-mass-deletion", "discovery-burst-from-instance"} <= breached


@pytest.mark.parametrize("name", ["secret-harvesting", "ssm-shell-commands-across-instances", "s3-batch-deletion",
                                  "unauthorized-api-calls", "no-cloudtrail-events"])
def test_every_window_s_counts_are_what_the_store_counts(store: Any, name: str) -> None:
    """Windows the replay's grid never asks for too: hour by hour, and one moved back."""
    check = next(check for check in COUNT_CHECKS if check.name == name)
    start = T - timedelta(hours=6)
    tally = read_tally(check, store, start, T, timedelta(minutes=5))
    assert tally is not None
    ends = [start + timedelta(hours=hours) for hours in (1, 2, 3, 4, 5, 6)] + [start + timedelta(hours=2)]
    for end in ends:
        window = Window(end - timedelta(hours=1), end)
        tree = window_tree(check.tree, TimeField.event_time, window)
        if check.distinct:
            threshold = lowest_threshold(check)
            expected = count_distinct(store, tree, check.group_by, check.distinct, threshold)
            assert tally.distinct_counts(window, check.group_by, threshold) == expected, window
        else:
            expected = {key: n for key, n in count_groups(store, tree, check.group_by).items() if n}
            assert tally.counts(window) == expected, window


def test_the_report_finds_the_behaviour_attacks_from_the_tally(store: Any) -> None:
    found = check_findings(store, COUNT_CHECKS, NOW - SPAN, NOW)
    assert not found.failed
    names = {(item.finding.check, item.finding.group.get("actor")) for item in found.found}
    assert ("secret-harvesting", "mallory") in names
    assert ("s3-mass-deletion", "mallory") in names


def test_a_tally_too_big_to_hold_is_not_used(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import tattletrail.checks.tally as tally_module

    check = next(check for check in COUNT_CHECKS if check.name == "unauthorized-api-calls")
    monkeypatch.setattr(tally_module, "MAX_TALLY_ROWS", 1)
    assert read_tally(check, store, T - SPAN, T, timedelta(minutes=1)) is None


def test_a_check_too_big_to_tally_is_found_by_asking_the_store_as_before(store: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import tattletrail.checks.tally as tally_module

    def findings() -> list[Any]:
        found = check_findings(store, COUNT_CHECKS, NOW - timedelta(hours=2), NOW)
        assert not found.failed
        return [(item.finding, item.level, [document["event_id"] for document in item.documents])
                for item in found.found]

    from_tallies = findings()
    monkeypatch.setattr(tally_module, "MAX_TALLY_ROWS", 0)  # every check with events falls back
    assert findings() == from_tallies and from_tallies


def test_the_tally_is_read_for_the_windows_before_the_report_s_first_step() -> None:
    check = next(check for check in COUNT_CHECKS if check.name == "secret-harvesting")
    grid = grid_of(check, SPAN, datetime(2026, 11, 20, 16, 7, 13))
    assert grid.end == datetime(2026, 11, 20, 16, 5) and grid.step == grid.bucket == timedelta(minutes=5)
    assert grid.read == Window(grid.first - check.window, grid.end)


NEW_VALUE_CHECKS = [check for check in load_checks(PACK) if check.kind is Kind.new_value]


def new_values_asked_per_group(check: Any, store: Any, since: datetime, until: datetime) -> list[Any]:
    """What the report said before reading one grouped answer: the baseline and the window counted
    per group and value (count_groups), then evaluated as the checker does (Runner.evaluate_only)."""
    from tattletrail.checks.runner import Runner
    from tattletrail.checks.state import CheckState

    fields = [*check.group_by, check.field]
    before = count_groups(store, window_tree(check.tree, TimeField.event_time, Window(since - check.baseline, since)),
                          fields)
    seen: dict[Any, dict[str, datetime]] = {}
    for key in before:
        seen.setdefault(key[:-1], {})[key[-1]] = since
    evaluation = Runner(store).evaluate_only(check, until, CheckState(check.fingerprint, last_end=since, seen=seen))
    return [(result.key, result.status, result.new_values, result.window) for result in evaluation.results
            if result.new_values]


@pytest.mark.parametrize("check", NEW_VALUE_CHECKS, ids=lambda check: check.name)
def test_the_report_s_new_values_are_those_the_checker_finds(store: Any, check: Any) -> None:
    check = check.model_copy(update={"count_by": TimeField.event_time, "delay": timedelta(0)})
    for since in (T - timedelta(hours=1), T - timedelta(hours=12)):
        found = check_findings(store, [check], since, NOW)
        assert not found.failed
        said_now = [(tuple(item.finding.group.values()), Status[item.finding.status], item.finding.new_values,
                     Window(item.finding.start, item.finding.end)) for item in found.found]
        assert said_now == new_values_asked_per_group(check, store, since, NOW)
    assert said_now or check.name == "region-first-use"  # the scenario's key from a new address
