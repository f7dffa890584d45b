"""Prometheus metrics: one registry for the process, served by `--metrics-port`.

Each part of Tattletrail that reports adds its own small group of metrics to `REGISTRY`: the
ingester (`IngestMetrics` in tattletrail/ingest/metrics.py), the checker here with `CheckMetrics`. A
group is created once per process (registering a name twice is an error); tests give each group a
registry of its own.

Lags are computed when Prometheus scrapes, from the newest times seen, so a stalled ingest shows a
growing lag rather than the last value it managed to set.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from tattletrail.timespec import unix_time

REGISTRY = CollectorRegistry(auto_describe=True)


def serve_metrics(port: int, address: str = "0.0.0.0", registry: CollectorRegistry = REGISTRY) -> Any:
    """Serve `/metrics` over HTTP in a daemon thread; the server (call `.shutdown()` to stop it)."""
    server, _ = start_http_server(port, addr=address, registry=registry)
    return server


class CheckMetrics:
    """For the checker: each check's status and how long since it last ran (its run lag)."""

    def __init__(self, registry: CollectorRegistry = REGISTRY, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._last_run: dict[str, float] = {}
        self.status = Gauge("tattletrail_check_status",
                            "A check's worst status over its groups: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (Sensu codes)",
                            ["check"], registry=registry)
        self.schedule_lag = Gauge("tattletrail_check_schedule_lag_seconds",
                                  "How late the check's last run started behind its schedule", ["check"],
                                  registry=registry)
        self.last_run = Gauge("tattletrail_check_last_run_timestamp_seconds", "When a check last ran (Unix time)",
                              ["check"], registry=registry)
        registry.register(_RunLag(self))

    def record_run(self, check: str, status: int, ran_at: datetime | None = None,
                   schedule_lag: float | None = None) -> None:
        when = unix_time(ran_at) if ran_at else self._clock()
        self._last_run[check] = when
        self.status.labels(check).set(status)
        self.last_run.labels(check).set(when)
        if schedule_lag is not None:
            self.schedule_lag.labels(check).set(schedule_lag)


class _RunLag:
    """`tattletrail_check_run_lag_seconds{check}`: now minus each check's last run, at scrape time."""

    def __init__(self, checks: CheckMetrics) -> None:
        self._checks = checks

    def collect(self) -> Any:
        from prometheus_client.core import GaugeMetricFamily

        family = GaugeMetricFamily("tattletrail_check_run_lag_seconds", "Now minus when a check last ran",
                                   labels=["check"])
        now = self._checks._clock()
        for check, ran in sorted(self._checks._last_run.items()):
            family.add_metric([check], now - ran)
        yield family

    def describe(self) -> Any:
        return []


class DeliveryMetrics:
    """For the checker's deliveries: what waits in the outbox (read at scrape time) and how each
    delivery ended, per destination.

        tattletrail_outbox_pending{destination}                 alerts waiting for delivery
        tattletrail_outbox_oldest_pending_age_seconds           now minus the oldest still waiting
        tattletrail_deliveries_total{destination,outcome}       delivered | queued | failed | expired | superseded
    """

    def __init__(self, registry: CollectorRegistry = REGISTRY, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._dispatcher: Any = None
        self.outcomes = Counter("tattletrail_deliveries", "Deliveries by destination and outcome (queued: will be "
                                "retried; expired: given up after max_age; superseded: a newer status replaced it)",
                                ["destination", "outcome"], registry=registry)
        registry.register(_Outbox(self))

    def watch(self, dispatcher: Any) -> None:
        self._dispatcher = dispatcher

    def record_outcome(self, result: Any) -> None:
        self.outcomes.labels(result.destination, result.outcome).inc()


class _Outbox:
    def __init__(self, metrics: DeliveryMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Any:
        from prometheus_client.core import GaugeMetricFamily

        pending = GaugeMetricFamily("tattletrail_outbox_pending", "Alerts waiting in the outbox, by destination",
                                    labels=["destination"])
        oldest = GaugeMetricFamily("tattletrail_outbox_oldest_pending_age_seconds",
                                   "Now minus when the oldest alert still waiting was queued (0: none waits)")
        dispatcher = self._metrics._dispatcher
        backlog = dispatcher.backlog() if dispatcher is not None else None
        for destination, count in sorted((backlog.pending if backlog else {}).items()):
            pending.add_metric([destination], count)
        waited = self._metrics._clock() - unix_time(backlog.oldest_pending) if backlog and backlog.oldest_pending \
            else 0.0
        oldest.add_metric([], max(waited, 0.0))
        yield pending
        yield oldest

    def describe(self) -> Any:
        return []
