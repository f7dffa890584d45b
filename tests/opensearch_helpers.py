"""Shared by the OpenSearch test modules: a store on the session's osmem server, under its own prefix."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from tattletrail.stores.duckdb.store import DuckDBStore
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


# The stores a test runs on, as fixture params: `params=STORE_KINDS` with `new_store`.
STORE_KINDS = ["duckdb", "opensearch"]


def new_store(request: pytest.FixtureRequest, folder: Path, name: str) -> Any:
    """An empty store of the kind `request.param` names: a DuckDB file in `folder`, or an OpenSearch
    store on the session's osmem server under its own prefix."""
    if request.param == "duckdb":
        return DuckDBStore(folder / "events.duckdb")
    return fresh_store(request.getfixturevalue("opensearch_url"), name)
