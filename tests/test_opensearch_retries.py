"""Bulk writes through a real local HTTP proxy in front of osmem that misbehaves on purpose: 429 and
503 answers, items refused one by one, a request that times out. Nothing is lost or stored twice,
and the ledger never runs ahead of the events. Backoff sleeps are recorded, not slept."""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

import pytest

from tattletrail.ingest import ingest
from tattletrail.sources.local import local_objects
from tattletrail.stores.opensearch.store import OpenSearchStore
from tattletrail.stores.opensearch.bulk import (MAX_BULK_BYTES, MAX_BULK_ITEMS, BulkItem, BulkRetriesExhausted,
                                                RetryPolicy, chunked)
from tests.cloudtrail_files import CORPORA, corpus_records, distinct_identities, write_log_file
from tests.opensearch_helpers import fresh_store, store_url


@dataclass
class Faults:
    """What the proxy does to the next `_bulk` requests (each counter is used up one request at a time)."""

    status: int = 429
    refuse_requests: int = 0  # answer `status` to the whole request, forwarding nothing
    refuse_half_the_items: int = 0  # forward the first half, answer 429 for each of the rest
    stall_seconds: float = 0.0  # forward, but only after this long (the client has given up)
    stall_requests: int = 0
    bulk_requests: int = 0  # every _bulk request seen
    bulk_sizes: list[tuple[int, int]] = field(default_factory=list)  # (bytes, documents) of each
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, name: str) -> bool:
        with self.lock:
            left = getattr(self, name)
            if left > 0:
                setattr(self, name, left - 1)
            return left > 0


class FaultyProxy:
    def __init__(self, upstream: str) -> None:
        self.faults = Faults()
        self.upstream = upstream
        target = urlparse(upstream)
        faults = self.faults

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if "/_bulk" in self.path:
                    with faults.lock:
                        faults.bulk_requests += 1
                        faults.bulk_sizes.append((len(body), body.count(b"\n") // 2))
                    if faults.take("refuse_requests"):
                        return self._answer(faults.status, {"error": {"type": "es_rejected_execution_exception",
                                                                       "reason": "injected"}, "status": faults.status})
                    if faults.take("stall_requests"):
                        time.sleep(faults.stall_seconds)  # the proxy is slow; the test is not waiting on it
                    if faults.take("refuse_half_the_items"):
                        return self._half(body)
                self._forward(self.command, self.path, body)

            def _forward(self, method: str, path: str, body: bytes) -> None:
                status, payload = forward(method, path, body, dict(self.headers))
                self._answer_bytes(status, payload)

            def _half(self, body: bytes) -> None:
                lines = body.rstrip(b"\n").split(b"\n")
                pairs = [lines[index:index + 2] for index in range(0, len(lines), 2)]
                kept, refused = pairs[:len(pairs) // 2], pairs[len(pairs) // 2:]
                items: list[Any] = []
                if kept:
                    status, payload = forward("POST", self.path, b"\n".join(b"\n".join(p) for p in kept) + b"\n",
                                              {"Content-Type": "application/x-ndjson"})
                    items = json.loads(payload)["items"]
                for action, _ in refused:
                    operation, meta = next(iter(json.loads(action).items()))
                    items.append({operation: {"_index": meta["_index"], "_id": meta["_id"], "status": 429, "error": {
                        "type": "es_rejected_execution_exception", "reason": "injected: queue full"}}})
                self._answer(200, {"took": 1, "errors": True, "items": items})

            def _answer(self, status: int, document: Any) -> None:
                self._answer_bytes(status, json.dumps(document).encode())

            def _answer_bytes(self, status: int, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay

        def forward(method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            headers = {key: value for key, value in headers.items() if key.lower() not in ("host", "connection")}
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            connection.close()
            return response.status, payload

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(opensearch_url: str) -> Iterator[FaultyProxy]:
    running = FaultyProxy(opensearch_url)
    yield running
    running.close()


def corpus_logs(tmp_path: Path) -> Path:
    for file in sorted(CORPORA.glob("*.jsonl")):
        write_log_file(tmp_path / "logs" / f"{file.stem}.json.gz", corpus_records(file.name))
    return tmp_path / "logs"


def proxied_store(proxy: FaultyProxy, name: str, slept: list[float], max_bulk_bytes: int = MAX_BULK_BYTES,
                  **options: Any) -> OpenSearchStore:
    """Set up straight on osmem, then write through the proxy."""
    direct = fresh_store(proxy.upstream, name)
    return OpenSearchStore(store_url(proxy.url, direct.settings.prefix) + options.pop("url_suffix", ""),
                           retry=RetryPolicy(sleep=slept.append, jitter=lambda: 1.0, **options),
                           max_bulk_items=50, max_bulk_bytes=max_bulk_bytes)


@pytest.mark.parametrize("status", [429, 503])
def test_whole_requests_refused_are_sent_again_after_growing_backoffs(proxy: FaultyProxy, tmp_path: Path,
                                                                      status: int):
    slept: list[float] = []
    store = proxied_store(proxy, f"refused{status}", slept)
    proxy.faults.status, proxy.faults.refuse_requests = status, 3
    summary = ingest(local_objects(corpus_logs(tmp_path)), store)
    assert (summary.ingested, summary.duplicates) == (410, 1)
    assert store.stats().events == len(distinct_identities(corpus_records())) == 410
    assert slept == [0.5, 1.0, 2.0]  # exponential; jitter pinned to its maximum
    assert store.quarantined() == []


def test_items_refused_with_429_are_sent_again_alone(proxy: FaultyProxy, tmp_path: Path):
    slept: list[float] = []
    store = proxied_store(proxy, "items", slept)
    proxy.faults.refuse_half_the_items = 4
    summary = ingest(local_objects(corpus_logs(tmp_path)), store)
    assert (summary.ingested, summary.duplicates) == (410, 1)
    assert store.stats().events == 410 and store.quarantined() == []
    assert len(slept) == 4


def test_a_request_that_timed_out_is_sent_again_and_stores_nothing_twice(proxy: FaultyProxy, tmp_path: Path):
    slept: list[float] = []
    store = proxied_store(proxy, "timeout", slept, url_suffix="&timeout=0.3")
    proxy.faults.stall_seconds, proxy.faults.stall_requests = 1.0, 1
    summary = ingest(local_objects(corpus_logs(tmp_path)), store)
    # the stalled request did land: its documents come back as 409s on the retry, counted as duplicates
    assert summary.ingested + summary.duplicates == 411
    assert len(slept) == 1
    assert store.stats().events == 410


def test_when_retries_run_out_the_ingest_fails_and_nothing_is_ledgered(proxy: FaultyProxy, tmp_path: Path):
    slept: list[float] = []
    store = proxied_store(proxy, "exhausted", slept, attempts=4)
    logs = corpus_logs(tmp_path)
    proxy.faults.status, proxy.faults.refuse_requests = 503, 4
    with pytest.raises(BulkRetriesExhausted, match="after 4 attempts.*next ingest reads its files again"):
        ingest(local_objects(logs), store)
    uris = [log.uri for log in local_objects(logs)]
    assert store.ledgered(uris) == {}
    summary = ingest(local_objects(logs), store)  # the cluster is well again
    assert summary.ingested == 410 and set(store.ledgered(uris)) == set(uris)


def test_bulk_requests_stay_within_the_byte_and_count_bounds(proxy: FaultyProxy, tmp_path: Path):
    slept: list[float] = []
    store = proxied_store(proxy, "bounds", slept, max_bulk_bytes=64 * 1024)
    summary = ingest(local_objects(corpus_logs(tmp_path)), store)
    assert summary.ingested == 410 and store.stats().events == 410
    event_requests = [(size, documents) for size, documents in proxy.faults.bulk_sizes]
    assert len(event_requests) > 410 * 2_000 // (64 * 1024)  # the corpora's ~2 KB documents did need splitting
    assert all(size <= 64 * 1024 and documents <= 50 for size, documents in event_requests), event_requests


def test_chunks_are_bounded_by_bytes_and_count_and_an_oversized_document_goes_alone():
    assert MAX_BULK_BYTES == 10 * 1024 * 1024 and MAX_BULK_ITEMS == 5_000  # the defaults the docs promise
    items = [BulkItem("create", "events", str(n), b'{"x":"' + b"a" * size + b'"}')
             for n, size in enumerate([100, 100, 5_000, 100, 100, 100, 100])]
    chunks = list(chunked(items, max_bytes=1_000, max_items=3))
    assert [[item.id for item, _ in chunk] for chunk in chunks] == [["0", "1"], ["2"], ["3", "4", "5"], ["6"]]
    assert all(sum(len(lines) for _, lines in chunk) <= 1_000 for chunk in chunks if len(chunk) > 1)
