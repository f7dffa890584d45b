"""Alerts from the checker and from rules at ingest go through the Dispatcher: a destination that
answers 500 leaves the alert in the outbox, and a later retry delivers it exactly once. Real local
HTTP servers, a real DuckDB store, the checker on a fake clock; the ingest runs as the CLI does."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tattletrail.checks.model import load_checks
from tattletrail.checks.notify import checker_dispatcher
from tattletrail.checks.runner import Runner
from tattletrail.checks.scheduler import Checker
from tattletrail.checks.state import StateFile
from tattletrail.config import load_config
from tattletrail.destinations import dispatcher_from_config
from tattletrail.stores.duckdb.store import DuckDBStore
from tattletrail.timespec import utc_now
from tests.checks_engine_events import FakeClock, ingress, put
from tests.cloudtrail_files import write_log_file
from tests.rule_pack_events import DOE1, RTB, call

FIXTURES = Path(__file__).parent / "checks_fixtures"
T = datetime(2026, 11, 20, 16, 0, 0)
MINUTE = timedelta(minutes=1)
ROUTE = call("DeleteRoute", "ec2", {"routeTableId": RTB, "destinationCidrBlock": "0.0.0.0/0"}, {"_return": True}, DOE1,
             eventID="doe1-default-route")


def write_config(tmp_path: Path, server: HTTPServer) -> Path:
    """A webhook destination tried once per delivery (then the outbox), so no test waits on backoff."""
    config = tmp_path / "tattletrail.yml"
    config.write_text(f"destinations:\n  soc-hook:\n    type: webhook\n    url: {server.url_for('/hook')}\n"
                      "    attempts: 1\n")
    return config


def hook_requests(server: HTTPServer) -> list[tuple[int, dict]]:
    return [(response.status_code, json.loads(request.data)) for request, response in server.log]


def test_a_check_alert_refused_with_500_waits_in_the_outbox_and_a_later_cycle_delivers_it_once(
        httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    monkeypatch.delenv("TATTLETRAIL_OUTBOX", raising=False)
    store = DuckDBStore(tmp_path / "events.duckdb")
    put(store, [ingress(T - 10 * MINUTE, "mallory")], T - 9 * MINUTE)
    check = next(check for check in load_checks(FIXTURES) if check.name == "ingress-open-to-world")
    check = check.model_copy(update={"destinations": check.destinations.model_copy(update={"critical": ["soc-hook"]})})
    clock = FakeClock(T)
    state_path = tmp_path / "state" / "checks-state.sqlite"
    dispatcher = checker_dispatcher(load_config(write_config(tmp_path, httpserver)), state_path, clock=clock.now)
    assert dispatcher.outbox.path == tmp_path / "state" / "outbox.sqlite"  # beside the state file
    checker = Checker([check], Runner(store, state=StateFile(state_path, store.url), dispatcher=dispatcher,
                                      clock=clock), clock)
    httpserver.expect_oneshot_request("/hook").respond_with_data("upstream down", status=500)

    with caplog.at_level(logging.INFO, logger="tattletrail.checker"):
        checker.serve(until=lambda: clock.now() >= T + MINUTE)  # the 16:00 cycle
    assert [status for status, _ in hook_requests(httpserver)] == [500]
    assert dispatcher.backlog().pending == {"soc-hook": 1}
    assert "alert CRITICAL: ingress-open-to-world [actor=mallory] queued for soc-hook" in caplog.text
    assert "outbox: 1 alert(s) waiting for delivery (soc-hook 1)" in caplog.text
    assert "not delivered" not in caplog.text

    httpserver.expect_request("/hook").respond_with_data("ok")  # the receiver is fixed
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="tattletrail.checker"):
        checker.serve(until=lambda: clock.now() >= T + 4 * MINUTE)  # 16:01, 16:02, 16:03
    dispatcher.close()
    requests = hook_requests(httpserver)
    assert [status for status, _ in requests] == [500, 200]  # delivered once, not again by later cycles
    assert requests[0][1]["id"] == requests[1][1]["id"]
    assert (requests[1][1]["check"], requests[1][1]["group"]) == ("ingress-open-to-world", {"actor": "mallory"})
    assert "outbox: 1 queued alert(s) delivered" in caplog.text
    assert "waiting for delivery" not in caplog.text
    assert checker_dispatcher(load_config(tmp_path / "tattletrail.yml"), state_path).backlog().total_pending == 0


def write_rule_and_logs(tmp_path: Path) -> tuple[Path, Path]:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "network.yml").write_text(
        "name: route-gone\ndescription: The default route of a route table was deleted.\n"
        "query: eventName:DeleteRoute\nlevel: high\n"
        'annotation: "{actor} deleted {requestParameters.destinationCidrBlock} of '
        '{requestParameters.routeTableId}"\ndestinations: [soc-hook]\n')
    logs = tmp_path / "logs"
    write_log_file(logs / "111122223333_CloudTrail_eu-west-1_20261122T1650Z_route.json.gz", [ROUTE])
    return rules, logs


def ingest_cli(tmp_path: Path, rules: Path, logs: Path, config: Path, outbox: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "tattletrail", "ingest", str(logs), "--store", f"duckdb:///{tmp_path}/events.duckdb",
         "--rules", str(rules), "--json"], capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={"PATH": "/usr/bin", "HOME": str(tmp_path), "TATTLETRAIL_CONFIG": str(config),
             "TATTLETRAIL_OUTBOX": str(outbox)})
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_an_ingest_sends_one_rule_alert_to_the_webhook(httpserver: HTTPServer, tmp_path: Path):
    rules, logs = write_rule_and_logs(tmp_path)
    httpserver.expect_request("/hook").respond_with_data("ok")
    outbox = tmp_path / "queue" / "outbox.sqlite"
    summary = ingest_cli(tmp_path, rules, logs, write_config(tmp_path, httpserver), outbox)
    assert (summary["ingested"], summary["alerts_sent"], summary["alerts_failed"]) == (1, 1, [])
    ((status, alert),) = hook_requests(httpserver)
    assert (status, alert["kind"], alert["check"], alert["count"]) == (200, "rule", "route-gone", 1)
    assert alert["message"] == f"DOE1 deleted 0.0.0.0/0 of {RTB}"
    assert outbox.exists()  # $TATTLETRAIL_OUTBOX, not the user data directory


def test_a_rule_alert_for_a_destination_down_at_ingest_is_delivered_by_a_later_retry(httpserver: HTTPServer,
                                                                                    tmp_path: Path):
    rules, logs = write_rule_and_logs(tmp_path)
    config = write_config(tmp_path, httpserver)
    outbox = tmp_path / "queue" / "outbox.sqlite"
    httpserver.expect_oneshot_request("/hook").respond_with_data("maintenance", status=503)
    summary = ingest_cli(tmp_path, rules, logs, config, outbox)
    assert (summary["ingested"], summary["alerts_sent"]) == (1, 0)
    (failure,) = summary["alerts_failed"]
    assert failure.startswith("route-gone → soc-hook: queued in the outbox, retried later: HTTP 503")

    httpserver.expect_request("/hook").respond_with_data("ok")  # back up
    later = lambda: utc_now() + timedelta(minutes=5)  # noqa: E731 - past the outbox's backoff
    with dispatcher_from_config(load_config(config), outbox, clock=later) as dispatcher:
        assert dispatcher.backlog().pending == {"soc-hook": 1}
        (result,) = dispatcher.retry_pending()
        assert (result.outcome, result.check) == ("delivered", "route-gone")
        assert dispatcher.retry_pending() == [] and dispatcher.backlog().total_pending == 0
    requests = hook_requests(httpserver)
    assert [status for status, _ in requests] == [503, 200]
    assert requests[0][1]["id"] == requests[1][1]["id"] and requests[1][1]["kind"] == "rule"
