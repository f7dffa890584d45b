"""What an ingest run did (`IngestSummary`), and how the many short runs of a long one add up."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class IngestSummary:
    store: str
    objects: int = 0
    ingested: int = 0
    duplicates: int = 0
    quarantined: int = 0
    skipped: int = 0
    filtered: int = 0  # records outside --account/--region/--since/--until
    interrupted: bool = False  # stopped by Ctrl-C: what was stored is kept, a re-run resumes
    skipped_reasons: Counter[str] = field(default_factory=Counter)
    quarantine_reasons: Counter[str] = field(default_factory=Counter)
    threat_levels: Counter[str | None] = field(default_factory=Counter)  # events read, by level (rules on)
    alerts_sent: int = 0
    alerts_failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    newest_event_time: datetime | None = None  # the newest eventTime read: the ingest lag's measure

    @property
    def events_read(self) -> int:
        return self.ingested + self.duplicates

    def as_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "objects": self.objects,
            "ingested": self.ingested,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "skipped": self.skipped,
            "skipped_reasons": dict(self.skipped_reasons),
            "filtered": self.filtered,
            "interrupted": self.interrupted,
            "quarantine_reasons": dict(self.quarantine_reasons),
            "threat_levels": dict(self.threat_levels),
            "alerts_sent": self.alerts_sent,
            "alerts_failed": list(self.alerts_failed),
            "seconds": round(self.seconds, 3),
        }


def add_summary(total: IngestSummary, part: IngestSummary) -> IngestSummary:
    """Add `part` (one run) into `total` (a longer run made of many); returns `total`."""
    total.objects += part.objects
    total.ingested += part.ingested
    total.duplicates += part.duplicates
    total.quarantined += part.quarantined
    total.skipped += part.skipped
    total.skipped_reasons.update(part.skipped_reasons)
    total.quarantine_reasons.update(part.quarantine_reasons)
    total.threat_levels.update(part.threat_levels)
    total.alerts_sent += part.alerts_sent
    total.alerts_failed += part.alerts_failed
    total.seconds += part.seconds
    total.newest_event_time = later(total.newest_event_time, part.newest_event_time)
    return total


def later(first: datetime | None, second: datetime | None) -> datetime | None:
    """The later of two optional times."""
    if first is None or second is None:
        return first or second
    return max(first, second)
