"""The OpenSearch store's layout: its indices' names, the fields a read takes, and what the
search, rescoring and doctor modules need of the store (`Cluster`).

A leaf of the backend: store.py, search.py, threats.py and setup.py read it; it reads none of them.
The event's document itself is defined once, with the event (event.py `document_of`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from tattletrail.event import DERIVED_FIELDS
from tattletrail.packs import shipped

if TYPE_CHECKING:
    from tattletrail.stores.opensearch.bulk import RetryPolicy


def events_index_pattern(prefix: str) -> str:
    return f"{prefix}-events-*"


def ledger_index(prefix: str) -> str:
    return f"{prefix}-ledger"


def quarantine_index(prefix: str) -> str:
    return f"{prefix}-quarantine"


# The fields a read takes from the index; everything else comes from the `record` JSON.
DERIVED_SOURCE_FIELDS = [*DERIVED_FIELDS, "record"]


class Cluster(Protocol):
    """The store as its reads, rescoring and bulk writes see it (OpenSearchStore)."""

    url: str
    client: Any  # opensearchpy.OpenSearch
    events_pattern: str
    ledger_index: str
    quarantine_index: str
    retry: RetryPolicy
    max_bulk_bytes: int
    max_bulk_items: int


# The events index template, as shipped (mappings/).
EVENTS_TEMPLATE = shipped("mappings") / "cloudtrail-template.json"

# Payloads whose shape differs between services and calls; flat_object/flattened in the mapping.
PAYLOAD_FIELDS = ("requestParameters", "responseElements", "additionalEventData", "serviceEventDetails")
# A payload that isn't an object (CloudTrail sometimes writes a string) is indexed under this key;
# a query on the payload itself (`requestParameters:value`) still finds it, as on the other stores.
SCALAR_PAYLOAD_KEY = "_value"
# Lucene refuses terms over 32,766 bytes; a payload leaf is indexed cut to this many characters
# (4 bytes each at worst, plus its path). The whole value stays in `record`.
INDEXED_LEAF_CHARS = 8_000


def cut_long_leaves(value: Any) -> Any:
    if isinstance(value, str):
        return value[:INDEXED_LEAF_CHARS]
    if isinstance(value, dict):
        return {key: cut_long_leaves(item) for key, item in value.items()}
    if isinstance(value, list):
        return [cut_long_leaves(item) for item in value]
    return value
