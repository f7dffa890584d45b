"""The ingester's Prometheus metrics: events, quarantine, objects, SQS messages, and its lags.

They join the process's one registry (`tattletrail.metrics.REGISTRY`), served by `--metrics-port`.
Lags are computed when Prometheus scrapes, from the newest times seen, so a stalled ingest shows a
growing lag rather than the last value it managed to set.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge

from tattletrail.metrics import REGISTRY
from tattletrail.timespec import unix_time


class IngestMetrics:
    """What the ingester did: events, quarantine, objects, SQS messages, and how far behind it is."""

    def __init__(self, registry: CollectorRegistry = REGISTRY, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self.events = Counter("tattletrail_events_ingested", "Events stored (new, not duplicates)",
                              registry=registry)
        self.duplicates = Counter("tattletrail_events_duplicate", "Events read again and not stored twice",
                                  registry=registry)
        self.quarantined = Counter("tattletrail_quarantined", "Files or records quarantined, by reason",
                                   ["reason"], registry=registry)
        self.objects = Counter("tattletrail_objects_processed", "Log objects read to the end (or quarantined)",
                               registry=registry)
        self.skipped = Counter("tattletrail_objects_skipped", "Log objects not read, by reason", ["reason"],
                               registry=registry)
        self.messages = Counter("tattletrail_sqs_messages", "SQS messages handled, by outcome "
                                "(ingested, acknowledged, left, unfinished)", ["outcome"], registry=registry)
        self.queue_depth = Gauge("tattletrail_sqs_queue_messages", "Messages in the queue (approximate), by "
                                 "state: visible (waiting) or in_flight", ["state"], registry=registry)
        self.newest_event = Gauge("tattletrail_newest_event_timestamp_seconds",
                                  "eventTime of the newest event ingested (Unix time)", registry=registry)
        self.newest_delivery = Gauge("tattletrail_newest_delivery_timestamp_seconds", "When the newest log "
                                     "object ingested was delivered to S3 (Unix time)", registry=registry)
        self._newest_event: float | None = None
        self._newest_delivery: float | None = None
        self._lock = threading.Lock()
        Gauge("tattletrail_ingest_lag_seconds", "Now minus the newest eventTime ingested (NaN before the first)",
              registry=registry).set_function(lambda: self._lag(self._newest_event))
        Gauge("tattletrail_delivery_lag_seconds", "Now minus the delivery time of the newest log object "
              "ingested (NaN before the first)", registry=registry).set_function(
                  lambda: self._lag(self._newest_delivery))

    def observe(self, summary: Any, newest_delivery: datetime | None = None) -> None:
        """Add one ingest run's `IngestSummary` (or a part of a longer run's)."""
        self.events.inc(summary.ingested)
        self.duplicates.inc(summary.duplicates)
        self.objects.inc(summary.objects)
        for reason, count in summary.quarantine_reasons.items():
            self.quarantined.labels(reason).inc(count)
        for reason, count in summary.skipped_reasons.items():
            self.skipped.labels(reason).inc(count)
        with self._lock:
            self._newest_event = _later(self._newest_event, summary.newest_event_time)
            self._newest_delivery = _later(self._newest_delivery, newest_delivery)
            if self._newest_event is not None:
                self.newest_event.set(self._newest_event)
            if self._newest_delivery is not None:
                self.newest_delivery.set(self._newest_delivery)

    def _lag(self, newest: float | None) -> float:
        return float("nan") if newest is None else self._clock() - newest


def _later(current: float | None, candidate: datetime | None) -> float | None:
    if candidate is None:
        return current
    value = unix_time(candidate)
    return value if current is None or value > current else current
