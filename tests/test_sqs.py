"""SQS mode against a real moto server: every notification shape, acknowledgements, redelivery,
a worker killed in the middle of a file, poison messages reaching the dead-letter queue, workers."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import pytest

from tattletrail.ingest import IngestSummary
from tattletrail.sources.notifications import Action, parse_notification
from tattletrail.sources.s3 import KeyFilter, s3_client
from tattletrail.sources.sqs import sqs_client
from tattletrail.ingest.queue_worker import BatchOutcome, QueueWorker
from tattletrail.ingest.worker_pool import QueueSettings, run_queue
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.cloudtrail_files import corpus_records, distinct_identities, log_file
from tests.sqs_helpers import (TrailQueue, cloudtrail_sns, eventbridge, log_key, make_trail_queue, s3_event,
                               sns, s3_test_event, use_test_credentials)

RECORDS = corpus_records()
ACCOUNT, OTHER = "111122223333", "444455556666"
DELIVERED = datetime(2026, 11, 23, 10, 5)


@pytest.fixture
def trail(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> TrailQueue:
    use_test_credentials(monkeypatch)
    return make_trail_queue(moto_endpoint)


@pytest.fixture
def store(tmp_path: Path) -> DuckDBStore:
    return DuckDBStore(tmp_path / "events.duckdb")


def worker(trail: TrailQueue, store: DuckDBStore, **options: Any) -> QueueWorker:
    options.setdefault("wait_seconds", 1)
    return QueueWorker(trail.queue_url, store, sqs=sqs_client(trail.queue_url, endpoint_url=trail.endpoint),
                       s3=s3_client(endpoint_url=trail.endpoint), **options)


def drain(trail: TrailQueue, store: DuckDBStore, **options: Any) -> tuple[IngestSummary, list[BatchOutcome]]:
    outcomes: list[BatchOutcome] = []
    summary = worker(trail, store, on_batch=outcomes.append, **options).run(threading.Event(), drain=True)
    return summary, outcomes


def messages(outcomes: list[BatchOutcome]) -> dict[str, int]:
    total: dict[str, int] = {}
    for outcome in outcomes:
        for result, count in outcome.messages.items():
            total[result] = total.get(result, 0) + count
    return {result: count for result, count in total.items() if count}


def until(condition: Callable[[], bool], timeout: float = 30, what: str = "condition") -> None:
    """Wait for something another process or the queue does (not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


# What each body means, without a queue: the shapes are pure data.
BODIES: dict[str, tuple[Any, str, Action, list[tuple[str, str]]]] = {
    "s3 event, key URL-encoded": (s3_event("b", "AWSLogs/x y:z.json.gz", "e1"), "s3", Action.INGEST,
                                  [("b", "AWSLogs/x y:z.json.gz")]),
    "s3 event in SNS": (sns(s3_event("b", "k.json.gz", "e1")), "sns/s3", Action.INGEST, [("b", "k.json.gz")]),
    "cloudtrail SNS, two keys": (cloudtrail_sns("b", ["a+b.json.gz", "c.json.gz"]), "sns/cloudtrail", Action.INGEST,
                                 [("b", "a+b.json.gz"), ("b", "c.json.gz")]),  # CloudTrail doesn't encode keys
    "eventbridge": (eventbridge("b", "k:1.json.gz", "e1"), "eventbridge", Action.INGEST, [("b", "k:1.json.gz")]),
    "test event": (s3_test_event("b"), "s3-test", Action.ACKNOWLEDGE, []),
    "test event in SNS": (sns(s3_test_event("b")), "sns/s3-test", Action.ACKNOWLEDGE, []),
    "object removed": (s3_event("b", "k", event_name="ObjectRemoved:Delete"), "s3", Action.ACKNOWLEDGE, []),
    "eventbridge deletion": ({**eventbridge("b", "k"), "detail-type": "Object Deleted"}, "eventbridge",
                             Action.ACKNOWLEDGE, []),
    "a CloudTrail log file itself": ({"Records": RECORDS[:1]}, "unknown", Action.LEAVE, []),
    "something else": ({"hello": "world"}, "unknown", Action.LEAVE, []),
    "not JSON": ("hello", "unknown", Action.LEAVE, []),
    "SNS of garbage": (sns({"x": 1}), "sns/unknown", Action.LEAVE, []),
}


@pytest.mark.parametrize("body, form, action, objects", BODIES.values(), ids=BODIES.keys())
def test_each_body_shape_is_understood(body: Any, form: str, action: Action, objects: list[tuple[str, str]]):
    notification = parse_notification(body if isinstance(body, str) else json.dumps(body))
    assert (notification.form, notification.action) == (form, action)
    assert [(location.bucket, location.key) for location in notification.objects] == objects
    assert notification.reason or action is Action.INGEST


def test_every_notification_shape_lands_its_file_once_and_is_deleted(trail: TrailQueue, store: DuckDBStore):
    chunks = [RECORDS[number * 40:(number + 1) * 40] for number in range(5)]
    keys = [log_key(ACCOUNT, "us-east-1", DELIVERED, suffix=f"f{number}") for number in range(5)]
    keys[0] = keys[0].replace("_f0", "_with space")  # S3 events encode it as '+'
    etags = [trail.put(key, log_file(chunk)) for key, chunk in zip(keys, chunks)]
    trail.send(s3_event(trail.bucket, keys[0], etags[0]))
    trail.send(sns(s3_event(trail.bucket, keys[1], etags[1])))
    trail.send(cloudtrail_sns(trail.bucket, [keys[2]]))  # no ETag in the message: a HEAD finds it
    trail.send({"s3Bucket": trail.bucket, "s3ObjectKey": [keys[3]]})  # raw delivery, no SNS envelope
    trail.send(eventbridge(trail.bucket, keys[4], etags[4]))
    trail.send(s3_test_event(trail.bucket))

    summary, outcomes = drain(trail, store)
    assert (summary.objects, summary.quarantined) == (5, 0)
    assert summary.ingested == store.stats().events == len(distinct_identities(sum(chunks, [])))
    assert messages(outcomes) == {"ingested": 5, "acknowledged": 1}
    assert trail.depth() == (0, 0)
    assert store.ledgered([f"s3://{trail.bucket}/{key}" for key in keys]) == {
        f"s3://{trail.bucket}/{key}": etag for key, etag in zip(keys, etags)}


def test_a_redelivered_message_stores_nothing_twice_and_downloads_nothing(trail: TrailQueue, store: DuckDBStore):
    key = log_key(ACCOUNT, "us-east-1", DELIVERED)
    etag = trail.put(key, log_file(RECORDS[:50]))
    trail.send(s3_event(trail.bucket, key, etag))
    first, _ = drain(trail, store)
    trail.send(s3_event(trail.bucket, key, etag))  # SQS delivers at least once
    trail.send(sns(s3_event(trail.bucket, key, etag)))  # and a second subscription says it again
    second, outcomes = drain(trail, store)
    assert first.ingested == len(distinct_identities(RECORDS[:50]))
    assert (second.objects, second.ingested, dict(second.skipped_reasons)) == (0, 0, {"already-ingested": 1})
    assert messages(outcomes) == {"ingested": 2} and trail.depth() == (0, 0)
    assert store.stats().events == first.ingested


def test_account_and_region_filters_acknowledge_other_files_unread(trail: TrailQueue, store: DuckDBStore):
    kept = log_key(ACCOUNT, "eu-west-1", DELIVERED)
    others = [log_key(OTHER, "eu-west-1", DELIVERED), log_key(ACCOUNT, "us-east-1", DELIVERED)]
    digest = log_key(ACCOUNT, "eu-west-1", DELIVERED).replace("/CloudTrail/", "/CloudTrail-Digest/")
    for key in [kept, *others, digest]:
        trail.put(key, log_file(RECORDS[:10]))
    trail.send(cloudtrail_sns(trail.bucket, [kept, *others]))
    trail.send(s3_event(trail.bucket, digest))
    summary, outcomes = drain(trail, store, keys=KeyFilter(frozenset([ACCOUNT]), frozenset(["eu-west-1"])))
    assert summary.objects == 1 and summary.ingested == len(distinct_identities(RECORDS[:10]))
    assert dict(summary.skipped_reasons) == {"not-in-filter": 2, "digest": 1}
    assert messages(outcomes) == {"ingested": 2} and trail.depth() == (0, 0)


def test_a_message_naming_a_missing_object_stays_in_the_queue(trail: TrailQueue, store: DuckDBStore):
    key = log_key(ACCOUNT, "us-east-1", DELIVERED)
    trail.send(s3_event(trail.bucket, key, "0123456789abcdef"))  # notified, but the object is gone
    summary, outcomes = drain(trail, store, visibility_timeout=30)
    assert dict(summary.quarantine_reasons) == {"unreadable": 1}
    assert messages(outcomes) == {"unfinished": 1}
    assert trail.depth() == (0, 1)  # invisible until the timeout, then received again (or dead-lettered)
    assert store.stats().objects == 0


def test_a_poison_message_reaches_the_dead_letter_queue_after_max_receives(moto_endpoint: str, store: DuckDBStore,
                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                        caplog: pytest.LogCaptureFixture):
    use_test_credentials(monkeypatch)
    trail = make_trail_queue(moto_endpoint, visibility_timeout=1, max_receives=2)
    poison = json.dumps({"hello": "world"})
    trail.send(poison)
    stop = threading.Event()
    running = threading.Thread(target=worker(trail, store).run, args=(stop,))
    running.start()
    try:
        until(lambda: trail.depth(trail.dead_letter_url)[0] == 1, what="the dead-letter queue")
    finally:
        stop.set()
        running.join()
    assert trail.dead_letters() == [poison]
    assert trail.depth() == (0, 0)
    left = [record.getMessage() for record in caplog.records if "not understood" in record.getMessage()]
    assert len(left) == 2 and "receive 1" in left[0] and "receive 2" in left[1]
    assert "top-level keys: hello" in left[0]


def test_a_queue_without_redrive_policy_is_warned_about(trail: TrailQueue, store: DuckDBStore,
                                                        caplog: pytest.LogCaptureFixture):
    bare = trail.sqs.create_queue(QueueName=f"{trail.bucket}-bare")["QueueUrl"]
    QueueWorker(bare, store, sqs=trail.sqs, s3=trail.s3)
    assert "has no redrive policy" in caplog.text


def test_two_worker_processes_share_the_queue_with_no_loss_and_no_duplicates(trail: TrailQueue, tmp_path: Path):
    files = {log_key(ACCOUNT, region, DELIVERED, suffix=f"w{number}"): RECORDS[number * 25:(number + 1) * 25]
             for number, region in enumerate(["us-east-1", "eu-west-1"] * 6)}
    for key, records in files.items():
        trail.send(s3_event(trail.bucket, key, trail.put(key, log_file(records))))
    store_url = f"duckdb:///{tmp_path / 'shared.duckdb'}"
    settings = QueueSettings(trail.queue_url, store_url, endpoint_url=trail.endpoint, wait_seconds=1)
    outcomes: list[BatchOutcome] = []
    summary = run_queue(settings, threading.Event(), workers=2, drain=True, on_batch=outcomes.append)
    expected = len(distinct_identities(sum(files.values(), [])))
    assert (summary.objects, summary.ingested, summary.duplicates) == (len(files), expected, 0)
    assert sum(summary.threat_levels.values()) == expected  # scored by the rule pack, as `ingest` does
    assert sum(outcome.summary.objects for outcome in outcomes) == len(files)
    assert DuckDBStore(tmp_path / "shared.duckdb").stats().events == expected
    assert trail.depth() == (0, 0)


def tattletrail(*args: str, **options: Any) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tattletrail", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **options)


def test_a_worker_killed_in_the_middle_of_a_file_loses_nothing_and_duplicates_nothing(
        moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    use_test_credentials(monkeypatch)
    trail = make_trail_queue(moto_endpoint, visibility_timeout=3)
    big = [{**record, "eventID": f"{number:08d}-{record.get('eventID', '')}"}
           for number, record in enumerate(RECORDS * (60_000 // len(RECORDS) + 1))][:60_000]
    key = log_key(ACCOUNT, "us-east-1", DELIVERED, suffix="big")
    trail.send(s3_event(trail.bucket, key, trail.put(key, log_file(big))))
    database = tmp_path / "events.duckdb"
    command = ["ingest", "--sqs", trail.queue_url, "--endpoint-url", trail.endpoint, "--wait-seconds", "1",
               "--store", f"duckdb:///{database}", "--batch-events", "2000", "--json"]
    DuckDBStore(database)  # created before two processes race to create it
    created = database.stat().st_size

    first = tattletrail(*command)
    # The file grows when the first batch is committed. Watched without opening it: a reader can wait
    # out every one of the worker's short write transactions, and see the file only once all is written.
    until(lambda: database.stat().st_size > created, timeout=120, what="the first worker's first batch")
    first.send_signal(signal.SIGKILL)
    first.wait()
    partial = DuckDBStore(database).stats()
    assert 0 < partial.events < len(big) and partial.objects == 0  # killed mid-file: no ledger entry

    second = tattletrail(*command)  # the message reappears once the killed worker's visibility lapses
    until(lambda: DuckDBStore(database).stats().objects == 1, timeout=120, what="the second worker to finish")
    second.send_signal(signal.SIGTERM)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    summary = json.loads(out)
    assert summary["ingested"] + summary["duplicates"] == len(big)
    assert summary["ingested"] == len(big) - partial.events
    assert DuckDBStore(database).stats().events == len(big)
    assert trail.depth() == (0, 0)


class StopAfterChecks(threading.Event):
    """A stop signal that arrives after it has been asked `checks` times: a SIGTERM at a chosen moment."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.checks = checks

    def is_set(self) -> bool:
        self.checks -= 1
        return self.checks < 0 or super().is_set()


def test_a_stop_finishes_the_current_object_and_makes_the_rest_visible_again(trail: TrailQueue,
                                                                             store: DuckDBStore):
    files = {log_key(ACCOUNT, "us-east-1", DELIVERED, suffix=f"s{number}"): RECORDS[number * 5:(number + 1) * 5]
             for number in range(4)}
    for key, records in files.items():
        trail.send(s3_event(trail.bucket, key, trail.put(key, log_file(records))))
    until(lambda: trail.depth() == (4, 0), what="the messages to be sent")
    outcomes: list[BatchOutcome] = []
    # asked once by the receive loop, once before the first object: the stop comes while it is read
    summary = worker(trail, store, on_batch=outcomes.append).run(StopAfterChecks(2))
    assert summary.objects == 1 and store.stats().objects == 1
    assert messages(outcomes) == {"ingested": 1, "unfinished": 3}
    assert trail.depth() == (3, 0)  # visible again at once, for another worker


def test_notifications_sent_by_s3_itself_directly_and_through_sns(trail: TrailQueue, store: DuckDBStore,
                                                                  moto_endpoint: str):
    """moto sends what S3 sends: the test event on configuration, then one message per object written."""
    import boto3

    sns_client = boto3.client("sns", endpoint_url=moto_endpoint, region_name="us-east-1")
    topic = sns_client.create_topic(Name=f"{trail.bucket}-topic")["TopicArn"]
    queue_arn = trail.sqs.get_queue_attributes(QueueUrl=trail.queue_url,
                                               AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns_client.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    trail.s3.put_bucket_notification_configuration(Bucket=trail.bucket, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "AWSLogs/1"}]}}}],
        "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "AWSLogs/4"}]}}}]})
    direct = log_key(ACCOUNT, "us-east-1", DELIVERED)
    through_sns = log_key(OTHER, "us-east-1", DELIVERED)
    trail.put(direct, log_file(RECORDS[:30]))
    trail.put(through_sns, log_file(RECORDS[30:60]))
    summary, outcomes = drain(trail, store)
    assert (summary.objects, summary.ingested) == (2, len(distinct_identities(RECORDS[:60])))
    assert messages(outcomes)["ingested"] == 2
    assert trail.depth() == (0, 0)
