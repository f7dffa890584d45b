"""The OpenSearch store (Elasticsearch 7.10+/8 too): for more than one machine, and for Dashboards.

Layout, for prefix `tattletrail` (see connection.py for the URL, schema.py for the names):
    tattletrail-events-YYYY.MM   events, one index per eventTime month (or day), `_id` = event_id@eventTime
    tattletrail-ledger           one document per ingested log object, `_id` = sha256(URI)
    tattletrail-quarantine       unreadable files and records, and documents the cluster refused

A write sends the batch's events with `create` (an identity already stored answers 409: a
duplicate, as on the embedded store), then its quarantine entries, then, only
once both are acknowledged, its ledger entries; then it refreshes what it touched so a read right
after sees the batch, as on the embedded store. Bulk semantics: bulk.py.
"""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any, ContextManager, Iterator, Sequence

import orjson

from tattletrail.query.tree import Node
from tattletrail.stores.base import (Batch, Counted, DoctorCheck, EventGroup, TallyRow, LedgerEntry, QuarantineEntry, SetupStep, Stats,
                                     StoreUnavailable, ThreatUpdate, WriteResult)
from tattletrail.stores.opensearch import layout, search, setup, threats
from tattletrail.stores.opensearch.bulk import (MAX_BULK_BYTES, MAX_BULK_ITEMS, BulkItem, BulkOutcome, RetryPolicy,
                                                send_bulk)
from tattletrail.stores.opensearch.connection import (ConnectionSettings, Engine, detect_engine, make_client,
                                                      parse_store_url)
from tattletrail.stores.opensearch.discover import discover_url
from tattletrail.stores.opensearch.documents import document_id, index_name, indexed_document
from tattletrail.stores.opensearch.schema import events_index_pattern, ledger_index, quarantine_index
from tattletrail.stores.opensearch.fit import send_refused_fitted
from tattletrail.timespec import iso_utc, utc_now

REJECTED_REASON = "rejected-by-store"


class OpenSearchStore:
    def __init__(self, url: str, *, retry: RetryPolicy = RetryPolicy(), max_bulk_bytes: int = MAX_BULK_BYTES,
                 max_bulk_items: int = MAX_BULK_ITEMS, environ: dict[str, str] | None = None) -> None:
        self.settings: ConnectionSettings = parse_store_url(url, environ)
        self.url = self.settings.redacted_url
        self.client = make_client(self.settings)
        self.retry = retry
        self.max_bulk_bytes = max_bulk_bytes
        self.max_bulk_items = max_bulk_items
        prefix = self.settings.prefix
        self.events_pattern = events_index_pattern(prefix)
        self.ledger_index = ledger_index(prefix)
        self.quarantine_index = quarantine_index(prefix)
        self._engine: Engine | None = None
        self._checked_setup = False

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = detect_engine(self.client, self.settings)
        return self._engine

    # Writes ------------------------------------------------------------------------------------------

    # A bulk run costs what its items do: a transaction per read batch (ingest.READ_BATCH_EVENTS).
    transaction_events = 20_000

    def prepare(self, batch: Batch) -> Batch:
        """Nothing to prepare: the documents are made as they are sent."""
        return batch

    def write_prepared(self, parts: list[Batch]) -> WriteResult:
        """The parts as one batch: every event, then the quarantine, then (once both are stored) the ledger."""
        if len(parts) == 1:
            return self.write(parts[0])
        return self.write(Batch([event for part in parts for event in part.events],
                                [entry for part in parts for entry in part.quarantine],
                                [entry for part in parts for entry in part.ledger]))

    def write(self, batch: Batch) -> WriteResult:
        self._require_setup()
        now = utc_now()
        unique = {document_id(event): event for event in batch.events}
        events = self._send([
            BulkItem("create", index_name(self.settings.prefix, self.settings.period, event.event_time),
                     identity, orjson.dumps(indexed_document(event, now)), origin=event)
            for identity, event in unique.items()])
        events = send_refused_fitted(self.client, events, self._send)
        refused = [QuarantineEntry(item.origin.source or "", f"event {item.id}", REJECTED_REASON, why,
                                   orjson.dumps(item.origin.record).decode(), now)
                   for item, why in events.rejected]
        kept = self._send([_quarantine_item(self.quarantine_index, entry) for entry in [*batch.quarantine, *refused]])
        self._require_nothing_refused(kept, "quarantine entries")
        ledger = self._send([_ledger_item(self.ledger_index, entry) for entry in batch.ledger])
        self._require_nothing_refused(ledger, "ledger entries")
        touched = events.indices | kept.indices | ledger.indices
        if touched:
            self.client.indices.refresh(index=",".join(sorted(touched)))
        return WriteResult(inserted=events.stored, duplicates=len(batch.events) - len(unique) + events.duplicates,
                           refused=len(refused))

    def _send(self, items: list[BulkItem]) -> BulkOutcome:
        if not items:
            return BulkOutcome()
        return send_bulk(self.client, items, self.retry, self.max_bulk_bytes, self.max_bulk_items)

    @staticmethod
    def _require_nothing_refused(outcome: BulkOutcome, what: str) -> None:
        if outcome.rejected:
            item, why = outcome.rejected[0]
            raise StoreUnavailable(f"the cluster refused {len(outcome.rejected)} {what} (first: {item.index}: {why}); "
                                   "run `tattletrail doctor` to check the indices' mappings")

    def _require_setup(self) -> None:
        """Without the index template, events would get dynamic mappings and the payloads would
        explode into thousands of fields: refuse, and say how to fix it."""
        if self._checked_setup:
            return
        template = f"{self.settings.prefix}-events"
        if not self.client.indices.exists_index_template(name=template):
            raise StoreUnavailable(f"{self.url} has no index template {template!r}: run "
                                   f"`tattletrail setup --store {self.url}` once before ingesting")
        problem = layout.refusal(layout.outdated_indices(self.client, self.events_pattern), self.url)
        if problem is not None:
            raise StoreUnavailable(problem)
        self._checked_setup = True

    # Reads: search.py -----------------------------------------------------------------------------

    def ledgered(self, sources: list[str]) -> dict[str, str]:
        if not sources:
            return {}
        answer = self.client.mget(index=self.ledger_index, body={"ids": [_ledger_id(source) for source in sources]})
        return {doc["_source"]["source"]: doc["_source"]["etag"] for doc in answer["docs"] if doc.get("found")}

    def stats(self, top: int = 10) -> Stats:
        return search.stats(self, top)

    def quarantined(self, limit: int | None = None) -> list[QuarantineEntry]:
        return search.quarantined(self, limit)

    def records(self, event_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The original records of these events, exactly as they were read."""
        return search.records(self, event_ids)

    def search(self, query: Node, since: datetime | None = None, until: datetime | None = None,
               limit: int | None = 100) -> list[dict[str, Any]]:
        return search.search(self, query, since, until, limit)

    def count(self, query: Node, since: datetime | None = None, until: datetime | None = None,
              by: str | None = None, interval: timedelta | None = None, top: int = 20) -> Counted:
        return search.count(self, query, since, until, by, interval, top)

    def field_names(self, sample: int = 20_000) -> set[str]:
        return search.field_names(self, sample)

    def scans(self, query: Node) -> list[str | None]:
        """Nothing: OpenSearch indexes every field, and bare terms search its index too."""
        return []

    def group_events(self, query: Node, since: datetime | None, until: datetime | None,
                     fields: Sequence[str], examples: int = 3) -> list[EventGroup]:
        return search.group_events(self, query, since, until, fields, examples)

    def tally(self, query: Node, since: datetime, until: datetime, by: Sequence[str],
              interval: timedelta | None, distinct: Sequence[str] = (), limit: int | None = None) -> list[TallyRow]:
        return search.tally(self, query, since, until, by, interval, distinct, limit)

    def explore(self, query: str, start: datetime, end: datetime, dashboards_url: str | None) -> str | None:
        """Discover in the store's Dashboards (at `dashboards_url`, when one is configured)."""
        return discover_url(dashboards_url, query, start, end) if dashboards_url else None

    # Rescoring (`tattletrail rescore`): threats.py ----------------------------------------------------

    def threat_pages(self, since: datetime | None = None, until: datetime | None = None,
                     page: int = 5_000) -> Iterator[list[tuple[Any, dict[str, Any]]]]:
        return threats.threat_pages(self, since, until, page)

    def update_threats(self, updates: list[ThreatUpdate]) -> int:
        return threats.update_threats(self, updates)

    # Administration: setup.py ---------------------------------------------------------------------

    def setup(self, dry_run: bool = False, fast_fields: Sequence[str] = (), migrate: bool = False) -> list[SetupStep]:
        """`fast_fields` is for the embedded store: OpenSearch indexes every field already. `migrate`
        rewrites the ids of events indices written by an older tattletrail (layout.py)."""
        resources = setup.desired_resources(self.settings, self.engine)
        steps = setup.setup(self.client, resources, dry_run)
        return steps + layout.setup_steps(self.client, self.events_pattern, self.engine.payload_type,
                                                     self._send, migrate, dry_run)

    def doctor(self) -> list[DoctorCheck]:
        return setup.doctor(self)

    def close(self) -> None:
        self.client.close()

    def reading(self) -> ContextManager[None]:
        """Nothing to hold between reads: the client keeps its connections."""
        return nullcontext()


def _ledger_id(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


def _ledger_item(index: str, entry: LedgerEntry) -> BulkItem:
    body = {"source": entry.source, "etag": entry.etag, "events": entry.events, "ingested_at": iso_utc(entry.ingested_at, "microseconds")}
    return BulkItem("index", index, _ledger_id(entry.source), orjson.dumps(body))


def _quarantine_item(index: str, entry: QuarantineEntry) -> BulkItem:
    """Appended like a row on the embedded store; the `_id` is derived from the entry so that a
    retried request doesn't store it twice."""
    when = iso_utc(entry.quarantined_at, "microseconds")
    identity = "\0".join([entry.source, entry.location, entry.reason, when])
    body = {"source": entry.source, "location": entry.location, "reason": entry.reason, "detail": entry.detail,
            "sample": entry.sample, "quarantined_at": when}
    return BulkItem("index", index, hashlib.sha256(identity.encode()).hexdigest(), orjson.dumps(body))
