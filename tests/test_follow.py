"""Follow mode against a real moto server: each round lists from the newest day less the lookback,
reads only what the ledger hasn't seen, and stops cleanly."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from tattletrail.ingest import IngestSummary
from tattletrail.ingest.follow import follow, list_from
from tattletrail.sources.registry import SourceOptions
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.cloudtrail_files import corpus_records, distinct_identities, log_file
from tests.sqs_helpers import log_key, use_test_credentials

RECORDS = corpus_records()
ACCOUNT = "111122223333"


class Watched:
    """A bucket whose client notes every key downloaded and every listing's start."""

    def __init__(self, endpoint: str) -> None:
        self.client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        self.name = f"trail-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(Bucket=self.name)
        self.downloaded: list[str] = []
        self.listed_after: list[str] = []
        self.client.meta.events.register("provide-client-params.s3.GetObject",
                                         lambda params, **_: self.downloaded.append(params["Key"]))
        self.client.meta.events.register("provide-client-params.s3.ListObjectsV2",
                                         lambda params, **_: self.listed_after.append(params.get("StartAfter", "")))

    def put(self, delivered: datetime, records: list[dict[str, Any]], suffix: str = "a1B2") -> str:
        key = log_key(ACCOUNT, "us-east-1", delivered, suffix)
        self.client.put_object(Bucket=self.name, Key=key, Body=log_file(records))
        return key


@pytest.fixture
def bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Watched:
    use_test_credentials(monkeypatch)
    return Watched(moto_endpoint)


@pytest.fixture
def store(tmp_path: Path) -> DuckDBStore:
    return DuckDBStore(tmp_path / "events.duckdb")


STARTS = {  # newest delivery seen, lookback, --since → where the next listing starts
    "nothing seen yet: from --since": (None, timedelta(hours=1), datetime(2026, 11, 1), datetime(2026, 11, 1)),
    "nothing seen, no --since: everything": (None, timedelta(hours=1), None, None),
    "the newest day less the lookback": (datetime(2026, 11, 23, 10, 5), timedelta(hours=1), None,
                                         datetime(2026, 11, 22, 23)),
    "never before --since": (datetime(2026, 11, 23, 10, 5), timedelta(days=3), datetime(2026, 11, 21),
                             datetime(2026, 11, 21)),
}


@pytest.mark.parametrize("newest, lookback, since, start", STARTS.values(), ids=STARTS.keys())
def test_where_a_round_starts_listing(newest: Any, lookback: timedelta, since: Any, start: Any):
    assert list_from(newest, lookback, since) == start


def test_later_rounds_read_new_and_late_files_and_list_only_recent_days(bucket: Watched, store: DuckDBStore):
    first = [bucket.put(datetime(2026, 11, day, 10, 5), RECORDS[day * 10:day * 10 + 10]) for day in (20, 21, 23)]
    arrivals = {  # uploaded after the first round
        "new": (datetime(2026, 11, 23, 10, 10), RECORDS[300:310], "new"),
        "late, within the lookback": (datetime(2026, 11, 22, 23, 30), RECORDS[310:320], "late"),
        "before the lookback": (datetime(2026, 11, 22, 9, 0), RECORDS[320:330], "toolate"),
    }
    keys = {name: log_key(ACCOUNT, "us-east-1", delivered, suffix) for name, (delivered, _, suffix) in arrivals.items()}
    rounds: list[tuple[IngestSummary, list[str], list[str]]] = []

    def after_round(summary: IngestSummary, newest: datetime | None) -> None:
        rounds.append((summary, list(bucket.downloaded), list(bucket.listed_after)))
        bucket.downloaded.clear()
        bucket.listed_after.clear()
        if len(rounds) == 1:
            for arrival in arrivals.values():
                bucket.put(*arrival)

    total = follow(f"s3://{bucket.name}/AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/", store, threading.Event(),
                   every=timedelta(0), options=SourceOptions(s3_client=bucket.client), on_round=after_round, rounds=3)
    (one, one_downloads, _), (two, two_downloads, two_listings), (three, three_downloads, _) = rounds
    assert sorted(one_downloads) == sorted(first) and one.objects == 3
    assert sorted(two_downloads) == sorted([keys["new"], keys["late, within the lookback"]]) and two.objects == 2
    # delivered before the lookback: not listed (a run without --follow finds it)
    assert two_listings and all(start >= f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/22/" for start in two_listings)
    assert (three.objects, three_downloads) == (0, [])  # the ledger: nothing read twice
    assert total.ingested == store.stats().events == len(distinct_identities(
        RECORDS[200:220] + RECORDS[230:240] + RECORDS[300:320]))


def test_a_stop_ends_the_follower_without_waiting_for_the_next_round(bucket: Watched, store: DuckDBStore):
    bucket.put(datetime(2026, 11, 23, 10, 5), RECORDS[:10])
    stop = threading.Event()
    started = time.monotonic()
    total = follow(f"s3://{bucket.name}/", store, stop, every=timedelta(hours=1), options=SourceOptions(s3_client=bucket.client),
                   on_round=lambda summary, newest: stop.set())
    assert total.objects == 1 and time.monotonic() - started < 30


def test_cli_follows_until_sigterm(bucket: Watched, tmp_path: Path):
    key = bucket.put(datetime(2026, 11, 23, 10, 5), RECORDS[:10])
    database = tmp_path / "follow.duckdb"
    process = subprocess.Popen([sys.executable, "-m", "tattletrail", "ingest", f"s3://{bucket.name}/", "--follow",
                                "--every", "1s", "--endpoint-url", bucket.client.meta.endpoint_url,
                                "--store", f"duckdb:///{database}", "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (database.exists() and DuckDBStore(database).stats().objects == 1):
        assert time.monotonic() < deadline and process.poll() is None, process.stderr.read() if process.stderr else ""
        time.sleep(0.1)
    bucket.put(datetime(2026, 11, 23, 10, 10), RECORDS[10:20], "second")  # seen by a later round
    while DuckDBStore(database).stats().objects < 2:
        assert time.monotonic() < deadline, "the second file was never read"
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert json.loads(out)["objects"] == 2 and key
