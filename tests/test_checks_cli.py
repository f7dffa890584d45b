"""`tattletrail check run|test|list|validate` and `tattletrail checker`, run as a user (or Sensu) runs them."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tattletrail.stores.duckdb.store import DuckDBStore
from tests.checks_engine_events import denied, describe, ingress, put

FIXTURES = Path(__file__).parent / "checks_fixtures"
WINDOW = r"\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)"


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Events that have just arrived: SSH opened to the world by alice, four denials for mallory and
    a first call in ap-east-1, after a week of DescribeInstances in eu-west-1 (ingested now too)."""
    store = DuckDBStore(tmp_path_factory.mktemp("cli") / "events.duckdb")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    # Arrived a minute ago: a window ends at a whole second, so an event stored in the very second
    # a run starts belongs to the next window, and a fast machine would see it there.
    arrived = now - timedelta(minutes=1)
    put(store, [describe(now - timedelta(hours=hours), "bob") for hours in range(6, 7 * 24, 6)], ingest_time=arrived)
    put(store, [ingress(now - timedelta(minutes=5), "alice")] + [denied(now - timedelta(minutes=4), "mallory")] * 1
        + [denied(now - timedelta(minutes=3, seconds=i), "mallory") for i in range(3)]
        + [describe(now - timedelta(minutes=2), "alice", region="ap-east-1")], ingest_time=arrived)
    return store.url


# The code under test is this checkout's, whatever the venv has installed.
CODE = {"PYTHONPATH": str(Path(__file__).resolve().parents[1])}


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tattletrail", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd, env={"COLUMNS": "200", "PATH": "/usr/bin", **CODE, **(env or {})})


def test_check_run_prints_sensu_lines_and_exits_with_the_worst_status(store_url: str, tmp_path: Path) -> None:
    result = run_cli("check", "run", "--checks", str(FIXTURES), "--store", store_url, "--state",
                     str(tmp_path / "state.sqlite"), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    expected = [
        rf"access-denied-burst\[actor=mallory\] WARNING: 4 events in {WINDOW} by ingest_time "
        r"\(warning >= 3, critical >= 6\)\|count=4;3;6",
        rf"no-cloudtrail-events OK: 33 events in {WINDOW} by ingest_time \(critical < 1\)\|count=33;;1:",
        rf"new-region WARNING: 1 new awsRegion: ap-east-1 in {WINDOW} by ingest_time \(not seen in the 30d before\)"
        r"\|count=1;1;",
        rf"ingress-open-to-world\[actor=alice\] CRITICAL: 1 event in {WINDOW} by ingest_time \(critical >= 1\)\|count=1;;1",
    ]
    assert len(lines) == len(expected)
    for line, pattern in zip(lines, expected):
        assert re.fullmatch(pattern, line), line
    assert not (tmp_path / "state.sqlite").exists()  # without --notify, nothing is kept


@pytest.mark.parametrize("name, code", [("no-cloudtrail-events", 0), ("new-region", 1), ("access-denied-burst", 1),
                                        ("ingress-open-to-world", 2)])
def test_exit_code_of_one_check_is_its_status(store_url: str, tmp_path: Path, name: str, code: int) -> None:
    assert run_cli("check", "run", name, "--checks", str(FIXTURES), "--store", store_url, cwd=tmp_path).returncode == code


def test_check_run_json(store_url: str, tmp_path: Path) -> None:
    result = run_cli("check", "run", "ingress-open-to-world", "--checks", str(FIXTURES), "--store", store_url,
                     "--json", cwd=tmp_path)
    [found] = json.loads(result.stdout)["results"]
    assert (found["check"], found["group"], found["status"], found["exit_code"], found["count"]) == \
        ("ingress-open-to-world", {"actor": "alice"}, "CRITICAL", 2, 1)
    start, end = (datetime.fromisoformat(found["window"][key].rstrip("Z")) for key in ("start", "end"))
    assert end - start == timedelta(minutes=30)


def test_unreachable_store_is_unknown_exit_3(tmp_path: Path) -> None:
    result = run_cli("check", "run", "ingress-open-to-world", "--checks", str(FIXTURES), "--store",
                     "opensearch://127.0.0.1:9", cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith("ingress-open-to-world UNKNOWN: the store could not answer: can't reach the cluster at "
                           "127.0.0.1:9 (connection refused): is it running")  # the fix, not the client's repr
    assert "HTTPConnection" not in line
    assert line.endswith("|count=U;;1")


@pytest.mark.parametrize("content, message", [
    ("name: a\nquery: '*'\ncritical: 1\nwindwo: 5m\n", "check.yml:4: unknown key 'windwo' (did you mean 'window'?)"),
    ("name: a\nquery: 'eventName:(Oops'\ncritical: 1\n", "check.yml:2: query:"),
])
def test_a_broken_check_file_is_unknown_exit_3(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "check.yml").write_text(content)
    result = run_cli("check", "run", "--checks", str(tmp_path), "--store", f"duckdb:///{tmp_path}/e.duckdb", cwd=tmp_path)
    assert result.returncode == 3
    assert result.stdout.startswith("UNKNOWN: ") and message in result.stdout


def test_check_run_notify_sends_once_and_keeps_state(store_url: str, tmp_path: Path) -> None:
    sink = tmp_path / "alerts.jsonl"
    config = tmp_path / "tattletrail.yml"
    config.write_text(f"destinations:\n  alerts:\n    type: jsonl\n    path: {sink}\n")
    args = ["check", "run", "ingress-open-to-world", "access-denied-burst", "--checks", str(FIXTURES), "--store",
            store_url, "--state", str(tmp_path / "state.sqlite"), "--notify"]
    first = run_cli(*args, cwd=tmp_path, env={"TATTLETRAIL_CONFIG": str(config)})
    assert first.returncode == 2, first.stdout + first.stderr
    alerts = [json.loads(line) for line in sink.read_text().splitlines()]
    assert sorted((alert["check"], alert["status"]) for alert in alerts) == [
        ("access-denied-burst", "WARNING"), ("ingress-open-to-world", "CRITICAL")]
    ingress_alert = next(alert for alert in alerts if alert["check"] == "ingress-open-to-world")
    assert ingress_alert["samples"][0]["eventName"] == "AuthorizeSecurityGroupIngress"
    second = run_cli(*args, cwd=tmp_path, env={"TATTLETRAIL_CONFIG": str(config)})
    assert second.returncode == 2 and len(sink.read_text().splitlines()) == 2  # same status, within refresh


def test_check_list_and_validate(tmp_path: Path) -> None:
    listed = run_cli("check", "list", "--checks", str(FIXTURES), "--json", cwd=tmp_path)
    assert [check["name"] for check in json.loads(listed.stdout)] == [
        "access-denied-burst", "no-cloudtrail-events", "new-region", "ingress-open-to-world"]
    assert json.loads(listed.stdout)[0]["window"] == "30m"
    table = run_cli("check", "list", "--checks", str(FIXTURES), cwd=tmp_path).stdout
    assert re.search(r"ingress-open-to-world\s+count\s+30m\s+1m\s+-\s+>= 1\s+actor\s+1\s+1h\s+alerts\s+yes", table), table
    config = tmp_path / "tattletrail.yml"
    config.write_text("destinations:\n  alerts:\n    type: stdout\n")
    valid = run_cli("check", "validate", str(FIXTURES), cwd=tmp_path, env={"TATTLETRAIL_CONFIG": str(config)})
    assert valid.returncode == 0 and "4 check(s)" in valid.stdout
    unknown = run_cli("check", "validate", str(FIXTURES), cwd=tmp_path, env={"TATTLETRAIL_CONFIG": "/dev/null"})
    assert unknown.returncode == 2 and "sends to 'alerts', which is not a destination in the config" in unknown.stderr


def test_validate_warns_about_a_bare_cidr(tmp_path: Path) -> None:
    (tmp_path / "bare.yml").write_text("name: bare\ndescription: d\nquery: 'eventName:Authorize* AND \"0.0.0.0/0\"'\n"
                                       "window: 30m\ninterval: 60s\ncritical: 1\n")
    result = run_cli("check", "validate", str(tmp_path / "bare.yml"), cwd=tmp_path, env={"TATTLETRAIL_CONFIG": "/dev/null"})
    assert result.returncode == 0, result.stderr
    assert "warning: check 'bare': bare \"0.0.0.0/0\" also matches every sourceIPAddress" in result.stderr


def test_check_test_replays_history(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "events.duckdb")
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    opened = now - timedelta(hours=5)
    put(store, [ingress(opened, "alice"), describe(now - timedelta(hours=1))])
    result = run_cli("check", "test", "ingress-open-to-world", "--replay", "1d", "--checks", str(FIXTURES),
                     "--store", store.url, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    replayed = json.loads(result.stdout)
    assert replayed["steps"] == 1440 and replayed["step_seconds"] == 60
    changes = [(change["group"], change["previous"], change["status"], change["notify"])
               for change in replayed["transitions"]]
    assert changes == [({"actor": "alice"}, "OK", "CRITICAL", ["alerts"]), ({"actor": "alice"}, "CRITICAL", "OK", ["alerts"])]
    went, back = (datetime.fromisoformat(change["at"].rstrip("Z")) for change in replayed["transitions"])
    assert timedelta(0) < went - opened <= timedelta(minutes=1) and back - went == timedelta(minutes=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_checker_stops_cleanly_on_sigterm_and_serves_metrics(store_url: str, tmp_path: Path) -> None:
    port = free_port()
    checker = subprocess.Popen(
        [sys.executable, "-m", "tattletrail", "checker", "--checks", str(FIXTURES), "--store", store_url,
         "--state", str(tmp_path / "state.sqlite"), "--metrics-port", str(port)], cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={"PATH": "/usr/bin", **CODE, "TATTLETRAIL_CONFIG": "/dev/null", "TATTLETRAIL_OUTBOX": str(tmp_path / "outbox.sqlite")})
    try:
        seen = []
        for line in checker.stderr:  # type: ignore[union-attr]
            seen.append(line)
            if "ingress-open-to-world[actor=alice] CRITICAL" in line:  # the last check has run
                break
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
        assert 'tattletrail_check_status{check="ingress-open-to-world"} 2.0' in metrics
        assert re.search(r'tattletrail_check_schedule_lag_seconds\{check="ingress-open-to-world"\} \d', metrics)
        assert re.search(r'tattletrail_check_run_lag_seconds\{check="ingress-open-to-world"\} \d', metrics)
        checker.send_signal(signal.SIGTERM)
        _, rest = checker.communicate(timeout=30)
    finally:
        if checker.poll() is None:
            checker.kill()
    log = "".join(seen) + rest
    assert checker.returncode == 0, log
    assert "SIGTERM received: stopped after the current run" in log and log.rstrip().endswith("checker stopped")
    assert re.search(r"ingress-open-to-world\[actor=alice\] CRITICAL: .* lag=\d+\.\ds took=\d+\.\d\ds", log)


def test_every_check_command_is_in_docs() -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "checks.md").read_text()
    for command in ("check run", "check test", "check list", "check validate", "checker"):
        assert f"tattletrail {command}" in docs
