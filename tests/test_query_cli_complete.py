"""Nothing cut off without saying so: `search` says how many it left out, `count --interval` has
buckets that add up to its count and run to today, table cells keep what tells two rows apart."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tattletrail.ingest import ingest
from tattletrail.sources.local import local_objects
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.cloudtrail_files import corpus_records, write_log_file
from tests.query_events import build_store


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_store(tmp_path_factory.mktemp("complete")).url


def run_cli(store_url: str, *args: str, columns: int = 200) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tattletrail", *args, "--store", store_url], capture_output=True,
                          text=True, timeout=120, env={"COLUMNS": str(columns), "PATH": "/usr/bin"})


def test_search_says_how_many_the_limit_left_out(store_url: str):
    total = json.loads(run_cli(store_url, "count", "--json").stdout)["count"]
    result = run_cli(store_url, "search", "*", "--limit", "100")
    assert result.returncode == 0, result.stderr
    assert f"100 of {total:,} shown (--limit)" in result.stderr
    as_csv = run_cli(store_url, "search", "*", "--limit", "5", "--format", "csv")
    assert len(as_csv.stdout.splitlines()) == 6 and f"5 of {total:,} shown (--limit)" in as_csv.stderr
    whole = run_cli(store_url, "search", "*", "--limit", str(total))
    assert "shown (--limit)" not in whole.stderr


def test_count_interval_buckets_add_up_to_the_count_even_when_widened(store_url: str):
    counted = json.loads(run_cli(store_url, "count", "--interval", "1s", "--json").stdout)
    assert counted["interval_seconds"] > 1  # years of corpora at 1s: more than 10,000 buckets
    assert len(counted["buckets"]) <= 10_000
    assert sum(bucket["count"] for bucket in counted["buckets"]) + counted["untimed"] == counted["count"]
    text = run_cli(store_url, "count", "--interval", "1s").stdout
    assert "interval widened from 1s to" in text


def test_count_interval_counts_events_without_time_apart(tmp_path: Path):
    record = corpus_records("otrf-ec2-proxy-s3-exfiltration.jsonl")[0]
    write_log_file(tmp_path / "logs" / "a.json.gz", [record, {**record, "eventID": "no-time", "eventTime": "soon"}])
    store = DuckDBStore(tmp_path / "e.duckdb")
    ingest(local_objects(tmp_path / "logs"), store)
    result = run_cli(store.url, "count", "--interval", "1d")
    assert "1 events have no usable eventTime: counted, in no bucket" in result.stdout


def test_count_interval_by_day_includes_today(tmp_path: Path):
    record = corpus_records("otrf-ec2-proxy-s3-exfiltration.jsonl")[0]
    yesterday = datetime.now(timezone.utc) - timedelta(days=1)
    write_log_file(tmp_path / "logs" / "a.json.gz", [{**record, "eventTime": yesterday.strftime("%Y-%m-%dT%H:%M:%SZ")}])
    store = DuckDBStore(tmp_path / "e.duckdb")
    ingest(local_objects(tmp_path / "logs"), store)
    counted = json.loads(run_cli(store.url, "count", "--interval", "1d", "--since", "3d", "--json").stdout)
    today = datetime.now(timezone.utc).strftime("%Y-%m-%dT00:00:00")
    assert counted["buckets"][-1] == {"start": today + "Z", "count": 0}


def test_times_keep_their_seconds_with_a_time_zone_and_a_wide_terminal_shows_more(store_url: str):
    narrow = run_cli(store_url, "search", "*", "--tz", "Europe/Paris", "--limit", "3", columns=100)
    first_row = narrow.stdout.splitlines()[1]
    date, clock, zone_name = first_row.split()[:3]
    assert len(clock) == 8 and zone_name in ("CET", "CEST"), first_row
    long_actor = "actor:MordorNginxStack*"  # an instance role's long name / the instance id
    narrow = run_cli(store_url, "search", long_actor, "--fields", "actor", "--limit", "1", columns=100)
    wide = run_cli(store_url, "search", long_actor, "--fields", "actor", "--limit", "1", columns=300)
    assert narrow.returncode == wide.returncode == 0, narrow.stderr
    shortened, whole = narrow.stdout.splitlines()[1].strip(), wide.stdout.splitlines()[1].strip()
    assert "…" in shortened and "…" not in whole and whole.startswith("MordorNginxStack-")
    head, tail = shortened.split("…")
    assert whole.startswith(head) and whole.endswith(tail) and tail.endswith("/i-0317f6c6b66ae9c40")
