"""Every command gives the same answer on the embedded store and on OpenSearch: the CLI runs on both
over the same files and the JSON outputs are compared (minus what is about the store itself: its
URL, its clock and its speed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tattletrail.cli import app
from tests.cloudtrail_files import CORPORA, corpus_records, write_log_file
from tests.opensearch_helpers import store_url
from tests.query_events import EXTRA_RECORDS

STORE_DEPENDENT = {"store", "seconds", "ingest_time", "quarantined_at"}


def run(*args: str, exit_code: int = 0) -> Any:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == exit_code, result.output
    return json.loads(result.stdout)


def without_store_dependent(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: without_store_dependent(item) for key, item in value.items() if key not in STORE_DEPENDENT}
    if isinstance(value, list):
        return [without_store_dependent(item) for item in value]
    return value


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory, opensearch_url: str) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("cli-both")
    logs = folder / "logs"
    for file in sorted(CORPORA.glob("*.jsonl")):
        write_log_file(logs / f"{file.stem}.json.gz", corpus_records(file.name))
    write_log_file(logs / "extra.json.gz", EXTRA_RECORDS)
    (logs / "notes.txt").write_text("not a log file")
    embedded, opensearch = f"duckdb://{folder}/events.duckdb", store_url(opensearch_url, "tt-cli")
    assert run("setup", "--store", opensearch, "--json")["dry_run"] is False
    ingested = [without_store_dependent(run("ingest", str(logs), "--store", url, "--json", exit_code=3))
                for url in (embedded, opensearch)]
    assert ingested[0] == ingested[1] and ingested[0]["ingested"] > 400
    again = [without_store_dependent(run("ingest", str(logs), "--store", url, "--json"))
             for url in (embedded, opensearch)]
    assert again[0] == again[1] and again[0]["ingested"] == 0
    return embedded, opensearch


def both(stores: tuple[str, str], *args: str) -> Any:
    embedded, opensearch = (without_store_dependent(run(*args, "--store", url)) for url in stores)
    assert embedded == opensearch, f"{args} differs"
    return embedded


def test_stats_and_quarantine_agree(stores: tuple[str, str]):
    assert both(stores, "stats", "--json", "--top", "25")["events"] > 400
    (entry,) = both(stores, "quarantine", "--json")
    assert entry["reason"] == "not-json" and entry["source"].endswith("notes.txt")


@pytest.mark.parametrize("query", ["*", "eventName:ConsoleLogin", "userIdentity.type:Root OR actor:pedro",
                                   "requestParameters.bucketName:finance-*", "NOT outcome:success",
                                   "requestParameters:22", '"0.0.0.0/0"', "_exists_:errorCode"])
def test_search_and_count_agree(stores: tuple[str, str], query: str):
    both(stores, "search", query, "--format", "json", "--limit", "1000")
    both(stores, "count", query, "--json", "--by", "eventName")
    both(stores, "count", query, "--json", "--interval", "1d", "--since", "2020-01-01", "--until", "2023-01-01")


def test_count_by_says_on_both_stores_how_many_values_were_left_out(stores: tuple[str, str]):
    counted = both(stores, "count", "*", "--json", "--by", "eventName", "--limit", "5")
    assert len(counted["groups"]) == 5 < counted["values"]
    for url in stores:
        result = CliRunner().invoke(app, ["count", "--by", "eventName", "--limit", "5", "--store", url])
        assert result.exit_code == 0 and f"5 of {counted['values']} values shown (--limit)" in result.stderr
    assert both(stores, "count", "*", "--json", "--by", "eventName", "--limit", "1000")["values"] == counted["values"]


def test_every_saved_search_agrees(stores: tuple[str, str]):
    searches = run("searches", "--json")
    runnable = [search["name"] for search in searches if not search.get("params")]
    assert runnable
    for name in runnable:
        both(stores, "search", "--saved", name, "--format", "json", "--limit", "1000")
        both(stores, "count", "--saved", name, "--json")


def test_setup_and_doctor_from_a_real_process(stores: tuple[str, str]):
    for url in stores:
        done = subprocess.run([sys.executable, "-m", "tattletrail", "setup", "--store", url, "--json"],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert {step["action"] for step in json.loads(done.stdout)["steps"]} <= {"unchanged", "skipped"}
        doctor = subprocess.run([sys.executable, "-m", "tattletrail", "doctor", "--store", url],
                                capture_output=True, text=True, timeout=60)
        assert doctor.returncode == 0 and "All checks passed." in doctor.stdout, doctor.stdout + doctor.stderr


def test_doctor_exits_1_and_says_what_to_fix(opensearch_url: str, tmp_path: Path):
    url = store_url(opensearch_url, "tt-cli-bare")
    result = CliRunner().invoke(app, ["doctor", "--store", url])
    assert result.exit_code == 1
    assert f"run `tattletrail setup --store {url}`" in result.stdout
