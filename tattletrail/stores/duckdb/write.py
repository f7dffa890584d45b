"""Writing to the embedded store: batches become Arrow tables, and several go in one transaction.

A DuckDB transaction costs far more than its rows: its commit writes the row group it ends in,
and closing the file checkpoints it. So the ingester prepares each batch as soon as it is read
(the records become JSON text in an Arrow table, and the Python objects can go) and joins prepared
batches up to `DuckDBStore.transaction_events` before writing them in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Collection

import orjson
import pyarrow as pa

from tattletrail.event import Event
from tattletrail.stores.base import Batch, LedgerEntry, QuarantineEntry, WriteResult
from tattletrail.stores.duckdb.fast import FieldTree, column_of, field_of, fill_expression
from tattletrail.stores.duckdb.schema import EVENT_COLUMNS, RECORD_FIELD_COLUMNS
from tattletrail.timespec import utc_now

if TYPE_CHECKING:
    from tattletrail.stores.duckdb.schema import EventsFile

# Events per Arrow slice (see _arrow_table): measured 2.5x cheaper than 20,000 at once.
ARROW_SLICE = 1024

# What Python computes per event (the derived fields); everything else DuckDB extracts itself.
_ARROW_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("event_time", pa.timestamp("us")), ("actor", pa.string()),
    ("account", pa.string()), ("outcome", pa.string()), ("resource", pa.string()),
    ("missing", pa.list_(pa.string())), ("source", pa.string()), ("record", pa.string()),
    ("threat_level", pa.string()), ("threat_score", pa.int8()), ("threat_rules", pa.list_(pa.string())),
    ("annotations", pa.list_(pa.string())),
])

_FAST_TYPE = pa.list_(pa.string())

# The record fields DuckDB extracts into columns, in one parse of each record.
_EXTRACTED = [name for name, column in RECORD_FIELD_COLUMNS.items() if column not in _ARROW_SCHEMA.names]


def _column_expression(column: str) -> str:
    if column == "ingest_time":
        return "$ingest_time"
    if column in _ARROW_SCHEMA.names:
        return f"b.{column}"
    name = next(name for name, target in RECORD_FIELD_COLUMNS.items() if target == column)
    value = f"b.extracted[{_EXTRACTED.index(name) + 1}]"
    return f"TRY_CAST({value} AS BOOLEAN)" if EVENT_COLUMNS[column] == "BOOLEAN" else value


@cache
def insert_events(prepared: tuple[str, ...], columns: tuple[str, ...]) -> str:
    """The batch's events not stored yet, with the fast columns the table has (`columns`): those
    the batch brings (`prepared`, filled in Python), any other one (added by a `setup` since the
    batch was prepared) filled from the record in SQL.

    Stored events are looked for only within the batch's time span (and among events without a
    time, when the batch has some): the row groups' min/max statistics skip the rest of the table.
    Batches of one transaction go in one after the other, each seeing the ones before it."""
    fast = [(column_of(field), f"b.{column_of(field)}" if field in prepared else fill_expression(field))
            for field in columns]
    return (
        f"INSERT INTO events ({', '.join([*EVENT_COLUMNS, *(column for column, _ in fast)])}) "
        "WITH stored AS (SELECT event_id, event_time FROM events WHERE event_time BETWEEN $first AND $last "
        "UNION ALL SELECT event_id, event_time FROM events WHERE $untimed AND event_time IS NULL), "
        "batch AS (SELECT *, json_extract_string(record, ["
        + ", ".join(f"'$.{name}'" for name in _EXTRACTED) + "]) AS extracted FROM batch_events) "
        "SELECT " + ", ".join([*(_column_expression(column) for column in EVENT_COLUMNS),
                               *(value for _, value in fast)]) + " FROM batch b "
        "WHERE NOT EXISTS (SELECT 1 FROM stored s WHERE s.event_id = b.event_id "
        "AND s.event_time IS NOT DISTINCT FROM b.event_time)")

_QUARANTINE_SCHEMA = pa.schema([("source", pa.string()), ("location", pa.string()), ("reason", pa.string()),
                                ("detail", pa.string()), ("sample", pa.string()),
                                ("quarantined_at", pa.timestamp("us"))])
_LEDGER_SCHEMA = pa.schema([("source", pa.string()), ("etag", pa.string()), ("events", pa.int64()),
                            ("ingested_at", pa.timestamp("us"))])


@dataclass
class PreparedBatch:
    """A batch as the store writes it: its distinct events as an Arrow table, and their time span."""

    events: pa.Table  # ends with a list column per fast field in `fast_fields`
    fast_fields: tuple[str, ...]
    span: dict[str, Any]  # first, last: the events' eventTime range; untimed: some have none
    read: int  # events in the batch, repeats within it included
    quarantine: list[QuarantineEntry] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)

    def __len__(self) -> int:
        return self.read


def prepare(batch: Batch, fast_fields: tuple[str, ...] = ()) -> PreparedBatch:
    # An event is (event_time, event_id): see EVENT_COLUMNS in stores/duckdb/schema.py.
    unique = {(event.event_id, event.event_time): event for event in batch.events}
    times = [time for _, time in unique if time is not None]
    span = {"first": min(times, default=None), "last": max(times, default=None), "untimed": len(times) < len(unique)}
    return PreparedBatch(_arrow_table(unique.values(), _field_tree(fast_fields)), fast_fields, span,
                         len(batch.events), batch.quarantine, batch.ledger)


@cache
def _field_tree(fields: tuple[str, ...]) -> FieldTree:
    return FieldTree(fields)


def write_prepared(store: EventsFile, parts: list[PreparedBatch]) -> WriteResult:
    """Every part in one transaction: the events, then the quarantine, then the ledger entries."""
    ingest_time = utc_now()
    inserted = 0
    with store.connect(read_only=False) as connection:
        store._ensure_schema(connection)
        connection.begin()
        fast = _fast_fields_of(connection)
        for part in parts:
            if part.events.num_rows:
                connection.register("batch_events", part.events)
                inserted += connection.execute(insert_events(part.fast_fields, fast),
                                               {**part.span, "ingest_time": ingest_time}).fetchall()[0][0]
                connection.unregister("batch_events")
        # As tables, not executemany: that runs one statement per row (~2 ms each here).
        quarantine = [(q.source, q.location, q.reason, q.detail, q.sample, q.quarantined_at)
                      for part in parts for q in part.quarantine]
        if quarantine:
            connection.register("batch_quarantine", _rows_table(_QUARANTINE_SCHEMA, quarantine))
            connection.execute("INSERT INTO quarantine SELECT * FROM batch_quarantine")
            connection.unregister("batch_quarantine")
        ledger = [(entry.source, entry.etag, entry.events, entry.ingested_at) for part in parts for entry in part.ledger]
        if ledger:
            connection.register("batch_ledger", _rows_table(_LEDGER_SCHEMA, ledger))
            connection.execute("INSERT OR REPLACE INTO ledger SELECT * FROM batch_ledger")
            connection.unregister("batch_ledger")
        connection.commit()
    return WriteResult(inserted=inserted, duplicates=sum(part.read for part in parts) - inserted)


def _fast_fields_of(connection: Any) -> tuple[str, ...]:
    """The fast fields the table has now (a `setup` may have added one since the store was opened)."""
    names = connection.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'events' "
                               "ORDER BY ordinal_position").fetchall()
    return tuple(field for (name,) in names if (field := field_of(name)) is not None)


def _arrow_table(events: Collection[Event], fast: FieldTree) -> pa.Table:
    """The events as one table, built ARROW_SLICE events at a time: a slice's records, dumped to
    JSON and copied into Arrow, stay in the CPU's cache. Whole 20,000-event batches cost 2.5× more."""
    ordered = list(events)
    if len(ordered) <= ARROW_SLICE:
        return _arrow_slice(ordered, fast)
    return pa.concat_tables([_arrow_slice(ordered[start:start + ARROW_SLICE], fast)
                             for start in range(0, len(ordered), ARROW_SLICE)])


def _arrow_slice(events: list[Event], fast: FieldTree) -> pa.Table:
    columns: tuple[list[Any], ...] = tuple([] for _ in _ARROW_SCHEMA.names)
    ids, times, actors, accounts, outcomes, resources, missing, sources, records, levels, scores, rules, notes = columns
    dumps = orjson.dumps
    for event in events:
        ids.append(event.event_id)
        times.append(event.event_time)
        actors.append(event.actor)
        accounts.append(event.account)
        outcomes.append(event.outcome)
        resources.append(event.resource)
        missing.append(event.missing)
        sources.append(event.source)
        records.append(dumps(event.record))
        levels.append(event.threat_level)
        scores.append(event.threat_score)
        rules.append(event.threat_rules)
        notes.append(event.annotations)
    arrays = [pa.array(values, type=kind) for values, kind in zip(columns, _ARROW_SCHEMA.types)
              if values is not records]
    # orjson writes UTF-8, so its bytes are viewed as text as they are (no decoding, no copy).
    arrays.insert(_ARROW_SCHEMA.names.index("record"), pa.array(records, type=pa.binary()).view(pa.string()))
    if not fast.fields:
        return pa.Table.from_arrays(arrays, schema=_ARROW_SCHEMA)
    # Most fast fields are in few events: a column of nulls costs nothing to make.
    filled: dict[str, list[Any]] = {}
    for row, event in enumerate(events):
        for name, texts in fast.values(event.record).items():
            if name not in filled:
                filled[name] = [None] * len(events)
            filled[name][row] = texts
    for name in fast.fields:
        arrays.append(pa.array(filled[name], type=_FAST_TYPE) if name in filled else pa.nulls(len(events), _FAST_TYPE))
    return pa.Table.from_arrays(arrays, names=[*_ARROW_SCHEMA.names, *(column_of(name)[1:-1] for name in fast.fields)])


def _rows_table(schema: pa.Schema, rows: list[tuple[Any, ...]]) -> pa.Table:
    return pa.Table.from_arrays([pa.array(list(column), type=kind) for column, kind in zip(zip(*rows), schema.types)],
                                schema=schema)
