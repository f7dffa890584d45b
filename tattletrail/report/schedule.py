"""The report on a schedule: every day at `at` in a time zone, sent by the checker daemon.

`checker: report:` in the config (config.ReportSchedule) becomes one job on the checker's
scheduler, on the checker's own (injectable) clock, so a fake clock drives it in tests. A run
covers [due - since, due): the scheduled time, not the moment it ran, so a late run still reports
exactly "yesterday 08:00 → today 08:00".
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import schedule

from tattletrail.alert import Alert
from tattletrail.report.alert import report_alert
from tattletrail.checks.model import Check
from tattletrail.checks.scheduler import InjectedClockJob
from tattletrail.config import ReportSchedule
from tattletrail.report.gather import build_report
from tattletrail.stores.base import Store
from tattletrail.timespec import iso_utc, parse_duration, zone

if TYPE_CHECKING:
    from tattletrail.checks.notify import Delivery
    from tattletrail.checks.scheduler import Checker, SleepingClock
    from tattletrail.destinations import Dispatcher

log = logging.getLogger("tattletrail.checker")


def next_report_time(settings: ReportSchedule, after: datetime) -> datetime:
    """The first `at` (local time in `tz`) strictly after `after`, as naive UTC; daylight saving
    time moves it in UTC, never in local time."""
    local_zone = zone(settings.tz)
    hour, minute = (int(part) for part in settings.at.split(":"))
    day = after.replace(tzinfo=timezone.utc).astimezone(local_zone).date()
    for offset in range(3):
        local = datetime.combine(day + timedelta(days=offset), time(hour, minute), tzinfo=local_zone)
        due = local.astimezone(timezone.utc).replace(tzinfo=None)
        if due > after:
            return due
    raise AssertionError("unreachable: a daily time is always due within two days")


def send_report(store: Store, settings: ReportSchedule, dispatcher: Dispatcher, due: datetime, now: datetime,
                checks: Sequence[Check] = (), state_path: Path | None = None) -> tuple[Alert, list[Delivery]]:
    """Build the report of [due - since, due) — with the findings of the daemon's own `checks` and
    its state file — and deliver it as an alert to the destinations."""
    from tattletrail.checks.notify import deliver

    report = build_report(store, due - parse_duration(settings.since), due, generated_at=now, checks=checks,
                          state_path=state_path)
    alert = report_alert(report, created_at=now, samples=settings.top)
    return alert, deliver(alert, settings.destinations, dispatcher)


class DailyReportJob(InjectedClockJob):
    """Due every day at the report's local time, on the checker's clock."""

    def __init__(self, settings: ReportSchedule, scheduler: schedule.Scheduler, clock: SleepingClock) -> None:
        super().__init__(1, "days", scheduler, clock)
        self.settings = settings

    def _schedule_next_run(self) -> None:
        after = self.clock.now() if self.next_run is None else max(self.next_run, self.clock.now())
        self.next_run = next_report_time(self.settings, after)


def schedule_report(checker: Checker, settings: ReportSchedule | None, store: Store,
                    dispatcher: Dispatcher | None, checks: Sequence[Check] = (),
                    state_path: Path | None = None) -> DailyReportJob | None:
    """Add the daily report to the checker (nothing when the config has none, or it is disabled)."""
    if settings is None or not settings.enabled:
        return None
    if dispatcher is None:
        raise ValueError("a scheduled report needs a dispatcher to deliver it")

    def run(due: datetime) -> None:
        lag = (checker.clock.now() - due).total_seconds()
        alert, deliveries = send_report(store, settings, dispatcher, due, checker.clock.now(), checks, state_path)
        sent = sum(delivery.delivered for delivery in deliveries)
        queued = sum(delivery.queued for delivery in deliveries)
        failed = [delivery.destination for delivery in deliveries if not delivery.delivered and not delivery.queued]
        log.info("report %s → %s lag=%.1fs: %s; sent to %d destination(s), %d failed%s%s", iso_utc(alert.window_start),
                 iso_utc(alert.window_end), lag, alert.message.splitlines()[0], sent, len(failed),
                 f" ({', '.join(failed)})" if failed else "", f", {queued} queued for retry" if queued else "")

    job = DailyReportJob(settings, checker.scheduler, checker.clock)
    job.do(run)
    log.info("report scheduled daily at %s %s to %s; next at %s UTC", settings.at, settings.tz,
             ", ".join(settings.destinations), iso_utc(job.next_run))
    return job
