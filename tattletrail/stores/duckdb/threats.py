"""Rescoring on the embedded store: stored events page by page, and their threat columns updated.

Pages go by (event_id, event_time), an event's identity (keyset), so an update between two pages
never moves an event to a page already read; each update is one short write transaction, like an
ingest batch.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterator

import pyarrow as pa

from tattletrail.event import THREAT_LEVELS
from tattletrail.query.tree import All
from tattletrail.stores.base import ThreatUpdate
from tattletrail.stores.duckdb.schema import DOCUMENT_COLUMNS
from tattletrail.stores.duckdb.search import document_of_row, where

if TYPE_CHECKING:
    from tattletrail.stores.duckdb.schema import EventsFile

# Stands for "no event_time" in the keyset (sorts first).
_UNTIMED = datetime(1, 1, 1)

_UPDATES = pa.schema([("event_id", pa.string()), ("event_time", pa.timestamp("us")),
                      ("threat_level", pa.string()), ("threat_score", pa.int8()),
                      ("threat_rules", pa.list_(pa.string())), ("annotations", pa.list_(pa.string()))])


def threat_pages(store: EventsFile, since: datetime | None, until: datetime | None,
                 page: int) -> Iterator[list[tuple[Any, dict[str, Any]]]]:
    """((event_id, event_time), document) for every stored event in [since, until), `page` at a time."""
    after: tuple[str, datetime] = ("", _UNTIMED)
    window = where(All(), since, until)
    while True:
        with store.connect() as connection:
            rows = connection.execute(
                f"SELECT {DOCUMENT_COLUMNS} FROM events WHERE {window.sql} AND (event_id > ? OR "
                f"(event_id = ? AND coalesce(event_time, TIMESTAMP '{_UNTIMED}') > ?)) "
                "ORDER BY event_id, event_time NULLS FIRST LIMIT ?",
                [*window.parameters, after[0], after[0], after[1], page]).fetchall()
        if not rows:
            return
        yield [((row[0], row[1]), document_of_row(row)) for row in rows]
        after = (rows[-1][0], rows[-1][1] or _UNTIMED)


def update_threats(store: EventsFile, updates: list[ThreatUpdate]) -> int:
    if not updates:
        return 0
    table = pa.table([
        [where[0] for where, *_ in updates],
        [where[1] for where, *_ in updates],
        [level for _, level, _, _ in updates],
        [THREAT_LEVELS.index(level) for _, level, _, _ in updates],
        [list(rules) for _, _, rules, _ in updates],
        [list(notes) for _, _, _, notes in updates],
    ], schema=_UPDATES)
    with store.connect(read_only=False) as connection:
        connection.register("threat_updates", table)
        connection.execute(
            "UPDATE events SET threat_level = u.threat_level, threat_score = u.threat_score, "
            "threat_rules = u.threat_rules, annotations = u.annotations FROM threat_updates u "
            "WHERE events.event_id = u.event_id AND events.event_time IS NOT DISTINCT FROM u.event_time")
        connection.unregister("threat_updates")
    return len(updates)
