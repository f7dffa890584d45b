"""One way to a store: every store is a whole `Store`, `open_store` is the only door, and nothing
outside stores/ names a backend or reaches past the protocol."""

from __future__ import annotations

import ast
import inspect
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

import pytest

from tattletrail.event import DERIVED_FIELDS, LIST_FIELDS, document_of, normalize
from tattletrail.stores import STORES, StoreError, StoreMissingError, StoreURLError, open_store
from tattletrail.stores.base import FastFieldError, Store, StoreLocked, StoreUnavailable
from tattletrail.stores.duckdb.store import DuckDBStore
from tattletrail.stores.opensearch.store import OpenSearchStore
from tests.cloudtrail_files import corpus_records

PACKAGE = Path(__file__).resolve().parents[1] / "tattletrail"
START, END = datetime(2026, 11, 23, 9, 0), datetime(2026, 11, 23, 10, 0)


def protocol_members() -> set[str]:
    declared = {name for name, value in vars(Store).items() if inspect.isfunction(value)}
    return declared | set(Store.__annotations__)


@pytest.mark.parametrize("kind", [DuckDBStore, OpenSearchStore])
def test_every_store_has_every_member_of_the_protocol(kind: type) -> None:
    assert {"records", "threat_pages", "update_threats", "explore", "prepare", "write_prepared",
            "transaction_events"} <= protocol_members()
    missing = {name for name in protocol_members() - {"url"} if not hasattr(kind, name)}
    assert not missing, f"{kind.__name__} lacks {sorted(missing)}"


def test_open_store_opens_an_embedded_store_only_where_one_is_or_when_asked_to_create(tmp_path: Path) -> None:
    url = f"duckdb://{tmp_path}/events.duckdb"
    with pytest.raises(StoreMissingError, match="no store here yet; run `tattletrail ingest SOURCE --store"):
        open_store(url)
    assert not (tmp_path / "events.duckdb").exists()
    created = open_store(url, create=True)
    assert created.url == url and (tmp_path / "events.duckdb").is_file()
    assert open_store(url).stats().events == 0


@pytest.mark.parametrize("url, message", [
    ("sqlite:///x.db", "the URL must start with one of duckdb://, opensearch://, opensearch+https://"),
    ("duckdb:/x.duckdb", "a DuckDB store URL starts with duckdb://"),
    ("opensearch://host:9200?nope=1", "nope"),
])
def test_a_wrong_store_url_is_a_store_error_that_says_what_to_write(url: str, message: str) -> None:
    with pytest.raises(StoreURLError, match=re.escape(message)) as raised:
        open_store(url, create=True)
    assert isinstance(raised.value, StoreError)


def test_every_store_error_shares_one_base() -> None:
    for error in (StoreURLError, StoreMissingError, StoreUnavailable, StoreLocked, FastFieldError):
        assert issubclass(error, StoreError), error
    assert set(STORES) == {"duckdb", "opensearch", "opensearch+https"}


def test_explore_links_into_dashboards_only_on_opensearch_and_only_when_they_are_configured(tmp_path: Path) -> None:
    embedded = open_store(f"duckdb://{tmp_path}/events.duckdb", create=True)
    assert embedded.explore("actor:DOE1", START, END, "https://dashboards.example:5601") is None
    cluster = open_store("opensearch://127.0.0.1:9")  # nothing is sent: a link is made, not asked for
    assert cluster.explore("actor:DOE1", START, END, None) is None
    link = unquote(cluster.explore("actor:DOE1", START, END, "https://dashboards.example:5601/") or "")
    assert link == ("https://dashboards.example:5601/app/discover#/?_g=(time:(from:'2026-11-23T09:00:00Z',"
                    "to:'2026-11-23T10:00:00Z'))&_a=(query:(language:lucene,query:'actor:DOE1'))")


def test_an_events_document_is_its_record_with_every_derived_field_beside_it() -> None:
    record = corpus_records()[0]
    document = document_of(normalize(record, source="s3://trail/a.json.gz"), ingest_time=END)
    assert {name: document[name] for name in record} == record
    assert set(document) == set(record) | set(DERIVED_FIELDS)
    assert all(isinstance(document[name], list) for name in LIST_FIELDS)
    assert document["ingest_time"] == "2026-11-23T10:00:00.000Z"
    assert "ingest_time" not in document_of(normalize(record))


def imports_outside_stores() -> list[tuple[str, int, str]]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        if "stores" in path.relative_to(PACKAGE).parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [f"{node.module}.{alias.name}" for alias in node.names]
                found += [(str(path.relative_to(PACKAGE)), node.lineno, name) for name in names]
    return found


# The Sensu plugin's own cluster (not one of our stores) is reached through the OpenSearch connection.
NAMING_ALLOWED = {"checks/sensu_cluster.py"}


def test_no_code_outside_stores_names_a_backend() -> None:
    naming = [(path, line, name) for path, line, name in imports_outside_stores()
              if (".stores.duckdb" in name or ".stores.opensearch" in name) and path not in NAMING_ALLOWED]
    assert not naming
