"""Items as sessions, from CloudTrail records as AWS writes them: what one actor did in one sitting
is one item; another access key is another session; the same calls repeated are one item ×N; a
batch read names its first resources and how many more; and the checker's state file says which
checks are alarming now."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tattletrail.alert import Status
from tattletrail.checks.state import CheckState, GroupState, StateFile
from tattletrail.ingest import ingest
from tattletrail.report import build_report
from tattletrail.report.model import ReportItem
from tattletrail.report.html import render_html
from tattletrail.report.text import render_text, resource_text
from tattletrail.rules import load_rules
from tattletrail.sources.local import local_objects
from tattletrail.stores import open_store
from tattletrail.timespec import zone
from tests.cloudtrail_files import write_log_file

SINCE, UNTIL = datetime(2026, 11, 22, 0, 0), datetime(2026, 11, 23, 0, 0)
ACCOUNT = "111122223333"


def call(name: str, source: str, moment: datetime, key: str, number: int, *, user: str = "DOE1",
         parameters: dict[str, Any] | None = None, read_only: bool = False) -> dict[str, Any]:
    """A call by an IAM user with CLI credentials (access key `key`), as CloudTrail records it."""
    event_id = f"00000000-0000-4000-8000-{number:012d}"
    return {
        "eventVersion": "1.09", "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE" + user.upper(),
                         "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}", "accountId": ACCOUNT,
                         "accessKeyId": key, "userName": user},
        "eventSource": f"{source}.amazonaws.com", "eventName": name, "awsRegion": "eu-west-1",
        "sourceIPAddress": "203.0.113.7", "userAgent": "aws-cli/2.22.4", "requestParameters": parameters,
        "responseElements": None, "requestID": event_id, "eventID": event_id, "readOnly": read_only,
        "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }


def route(moment: datetime, key: str, number: int, table: str, user: str = "DOE1") -> dict[str, Any]:
    return call("DeleteRoute", "ec2", moment, key, number, user=user,
                parameters={"routeTableId": table, "destinationCidrBlock": "0.0.0.0/0"})


def stored(folder: Path, records: list[dict[str, Any]]) -> str:
    write_log_file(folder / "logs" / "calls.json.gz", records)
    url = f"duckdb://{folder}/events.duckdb"
    ingest(local_objects(folder / "logs"), open_store(url, create=True), rules=load_rules())
    return url


def items_of(url: str) -> list[ReportItem]:
    return build_report(open_store(url), SINCE, UNTIL, top=None).items


@pytest.fixture(scope="module")
def sessions_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    start = datetime(2026, 11, 22, 16, 40)
    records = [route(start + timedelta(minutes=index), "AKIAEXAMPLEKEY000001", index, f"rtb-0{index}aaaaaaaaaaaaaaa")
               for index in range(3)]
    # The same user, another key, a minute later: another session (another terminal, another person).
    records.append(route(start + timedelta(minutes=4), "AKIAEXAMPLEKEY000002", 10, "rtb-0bbbbbbbbbbbbbbbb"))
    # The same user and key two hours later: a session of its own, with the same calls.
    records.append(route(start + timedelta(hours=2), "AKIAEXAMPLEKEY000001", 11, "rtb-0ccccccccccccccccc"))
    records.append(route(start + timedelta(minutes=9), "AKIAEXAMPLEKEY000009", 12, "rtb-0ffffffffffffffff",
                         user="ROE2"))
    return stored(tmp_path_factory.mktemp("report-sessions"), records)


def test_calls_close_in_time_with_one_key_are_one_session_repeated_sessions_one_item(sessions_store: str) -> None:
    items = items_of(sessions_store)
    # DOE1: three routes in three minutes with one key (one session), one with another key a minute
    # later (another session), one two hours later (another): the same calls, so one item ×5 of 3 sessions.
    assert sorted((each.actor, each.count, each.sessions) for each in items) == [("DOE1", 5, 3), ("ROE2", 1, 1)]
    doe1 = items[0] if items[0].actor == "DOE1" else items[1]
    assert (doe1.first, doe1.last) == (datetime(2026, 11, 22, 16, 40), datetime(2026, 11, 22, 18, 40))
    assert doe1.what == "DeleteRoute ×5" and doe1.resource_count == 5
    assert resource_text(doe1) == "rtb-00aaaaaaaaaaaaaaa, rtb-01aaaaaaaaaaaaaaa +3"
    assert "×5 on rtb-00aaaaaaaaaaaaaaa (+4) by DOE1 at 16:40 UTC from 203.0.113.7" in \
        build_report(open_store(sessions_store), SINCE, UNTIL).headline


def test_a_session_lists_its_calls_at_the_highest_level_of_its_parts(tmp_path: Path) -> None:
    start = datetime(2026, 11, 22, 9, 0)
    key = "AKIAEXAMPLEKEY000003"
    records = [call("StopLogging", "cloudtrail", start, key, 1, parameters={"name": "org-trail"}),
               call("DeleteTrail", "cloudtrail", start + timedelta(minutes=3), key, 2, parameters={"name": "org-trail"}),
               call("DeleteRoute", "ec2", start + timedelta(minutes=5), key, 3,
                    parameters={"routeTableId": "rtb-0aaaaaaaaaaaaaaaa", "destinationCidrBlock": "0.0.0.0/0"})]
    items = items_of(stored(tmp_path, records))
    assert len(items) == 1
    session = items[0]
    levels = {each.event_name: each.level for each in session.calls}
    assert set(levels) == {"StopLogging", "DeleteTrail", "DeleteRoute"}
    assert session.level == max(levels.values(), key=("info", "low", "medium", "high", "critical").index)
    assert session.calls[0].level == session.level and session.event_name == session.calls[0].event_name
    assert session.annotation and session.search_command and "eventName:(" in session.search_command


def test_a_batch_read_shows_its_first_names_and_how_many_more(tmp_path: Path) -> None:
    names = [f"/prod/app/secret-{index}" for index in range(7)]
    record = call("GetParameters", "ssm", datetime(2026, 11, 22, 12, 0), "AKIAEXAMPLEKEY000004", 1,
                  parameters={"names": names, "withDecryption": True}, read_only=True)
    from tattletrail.report.grouping import item_of, Session

    document = {**record, "event_time": "2026-11-22T12:00:00Z", "actor": "DOE1", "resource": None,
                "threat_level": "low", "annotations": [], "threat_rules": []}
    item = item_of(Session("DOE1", [document]))
    assert item.resource_count == 7 and resource_text(item, most=3) == ", ".join(names[:3]) + " +4"


def test_the_report_says_which_checks_are_not_ok_now_from_the_checkers_state(sessions_store: str,
                                                                             tmp_path: Path) -> None:
    path = tmp_path / "checks-state.sqlite"
    state_file = StateFile(path, sessions_store)
    alarming = CheckState("fingerprint", last_end=datetime(2026, 11, 22, 23, 59))
    alarming.groups[("DOE1",)] = GroupState(status=Status.CRITICAL, consecutive=2, notified=Status.CRITICAL,
                                            notified_at=datetime(2026, 11, 22, 16, 43))
    alarming.groups[("ROE2",)] = GroupState()  # OK: not listed
    state_file.save("route-table-changes", alarming)
    quiet = CheckState("fingerprint", last_end=datetime(2026, 11, 22, 23, 59))
    state_file.save("root-account-usage", quiet)
    StateFile(path, "duckdb:///another/store.duckdb").save("vpc-changes", alarming)  # another store: not ours
    state_file.close()
    report = build_report(open_store(sessions_store), SINCE, UNTIL, state_path=path)
    assert report.checks is not None and not report.checks.missing
    assert [(alarm.label, alarm.status) for alarm in report.checks.alarms] == [("route-table-changes[group1=DOE1]",
                                                                                "CRITICAL")]
    from tattletrail.checks import PACK, load_checks

    named = build_report(open_store(sessions_store), SINCE, UNTIL, state_path=path, checks=load_checks(PACK))
    assert named.checks.alarms[0].label == "route-table-changes[actor=DOE1]"
    assert "Checks not OK now: CRITICAL route-table-changes[actor=DOE1]" in render_text(named, zone("UTC"))
    page = render_html(named, zone("UTC"))
    assert "<h2>Checks not OK right now</h2>" in page and page.count("route-table-changes[actor=DOE1]") == 2
    missing = build_report(open_store(sessions_store), SINCE, UNTIL, state_path=tmp_path / "absent.sqlite")
    assert missing.checks.missing and not (tmp_path / "absent.sqlite").exists()


def test_a_frequent_low_action_is_one_routine_line_not_items(tmp_path):
    """25 denied DescribeInstances by 5 actors (low: a denied call) are one line; a rare low call is an item."""
    from datetime import datetime, timedelta

    from tattletrail.event import normalize
    from tattletrail.report.gather import build_report
    from tattletrail.rules import load_rules
    from tattletrail.stores.base import Batch
    from tattletrail.stores.duckdb.store import DuckDBStore
    from tests.checks_engine_events import api_call, denied

    start = datetime(2026, 11, 22, 9, 0)
    records = [denied(start + timedelta(minutes=7 * n), actor=f"user{n % 5}") for n in range(25)]
    records.append(api_call("StopInstances", start + timedelta(hours=3), "dave", error="UnauthorizedOperation"))
    rules = load_rules()
    events = [normalize(record, source="test") for record in records]
    for event in events:
        rules.score(event)
    store = DuckDBStore(tmp_path / "events.duckdb")
    store.write(Batch(events=events))
    report = build_report(store, start, start + timedelta(hours=6), top=None)
    assert [(line.event_name, line.count, line.actors) for line in report.routine] == [("DescribeInstances", 25, 5)]
    assert report.routine[0].label.endswith("×25 by 5 actors")
    assert not [each for each in report.items if "DescribeInstances" in {call.event_name for call in each.calls}]
    assert [each.actor for each in report.items if each.level == "low"] == ["dave"]
