"""Running a check: the effects around the pure core (clock, store, state file, destinations).

    runner = Runner(store, state=StateFile(path, store.url), dispatcher=dispatcher)
    run = runner.run(check)          # observe → evaluate → alerts delivered → state saved

The dispatcher (destinations.Dispatcher) sends each alert with retries and keeps what is not yet
delivered in its outbox. Without a dispatcher a runner is read-only: it counts the plain window and prints, and neither
notifies nor changes the state file, so `check run` as a Sensu/Nagios plugin never disturbs the
checker daemon.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from tattletrail.alert import Alert, SampleEvent, Status
from tattletrail.checks.baseline import BaselineFile
from tattletrail.checks.evaluate import (Evaluation, Failure, Notification, Observation, Result, Window, evaluate,
                                         window_for)
from tattletrail.checks.explore import explore
from tattletrail.checks.model import Check, Kind
from tattletrail.checks.notify import Delivery, deliver
from tattletrail.checks.observe import holds_events, observe, sample_tree, samples
from tattletrail.checks.silence import SilenceBook
from tattletrail.checks.state import CheckState, StateFile
from tattletrail.destinations import Dispatcher
from tattletrail.stores import Store, unavailable_reason
from tattletrail.timespec import utc_now

log = logging.getLogger("tattletrail.checker")


class Clock(Protocol):
    def now(self) -> datetime:
        """Naive UTC."""


class SystemClock:
    def now(self) -> datetime:
        return utc_now()


class FixedClock:
    """One instant for a whole `check run`, so every line's window ends at the same second."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


@dataclass
class CheckRun:
    """One run of one check: its results (one per group), and the alerts it sent and how."""

    check: Check
    window: Window
    results: list[Result]
    alerts: list[Alert] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def worst(self) -> Status:
        return max((result.status for result in self.results), default=Status.OK)


class Runner:
    def __init__(self, store: Store, *, state: StateFile | None = None,
                 dispatcher: Dispatcher | None = None, dashboards_url: str | None = None,
                 clock: Clock | None = None, silences: SilenceBook | None = None,
                 baselines: BaselineFile | None = None) -> None:
        self.store = store
        self.baselines = baselines  # new_value baselines kept between runs (checks/baseline.py)
        self.state = state
        self.dispatcher = dispatcher
        self.dashboards_url = dashboards_url
        self.clock = clock or SystemClock()
        self.silences = silences

    @property
    def notifies(self) -> bool:
        return self.dispatcher is not None

    def run(self, check: Check) -> CheckRun:
        started = time.perf_counter()
        now = self.clock.now()
        state = self.state.load(check.name, check.fingerprint) if self.state else CheckState(check.fingerprint)
        window = window_for(check, now, state.last_end if self.notifies else None)
        silences = self.silences.in_force(now) if self.silences else []
        evaluation = evaluate(check, window, self._observe(check, window, state), state, now, silences)
        run = CheckRun(check, window, evaluation.results)
        if self.notifies:
            assert self.dispatcher is not None
            for notification in evaluation.notifications:
                alert = self.alert_of(check, notification, now)
                run.alerts.append(alert)
                stream = alert.dedup_key if check.kind is Kind.count else None  # new values are events
                run.deliveries.extend(deliver(alert, notification.destinations, self.dispatcher, stream))
            if self.state:
                self.state.save(check.name, evaluation.state)
        run.seconds = time.perf_counter() - started
        return run

    def _observe(self, check: Check, window: Window, state: CheckState) -> Observation | Failure:
        try:
            observed = observe(check, self.store, window, state, self.baselines)
            if observed.is_empty and not holds_events(self.store):
                return Failure(f"the store {self.store.url} holds no events: nothing was ingested there, so no "
                               "check can say OK (run `tattletrail ingest`, or check --store)")
            return observed
        except Exception as error:  # noqa: BLE001 - any store or query failure is UNKNOWN, never OK
            log.debug("check %s: the store failed", check.name, exc_info=True)
            reason = unavailable_reason(error) or f"{type(error).__name__}: {error}".rstrip(": ")
            return Failure(f"the store could not answer: {reason}")

    def evaluate_only(self, check: Check, now: datetime, state: CheckState) -> Evaluation:
        """Observe and evaluate at `now` with a given state, delivering nothing (replays)."""
        window = window_for(check, now, state.last_end)
        return evaluate(check, window, self._observe(check, window, state), state, now)

    def alert_of(self, check: Check, notification: Notification, now: datetime) -> Alert:
        result = notification.result
        shown: tuple[SampleEvent, ...] = ()
        matching = 0  # events behind the alert: "… and N more" is this minus the samples
        if result.status in (Status.WARNING, Status.CRITICAL):
            tree = sample_tree(check, result.window, result.key, result.new_values)
            try:
                shown = samples(self.store, tree, check.samples)
                matching = result.count or 0 if check.kind is Kind.count else self.store.count(tree).total
            except Exception as error:  # noqa: BLE001 - the alert goes out without samples rather than not at all
                log.warning("check %s: could not read sample events: %s: %s", check.name, type(error).__name__, error)
        explore_url, explore_command = explore(self.store, self.dashboards_url, check, result.window,
                                               result.key, result.new_values)
        message = result.message
        if notification.suppressed:
            message += f" ({notification.suppressed} repeat{'s' if notification.suppressed != 1 else ''} " \
                       f"suppressed since the last notification)"
        return Alert(
            check=check.name, status=result.status, previous=notification.previous, count=result.count,
            window_start=result.window.start, window_end=result.window.end, query=check.counted_query,
            description=check.description, group=dict(result.group), warning=result.warning,
            critical=result.critical, direction=check.direction.value, message=message, samples=shown,
            suppressed=max(matching - len(shown), 0), severity=check.severity, tags=tuple(check.tags),
            explore_url=explore_url, explore_command=explore_command, kind="check", created_at=now)
