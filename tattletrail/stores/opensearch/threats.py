"""Rescoring on OpenSearch: stored events page by page (search_after on event_id), and their
threat fields changed with bulk partial updates addressed to the index that holds each event."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterator

import orjson

from tattletrail.event import THREAT_LEVELS
from tattletrail.query.opensearch import date_text
from tattletrail.stores.base import StoreUnavailable, ThreatUpdate
from tattletrail.stores.opensearch.bulk import BulkItem, send_bulk
from tattletrail.stores.opensearch.documents import document_from_source
from tattletrail.stores.opensearch.schema import DERIVED_SOURCE_FIELDS

if TYPE_CHECKING:
    from tattletrail.stores.opensearch.schema import Cluster

# The event's identity (eventID, eventTime): two events may share an eventID, so paging on it alone
# would skip the second.
IDENTITY_ORDER = [{"event_id": "asc"}, {"event_time": {"order": "asc", "missing": "_last"}}]
# A ThreatUpdate's `where` here: (index, _id).


def threat_pages(store: Cluster, since: datetime | None, until: datetime | None,
                 page: int) -> Iterator[list[tuple[Any, dict[str, Any]]]]:
    window = {key: date_text(moment) for key, moment in (("gte", since), ("lt", until)) if moment is not None}
    query = {"range": {"event_time": window}} if window else {"match_all": {}}
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {"query": query, "sort": IDENTITY_ORDER, "size": page,
                                "_source": DERIVED_SOURCE_FIELDS, "track_total_hits": False}
        if after is not None:
            body["search_after"] = after
        hits = store.client.search(index=store.events_pattern, body=body, ignore_unavailable=True,
                                   allow_no_indices=True)["hits"]["hits"]
        if not hits:
            return
        yield [((hit["_index"], hit["_id"]), document_from_source(hit["_source"])) for hit in hits]
        if len(hits) < page:
            return
        after = hits[-1]["sort"]


def update_threats(store: Cluster, updates: list[ThreatUpdate]) -> int:
    items = [BulkItem("update", index, event_id, orjson.dumps({"doc": {
        "threat_level": level, "threat_score": THREAT_LEVELS.index(level),
        "threat_rules": list(rules), "annotations": list(notes)}}))
        for (index, event_id), level, rules, notes in updates]
    if not items:
        return 0
    outcome = send_bulk(store.client, items, store.retry, store.max_bulk_bytes, store.max_bulk_items)
    if outcome.rejected:
        item, why = outcome.rejected[0]
        raise StoreUnavailable(f"the cluster refused {len(outcome.rejected)} threat updates (first: {item.index} "
                               f"{item.id}: {why}); run `tattletrail setup` so the indices know the threat fields")
    store.client.indices.refresh(index=",".join(sorted(outcome.indices)) or store.events_pattern)
    return len(items) - len(outcome.rejected)
