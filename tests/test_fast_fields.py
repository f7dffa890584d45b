"""Fast fields: payload paths kept in list columns on the embedded store (stores/duckdb/fast.py).

That queries give the same answers with and without the columns is tests/test_query_differential.py's
job; here: the shipped list is complete, `setup` adds and fills columns, and writes keep them complete.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tattletrail.checks.model import load_checks
from tattletrail.query import parse_query, predicate
from tattletrail.query.fields import Kind, kind_of
from tattletrail.query.sql import to_sql
from tattletrail.query.tree import All, leaves_of
from tattletrail.searches import load_searches
from tattletrail.stores.base import FastFieldError
from tattletrail.stores.duckdb.store import DuckDBStore
from tattletrail.stores.duckdb.fast import column_of, shipped_fast_fields
from tattletrail.stores.duckdb.schema import LIST_COLUMNS, SCALAR_COLUMNS
from tattletrail.stores.duckdb.search import columns_of
from tests.checks_engine_events import api_call, ingress, put
from tests.query_events import build_store

ROOT = Path(__file__).resolve().parents[1]
T = datetime(2026, 11, 20, 16, 0, 0)


def pack_fields() -> set[str]:
    """Every field a shipped check or saved search names (in a query, or as what a check groups or
    counts distinct values of) that has no column of its own. Rules are not here: they are
    evaluated in Python on each event at ingest and rescore, never in SQL."""
    checks = load_checks(ROOT / "checks")
    trees = [check.tree for check in checks]
    trees += [parse_query(search.render({name: "x" for name in search.params}))
              for search in load_searches([ROOT / "searches"]).values()]
    named = {leaf.field for tree in trees for leaf in leaves_of(tree) if leaf.field}
    named |= {name for check in checks for name in (*check.group_by, *(check.distinct or []), check.field) if name}
    return {name for name in named
            if name not in SCALAR_COLUMNS and name not in LIST_COLUMNS and kind_of(name) is not Kind.FLAT}


def test_every_field_the_packs_name_is_a_fast_field() -> None:
    missing = pack_fields() - set(shipped_fast_fields())
    assert not missing, f"add to mappings/fast-fields.txt: {sorted(missing)}"
    assert "requestParameters.ipPermissions.items.ipRanges.items.cidrIp" in shipped_fast_fields()


def test_a_new_store_has_the_shipped_fast_fields_and_queries_read_them(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    assert set(store.fast_columns) == set(shipped_fast_fields())
    put(store, [ingress(T, "alice"), ingress(T, "bob", cidr="10.0.0.0/8")])
    tree = parse_query('requestParameters.ipPermissions.items.ipRanges.items.cidrIp:"0.0.0.0/0"')
    compiled = to_sql(tree, columns_of(store.fast_columns))
    assert column_of("requestParameters.ipPermissions.items.ipRanges.items.cidrIp") in compiled.sql
    assert "json" not in compiled.sql  # the record is not parsed
    assert [document["actor"] for document in store.search(tree)] == ["alice"]


def test_setup_adds_a_configured_field_and_fills_it_for_stored_events(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    field = "requestParameters.routeTableId"
    assert field not in store.fast_columns
    tree = parse_query(f"{field}:rtb-*")
    before = store.count(tree).total
    steps = {step.name: step for step in store.setup(fast_fields=[field])}
    assert steps[f"fast field {field}"].action == "create"
    assert steps[f"fast field {field}"].detail == f"filled for {store.count(All()).total:,} events"
    reopened = DuckDBStore(store.path)
    assert reopened.fast_columns[field] == column_of(field)
    assert reopened.count(tree).total == before == 1
    again = [(step.name, step.action) for step in reopened.setup(fast_fields=[field])]
    assert again[-1] == ("fast fields", "unchanged") and all(action == "unchanged" for _, action in again)


def test_a_write_fills_a_column_that_setup_added_after_the_store_was_opened(tmp_path: Path) -> None:
    writer = DuckDBStore(tmp_path / "events.duckdb")  # e.g. a long-running ingest
    DuckDBStore(writer.path).setup(fast_fields=["requestParameters.instanceType"])  # another process
    put(writer, [api_call("RunInstances", T, parameters={"instanceType": "p4d.24xlarge"})])
    reader = DuckDBStore(writer.path)
    tree = parse_query("requestParameters.instanceType:p4d.24xlarge")
    assert "requestParameters.instanceType" in reader.fast_columns
    assert reader.count(tree).total == 1
    documents = reader.search(All())
    assert [predicate(tree)(document) for document in documents] == [True]


@pytest.mark.parametrize("fields, message", [
    (["eventName"], "already has a column"),
    (["requestParameters"], "whole payload or object"),
    (["userIdentity"], "whole payload or object"),
    (["requestParameters.a'b"], "not a dotted path"),
    (["requestParameters..b"], "not a dotted path"),
    (["requestParameters.bucketName", "requestParameters.BucketName"], "only by case"),
])
def test_setup_refuses_a_field_that_cannot_be_fast(tmp_path: Path, fields: list[str], message: str) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    with pytest.raises(FastFieldError, match=message):
        store.setup(fast_fields=fields)
    assert set(DuckDBStore(store.path).fast_columns) == set(shipped_fast_fields())  # nothing half-done


def test_setup_command_takes_fast_fields_from_the_config(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("fast_fields:\n  - requestParameters.roleArn\n")
    url = f"duckdb://{tmp_path / 'events.duckdb'}"
    result = subprocess.run([sys.executable, "-m", "tattletrail", "setup", "--store", url, "--json"],
                            capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin", "PYTHONPATH": str(ROOT), "TATTLETRAIL_CONFIG": str(config),
                                 "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "fast field requestParameters.roleArn" in result.stdout
    assert "requestParameters.roleArn" in DuckDBStore(tmp_path / "events.duckdb").fast_columns
    config.write_text("fast_fields:\n  - userIdentity\n")
    refused = subprocess.run([sys.executable, "-m", "tattletrail", "setup", "--store", url], capture_output=True,
                             text=True, timeout=120, env={"PATH": "/usr/bin", "PYTHONPATH": str(ROOT),
                                                          "TATTLETRAIL_CONFIG": str(config), "HOME": str(tmp_path),
                                                          "COLUMNS": "200"})
    assert refused.returncode == 2
    assert "fast_fields: 'userIdentity' is a whole payload or object" in refused.stderr


def test_doctor_says_a_store_lacks_fast_columns_until_setup_adds_them(tmp_path: Path) -> None:
    import duckdb

    store = DuckDBStore(tmp_path / "events.duckdb")
    assert {check.name: check.ok for check in store.doctor()}["fast fields"]
    with duckdb.connect(str(store.path)) as connection:  # a store made before fast fields
        for column in store.fast_columns.values():
            connection.execute(f"ALTER TABLE events DROP COLUMN {column}")
    older = DuckDBStore(store.path)
    found = {check.name: check for check in older.doctor()}
    assert not found["fast fields"].ok and found["schema"].ok
    assert found["fast fields"].fix == f"run `tattletrail setup --store {older.url}`"
    older.setup()
    assert all(check.ok for check in DuckDBStore(store.path).doctor())
