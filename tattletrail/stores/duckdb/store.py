"""The embedded store: one DuckDB file, no server.

DuckDB lets one process open a file for writing and then refuses every other process, readers
included. So no process holds the file: each write is one short transaction on a connection opened
for it and closed after, and each read opens read-only and closes. A process that finds the file
locked waits and retries (with backoff) until `lock_timeout`. An ingest therefore interleaves with
queries, and later with the checker, instead of locking them out for its whole run.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import duckdb
import orjson

from tattletrail.query.tree import Node
from tattletrail.stores.base import (Batch, Counted, DoctorCheck, EventGroup, TallyRow, QuarantineEntry, SetupStep, Stats, StoreLocked,
                                     ThreatUpdate, WriteResult)
from tattletrail.stores.duckdb import fast, search
from tattletrail.stores.duckdb.fast import column_of, field_of, shipped_fast_fields
from tattletrail.stores.duckdb.schema import EVENT_COLUMNS

if TYPE_CHECKING:
    from tattletrail.stores.duckdb.write import PreparedBatch

# A new file also gets a list column per shipped fast field (stores/duckdb/fast.py).
SCHEMA = [
    "CREATE TABLE IF NOT EXISTS events ("
    + ", ".join(f"{name} {kind}" for name, kind in EVENT_COLUMNS.items())
    + "".join(f", {column_of(name)} VARCHAR[]" for name in shipped_fast_fields()) + ")",
    """CREATE TABLE IF NOT EXISTS quarantine (
        source VARCHAR, location VARCHAR, reason VARCHAR, detail VARCHAR, sample VARCHAR,
        quarantined_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS ledger (
        source VARCHAR PRIMARY KEY, etag VARCHAR, events BIGINT, ingested_at TIMESTAMP)""",
]

class DuckDBStore:
    def __init__(self, path: str | Path, lock_timeout: float = 60.0) -> None:
        self.path = Path(path).expanduser()
        self.url = f"duckdb://{self.path}"  # duckdb:///abs/path or duckdb://relative/path
        self.lock_timeout = lock_timeout
        self._schema_ready = False
        # DuckDB refuses two connections of different modes to one file in one process; the
        # ingester writes from a background thread while its main thread looks up the ledger.
        self._in_process = threading.Lock()
        self._held: duckdb.DuckDBPyConnection | None = None  # see reading()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Fast field → its list column, for the columns this file has (queries read the rest from
        # the record; `setup` adds the missing ones). Learned on the first connection, which is
        # then used for the work at hand: a `count` opens the file once (~20-40 ms each time).
        self._fast: dict[str, str] | None = None
        if not self.path.exists():  # readers of an existing file never take the write lock
            connection = _open_when_free(self.path, False, self.lock_timeout)
            try:
                self._ensure_schema(connection)
                self._learn_columns(connection, read_only=False)
            finally:
                connection.close()

    @property
    def fast_columns(self) -> dict[str, str]:
        if self._fast is None:
            with self.connect():
                pass  # opening learns them
        assert self._fast is not None
        return self._fast

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """A connection (the caller holds `_in_process`); the first one learns the columns."""
        connection = _open_when_free(self.path, read_only, self.lock_timeout)
        if self._fast is None:
            try:
                connection = self._learn_columns(connection, read_only)
            except BaseException:
                connection.close()
                raise
        return connection

    def _learn_columns(self, connection: duckdb.DuckDBPyConnection, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Read the columns of `events`, first bringing a file made by an older Tattletrail up to
        date: the columns it lacks added, its fast field columns refilled to this layout (once; the
        write lock is taken only when something changes). Returns a connection of the mode asked for."""
        found = connection.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = 'events' ORDER BY column_index").fetchall()
        present = [name for name, _ in found]
        missing = [name for name in EVENT_COLUMNS if present and name not in present]
        older = [field for name, comment in found if (field := field_of(name)) is not None and comment != fast.LAYOUT]
        if missing or older:
            if older and present:
                _log.warning("updating %s to this version's layout (once, %d fast field columns)", self.path, len(older))
            if read_only:  # one process can't hold both modes: change it on a connection of its own
                connection.close()
                writer = _open_when_free(self.path, False, self.lock_timeout)
                try:
                    _bring_up_to_date(writer, missing, older)
                finally:
                    writer.close()
                connection = _open_when_free(self.path, True, self.lock_timeout)
            else:
                _bring_up_to_date(connection, missing, older)
        self._fast = {field: column_of(field) for field in map(field_of, present + missing) if field is not None}
        return connection

    def _ensure_schema(self, connection: duckdb.DuckDBPyConnection) -> None:
        if not self._schema_ready:
            created = not connection.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                "AND schema_name = 'main' AND table_name = 'events'").fetchall()[0][0]
            for statement in SCHEMA:
                connection.execute(statement)
            if created:  # its fast field columns are empty, so filled as this version fills them
                fast.mark_filled(connection, shipped_fast_fields())
            self._schema_ready = True

    @contextmanager
    def connect(self, read_only: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection held only for the work at hand; waits while another process has the file."""
        with self._in_process:
            if read_only and self._held is not None:
                yield self._held
                return
            connection = self._open(read_only)
            try:
                yield connection
            finally:
                connection.close()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Reads inside share one read-only connection (a checker pass over its checks): opening
        DuckDB costs ~40 ms, a count over a recent window a few. Another process's write waits
        (and retries) for at most that long."""
        with self._in_process:
            if self._held is not None:
                nested = True
            else:
                nested, self._held = False, self._open(True)
        try:
            yield
        finally:
            if not nested:
                with self._in_process:
                    held, self._held = self._held, None
                    held.close()

    # Writing: stores/duckdb/write.py. A transaction costs far more than its rows (a checkpoint
    # rewrites the row group it ends in), so the ingester joins batches up to a row group.
    transaction_events = 120_000

    # write.py and threats.py build Arrow tables: pyarrow is imported by the first write, so a
    # query (`tattletrail count`) starts without it (tests/test_cli_startup.py).

    def prepare(self, batch: Batch) -> PreparedBatch:
        from tattletrail.stores.duckdb import write

        return write.prepare(batch, tuple(self.fast_columns))

    def write_prepared(self, parts: list[PreparedBatch]) -> WriteResult:
        from tattletrail.stores.duckdb import write

        return write.write_prepared(self, parts)

    def write(self, batch: Batch) -> WriteResult:
        return self.write_prepared([self.prepare(batch)])

    def ledgered(self, sources: list[str]) -> dict[str, str]:
        if not sources:
            return {}
        with self.connect() as connection:
            rows = connection.execute(
                "SELECT source, etag FROM ledger WHERE source IN (SELECT unnest(?))", [sources]).fetchall()
        return dict(rows)

    def stats(self, top: int = 10) -> Stats:
        with self.connect() as connection:
            def grouped(column: str) -> list[tuple[str, int]]:
                return connection.execute(
                    f"SELECT coalesce({column}, '(none)') AS value, count(*) AS n FROM events "
                    "GROUP BY value ORDER BY n DESC, value LIMIT ?", [top]).fetchall()

            events, first, last, failures, incomplete = connection.execute(
                "SELECT count(*), min(event_time), max(event_time), count(*) FILTER (outcome = 'failure'), "
                "count(*) FILTER (len(missing) > 0) FROM events").fetchall()[0]
            quarantined = connection.execute("SELECT count(*) FROM quarantine").fetchall()[0][0]
            objects = connection.execute("SELECT count(*) FROM ledger").fetchall()[0][0]
            return Stats(
                events=events, first_event=first, last_event=last, failures=failures,
                incomplete=incomplete, quarantined=quarantined, objects=objects,
                by_service=grouped("event_source"), by_actor=grouped("actor"),
                by_region=grouped("aws_region"), by_account=grouped("account"))

    def quarantined(self, limit: int | None = None) -> list[QuarantineEntry]:
        with self.connect() as connection:
            rows = connection.execute(
                "SELECT source, location, reason, detail, sample, quarantined_at FROM quarantine "
                "ORDER BY quarantined_at, source LIMIT ?", [limit if limit is not None else 2**62]).fetchall()
        return [QuarantineEntry(*row) for row in rows]

    def records(self, event_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The original records of these events, exactly as they were read."""
        with self.connect() as connection:
            rows = connection.execute(
                "SELECT event_id, record FROM events WHERE event_id IN (SELECT unnest(?))",
                [event_ids]).fetchall()
        return {event_id: orjson.loads(record) for event_id, record in rows}

    def close(self) -> None:
        """Nothing to release: connections live only as long as each operation."""

    # Queries: compiled from the query tree in stores/duckdb/search.py (tattletrail/query/sql.py).

    def search(self, query: Node, since: datetime | None = None, until: datetime | None = None,
               limit: int | None = 100) -> list[dict[str, Any]]:
        return search.search(self, query, since, until, limit)

    def count(self, query: Node, since: datetime | None = None, until: datetime | None = None,
              by: str | None = None, interval: timedelta | None = None, top: int = 20) -> Counted:
        return search.count(self, query, since, until, by, interval, top)

    def scans(self, query: Node) -> list[str | None]:
        return search.scans(self, query)

    def field_names(self, sample: int = 20_000) -> set[str]:
        return search.field_names(self, sample)

    def explore(self, query: str, start: datetime, end: datetime, dashboards_url: str | None) -> str | None:
        """No interface of its own: `tattletrail search` shows the events."""
        return None

    def group_events(self, query: Node, since: datetime | None, until: datetime | None,
                     fields: Sequence[str], examples: int = 3) -> list[EventGroup]:
        return search.group_events(self, query, since, until, fields, examples)

    def tally(self, query: Node, since: datetime, until: datetime, by: Sequence[str],
              interval: timedelta | None, distinct: Sequence[str] = (), limit: int | None = None) -> list[TallyRow]:
        return search.tally(self, query, since, until, by, interval, distinct, limit)

    # Rescoring (`tattletrail rescore`): stores/duckdb/threats.py.

    def threat_pages(self, since: datetime | None = None, until: datetime | None = None,
                     page: int = 5_000) -> Iterator[list[tuple[Any, dict[str, Any]]]]:
        from tattletrail.stores.duckdb import threats

        return threats.threat_pages(self, since, until, page)

    def update_threats(self, updates: list[ThreatUpdate]) -> int:
        from tattletrail.stores.duckdb import threats

        return threats.update_threats(self, updates)

    # Administration: `tattletrail setup` and `doctor` work on every store.

    def setup(self, dry_run: bool = False, fast_fields: Sequence[str] = (), migrate: bool = False) -> list[SetupStep]:
        """The tables, created if missing (opening the store already creates a new file's schema),
        and a filled column for each fast field (the shipped ones and `fast_fields`)."""
        with self.connect() as connection:
            present = {row[0] for row in connection.execute(
                "SELECT table_name FROM information_schema.tables").fetchall()}
        steps = [SetupStep(f"table {name}", "unchanged" if name in present else "create",
                           "dry run: not done" if dry_run and name not in present else "")
                 for name in ("events", "quarantine", "ledger")]
        if not dry_run and any(step.action == "create" for step in steps):
            self._schema_ready = False
            with self.connect(read_only=False) as connection:
                self._ensure_schema(connection)
        return steps + fast.add_fast_columns(self, [*shipped_fast_fields(), *fast_fields], dry_run)

    def doctor(self) -> list[DoctorCheck]:
        checks = [DoctorCheck("file", True, f"{self.path} ({self.path.stat().st_size:,} bytes)")]
        try:
            with self.connect(read_only=False) as connection:
                connection.execute("CHECKPOINT")
            checks.append(DoctorCheck("write lock", True, "the file can be opened for writing"))
        except StoreLocked as error:
            checks.append(DoctorCheck("write lock", False, str(error),
                                      "another process holds the file: wait for it, or stop it"))
        planned = [step.name for step in self.setup(dry_run=True) if step.action != "unchanged"]
        missing = [name for name in planned if not name.startswith("fast field")]
        slow = len(planned) - len(missing)
        fix = f"run `tattletrail setup --store {self.url}`"
        checks.append(DoctorCheck("schema", not missing, f"missing {', '.join(missing)}" if missing else
                                  "events, quarantine and ledger tables present", fix if missing else None))
        checks.append(DoctorCheck("fast fields", not slow, f"{slow} shipped fast field(s) without a column: queries "
                                  "on them read every record's JSON (same answers, slower)" if slow else
                                  f"{len(self.fast_columns)} fast field columns", fix if slow else None))
        return checks


# After this long waiting for the lock, say so (who holds it, how long we will wait).
LOCK_NOTICE_SECONDS = 1.5
_log = logging.getLogger(__name__)


def _bring_up_to_date(connection: duckdb.DuckDBPyConnection, missing: list[str], older: list[str]) -> None:
    """Add the columns an older file lacks and refill its older fast field columns, in one
    transaction: a failure leaves the file as it was."""
    connection.begin()
    try:
        for name in missing:
            connection.execute(f"ALTER TABLE events ADD COLUMN IF NOT EXISTS {name} {EVENT_COLUMNS[name]}")
        fast.refill_older(connection, older)
    except BaseException:
        connection.rollback()
        raise
    connection.commit()


def _open_when_free(path: Path, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
    started = time.monotonic()
    deadline, noticed = started + timeout, False
    delay = 0.01
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only and path.exists())
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            now = time.monotonic()
            if now >= deadline:
                raise StoreLocked(f"{path} stayed locked by {_holder(error)} for {timeout:.0f}s; try again "
                                  f"when it is done (or set {LOCK_TIMEOUT_ENV} to wait longer)") from error
            if not noticed and now - started >= LOCK_NOTICE_SECONDS:
                noticed = True  # logging's last-resort handler prints this on stderr when nothing is configured
                _log.warning("waiting for %s: locked by %s; waiting up to %.0fs more", path, _holder(error),
                             deadline - now)
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.5)


LOCK_TIMEOUT_ENV = "TATTLETRAIL_LOCK_TIMEOUT"


def _holder(error: Exception) -> str:
    """Who holds the lock, as DuckDB says it ("Conflicting lock is held in /usr/bin/python3 (PID 42)")."""
    found = re.search(r"held in (.+?) \(PID (\d+)\)", str(error))
    return f"another process (PID {found.group(2)}, {found.group(1)})" if found else "another process"
