"""The report on a generated trail scored by the rule pack, as the on-call engineer reads it: every
injected incident on the first screen, one item per actor's session, dates and the zone, what the
aggregate checks found; the same on DuckDB and OpenSearch, as text, JSON and an alert."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import pytest

from tattletrail.alert import Status, alert_from_json
from tattletrail.checks import PACK, load_checks
from tattletrail.generate import generate_trail
from tattletrail.generate.incidents import Incident
from tattletrail.ingest import ingest
from tattletrail.query import parse_query
from tattletrail.report import Report, build_report
from tattletrail.report.alert import report_alert
from tattletrail.report.model import ReportItem, middle_cut
from tattletrail.report.html import render_html
from tattletrail.report.text import ACTOR_WIDTH, render_text
from tattletrail.rules import load_rules
from tattletrail.sources.local import local_objects
from tattletrail.stores import open_store
from tattletrail.timespec import zone
from tests.opensearch_helpers import fresh_store

END = datetime(2026, 11, 23, 10, 40)
SINCE, UNTIL = END - timedelta(hours=24), END
LEVELS = ("info", "low", "medium", "high", "critical")
FIRST_SCREEN = 25  # lines of a terminal, 100 columns wide


@cache
def scored_trail(base: Path) -> tuple[Path, str, tuple[Incident, ...]]:
    """Two days of generated trail (the first is the checks' baseline) and its DuckDB store scored
    by the pack, made once per test session even though the other report test modules import
    these fixtures (pytest would run them again)."""
    folder = base / "report-trail"
    generated = generate_trail(folder, days=2, seed=7, accounts=3, events_per_day=2000, end=END)
    url = f"duckdb://{base}/report-events.duckdb"
    ingest(local_objects(folder), open_store(url, create=True), rules=load_rules())
    return folder, url, tuple(generated.incidents)


@pytest.fixture(scope="session")
def trail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scored_trail(tmp_path_factory.getbasetemp())[0]


@pytest.fixture(scope="session")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return scored_trail(tmp_path_factory.getbasetemp())[1]


@pytest.fixture(scope="session")
def incidents(tmp_path_factory: pytest.TempPathFactory) -> tuple[Incident, ...]:
    return scored_trail(tmp_path_factory.getbasetemp())[2]


@pytest.fixture(scope="session")
def report(store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Report:
    no_state = tmp_path_factory.getbasetemp() / "no-checker-ran" / "checks-state.sqlite"
    return build_report(open_store(store_url), SINCE, UNTIL, generated_at=END, checks=load_checks(PACK),
                        state_path=no_state, top=None)


def item(report: Report, event_name: str, actor: str | None = None) -> ReportItem:
    found = [each for each in report.items if event_name in [call.event_name for call in each.calls]
             and actor in (None, each.actor)]
    assert found, f"no {event_name} item in {[(each.level, each.what) for each in report.items]}"
    return found[0]


def test_the_headline_is_the_default_route_deleted_by_doe1_with_its_date_and_zone(report: Report) -> None:
    level, _, story = report.headline.partition(" threat — ")
    assert level in ("high", "critical")
    assert story.startswith("DeleteRoute on rtb-") and story.endswith(" by DOE1 at 22 Nov 16:42 UTC from 203.0.113.7")


def test_every_injected_incident_is_on_the_first_screen(report: Report, incidents: tuple[Incident, ...]) -> None:
    lines = render_text(report, zone("UTC"), width=100).splitlines()[:FIRST_SCREEN]
    assert len(incidents) == 8
    for incident in incidents:
        shown = [each for each in report.items if each.actor == incident.actor
                 and incident.eventName in [call.event_name for call in each.calls]]
        assert shown, f"{incident.kind}: no item for {incident.actor} {incident.eventName}"
        first_line = f"{middle_cut(incident.actor, ACTOR_WIDTH)}  {shown[0].calls[0].label}"
        assert any(first_line in line for line in lines), f"{incident.kind} is not on the first screen:\n" + \
            "\n".join(lines)
        assert LEVELS.index(shown[0].level) >= LEVELS.index("medium"), f"{incident.kind} is only {shown[0].level}"


def test_one_root_session_is_one_item_listing_its_calls_at_its_highest_level(report: Report) -> None:
    root = [each for each in report.items if each.actor == "root"]
    assert len(root) == 1
    session = root[0]
    assert [call.event_name for call in session.calls] == ["ConsoleLogin", "GetAccountSummary", "ListMFADevices",
                                                           "ListAccessKeys"]
    assert session.level == max((call.level for call in session.calls), key=LEVELS.index)
    assert session.count == 4 and session.last - session.first == timedelta(seconds=95)


def test_check_findings_bring_the_new_region_and_the_denied_burst(report: Report) -> None:
    region = item(report, "RunInstances", "legacy-reports")
    assert [finding.check for finding in region.findings] == ["region-first-use"]
    assert region.findings[0].new_values == ("ap-southeast-3",) and "ap-southeast-3" in region.annotation
    burst = item(report, "ListUsers", "ci-legacy")
    assert "unauthorized-api-calls" in [finding.check for finding in burst.findings]
    assert burst.count >= 30 and burst.annotation.startswith("unauthorized-api-calls: ")
    assert not report.check_failures


def test_one_sentence_per_item_the_most_specific_rules(report: Report) -> None:
    route = item(report, "DeleteRoute", "DOE1")
    assert route.annotations == [route.annotation] and "default route 0.0.0.0/0" in route.annotation
    # several rules may match one call (a default route is also a route): still one sentence
    assert all(len(each.annotations) <= 1 for each in report.items)


def test_items_rank_by_level_then_rarity(report: Report) -> None:
    keys = [(-LEVELS.index(each.level), each.rarity) for each in report.items]
    assert keys == sorted(keys)
    assert report.items[0].level in ("high", "critical")


def test_every_event_at_medium_or_above_is_in_an_item(report: Report, store_url: str) -> None:
    events = open_store(store_url).search(parse_query("threat_score:>=2"), SINCE, UNTIL, limit=None)
    assert sum(report.by_level[level] for level in ("medium", "high", "critical")) == len(events) > 5
    for event in events:
        moment = datetime.fromisoformat(event["event_time"].rstrip("Z"))
        assert any(each.actor == event["actor"] and event["eventName"] in [call.event_name for call in each.calls]
                   and each.first <= moment <= each.last for each in report.items), event["eventName"]


def test_routine_reads_are_one_line_each_and_never_items(report: Report) -> None:
    # The rule pack rates ordinary reads info, so few actions are frequent at low; those that are
    # become one line each (and an info read never takes an item's place either).
    routine = {line.event_name for line in report.routine}
    for line in report.routine:
        assert line.count >= 20 and line.actors >= 3
        assert line.label.startswith(f"{line.event_source.split('.')[0]}:{line.event_name} ×")
        assert line.label.endswith(f"by {line.actors} actors")
    assert not [each for each in report.items if each.level == "low" and routine & {call.event_name for call in
                                                                                    each.calls}]


def test_actors_regions_denied_and_failed_calls(report: Report) -> None:
    actors = dict((actor, (events, risky)) for actor, events, risky in report.top_actors)
    assert len(report.top_actors) == 10 and all(risky <= events for events, risky in actors.values())
    assert [n for _, n, _ in report.top_actors] == sorted((n for _, n, _ in report.top_actors), reverse=True)
    assert "ap-southeast-3" in dict(report.regions)  # the never-used region of the incidents
    assert report.denied >= 20 and report.denied_by_actor[0][0] == "ci-legacy"  # the AccessDenied burst
    assert report.failed >= report.denied and sum(n for _, n in report.failed_by_error) <= report.failed
    assert {"AccessDenied", "Client.UnauthorizedOperation"} <= dict(report.failed_by_error).keys()


def test_the_timeline_has_every_hour_of_the_window_and_counts_every_event(report: Report) -> None:
    assert report.interval == timedelta(hours=1) and len(report.timeline) == 25  # 10:00 … 10:00 next day
    assert report.timeline[0][0] == datetime(2026, 11, 22, 10, 0)
    assert sum(sum(levels.values()) for _, levels in report.timeline) == report.total - report.by_level.get(
        "unscored", 0)
    route_hour = dict(report.timeline)[datetime(2026, 11, 22, 16, 0)]
    assert route_hour[item(report, "DeleteRoute", "DOE1").level] >= 1


def test_json_structure_for_scripts(report: Report) -> None:
    document = json.loads(json.dumps(report.to_json()))
    assert document["schema_version"] == 2
    assert document["window"] == {"since": "2026-11-22T10:40:00Z", "until": "2026-11-23T10:40:00Z"}
    assert set(document) == {"schema_version", "window", "generated_at", "store", "headline", "total", "by_level",
                             "items", "more_items", "routine", "unread", "checks", "check_failures", "top_actors",
                             "regions", "accounts", "timeline", "denied", "failed"}
    first = document["items"][0]
    assert set(first) == {"level", "score", "actor", "eventName", "calls", "count", "sessions", "first", "last",
                          "resources", "resource_count", "regions", "accounts", "sourceIPAddresses", "annotation",
                          "rules", "errors", "event_ids", "findings", "rarity", "complete", "search_command",
                          "discover_url"}
    assert (first["eventName"], first["actor"], first["first"]) == ("DeleteRoute", "DOE1", "2026-11-22T16:42:07Z")
    assert first["score"] == LEVELS.index(first["level"]) and first["rules"] and first["calls"][0]["count"] == 1
    assert document["checks"]["known"] is False and document["checks"]["not_ok"] == []
    assert all(line.keys() == {"eventName", "eventSource", "level", "count", "actors", "top_actor",
                                             "line"} for line in document["routine"])
    bucket = document["timeline"]["buckets"][6]
    assert document["timeline"]["interval_seconds"] == 3600 and set(bucket) == {"start", *LEVELS}
    assert document["top_actors"][0].keys() == {"actor", "events", "threat_events"}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tattletrail", *args], capture_output=True, text=True,
                          timeout=180, check=True)


WINDOW = ("--since", "2026-11-22T10:40:00Z", "--until", "2026-11-23T10:40:00Z")


def test_cli_json_holds_every_item_unless_top_is_given(store_url: str, report: Report, tmp_path: Path) -> None:
    state = ("--state", str(tmp_path / "none.sqlite"))
    printed = json.loads(run_cli("report", *WINDOW, "--store", store_url, *state, "--format", "json").stdout)
    assert len(printed["items"]) == len(report.items) > 3 and printed["more_items"] == 0
    assert printed["headline"] == report.headline
    assert [each["actor"] for each in printed["items"]] == [each.actor for each in report.items]
    capped = json.loads(run_cli("report", *WINDOW, "--store", store_url, *state, "--format", "json",
                                "--top", "3").stdout)
    assert len(capped["items"]) == 3 and capped["more_items"] == len(report.items) - 3


def test_cli_text_in_another_zone_dates_every_time(store_url: str, tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    said = run_cli("report", *WINDOW, "--store", store_url, "--state", str(tmp_path / "none.sqlite"), "--tz",
                   "Europe/Paris", "--format", "text", "--out", str(out))
    lines = out.read_text().splitlines()
    assert lines[0].endswith("DOE1 at 22 Nov 17:42 CET from 203.0.113.7")  # 16:42 UTC is 17:42 in Paris
    assert "Europe/Paris" in lines[1] and f"wrote {out}" in said.stderr
    assert lines[3].startswith("Checks now: unknown — no checker state for this store")
    assert "Highest threat first (times Europe/Paris)" in lines
    root = next(line for line in lines if "  root  " in line)
    assert "22 Nov 15:02 → 15:04" in root  # a session's range, dated
    for section in ("Threat levels:", "Top actors", "Regions", "Who was denied", "Which calls were denied",
                    "Why calls failed", "Accounts"):
        assert any(line.startswith(section) for line in lines), section


def test_text_fits_100_columns(report: Report) -> None:
    text = render_text(report, zone("UTC"), width=100)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert text.splitlines()[0] == report.headline  # the morning's first line


def test_an_items_search_command_shows_exactly_its_events(report: Report, store_url: str) -> None:
    for each in (item(report, "DeleteRoute", "DOE1"), item(report, "ConsoleLogin", "root")):
        words = shlex.split(each.search_command)
        assert words[:4] == ["tattletrail", "search", "--store", store_url]
        found = json.loads(run_cli(*words[1:], "--format", "json", "--limit", "100").stdout)
        assert sorted(event["eventName"] for event in found) == sorted(
            call.event_name for call in each.calls for _ in range(call.count))


def test_report_alert_carries_the_summary_and_the_top_items(report: Report) -> None:
    alert = report_alert(report, created_at=END)
    assert (alert.kind, alert.check, alert.status, alert.previous) == ("report", "report", Status.CRITICAL,
                                                                       Status.CRITICAL)
    assert alert.message.splitlines()[0] == report.headline and (alert.window_start, alert.window_end) == (SINCE, UNTIL)
    first = alert.samples[0]
    assert (first.actor, first.event_name, first.source_ip, first.region) == ("DOE1", "DeleteRoute", "203.0.113.7",
                                                                              "eu-west-1")
    assert first.annotation.startswith(report.items[0].level) and len(alert.samples) == min(10, len(report.items))
    assert alert_from_json(json.loads(json.dumps(alert.to_json()))) == alert


def test_the_same_report_on_opensearch(trail: Path, report: Report, opensearch_url: str) -> None:
    store = fresh_store(opensearch_url, "report")
    ingest(local_objects(trail), store, rules=load_rules())
    built = build_report(store, SINCE, UNTIL, generated_at=END, checks=load_checks(PACK), top=None,
                         dashboards_url="https://dashboards.example:5601")
    first = built.items[0]
    assert first.discover_url.startswith(
        "https://dashboards.example:5601/app/discover#/?_g=(time:(from:%272026-11-22T16:42:07Z%27")
    assert "actor:DOE1" in first.discover_url and report.items[0].discover_url is None  # DuckDB: the command only
    assert f'href="{first.discover_url}"'.replace("&", "&amp;") in render_html(built, zone("UTC"))
    on_opensearch = built.to_json()
    embedded = report.to_json()
    for document in (on_opensearch, embedded):
        document.pop("store")
        document.pop("checks")
        for found in document["items"]:
            found.pop("search_command")
            found.pop("discover_url")
            for finding in found["findings"]:
                finding.pop("explore_command")
                finding.pop("explore_url")
    assert on_opensearch == embedded


def test_check_findings_do_not_depend_on_rule_levels(trail: Path, tmp_path: Path) -> None:
    """Ingested without rules (no event has a level), the aggregate checks still put the denied
    burst and the never-used region in the items, each at its check's severity."""
    store = open_store(f"duckdb://{tmp_path}/unscored.duckdb", create=True)
    ingest(local_objects(trail), store, rules=None)
    unscored = build_report(store, SINCE, UNTIL, checks=load_checks(PACK), top=None)
    assert unscored.by_level["unscored"] == unscored.total
    found = {(each.actor, finding.check): each for each in unscored.items for finding in each.findings}
    burst, region = found[("ci-legacy", "unauthorized-api-calls")], found[("legacy-reports", "region-first-use")]
    assert (burst.level, region.level) == ("medium", "high")  # the checks' severities
    assert "ListUsers" in [call.event_name for call in burst.calls] and region.regions == ["ap-southeast-3"]
    assert unscored.items[0] is region
