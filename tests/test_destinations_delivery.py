"""Delivery: retries, Retry-After, timeouts that block no one, the outbox across restarts, no
secrets in logs. Real local HTTP servers; the clock and the waits between retries are injected."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tattletrail.destinations import build_destination
from tattletrail.destinations.delivery import DeliveryPolicy, Dispatcher
from tattletrail.destinations.outbox import Outbox
from tests.destination_alerts import route_deleted_alert

NOW = datetime(2026, 11, 22, 16, 46)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Waits(list):
    """Stands in for time.sleep between retries: records how long the dispatcher would wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def webhook(server: HTTPServer, path: str = "/hook", **settings: object):
    return build_destination(path.strip("/"), {"type": "webhook", "url": server.url_for(path), **settings})


def statuses(server: HTTPServer) -> list[int]:
    return [response.status_code for _, response in server.log]


@pytest.fixture
def outbox_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "outbox.sqlite"


def test_500_then_200_is_delivered_on_the_second_try_after_a_backoff(httpserver: HTTPServer, outbox_path):
    httpserver.expect_oneshot_request("/hook").respond_with_data("down", status=500)
    httpserver.expect_request("/hook").respond_with_data("ok")
    waits = Waits()
    with Dispatcher({"hook": webhook(httpserver)}, outbox_path, sleep=waits,
                    policies={"hook": DeliveryPolicy(attempts=3, backoff=1.5)}) as dispatcher:
        (result,) = dispatcher.deliver(route_deleted_alert(), ["hook"])
        assert (result.outcome, result.attempts, result.error) == ("delivered", 2, None)
        assert statuses(httpserver) == [500, 200]
        assert waits == [1.5]
        assert dispatcher.backlog().total_pending == 0


def test_backoff_doubles_then_the_alert_waits_in_the_outbox(httpserver: HTTPServer, outbox_path):
    httpserver.expect_request("/hook").respond_with_data("down", status=503)
    waits = Waits()
    with Dispatcher({"hook": webhook(httpserver)}, outbox_path, sleep=waits, clock=Clock(),
                    policies={"hook": DeliveryPolicy(attempts=4, backoff=1)}) as dispatcher:
        (result,) = dispatcher.deliver(route_deleted_alert(), ["hook"])
        assert (result.outcome, result.attempts) == ("queued", 4)
        assert result.error == "HTTP 503 from localhost: down"
        assert waits == [1, 2, 4]
        backlog = dispatcher.backlog()
        assert backlog.pending == {"hook": 1} and backlog.oldest_pending == NOW


def test_429_retry_after_is_honoured(httpserver: HTTPServer, outbox_path):
    httpserver.expect_oneshot_request("/hook").respond_with_data("slow down", status=429, headers={"Retry-After": "3"})
    httpserver.expect_request("/hook").respond_with_data("ok")
    waits = Waits()
    with Dispatcher({"hook": webhook(httpserver)}, outbox_path, sleep=waits) as dispatcher:
        (result,) = dispatcher.deliver(route_deleted_alert(), ["hook"])
    assert (result.outcome, result.attempts) == ("delivered", 2)
    assert waits == [3.0]


def test_a_long_retry_after_sends_the_alert_to_the_outbox_until_that_time(httpserver: HTTPServer, outbox_path):
    httpserver.expect_oneshot_request("/hook").respond_with_data("later", status=429, headers={"Retry-After": "600"})
    httpserver.expect_request("/hook").respond_with_data("ok")
    clock, waits = Clock(), Waits()
    with Dispatcher({"hook": webhook(httpserver)}, outbox_path, sleep=waits, clock=clock) as dispatcher:
        (result,) = dispatcher.deliver(route_deleted_alert(), ["hook"])
        assert (result.outcome, waits) == ("queued", [])
        clock.advance(seconds=599)
        assert dispatcher.retry_pending() == []
        assert statuses(httpserver) == [429]
        clock.advance(seconds=2)
        (retried,) = dispatcher.retry_pending()
        assert retried.outcome == "delivered"
        assert statuses(httpserver) == [429, 200]


def test_a_permanent_error_is_not_retried_and_is_kept_as_failed(httpserver: HTTPServer, outbox_path):
    httpserver.expect_request("/hook").respond_with_data("no such hook", status=404)
    waits = Waits()
    with Dispatcher({"hook": webhook(httpserver)}, outbox_path, sleep=waits, clock=Clock()) as dispatcher:
        (result,) = dispatcher.deliver(route_deleted_alert(), ["hook"])
        assert (result.outcome, result.attempts, waits) == ("failed", 1, [])
        assert dispatcher.retry_pending() == []
        assert dispatcher.backlog().failed == {"hook": 1}
    assert statuses(httpserver) == [404]


@pytest.fixture
def stuck_server() -> Iterator[HTTPServer]:
    """A server that accepts the request and never answers (until the test ends)."""
    release = threading.Event()
    server = HTTPServer(threaded=True)
    server.expect_request("/stuck").respond_with_handler(lambda request: release.wait(10) and Response("late"))
    server.start()
    yield server
    release.set()
    server.stop()


def test_a_destination_that_times_out_does_not_delay_another(stuck_server: HTTPServer, httpserver: HTTPServer,
                                                            outbox_path):
    arrivals: list[float] = []

    def record(request: Request) -> Response:
        arrivals.append(time.monotonic())
        return Response("ok")
    httpserver.expect_request("/fast").respond_with_handler(record)
    destinations = {"stuck": webhook(stuck_server, "/stuck", timeout=1.0), "fast": webhook(httpserver, "/fast")}
    waits = Waits()
    with Dispatcher(destinations, outbox_path, sleep=waits, policies={"stuck": DeliveryPolicy(attempts=2)}) as dispatcher:
        started = time.monotonic()
        results = {result.destination: result for result in dispatcher.deliver(route_deleted_alert(), ["stuck", "fast"])}
        finished = time.monotonic() - started
    assert results["fast"].outcome == "delivered"
    assert arrivals[0] - started < 0.5, "the fast destination waited for the stuck one"
    assert results["fast"].seconds < 0.5
    assert results["stuck"].outcome == "queued"
    assert results["stuck"].error == "no answer from localhost within 1 s"
    assert (results["stuck"].attempts, waits) == (2, [1.0])
    assert 2.0 <= finished < 4.0


def test_deliver_can_return_before_a_stuck_destination_finishes(stuck_server: HTTPServer, httpserver: HTTPServer,
                                                               outbox_path):
    httpserver.expect_request("/fast").respond_with_data("ok")
    destinations = {"stuck": webhook(stuck_server, "/stuck", timeout=1.5), "fast": webhook(httpserver, "/fast")}
    with Dispatcher(destinations, outbox_path, wait=0.5, sleep=Waits(),
                    policies={"stuck": DeliveryPolicy(attempts=1)}) as dispatcher:
        started = time.monotonic()
        results = {result.destination: result.outcome for result in dispatcher.deliver(route_deleted_alert())}
        assert time.monotonic() - started < 1.5
        assert results == {"fast": "delivered", "stuck": "in-flight"}
    assert Dispatcher({}, outbox_path).backlog().pending == {"stuck": 1}


def test_undelivered_alerts_survive_a_restart_and_are_delivered_once(httpserver: HTTPServer, outbox_path):
    alerts = [route_deleted_alert(), route_deleted_alert(group={"account": "444455556666"})]
    httpserver.expect_request("/hook").respond_with_data("down", status=502)
    clock = Clock()
    with Dispatcher({"hook": webhook(httpserver)}, outbox_path, sleep=Waits(), clock=clock,
                    policies={"hook": DeliveryPolicy(attempts=2)}) as first_run:
        assert [first_run.deliver(alert, ["hook"])[0].outcome for alert in alerts] == ["queued", "queued"]
    assert statuses(httpserver) == [502] * 4

    # The process ends; the destination comes back; a new process opens the same outbox.
    httpserver.clear()
    received: list[str] = []
    httpserver.expect_request("/hook").respond_with_handler(
        lambda request: received.append(request.get_json()["id"]) or Response("ok"))
    clock.advance(minutes=10)
    with Dispatcher({"hook": webhook(httpserver)}, outbox_path, sleep=Waits(), clock=clock) as second_run:
        assert second_run.backlog().pending == {"hook": 2}
        results = second_run.retry_pending()
        assert sorted(result.outcome for result in results) == ["delivered", "delivered"]
        assert second_run.retry_pending() == []
        assert second_run.backlog().total_pending == 0
    assert sorted(received) == sorted(alert.alert_id for alert in alerts)


def test_an_alert_queued_before_a_crash_is_sent_by_the_next_process(httpserver: HTTPServer, outbox_path):
    alert = route_deleted_alert()
    crashed = Outbox(outbox_path)
    crashed.add(alert, "hook", NOW.timestamp())   # written, then the process died
    crashed.close()
    httpserver.expect_request("/hook").respond_with_data("ok")
    with Dispatcher({"hook": webhook(httpserver)}, outbox_path, clock=Clock(NOW + timedelta(seconds=1))) as dispatcher:
        (result,) = dispatcher.retry_pending()
    assert (result.outcome, result.alert_id) == ("delivered", alert.alert_id)
    assert httpserver.log[0][0].get_json() == alert.to_json()


def test_an_alert_older_than_max_age_is_given_up_and_logged(httpserver: HTTPServer, outbox_path, caplog):
    httpserver.expect_request("/hook").respond_with_data("down", status=500)
    clock = Clock()
    policies = {"hook": DeliveryPolicy(attempts=1, max_age=timedelta(hours=2))}
    with Dispatcher({"hook": webhook(httpserver)}, outbox_path, sleep=Waits(), clock=clock,
                    policies=policies) as dispatcher:
        dispatcher.deliver(route_deleted_alert(), ["hook"])
        clock.advance(hours=2, seconds=1)
        with caplog.at_level(logging.ERROR, logger="tattletrail.delivery"):
            (result,) = dispatcher.retry_pending()
        assert (result.outcome, result.error) == ("expired", "HTTP 500 from localhost: down")
        assert "outcome=expired" in caplog.text
        assert dispatcher.backlog().pending == {} and dispatcher.backlog().expired == {"hook": 1}
    assert statuses(httpserver) == [500]


def test_the_same_alert_delivered_twice_is_not_sent_twice_while_queued(httpserver: HTTPServer, outbox_path):
    httpserver.expect_request("/hook").respond_with_data("down", status=500)
    with Dispatcher({"hook": webhook(httpserver)}, outbox_path, sleep=Waits(), clock=Clock(),
                    policies={"hook": DeliveryPolicy(attempts=1)}) as dispatcher:
        alert = route_deleted_alert()
        assert dispatcher.deliver(alert, ["hook"])[0].outcome == "queued"
        again = dispatcher.deliver(alert, ["hook"])[0]
        assert (again.outcome, again.attempts) == ("queued", 0)
        assert dispatcher.backlog().pending == {"hook": 1}
    assert statuses(httpserver) == [500]


def test_an_unknown_destination_name_fails_clearly_and_others_still_deliver(httpserver: HTTPServer, outbox_path):
    httpserver.expect_request("/hook").respond_with_data("ok")
    with Dispatcher({"hook": webhook(httpserver)}, outbox_path) as dispatcher:
        results = {result.destination: result for result in dispatcher.deliver(route_deleted_alert(), ["slak", "hook"])}
    assert results["hook"].ok
    assert results["slak"].error == "unknown destination 'slak' (configured: hook)"


def test_no_secret_reaches_the_logs_results_or_reprs(httpserver: HTTPServer, outbox_path, monkeypatch, caplog):
    slack_token, hook_secret, pd_key = "xoxb-SLACKTOKEN-0001", "HMAC-SECRET-0002", "PDROUTINGKEY0003"
    monkeypatch.setenv("SLACK_WEBHOOK_URL", httpserver.url_for(f"/services/T1/B2/{slack_token}"))
    monkeypatch.setenv("HOOK_SECRET", hook_secret)
    monkeypatch.setenv("HOOK_AUTH", f"Bearer {hook_secret}")
    monkeypatch.setenv("PD_KEY", pd_key)
    httpserver.expect_oneshot_request(f"/services/T1/B2/{slack_token}").respond_with_data("no_service", status=500)
    httpserver.expect_request(f"/services/T1/B2/{slack_token}").respond_with_data("no_team", status=403)
    httpserver.expect_request("/hook").respond_with_data("oops", status=500)
    httpserver.expect_request("/enqueue").respond_with_data("invalid", status=400)
    settings = {
        "slack": {"type": "slack", "url": "${SLACK_WEBHOOK_URL}"},
        "hook": {"type": "webhook", "url": httpserver.url_for("/hook"), "secret": "${HOOK_SECRET}",
                 "headers": {"Authorization": "${HOOK_AUTH}"}},
        "pager": {"type": "pagerduty", "routing_key": "${PD_KEY}", "url": httpserver.url_for("/enqueue")},
        "gone": {"type": "slack", "url": "${SLACK_WEBHOOK_URL}"},
    }
    destinations = {name: build_destination(name, value) for name, value in settings.items()}
    monkeypatch.setenv("SLACK_WEBHOOK_URL", httpserver.url_for(f"/services/T1/B2/{slack_token}"))
    with caplog.at_level(logging.DEBUG):
        with Dispatcher(destinations, outbox_path, sleep=Waits(),
                        policies={name: DeliveryPolicy(attempts=2) for name in destinations}) as dispatcher:
            results = dispatcher.deliver(route_deleted_alert(), list(destinations))
    assert {result.destination: result.outcome for result in results} == \
        {"slack": "failed", "hook": "queued", "pager": "failed", "gone": "failed"}
    # Everything logged, except the test server's own access log (which shows the path it served).
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name != "werkzeug")
    exposed = logged + repr(results) + repr(destinations) + "".join(repr(d.settings) for d in destinations.values())
    assert "attempt=2" in logged
    for secret in (slack_token, hook_secret, pd_key):
        assert secret not in exposed


def test_two_dispatchers_sharing_an_outbox_send_each_alert_once(httpserver: HTTPServer, outbox_path):
    """Two checkers (or a checker and a late in-flight delivery) draining one outbox at once."""
    alerts = [route_deleted_alert(group={"account": f"1111222233{index:02d}"}) for index in range(20)]
    queued = Outbox(outbox_path)
    for alert in alerts:
        queued.add(alert, "hook", NOW.timestamp())
    queued.close()
    received: list[str] = []
    httpserver.expect_request("/hook").respond_with_handler(
        lambda request: received.append(request.get_json()["id"]) or Response("ok"))
    later = Clock(NOW + timedelta(seconds=1))
    first = Dispatcher({"hook": webhook(httpserver)}, outbox_path, clock=later)
    second = Dispatcher({"hook": webhook(httpserver)}, outbox_path, clock=later)
    outcomes: list[str] = []
    threads = [threading.Thread(target=lambda d=d: outcomes.extend(r.outcome for r in d.retry_pending()))
               for d in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first.close()
    second.close()
    assert sorted(received) == sorted(alert.alert_id for alert in alerts)
    assert outcomes.count("delivered") == 20


@pytest.mark.parametrize(("header", "seconds"), [("120", 120.0), ("1.5", 1.5), ("Sun, 22 Nov 2026 16:47:30 GMT", 90.0),
                                                 ("Sun, 22 Nov 2026 16:40:00 GMT", 0.0), ("soon", None)])
def test_retry_after_is_read_as_seconds_or_an_http_date(header, seconds):
    from datetime import timezone

    from tattletrail.destinations.http import retry_after
    assert retry_after(header, now=NOW.replace(tzinfo=timezone.utc)) == seconds


def test_a_destination_still_down_costs_one_delivery_per_outbox_pass_not_one_per_alert(httpserver: HTTPServer,
                                                                                        outbox_path):
    httpserver.expect_request("/hook").respond_with_data("down", status=503)
    clock = Clock()
    with Dispatcher({"hook": webhook(httpserver)}, outbox_path, sleep=Waits(), clock=clock,
                    policies={"hook": DeliveryPolicy(attempts=2)}) as dispatcher:
        for index in range(5):
            dispatcher.deliver(route_deleted_alert(group={"account": f"11112222333{index}"}), ["hook"])
        assert len(httpserver.log) == 10
        clock.advance(hours=1)
        results = dispatcher.retry_pending()
        assert [result.outcome for result in results] == ["queued"]
        assert len(httpserver.log) == 12
        assert dispatcher.backlog().pending == {"hook": 5}
