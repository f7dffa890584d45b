"""The embedded store serves queries while another process ingests into it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tattletrail.stores.base import StoreLocked
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.cloudtrail_files import corpus_records, write_log_file

FILES, PER_FILE = 60, 40


@pytest.fixture
def trail(tmp_path: Path) -> Path:
    """Many small log files of distinct events, so an ingest makes many short transactions."""
    records = corpus_records("otrf-ec2-proxy-s3-exfiltration.jsonl")[:PER_FILE]
    for number in range(FILES):
        copies = [{**record, "eventID": f"{number:03}-{record['eventID']}"} for record in records]
        write_log_file(tmp_path / "logs" / f"{number:03}.json.gz", copies)
    return tmp_path / "logs"


def test_queries_answer_while_another_process_ingests(trail: Path, tmp_path: Path):
    path = tmp_path / "events.duckdb"
    DuckDBStore(path)  # the file exists before the writer starts, as it would in practice
    writer = subprocess.Popen(
        [sys.executable, "-m", "tattletrail", "ingest", str(trail), "--store", f"duckdb:///{path}",
         "--batch-events", str(PER_FILE), "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # One try per read, as often as it can: the writer's transactions here are 40 events each, so
    # the file is free only in short gaps between them, which a reader backing off (up to 0.5 s
    # between tries) could sleep through for the whole ingest (the test failed ~1 run in 5 so).
    reader = DuckDBStore(path, lock_timeout=0)
    seen = []
    while writer.poll() is None:
        try:
            seen.append(reader.stats().events)
        except StoreLocked:
            pass
        time.sleep(0.05)  # and leaves the writer its turns
    cli_reader = subprocess.run([sys.executable, "-m", "tattletrail", "stats", "--store", f"duckdb:///{path}",
                                 "--json"], capture_output=True, text=True, timeout=60)
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert json.loads(out)["ingested"] == FILES * PER_FILE
    assert seen == sorted(seen), "a reader never sees events disappear"
    assert any(0 < count < FILES * PER_FILE for count in seen), f"reads never overlapped the ingest: {seen[-5:]}"
    assert json.loads(cli_reader.stdout)["events"] == FILES * PER_FILE


def test_a_lock_held_too_long_is_a_clear_error_not_a_hang(tmp_path: Path):
    path = tmp_path / "events.duckdb"
    DuckDBStore(path)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(30)"),
        str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreLocked, match="stayed locked by another process"):
            DuckDBStore(path, lock_timeout=0.5).stats()
    finally:
        holder.kill()
        holder.wait()
    assert DuckDBStore(path, lock_timeout=5).stats().events == 0
