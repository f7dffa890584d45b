"""The checker daemon: each enabled check on its own interval (the `schedule` library), lag logged.

`schedule` reads the wall clock itself; ClockedJob makes its jobs read an injected clock instead,
so tests drive the daemon with a fake clock and never sleep. Runs are due on a fixed grid (start,
start + interval, …): a late run is logged with its lag and the grid is kept, skipping the slots
already past (the catch-up window in the state covers what they would have counted).

Delivery runs beside the scheduler, never in it: the daemon's dispatcher waits for nothing (wait 0),
each destination sends on its own worker thread, so a destination that is down (timeouts, retries
with backoff) never delays a check. Every cycle hands what the outbox still holds to those workers
(`retry_deliveries`), so an alert a destination refused is delivered once it is back.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Callable, Protocol

import schedule

from tattletrail.alert import Status
from tattletrail.checks.model import Check
from tattletrail.checks.runner import CheckRun, Runner, SystemClock

log = logging.getLogger("tattletrail.checker")


class SleepingClock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        """Wait `seconds`, or less if `stop` is set."""


class WallClock(SystemClock):
    def sleep(self, seconds: float, stop: threading.Event) -> None:
        stop.wait(seconds)


class InjectedClockJob(schedule.Job):
    """A `schedule` job that reads an injected clock and passes its due time to the job; a
    subclass says when it is due next (`_schedule_next_run`)."""

    def __init__(self, interval: int, unit: str, scheduler: schedule.Scheduler, clock: SleepingClock) -> None:
        super().__init__(interval, scheduler)
        self.unit = unit
        self.clock = clock

    @property
    def should_run(self) -> bool:
        return self.next_run is not None and self.clock.now() >= self.next_run

    def run(self) -> object:
        due = self.next_run
        assert self.job_func is not None, "a job is run only once `do` gave it its function"
        result = self.job_func(due=due)
        self.last_run = self.clock.now()
        self._schedule_next_run()
        return result


class ClockedJob(InjectedClockJob):
    """Due on a fixed grid: start, start + interval, …"""

    def __init__(self, interval: timedelta, scheduler: schedule.Scheduler, clock: SleepingClock) -> None:
        super().__init__(int(interval.total_seconds()), "seconds", scheduler, clock)
        self.period = interval

    def _schedule_next_run(self) -> None:
        now = self.clock.now()
        if self.next_run is None:  # the first run is right away: catch up on what happened while away
            self.next_run = now
            return
        while self.next_run <= now:
            self.next_run += self.period


class Checker:
    """Runs checks on their intervals until stopped; `runs` keeps what each run found (for tests)."""

    def __init__(self, checks: list[Check], runner: Runner, clock: SleepingClock,
                 on_run: Callable[[CheckRun, float], None] | None = None) -> None:
        self.runner = runner
        self.clock = clock
        self.stop_event = threading.Event()
        self.scheduler = schedule.Scheduler()
        self.on_run = on_run
        self.stop_reason: str | None = None
        self._silences_in_force: set[str] = set()
        for check in checks:
            if check.enabled:
                job = ClockedJob(check.interval, self.scheduler, clock)
                job.do(self._run_one, check)

    def _run_one(self, check: Check, due: datetime) -> None:
        lag = (self.clock.now() - due).total_seconds()
        try:
            run = self.runner.run(check)
        except Exception as error:  # noqa: BLE001 - e.g. the state file unwritable: say so, retry next interval
            log.error("check %s could not run (lag=%.1fs): %s: %s; it runs again at its next interval",
                      check.name, lag, type(error).__name__, error)
            log.debug("check %s could not run", check.name, exc_info=True)
            return
        if self.on_run:  # first: metrics are up to date when the run's log line appears
            self.on_run(run, lag)
        failed = [delivery for delivery in run.deliveries if not delivery.delivered and not delivery.queued]
        for result in run.results:  # UNKNOWN (the store could not answer) is one WARNING line, no traceback
            level = logging.WARNING if result.status is Status.UNKNOWN else logging.INFO
            log.log(level, "%s lag=%.1fs took=%.2fs", result.sensu_line(), lag, run.seconds)
        if run.alerts:
            log.info("check %s: %d alert(s) handed to delivery, %d delivery failure(s)", check.name,
                     len(run.alerts), len(failed))

    def next_due(self) -> datetime | None:
        return min((job.next_run for job in self.scheduler.jobs if job.next_run is not None), default=None)

    def serve(self, until: Callable[[], bool] = lambda: False) -> None:
        """Run due checks, sleep until the next is due, until `stop()` (or `until()` is true)."""
        log.info("checker started: %d check(s)", len(self.scheduler.jobs))
        while not self.stop_event.is_set() and not until():
            self.note_silences()
            self.run_pending()
            self.retry_deliveries()
            upcoming = self.next_due()
            if upcoming is None:
                break
            wait = (upcoming - self.clock.now()).total_seconds()
            if wait > 0 and not self.stop_event.is_set():
                self.clock.sleep(min(wait, 60.0), self.stop_event)
        if self.stop_reason:
            log.info("%s: stopped after the current run", self.stop_reason)
        log.info("checker stopped")

    def run_pending(self) -> None:
        """Every due check, earliest first; a stop request is honoured between two checks."""
        due = sorted(job for job in self.scheduler.jobs if job.should_run)
        if not due:
            return
        with self.runner.store.reading():
            for job in due:
                if self.stop_event.is_set():
                    return
                job.run()  # type: ignore[no-untyped-call]  # schedule.Job's is untyped; each job here is a ClockedJob

    def note_silences(self) -> None:
        """Log each silence (or maintenance window) as it comes into force and as it ends, and drop
        the ended ones from the state file."""
        book = self.runner.silences
        if book is None:
            return
        now = self.clock.now()
        try:
            in_force = {silence.label for silence in book.in_force(now)}
            if book.silence_file is not None:
                book.silence_file.expire(now)
        except Exception as error:  # noqa: BLE001 - e.g. the state file locked: retried next cycle
            log.error("could not read the silences: %s: %s; trying again next cycle", type(error).__name__, error)
            return
        for label in sorted(in_force - self._silences_in_force):
            log.info("%s: in force (breaches are recorded, not notified)", label)
        for label in sorted(self._silences_in_force - in_force):
            log.info("%s: ended (notifications resume)", label)
        self._silences_in_force = in_force

    def retry_deliveries(self) -> None:
        """Try the outbox again (what earlier cycles, or a previous process, could not deliver)
        and say what still waits. A failure here is logged, never fatal: the next cycle retries."""
        dispatcher = self.runner.dispatcher
        if dispatcher is None:
            return
        try:
            results = dispatcher.retry_pending()
            backlog = dispatcher.backlog()
        except Exception as error:  # noqa: BLE001 - e.g. the outbox file locked or unwritable: retried next cycle
            log.error("could not retry the outbox %s: %s: %s; trying again next cycle", dispatcher.outbox.path,
                      type(error).__name__, error)
            return
        delivered = sum(result.ok for result in results)
        if delivered:
            log.info("outbox: %d queued alert(s) delivered", delivered)
        if backlog.total_pending:
            waiting = ", ".join(f"{name} {count}" for name, count in sorted(backlog.pending.items()))
            log.warning("outbox: %d alert(s) waiting for delivery (%s), oldest queued at %s UTC",
                        backlog.total_pending, waiting, f"{backlog.oldest_pending:%Y-%m-%d %H:%M:%S}")

    def stop(self, reason: str | None = None) -> None:
        """Ask serve() to return after the current run. Safe in a signal handler: it only sets a flag
        (logging from a handler could re-enter a write already under way)."""
        self.stop_reason = self.stop_reason or reason
        self.stop_event.set()
