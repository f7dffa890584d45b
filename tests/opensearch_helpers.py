"""Shared by the OpenSearch test modules: a store on the session's osmem server, under its own prefix."""

from __future__ import annotations

import itertools
from typing import Any

from tattletrail.stores.opensearch.store import OpenSearchStore
from tattletrail.stores.opensearch.bulk import RetryPolicy

_prefixes = itertools.count()


def store_url(server_url: str, prefix: str) -> str:
    return server_url.replace("http://", "opensearch://", 1) + f"?prefix={prefix}"


def fresh_store(server_url: str, name: str, **options: Any) -> OpenSearchStore:
    """A store with its own prefix (so its own templates and indices), set up and ready; retries
    without sleeping unless the test passes its own policy."""
    options.setdefault("retry", RetryPolicy(sleep=lambda seconds: None))
    store = OpenSearchStore(store_url(server_url, f"tt{next(_prefixes)}-{name}"), **options)
    store.setup()
    return store
