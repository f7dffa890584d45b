"""The same answers on every store (DuckDB file, OpenSearch on osmem): one event identity, no record
refused for a scalar's type, every documented field searchable and shown."""

from __future__ import annotations

import copy
import csv
import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from tattletrail.ingest import ingest
from tattletrail.query import parse_query
from tattletrail.query.python import values_at
from tattletrail.sources.local import local_objects
from tattletrail.stores import Store
from tests.cloudtrail_files import corpus_records, write_log_file
from tests.opensearch_helpers import STORE_KINDS, new_store

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    opened = new_store(request, tmp_path, "parity")
    yield opened
    opened.close()


def a_record(event_id: str, event_time: str = "2024-05-01T10:00:00Z", **changes: Any) -> dict[str, Any]:
    """A real CloudTrail record (S3 GetObject from the shared corpora) with a new identity."""
    record = copy.deepcopy(corpus_records("otrf-ec2-proxy-s3-exfiltration.jsonl")[0])
    record.update(eventID=event_id, eventTime=event_time, **changes)
    return record


def found(store: Store, query: str) -> list[str]:
    return sorted(f"{document['eventID']}@{document['eventTime']}" for document in store.search(parse_query(query)))


def test_a_record_reusing_an_event_id_at_another_time_is_kept_and_re_ingest_stores_nothing_twice(
        store: Store, tmp_path: Path):
    records = [a_record("reused-1", "2024-05-01T10:00:00Z"), a_record("reused-1", "2024-05-03T09:30:00Z"),
               a_record("reused-1", "2024-05-01T10:00:00Z"),  # CloudTrail re-delivering the first: a duplicate
               a_record("other-1", "2024-05-01T10:00:00Z")]
    write_log_file(tmp_path / "logs" / "first.json.gz", records)
    summary = ingest(local_objects(tmp_path / "logs"), store)
    assert (summary.ingested, summary.duplicates) == (3, 1)
    assert found(store, "eventID:reused-1") == ["reused-1@2024-05-01T10:00:00Z", "reused-1@2024-05-03T09:30:00Z"]

    write_log_file(tmp_path / "again" / "second.json.gz", records)  # another file: not skipped by the ledger
    again = ingest(local_objects(tmp_path / "again"), store)
    assert (again.ingested, again.duplicates) == (0, 4)
    assert store.stats().events == 3


def test_a_boolean_written_as_text_is_kept_lossless_and_queryable(store: Store, tmp_path: Path):
    records = [a_record("spelled-true", managementEvent="True"), a_record("spelled-false", readOnly="False"),
               a_record("not-a-boolean", managementEvent="sometimes"), a_record("plain", managementEvent=True),
               a_record("odd-time", "yesterday-ish")]
    write_log_file(tmp_path / "logs" / "shapes.json.gz", records)
    summary = ingest(local_objects(tmp_path / "logs"), store)
    assert (summary.ingested, summary.quarantined) == (5, 0), summary.quarantine_reasons
    assert {d["eventID"] for d in store.search(parse_query("managementEvent:true"))} == {"plain", "spelled-true"}
    assert {d["eventID"] for d in store.search(parse_query("readOnly:false"))} == {"spelled-false"}
    documents = {document["eventID"]: document for document in store.search(parse_query("*"))}
    assert documents["spelled-true"]["managementEvent"] == "True"  # given back exactly as read
    assert documents["not-a-boolean"]["managementEvent"] == "sometimes"
    assert documents["odd-time"]["eventTime"] == "yesterday-ish" and documents["odd-time"]["event_time"] is None


def documented_fields() -> list[str]:
    """The derived fields of README's "The event model" table."""
    section = README.read_text().split("### The event model", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M)


def test_every_documented_field_is_searchable_and_shown_on_every_store(store: Store, tmp_path: Path):
    fields = documented_fields()
    assert {"event_id", "actor", "missing", "source"} <= set(fields)
    with_resource = next(record for record in corpus_records("otrf-ec2-proxy-s3-exfiltration.jsonl")
                         if isinstance(record.get("requestParameters"), dict)
                         and "bucketName" in record["requestParameters"])
    complete = {**with_resource, "eventID": "complete-1"}
    incomplete = {key: value for key, value in a_record("incomplete-1").items() if key != "awsRegion"}
    log = write_log_file(tmp_path / "logs" / "fields.json.gz", [complete, incomplete])
    assert ingest(local_objects(tmp_path / "logs"), store).ingested == 2
    for field in fields:
        assert store.count(parse_query(f"_exists_:{field}")).total >= 1, field
        shown = [values_at(document, field) for document in store.search(parse_query("*"))]
        assert any(shown), f"{field} is never shown"
    assert store.count(parse_query(f'source:"{log}"')).total == 2
    assert store.count(parse_query("missing:awsRegion")).total == 1

    url = store.url if not store.url.startswith("opensearch") else store.settings.redacted_url  # type: ignore[attr-defined]
    result = subprocess.run([sys.executable, "-m", "tattletrail", "search", "--store", url, "--fields",
                             ",".join(fields), "--format", "csv"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    header, *rows = list(csv.reader(io.StringIO(result.stdout)))
    assert header == fields
    for at, field in enumerate(fields):
        assert any(row[at] not in ("", "-") for row in rows), f"--fields {field} shows nothing"
