"""The report on a generated trail scored by the rule pack: the incidents on top, grouped, the same
on DuckDB and OpenSearch, as text, JSON and an alert."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tattletrail.alert import Status, alert_from_json, report_alert
from tattletrail.generate import generate_trail
from tattletrail.ingest import ingest
from tattletrail.report import Report, build_report
from tattletrail.report.model import ReportItem
from tattletrail.report.text import render_text
from tattletrail.rules import load_rules
from tattletrail.sources.local import local_objects
from tattletrail.stores import open_store
from tattletrail.timespec import zone
from tests.cloudtrail_files import write_log_file
from tests.opensearch_helpers import fresh_store

END = datetime(2026, 11, 23, 10, 40)
SINCE, UNTIL = END - timedelta(hours=24), END
LEVELS = ("info", "low", "medium", "high", "critical")


@cache
def scored_trail(base: Path) -> tuple[Path, str]:
    """A day of generated trail and its DuckDB store scored by the pack, made once per test session
    even though the other report test modules import these fixtures (pytest would run them again)."""
    folder = base / "report-trail"
    generate_trail(folder, days=1, seed=7, accounts=3, events_per_day=600, end=END)
    url = f"duckdb://{base}/report-events.duckdb"
    ingest(local_objects(folder), open_store(url), rules=load_rules())
    return folder, url


@pytest.fixture(scope="session")
def trail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scored_trail(tmp_path_factory.getbasetemp())[0]


@pytest.fixture(scope="session")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return scored_trail(tmp_path_factory.getbasetemp())[1]


@pytest.fixture(scope="session")
def report(store_url: str) -> Report:
    return build_report(open_store(store_url), SINCE, UNTIL, generated_at=END)


def item(report: Report, event_name: str, actor: str | None = None) -> ReportItem:
    found = [each for each in report.items if each.event_name == event_name and actor in (None, each.actor)]
    assert found, f"no {event_name} item in {[(each.level, each.event_name) for each in report.items]}"
    return found[0]


def test_the_headline_is_the_default_route_deleted_by_doe1(report: Report) -> None:
    level, _, story = report.headline.partition(" threat — ")
    assert level in ("high", "critical")
    assert story.startswith("DeleteRoute on rtb-") and story.endswith(" by DOE1 at 16:42 from 203.0.113.7")


def test_route_deletion_and_open_ingress_are_on_top_with_who_when_where_and_ip(report: Report) -> None:
    route, ingress = item(report, "DeleteRoute", "DOE1"), item(report, "AuthorizeSecurityGroupIngress")
    for incident in (route, ingress):
        assert incident.level in ("high", "critical")
        assert report.items.index(incident) < 4, "the two network incidents are among the first items"
        assert incident.regions and incident.accounts and incident.source_ips and incident.annotations
    assert (route.first, route.resource, route.regions, route.source_ips) == (
        datetime(2026, 11, 22, 16, 42, 7), route.resources[0], ["eu-west-1"], ["203.0.113.7"])
    assert route.resource.startswith("rtb-") and "0.0.0.0/0" in route.annotations[0]
    assert ingress.resource.startswith("sg-") and any("0.0.0.0/0" in note for note in ingress.annotations)


def test_items_come_highest_level_first_and_oldest_first_within_a_level(report: Report) -> None:
    scores = [LEVELS.index(each.level) for each in report.items]
    assert scores == sorted(scores, reverse=True) and scores[0] >= 3
    for before, after in zip(report.items, report.items[1:]):
        if before.level == after.level:
            assert before.first <= after.first


def test_totals_by_level_add_up_and_match_the_items(report: Report, store_url: str) -> None:
    assert list(report.by_level)[:5] == list(reversed(LEVELS))
    assert sum(report.by_level.values()) == report.total == open_store(store_url).stats().events
    for level in ("critical", "high", "medium"):
        assert sum(each.count for each in report.items if each.level == level) == report.by_level[level]


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


def route_deleted(actor: str, table: str, moment: datetime, ip: str, event_id: str) -> dict[str, Any]:
    """A DeleteRoute record as CloudTrail writes it for an IAM user with CLI credentials."""
    return {
        "eventVersion": "1.09", "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE" + actor.upper(),
                         "arn": f"arn:aws:iam::111122223333:user/{actor}", "accountId": "111122223333",
                         "accessKeyId": "AKIAEXAMPLE0000000001", "userName": actor},
        "eventSource": "ec2.amazonaws.com", "eventName": "DeleteRoute", "awsRegion": "eu-west-1",
        "sourceIPAddress": ip, "userAgent": "aws-cli/2.22.4",
        "requestParameters": {"routeTableId": table, "destinationCidrBlock": "0.0.0.0/0"},
        "responseElements": {"_return": True}, "requestID": event_id, "eventID": event_id, "readOnly": False,
        "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": "111122223333",
        "eventCategory": "Management",
    }


@pytest.fixture(scope="module")
def grouped_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("report-grouping")
    start = datetime(2026, 11, 22, 16, 40)
    records = [route_deleted("DOE1", f"rtb-0{index}aaaaaaaaaaaaaaa", start + timedelta(minutes=index),
                             "203.0.113.7", f"00000000-0000-4000-8000-00000000000{index}") for index in range(3)]
    records.append(route_deleted("ROE2", "rtb-0ffffffffffffffff", start + timedelta(minutes=9), "198.51.100.9",
                                 "00000000-0000-4000-8000-000000000009"))
    write_log_file(folder / "logs" / "routes.json.gz", records)
    url = f"duckdb://{folder}/events.duckdb"
    ingest(local_objects(folder / "logs"), open_store(url), rules=load_rules())
    return url


def test_same_actor_and_action_is_one_item_with_count_first_last_and_resources(grouped_store: str) -> None:
    report = build_report(open_store(grouped_store), SINCE, UNTIL)
    assert [(each.actor, each.event_name, each.count) for each in report.items] == [
        ("DOE1", "DeleteRoute", 3), ("ROE2", "DeleteRoute", 1)]
    doe1 = report.items[0]
    assert (doe1.first, doe1.last) == (datetime(2026, 11, 22, 16, 40), datetime(2026, 11, 22, 16, 42))
    assert sorted(doe1.resources) == [f"rtb-0{index}aaaaaaaaaaaaaaa" for index in range(3)]
    assert doe1.source_ips == ["203.0.113.7"] and len(doe1.event_ids) == 3 and doe1.listed == 3
    assert report.headline.endswith("DeleteRoute ×3 on rtb-02aaaaaaaaaaaaaaa (+2) by DOE1 at 16:40 from 203.0.113.7")


def test_a_level_with_more_events_than_are_read_still_counts_each_item_exactly(store_url: str) -> None:
    report = build_report(open_store(store_url), SINCE, UNTIL, top=1_000)
    partial = build_report(open_store(store_url), SINCE, UNTIL, events_per_level=3, top=1_000)
    low_items = [each for each in partial.items if each.level == "low"]
    assert sum(each.listed for each in low_items) == 3
    assert all(each.count >= each.listed for each in low_items)
    for found in low_items:
        assert found.count == item(report, found.event_name, found.actor).count
        assert found.to_json()["complete"] is (found.listed == found.count)


def test_json_structure_for_scripts(report: Report) -> None:
    document = json.loads(json.dumps(report.to_json()))
    assert document["schema_version"] == 1
    assert document["window"] == {"since": "2026-11-22T10:40:00Z", "until": "2026-11-23T10:40:00Z"}
    assert set(document) == {"schema_version", "window", "generated_at", "store", "headline", "total", "by_level",
                             "items", "more_items", "top_actors", "regions", "accounts", "timeline", "denied",
                             "failed"}
    first = document["items"][0]
    assert set(first) == {"level", "score", "actor", "eventName", "count", "first", "last", "resources", "regions",
                          "accounts", "sourceIPAddresses", "annotations", "rules", "errors", "event_ids", "complete"}
    assert (first["eventName"], first["actor"], first["first"]) == ("DeleteRoute", "DOE1", "2026-11-22T16:42:07Z")
    assert first["score"] == LEVELS.index(first["level"]) and first["rules"]
    bucket = document["timeline"]["buckets"][6]
    assert document["timeline"]["interval_seconds"] == 3600 and set(bucket) == {"start", *LEVELS}
    assert set(document["denied"]) == {"count", "by_actor", "by_eventName"}
    assert set(document["failed"]) == {"count", "by_errorCode"}
    assert document["top_actors"][0].keys() == {"actor", "events", "threat_events"}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tattletrail", "report", *args], capture_output=True, text=True,
                          timeout=120, check=True)


def test_cli_json_text_and_time_zone(store_url: str, report: Report, tmp_path: Path) -> None:
    window = ["--since", "2026-11-22T10:40:00Z", "--until", "2026-11-23T10:40:00Z", "--store", store_url]
    printed = json.loads(run_cli(*window, "--format", "json").stdout)
    assert printed["headline"] == report.headline and printed["items"] == report.to_json()["items"]
    out = tmp_path / "report.txt"
    said = run_cli(*window, "--tz", "Europe/Paris", "--format", "text", "--out", str(out))
    text = out.read_text()
    assert "DOE1 at 17:42 from 203.0.113.7" in text.splitlines()[0]  # 16:42 UTC is 17:42 in Paris
    assert "Europe/Paris" in text.splitlines()[1] and f"wrote {out}" in said.stderr
    for section in ("Threat levels:", "Highest threat first", "Top actors", "Regions", "Denied and failed calls"):
        assert section in text


def test_text_fits_a_terminal(report: Report) -> None:
    text = render_text(report, zone("UTC"), width=100)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert text.splitlines()[0] == report.headline  # the morning's first line


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
    on_opensearch = build_report(store, SINCE, UNTIL, generated_at=END).to_json()
    embedded = report.to_json()
    for document in (on_opensearch, embedded):
        document.pop("store")
        for found in document["items"]:
            found["event_ids"].sort()  # same events; ties in time may come back in another order
    assert on_opensearch == embedded
