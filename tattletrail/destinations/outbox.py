"""The outbox: every (alert, destination) pair is written here before the first attempt and
removed once delivered, so an alert survives a destination being down and the process restarting.

A SQLite file (beside the checker's state, or in the user data directory), in WAL mode with
synchronous=NORMAL: a queued alert survives the process being killed; a power cut may lose the
last few changes. A row being attempted
is leased (its next attempt pushed into the future), so two dispatchers, even in two processes,
never send the same row at once; a process that dies mid-attempt leaves a lease that simply expires.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import orjson
import platformdirs

from tattletrail.alert import Alert, alert_from_json

PENDING, FAILED, EXPIRED = "pending", "failed", "expired"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    alert_id TEXT NOT NULL,
    destination TEXT NOT NULL,
    alert TEXT NOT NULL,               -- Alert.to_json()
    state TEXT NOT NULL,               -- pending | failed (permanent error) | expired (too old)
    created_at REAL NOT NULL,          -- Unix seconds, when first queued
    next_attempt_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    stream TEXT,                       -- check and group: a newer alert of a stream supersedes an older
    PRIMARY KEY (alert_id, destination)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt_at);
"""


ENV_OUTBOX = "TATTLETRAIL_OUTBOX"


def default_outbox_path(beside: Path | None = None) -> Path:
    """$TATTLETRAIL_OUTBOX, else `outbox.sqlite` in the folder of `beside` (the checker's state
    file), else in the user data directory. With the default locations the checker and ingest
    share one outbox, so the checker's every-cycle retry also covers rule alerts."""
    if os.environ.get(ENV_OUTBOX):
        return Path(os.environ[ENV_OUTBOX]).expanduser()
    folder = Path(beside).expanduser().parent if beside is not None else Path(platformdirs.user_data_dir("tattletrail"))
    return folder / "outbox.sqlite"


@dataclass(frozen=True)
class OutboxEntry:
    alert: Alert
    destination: str
    created_at: float
    attempts: int
    last_error: str | None


class Outbox:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection, used by one thread at a time: opening one per operation cost a WAL
        # checkpoint (an fsync) at every close. Other processes are kept in step by SQLite's locks.
        self._shared = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        with self._connection() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            # A commit survives the process being killed (what the outbox is for) without an fsync each.
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(_SCHEMA)
            columns = {row[1] for row in connection.execute("PRAGMA table_info(outbox)")}
            if "stream" not in columns:  # an outbox made before streams
                connection.execute("ALTER TABLE outbox ADD COLUMN stream TEXT")

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._shared
            except BaseException:
                if self._shared.in_transaction:
                    self._shared.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            self._shared.close()

    def add(self, alert: Alert, destination: str, now: float, stream: str | None = None) -> list[str]:
        """Queue an alert for a destination. Queuing it again revives a failed or expired row.

        With a `stream` (a check and group whose alerts are states, not events), the alert
        supersedes what of that stream still waits for this destination: a stale CRITICAL must
        never arrive after its RECOVERY. Returns the alert ids superseded (removed)."""
        with self._connection() as connection:
            connection.execute("BEGIN IMMEDIATE")
            superseded = []
            if stream is not None:
                superseded = [row[0] for row in connection.execute(
                    "DELETE FROM outbox WHERE destination = ? AND stream = ? AND state = 'pending' AND alert_id != ? "
                    "RETURNING alert_id", (destination, stream, alert.alert_id))]
            connection.execute(
                "INSERT INTO outbox (alert_id, destination, alert, state, created_at, next_attempt_at, stream) "
                "VALUES (?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (alert_id, destination) DO UPDATE SET "
                "state = 'pending', next_attempt_at = excluded.next_attempt_at, created_at = excluded.created_at "
                "WHERE state != 'pending'",
                (alert.alert_id, destination, orjson.dumps(alert.to_json()).decode(), now, now, stream))
            connection.execute("COMMIT")
        return superseded

    def is_pending(self, alert_id: str, destination: str) -> bool:
        """Still waiting (not delivered, given up or superseded): worth another try."""
        with self._connection() as connection:
            return connection.execute("SELECT 1 FROM outbox WHERE alert_id = ? AND destination = ? AND state = "
                                      "'pending'", (alert_id, destination)).fetchone() is not None

    def claim(self, alert_id: str, destination: str, now: float, lease: float) -> OutboxEntry | None:
        """Take a due row for one delivery (None if it is leased elsewhere, delivered or not due)."""
        with self._connection() as connection:
            connection.execute("BEGIN IMMEDIATE")
            row = connection.execute(
                "SELECT alert, destination, created_at, attempts, last_error FROM outbox "
                "WHERE alert_id = ? AND destination = ? AND state = 'pending' AND next_attempt_at <= ?",
                (alert_id, destination, now)).fetchone()
            if row is not None:
                connection.execute("UPDATE outbox SET next_attempt_at = ? WHERE alert_id = ? AND destination = ?",
                                   (now + lease, alert_id, destination))
            connection.execute("COMMIT")
        if row is None:
            return None
        return OutboxEntry(alert_from_json(orjson.loads(row[0])), row[1], row[2], row[3], row[4])

    def due(self, now: float) -> list[tuple[str, str]]:
        """(alert_id, destination) of pending rows whose next attempt is due, oldest first."""
        with self._connection() as connection:
            return connection.execute(
                "SELECT alert_id, destination FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? "
                "ORDER BY created_at, rowid", (now,)).fetchall()

    def delivered(self, alert_id: str, destination: str) -> None:
        with self._connection() as connection:
            connection.execute("DELETE FROM outbox WHERE alert_id = ? AND destination = ?", (alert_id, destination))

    def defer(self, alert_id: str, destination: str, attempts: int, next_attempt_at: float, error: str) -> None:
        with self._connection() as connection:
            connection.execute(
                "UPDATE outbox SET attempts = attempts + ?, next_attempt_at = ?, last_error = ? "
                "WHERE alert_id = ? AND destination = ?", (attempts, next_attempt_at, error, alert_id, destination))

    def fail(self, alert_id: str, destination: str, attempts: int, error: str) -> None:
        """A permanent failure: kept (state failed) for inspection, never retried by itself."""
        with self._connection() as connection:
            connection.execute(
                "UPDATE outbox SET state = 'failed', attempts = attempts + ?, last_error = ? "
                "WHERE alert_id = ? AND destination = ?", (attempts, error, alert_id, destination))

    def expire(self, destination: str, created_before: float) -> list[OutboxEntry]:
        """Give up on a destination's pending rows queued before `created_before`; returns them."""
        with self._connection() as connection:
            connection.execute("BEGIN IMMEDIATE")
            rows = connection.execute(
                "SELECT alert, destination, created_at, attempts, last_error FROM outbox "
                "WHERE destination = ? AND state = 'pending' AND created_at < ?",
                (destination, created_before)).fetchall()
            connection.execute("UPDATE outbox SET state = 'expired' WHERE destination = ? AND state = 'pending' "
                               "AND created_at < ?", (destination, created_before))
            connection.execute("COMMIT")
        return [OutboxEntry(alert_from_json(orjson.loads(row[0])), row[1], row[2], row[3], row[4]) for row in rows]

    def pending(self) -> list[OutboxEntry]:
        """Every alert still waiting for delivery, oldest first (`check status`)."""
        with self._connection() as connection:
            rows = connection.execute("SELECT alert, destination, created_at, attempts, last_error FROM outbox "
                                      "WHERE state = 'pending' ORDER BY created_at, rowid").fetchall()
        return [OutboxEntry(alert_from_json(orjson.loads(row[0])), row[1], row[2], row[3], row[4]) for row in rows]

    def destinations(self) -> list[str]:
        with self._connection() as connection:
            return [row[0] for row in connection.execute(
                "SELECT DISTINCT destination FROM outbox WHERE state = 'pending'")]

    def counts(self) -> list[tuple[str, str, int, float]]:
        """(destination, state, rows, oldest created_at) for every destination and state."""
        with self._connection() as connection:
            return connection.execute(
                "SELECT destination, state, COUNT(*), MIN(created_at) FROM outbox GROUP BY destination, state "
                "ORDER BY destination, state").fetchall()
