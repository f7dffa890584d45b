"""The S3 source against a real moto server: layout, filters from keys, ledger re-runs, faults."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import product
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest

from tattletrail.ingest import IngestSummary, ingest
from tattletrail.sources.base import LogObject, SourceError
from tattletrail.sources.s3 import KeyFilter, s3_objects
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.cloudtrail_files import corpus_records, distinct_identities, log_file

PLAIN, ORG = "111111111111", "222222222222"  # ORG's files sit in an organization trail's folder
REGIONS = ("us-east-1", "eu-west-1")
DELIVERIES = (datetime(2026, 11, 20, 10, 5), datetime(2026, 11, 21, 10, 5))
RECORDS = corpus_records()


def log_key(account: str, region: str, delivered: datetime, folder: str = "CloudTrail",
            suffix: str = "a1B2") -> str:
    """Where CloudTrail puts a file delivered at `delivered`."""
    org = "o-exampleorg1/" if account == ORG else ""
    return (f"trail/AWSLogs/{org}{account}/{folder}/{region}/{delivered:%Y/%m/%d}/"
            f"{account}_{folder}_{region}_{delivered:%Y%m%dT%H%MZ}_{suffix}.json.gz")


@dataclass
class Bucket:
    """One test's own bucket on the shared moto server; `downloaded` lists each GetObject its client made."""

    client: Any
    name: str
    endpoint: str
    downloaded: list[str] = field(default_factory=list)
    download_threads: set[str] = field(default_factory=set)

    def put(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=body)

    def objects(self, prefix: str = "", **filters: Any) -> Iterator[LogObject]:
        return s3_objects(f"s3://{self.name}/{prefix}", client=self.client, **filters)

    def ingest(self, store: DuckDBStore, prefix: str = "", **filters: Any) -> IngestSummary:
        self.downloaded.clear()
        self.download_threads.clear()
        return ingest(self.objects(prefix, **filters), store)


@pytest.fixture
def bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Bucket:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    name = f"trail-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    created = Bucket(client, name, moto_endpoint)

    def downloading(params: dict[str, Any], **_: Any) -> None:
        created.downloaded.append(params["Key"])
        created.download_threads.add(threading.current_thread().name)

    client.meta.events.register("provide-client-params.s3.GetObject", downloading)
    return created


@pytest.fixture
def store(tmp_path: Path) -> DuckDBStore:
    return DuckDBStore(tmp_path / "events.duckdb")


def put_trail(bucket: Bucket, accounts: tuple[str, ...] = (PLAIN, ORG), regions: tuple[str, ...] = REGIONS,
              deliveries: tuple[datetime, ...] = DELIVERIES) -> dict[str, list[dict[str, Any]]]:
    """One file per account, region and delivery, sharing the corpus records but the last 20 (held back)."""
    keys = [log_key(*where) for where in product(accounts, regions, deliveries)]
    shared = RECORDS[:-20]
    chunk = -(-len(shared) // len(keys))
    files = {key: shared[number * chunk:(number + 1) * chunk] for number, key in enumerate(keys)}
    for key, records in files.items():
        bucket.put(key, log_file(records))
    return files


def tattletrail(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tattletrail", *args], capture_output=True, text=True, timeout=120)


def test_everything_lands_and_a_second_run_downloads_nothing(bucket: Bucket, store: DuckDBStore):
    files = put_trail(bucket)
    first = bucket.ingest(store)
    assert (first.objects, first.quarantined) == (len(files), 0)
    assert store.stats().events == first.ingested == len(distinct_identities(sum(files.values(), [])))
    assert sorted(bucket.downloaded) == sorted(files)  # each once
    assert any(name.startswith("s3-download") for name in bucket.download_threads)  # fetched ahead

    second = bucket.ingest(store)
    assert (second.ingested, second.objects, dict(second.skipped_reasons)) == (0, 0, {"already-ingested": 8})
    assert bucket.downloaded == []


def test_new_and_late_files_are_read_on_the_next_run(bucket: Bucket, store: DuckDBStore):
    put_trail(bucket)
    bucket.ingest(store)
    held_back = RECORDS[-20:]
    newer = log_key(PLAIN, "us-east-1", datetime(2026, 11, 22, 9, 0))
    late = log_key(ORG, "eu-west-1", datetime(2026, 11, 19, 23, 55), suffix="late")  # older than all read
    bucket.put(newer, log_file(held_back[:10]))
    bucket.put(late, log_file(held_back[10:]))
    summary = bucket.ingest(store)
    assert (summary.objects, summary.ingested) == (2, len(distinct_identities(held_back)))
    assert {newer, late} <= set(bucket.downloaded)
    assert store.stats().events == len(distinct_identities(RECORDS))


def test_rewritten_file_is_read_again_without_duplicating_events(bucket: Bucket, store: DuckDBStore):
    files = put_trail(bucket)
    bucket.ingest(store)
    key, records = next(iter(files.items()))
    bucket.put(key, log_file(records + RECORDS[-3:]))  # new content, new ETag
    summary = bucket.ingest(store)
    assert (summary.objects, summary.ingested, summary.duplicates) == (1, 3, len(records))


OTHER = "333333333333"
SINCE, UNTIL = datetime(2026, 11, 21), datetime(2026, 11, 20, 9, 55)
FILTERS = {  # filters, and which (account, region, delivery time) they keep
    "account through org folder": ({"accounts": [ORG]}, lambda a, r, t: a == ORG),
    "regions": ({"regions": REGIONS}, lambda a, r, t: r in REGIONS),
    "since": ({"since": SINCE}, lambda a, r, t: t >= SINCE),
    # a file delivered by 10:10 can hold events from before 09:55
    "until, with the delivery delay": ({"until": UNTIL}, lambda a, r, t: t < UNTIL + timedelta(minutes=15)),
    "all of them": ({"accounts": [PLAIN, OTHER], "regions": ["us-east-1"], "since": datetime(2026, 11, 20, 10),
                     "until": datetime(2026, 11, 22)},
                    lambda a, r, t: a != ORG and r == "us-east-1" and DELIVERIES[0] <= t <= DELIVERIES[1]),
}


@pytest.mark.parametrize("filters, kept", FILTERS.values(), ids=FILTERS.keys())
def test_filters_choose_from_keys_and_never_download_the_rest(bucket: Bucket, store: DuckDBStore,
                                                              filters: dict[str, Any], kept: Any):
    grid = ((PLAIN, ORG, OTHER), (*REGIONS, "ap-south-1"),
            (datetime(2025, 12, 31, 23, 59), *DELIVERIES, datetime(2026, 11, 23, 8, 0)))
    files = put_trail(bucket, *grid)
    bucket.put(f"trail/AWSLogs/{PLAIN}/elasticloadbalancing/us-east-1/2026/11/21/x.log.gz", b"not ours")
    bucket.put("trail/notes/readme.txt", b"not a log file")
    expected = sorted(log_key(*where) for where in product(*grid) if kept(*where))
    summary = bucket.ingest(store, **filters)
    assert sorted(bucket.downloaded) == expected and 0 < len(expected) < len(files)
    assert summary.quarantined == 0
    assert store.stats().events == len(distinct_identities(sum((files[key] for key in expected), [])))


@pytest.mark.parametrize("prefix", ["", "trail/", "trail/AWSLogs/", f"trail/AWSLogs/{PLAIN}/CloudTrail/",
                                    f"trail/AWSLogs/{PLAIN}/CloudTrail/eu-west-1/2026/11/"])
def test_any_prefix_of_the_layout_lists_the_same_files(bucket: Bucket, prefix: str):
    files = put_trail(bucket)
    listed = [o.uri for o in bucket.objects(prefix, accounts=[PLAIN], regions=["eu-west-1"],
                                             since=datetime(2026, 11, 20), until=datetime(2026, 11, 22))]
    assert listed == [f"s3://{bucket.name}/{key}" for key in sorted(files) if PLAIN in key and "eu-west-1" in key]


KEYS = {  # key → (kept without filters, kept with --account PLAIN)
    log_key(PLAIN, "us-east-1", DELIVERIES[0]): (True, True),
    log_key(PLAIN, "us-east-1", DELIVERIES[0], folder="CloudTrail-Insight"): (True, True),
    log_key(PLAIN, "us-east-1", DELIVERIES[0], folder="CloudTrail-Digest"): (True, True),
    log_key(ORG, "us-east-1", DELIVERIES[0]): (True, False),
    f"trail/AWSLogs/{PLAIN}/Config/us-east-1/2026/11/20/config.json.gz": (False, False),
    f"trail/AWSLogs/{PLAIN}/CloudTrail/us-east-1/2026/11/20/": (False, False),  # folder marker
    f"trail/AWSLogs/{PLAIN}/CloudTrail/us-east-1/2026/02/30/{PLAIN}_x.json.gz": (True, False),  # no such day
    "exports/events.jsonl": (True, False),
}


@pytest.mark.parametrize("key, kept", KEYS.items(), ids=range(len(KEYS)))
def test_which_keys_are_kept(key: str, kept: tuple[bool, bool]):
    assert (KeyFilter().keeps_key(key), KeyFilter(accounts=frozenset([PLAIN])).keeps_key(key)) == kept


def test_broken_and_missing_objects_are_quarantined_and_the_rest_lands(bucket: Bucket, store: DuckDBStore):
    files = put_trail(bucket)
    truncated = log_key(PLAIN, "us-east-1", DELIVERIES[1], suffix="cut")
    bucket.put(truncated, log_file(RECORDS[-20:])[:-30])
    objects = list(bucket.objects())
    gone = objects[0].uri.removeprefix(f"s3://{bucket.name}/")
    bucket.client.delete_object(Bucket=bucket.name, Key=gone)  # deleted between listing and download
    summary = ingest(objects, store)
    assert dict(summary.quarantine_reasons) == {"truncated-gzip": 1, "unreadable": 1}
    unreadable = [entry for entry in store.quarantined() if entry.reason == "unreadable"]
    assert gone in unreadable[0].detail and "NoSuchKey" in unreadable[0].detail
    rest = sum((records for key, records in files.items() if key != gone), [])
    assert distinct_identities(rest) <= set(store.records(list(distinct_identities(RECORDS))))

    bucket.put(gone, log_file(files[gone]))  # back again: not ledgered, so the next run reads it
    assert bucket.ingest(store).ingested == len(distinct_identities(files[gone]))
    assert bucket.downloaded == [gone]


class FlakyS3(BaseHTTPRequestHandler):
    """Lists one log file, and cuts its body off after a few bytes the first `breaks` times."""

    breaks = 0
    body = log_file(RECORDS[:5])
    gets: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.gets.append(self.path)
        if "list-type=2" in self.path:
            answer = (f"<ListBucketResult><Name>flaky</Name><KeyCount>1</KeyCount><IsTruncated>false"
                      f"</IsTruncated><Contents><Key>a.json.gz</Key><ETag>\"e1\"</ETag><Size>{len(self.body)}"
                      "</Size></Contents></ListBucketResult>").encode()
        else:
            answer = self.body[:10] if len(self.gets) <= self.breaks + 1 else self.body
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body) if "list-type" not in self.path else len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        self.close_connection = True

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize("breaks, stored, quarantined", [(2, 5, {}), (3, 0, {"unreadable": 1})])
def test_a_body_that_breaks_off_is_fetched_again(store: DuckDBStore, monkeypatch: pytest.MonkeyPatch,
                                                 breaks: int, stored: int, quarantined: dict[str, int]):
    monkeypatch.setattr(FlakyS3, "breaks", breaks)
    monkeypatch.setattr(FlakyS3, "gets", [])
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyS3)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{server.server_port}", region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    summary = ingest(s3_objects("s3://flaky/", client=client), store)
    server.shutdown()
    assert (summary.ingested, dict(summary.quarantine_reasons)) == (stored, quarantined)
    assert len(FlakyS3.gets) == 1 + min(breaks + 1, 3)
    assert store.stats().objects == (1 if stored else 0)  # an unreadable object is tried again next run
    assert all("broke off 3 times" in entry.detail for entry in store.quarantined())


def test_cli_ingests_a_bucket_counts_digests_and_skips_on_rerun(bucket: Bucket, tmp_path: Path):
    files = put_trail(bucket)
    bucket.put(log_key(PLAIN, "us-east-1", DELIVERIES[0], folder="CloudTrail-Digest"), log_file([]))
    command = ["ingest", f"s3://{bucket.name}/trail/", "--endpoint-url", bucket.endpoint,
               "--store", f"duckdb:///{tmp_path / 'cli.duckdb'}", "--json"]
    first = tattletrail(*command)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["ingested"] == len(distinct_identities(sum(files.values(), [])))
    assert (summary["quarantined"], summary["skipped_reasons"]) == (0, {"digest": 1})

    second = json.loads(tattletrail(*command, "--account", PLAIN, "--since", "2026-11-20").stdout)
    # the digest is ledgered (with no events) like any file read to the end
    assert (second["ingested"], second["skipped_reasons"]) == (0, {"already-ingested": 4 + 1})


def test_downloads_run_ahead_of_a_reader_that_opens_each_object_as_it_comes(bucket: Bucket):
    files = put_trail(bucket)
    bodies = {o.uri: o.open().read() for o in bucket.objects()}
    assert bodies == {f"s3://{bucket.name}/{key}": log_file(records) for key, records in files.items()}
    assert sorted(bucket.downloaded) == sorted(files)
    assert any(name.startswith("s3-download") for name in bucket.download_threads)


def test_without_prefetch_every_download_waits_for_its_open(bucket: Bucket, store: DuckDBStore):
    files = put_trail(bucket)
    ingest(bucket.objects(prefetch=0), store)
    assert sorted(bucket.downloaded) == sorted(files)
    assert bucket.download_threads == {threading.current_thread().name}


def test_unknown_profile_is_a_clear_error(bucket: Bucket):
    with pytest.raises(SourceError, match="profile 'nobody' not found"):
        list(s3_objects(f"s3://{bucket.name}/", profile="nobody"))


def test_missing_bucket_is_a_clear_error(bucket: Bucket, tmp_path: Path):
    with pytest.raises(SourceError, match="no-such-bucket"):
        list(s3_objects("s3://no-such-bucket/AWSLogs/", client=bucket.client, since=datetime(2026, 1, 1)))
    result = tattletrail("ingest", "s3://no-such-bucket/", "--endpoint-url", bucket.endpoint,
                         "--store", f"duckdb:///{tmp_path / 'cli.duckdb'}")
    assert result.returncode == 2
    assert "no-such-bucket: no such bucket" in result.stderr and "Traceback" not in result.stderr
