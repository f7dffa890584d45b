"""The OpenSearch store's layout: its indices' names, the fields a read takes, and what the
search, rescoring and doctor modules need of the store (`Cluster`).

A leaf of the backend: store.py, search.py, threats.py and setup.py read it; it reads none of them.
The event's document itself is defined once, with the event (event.py `document_of`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from tattletrail.event import DERIVED_FIELDS

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
