"""Fast fields: payload paths the embedded store keeps in list columns of their own.

A query on `requestParameters.ipPermissions.items.ipRanges.items.cidrIp` would otherwise parse
each candidate record's JSON. A fast field's column holds, per event, the field's scalars as text
(arrays flattened, as the query language reads them; NULL when there are none), so the query reads
the column and never the record. Outside a payload, where `_exists_` also counts scalars beneath
the path, a path holding only an object with scalars inside gets an empty list: no value to match,
but there (query/sql.py `fast_marks_beneath`). The shipped list (mappings/fast-fields.txt) is every field a
shipped check, rule or saved search names; `fast_fields:` in config.yml adds more.

A column is only ever complete: a new store is created with the shipped list, and `tattletrail
setup` adds a column and fills it for every stored event in the same transaction. Queries use the
columns a store has; a store without one reads the record as before.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple, Sequence

import orjson

from tattletrail.packs import mapping_file
from tattletrail.stores.base import FastFieldError, SetupStep

if TYPE_CHECKING:
    from tattletrail.stores.duckdb.schema import EventsFile

FAST_FIELDS_FILE = mapping_file("fast-fields.txt")
# Column names: the prefix keeps them apart from the core columns (which never hold a colon).
PREFIX = "fast:"


@cache
def shipped_fast_fields(path: Path = FAST_FIELDS_FILE) -> tuple[str, ...]:
    lines = (line.strip() for line in path.read_text().splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


def column_of(field: str) -> str:
    """The column's name, quoted for SQL."""
    return f'"{PREFIX}{field}"'


def field_of(column_name: str) -> str | None:
    return column_name[len(PREFIX):] if column_name.startswith(PREFIX) else None


def problem_with(field: str, present: Iterable[str] = ()) -> str | None:
    """Why a field can't be a fast field (None: it can)."""
    from tattletrail.query.fields import Kind, kind_of
    from tattletrail.stores.duckdb.schema import LIST_COLUMNS, SCALAR_COLUMNS

    if field in SCALAR_COLUMNS or field in LIST_COLUMNS or field == "eventID":
        return f"{field!r} already has a column of its own"
    parts = field.split(".")
    if not all(parts) or any(char in field for char in "'\"\\"):
        return f"{field!r} is not a dotted path of plain keys"
    if kind_of(field) in (Kind.FLAT, Kind.OBJECT):
        return f"{field!r} is a whole payload or object: name a field inside it"
    clash = next((other for other in present if other != field and other.lower() == field.lower()), None)
    if clash:
        return f"{field!r} differs from fast field {clash!r} only by case, which DuckDB column names ignore"
    return None


# Filling the columns: in Python at ingest, in SQL when `setup` fills a new column ---------------

class FieldTree:
    """The fast fields as a tree of keys, so one walk of a record finds all of them (a record
    holds few of the keys: each object is met by intersecting its keys with the tree's)."""

    def __init__(self, fields: Iterable[str]) -> None:
        from tattletrail.query.sql import fast_marks_beneath

        self.fields = tuple(fields)
        nested: dict[str | None, Any] = {}  # None: the path so far is itself a field
        for field in self.fields:
            node = nested
            for key in field.split("."):
                node = node.setdefault(key, {})
            node[None] = Target(field, fast_marks_beneath(field))  # this path is itself a fast field
        self.root = _branches(nested)

    def values(self, record: dict[str, Any]) -> dict[str, list[str]]:
        """Each fast field's scalars in the record as text (only fields that have some)."""
        found: dict[str, list[str]] = {}
        _walk([record], self.root, found)
        return found


class Target(NamedTuple):
    """A fast field met on the walk, and whether an object there with scalars inside counts."""

    field: str
    marks_beneath: bool


# A branch: the keys below it, and for each key its fast field (or None) and its own branch.
Branch = tuple[frozenset[str], dict[str, tuple["Target | None", "Branch"]]]


def _branches(nested: dict[Any, Any]) -> Branch:
    below = {key: (child.get(None), _branches(child)) for key, child in nested.items() if key is not None}
    return frozenset(below), below


def _walk(nodes: list[Any], branch: Branch, found: dict[str, list[str]]) -> None:
    keys, below = branch
    if len(nodes) == 1:  # the usual case: one object, no array on the way
        node = nodes[0]
        if type(node) is dict:
            for key in node.keys() & keys:
                value = node[key]
                if value is not None:
                    _take(_flatten(value) if type(value) is list else [value], below[key], found)
        return
    gathered: dict[str, list[Any]] = {}
    for node in nodes:
        if type(node) is dict:
            for key in node.keys() & keys:
                value = node[key]
                if value is not None:
                    gathered.setdefault(key, []).extend(_flatten(value) if type(value) is list else (value,))
    for key, values in gathered.items():
        _take(values, below[key], found)


def _take(values: list[Any], target: tuple[Target | None, Branch], found: dict[str, list[str]]) -> None:
    """The values at one key: its field's texts, and the walk further down."""
    field, deeper = target
    if field is not None:
        texts = [value if type(value) is str else _text(value) for value in values if type(value) is not dict]
        if texts:
            found[field.field] = texts
        elif field.marks_beneath and any(_holds_scalar(value) for value in values):
            found[field.field] = []
    if deeper[0]:
        _walk(values, deeper, found)


def _holds_scalar(value: Any) -> bool:
    if type(value) is dict:
        return any(_holds_scalar(item) for item in value.values())
    if type(value) is list:
        return any(_holds_scalar(item) for item in value)
    return value is not None


def _flatten(value: Any) -> list[Any]:
    """As the query language reads a value: each element of an array, at any depth; no nulls."""
    if type(value) is list:
        return [leaf for item in value for leaf in _flatten(item)]
    return [] if value is None else [value]


def _text(value: Any) -> str:
    """A scalar as its keyword: a string as it is, anything else in its JSON spelling (as the
    record's text holds it, which is what a query on the record reads)."""
    return value if type(value) is str else orjson.dumps(value).decode()


def fill_expression(field: str) -> str:
    """SQL for a fast column's value from `record` (for events stored before the column existed):
    the same scalars the query language reads, NULL when there are none."""
    from tattletrail.query.sql import fast_marks_beneath, leaf_texts, scalars_beneath

    last_key = orjson.dumps(field.rsplit(".", 1)[-1]).decode()
    texts = leaf_texts(field)
    beneath = f"WHEN {scalars_beneath(field)} THEN []::VARCHAR[] " if fast_marks_beneath(field) else ""
    # Most records lack the key altogether: a text test skips parsing them.
    return (f"CASE WHEN contains(record, '{last_key}:') THEN "
            f"CASE WHEN len({texts}) > 0 THEN {texts} {beneath}END END")


# A column filled as above carries this comment. Columns filled before empty lists marked objects
# beneath the path lack it, and are brought up to date once (`refill_older`).
LAYOUT = "tattletrail fast field, layout 2"


def mark_filled(connection: Any, fields: Iterable[str]) -> None:
    for field in fields:
        connection.execute(f"COMMENT ON COLUMN events.{column_of(field)} IS '{LAYOUT}'")


def refill_older(connection: Any, fields: Sequence[str]) -> None:
    """Bring columns of an older layout up to date in one pass over the records: only their NULLs
    can change (to an empty list), and only in records that hold the key."""
    from tattletrail.query.sql import fast_marks_beneath

    changing = [field for field in fields if fast_marks_beneath(field)]
    if changing:
        keys = {field: orjson.dumps(field.rsplit(".", 1)[-1]).decode() for field in changing}
        connection.execute(
            "UPDATE events SET " + ", ".join(f"{column_of(field)} = coalesce({column_of(field)}, "
                                             f"{fill_expression(field)})" for field in changing)
            + " WHERE " + " OR ".join(f"({column_of(field)} IS NULL AND contains(record, '{keys[field]}:'))"
                                      for field in changing))
    mark_filled(connection, fields)


# `tattletrail setup`: a column for each wanted fast field the store lacks -----------------------

def add_fast_columns(store: EventsFile, fields: Sequence[str], dry_run: bool) -> list[SetupStep]:
    """Add and fill the missing columns in one transaction: a column exists complete or not at all
    (an ingest meanwhile waits for the file, then fills the new column too)."""
    wanted = list(dict.fromkeys(fields))
    for field in wanted:
        problem = problem_with(field, wanted)
        if problem:
            raise FastFieldError(f"fast_fields: {problem}")
    missing = [field for field in wanted if field not in store.fast_columns]
    present = [field for field in wanted if field not in missing]
    steps = [SetupStep("fast fields", "unchanged", f"{len(present)} present")] if present else []
    if dry_run or not missing:
        return steps + [SetupStep(f"fast field {field}", "create", "dry run: not done") for field in missing]
    with store.connect(read_only=False) as connection:
        connection.begin()
        for field in missing:
            connection.execute(f"ALTER TABLE events ADD COLUMN IF NOT EXISTS {column_of(field)} VARCHAR[]")
        connection.execute("UPDATE events SET " + ", ".join(
            f"{column_of(field)} = {fill_expression(field)}" for field in missing))
        filled = connection.execute("SELECT count(*) FROM events").fetchall()[0][0]
        mark_filled(connection, missing)
        connection.commit()
    store.fast_columns.update({field: column_of(field) for field in missing})
    return steps + [SetupStep(f"fast field {field}", "create", f"filled for {filled:,} events") for field in missing]
