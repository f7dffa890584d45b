"""The doors into the ingester: sources chosen by `open_source` from the URI, and the combinations
of `tattletrail ingest` options that can't run refused with the option to fix."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from tattletrail.cli import app
from tattletrail.ingest.long_running import run_long
from tattletrail.ingest.once import ingest_once
from tattletrail.ingest.options import FollowOptions, IngestOptions, IngestUsageError, QueueOptions
from tattletrail.sources import SourceError, SourceOptions, open_source
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.cloudtrail_files import corpus_records, write_log_file
from tests.sqs_helpers import log_key, use_test_credentials

RECORDS = corpus_records()
ACCOUNT = "111122223333"


def test_a_path_opens_local_files_and_the_layout_leaves_files_outside_unopened(tmp_path: Path):
    inside = write_log_file(tmp_path / log_key(ACCOUNT, "us-east-1", datetime(2026, 11, 23, 10, 5)), RECORDS[:5])
    write_log_file(tmp_path / log_key(ACCOUNT, "eu-west-1", datetime(2026, 11, 23, 10, 5)), RECORDS[5:10])
    options = SourceOptions(regions=("us-east-1",))
    assert [log_object.uri for log_object in open_source(str(tmp_path), options)] == [str(inside)]
    assert options.events.files_outside == 1


def test_s3_uris_list_the_bucket_with_the_options_client(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch):
    use_test_credentials(monkeypatch)
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    bucket = f"trail-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    keys = [log_key(ACCOUNT, "us-east-1", datetime(2026, 11, day, 10, 5)) for day in (20, 23)]
    for key in keys:
        client.put_object(Bucket=bucket, Key=key, Body=b"{}")
    listed = open_source(f"s3://{bucket}/", SourceOptions(since=datetime(2026, 11, 22), s3_client=client))
    assert [log_object.uri for log_object in listed] == [f"s3://{bucket}/{keys[1]}"]


def test_cloudtrail_api_uris_go_to_lookup_events():
    with pytest.raises(SourceError, match="write cloudtrail-api://"):
        next(open_source("cloudtrail-api://somewhere"))


def test_options_copied_with_another_window_filter_events_by_the_new_window():
    options = SourceOptions(accounts=(ACCOUNT,), since=datetime(2026, 11, 1))
    later = replace(options, since=datetime(2026, 11, 20), until=None)
    assert (later.events.since, later.events.accounts) == (datetime(2026, 11, 20), frozenset({ACCOUNT}))
    assert options.events.since == datetime(2026, 11, 1)


QUEUE = "https://sqs.us-east-1.amazonaws.com/111122223333/trail"
REFUSED = {  # options → the option to fix, and what the message says
    "--sqs with SOURCES": (IngestOptions(sources=("logs",), sqs=QueueOptions(QUEUE)), None, "--sqs reads"),
    "--sqs with --follow": (IngestOptions(sqs=QueueOptions(QUEUE), follow=FollowOptions()), None, "--sqs reads"),
    "--metrics-port alone": (IngestOptions(sources=("logs",), metrics_port=9), None, "--metrics-port is for"),
    "--follow on a folder": (IngestOptions(sources=("logs",), follow=FollowOptions()), "SOURCES", "--follow takes"),
    "--follow on two prefixes": (IngestOptions(sources=("s3://a/", "s3://b/"), follow=FollowOptions(timedelta(1))),
                                 "SOURCES", "--follow takes one"),
}


@pytest.mark.parametrize("options, hint, message", REFUSED.values(), ids=REFUSED.keys())
def test_long_running_combinations_that_cant_run_are_refused(options: IngestOptions, hint: str | None, message: str,
                                                             tmp_path: Path):
    with pytest.raises(IngestUsageError, match=message) as refused:
        run_long(options, DuckDBStore(tmp_path / "events.duckdb"))
    assert refused.value.param_hint == hint


def test_an_ingest_with_no_sources_says_what_to_name(tmp_path: Path):
    with pytest.raises(IngestUsageError, match="name what to read") as refused:
        ingest_once(IngestOptions(), DuckDBStore(tmp_path / "events.duckdb"))
    assert refused.value.param_hint == "SOURCES"


def test_the_cli_shows_a_refused_combination_as_a_usage_error(tmp_path: Path):
    result = CliRunner().invoke(app, ["ingest", str(tmp_path), "--follow", "--store",
                                      f"duckdb:///{tmp_path / 'events.duckdb'}"])
    assert result.exit_code == 2
    assert "SOURCES" in result.output and "--follow takes one s3://bucket/prefix" in result.output
