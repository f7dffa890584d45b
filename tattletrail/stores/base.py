"""What every store does. The ingester, the CLI and (later) the checker talk only to this."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

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
