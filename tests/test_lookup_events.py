"""The LookupEvents source over HTTP: pagination with NextToken, pacing, backoff on throttling,
hour slices and the ledger.

moto (5.2) answers LookupEvents with a 500 ("The lookup_events action has not been implemented"),
as the first test pins; so these tests run against a small local server that speaks the CloudTrail
JSON protocol (and STS's GetCallerIdentity) the way AWS does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from tattletrail.ingest import ingest
from tattletrail.sources.lookup_events import Pacer, lookup_events_objects
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.cloudtrail_files import corpus_records
from tests.sqs_helpers import use_test_credentials

NOW = datetime(2026, 11, 23, 10, 30)
ACCOUNT = "111122223333"


@dataclass
class History:
    """What the local CloudTrail holds, and what it was asked."""

    events: list[dict[str, Any]] = field(default_factory=list)
    throttle: set[int] = field(default_factory=set)  # request numbers answered with ThrottlingException
    requests: list[dict[str, Any]] = field(default_factory=list)

    def page(self, request: dict[str, Any]) -> dict[str, Any]:
        start, end = (datetime.fromtimestamp(request[name], timezone.utc).replace(tzinfo=None)
                      for name in ("StartTime", "EndTime"))
        matching = sorted((event for event in self.events if start <= event["time"] <= end),
                          key=lambda event: event["time"], reverse=True)  # newest first, as AWS answers
        offset = int(request.get("NextToken", "0"))
        size = request.get("MaxResults", 50)
        answer: dict[str, Any] = {"Events": [{
            "EventId": event["record"]["eventID"], "EventName": event["record"]["eventName"],
            "EventTime": event["time"].replace(tzinfo=timezone.utc).timestamp(),
            "CloudTrailEvent": json.dumps(event["record"])} for event in matching[offset:offset + size]]}
        if offset + size < len(matching):
            answer["NextToken"] = str(offset + size)
        return answer


def handler_for(history: History) -> type[BaseHTTPRequestHandler]:
    class LocalCloudTrail(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if "GetCallerIdentity" in body.decode():
                self._answer(200, "text/xml", (
                    "<GetCallerIdentityResponse><GetCallerIdentityResult>"
                    f"<Arn>arn:aws:iam::{ACCOUNT}:user/auditor</Arn><UserId>AIDAEXAMPLE</UserId>"
                    f"<Account>{ACCOUNT}</Account></GetCallerIdentityResult></GetCallerIdentityResponse>").encode())
                return
            assert self.headers["X-Amz-Target"].endswith("CloudTrail_20131101.LookupEvents")
            request = json.loads(body)
            history.requests.append(request)
            if len(history.requests) in history.throttle:
                self._answer(400, "application/x-amz-json-1.1",
                             json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode())
                return
            self._answer(200, "application/x-amz-json-1.1", json.dumps(history.page(request)).encode())

        def _answer(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return LocalCloudTrail


@pytest.fixture
def cloudtrail(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, History]]:
    use_test_credentials(monkeypatch)
    history = History()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(history))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", history
    server.shutdown()


def events_between(first: datetime, count: int, step: timedelta) -> list[dict[str, Any]]:
    """`count` real records, retimed every `step` from `first`, each with its own eventID."""
    records = corpus_records()
    made = []
    for number in range(count):
        moment = first + number * step
        record = {**records[number % len(records)], "eventID": f"lookup-{number:05d}",
                  "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}
        made.append({"time": moment, "record": record})
    return made


class FakeTime:
    """A clock that moves only when someone sleeps: pacing is checked without waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def objects(endpoint: str, since: datetime, pacer: Pacer, until: datetime = NOW, now: datetime = NOW) -> Any:
    return lookup_events_objects(since=since, until=until, now=now, endpoint_url=endpoint, regions=["us-east-1"],
                                 pacer=pacer)


def test_moto_does_not_answer_lookup_events(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch):
    use_test_credentials(monkeypatch)
    client = boto3.client("cloudtrail", endpoint_url=moto_endpoint, region_name="us-east-1")
    with pytest.raises(ClientError, match="500"):
        client.lookup_events(MaxResults=5)


def test_pages_are_followed_with_next_token_two_requests_a_second(cloudtrail: tuple[str, History], tmp_path: Path):
    endpoint, history = cloudtrail
    history.events = events_between(datetime(2026, 11, 23, 7, 0, 1), 120, timedelta(seconds=20))  # in one hour
    time = FakeTime()
    pacer = Pacer(clock=time.clock, sleep=time.sleep)
    store = DuckDBStore(tmp_path / "events.duckdb")
    summary = ingest(objects(endpoint, datetime(2026, 11, 23, 7), pacer, until=datetime(2026, 11, 23, 8)), store)
    assert (summary.objects, summary.ingested, summary.quarantined) == (1, 120, 0)
    assert [request.get("NextToken") for request in history.requests] == [None, "50", "100"]
    assert all(request["MaxResults"] == 50 for request in history.requests)
    assert pacer.waits == [0.5, 0.5]  # 2 requests/s
    assert store.stats().events == 120


def test_throttling_backs_off_and_the_slice_still_lands(cloudtrail: tuple[str, History], tmp_path: Path):
    endpoint, history = cloudtrail
    history.events = events_between(datetime(2026, 11, 23, 7, 0, 1), 60, timedelta(seconds=50))
    history.throttle = {2, 3}
    time = FakeTime()
    pacer = Pacer(clock=time.clock, sleep=time.sleep)
    summary = ingest(objects(endpoint, datetime(2026, 11, 23, 7), pacer, until=datetime(2026, 11, 23, 8)),
                     DuckDBStore(tmp_path / "events.duckdb"))
    assert (summary.ingested, summary.quarantined) == (60, 0)
    assert [request.get("NextToken") for request in history.requests] == [None, "50", "50", "50"]
    assert pacer.waits == [0.5, 0.5, 1.0]  # pace, then backoff 0.5 s, then 1 s (each long enough to pace too)


def test_settled_hours_are_ledgered_and_the_open_hour_is_read_again(cloudtrail: tuple[str, History], tmp_path: Path):
    endpoint, history = cloudtrail
    history.events = events_between(datetime(2026, 11, 23, 7, 0, 1), 200, timedelta(minutes=1))  # 07:00:01 to 10:19:01
    store = DuckDBStore(tmp_path / "events.duckdb")
    time = FakeTime()
    pacer = Pacer(clock=time.clock, sleep=time.sleep)
    first = ingest(objects(endpoint, datetime(2026, 11, 23, 7), pacer), store)
    assert (first.objects, first.ingested) == (4, 200)  # 07, 08, 09 and the open 10:00-10:30
    history.requests.clear()
    later = NOW + timedelta(minutes=5)
    second = ingest(objects(endpoint, datetime(2026, 11, 23, 7), pacer, until=later, now=later), store)
    assert (second.objects, second.ingested, second.duplicates) == (1, 0, 20)  # only the open hour, again
    assert dict(second.skipped_reasons) == {"already-ingested": 3}
    assert len(history.requests) == 1


def test_cli_reads_the_event_history(cloudtrail: tuple[str, History], tmp_path: Path):
    endpoint, history = cloudtrail
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    history.events = events_between(now - timedelta(minutes=90), 30, timedelta(minutes=2))
    result = subprocess.run([sys.executable, "-m", "tattletrail", "ingest", "cloudtrail-api://", "--since", "2h",
                             "--region", "eu-west-1", "--endpoint-url", endpoint,
                             "--store", f"duckdb:///{tmp_path / 'cli.duckdb'}", "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ingested"] == 30
    stats = DuckDBStore(tmp_path / "cli.duckdb").stats()
    assert stats.events == 30 and stats.objects >= 2
