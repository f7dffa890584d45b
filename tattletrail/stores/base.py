"""What every store does (the Store protocol), what it keeps and answers, and the errors every store
raises (StoreError and below). Nothing here names a backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ContextManager, Iterator, Protocol, Sequence

from tattletrail.errors import TattletrailError
from tattletrail.event import Event


@dataclass(slots=True)
class QuarantineEntry:
    """A file or record that could not be read, with where it came from and why."""

    source: str  # file path or s3:// URI
    location: str  # "file", "record 12", "line 7"
    reason: str
    detail: str
    sample: str
    quarantined_at: datetime


@dataclass(slots=True)
class LedgerEntry:
    """One log object fully ingested: re-runs skip it; a changed ETag means it is read again."""

    source: str  # s3://bucket/key or a local path
    etag: str  # S3 ETag, or size+mtime for a local file
    events: int
    ingested_at: datetime


@dataclass
class Batch:
    """What one short write transaction stores: events, quarantine entries, finished objects."""

    events: list[Event] = field(default_factory=list)
    quarantine: list[QuarantineEntry] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.events)


@dataclass
class WriteResult:
    inserted: int
    duplicates: int
    refused: int = 0  # events the store would not keep: quarantined as `rejected-by-store`


@dataclass
class Stats:
    events: int
    first_event: datetime | None
    last_event: datetime | None
    failures: int
    incomplete: int  # events marked as missing a core field
    quarantined: int
    objects: int  # ledgered log objects
    by_service: list[tuple[str, int]]
    by_actor: list[tuple[str, int]]
    by_region: list[tuple[str, int]]
    by_account: list[tuple[str, int]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "first_event": self.first_event.isoformat() + "Z" if self.first_event else None,
            "last_event": self.last_event.isoformat() + "Z" if self.last_event else None,
            "failures": self.failures,
            "incomplete": self.incomplete,
            "quarantined": self.quarantined,
            "objects": self.objects,
            "by_service": dict(self.by_service),
            "by_actor": dict(self.by_actor),
            "by_region": dict(self.by_region),
            "by_account": dict(self.by_account),
        }


class Store(Protocol):
    """A place events are kept: stores/duckdb/ (embedded) and stores/opensearch/. The ingester, the
    CLI, the checker, the rules and the report talk only to this; `open_store` opens one."""

    url: str

    # Writing ------------------------------------------------------------------------------------
    # The ingester hands each batch to `prepare` as soon as it is read (so its Python objects can
    # go) and writes prepared batches together, up to `transaction_events`, with `write_prepared`.
    # A store whose transactions cost more than their rows (the embedded one) joins them in one.
    transaction_events: int

    def prepare(self, batch: Batch) -> Any: ...

    def write_prepared(self, parts: list[Any]) -> WriteResult:
        """Store prepared batches in order; a part's ledger entries only once its events are stored."""

    def write(self, batch: Batch) -> WriteResult:
        """Store a batch atomically; an event whose identity is already stored is a duplicate."""

    def ledgered(self, sources: list[str]) -> dict[str, str]:
        """The ETag recorded for each of these sources that was fully ingested before."""

    # Reading ------------------------------------------------------------------------------------

    def stats(self, top: int = 10) -> Stats: ...

    def quarantined(self, limit: int | None = None) -> list[QuarantineEntry]: ...

    def records(self, event_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The original records of these events, exactly as they were read."""

    def close(self) -> None: ...

    def reading(self) -> "ContextManager[None]":
        """Reads inside may share what opening the store costs (a connection); the checker wraps
        each pass over its checks in it."""

    def search(self, query: "Node", since: datetime | None = None, until: datetime | None = None,
               limit: int | None = 100) -> list[dict[str, Any]]:
        """Events matching a parsed query in [since, until), newest first, each as its document:
        the original record with the derived fields beside it (event.py `document_of`)."""

    def count(self, query: "Node", since: datetime | None = None, until: datetime | None = None,
              by: str | None = None, interval: "timedelta | None" = None, top: int = 20) -> "Counted":
        """How many events match; optionally per value of a field and per time bucket."""

    def scans(self, query: "Node") -> list[str | None]:
        """What of the query this store answers by reading every record of the window rather than
        an index or column: fields (None for a bare term). Empty where everything is indexed."""

    def field_names(self, sample: int = 20_000) -> set[str]:
        """Fields seen in the store (a sample of it), for "never seen" warnings."""

    def explore(self, query: str, start: datetime, end: datetime, dashboards_url: str | None) -> str | None:
        """A link that shows the events of `query` (text) between start and end in the store's own
        interface (OpenSearch Dashboards' Discover, with `dashboards_url`), or None: every store
        can be searched with `tattletrail search` instead (checks/explore.py)."""

    # Rescoring (`tattletrail rescore`) ---------------------------------------------------------------

    def threat_pages(self, since: datetime | None = None, until: datetime | None = None,
                     page: int = 5_000) -> Iterator[list[tuple[Any, dict[str, Any]]]]:
        """(where, document) for every stored event in [since, until), `page` at a time; `where`
        says where the event is, for `update_threats`."""

    def update_threats(self, updates: list["ThreatUpdate"]) -> int:
        """Set the threat fields of these events; returns how many were updated."""

    # Administration: `tattletrail setup` and `doctor` ---------------------------------------------

    def setup(self, dry_run: bool = False, fast_fields: Sequence[str] = (), migrate: bool = False) -> list["SetupStep"]:
        """Install what the store needs (schema, templates, policies), idempotently; on a dry run
        change nothing and say what would be done. `fast_fields`: fields to make fast to query
        beyond the shipped ones (a store that indexes every field ignores it). `migrate`: bring
        data written by an older version up to date in place (a store with none ignores it)."""

    def doctor(self) -> list["DoctorCheck"]:
        """Check that the store is reachable, set up and writable; each failure says how to fix it."""

    def group_events(self, query: "Node", since: datetime | None, until: datetime | None,
                     fields: Sequence[str], examples: int = 3) -> list["EventGroup"]:
        """The matching events grouped by their values of `fields` (record paths such as
        `userIdentity.invokedBy` or `requestParameters`, or derived fields such as `account`):
        per group the values, how many events, their first and last event_time and the first
        `examples` of them in `search`'s order. A caller that needs a few fields of many events
        (policy generation) reads this instead of every whole document. stores/grouping.py is
        the reference every store's answer equals (times to the millisecond)."""

    def tally(self, query: "Node", since: datetime, until: datetime, by: Sequence[str],
              interval: timedelta | None, distinct: Sequence[str] = (), limit: int | None = None) -> list["TallyRow"]:
        """The matching events in [since, until) counted per group (a combination of values of
        `by`, as `count --by` counts them: an event with several values is in each combination,
        one without a value for a field in none) and per `interval` bucket of event_time (as
        `count --interval` aligns them; None: one bucket starting at `since`). Rows are
        (group, None, bucket, events); with `distinct`, also (group, value, bucket, occurrences)
        for each value of those fields taken as one set (an event holding a value in two of them
        counts twice). More than `limit` rows: some are left out, and the caller must not use
        the answer. What a check's replay reads once instead of a count per group and step
        (checks/tally.py)."""


# (group, distinct value or None, bucket start, events or occurrences): what `Store.tally` answers.
TallyRow = tuple[tuple[str, ...], "str | None", datetime, int]

# (where the event is, as `threat_pages` gave it; level; rule names; annotations)
ThreatUpdate = tuple[Any, str, list[str], list[str]]


@dataclass
class EventGroup:
    """Events that agree on some fields (Store.group_events): the values and a summary of the events."""

    values: dict[str, Any]  # field → its value (parsed JSON: str, number, object, list; None when absent)
    events: int
    first_time: datetime | None  # min/max event_time (None: no event of the group has one)
    last_time: datetime | None
    # The group's first `examples` events in search order (newest first, untimed last, then by
    # event_id): (event_time, event_id).
    newest: list[tuple[datetime | None, str]] = field(default_factory=list)


# More histogram buckets than this and the interval is widened (a whole multiple of it), never cut.
MAX_BUCKETS = 10_000


@dataclass
class Counted:
    """What `count` answers: the total, the top values of `by`, and per-`interval` buckets."""

    total: int
    groups: list[tuple[str, int]] = field(default_factory=list)
    buckets: list[tuple[datetime, int]] = field(default_factory=list)
    by: str | None = None
    interval: "timedelta | None" = None
    values: int = 0  # how many distinct values `by` has: `groups` shows the top ones

    @property
    def untimed(self) -> int:
        """Events counted but in no bucket: those without a usable eventTime."""
        return self.total - sum(n for _, n in self.buckets) if self.interval is not None else 0

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"count": self.total}
        if self.by is not None:
            result["by"] = self.by
            result["groups"] = [{"value": value, "count": n} for value, n in self.groups]
            result["values"] = self.values
        if self.interval is not None:
            result["interval_seconds"] = self.interval.total_seconds()
            result["untimed"] = self.untimed
            result["buckets"] = [{"start": start.isoformat() + "Z", "count": n} for start, n in self.buckets]
        return result


def fill_buckets(counts: dict[datetime, int], interval: timedelta, since: datetime | None,
                 until: datetime | None) -> tuple[list[tuple[datetime, int]], timedelta]:
    """Every bucket from the first to the last (or the window's ends), empty ones as 0, and the
    interval they have: the one asked for, or a whole multiple of it when more than MAX_BUCKETS
    would be needed, so every timed event is in a bucket and the buckets add up to the count."""
    if not counts and (since is None or until is None):
        return [], interval
    seconds = interval.total_seconds()
    first = _epoch(min(counts)) if since is None else _epoch(since)
    last = _epoch(max(counts)) if until is None else _epoch(until) - 1e-6
    widen = max(1, -(-int((last // seconds) - (first // seconds) + 1) // MAX_BUCKETS))
    if widen > 1:
        seconds *= widen
        interval = timedelta(seconds=seconds)
        merged: dict[datetime, int] = {}
        for moment, n in counts.items():
            start = _from_epoch(_epoch(moment) // seconds * seconds)
            merged[start] = merged.get(start, 0) + n
        counts = merged
    moment, end = _from_epoch(first // seconds * seconds), _from_epoch(last // seconds * seconds)
    filled = []
    while moment <= end:
        filled.append((moment, counts.get(moment, 0)))
        moment += interval
    return filled, interval


def _epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=timezone.utc).timestamp()


def _from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(tzinfo=None)


if TYPE_CHECKING:
    from tattletrail.query.tree import Node


class StoreError(TattletrailError):
    """What every store raises for a reason a person can act on; the message says what to do. The
    CLI prints it as one line (cli/output.py)."""


class StoreURLError(StoreError, ValueError):
    """A store URL that names no known store, or names it wrongly."""


class StoreMissingError(StoreURLError):
    """A store asked to exist already (anything but `ingest` and `setup`) that does not."""


class StoreUnavailable(StoreError, RuntimeError):
    """A store that can't be reached, refuses us, or isn't set up; the message says what to do."""


class StoreLocked(StoreError, RuntimeError):
    """Another process kept the embedded store's file locked for longer than the lock timeout."""


class FastFieldError(StoreError, ValueError):
    """A field that can't be made fast to query (`fast_fields`); the message says which and why."""


@dataclass
class SetupStep:
    """One thing `setup` installs: what it is, and what was (or, on a dry run, would be) done."""

    name: str
    action: str  # "create", "update", "unchanged", "skipped"
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "action": self.action, "detail": self.detail}


@dataclass
class DoctorCheck:
    """One thing `doctor` checked, and if it failed, how to fix it."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix}
