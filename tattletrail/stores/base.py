"""What every store does. The ingester, the CLI and (later) the checker talk only to this."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ContextManager, Protocol, Sequence, runtime_checkable

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
    """A place events are kept. Implementations: stores/duckdb.py (embedded), later OpenSearch."""

    url: str

    def write(self, batch: Batch) -> WriteResult:
        """Store a batch atomically; an event whose identity is already stored is a duplicate."""

    def ledgered(self, sources: list[str]) -> dict[str, str]:
        """The ETag recorded for each of these sources that was fully ingested before."""

    def stats(self, top: int = 10) -> Stats: ...

    def quarantined(self, limit: int | None = None) -> list[QuarantineEntry]: ...

    def close(self) -> None: ...

    def reading(self) -> "ContextManager[None]":
        """Reads inside may share what opening the store costs (a connection); the checker wraps
        each pass over its checks in it."""

    def search(self, query: "Node", since: datetime | None = None, until: datetime | None = None,
               limit: int | None = 100) -> list[dict[str, Any]]:
        """Events matching a parsed query in [since, until), newest first, each as its document:
        the original record with the derived fields beside it."""

    def count(self, query: "Node", since: datetime | None = None, until: datetime | None = None,
              by: str | None = None, interval: "timedelta | None" = None, top: int = 20) -> "Counted":
        """How many events match; optionally per value of a field and per time bucket."""

    def field_names(self, sample: int = 20_000) -> set[str]:
        """Fields seen in the store (a sample of it), for "never seen" warnings."""

    def setup(self, dry_run: bool = False, fast_fields: Sequence[str] = ()) -> list["SetupStep"]:
        """Install what the store needs (schema, templates, policies), idempotently; on a dry run
        change nothing and say what would be done. `fast_fields`: fields to make fast to query
        beyond the shipped ones (a store that indexes every field ignores it)."""

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


@runtime_checkable
class JoinsBatches(Protocol):
    """A store whose transactions cost more than their rows (the embedded store). The ingester
    hands it each batch to `prepare` as soon as it is read, so the batch's Python objects can go,
    and writes prepared batches together, up to `transaction_events`, in one transaction."""

    transaction_events: int

    def prepare(self, batch: Batch) -> Any: ...

    def write_prepared(self, parts: list[Any]) -> WriteResult: ...


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

    @property
    def untimed(self) -> int:
        """Events counted but in no bucket: those without a usable eventTime."""
        return self.total - sum(n for _, n in self.buckets) if self.interval is not None else 0

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"count": self.total}
        if self.by is not None:
            result["by"] = self.by
            result["groups"] = [{"value": value, "count": n} for value, n in self.groups]
        if self.interval is not None:
            result["interval_seconds"] = self.interval.total_seconds()
            result["untimed"] = self.untimed
            result["buckets"] = [{"start": start.isoformat() + "Z", "count": n} for start, n in self.buckets]
        return result


if TYPE_CHECKING:
    from datetime import timedelta

    from tattletrail.query.tree import Node


class FastFieldError(ValueError):
    """A field that can't be made fast to query (`fast_fields`); the message says which and why."""


class StoreUnavailable(RuntimeError):
    """A store that can't be reached, refuses us, or isn't set up; the message says what to do."""


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
