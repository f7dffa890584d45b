"""Delivering alerts: every destination on its own worker, retries with backoff, the outbox behind.

`Dispatcher.deliver(alert, names)` writes each (alert, destination) to the outbox, then attempts
each destination on that destination's own thread: a slow or failing destination never delays
another. Within one delivery a retriable failure (429, 5xx, timeout) is retried with exponential
backoff (Retry-After honoured); what is still undelivered stays in the outbox, and
`retry_pending()` (the checker calls it every cycle, and after a restart) tries it again until it
is delivered or older than the destination's `max_age`. Every attempt is logged, never a secret.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from concurrent.futures import wait as wait_for
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Mapping, TypeVar, overload

from tattletrail.alert import Alert
from tattletrail.destinations.base import DeliveryError, Destination
from tattletrail.destinations.outbox import Outbox, OutboxEntry
from tattletrail.destinations.workers import Worker
from tattletrail.timespec import utc_now

log = logging.getLogger("tattletrail.delivery")
Result = TypeVar("Result")

DELIVERED, QUEUED, FAILED, EXPIRED, IN_FLIGHT = "delivered", "queued", "failed", "expired", "in-flight"
SUPERSEDED = "superseded"  # a newer alert of the same check and group took its place before delivery
# Not delivered yet, but kept in the outbox and retried: not a failure.
KEPT = (QUEUED, IN_FLIGHT)
# How long a run (a check pass, an ingest batch's rule alerts) waits for its destinations; one still
# trying after that finishes in the background and the outbox records how it went.
DELIVERY_WAIT = 30.0


@dataclass(frozen=True)
class DeliveryPolicy:
    attempts: int = 3                            # tries within one delivery
    backoff: float = 1.0                         # first wait in seconds, doubled after every try
    max_wait: float = 60.0                       # longest wait within a delivery; longer → back to the outbox
    max_outbox_wait: float = 900.0               # longest wait between two outbox retries
    max_age: timedelta = timedelta(hours=24)     # undelivered for longer: given up (logged as an error)
    lease: float = 300.0                         # a row being attempted is not retried elsewhere for this long

    def wait_before(self, attempt: int, error: DeliveryError, ceiling: float) -> float:
        """How long to wait after failed try number `attempt` (1-based): Retry-After, else backoff."""
        if error.retry_after is not None:
            return error.retry_after
        return min(self.backoff * 2.0 ** (attempt - 1), ceiling)


@dataclass(frozen=True)
class DeliveryResult:
    destination: str
    alert_id: str
    check: str
    outcome: str               # delivered | queued (in the outbox, retried later) | failed | expired | in-flight
    attempts: int = 0
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == DELIVERED

    @property
    def kept(self) -> bool:
        return self.outcome in KEPT


@dataclass(frozen=True)
class Backlog:
    """What the outbox holds: pending alerts per destination, and those given up on."""

    pending: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    expired: dict[str, int] = field(default_factory=dict)
    oldest_pending: datetime | None = None

    @property
    def total_pending(self) -> int:
        return sum(self.pending.values())


class Dispatcher:
    """Sends alerts to named destinations; use as a context manager (or call `close`)."""

    def __init__(self, destinations: Mapping[str, Destination], outbox_path: Path | str, *,
                 policies: Mapping[str, DeliveryPolicy] | None = None,
                 clock: Callable[[], datetime] = utc_now, sleep: Callable[[float], None] | None = None,
                 wait: float | None = None, observer: Callable[[DeliveryResult], None] | None = None) -> None:
        """`wait` bounds how long `deliver` and `retry_pending` block (None: until every destination
        has finished its tries; 0: not at all, as the checker daemon does); a destination still busy
        then is reported `in-flight` and finishes in the background, its outcome recorded in the
        outbox. `observer` hears every final outcome (delivered, queued, failed, expired,
        superseded), on the thread that reached it: the checker's metrics."""
        self.destinations = dict(destinations)
        self.outbox = Outbox(outbox_path)
        self._policies = dict(policies or {})
        self._clock = clock
        self._stopping = threading.Event()
        self._sleep = sleep if sleep is not None else self._stopping.wait
        self._wait = wait
        self._observer = observer
        self._workers: dict[str, Worker] = {}
        self._draining: set[str] = set()   # destinations whose outbox pass is still running
        self._lock = threading.Lock()

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self, wait: bool = True, timeout: float | None = None) -> None:
        """Stop the workers; waits between retries are cut short and queued tasks are not attempted
        (what is left stays in the outbox). Waits for a send under way at most `timeout` seconds
        (with `wait`); one still stuck then is abandoned: its row's lease expires and it is retried."""
        self._stopping.set()
        stopped = all([worker.shutdown(timeout if wait else 0) for worker in self._workers.values()])
        if wait and stopped:
            self.outbox.close()

    def policy(self, name: str) -> DeliveryPolicy:
        return self._policies.get(name, DeliveryPolicy())

    def deliver(self, alert: Alert, names: Iterable[str] | None = None,
                stream: str | None = None) -> list[DeliveryResult]:
        """Send one alert to each named destination (all configured ones if `names` is None).
        With a `stream` the alert supersedes an undelivered older one of that stream (Outbox.add)."""
        names = list(dict.fromkeys(self.destinations if names is None else names))
        now = self._now()
        results: list[DeliveryResult] = []
        futures: dict[str, Future[DeliveryResult]] = {}
        for name in names:
            if name not in self.destinations:
                message = f"unknown destination {name!r} (configured: {', '.join(sorted(self.destinations)) or 'none'})"
                log.error("delivery destination=%s alert=%s check=%s outcome=failed error=%s",
                          name, alert.alert_id, alert.check, message)
                results.append(DeliveryResult(name, alert.alert_id, alert.check, FAILED, error=message))
                continue
            for old in self.outbox.add(alert, name, now, stream):
                log.info("delivery destination=%s alert=%s check=%s outcome=superseded by=%s",
                         name, old, alert.check, alert.alert_id)
                self._tell(DeliveryResult(name, old, alert.check, SUPERSEDED))
            futures[name] = self._submit(name, self._deliver_entry, name, alert.alert_id, alert)
        return results + self._collect(futures, alert)

    def retry_pending(self) -> list[DeliveryResult]:
        """Try again every due alert in the outbox; give up on those older than `max_age`.

        Each destination drains its own rows, oldest first, and stops at the first that fails
        again: a destination that is still down costs one timeout per pass, not one per alert."""
        now = self._now()
        results = self._expire(now)
        due: dict[str, list[str]] = {}
        for alert_id, name in self.outbox.due(now):
            if name in self.destinations:
                due.setdefault(name, []).append(alert_id)
        with self._lock:
            batches = {name: alert_ids for name, alert_ids in due.items() if name not in self._draining}
            self._draining.update(batches)
        futures = {name: self._submit(name, self._drain, name, alert_ids) for name, alert_ids in batches.items()}
        done, _ = wait_for(futures.values(), timeout=self._wait)
        for name, future in futures.items():
            if future in done:
                results += future.result()
            else:
                results += [DeliveryResult(name, alert_id, "", IN_FLIGHT) for alert_id in batches[name]]
        return results

    def backlog(self) -> Backlog:
        by_state: dict[str, dict[str, int]] = {"pending": {}, "failed": {}, "expired": {}}
        oldest: float | None = None
        for destination, state, rows, created_at in self.outbox.counts():
            by_state.setdefault(state, {})[destination] = rows
            if state == "pending":
                oldest = created_at if oldest is None else min(oldest, created_at)
        oldest_time = datetime.fromtimestamp(oldest, timezone.utc).replace(tzinfo=None) if oldest else None
        return Backlog(by_state["pending"], by_state["failed"], by_state["expired"], oldest_time)

    # -- internals -------------------------------------------------------------------------

    def _now(self) -> float:
        moment = self._clock()
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()

    def _submit(self, name: str, task: Callable[..., Result], *arguments: object) -> Future[Result]:
        """Run `task` on the destination's own worker: one at a time per destination, in order."""
        with self._lock:
            if name not in self._workers:
                self._workers[name] = Worker(f"deliver-{name}")
            return self._workers[name].submit(task, *arguments)

    def _tell(self, result: DeliveryResult) -> DeliveryResult:
        if self._observer is not None:
            try:
                self._observer(result)
            except Exception:  # noqa: BLE001 - metrics must never stop a delivery
                log.exception("delivery observer failed")
        return result

    def _drain(self, name: str, alert_ids: list[str]) -> list[DeliveryResult]:
        results: list[DeliveryResult] = []
        try:
            for alert_id in alert_ids:
                result = self._deliver_entry(name, alert_id, None)
                if result is None:
                    continue
                results.append(result)
                if result.outcome == QUEUED:
                    break   # still down: the rest wait for the next pass, their backoff unchanged
        finally:
            with self._lock:
                self._draining.discard(name)
        return results

    def _collect(self, futures: Mapping[str, Future[DeliveryResult]], alert: Alert) -> list[DeliveryResult]:
        done, _ = wait_for(futures.values(), timeout=self._wait)
        return [future.result() if future in done else DeliveryResult(name, alert.alert_id, alert.check, IN_FLIGHT)
                for name, future in futures.items()]

    @overload
    def _deliver_entry(self, name: str, alert_id: str, alert: Alert) -> DeliveryResult: ...
    @overload
    def _deliver_entry(self, name: str, alert_id: str, alert: None) -> DeliveryResult | None: ...
    def _deliver_entry(self, name: str, alert_id: str, alert: Alert | None) -> DeliveryResult | None:
        """One delivery of one outbox row: up to `attempts` tries, then back to the outbox.
        None when the row is not there to take (delivered meanwhile, or leased by another dispatcher)."""
        policy = self.policy(name)
        if self._stopping.is_set():  # stopping: not attempted, it waits in the outbox for the next start
            return DeliveryResult(name, alert_id, alert.check if alert else "", QUEUED, error="stopping")
        entry = self.outbox.claim(alert_id, name, self._now(), policy.lease)
        if entry is None:
            if alert is None:
                return None
            return DeliveryResult(name, alert_id, alert.check, QUEUED, error="already in the outbox, retried later")
        return self._tell(self._attempt(self.destinations[name], entry, policy))

    def _attempt(self, destination: Destination, entry: OutboxEntry, policy: DeliveryPolicy) -> DeliveryResult:
        alert, name = entry.alert, entry.destination
        started = time.monotonic()
        error = DeliveryError("not attempted", retriable=True)
        tries = 0
        for tries in range(1, policy.attempts + 1):
            attempt_started = time.monotonic()
            try:
                destination.send(alert)
            except DeliveryError as failure:
                error = failure
            except Exception as failure:  # noqa: BLE001 - a destination bug must not lose the alert
                error = DeliveryError(f"{type(failure).__name__}: {failure}", retriable=True)
            else:
                self._log(logging.INFO, name, alert, entry.attempts + tries, "delivered", attempt_started)
                self.outbox.delivered(alert.alert_id, name)
                return DeliveryResult(name, alert.alert_id, alert.check, DELIVERED, tries,
                                      time.monotonic() - started)
            if not error.retriable:
                self._log(logging.ERROR, name, alert, entry.attempts + tries, "failed", attempt_started, error)
                self.outbox.fail(alert.alert_id, name, tries, str(error))
                return DeliveryResult(name, alert.alert_id, alert.check, FAILED, tries,
                                      time.monotonic() - started, str(error))
            pause = policy.wait_before(entry.attempts + tries, error, policy.max_wait)
            last_try = tries == policy.attempts or pause > policy.max_wait or self._stopping.is_set()
            self._log(logging.WARNING, name, alert, entry.attempts + tries, "queued" if last_try else "retry",
                      attempt_started, error, None if last_try else pause)
            if last_try:
                break
            self._sleep(pause)
            if not self.outbox.is_pending(alert.alert_id, name):  # superseded meanwhile: don't send a stale one
                return DeliveryResult(name, alert.alert_id, alert.check, SUPERSEDED, tries, time.monotonic() - started)
        later = policy.wait_before(entry.attempts + tries + 1, error, policy.max_outbox_wait)
        self.outbox.defer(alert.alert_id, name, tries, self._now() + later, str(error))
        return DeliveryResult(name, alert.alert_id, alert.check, QUEUED, tries, time.monotonic() - started, str(error))

    def _expire(self, now: float) -> list[DeliveryResult]:
        results = []
        for name in self.outbox.destinations():
            policy = self.policy(name)
            for entry in self.outbox.expire(name, now - policy.max_age.total_seconds()):
                log.error("delivery destination=%s alert=%s check=%s outcome=expired attempts=%d error=%s "
                          "(undelivered for over %s: given up)", name, entry.alert.alert_id, entry.alert.check,
                          entry.attempts, entry.last_error, policy.max_age)
                results.append(self._tell(DeliveryResult(name, entry.alert.alert_id, entry.alert.check, EXPIRED,
                                                         entry.attempts, error=entry.last_error)))
            if name not in self.destinations:
                log.warning("outbox holds alerts for destination %r, which is not configured: they wait until "
                            "it is configured again or they are %s old", name, policy.max_age)
        return results

    def _log(self, level: int, name: str, alert: Alert, attempt: int, outcome: str, started: float,
             error: DeliveryError | None = None, retry_in: float | None = None) -> None:
        log.log(level, "delivery destination=%s alert=%s check=%s status=%s attempt=%d outcome=%s seconds=%.3f%s%s",
                name, alert.alert_id, alert.check, alert.status.name, attempt, outcome,
                time.monotonic() - started, f" error={error}" if error else "",
                f" retry_in={retry_in:g}" if retry_in is not None else "")
