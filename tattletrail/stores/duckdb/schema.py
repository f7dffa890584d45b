"""The embedded store's layout: the `events` table's columns, and which query field each holds.

A leaf: the store, its writer and its queries read it; it reads nothing of theirs. The query
compiler (query/sql.py) is handed QUERY_COLUMNS (with the store's fast field columns) by the
store's queries (stores/duckdb/search.py) instead of knowing the table itself.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

from tattletrail.event import DERIVED_FIELDS, LIST_FIELDS

# Columns of `events`: the event's identity and times, CloudTrail's common fields by their own
# meaning, the derived fields, and the original record (JSON text) for everything else.
#
# No PRIMARY KEY: DuckDB checks a key's index row by row on insert (a third of a write's time)
# and loads it into memory. An event is identified by (event_time, event_id) instead, checked
# per batch against the stored events of the batch's time span (insert_events in
# stores/duckdb/write.py). CloudTrail re-delivers an event with its own eventTime; a record that
# reuses an eventID at another time is kept, not lost. A file made with the key keeps it (harmless).
# The records are compressed with zstd: a quarter of the default's size, and faster to write.
EVENT_COLUMNS: dict[str, str] = {
    "event_id": "VARCHAR",
    "event_time": "TIMESTAMP",
    "ingest_time": "TIMESTAMP",
    "event_name": "VARCHAR",
    "event_source": "VARCHAR",
    "aws_region": "VARCHAR",
    "actor": "VARCHAR",
    "account": "VARCHAR",
    "outcome": "VARCHAR",
    "resource": "VARCHAR",
    "source_ip": "VARCHAR",
    "error_code": "VARCHAR",
    "identity_type": "VARCHAR",
    "access_key_id": "VARCHAR",
    "read_only": "BOOLEAN",
    "missing": "VARCHAR[]",
    "source": "VARCHAR",
    "record": "VARCHAR USING COMPRESSION zstd",
    # Set by the rules at ingest (NULL: not scored), changed by `tattletrail rescore`. Last, so a
    # file made before them gets the same layout from `_learn_columns`.
    "threat_level": "VARCHAR",
    "threat_score": "TINYINT",
    "threat_rules": "VARCHAR[]",
    "annotations": "VARCHAR[]",
}

# CloudTrail field → the column that holds it (the rest is read from `record`). The columns are
# filled by DuckDB from the record's JSON on insert, so the two can never disagree.
RECORD_FIELD_COLUMNS = {
    "eventID": "event_id",
    "eventTime": "event_time",
    "eventName": "event_name",
    "eventSource": "event_source",
    "awsRegion": "aws_region",
    "sourceIPAddress": "source_ip",
    "errorCode": "error_code",
    "userIdentity.type": "identity_type",
    "userIdentity.accessKeyId": "access_key_id",
    "readOnly": "read_only",
}

# Query field → the column that holds its one value. eventID is not here: `event_id` is the
# record's eventID or, for a record without one, a content hash that must not match `eventID:`.
SCALAR_COLUMNS: dict[str, str] = {
    **{name: column for name, column in RECORD_FIELD_COLUMNS.items() if name != "eventID"},
    **{name: name for name in DERIVED_FIELDS if name not in LIST_FIELDS},
}
# Query field → the list column that holds its values.
LIST_COLUMNS: dict[str, str] = {name: name for name in LIST_FIELDS}
# Derived keyword columns a bare term looks at besides the record.
BARE_COLUMNS = ("event_id", "actor", "account", "outcome", "resource", "threat_level")

# What a read selects to rebuild an event's document (search.document_of_row).
DOCUMENT_COLUMNS = ("event_id, event_time, ingest_time, actor, account, outcome, resource, missing, record, "
                    "threat_level, threat_rules, annotations, source")


class EventsFile(Protocol):
    """What the store's writer, queries, rescoring and fast fields need of it (DuckDBStore): a
    connection to the file, its fast field columns, the schema made sure of."""

    url: str

    @property
    def fast_columns(self) -> dict[str, str]: ...

    def connect(self, read_only: bool = True) -> AbstractContextManager[Any]: ...

    def _ensure_schema(self, connection: Any) -> None: ...
