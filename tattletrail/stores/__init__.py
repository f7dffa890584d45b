"""Stores by URL scheme. Adding a store means one class here and nothing else."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from tattletrail.errors import TattletrailError
from tattletrail.stores.base import Batch, LedgerEntry, QuarantineEntry, Stats, Store, WriteResult


class StoreURLError(TattletrailError, ValueError):
    """A store URL that names no known store, or names it wrongly."""


class StoreMissingError(StoreURLError):
    """A store asked to exist already (the checker never creates one) that does not."""


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


def _duckdb(url: str, existing: bool = False) -> Store:
    from tattletrail.stores.duckdb import LOCK_TIMEOUT_ENV, DuckDBStore

    path = duckdb_path(url)
    if existing and not path.is_file():
        raise StoreMissingError(f"{path}: no store here yet; run `tattletrail ingest SOURCE --store {url}` first "
                                "(or check the path)")
    try:
        timeout = float(os.environ.get(LOCK_TIMEOUT_ENV) or 60)
    except ValueError:
        raise StoreURLError(f"{LOCK_TIMEOUT_ENV}={os.environ[LOCK_TIMEOUT_ENV]!r}: give seconds, e.g. 120") from None
    return DuckDBStore(path, lock_timeout=timeout)


def _opensearch(url: str, existing: bool = False) -> Store:
    """`existing` asks nothing here: a cluster without events is found by the first count."""
    from tattletrail.stores.opensearch import OpenSearchStore
    from tattletrail.stores.opensearch_connection import OpenSearchURLError

    try:
        return OpenSearchStore(url)
    except OpenSearchURLError as error:
        raise StoreURLError(str(error)) from None


STORES: dict[str, Callable[[str, bool], Store]] = {"duckdb": _duckdb, "opensearch": _opensearch,
                                            "opensearch+https": _opensearch}


def open_store(url: str, existing: bool = False) -> Store:
    """The store at `url`; with `existing`, one that must already be there (never created)."""
    scheme = urlparse(url).scheme
    if scheme not in STORES:
        known = ", ".join(f"{name}://" for name in STORES)
        raise StoreURLError(f"unknown store {url!r}: the URL must start with one of {known}")
    return STORES[scheme](url, existing)


__all__ = ["Batch", "LedgerEntry", "QuarantineEntry", "Stats", "Store", "StoreMissingError", "StoreURLError", "WriteResult",
           "STORES", "open_store"]
