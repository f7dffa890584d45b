"""Search and count on the embedded store: compiled queries over the `events` table.

Kept apart from store.py (the write path) so each file holds one concept; DuckDBStore's
`search`, `count` and `field_names` are one-line calls into here.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import orjson

from tattletrail.event import DERIVED_FIELDS, Event, document_of
from tattletrail.query.python import walk_leaves
from tattletrail.query.sql import Columns, Fragment, record_reads, to_sql, values_of
from tattletrail.query.fields import parse_date
from tattletrail.query.tree import And, Node, Range
from tattletrail.stores.base import Counted, EventGroup, TallyRow, fill_buckets
from tattletrail.stores.duckdb.schema import BARE_COLUMNS, DOCUMENT_COLUMNS, LIST_COLUMNS, SCALAR_COLUMNS

if TYPE_CHECKING:
    from tattletrail.stores.duckdb.schema import EventsFile


def columns_of(fast: Mapping[str, str] | None = None) -> Columns:
    """The table's columns as the query compiler reads them; `fast`: the store's fast field columns."""
    return Columns(SCALAR_COLUMNS, LIST_COLUMNS, BARE_COLUMNS, fast or {})


def where(query: Node, since: datetime | None, until: datetime | None,
          fast: Mapping[str, str] | None = None) -> Fragment:
    """The query and the time window (event_time in [since, until)) as one WHERE fragment; `fast`:
    the store's fast field columns."""
    parts: list[str] = []
    parameters: list[Any] = []
    pruning = time_bounds(query)
    if pruning.sql:
        parts.append(pruning.sql)
        parameters.extend(pruning.parameters)
    if since is not None:
        parts.append("event_time >= ?")
        parameters.append(since)
    if until is not None:
        parts.append("event_time < ?")
        parameters.append(until)
    scope = Fragment(" AND ".join(parts) or "true", parameters)
    compiled = to_sql(query, columns_of(fast), scope)
    return Fragment(" AND ".join([compiled.sql, *parts]), [*compiled.parameters, *parameters])


def time_bounds(query: Node) -> Fragment:
    """The query's ranges on event_time/ingest_time that every match must meet (under ANDs only),
    again as plain comparisons. Same rows, but DuckDB skips whole row groups by their min/max
    with these; it can't see through the coalesce() of the compiled range. The checker's windows
    are such ranges: a count over the last 30 minutes reads the newest row group, not the table."""
    conjuncts: list[Node] = list(query.operands) if isinstance(query, And) else [query]
    parts: list[str] = []
    parameters: list[Any] = []
    while conjuncts:
        node = conjuncts.pop(0)
        if isinstance(node, And):
            conjuncts.extend(node.operands)
        elif isinstance(node, Range) and node.field in ("event_time", "ingest_time"):
            for bound, inclusive, operators in ((node.low, node.include_low, (">=", ">")),
                                                (node.high, node.include_high, ("<=", "<"))):
                moment = parse_date(bound) if bound is not None else None
                if moment is not None:
                    parts.append(f"{node.field} {operators[0] if inclusive else operators[1]} ?")
                    parameters.append(moment)
    return Fragment(" AND ".join(parts), parameters)


def search(store: EventsFile, query: Node, since: datetime | None = None, until: datetime | None = None,
           limit: int | None = 100) -> list[dict[str, Any]]:
    """Matching events, newest first, each as its document (record plus derived fields)."""
    with store.connect() as connection:  # opened first: the first connection learns the columns
        condition = where(query, since, until, store.fast_columns)
        rows = connection.execute(
            f"SELECT {DOCUMENT_COLUMNS} FROM events WHERE {condition.sql} "
            "ORDER BY event_time DESC NULLS LAST, event_id LIMIT ?",
            [*condition.parameters, limit if limit is not None else 2**62]).fetchall()
    return [document_of_row(row) for row in rows]


def document_of_row(row: tuple[Any, ...]) -> dict[str, Any]:
    """A row of DOCUMENT_COLUMNS as its document."""
    (event_id, event_time, ingest_time, actor, account, outcome, resource, missing, record, level, rules, notes,
     source) = row
    event = Event(event_id=event_id, event_time=event_time, actor=actor, account=account, outcome=outcome,
                  resource=resource, missing=list(missing or []), record=orjson.loads(record),
                  threat_level=level, threat_rules=list(rules or []), annotations=list(notes or []), source=source)
    return document_of(event, ingest_time)


def count(store: EventsFile, query: Node, since: datetime | None = None, until: datetime | None = None,
          by: str | None = None, interval: timedelta | None = None, top: int = 20) -> Counted:
    """How many events match; with `by`, per value of a field (an event with several values counts
    once under each, as in an OpenSearch terms aggregation); with `interval`, per time bucket."""
    with store.connect() as connection:
        condition = where(query, since, until, store.fast_columns)
        total = connection.execute(f"SELECT count(*) FROM events WHERE {condition.sql}",
                                   condition.parameters).fetchall()[0][0]
        groups: list[tuple[str, int]] = []
        distinct = 0
        if by is not None:
            values, is_list = values_of(by, columns_of(store.fast_columns))
            value = f"unnest({values})" if is_list else values
            rows = connection.execute(
                f"SELECT value, count(*) AS n, count(*) OVER () FROM (SELECT {value} AS value FROM events "
                f"WHERE {condition.sql}) WHERE value IS NOT NULL GROUP BY value ORDER BY n DESC, value LIMIT ?",
                [*condition.parameters, top]).fetchall()
            distinct = rows[0][2] if rows else 0
            groups = [(str(value), n) for value, n, _ in rows]
        buckets: list[tuple[datetime, int]] = []
        if interval is not None:
            seconds = interval.total_seconds()
            rows = connection.execute(
                f"SELECT floor(epoch(event_time) / ?) * ? AS bucket, count(*) FROM events "
                f"WHERE event_time IS NOT NULL AND {condition.sql} GROUP BY bucket ORDER BY bucket",
                [seconds, seconds, *condition.parameters]).fetchall()
            buckets, interval = fill_buckets({_from_epoch(bucket): n for bucket, n in rows}, interval, since, until)
    return Counted(total=total, groups=groups, buckets=buckets, by=by, interval=interval, values=distinct)


def tally(store: EventsFile, query: Node, since: datetime, until: datetime, by: Sequence[str],
          interval: timedelta | None, distinct: Sequence[str] = (), limit: int | None = None) -> list[TallyRow]:
    """Store.tally in one statement: the matching rows' values of `by` and `distinct` are read once
    (as `count --by` reads them), then counted twice — events per group and bucket, and each
    distinct value's occurrences per group and bucket."""
    with store.connect() as connection:
        statement, parameters = _tally_statement(query, since, until, by, interval, distinct, limit,
                                                 store.fast_columns)
        rows = connection.execute(statement, parameters).fetchall()
    return [(tuple(str(value) for value in row[1:1 + len(by)]), row[-2],
             _from_epoch(row[0]) if interval is not None else since, row[-1]) for row in rows]


def _tally_statement(query: Node, since: datetime, until: datetime, by: Sequence[str], interval: timedelta | None,
                     distinct: Sequence[str], limit: int | None, fast_columns: dict[str, str]) -> tuple[str, list[Any]]:
    condition = where(query, since, until, fast_columns)
    columns = columns_of(fast_columns)
    names = [f"by{index}" for index in range(len(by))]
    bucket = "floor(epoch(event_time) / ?) * ?" if interval is not None else "NULL"
    seconds = [interval.total_seconds()] * 2 if interval is not None else []
    picked = [f"{bucket} AS bucket", *(f"{values_of(name, columns)[0]} AS {alias}" for name, alias in zip(by, names))]
    if distinct:
        picked.append(f"flatten([{', '.join(_as_texts(name, columns) for name in distinct)}]) AS found")
    rows_sql = f"SELECT {', '.join(picked)} FROM events WHERE event_time IS NOT NULL AND {condition.sql}"
    # One list at a time: unnest in a SELECT list of its own gives every combination of values.
    kept = ["bucket", *names, *(["found"] if distinct else [])]
    for name, alias in zip(by, names):
        if values_of(name, columns)[1]:
            rows_sql = (f"SELECT {', '.join(f'unnest({column}) AS {column}' if column == alias else column for column in kept)} "
                        f"FROM ({rows_sql})")
    grouped = ", ".join(["bucket", *names])
    present = " AND ".join(f"{alias} IS NOT NULL" for alias in names) or "true"
    statement = (f"WITH matched AS MATERIALIZED ({rows_sql}) SELECT {grouped}, NULL AS value, count(*) FROM matched "
                 f"WHERE {present} GROUP BY ALL")
    if distinct:
        statement += (f" UNION ALL SELECT {grouped}, value, count(*) FROM (SELECT {grouped}, unnest(found) AS value "
                      f"FROM matched WHERE {present}) WHERE value IS NOT NULL GROUP BY ALL")
    if limit is not None:
        statement += f" LIMIT {int(limit) + 1}"
    return statement, [*seconds, *condition.parameters]


def _as_texts(field_name: str, columns: Columns) -> str:
    """A field's values as a list of text, empty when it has none."""
    value, is_list = values_of(field_name, columns)
    if is_list:
        return f"coalesce({value}, [])::VARCHAR[]"
    return f"(CASE WHEN {value} IS NULL THEN [] ELSE [{value}::VARCHAR] END)::VARCHAR[]"


def scans(store: EventsFile, query: Node) -> list[str | None]:
    """The fields without a column the query reads from the record (None: a bare term)."""
    return record_reads(query, columns_of(store.fast_columns))


def field_names(store: EventsFile, sample: int = 20_000) -> set[str]:
    """The fields seen in (a sample of) the store, every prefix of a dotted path included."""
    with store.connect() as connection:
        rows = connection.execute(f"SELECT record FROM events USING SAMPLE {int(sample)} ROWS").fetchall()
    names = set(DERIVED_FIELDS)
    for (record,) in rows:
        for path, _ in walk_leaves(orjson.loads(record)):
            parts = path.split(".")
            names.update(".".join(parts[:end]) for end in range(1, len(parts) + 1))
    return names


def _from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(tzinfo=None)


def group_events(store: EventsFile, query: Node, since: datetime | None, until: datetime | None,
                 fields: Sequence[str], examples: int = 3) -> list[EventGroup]:
    """Store.group_events in one GROUP BY: DuckDB reads the record's fields in C (one parse of each
    record for all the paths), so Python sees a few hundred groups instead of every document."""
    columns = [name for name in fields if name in DERIVED_FIELDS]
    paths = [name for name in fields if name not in DERIVED_FIELDS]
    keys = [f"json_extract(record, [{', '.join(map(_json_path, paths))}])::VARCHAR[] AS extracted"] if paths else []
    keys += columns
    # min_by's key is search's order (newest first, untimed last, then by event_id) as one struct.
    with store.connect() as connection:
        condition = where(query, since, until, store.fast_columns)
        rows = connection.execute(
            f"SELECT {', '.join([*keys, 'count(*)', 'min(event_time)', 'max(event_time)'])}, "
            "min_by({'time': event_time, 'id': event_id}, "
            "{'untimed': event_time IS NULL, 'newest': coalesce(-epoch_us(event_time), 0), 'id': event_id}, ?) "
            f"FROM events WHERE {condition.sql} GROUP BY ALL", [examples, *condition.parameters]).fetchall()
    groups = []
    for row in rows:
        extracted = row[0] if paths else []
        values = {path: orjson.loads(text) if text is not None else None for path, text in zip(paths, extracted)}
        values.update(zip(columns, row[len(keys) - len(columns):len(keys)]))
        events, first, last, newest = row[len(keys):]
        groups.append(EventGroup(values, events, first, last, [(item["time"], item["id"]) for item in newest]))
    return groups


def _json_path(field: str) -> str:
    """`requestParameters.roleName` as the SQL literal of the JSON path `$."requestParameters"."roleName"`."""
    keys = field.split(".")
    if not all(keys) or any(char in field for char in "\"'\\"):
        raise ValueError(f"group_events: {field!r} is not a dotted path of plain keys")
    return "'$" + "".join(f'."{key}"' for key in keys) + "'"
