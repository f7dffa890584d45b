"""`tattletrail check es-query-count` and `check convert-sensu`, run as Sensu runs them: the seed's
command line, verbatim, on the embedded store and on a Logstash-style cluster (osmem)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest

from tattletrail.alert import Status
from tattletrail.checks.model import load_checks
from tattletrail.checks.sensu import plugin_status
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.checks_engine_events import describe, ingress
from tests.sensu_events import logstash_index, store_records

# The command line, as Sensu runs it (the plugin's own example, from the write-up).
SEED = ("check-es-query-count.rb -h my.elasticsearch -d 'logstash-%Y.%m.%d' --minutes-previous 30 -p 9200 "
        "-c 1 -w 100 --types \"cloudtrail\" -s http -q 'Authorize*' -f eventName --invert")
REPO = Path(__file__).resolve().parents[1]


def seed_arguments(host: str = "my.elasticsearch", port: str = "9200") -> list[str]:
    """The seed's flags; on the test server only the address is changed (the server listens where it can)."""
    return shlex.split(SEED.replace("my.elasticsearch", host).replace("-p 9200", f"-p {port}"))[1:]


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tattletrail", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env={"COLUMNS": "200", "PATH": "/usr/bin", "PYTHONPATH": str(REPO), **(env or {})})


def recent_records(now: datetime) -> list[dict]:
    """Three security-group ingress calls in the last half hour, one an hour ago, and noise."""
    return ([ingress(now - timedelta(minutes=minutes), "alice") for minutes in (4, 9, 14)]
            + [ingress(now - timedelta(hours=1), "alice")]
            + [describe(now - timedelta(minutes=minutes), "bob") for minutes in (2, 6)])


@pytest.fixture(scope="module")
def both_places(tmp_path_factory: pytest.TempPathFactory, opensearch_url: str) -> Iterator[tuple[str, list[str]]]:
    """The same CloudTrail in an embedded store and in the cluster's logstash-* indices: the
    embedded store's URL, and the cluster's address as seed flags."""
    from opensearchpy import OpenSearch

    now = datetime.now(timezone.utc).replace(tzinfo=None)
    records = recent_records(now)
    path = tmp_path_factory.mktemp("sensu-cli") / "events.duckdb"
    store = DuckDBStore(path)
    store_records(store, records, now - timedelta(minutes=1))
    store.close()
    client = OpenSearch(opensearch_url)
    logstash_index(client, records, now - timedelta(minutes=1))
    host, port = opensearch_url.removeprefix("http://").split(":")
    yield f"duckdb:///{path}", seed_arguments(host, port)
    client.indices.delete(index="logstash-*")
    client.close()


EXPECTED = "ESQueryCount WARNING: Query count (3) was below warning threshold. |count=3;100:;1:;0;\n"


def test_the_seed_verbatim_gives_the_same_answer_on_the_embedded_store_and_the_cluster(
        both_places: tuple[str, list[str]], tmp_path: Path) -> None:
    store_url, cluster_flags = both_places
    embedded = run_cli("check", "es-query-count", *seed_arguments(), "--store", store_url, cwd=tmp_path)
    cluster = run_cli("check", "es-query-count", *cluster_flags, cwd=tmp_path)
    assert (embedded.stdout, embedded.returncode) == (EXPECTED, int(Status.WARNING)), embedded.stderr
    assert (cluster.stdout, cluster.returncode) == (EXPECTED, int(Status.WARNING)), cluster.stderr
    assert ("note: not applicable to the store duckdb:///" in embedded.stderr
            and "-h my.elasticsearch, -p 9200, -s http, -d logstash-%Y.%m.%d, --types cloudtrail" in embedded.stderr)
    assert "--types cloudtrail: mapping types are gone" in cluster.stderr


def test_an_empty_window_is_critical_on_both(both_places: tuple[str, list[str]], tmp_path: Path) -> None:
    store_url, cluster_flags = both_places
    quiet = seed_arguments()
    quiet[quiet.index("Authorize*")] = "RevokeSecurityGroupIngress"
    embedded = run_cli("check", "es-query-count", *quiet, "--store", store_url, cwd=tmp_path)
    cluster_quiet = list(cluster_flags)
    cluster_quiet[cluster_quiet.index("Authorize*")] = "RevokeSecurityGroupIngress"
    cluster = run_cli("check", "es-query-count", *cluster_quiet, cwd=tmp_path)
    line = "ESQueryCount CRITICAL: Query count (0) was below critical threshold. |count=0;100:;1:;0;\n"
    assert (embedded.stdout, embedded.returncode) == (line, 2)
    assert (cluster.stdout, cluster.returncode) == (line, 2)


def test_a_breach_on_the_cluster_carries_the_plugins_kibana_link(both_places: tuple[str, list[str]],
                                                                  tmp_path: Path) -> None:
    _, cluster_flags = both_places
    result = run_cli("check", "es-query-count", *cluster_flags, "--kibana-url", "http://kibana:5601/app/kibana",
                     cwd=tmp_path)
    assert result.returncode == 1
    assert "was below warning threshold. Kibana logs: http://kibana:5601/app/kibana/#/discover?_g=" in result.stdout
    assert "index:[logstash-]YYYY.MM.DD" in result.stdout and "query:'Authorize*'" in result.stdout


def test_h_is_the_host_and_help_is_long_only(tmp_path: Path) -> None:
    helped = run_cli("check", "es-query-count", "--help", cwd=tmp_path)
    assert helped.returncode == 0 and "-h, --host" in helped.stdout
    refused = run_cli("check", "es-query-count", "-q", "x", "-h", cwd=tmp_path)
    assert (refused.stdout, refused.returncode) == (
        "Invalid check argument(s): argument -h/--host: expected one argument\n", 3)


def test_an_unreachable_cluster_is_unknown(tmp_path: Path) -> None:
    result = run_cli("check", "es-query-count", "-h", "127.0.0.1", "-p", "9", "-q", "eventName:x",
                     "--minutes-previous", "5", cwd=tmp_path)
    assert result.returncode == 3
    assert result.stdout.startswith("ESQueryCount UNKNOWN: Check failed to run: can't reach opensearch://127.0.0.1:9")


# convert-sensu --------------------------------------------------------------------------------------

SENSU = {"checks": {
    "cloudtrail_authorize": {"command": "/opt/sensu/embedded/bin/" + SEED, "interval": 60, "occurrences": 3,
                             "handlers": ["stdout"], "subscribers": ["monitoring"], "standalone": False},
    "root-console-logins": {"command": "check-es-query-count.rb -h es -d 'logstash-%Y.%m.%d' --hours-previous 1 "
                                       "-q 'userIdentity.type:Root AND eventName:ConsoleLogin' -w 0 -c 2 "
                                       "-u ops -P s3cret", "interval": 300, "refresh": 3600},
    "disk": {"command": "check-disk-usage.rb -w 80 -c 90", "interval": 60},
    "per-client": {"command": "check-es-query-count.rb -q 'sourceIPAddress::::address:::' -f eventName "
                              "--minutes-previous 5"},
    "all-time": {"command": "check-es-query-count.rb -q '*' -f eventName -c 10"},
}}


def test_convert_sensu_writes_checks_with_the_same_meaning(tmp_path: Path) -> None:
    source = tmp_path / "checks.json"
    source.write_text(json.dumps(SENSU))
    result = run_cli("check", "convert-sensu", str(source), "--out", str(tmp_path / "converted"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"wrote {tmp_path}/converted/cloudtrail-authorize.yml  (Sensu check cloudtrail_authorize)" in out
    assert f"wrote {tmp_path}/converted/root-console-logins.yml" in out
    assert "skipped disk: not check-es-query-count.rb (check-disk-usage.rb)" in out
    assert "skipped per-client: uses Sensu client tokens" in out
    assert "skipped all-time: no --minutes-previous" in out
    assert "s3cret" not in out and "s3cret" not in (tmp_path / "converted" / "root-console-logins.yml").read_text()

    checks = {check.name: check for check in load_checks(tmp_path / "converted")}
    seed = checks["cloudtrail-authorize"]
    assert (seed.query, seed.window, seed.interval, seed.occurrences, seed.refresh) == (
        "eventName:Authorize*", timedelta(minutes=30), timedelta(seconds=60), 3, timedelta(minutes=30))
    assert (seed.count_by.value, seed.destinations.critical, seed.destinations.unknown) == (
        "event_time", ["stdout"], ["stdout"])
    root = checks["root-console-logins"]
    assert (root.window, root.interval, root.refresh) == (timedelta(hours=1), timedelta(minutes=5), timedelta(hours=1))
    for count in range(0, 120):
        assert seed.status_of(count) == plugin_status(count, 100, 1, True)[0]
        assert root.status_of(count) == plugin_status(count, 0, 2, False)[0]

    validated = run_cli("check", "validate", str(tmp_path / "converted"), cwd=tmp_path)
    assert validated.returncode == 0, validated.stdout + validated.stderr


def test_convert_sensu_refuses_an_unknown_flag_naming_the_check_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "checks.json"
    source.write_text(json.dumps({"checks": {
        "good": {"command": "check-es-query-count.rb -q 'eventName:x' --minutes-previous 5"},
        "typo": {"command": "check-es-query-count.rb -q 'eventName:x' --minute-previous 5 --crtical 3"}}}))
    result = run_cli("check", "convert-sensu", str(source), "--out", str(tmp_path / "converted"), cwd=tmp_path)
    assert result.returncode == 2
    assert f"{source}: check 'typo': unrecognized arguments: --minute-previous 5 --crtical 3" in result.stderr
    assert not (tmp_path / "converted").exists()


def test_convert_sensu_refuses_an_interval_that_is_not_seconds(tmp_path: Path) -> None:
    source = tmp_path / "checks.json"
    source.write_text(json.dumps({"checks": {"slow": {
        "command": "check-es-query-count.rb -q 'eventName:x' --minutes-previous 5", "interval": "5m"}}}))
    result = run_cli("check", "convert-sensu", str(source), "--out", str(tmp_path / "converted"), cwd=tmp_path)
    assert result.returncode == 2
    assert "check 'slow': interval must be a whole number of seconds (1 or more), not '5m'" in result.stderr
