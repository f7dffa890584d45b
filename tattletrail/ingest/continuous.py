"""What every long-running ingest shares: stopping on SIGTERM, and adding up its many small runs.

A queue worker or a follower runs `ingest` again and again; its totals are the sum of those runs.
SIGTERM (docker stop, systemd, Kubernetes) and Ctrl-C set a `threading.Event`: the current object
is finished and written, nothing new is started, and the process exits normally.
"""

from __future__ import annotations

import signal
import threading
from datetime import datetime
from typing import Any

from tattletrail.ingest import IngestSummary


def stop_on_signals(stop: threading.Event) -> None:
    """Make SIGTERM and SIGINT set `stop` (call from the main thread). A second Ctrl-C still interrupts."""

    def request_stop(number: int, _frame: Any) -> None:
        if number == signal.SIGINT and stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)


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
