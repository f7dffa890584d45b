"""Bulk requests that lose nothing: bounded by bytes and count, retried, and failures sorted.

A `_bulk` answer can fail three ways, and each has one right response:
- the whole request (429, 5xx, a timeout, a dropped connection): send it again after a backoff;
- some items (429 or 5xx on the item, e.g. a rejected execution on one shard): send those again;
- some items permanently (a mapping error: this document can never be indexed as it is): hand them
  back to the caller, who keeps the document (the store quarantines it), never drops it.
A `create` answered 409 is an event already stored: a duplicate, not a failure. Retrying a request
that timed out may meet its own first attempt's documents as 409s: they count as duplicates, and
nothing is stored twice. When retries run out the batch fails loudly and the caller writes no
ledger entry, so the next run reads the same files again.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

import orjson

from tattletrail.stores.base import StoreUnavailable

MAX_BULK_BYTES = 10 * 1024 * 1024
MAX_BULK_ITEMS = 5_000
RETRIABLE_STATUSES = {429, 500, 502, 503, 504}


class BulkRetriesExhausted(StoreUnavailable):
    """The cluster kept refusing part of a batch for every attempt; nothing of it was ledgered."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter. `sleep` and `jitter` are injectable so that tests
    retry at once and deterministically."""

    attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1, 2, …)."""
        return self.jitter() * min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))


@dataclass
class BulkItem:
    """One document to send, serialized once; `origin` is whatever the caller wants back if it fails."""

    operation: str  # "create" (duplicates are 409s) or "index" (replace)
    index: str
    id: str
    body: bytes
    origin: Any = None

    def lines(self) -> bytes:
        meta = orjson.dumps({self.operation: {"_index": self.index, "_id": self.id}})
        return meta + b"\n" + self.body + b"\n"


@dataclass
class BulkOutcome:
    stored: int = 0
    duplicates: int = 0  # a `create` whose _id was already there
    rejected: list[tuple[BulkItem, str]] = field(default_factory=list)  # permanent: (item, why)
    retries: int = 0
    indices: set[str] = field(default_factory=set)  # touched, to refresh

    def add(self, other: "BulkOutcome") -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.rejected.extend(other.rejected)
        self.retries += other.retries
        self.indices |= other.indices


def send_bulk(client: Any, items: Iterable[BulkItem], retry: RetryPolicy = RetryPolicy(),
              max_bytes: int = MAX_BULK_BYTES, max_items: int = MAX_BULK_ITEMS) -> BulkOutcome:
    """Send every item, in requests of at most `max_bytes` and `max_items`; see the module doc."""
    outcome = BulkOutcome()
    for chunk in chunked(items, max_bytes, max_items):
        outcome.add(_send_until_settled(client, chunk, retry))
    return outcome


def chunked(items: Iterable[BulkItem], max_bytes: int, max_items: int) -> Iterator[list[tuple[BulkItem, bytes]]]:
    """Items with their serialized lines, in chunks; an item larger than `max_bytes` goes alone."""
    chunk: list[tuple[BulkItem, bytes]] = []
    size = 0
    for item in items:
        lines = item.lines()
        if chunk and (size + len(lines) > max_bytes or len(chunk) >= max_items):
            yield chunk
            chunk, size = [], 0
        chunk.append((item, lines))
        size += len(lines)
    if chunk:
        yield chunk


def _send_until_settled(client: Any, chunk: list[tuple[BulkItem, bytes]], retry: RetryPolicy) -> BulkOutcome:
    outcome = BulkOutcome()
    pending = chunk
    attempt = 0
    while pending:
        attempt += 1
        pending, why = _attempt(client, pending, outcome, retry)
        if not pending:
            break
        if attempt >= retry.attempts:
            raise BulkRetriesExhausted(
                f"{len(pending)} documents were still refused after {attempt} attempts (last: {why}); "
                "nothing of this batch was ledgered, so the next ingest reads its files again. "
                "Check the cluster's health and load (`tattletrail doctor`), or ingest with smaller batches.")
        outcome.retries += 1
        retry.sleep(retry.delay(attempt))
    return outcome


def _attempt(client: Any, pending: list[tuple[BulkItem, bytes]], outcome: BulkOutcome,
             retry: RetryPolicy) -> tuple[list[tuple[BulkItem, bytes]], str]:
    """Send once; what must be sent again, and why."""
    from opensearchpy.exceptions import ConnectionError as TransportConnectionError
    from opensearchpy.exceptions import TransportError

    try:
        response = client.bulk(body=b"".join(lines for _, lines in pending))
    except TransportConnectionError as error:
        return pending, f"connection: {type(error).__name__}"
    except TransportError as error:
        status = error.status_code
        if status in RETRIABLE_STATUSES:
            return pending, f"HTTP {status}"
        if status == 413 and len(pending) > 1:  # too large for this cluster: halve until it fits
            half = len(pending) // 2
            for part in (pending[:half], pending[half:]):
                outcome.add(_send_until_settled(client, part, retry))
            return [], ""
        if status == 413:
            item = pending[0][0]
            outcome.rejected.append((item, f"413 a single document of {len(pending[0][1]):,} bytes is larger "
                                           "than the cluster's http.max_content_length"))
            return [], ""
        raise StoreUnavailable(f"the cluster refused a bulk request: HTTP {status} {_reason(error.info)}") from None
    return _sort_items(response["items"], pending, outcome)


def _sort_items(answers: list[dict[str, Any]], pending: list[tuple[BulkItem, bytes]],
                outcome: BulkOutcome) -> tuple[list[tuple[BulkItem, bytes]], str]:
    again: list[tuple[BulkItem, bytes]] = []
    why = ""
    for answer, (item, lines) in zip(answers, pending):
        result = next(iter(answer.values()))
        status = result.get("status", 500)
        if status < 300:
            outcome.stored += 1
            outcome.indices.add(item.index)
        elif status == 409 and item.operation == "create":
            outcome.duplicates += 1
        elif status in RETRIABLE_STATUSES:
            again.append((item, lines))
            why = f"item {status} {_reason(result.get('error'))}"
        else:
            outcome.rejected.append((item, f"{status} {_reason(result.get('error'))}"))
    return again, why


def _reason(error: Any) -> str:
    """`type: reason (caused by …)` from an OpenSearch error object, whatever its shape."""
    if isinstance(error, dict) and "error" in error:
        error = error["error"]
    if not isinstance(error, dict):
        return str(error)[:500]
    text = f"{error.get('type', 'error')}: {error.get('reason', '')}"
    cause = error.get("caused_by")
    if isinstance(cause, dict):
        text += f" (caused by {cause.get('type')}: {cause.get('reason')})"
    return text[:1000]
