"""Stores by URL scheme: `open_store` is the one way to a store. Adding a store means a package
beside duckdb/ and opensearch/ with a class that is a `Store`, and one entry in STORES."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from tattletrail.stores.base import (Batch, FastFieldError, LedgerEntry, QuarantineEntry, Stats, Store, StoreError,
                                     StoreLocked, StoreMissingError, StoreUnavailable, StoreURLError, WriteResult)


def duckdb_path(url: str) -> Path:
    """duckdb:///abs/path → /abs/path (duckdb:////abs/path too); duckdb://relative/path → relative/path.

    `duckdb:/x` or `duckdb:x.duckdb` are refused before anything is written: read as paths they
    made a database at the filesystem root and a `duckdb:` folder in the working directory."""
    if not url.startswith("duckdb://"):
        rest = url.removeprefix("duckdb:").lstrip("/")
        raise StoreURLError(f"{url!r}: a DuckDB store URL starts with duckdb:// — write duckdb:///{rest} "
                            f"(absolute path /{rest}) or duckdb://{rest} (relative to the working directory)")
    path = url.removeprefix("duckdb://")
    if not path or path == "/":
        raise StoreURLError(f"{url!r}: give a file path, e.g. duckdb:///var/lib/tattletrail/events.duckdb")
    return Path("/" + path.lstrip("/") if path.startswith("/") else path).expanduser()


def _duckdb(url: str, create: bool = False) -> Store:
    from tattletrail.stores.duckdb.store import LOCK_TIMEOUT_ENV, DuckDBStore

    path = duckdb_path(url)
    if not create and not path.is_file():
        raise StoreMissingError(f"{path}: no store here yet; run `tattletrail ingest SOURCE --store {url}` first "
                                "(or check the path)")
    try:
        timeout = float(os.environ.get(LOCK_TIMEOUT_ENV) or 60)
    except ValueError:
        raise StoreURLError(f"{LOCK_TIMEOUT_ENV}={os.environ[LOCK_TIMEOUT_ENV]!r}: give seconds, e.g. 120") from None
    return DuckDBStore(path, lock_timeout=timeout)


def _opensearch(url: str, create: bool = False) -> Store:
    """`create` changes nothing here: a cluster without events is found by the first count, and
    `setup` installs the indices' templates."""
    from tattletrail.stores.opensearch.store import OpenSearchStore
    from tattletrail.stores.opensearch.connection import OpenSearchURLError

    try:
        return OpenSearchStore(url)
    except OpenSearchURLError as error:
        raise StoreURLError(str(error)) from None


STORES: dict[str, Callable[[str, bool], Store]] = {"duckdb": _duckdb, "opensearch": _opensearch,
                                            "opensearch+https": _opensearch}


def open_store(url: str, create: bool = False) -> Store:
    """The store at `url`. Only `ingest` and `setup` (and the workers that ingest) `create` one:
    for any other use, a store that isn't there is a mistyped path, not an empty store."""
    scheme = urlparse(url).scheme
    if scheme not in STORES:
        known = ", ".join(f"{name}://" for name in STORES)
        raise StoreURLError(f"unknown store {url!r}: the URL must start with one of {known}")
    return STORES[scheme](url, create)


def unavailable_reason(error: Exception) -> str | None:
    """An error a store's client library raised (a cluster that refused us or can't be reached) as
    one line that says what to do; None when it is none of theirs."""
    if "opensearchpy" not in sys.modules:
        return None
    from tattletrail.stores.opensearch.connection import unavailable_cluster

    return unavailable_cluster(error)


__all__ = ["Batch", "FastFieldError", "LedgerEntry", "QuarantineEntry", "Stats", "Store", "StoreError", "StoreLocked",
           "StoreMissingError", "StoreUnavailable", "StoreURLError", "WriteResult", "STORES", "open_store",
           "unavailable_reason"]
