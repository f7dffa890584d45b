"""Prometheus metrics scraped over HTTP with real values: a queue worker on moto, the CLI, the checker's group."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from tattletrail.ingest.metrics import IngestMetrics
from tattletrail.ingest.queue_worker import BatchOutcome, QueueWorker
from tattletrail.ingest.worker_pool import QueueDepthPoller
from tattletrail.metrics import CheckMetrics, serve_metrics
from tattletrail.sources.s3 import s3_client
from tattletrail.sources.sqs import sqs_client
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.cloudtrail_files import corpus_records, distinct_identities, log_file
from tests.sqs_helpers import TrailQueue, log_key, make_trail_queue, s3_event, use_test_credentials

RECORDS = corpus_records()
DELIVERED = datetime(2026, 11, 23, 10, 5)


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample the endpoint serves, by name and labels."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


@pytest.fixture
def trail(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> TrailQueue:
    use_test_credentials(monkeypatch)
    return make_trail_queue(moto_endpoint)


def test_a_queue_workers_metrics_are_served_with_real_values(trail: TrailQueue, tmp_path: Path):
    good = RECORDS[:40]
    for number, records in enumerate([good[:20], good[20:]]):
        key = log_key("111122223333", "us-east-1", DELIVERED, suffix=f"m{number}")
        trail.send(s3_event(trail.bucket, key, trail.put(key, log_file(records))))
    broken = log_key("111122223333", "us-east-1", DELIVERED, suffix="cut")
    trail.send(s3_event(trail.bucket, broken, trail.put(broken, log_file(RECORDS[40:60])[:-30])))
    registry = CollectorRegistry()
    metrics = IngestMetrics(registry)
    server = serve_metrics(0, "127.0.0.1", registry)
    port = server.server_port
    sqs = sqs_client(trail.queue_url, endpoint_url=trail.endpoint)
    poller = QueueDepthPoller(sqs, trail.queue_url, metrics.queue_depth).start()
    try:
        before = scrape(port)
        assert before[("tattletrail_sqs_queue_messages", (("state", "visible"),))] == 3
        assert before[("tattletrail_ingest_lag_seconds", ())] != before[("tattletrail_ingest_lag_seconds", ())]  # NaN

        def observe(outcome: BatchOutcome) -> None:
            metrics.observe(outcome.summary, outcome.newest_delivery)
            for result, count in outcome.messages.items():
                metrics.messages.labels(result).inc(count)

        QueueWorker(trail.queue_url, DuckDBStore(tmp_path / "m.duckdb"), sqs=sqs, s3=s3_client(endpoint_url=trail.endpoint),
                    wait_seconds=1, on_batch=observe).run(threading.Event(), drain=True)
        poller.poll()
        after = scrape(port)
    finally:
        poller.stop()
        server.shutdown()
    newest = max(datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")) for record in good)
    now = datetime.now(timezone.utc)
    assert after[("tattletrail_events_ingested_total", ())] == len(distinct_identities(good))
    assert after[("tattletrail_objects_processed_total", ())] == 3
    assert after[("tattletrail_quarantined_total", (("reason", "truncated-gzip"),))] == 1
    assert after[("tattletrail_sqs_messages_total", (("outcome", "ingested"),))] == 3
    assert after[("tattletrail_newest_event_timestamp_seconds", ())] == newest.timestamp()
    assert abs(after[("tattletrail_ingest_lag_seconds", ())] - (now - newest).total_seconds()) < 60
    # the S3 notification's eventTime: when the object was written
    delivered = datetime(2026, 11, 23, 10, 5, 11, 123000, tzinfo=timezone.utc)
    assert abs(after[("tattletrail_delivery_lag_seconds", ())] - (now - delivered).total_seconds()) < 60
    assert after[("tattletrail_sqs_queue_messages", (("state", "visible"),))] == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_cli_serves_metrics_while_it_reads_the_queue(trail: TrailQueue, tmp_path: Path):
    key = log_key("111122223333", "us-east-1", DELIVERED)
    trail.send(s3_event(trail.bucket, key, trail.put(key, log_file(RECORDS[:30]))))
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tattletrail", "ingest", "--sqs", trail.queue_url,
                                "--endpoint-url", trail.endpoint, "--wait-seconds", "1", "--metrics-port", str(port),
                                "--store", f"duckdb:///{tmp_path / 'cli.duckdb'}", "--workers", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    samples: dict = {}
    try:
        while samples.get(("tattletrail_events_ingested_total", ())) != len(distinct_identities(RECORDS[:30])):
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, f"metrics never showed the events: {samples}"
            try:
                samples = scrape(port)
            except OSError:
                pass  # not listening yet
            time.sleep(0.2)
        assert samples[("tattletrail_objects_processed_total", ())] == 1
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err


def test_check_metrics_give_status_and_run_lag():
    registry = CollectorRegistry()
    now = [1_800_000_000.0]
    checks = CheckMetrics(registry, clock=lambda: now[0])
    checks.record_run("root-activity", 1)
    checks.record_run("default-route-deleted", 0, ran_at=datetime.fromtimestamp(now[0] - 30, timezone.utc))
    now[0] += 90
    server = serve_metrics(0, "127.0.0.1", registry)
    try:
        samples = scrape(server.server_port)
    finally:
        server.shutdown()
    assert samples[("tattletrail_check_status", (("check", "root-activity"),))] == 1
    assert samples[("tattletrail_check_run_lag_seconds", (("check", "root-activity"),))] == 90
    assert samples[("tattletrail_check_run_lag_seconds", (("check", "default-route-deleted"),))] == 120
