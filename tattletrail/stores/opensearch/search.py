"""Reads on the OpenSearch store: search, count, stats, quarantine, records, field names.

Kept apart from store.py (the write path), as duckdb/search.py is from duckdb/store.py. Every answer
is shaped exactly as the embedded store's: documents are rebuilt from the stored original record
(documents.document_from_source), groups and buckets are ordered the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterator, Sequence, overload

import orjson

from tattletrail.query.opensearch import date_text, to_opensearch
from tattletrail.query.python import walk_leaves
from tattletrail.query.tree import Node
from tattletrail.event import DERIVED_FIELDS
from tattletrail.stores.base import Counted, EventGroup, QuarantineEntry, Stats, TallyRow, fill_buckets
from tattletrail.stores.opensearch.documents import document_from_source
from tattletrail.stores.opensearch.schema import DERIVED_SOURCE_FIELDS
from tattletrail.stores.opensearch.fit import with_misfits
from tattletrail.stores.grouping import group_documents

if TYPE_CHECKING:
    from tattletrail.stores.opensearch.schema import Cluster

PAGE = 5_000  # hits per request; below the default index.max_result_window of 10,000
# Sorted like the embedded store: newest first, events without a time last, then by identity.
NEWEST_FIRST = [{"event_time": {"order": "desc", "missing": "_last"}}, {"event_id": {"order": "asc"}}]
BY_COUNT = [{"_count": "desc"}, {"_key": "asc"}]
# `count --by` says how many values there are: exact up to this many (the cardinality aggregation's
# most), an estimate within a few percent beyond.
EXACT_VALUES = 40_000
_MISSING_INDEX_OK = {"ignore_unavailable": True, "allow_no_indices": True}


def query_of(query: Node, since: datetime | None, until: datetime | None) -> dict[str, Any]:
    """The query and the time window (event_time in [since, until)) as one bool filter."""
    filters = [to_opensearch(with_misfits(query))]
    window = {}
    if since is not None:
        window["gte"] = date_text(since)
    if until is not None:
        window["lt"] = date_text(until)
    if window:
        filters.append({"range": {"event_time": window}})
    return {"bool": {"filter": filters}}


def search(store: Cluster, query: Node, since: datetime | None = None, until: datetime | None = None,
           limit: int | None = 100) -> list[dict[str, Any]]:
    hits = _hits(store, store.events_pattern, query_of(query, since, until), NEWEST_FIRST, limit,
                 DERIVED_SOURCE_FIELDS)
    return [document_from_source(hit["_source"]) for hit in hits]


def _hits(store: Cluster, index: str, query: dict[str, Any], sort: list[Any], limit: int | None,
          fields: list[str]) -> Iterator[dict[str, Any]]:
    """Every hit up to `limit`, page by page with search_after (no 10,000 ceiling)."""
    wanted = float("inf") if limit is None else limit
    after: list[Any] | None = None
    seen = 0
    while seen < wanted:
        body: dict[str, Any] = {"query": query, "sort": sort, "size": int(min(PAGE, wanted - seen)),
                                "_source": fields, "track_total_hits": False}
        if after is not None:
            body["search_after"] = after
        page = store.client.search(index=index, body=body, **_MISSING_INDEX_OK)["hits"]["hits"]
        yield from page
        seen += len(page)
        if len(page) < body["size"]:
            return
        after = page[-1]["sort"]


def count(store: Cluster, query: Node, since: datetime | None = None, until: datetime | None = None,
          by: str | None = None, interval: timedelta | None = None, top: int = 20) -> Counted:
    aggregations: dict[str, Any] = {}
    if by is not None:
        aggregations["groups"] = {"terms": {"field": by, "size": top, "order": BY_COUNT}}
    if interval is not None:
        aggregations["buckets"] = {"date_histogram": {"field": "event_time",
                                                      "fixed_interval": f"{int(interval.total_seconds())}s",
                                                      "min_doc_count": 1}}
    matching = query_of(query, since, until)
    body = {"query": matching, "size": 0, "track_total_hits": True, "aggs": aggregations}
    answer = store.client.search(index=store.events_pattern, body=body, **_MISSING_INDEX_OK)
    found = answer.get("aggregations", {})
    groups = [(_key_text(bucket), bucket["doc_count"]) for bucket in found.get("groups", {}).get("buckets", [])]
    buckets: list[tuple[datetime, int]] = []
    if interval is not None:
        counts = {_from_millis(bucket["key"]): bucket["doc_count"] for bucket in found["buckets"]["buckets"]}
        buckets, interval = fill_buckets(counts, interval, since, until)
    values = 0
    if by is not None:
        # every value among the groups (or no events index yet: no aggregations): no need to ask
        values = len(groups) if found.get("groups", {}).get("sum_other_doc_count", 0) == 0 else \
            _distinct_values(store, matching, by)
    return Counted(total=answer["hits"]["total"]["value"], groups=groups, buckets=buckets, by=by, interval=interval,
                   values=values)


def _distinct_values(store: Cluster, query: dict[str, Any], field: str) -> int:
    """How many values `field` has, asked only when the top groups are not all of them: an
    aggregation costs about as much again as the terms on some servers (osmem: 20–130% more)."""
    body = {"query": query, "size": 0, "track_total_hits": False,
            "aggs": {"values": {"cardinality": {"field": field, "precision_threshold": EXACT_VALUES}}}}
    answer = store.client.search(index=store.events_pattern, body=body, **_MISSING_INDEX_OK)
    return int(answer.get("aggregations", {}).get("values", {}).get("value", 0))


def tally(store: Cluster, query: Node, since: datetime, until: datetime, by: Sequence[str],
          interval: timedelta | None, distinct: Sequence[str] = (), limit: int | None = None) -> list[TallyRow]:
    """Store.tally as composite aggregations (every combination of a document's values, as terms
    aggregations count them): one for the events per group and bucket, one per distinct field."""
    filtered = query_of(query, since, until)
    names = [f"by{index}" for index in range(len(by))]
    sources: list[dict[str, Any]] = [{name: {"terms": {"field": field}}} for name, field in zip(names, by)]
    if interval is not None:
        sources.append({"bucket": {"date_histogram": {"field": "event_time",
                                                      "fixed_interval": f"{int(interval.total_seconds())}s"}}})
    wanted = float("inf") if limit is None else limit + 1
    rows: list[TallyRow] = []
    for field in [None, *distinct]:
        extra = [{"value": {"terms": {"field": field}}}] if field is not None else []
        for key, n in _composite(store, filtered, [*sources, *extra]):
            if len(rows) >= wanted:
                return rows
            bucket = _from_millis(key["bucket"]) if interval is not None else since
            value = _composite_text(key["value"]) if field is not None else None
            rows.append((tuple(_composite_text(key[name]) for name in names), value, bucket, n))
    return rows


def _composite(store: Cluster, query: dict[str, Any], sources: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], int]]:
    """Every bucket of a composite aggregation, page by page."""
    if not sources:  # nothing to group by: the whole window is one bucket
        total = store.client.search(index=store.events_pattern, body={"query": query, "size": 0, "track_total_hits": True},
                                    **_MISSING_INDEX_OK)["hits"]["total"]["value"]
        if total:
            yield {}, total
        return
    after: dict[str, Any] | None = None
    while True:
        composite: dict[str, Any] = {"size": PAGE, "sources": sources}
        if after is not None:
            composite["after"] = after
        body = {"query": query, "size": 0, "aggs": {"tally": {"composite": composite}}}
        found = store.client.search(index=store.events_pattern, body=body, **_MISSING_INDEX_OK).get("aggregations")
        if not found:  # no events index yet
            return
        for bucket in found["tally"]["buckets"]:
            yield bucket["key"], bucket["doc_count"]
        after = found["tally"].get("after_key")
        if after is None or not found["tally"]["buckets"]:
            return


def _composite_text(key: Any) -> str:
    """A composite key's value as a terms aggregation's key reads (`true`, not `True`)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _key_text(bucket: dict[str, Any]) -> str:
    return str(bucket.get("key_as_string", bucket["key"]))


def stats(store: Cluster, top: int = 10) -> Stats:
    def grouped(field: str) -> dict[str, Any]:
        return {"terms": {"field": field, "size": top, "order": BY_COUNT, "missing": "(none)"}}

    body = {"size": 0, "track_total_hits": True, "aggs": {
        "first": {"min": {"field": "event_time"}}, "last": {"max": {"field": "event_time"}},
        "failures": {"filter": {"term": {"outcome": "failure"}}},
        "incomplete": {"filter": {"exists": {"field": "missing"}}},
        "by_service": grouped("eventSource"), "by_actor": grouped("actor"),
        "by_region": grouped("awsRegion"), "by_account": grouped("account")}}
    answer = store.client.search(index=store.events_pattern, body=body, **_MISSING_INDEX_OK)
    found = answer.get("aggregations")
    if not found:  # no events index yet
        return Stats(0, None, None, 0, 0, _count(store, store.quarantine_index), _count(store, store.ledger_index),
                     [], [], [], [])

    def rows(name: str) -> list[tuple[str, int]]:
        return [(_key_text(bucket), bucket["doc_count"]) for bucket in found[name]["buckets"]]

    return Stats(
        events=answer["hits"]["total"]["value"],
        first_event=_from_millis(found["first"]["value"]), last_event=_from_millis(found["last"]["value"]),
        failures=found["failures"]["doc_count"], incomplete=found["incomplete"]["doc_count"],
        quarantined=_count(store, store.quarantine_index), objects=_count(store, store.ledger_index),
        by_service=rows("by_service"), by_actor=rows("by_actor"), by_region=rows("by_region"),
        by_account=rows("by_account"))


def _count(store: Cluster, index: str) -> int:
    return int(store.client.count(index=index, **_MISSING_INDEX_OK)["count"])


def quarantined(store: Cluster, limit: int | None = None) -> list[QuarantineEntry]:
    sort = [{"quarantined_at": {"order": "asc"}}, {"source": {"order": "asc"}}, {"_id": {"order": "asc"}}]
    hits = _hits(store, store.quarantine_index, {"match_all": {}}, sort, limit, ["*"])
    return [QuarantineEntry(source=hit["_source"]["source"], location=hit["_source"]["location"],
                            reason=hit["_source"]["reason"], detail=hit["_source"]["detail"],
                            sample=hit["_source"]["sample"],
                            quarantined_at=_parse_time(hit["_source"]["quarantined_at"]))
            for hit in hits]


def records(store: Cluster, event_ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(event_ids), PAGE):
        ids = event_ids[start:start + PAGE]
        body = {"query": {"terms": {"event_id": ids}}, "size": 10_000, "_source": ["event_id", "record"]}
        for hit in store.client.search(index=store.events_pattern, body=body, **_MISSING_INDEX_OK)["hits"]["hits"]:
            found[hit["_source"]["event_id"]] = orjson.loads(hit["_source"]["record"])
    return found


def field_names(store: Cluster, sample: int = 20_000) -> set[str]:
    names = set(DERIVED_FIELDS)
    for hit in _hits(store, store.events_pattern, {"match_all": {}}, [{"_doc": "asc"}], sample, ["record"]):
        for path, _ in walk_leaves(orjson.loads(hit["_source"]["record"])):
            parts = path.split(".")
            names.update(".".join(parts[:end]) for end in range(1, len(parts) + 1))
    return names


@overload
def _from_millis(value: float) -> datetime: ...
@overload
def _from_millis(value: None) -> None: ...
def _from_millis(value: float | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc).replace(tzinfo=None)


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc).replace(tzinfo=None)


def group_events(store: Cluster, query: Node, since: datetime | None, until: datetime | None,
                 fields: Sequence[str], examples: int = 3) -> list[EventGroup]:
    """Store.group_events over the hits' stored records: the index's copy of a payload can be cut
    or fitted to the mapping, so terms aggregations would not give the exact values. Each hit
    brings only the record and the derived fields asked for."""
    wanted = ["event_id", "event_time", "record", *(name for name in fields if name in DERIVED_SOURCE_FIELDS)]
    hits = _hits(store, store.events_pattern, query_of(query, since, until), NEWEST_FIRST, None, wanted)
    return group_documents((document_from_source(hit["_source"]) for hit in hits), fields, examples)
