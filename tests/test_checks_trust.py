"""The checker never says OK when it can't know, keeps alerts in order, never stalls on a
destination, and can be silenced (issue 14). Real DuckDB files, a real local HTTP receiver that
goes down and comes back, the daemon and `check run` as subprocesses; the clock injected."""

from __future__ import annotations

import json
import logging
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tattletrail.alert import Status
from tattletrail.checks.evaluate import Observation, Window, evaluate
from tattletrail.checks.model import Check, load_checks
from tattletrail.checks.notify import checker_dispatcher
from tattletrail.checks.replay import replay
from tattletrail.checks.runner import Runner
from tattletrail.checks.scheduler import Checker
from tattletrail.checks.silence import Silence, SilenceBook, SilenceFile
from tattletrail.checks.state import CheckState, StateFile
from tattletrail.config import ConfigError, MaintenanceWindow, load_config
from tattletrail.destinations.content import plain_text, summarize
from tattletrail.event import normalize
from tattletrail.metrics import DeliveryMetrics
from tattletrail.stores.base import Batch
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.checks_engine_events import ACCOUNT, FakeClock, describe, ingress, put

FIXTURES = Path(__file__).parent / "checks_fixtures"
CODE = {"PYTHONPATH": str(Path(__file__).resolve().parents[1])}
T = datetime(2026, 11, 20, 16, 0, 0)
MINUTE = timedelta(minutes=1)


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tattletrail", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env={"COLUMNS": "200", "PATH": "/usr/bin", "HOME": str(cwd), **CODE, **(env or {})})


def fixture_check(name: str, **changes: object) -> Check:
    check = next(check for check in load_checks(FIXTURES) if check.name == name)
    return check.model_copy(update=changes) if changes else check


def hook_config(tmp_path: Path, url: str, **extra: str) -> Path:
    config = tmp_path / "tattletrail.yml"
    lines = [f"destinations:\n  alerts:\n    type: webhook\n    url: {url}\n    attempts: 1\n    backoff: 0.05\n"
             "    timeout: 30\n"]
    lines += [f"{key}: {value}\n" for key, value in extra.items()]
    config.write_text("".join(lines))
    return config


def received(server: HTTPServer) -> list[tuple[int, dict]]:
    return [(response.status_code, json.loads(request.data)) for request, response in server.log]


# -- False OK → UNKNOWN ------------------------------------------------------------------------------

def test_a_store_that_does_not_exist_is_unknown_and_is_never_created(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "x.duckdb"
    result = run_cli("check", "run", "ingress-open-to-world", "--checks", str(FIXTURES), "--store",
                     f"duckdb://{missing}", cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.startswith("UNKNOWN: ") and "no store here yet" in result.stdout
    assert not (tmp_path / "no").exists()
    daemon = run_cli("checker", "--checks", str(FIXTURES), "--store", f"duckdb://{missing}", "--state",
                     str(tmp_path / "state.sqlite"), cwd=tmp_path, env={"TATTLETRAIL_CONFIG": "/dev/null"})
    assert daemon.returncode != 0 and "no store here yet" in daemon.stderr
    assert not (tmp_path / "no").exists()


def test_an_empty_store_is_unknown_with_the_reason(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "empty.duckdb")  # made by a setup, nothing ingested
    result = run_cli("check", "run", "ingress-open-to-world", "--checks", str(FIXTURES), "--store", store.url,
                     cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert re.fullmatch(r"ingress-open-to-world UNKNOWN: the store duckdb://\S+ holds no events: nothing was "
                        r"ingested there, so no check can say OK .*\|count=U;;1\n", result.stdout), result.stdout


@pytest.mark.parametrize("text, expected", [
    ("name: a\nquery: 'eventNmae:Authorize*'\ncritical: 1\n",
     "check.yml:2: query: unknown field 'eventNmae' (did you mean 'eventName'"),
    ("name: a\nquery: '*'\ncritical: 1\ngroup_by: [actr]\n",
     "check.yml:4: group_by.0: unknown field 'actr' (did you mean 'actor'?)"),
    ("name: a\nkind: new_value\nquery: '*'\nfield: awsRegoin\nbaseline: 30d\n",
     "check.yml:4: field: unknown field 'awsRegoin' (did you mean 'awsRegion'"),
    ("name: a\nquery: '*'\n\nwarning: -1\n", "check.yml:4: warning: Input should be greater than or equal to 0"),
    ("name: a\nquery: '*'\nwarning: 5\ndescription: x\ncritical: 2\n",
     "check.yml:5: critical: critical (2) must be >= warning (5)"),
    ("name: a\nquery: '*'\ndirection: below\ncritical: 5\nwarning: 1\n",
     "check.yml:4: critical: critical (5) must be <= warning (1)"),
])
def test_validate_rejects_unknown_fields_and_bad_thresholds_at_their_line(tmp_path: Path, text: str,
                                                                          expected: str) -> None:
    (tmp_path / "check.yml").write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_checks(tmp_path)
    assert expected in str(raised.value)
    result = run_cli("check", "validate", str(tmp_path), cwd=tmp_path, env={"TATTLETRAIL_CONFIG": "/dev/null"})
    assert result.returncode == 2 and expected in result.stderr, result.stderr


@pytest.mark.parametrize("query", [
    'eventName:Authorize* AND requestParameters.ipPermissions.items.ipRanges.items.cidrIp:"0.0.0.0/0"',
    "userIdentity.sessionContext.webIdFederationData.federatedProvider:x OR vpcEndpointAccountId:1",
    "additionalEventData.MFAUsed:No AND userIdentity.onBehalfOf.userId:x AND threat_level:high",
])
def test_fields_cloudtrail_has_are_known_without_any_store(query: str) -> None:
    Check(name="a", query=query, critical=1)  # does not raise, whatever a store's sample holds


# -- Order, supersede, never stall -------------------------------------------------------------------

def test_a_recovery_supersedes_the_undelivered_critical_and_nothing_stale_arrives_after_it(
        httpserver: HTTPServer, tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    put(store, [ingress(T - 10 * MINUTE, "mallory")], T - 9 * MINUTE)
    clock = FakeClock(T)
    config = load_config(hook_config(tmp_path, httpserver.url_for("/hook")))
    dispatcher = checker_dispatcher(config, tmp_path / "state.sqlite", clock=clock.now, wait=None)
    runner = Runner(store, state=StateFile(tmp_path / "state.sqlite", store.url), dispatcher=dispatcher, clock=clock)
    check = fixture_check("ingress-open-to-world")
    httpserver.expect_oneshot_request("/hook").respond_with_data("down", status=503)
    assert runner.run(check).worst is Status.CRITICAL  # refused: the CRITICAL waits in the outbox
    clock.advance(40 * MINUTE)  # the window has moved past the event: RECOVERY, the receiver still down
    httpserver.expect_oneshot_request("/hook").respond_with_data("down", status=503)
    assert runner.run(check).worst is Status.OK
    assert dispatcher.backlog().pending == {"alerts": 1}  # the RECOVERY only: the CRITICAL was superseded
    httpserver.expect_request("/hook").respond_with_data("ok")  # back up
    clock.advance(MINUTE)
    dispatcher.retry_pending()
    dispatcher.retry_pending()
    dispatcher.close()
    statuses = [(code, alert["status"], alert["recovery"]) for code, alert in received(httpserver)]
    assert statuses == [(503, "CRITICAL", False), (503, "OK", True), (200, "OK", True)]


def test_a_destination_that_hangs_never_delays_a_check(httpserver: HTTPServer, tmp_path: Path) -> None:
    release = threading.Event()

    def hang(request: Request) -> Response:
        release.wait(60)
        return Response("ok")

    httpserver.expect_request("/hook").respond_with_handler(hang)
    store = DuckDBStore(tmp_path / "events.duckdb")
    put(store, [ingress(T - MINUTE, "mallory")], T - MINUTE)
    clock = FakeClock(T)
    config = load_config(hook_config(tmp_path, httpserver.url_for("/hook")))
    dispatcher = checker_dispatcher(config, tmp_path / "state.sqlite", clock=clock.now, wait=0)
    runner = Runner(store, state=StateFile(tmp_path / "state.sqlite", store.url), dispatcher=dispatcher, clock=clock)
    runs: list[datetime] = []
    checker = Checker([fixture_check("ingress-open-to-world")], runner, clock,
                      on_run=lambda run, lag: runs.append(clock.now()))
    try:
        checker.serve(until=lambda: clock.now() >= T + 5 * MINUTE)  # returns while the webhook still hangs
        assert runs == [T + i * MINUTE for i in range(5)]
        assert not release.is_set() and dispatcher.backlog().pending == {"alerts": 1}
    finally:
        release.set()
    dispatcher.close()
    assert [(code, alert["status"]) for code, alert in received(httpserver)] == [(200, "CRITICAL")]


def test_the_daemon_stops_within_two_seconds_of_sigterm_while_a_destination_hangs(tmp_path: Path) -> None:
    silent = socket.socket()  # accepts connections and never answers: every send waits for its timeout
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    store = DuckDBStore(tmp_path / "events.duckdb")
    put(store, [ingress(datetime.now(timezone.utc).replace(tzinfo=None) - MINUTE, "alice")],
        datetime.now(timezone.utc).replace(tzinfo=None) - MINUTE)
    config = hook_config(tmp_path, f"http://127.0.0.1:{silent.getsockname()[1]}/hook")
    checker = subprocess.Popen(
        [sys.executable, "-m", "tattletrail", "checker", "--checks", str(FIXTURES / "ingress-open-to-world.yml"), "--store",
         store.url, "--state", str(tmp_path / "state.sqlite")], cwd=tmp_path, stderr=subprocess.PIPE, text=True,
        env={"PATH": "/usr/bin", **CODE, "TATTLETRAIL_CONFIG": str(config)})
    try:
        for line in checker.stderr:  # type: ignore[union-attr]
            if "handed to delivery" in line:
                break
        checker.send_signal(signal.SIGTERM)
        started = time.monotonic()
        _, rest = checker.communicate(timeout=30)
        stopped_in = time.monotonic() - started
    finally:
        if checker.poll() is None:
            checker.kill()
        silent.close()
    assert checker.returncode == 0, rest
    assert stopped_in < 2.5, f"took {stopped_in:.1f}s to stop"
    assert "SIGTERM received" in rest and rest.rstrip().endswith("checker stopped")


def test_check_run_notify_delivers_what_earlier_runs_left_in_the_outbox_exactly_once(
        httpserver: HTTPServer, tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    put(store, [ingress(now - 2 * MINUTE, "alice")], now - 2 * MINUTE)
    env = {"TATTLETRAIL_CONFIG": str(hook_config(tmp_path, httpserver.url_for("/hook")))}
    args = ["check", "run", "ingress-open-to-world", "--checks", str(FIXTURES), "--store", store.url, "--state",
            str(tmp_path / "state.sqlite"), "--notify"]
    httpserver.expect_oneshot_request("/hook").respond_with_data("down", status=503)
    assert run_cli(*args, cwd=tmp_path, env=env).returncode == 2
    httpserver.expect_request("/hook").respond_with_data("ok")
    for _ in range(2):  # same status within refresh: no new alert, and the waiting one goes once
        second = run_cli(*args, cwd=tmp_path, env=env)
        assert second.returncode == 2, second.stderr
    codes = [(code, alert["status"], alert["group"]) for code, alert in received(httpserver)]
    assert codes == [(503, "CRITICAL", {"actor": "alice"}), (200, "CRITICAL", {"actor": "alice"})]


def test_delivery_metrics_show_the_outbox_and_outcomes_per_destination(httpserver: HTTPServer, tmp_path: Path) -> None:
    from prometheus_client import generate_latest

    registry = CollectorRegistry()
    clock = FakeClock(T)
    metrics = DeliveryMetrics(registry, clock=lambda: (clock.now() - datetime(1970, 1, 1)).total_seconds())
    store = DuckDBStore(tmp_path / "events.duckdb")
    put(store, [ingress(T - MINUTE, "mallory")], T - MINUTE)
    config = load_config(hook_config(tmp_path, httpserver.url_for("/hook")))
    dispatcher = checker_dispatcher(config, tmp_path / "state.sqlite", clock=clock.now, wait=None,
                                    observer=metrics.record_outcome)
    metrics.watch(dispatcher)
    runner = Runner(store, state=StateFile(tmp_path / "state.sqlite", store.url), dispatcher=dispatcher, clock=clock)
    httpserver.expect_oneshot_request("/hook").respond_with_data("down", status=503)
    runner.run(fixture_check("ingress-open-to-world"))
    clock.advance(timedelta(seconds=90))
    text = generate_latest(registry).decode()
    assert 'tattletrail_outbox_pending{destination="alerts"} 1.0' in text
    assert "tattletrail_outbox_oldest_pending_age_seconds 90.0" in text
    assert 'tattletrail_deliveries_total{destination="alerts",outcome="queued"} 1.0' in text
    httpserver.expect_request("/hook").respond_with_data("ok")
    dispatcher.retry_pending()
    text = generate_latest(registry).decode()
    assert 'tattletrail_deliveries_total{destination="alerts",outcome="delivered"} 1.0' in text
    assert "tattletrail_outbox_oldest_pending_age_seconds 0.0" in text
    dispatcher.close()


def test_unknown_is_one_warning_line_without_a_traceback(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from tattletrail.stores import open_store

    clock = FakeClock(T)
    runner = Runner(open_store("opensearch://127.0.0.1:9"), clock=clock)
    checker = Checker([fixture_check("ingress-open-to-world")], runner, clock)
    with caplog.at_level(logging.INFO, logger="tattletrail.checker"):
        checker.run_pending()
    (record,) = [record for record in caplog.records if "UNKNOWN" in record.getMessage()]
    assert record.levelno == logging.WARNING and record.exc_info is None and "\n" not in record.getMessage()
    assert record.getMessage().startswith("ingress-open-to-world UNKNOWN: the store could not answer: ")


# -- What alerts say ---------------------------------------------------------------------------------

def test_samples_carry_account_region_and_annotations_and_more_is_the_true_remainder(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    events = [normalize(ingress(T - timedelta(minutes=5, seconds=i), "mallory")) for i in range(7)]
    for event in events:
        event.threat_level, event.threat_rules = "high", ["ingress-open-to-world"]
        event.annotations = ["mallory opened port 22 to 0.0.0.0/0"]
    store.write(Batch(events=events))
    from tests.checks_engine_events import set_ingest_time

    set_ingest_time(store, [event.event_id for event in events], T - 4 * MINUTE)
    clock = FakeClock(T)
    dispatcher = checker_dispatcher(load_config(hook_config(tmp_path, "http://127.0.0.1:9/hook")),
                                    tmp_path / "state.sqlite", clock=clock.now)
    runner = Runner(store, state=StateFile(tmp_path / "state.sqlite", store.url), dispatcher=dispatcher, clock=clock)
    (alert,) = runner.run(fixture_check("ingress-open-to-world", samples=3)).alerts
    dispatcher.close(timeout=1)
    assert alert.count == 7 and len(alert.samples) == 3 and alert.suppressed == 4
    sample = alert.samples[0].to_json()
    assert (sample["account"], sample["region"], sample["annotation"]) == (
        ACCOUNT, "eu-west-1", "high: mallory opened port 22 to 0.0.0.0/0")
    text = plain_text(summarize(alert, max_samples=2))
    assert f"in {ACCOUNT}/eu-west-1" in text and "— high: mallory opened port 22" in text
    assert "… and 5 more" in text  # 7 matching, 2 shown


def test_the_webhook_schema_doc_lists_exactly_what_is_sent() -> None:
    from tattletrail.alert import Alert, SampleEvent

    docs = (Path(__file__).resolve().parents[1] / "docs" / "destinations.md").read_text()
    section = docs.split("## The webhook JSON", 1)[1].split("\n## ", 1)[0]
    example = json.loads(section.split("```json", 1)[1].split("```", 1)[0])
    alert = Alert("c", Status.CRITICAL, Status.OK, 1, T, T, "*", samples=(SampleEvent("e", T, "a", "n", None, None, None),))
    sent = alert.to_json()
    assert set(example) == set(sent) and set(example["samples"][0]) == set(sent["samples"][0])
    table_fields = {name for row in re.findall(r"^\| `([^|]+)` \|", section, re.M) for name in re.findall(r"[a-z_]+", row)}
    assert table_fields == set(sent)
    sample_row = next(line for line in section.splitlines() if line.startswith("| `samples`"))
    assert set(re.findall(r"`(\w+)`", sample_row)) - {"samples", "event_id"} >= set(sent["samples"][0]) - {"event_id"}


def test_nagios_performance_data_uses_ranges_for_below_checks() -> None:
    check = Check(name="quiet", query="*", direction="below", warning=5, critical=1)
    window = Window(T - 30 * MINUTE, T)
    (result,) = evaluate(check, window, Observation(counts={(): 0}), CheckState(check.fingerprint), T).results
    assert result.sensu_line().endswith("|count=0;5:;1:")


def test_replay_shows_the_group_and_learns_before_history_instead_of_calling_everything_new(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    put(store, [describe(now - timedelta(hours=hours, minutes=1), "bob") for hours in range(1, 40)])
    put(store, [describe(now - timedelta(hours=2), "alice", region="ap-east-1"), ingress(now - timedelta(hours=3))])
    with store.reading():  # one connection for the replay's queries, as the CLI does
        replayed = replay(fixture_check("new-region"), store, timedelta(days=2), now)
    assert [change.result.new_values for change in replayed.transitions if change.result.new_values] == [("ap-east-1",)]
    table = run_cli("check", "test", "ingress-open-to-world", "--replay", "1d", "--checks", str(FIXTURES), "--store",
                    store.url, cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert re.search(r"ingress-open-to-world\s+actor=alice\s+OK → CRITICAL", table.stdout), table.stdout


# -- Status, silences, maintenance, list -------------------------------------------------------------

def test_a_silenced_breach_is_recorded_not_notified_and_notified_when_the_silence_ends(tmp_path: Path) -> None:
    check = fixture_check("ingress-open-to-world")
    window = Window(T - 30 * MINUTE, T)
    silence = Silence("ingress-open-to-world", T + 10 * MINUTE, "change window", {"actor": "ci-deploy"}, T)
    seen = Observation(counts={("ci-deploy",): 2, ("mallory",): 1})
    first = evaluate(check, window, seen, CheckState(check.fingerprint), T, [silence])
    assert [(result.group, result.status) for result in first.results] == [
        ({"actor": "ci-deploy"}, Status.CRITICAL), ({"actor": "mallory"}, Status.CRITICAL)]
    assert [note.result.group for note in first.notifications] == [{"actor": "mallory"}]
    assert first.state.groups[("ci-deploy",)].silenced == 1
    later = T + 11 * MINUTE  # the silence has ended and the breach goes on: told now
    second = evaluate(check, Window(later - 30 * MINUTE, later), seen, first.state, later, [silence])
    assert [note.result.group for note in second.notifications] == [{"actor": "ci-deploy"}]


def test_maintenance_windows_in_the_config_silence_the_checks_they_name() -> None:
    window = MaintenanceWindow(start="2026-11-20T15:00:00Z", end="2026-11-20T17:00:00+00:00",
                               checks=["ingress-open-to-world"], reason="patching")
    (silence,) = SilenceBook(None, [window]).in_force(T)
    assert silence.covers("ingress-open-to-world", {"actor": "x"}, T) and not silence.covers("other", {}, T)
    assert SilenceBook(None, [window]).in_force(T + 2 * timedelta(hours=1)) == []
    with pytest.raises(ValueError, match="must be after start"):
        MaintenanceWindow(start="2026-11-20T15:00:00Z", end="2026-11-20T14:00:00Z")


def test_status_silence_and_unsilence_at_the_command_line(httpserver: HTTPServer, tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    put(store, [ingress(now - 2 * MINUTE, "ci-deploy"), ingress(now - 2 * MINUTE, "mallory")], now - 2 * MINUTE)
    httpserver.expect_request("/hook").respond_with_data("ok")
    env = {"TATTLETRAIL_CONFIG": str(hook_config(tmp_path, httpserver.url_for("/hook")))}
    state = ["--state", str(tmp_path / "state.sqlite")]
    common = ["--checks", str(FIXTURES), *state]
    made = run_cli("check", "silence", "ingress-open-to-world", "--group", "actor=ci-deploy", "--for", "2h",
                   "--reason", "change window", *common, cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    assert "silence of ingress-open-to-world [actor=ci-deploy] until" in made.stdout
    ran = run_cli("check", "run", "ingress-open-to-world", "--store", store.url, "--notify", *common, cwd=tmp_path,
                  env=env)
    assert ran.returncode == 2, ran.stderr
    assert [alert["group"] for _, alert in received(httpserver)] == [{"actor": "mallory"}]  # ci-deploy silenced
    status = run_cli("check", "status", "ingress-open-to-world", "--store", store.url, "--json", *common, cwd=tmp_path,
                     env=env)
    assert status.returncode == 0, status.stderr
    groups = {tuple(item["group"].values()): item for item in json.loads(status.stdout)["checks"]}
    assert groups[("ci-deploy",)]["status"] == "CRITICAL" and groups[("ci-deploy",)]["last_notified"] == "OK"
    assert groups[("ci-deploy",)]["silence"]["reason"] == "change window" and groups[("ci-deploy",)]["silenced"] == 1
    assert groups[("mallory",)]["last_notified"] == "CRITICAL" and groups[("mallory",)]["silence"] is None
    assert groups[("mallory",)]["since"] and groups[("mallory",)]["pending"] == []
    text = run_cli("check", "status", "--store", store.url, *common, cwd=tmp_path, env=env).stdout
    assert re.search(r"ingress-open-to-world\s+actor=ci-deploy\s+CRITICAL\s+\S+ \S+\s+- \(1 silenced since\)\s+-\s+"
                     r"silence of ingress-open-to-world \[actor=ci-deploy\]", text), text
    assert re.search(r"no-cloudtrail-events\s+-\s+never run", text), text
    ended = run_cli("check", "unsilence", "ingress-open-to-world", *state, cwd=tmp_path, env=env)
    assert ended.returncode == 0 and "1 silence(s) of ingress-open-to-world ended" in ended.stdout
    run_cli("check", "run", "ingress-open-to-world", "--store", store.url, "--notify", *common, cwd=tmp_path, env=env)
    assert sorted(alert["group"]["actor"] for _, alert in received(httpserver)) == ["ci-deploy", "mallory"]


def test_the_daemon_logs_when_a_silence_ends(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    put(store, [describe(T - MINUTE)], T - MINUTE)
    silences = SilenceFile(tmp_path / "state.sqlite")
    silences.add(Silence("ingress-open-to-world", T + 2 * MINUTE, "deploy"), T)
    clock = FakeClock(T)
    runner = Runner(store, state=StateFile(tmp_path / "state.sqlite", store.url), clock=clock,
                    silences=SilenceBook(silences))
    checker = Checker([fixture_check("ingress-open-to-world")], runner, clock)
    with caplog.at_level(logging.INFO, logger="tattletrail.checker"):
        checker.serve(until=lambda: clock.now() >= T + 4 * MINUTE)
    lines = [record.getMessage() for record in caplog.records if "silence of" in record.getMessage()]
    assert lines == ["silence of ingress-open-to-world until 2026-11-20 16:02 UTC (deploy): in force (breaches are "
                     "recorded, not notified)",
                     "silence of ingress-open-to-world until 2026-11-20 16:02 UTC (deploy): ended (notifications resume)"]
    assert silences.all() == []
