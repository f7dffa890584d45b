"""The daily report sent by the checker daemon, driven by a fake clock: due at 08:00 local time,
the window ending at the scheduled time, daylight saving time followed, config checked on load."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest

from tattletrail.checks.runner import Runner
from tattletrail.checks.scheduler import Checker
from tattletrail.config import ConfigError, ReportSchedule, load_config
from tattletrail.destinations import Dispatcher
from tattletrail.destinations.jsonl import JsonLinesDestination
from tattletrail.report.schedule import next_report_time, schedule_report
from tattletrail.stores import open_store
from tests.checks_engine_events import FakeClock
from tests.test_report import store_url  # noqa: F401  (the generated trail, scored, in DuckDB)


@pytest.mark.parametrize(("tz", "after", "due"), [
    ("Europe/Paris", datetime(2026, 11, 23, 5, 0), datetime(2026, 11, 23, 7, 0)),     # CET: UTC+1
    ("Europe/Paris", datetime(2026, 11, 23, 7, 0), datetime(2026, 11, 24, 7, 0)),     # just sent: tomorrow
    ("Europe/Paris", datetime(2026, 3, 28, 7, 0), datetime(2026, 3, 29, 6, 0)),       # CEST starts overnight
    ("America/New_York", datetime(2026, 11, 23, 20, 0), datetime(2026, 11, 24, 13, 0)),
    ("UTC", datetime(2026, 11, 23, 8, 0, 1), datetime(2026, 11, 24, 8, 0)),
])
def test_next_report_time_is_the_local_time_in_the_zone(tz: str, after: datetime, due: datetime) -> None:
    assert next_report_time(ReportSchedule(at="08:00", tz=tz, destinations=["x"]), after) == due


def test_the_checker_sends_the_report_every_morning_at_eight_paris_time(store_url: str, tmp_path: Path,  # noqa: F811
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 5, 0))
    store = open_store(store_url)
    sink = tmp_path / "reports.jsonl"
    dispatcher = Dispatcher({"secops": JsonLinesDestination("secops", sink)}, tmp_path / "outbox.sqlite")
    checker = Checker([], Runner(store, dispatcher=dispatcher, clock=clock), clock)
    settings = ReportSchedule(at="08:00", tz="Europe/Paris", since="24h", destinations=["secops"], top=5)
    with caplog.at_level(logging.INFO, logger="tattletrail.checker"):
        job = schedule_report(checker, settings, store, dispatcher)
        assert job is not None and job.next_run == datetime(2026, 11, 23, 7, 0)
        checker.serve(until=lambda: clock.now() >= datetime(2026, 11, 24, 12, 0))
    sent = [orjson.loads(line) for line in sink.read_bytes().splitlines()]
    assert [alert["window"] for alert in sent] == [
        {"start": "2026-11-22T07:00:00Z", "end": "2026-11-23T07:00:00Z"},
        {"start": "2026-11-23T07:00:00Z", "end": "2026-11-24T07:00:00Z"}]
    first = sent[0]
    assert (first["kind"], first["status"], first["created_at"]) == ("report", "CRITICAL", "2026-11-23T07:00:00Z")
    assert first["message"].startswith("critical threat — DeleteRoute on rtb-")
    assert (first["samples"][0]["eventName"], first["samples"][0]["actor"]) == ("DeleteRoute", "DOE1")
    assert len(first["samples"]) == 5 and first["suppressed"] > 0
    assert sent[0]["id"] != sent[1]["id"]
    assert clock.slept and sum(clock.slept) == pytest.approx((clock.now() - datetime(2026, 11, 23, 5, 0))
                                                             .total_seconds())  # waited on the fake clock only
    assert "report scheduled daily at 08:00 Europe/Paris to secops" in caplog.text
    assert "sent to 1 destination(s), 0 failed" in caplog.text


def test_a_late_run_still_reports_the_scheduled_window(store_url: str, tmp_path: Path) -> None:  # noqa: F811
    clock = FakeClock(datetime(2026, 11, 23, 6, 0))
    store = open_store(store_url)
    sink = tmp_path / "reports.jsonl"
    dispatcher = Dispatcher({"secops": JsonLinesDestination("secops", sink)}, tmp_path / "outbox.sqlite")
    checker = Checker([], Runner(store, dispatcher=dispatcher, clock=clock), clock)
    schedule_report(checker, ReportSchedule(at="07:00", destinations=["secops"]), store, dispatcher)
    clock.advance(timedelta(hours=2, minutes=13))  # the machine was asleep past 07:00
    checker.run_pending()
    (alert,) = [orjson.loads(line) for line in sink.read_bytes().splitlines()]
    assert alert["window"] == {"start": "2026-11-22T07:00:00Z", "end": "2026-11-23T07:00:00Z"}
    assert checker.next_due() == datetime(2026, 11, 24, 7, 0)


def test_no_report_without_the_setting_and_a_bad_setting_names_the_line(tmp_path: Path) -> None:
    assert load_config(_config(tmp_path, "store: duckdb:///x.duckdb\n")).checker.report is None
    loaded = load_config(_config(tmp_path, "checker:\n  report:\n    at: '08:00'\n    tz: Europe/Paris\n"
                                            "    destinations: [secops]\n"))
    assert loaded.checker.report == ReportSchedule(at="08:00", tz="Europe/Paris", destinations=["secops"])
    for body, words in [("checker:\n  report:\n    at: 8am\n    destinations: [a]\n", ":3:"),
                        ("checker:\n  report:\n    tz: Europe/Pariss\n    destinations: [a]\n", "Europe/Pariss"),
                        ("checker:\n  report:\n    destinations: [a]\n    sinse: 24h\n", "sinse")]:
        with pytest.raises(ConfigError) as raised:
            load_config(_config(tmp_path, body))
        assert words in str(raised.value) and "tattletrail.yml" in str(raised.value)


def _config(folder: Path, body: str) -> Path:
    path = folder / "tattletrail.yml"
    path.write_text(body)
    return path
