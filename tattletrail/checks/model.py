"""The check file format: one typed object per check, validated at load (file, line and field).

    name: ingress-open-to-world
    query: 'eventName:Authorize* AND requestParameters.ipPermissions.items.ipRanges.items.cidrIp:"0.0.0.0/0"'
    window: 30m
    interval: 60s
    critical: 1

A file holds one check (a mapping) or several (a list of mappings). `FIELD_DOCS` is the single
description of every key: the docs table in docs/checks.md is generated from it and a test keeps
the two equal.
"""

from __future__ import annotations

from datetime import timedelta
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from tattletrail.alert import Status
from tattletrail.config_files import ConfigError, Strict, load_yaml, validate
from tattletrail.query import QueryError, parse_query
from tattletrail.query.catalogue import catalogue
from tattletrail.query.tree import Node
from tattletrail.timespec import TimeSpecError, parse_duration

NAME_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
ATTACK_PATTERN = r"^T[0-9]{4}(\.[0-9]{3})?$"  # an ATT&CK technique or sub-technique id


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a duration: write a number and a unit, e.g. 60s, 30m, 24h, 7d")
    try:
        return parse_duration(value)
    except TimeSpecError as error:
        raise ValueError(str(error)) from None


def duration_text(value: timedelta) -> str:
    """A duration as the file would spell it: 90s → 90s, 1800s → 30m, 86400s → 1d."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Duration = Annotated[timedelta, BeforeValidator(_duration), PlainSerializer(duration_text)]


class Kind(str, Enum):
    count = "count"  # type: ignore[assignment]  # the kind's name; str.count is never called on a Kind
    new_value = "new_value"


class Direction(str, Enum):
    above = "above"
    below = "below"


class TimeField(str, Enum):
    ingest_time = "ingest_time"
    event_time = "event_time"


class Destinations(Strict):
    """Destination names per status; a RECOVERY goes to every destination named here."""

    warning: list[str] = []
    critical: list[str] = []
    unknown: list[str] = []

    def for_status(self, status: Status) -> list[str]:
        if status is Status.OK:
            return self.everywhere()
        return list({Status.WARNING: self.warning, Status.CRITICAL: self.critical,
                     Status.UNKNOWN: self.unknown}[status])

    def everywhere(self) -> list[str]:
        return list(dict.fromkeys([*self.warning, *self.critical, *self.unknown]))


# key → (type as written, what it means). The model's defaults fill the table's third column.
FIELD_DOCS: dict[str, tuple[str, str]] = {
    "name": ("text", "unique name, lowercase letters, digits and `-`"),
    "description": ("text", "what a breach means, shown in every alert"),
    "kind": ("`count` \\| `new_value`", "count matching events, or fire on a value of `field` not seen in `baseline`"),
    "query": ("query", "the Lucene query (docs/query.md); `*` counts every event"),
    "window": ("duration", "events counted in `[now - window, now)` (30m, 1h, …)"),
    "interval": ("duration", "how often the checker runs the check"),
    "warning": ("number", "WARNING threshold"),
    "critical": ("number", "CRITICAL threshold"),
    "direction": ("`above` \\| `below`", "`above`: breach when count >= threshold; `below`: when count < threshold"),
    "group_by": ("list of fields", "thresholds and state per value of these fields (e.g. `[actor]`)"),
    "occurrences": ("integer", "consecutive breaches before the first notification"),
    "refresh": ("duration", "minimum time between repeat notifications of one status, per check and group"),
    "count_by": ("`ingest_time` \\| `event_time`", "which time the window is over; ingest time never misses a late event"),
    "delay": ("duration", "with `count_by: event_time`, the window ends at `now - delay`"),
    "destinations": ("mapping", "destination names per status: `warning`, `critical`, `unknown`; RECOVERY goes to all"),
    "severity": ("text", "carried by alerts (e.g. low, medium, high)"),
    "tags": ("list of text", "carried by alerts (e.g. cis-4.4)"),
    "enabled": ("boolean", "a disabled check is listed and validated but never run"),
    "samples": ("integer", "sample events an alert carries (newest first)"),
    "field": ("field", "`new_value` only: the field whose new values fire"),
    "baseline": ("duration", "`new_value` only: a value is new when not seen in this long before the window"),
    "distinct": ("list of fields", "`count` only: count distinct values of these fields (together) per group, "
                 "not events (e.g. secrets read per actor)"),
    "except_": ("query", "events it matches are expected: never counted (see Expected activity)"),
    "attack": ("list of text", "MITRE ATT&CK technique ids the check detects (e.g. T1552)"),
    "false_positives": ("text", "known benign causes, and how to tell them apart"),
}


class Check(Strict):
    """One check. Durations are timedeltas once loaded; the core never re-validates."""

    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    kind: Kind = Kind.count
    query: str = "*"
    window: Duration = timedelta(minutes=30)
    interval: Duration = timedelta(seconds=60)
    warning: float | None = Field(default=None, ge=0)
    critical: float | None = Field(default=None, ge=0)
    direction: Direction = Direction.above
    group_by: list[str] = []
    occurrences: int = Field(default=1, ge=1)
    refresh: Duration = timedelta(hours=1)
    count_by: TimeField = TimeField.ingest_time
    delay: Duration = timedelta(0)
    destinations: Destinations = Destinations()
    severity: str | None = None
    tags: list[str] = []
    enabled: bool = True
    samples: int = Field(default=10, ge=0, le=1000)
    field: str | None = None
    baseline: Duration | None = None
    distinct: list[str] = []
    except_: str | None = Field(default=None, alias="except")
    attack: list[Annotated[str, Field(pattern=ATTACK_PATTERN)]] = []
    false_positives: str = ""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _lists_may_be_one_item(cls, values: Any) -> Any:
        if isinstance(values, dict):
            values = {**values, **{key: [values[key]] for key in ("group_by", "distinct", "attack")
                                   if isinstance(values.get(key), str)}}
        return values

    @model_validator(mode="after")
    def _consistent(self) -> "Check":
        if self.window <= timedelta(0) or self.interval <= timedelta(0):
            raise ValueError("window and interval must be longer than 0s")
        if self.kind is Kind.count and self.warning is None and self.critical is None:
            raise ValueError("a count check needs a `warning` or a `critical` threshold (or both)")
        if self.kind is Kind.new_value and (self.field is None or self.baseline is None):
            raise ValueError("a new_value check needs `field` (whose values to watch) and `baseline` (e.g. 30d)")
        if self.kind is Kind.count and (self.field is not None or self.baseline is not None):
            raise ValueError("`field` and `baseline` belong to `kind: new_value` checks only")
        if self.distinct and (self.kind is not Kind.count or self.direction is not Direction.above):
            raise ValueError("`distinct` counts values for `kind: count`, `direction: above` checks only")
        if self.delay and self.count_by is TimeField.ingest_time:
            raise ValueError("`delay` only applies with `count_by: event_time` (ingest time is never late)")
        if self.warning is not None and self.critical is not None:
            escalates = self.critical >= self.warning if self.direction is Direction.above else \
                self.critical <= self.warning
            if not escalates:
                raise key_error(("critical",), self.critical,
                                f"critical ({self.critical:g}) must be {'>=' if self.direction is Direction.above else '<='}"
                                f" warning ({self.warning:g}) for direction {self.direction.value}")
        self._known_fields()
        return self

    def _known_fields(self) -> None:
        """Every field named (query, group_by, field) is in the field catalogue: a misspelt field
        would match nothing and keep the check OK forever."""
        fields = catalogue()
        try:
            tree = self.tree
        except QueryError:
            return  # said with the query's line by load_checks
        for name, _ in fields.unknown_in(tree):
            raise key_error(("query",), self.query, fields.problem(name) or "")
        for index, name in enumerate(self.group_by):
            if not fields.known(name):
                raise key_error(("group_by", index), name, fields.problem(name) or "")
        if self.field is not None and not fields.known(self.field):
            raise key_error(("field",), self.field, fields.problem(self.field) or "")

    @property
    def counted_query(self) -> str:
        """The query whose events count: the check's, without what `except` says is expected."""
        return f"({self.query}) AND NOT ({self.except_})" if self.except_ else self.query

    @property
    def tree(self) -> Node:
        return _parsed(self.counted_query)

    def expecting(self, query: str) -> "Check":
        """This check with `query` added to what it expects (its `except`, OR the new one)."""
        return self.model_copy(update={"except_": f"({self.except_}) OR ({query})" if self.except_ else query})

    @property
    def thresholds(self) -> tuple[float | None, float | None]:
        """(warning, critical); a new_value check without thresholds warns on one new value."""
        if self.kind is Kind.new_value and self.warning is None and self.critical is None:
            return 1, None
        return self.warning, self.critical

    def breaches(self, count: int, threshold: float | None) -> bool:
        if threshold is None:
            return False
        return count >= threshold if self.direction is Direction.above else count < threshold

    def status_of(self, count: int) -> Status:
        warning, critical = self.thresholds
        if self.breaches(count, critical):
            return Status.CRITICAL
        if self.breaches(count, warning):
            return Status.WARNING
        return Status.OK

    @property
    def fingerprint(self) -> str:
        """What the persisted state depends on: change it and the state starts afresh."""
        parts = [self.kind.value, self.counted_query, ",".join(self.group_by), self.field or "", self.count_by.value]
        return "\0".join(parts + ([",".join(self.distinct)] if self.distinct else []))  # as before without it


def key_error(location: tuple[str | int, ...], value: Any, message: str) -> ValidationError:
    """A validation error located at one key, so the file's error names that key's line."""
    detail = InitErrorDetails(type=PydanticCustomError("check", message.replace("{", "{{").replace("}", "}}")),
                              loc=location, input=value)
    return ValidationError.from_exception_data("Check", [detail])


@lru_cache(maxsize=4096)
def _parsed(query: str) -> Node:
    """Parsing is ~2 ms; a checker runs the same queries every minute (trees are immutable)."""
    return parse_query(query)


def load_checks(path: str | Path) -> list[Check]:
    """Every check in a directory (its *.yml and *.yaml files, sorted) or in one file."""
    path = Path(path)
    if path.is_dir():
        files = sorted([*path.glob("*.yml"), *path.glob("*.yaml")])
    elif path.is_file():
        files = [path]
    else:
        raise ConfigError(f"{path}: no such file or directory of checks")
    checks: list[Check] = []
    origins: dict[str, str] = {}
    for file in files:
        for check, where in _checks_in(file):
            if check.name in origins:
                raise ConfigError(f"{where}: check {check.name!r} is also defined in {origins[check.name]}")
            origins[check.name] = where
            checks.append(check)
    return checks


def _checks_in(path: Path) -> list[tuple[Check, str]]:
    document = load_yaml(path)
    if document is None:
        return []
    documents = document if isinstance(document, list) else [document]
    found = []
    for document in documents:
        check = validate(Check, document, path)
        line = document.get("__line__") if isinstance(document, dict) else None
        where = f"{path}:{line}" if line else str(path)
        for key, query in (("query", check.query), ("except", check.except_)):
            if query is None:
                continue
            try:
                parse_query(query)
            except QueryError as error:
                raise ConfigError(f"{path}:{document.get('__lines__', {}).get(key, line)}: {key}: {error}") from None
        found.append((check, where))
    return found


def format_table() -> str:
    """The markdown table of every key: docs/checks.md holds exactly this (a test says so)."""
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, model_field in Check.model_fields.items():
        kind, meaning = FIELD_DOCS[name]
        rows.append(f"| `{model_field.alias or name}` | {kind} | {_default_text(model_field)} | {meaning} |")
    return "\n".join(rows)


def _default_text(model_field: Any) -> str:
    if model_field.is_required():
        return "required"
    value = model_field.default
    if value is None:
        return "—"
    if value == "":
        return "empty"
    if isinstance(value, timedelta):
        return f"`{duration_text(value)}`"
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, Destinations):
        return "none"
    if isinstance(value, list):
        return "`[]`"
    return f"`{value}`"
