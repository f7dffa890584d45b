"""`tattletrail ingest` answers a cron job and a newcomer can trust: filters that filter on local
files, links to folders followed, exit codes that say what happened, Ctrl-C that keeps what was stored."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from tattletrail.ingest import ingest
from tattletrail.query import parse_query
from tattletrail.sources.base import LogObject
from tattletrail.sources.filters import EventFilter
from tattletrail.sources.local import local_objects
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.cloudtrail_files import corpus_records, write_log_file

ACCOUNT, OTHER = "111122223333", "444455556666"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tattletrail", *args], capture_output=True, text=True, timeout=120)


def a_record(event_id: str, account: str, region: str, event_time: str) -> dict[str, Any]:
    record = copy.deepcopy(corpus_records("otrf-ec2-proxy-s3-exfiltration.jsonl")[0])
    record.update(eventID=event_id, awsRegion=region, eventTime=event_time, recipientAccountId=account)
    record["userIdentity"] = {**record["userIdentity"], "accountId": account}
    return record


def trail_file(root: Path, account: str, region: str, day: str, records: list[dict[str, Any]]) -> Path:
    """A file where CloudTrail puts it: AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/…"""
    year, month, dom = day.split("-")
    name = f"{account}_CloudTrail_{region}_{year}{month}{dom}T1205Z_abc.json.gz"
    return write_log_file(root / "AWSLogs" / account / "CloudTrail" / region / year / month / dom / name, records)


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    root = tmp_path / "logs"
    trail_file(root, ACCOUNT, "us-east-1", "2024-05-01", [a_record("a-use1-0501", ACCOUNT, "us-east-1",
                                                                   "2024-05-01T12:00:00Z")])
    trail_file(root, ACCOUNT, "eu-west-1", "2024-05-02", [a_record("a-euw1-0502", ACCOUNT, "eu-west-1",
                                                                   "2024-05-02T12:00:00Z")])
    trail_file(root, OTHER, "us-east-1", "2024-05-02", [a_record("o-use1-0502", OTHER, "us-east-1",
                                                                 "2024-05-02T12:00:00Z")])
    # Off the layout (a download, an export): filtered by each record.
    write_log_file(root / "export" / "mixed.json.gz", [
        a_record("x-a-use1-0502", ACCOUNT, "us-east-1", "2024-05-02T08:00:00Z"),
        a_record("x-o-euw1-0503", OTHER, "eu-west-1", "2024-05-03T08:00:00Z")])
    return root


@pytest.mark.parametrize("options, expected", [
    (["--account", ACCOUNT], {"a-use1-0501", "a-euw1-0502", "x-a-use1-0502"}),
    (["--region", "eu-west-1"], {"a-euw1-0502", "x-o-euw1-0503"}),
    (["--since", "2024-05-02", "--until", "2024-05-03"], {"a-euw1-0502", "o-use1-0502", "x-a-use1-0502"}),
    (["--account", OTHER, "--region", "eu-west-1"], {"x-o-euw1-0503"}),
])
def test_filters_apply_to_local_folders_by_layout_and_by_record(logs: Path, tmp_path: Path, options: list[str],
                                                               expected: set[str]):
    url = f"duckdb:///{tmp_path / 'events.duckdb'}"
    result = run_cli("ingest", str(logs), "--store", url, "--json", "--no-rules", *options)
    assert result.returncode == 0, result.stderr
    stored = {document["eventID"] for document in DuckDBStore(tmp_path / "events.duckdb").search(parse_query("*"))}
    assert stored == expected
    # What was left out is not ledgered: the same folder without filters stores the rest.
    everything = json.loads(run_cli("ingest", str(logs), "--store", url, "--json", "--no-rules").stdout)
    assert everything["ingested"] == 5 - len(expected)


def test_a_filter_that_matches_nothing_says_so_and_exits_4(logs: Path, tmp_path: Path):
    result = run_cli("ingest", str(logs), "--store", f"duckdb:///{tmp_path / 'e.duckdb'}", "--account", "999999999999")
    assert result.returncode == 4
    assert "no event could be read inside --account 999999999999" in result.stderr
    assert "3 files outside them by their path" in result.stderr and "2 events outside the filters" in result.stderr


def test_exit_codes_say_quarantined_and_nothing_read(tmp_path: Path):
    url = f"duckdb:///{tmp_path / 'e.duckdb'}"
    write_log_file(tmp_path / "good" / "a.json.gz", corpus_records("parser-samples.jsonl"))
    (tmp_path / "good" / "broken.json").write_bytes(b"{nope")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "broken.json").write_bytes(b"{nope")
    (tmp_path / "empty").mkdir()
    assert run_cli("ingest", str(tmp_path / "good"), "--store", url).returncode == 3
    assert run_cli("ingest", str(tmp_path / "good"), "--store", url).returncode == 0  # all done before
    assert run_cli("ingest", str(tmp_path / "bad"), "--store", url).returncode == 4
    empty = run_cli("ingest", str(tmp_path / "empty"), "--store", url)
    assert empty.returncode == 4 and "no event could be read" in empty.stderr


def test_a_link_to_a_folder_is_followed_and_a_loop_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    elsewhere = tmp_path / "other-disk" / "2024"
    write_log_file(elsewhere / "a.json.gz", corpus_records("parser-samples.jsonl"))
    root = tmp_path / "logs"
    root.mkdir()
    os.symlink(elsewhere.parent, root / "linked")
    os.symlink(root, elsewhere / "back-to-logs")  # a loop
    notices: list[str] = []
    files = [Path(log_object.uri) for log_object in local_objects(root, report=notices.append)]
    assert files == [root / "linked" / "2024" / "a.json.gz"]
    assert len(notices) == 1 and "back-to-logs: skipped" in notices[0] and "loop" in notices[0]


def test_ctrl_c_keeps_what_was_stored_and_a_re_run_resumes(tmp_path: Path):
    store = DuckDBStore(tmp_path / "events.duckdb")
    records = corpus_records("otrf-ec2-proxy-s3-exfiltration.jsonl")
    for number in range(4):
        write_log_file(tmp_path / "logs" / f"{number}.json.gz", records[number * 10:(number + 1) * 10])

    def interrupted_after_two() -> Iterator[LogObject]:
        for count, log_object in enumerate(local_objects(tmp_path / "logs")):
            if count == 2:
                raise KeyboardInterrupt  # what Ctrl-C raises in the main thread while it reads
            yield log_object

    first = ingest(interrupted_after_two(), store, batch_events=10)
    assert first.interrupted and first.ingested == store.stats().events <= 20
    again = ingest(local_objects(tmp_path / "logs"), store)
    assert not again.interrupted and store.stats().events == 40
    assert again.ingested + first.ingested == 40


def test_event_filter_reads_the_layout_only_on_the_layout():
    chosen = EventFilter(accounts=frozenset({ACCOUNT}))
    assert not chosen.keeps_path(f"AWSLogs/{OTHER}/CloudTrail/us-east-1/2024/05/01/x_CloudTrail_x.json.gz")
    assert chosen.keeps_path("exports/anything.json.gz")  # off the layout: each record decides
    assert chosen.files_outside == 1
