"""Opening the embedded store: a query opens the file once (opening costs tens of milliseconds of a
command's start, README "Benchmarks"), and a file made by an older Tattletrail is brought up to date
on that first opening (the columns it lacks, fast field columns of an older layout), before anything
reads them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from tattletrail.query import parse_query
from tattletrail.query.sql import to_sql
from tattletrail.stores.duckdb.fast import column_of
from tattletrail.stores.duckdb.schema import EVENT_COLUMNS
from tattletrail.stores.duckdb.search import columns_of
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.checks_engine_events import api_call, put

T = datetime(2026, 11, 20, 16, 0, 0)


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    store = DuckDBStore(tmp_path / "events.duckdb")
    put(store, [api_call("DeleteRoute", T), api_call("CreateRoute", T), api_call("DescribeRouteTables", T)])
    return store.path


@pytest.fixture
def opens(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The read_only flag of every connection DuckDB is asked for from now on."""
    seen: list[bool] = []
    real = duckdb.connect

    def connect(database: str, read_only: bool = False, **options: object) -> duckdb.DuckDBPyConnection:
        seen.append(read_only)
        return real(database, read_only=read_only, **options)

    monkeypatch.setattr(duckdb, "connect", connect)
    return seen


@pytest.mark.parametrize("call", [
    lambda store: store.count(parse_query("eventName:DeleteRoute")),
    lambda store: store.count(parse_query("eventName:*Route*"), by="eventName"),
    lambda store: store.search(parse_query("eventName:DeleteRoute")),
    lambda store: store.group_events(parse_query("*"), None, None, ["eventName"]),
    lambda store: store.tally(parse_query("*"), T.replace(hour=0), T.replace(hour=23), ["eventName"], None),
])
def test_a_query_on_an_existing_file_opens_it_once_read_only(store_file: Path, opens: list[bool], call):
    store = DuckDBStore(store_file)
    assert call(store)
    assert opens == [True]


def test_a_second_query_learns_nothing_again_and_still_opens_once(store_file: Path, opens: list[bool]):
    store = DuckDBStore(store_file)
    assert store.count(parse_query("eventName:DeleteRoute")).total == 1
    assert store.count(parse_query("eventName:CreateRoute")).total == 1
    assert opens == [True, True]


def test_a_file_from_an_older_tattletrail_gets_the_missing_columns_on_first_read(store_file: Path, opens: list[bool]):
    added_later = ["threat_level", "threat_score", "threat_rules", "annotations"]
    with duckdb.connect(str(store_file)) as connection:
        for column in added_later:
            connection.execute(f"ALTER TABLE events DROP COLUMN {column}")
    opens.clear()
    store = DuckDBStore(store_file)
    assert opens == []  # nothing opened until asked
    assert store.count(parse_query("eventName:DeleteRoute AND NOT threat_level:*")).total == 1
    assert opens == [True, False, True]  # read, reopened to add the columns, read again
    with duckdb.connect(str(store_file), read_only=True) as connection:
        present = [row[0] for row in connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'events'").fetchall()]
    assert set(EVENT_COLUMNS) <= set(present)


ODD = [api_call("PutParameter", T, "bob"), api_call("PutParameter", T, "carol")]
ODD[0]["userIdentity"]["invokedBy"] = {"service": "ssm.amazonaws.com"}  # an object where a string belongs
ODD[1]["userIdentity"]["invokedBy"] = "ssm.amazonaws.com"
INVOKED = "userIdentity.invokedBy"


def _answers(store: DuckDBStore) -> tuple[set[str], set[str]]:
    def actors(text: str) -> set[str]:
        return {document["actor"] for document in store.search(parse_query(text), limit=None)}

    return actors(f"_exists_:{INVOKED}"), actors(f"{INVOKED}:ssm.amazonaws.com")


def test_setup_fills_an_object_beneath_a_fast_field_as_ingest_does(tmp_path: Path):
    store = DuckDBStore(tmp_path / "events.duckdb")
    put(store, ODD)
    assert _answers(store) == ({"bob", "carol"}, {"carol"})
    with duckdb.connect(str(store.path)) as connection:
        connection.execute(f"ALTER TABLE events DROP COLUMN {column_of(INVOKED)}")
    reopened = DuckDBStore(store.path)
    assert INVOKED not in reopened.fast_columns
    assert _answers(reopened) == ({"bob", "carol"}, {"carol"})  # from the record
    reopened.setup()
    assert "json" not in to_sql(parse_query(f"_exists_:{INVOKED}"), columns_of(reopened.fast_columns)).sql
    assert _answers(reopened) == ({"bob", "carol"}, {"carol"})  # from the column setup filled


def test_columns_filled_by_an_older_version_are_refilled_once(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    store = DuckDBStore(tmp_path / "events.duckdb")
    put(store, ODD)
    with duckdb.connect(str(store.path)) as connection:  # as an older version left it: NULL, no comment
        connection.execute(f"UPDATE events SET {column_of(INVOKED)} = NULL WHERE len({column_of(INVOKED)}) = 0")
        for field in store.fast_columns:
            connection.execute(f"COMMENT ON COLUMN events.{column_of(field)} IS NULL")
    assert _answers(DuckDBStore(store.path)) == ({"bob", "carol"}, {"carol"})
    assert "updating" in caplog.text and "layout (once" in caplog.text
    caplog.clear()
    assert _answers(DuckDBStore(store.path)) == ({"bob", "carol"}, {"carol"})
    assert caplog.text == ""


def test_a_new_file_says_nothing_of_layouts(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    store = DuckDBStore(tmp_path / "events.duckdb")
    put(store, ODD)
    assert _answers(DuckDBStore(store.path)) == ({"bob", "carol"}, {"carol"})
    assert caplog.text == ""


def test_a_failed_update_of_an_older_file_leaves_it_as_it_was_and_closes_its_connection(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    store = DuckDBStore(tmp_path / "events.duckdb")
    put(store, ODD)
    with duckdb.connect(str(store.path)) as connection:
        connection.execute(f"COMMENT ON COLUMN events.{column_of(INVOKED)} IS NULL")
        connection.execute("ALTER TABLE events DROP COLUMN annotations")

    def interrupted(connection: duckdb.DuckDBPyConnection, older: list[str]) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("tattletrail.stores.duckdb.fast.refill_older", interrupted)
    with pytest.raises(KeyboardInterrupt) as failed:
        DuckDBStore(store.path).count(parse_query("*"))
    # The traceback (held here) keeps the failed call's frames: a connection left open in one of
    # them would hold the file, and DuckDB refuses a second one of another mode in this process.
    assert failed.traceback
    with duckdb.connect(str(store.path), read_only=True) as connection:
        present = {row[0] for row in connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'events'").fetchall()}
    assert "annotations" not in present  # rolled back: the column added before the failure is gone
