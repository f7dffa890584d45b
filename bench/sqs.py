"""SQS ingest benchmark (run by hand): events/s with 1, 2 and 4 workers sharing one queue, and the
time from a file landing in S3 to its events being searchable.

    .venv/bin/python bench/sqs.py [--events 200000] [--runs 3] [--workers 1 2 4] [--latency-files 10]

A moto server runs in its own process (S3 and SQS over HTTP). The trail is generated once (cached in
bench/out/) and uploaded once; each run gets a fresh queue holding one S3 event notification per
file and a fresh DuckDB file, and runs `tattletrail ingest --sqs … --workers N --drain` in a
process, timed from start to exit (so it includes start-up, and the last empty receive of 2 s).
Latency: S3 itself notifies the queue (moto sends what S3 sends); one worker long-polls; each file
is timed from its PutObject returning to its first event being readable in the store.
The machine is small and shared: the table shows medians.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import orjson
from common import run_header  # noqa: E402  (bench/common.py)

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(os.environ.get("TATTLETRAIL_BENCH_OUT") or ROOT / "bench" / "out")
sys.path.insert(0, str(ROOT))
FEED_AHEAD = 200
ENVIRONMENT = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent",
               "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}


def generate(events: int) -> Path:
    trail = OUT / f"sqs-trail-{events}-2accounts"
    if not (trail / ".complete").exists():
        from tattletrail.generate import generate_trail

        print(f"generating {events:,} events into {trail} …", file=sys.stderr)
        generate_trail(trail, days=1, seed=7, accounts=2, events_per_day=events, end=datetime(2026, 11, 23, 12))
        (trail / ".complete").write_text("")
    return trail


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, endpoint
        except OSError:
            time.sleep(0.1)
    raise SystemExit("moto_server did not start")


def upload(s3: Any, bucket: str, trail: Path) -> list[tuple[str, str, int]]:
    """(key, etag, size) of every log file, uploaded once."""
    uploaded = []
    for path in sorted(trail.rglob("*.json.gz")):
        key = str(path.relative_to(trail))
        body = path.read_bytes()
        etag = s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"].strip('"')
        uploaded.append((key, etag, len(body)))
    return uploaded


def notification(bucket: str, key: str, etag: str, size: int) -> str:
    return json.dumps({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                                    "eventTime": "2026-11-23T12:00:00.000Z",
                                    "s3": {"bucket": {"name": bucket}, "object": {"key": key, "eTag": etag,
                                                                                   "size": size}}}]})


def feed(sqs: Any, queue: str, bucket: str, files: list[tuple[str, str, int]], ahead: int = FEED_AHEAD) -> None:
    """Send one notification per file, keeping at most `ahead` waiting: moto's ReceiveMessage slows
    down with the queue's length (4 s per receive at 3,000 messages), which SQS does not."""
    for start in range(0, len(files), 10):
        while int(sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
                  ["Attributes"]["ApproximateNumberOfMessages"]) >= ahead:
            time.sleep(0.5)
        sqs.send_message_batch(QueueUrl=queue, Entries=[
            {"Id": str(number), "MessageBody": notification(bucket, *item)}
            for number, item in enumerate(files[start:start + 10])])


def run_workers(endpoint: str, sqs: Any, bucket: str, files: list[tuple[str, str, int]], workers: int) -> tuple[float, int]:
    queue = sqs.create_queue(QueueName=f"bench-{uuid.uuid4().hex[:8]}", Attributes={"VisibilityTimeout": "120"})["QueueUrl"]
    feed(sqs, queue, bucket, files[:FEED_AHEAD])
    feeder = threading.Thread(target=feed, args=(sqs, queue, bucket, files[FEED_AHEAD:]))
    feeder.start()
    database = OUT / "sqs-bench.duckdb"
    database.unlink(missing_ok=True)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "tattletrail", "ingest", "--sqs", queue, "--workers", str(workers),
                             "--drain", "--wait-seconds", "2", "--endpoint-url", endpoint,
                             "--store", f"duckdb:///{database}", "--json"],
                            capture_output=True, text=True, env=ENVIRONMENT, cwd=ROOT)
    elapsed = time.perf_counter() - started
    feeder.join()
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    return elapsed, json.loads(result.stdout)["ingested"]


def measure_latency(endpoint: str, s3: Any, sqs: Any, bucket: str, files: int) -> list[float]:
    from tattletrail.stores.duckdb.store import DuckDBStore

    queue = sqs.create_queue(QueueName=f"latency-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
        {"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "latency/"}]}}}]})
    database = OUT / "sqs-latency.duckdb"
    database.unlink(missing_ok=True)
    store = DuckDBStore(database)
    worker = subprocess.Popen([sys.executable, "-m", "tattletrail", "ingest", "--sqs", queue, "--wait-seconds", "20",
                               "--endpoint-url", endpoint, "--store", f"duckdb:///{database}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENVIRONMENT, cwd=ROOT)
    time.sleep(3)  # let it start and begin its long poll
    latencies = []
    try:
        for number in range(files):
            event_id = f"latency-{uuid.uuid4()}"
            now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            records = [{"eventVersion": "1.08", "eventID": event_id if n == 0 else f"{event_id}-{n}", "eventTime": now,
                        "eventName": "DeleteRoute", "eventSource": "ec2.amazonaws.com", "awsRegion": "eu-west-1",
                        "userIdentity": {"type": "IAMUser", "userName": "DOE1", "accountId": "111122223333"}}
                       for n in range(100)]
            key = (f"latency/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/23/"
                   f"111122223333_CloudTrail_eu-west-1_20261123T1200Z_{number:04d}.json.gz")
            s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(orjson.dumps({"Records": records})))
            landed = time.perf_counter()
            while event_id not in store.records([event_id]):
                if time.perf_counter() - landed > 120:
                    raise SystemExit("a file was never searchable")
                time.sleep(0.02)
            latencies.append(time.perf_counter() - landed)
            print(f"latency {number + 1}: {latencies[-1]:.2f}s", file=sys.stderr)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--latency-files", type=int, default=10)
    arguments = parser.parse_args()
    print(run_header())
    os.environ.update(ENVIRONMENT)
    trail = generate(arguments.events)
    moto, endpoint = start_moto()
    try:
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
        bucket = "bench-trail"
        s3.create_bucket(Bucket=bucket)
        files = upload(s3, bucket, trail)
        print(f"{len(files):,} files uploaded", file=sys.stderr)
        results: dict[int, list[tuple[float, int]]] = {count: [] for count in arguments.workers}
        for run in range(arguments.runs):
            for count in arguments.workers:
                results[count].append(run_workers(endpoint, sqs, bucket, files, count))
                print(f"run {run + 1}, {count} worker(s): {results[count][-1][0]:.1f}s", file=sys.stderr)
        latencies = measure_latency(endpoint, s3, sqs, bucket, arguments.latency_files)
    finally:
        moto.terminate()
        moto.wait()
    events = results[arguments.workers[0]][0][1]
    print(f"\n{events:,} events in {len(files):,} files, one S3 notification each; moto server and DuckDB on this "
          f"machine ({os.cpu_count()} cores, shared); medians of {arguments.runs} runs\n")
    print("| workers | seconds | events/s | files/s |")
    print("|---:|---:|---:|---:|")
    for count, runs in results.items():
        assert all(ingested == events for _, ingested in runs), f"{count} workers stored {runs}"
        seconds = statistics.median(elapsed for elapsed, _ in runs)
        print(f"| {count} | {seconds:.1f} | {events / seconds:,.0f} | {len(files) / seconds:,.1f} |")
    print(f"\nfile landing in S3 → its events searchable, {len(latencies)} files of 100 events, one worker "
          f"long-polling: median {statistics.median(latencies):.2f}s, max {max(latencies):.2f}s")


if __name__ == "__main__":
    main()
