"""Ingest into the embedded store: nothing lost, nothing twice, bad input quarantined with a reason."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

import tattletrail.ingest.pipeline
from tattletrail.ingest import ingest
from tattletrail.sources.local import local_objects
from tattletrail.stores.duckdb import write as duckdb_write
from tattletrail.stores.duckdb.store import DuckDBStore
from tests.cloudtrail_files import CORPORA, corpus_records, distinct_identities, write_log_file


@pytest.fixture
def store(tmp_path: Path) -> DuckDBStore:
    return DuckDBStore(tmp_path / "events.duckdb")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tattletrail", *args], capture_output=True, text=True, timeout=120)


def test_shared_corpora_land_with_nothing_lost(store: DuckDBStore):
    records = corpus_records()
    summary = ingest(local_objects(CORPORA / "otrf-ec2-proxy-s3-exfiltration.jsonl"), store)
    summary2 = ingest(local_objects(CORPORA / "otrf-honeybucket-partial.jsonl"), store)
    summary3 = ingest(local_objects(CORPORA / "parser-samples.jsonl"), store)
    assert store.stats().events == len(distinct_identities(records)) == 410
    assert summary.quarantined == summary2.quarantined == summary3.quarantined == 0
    # parser-samples repeats one eventID: counted as a duplicate, stored once
    assert summary.ingested + summary2.ingested + summary3.ingested == 410
    assert summary3.duplicates == 1


def test_stored_records_are_given_back_as_the_same_json_value(store: DuckDBStore, monkeypatch):
    monkeypatch.setattr(duckdb_write, "ARROW_SLICE", 7)  # the batch's table is built in slices
    records = corpus_records("otrf-ec2-proxy-s3-exfiltration.jsonl")
    assert len(records) > 7
    write_log_file(store.path.parent / "logs" / "a.json.gz", records)
    ingest(local_objects(store.path.parent / "logs"), store)
    stored = store.records([record["eventID"] for record in records])
    assert [stored[record["eventID"]] for record in records] == records


def test_incomplete_records_land_marked_and_twice_ingested_once(store: DuckDBStore, tmp_path: Path):
    honeybucket = corpus_records("otrf-honeybucket-partial.jsonl")  # no awsRegion, no eventVersion
    no_id = [{k: v for k, v in record.items() if k != "eventID"} for record in honeybucket[:5]]
    write_log_file(tmp_path / "logs" / "partial.json.gz", honeybucket + no_id)
    write_log_file(tmp_path / "logs" / "again.json.gz", no_id)  # the same id-less records, delivered twice
    ingest(local_objects(tmp_path / "logs"), store)
    stats = store.stats()
    assert stats.events == len(honeybucket) + 5
    assert stats.incomplete == len(honeybucket) + 5


def test_an_event_delivered_again_in_a_later_batch_is_stored_once(store: DuckDBStore, tmp_path: Path):
    records = corpus_records()
    untimed = [{k: v for k, v in record.items() if k != "eventTime"} for record in records[:4]]
    write_log_file(tmp_path / "logs" / "a.json.gz", records + untimed)
    write_log_file(tmp_path / "logs" / "b.json.gz", records[::-1] + untimed)  # delivered again, in other batches
    summary = ingest(local_objects(tmp_path / "logs"), store, batch_events=7)
    read = 2 * (len(records) + 4)  # parser-samples repeats one eventID: 410 distinct of 411
    assert (summary.ingested, summary.duplicates) == (414, read - 414)
    assert store.stats().events == 414


def test_a_record_reusing_an_event_id_at_another_time_is_kept_beside_the_first(store: DuckDBStore, tmp_path: Path):
    # CloudTrail re-delivers an event with its own eventTime; a record that reuses an eventID with
    # another time is not that event again, and dropping it could hide tampering
    record = corpus_records("parser-samples.jsonl")[0]
    other = {**record, "eventTime": "2001-01-01T00:00:00Z"}
    write_log_file(tmp_path / "logs" / "a.json.gz", [record, other, record])
    summary = ingest(local_objects(tmp_path / "logs"), store)
    assert (summary.ingested, summary.duplicates) == (2, 1)


def test_a_new_store_keeps_records_compressed_with_zstd_and_no_key_index(store: DuckDBStore, tmp_path: Path):
    write_log_file(tmp_path / "logs" / "a.json.gz", corpus_records())
    ingest(local_objects(tmp_path / "logs"), store)
    with store.connect(read_only=False) as connection:
        connection.execute("CHECKPOINT")
        compressions = {row[0] for row in connection.execute(
            "SELECT compression FROM pragma_storage_info('events') WHERE column_name = 'record' "
            "AND segment_type = 'VARCHAR'").fetchall()}
        keys = connection.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'events' "
                                  "AND constraint_type = 'PRIMARY KEY'").fetchone()[0]
    assert compressions == {"ZSTD"} and keys == 0


def test_ingesting_the_same_files_twice_leaves_the_same_events(store: DuckDBStore, tmp_path: Path):
    records = corpus_records()
    for index in range(0, len(records), 50):
        write_log_file(tmp_path / "logs" / f"{index:04}.json.gz", records[index:index + 50])
    first = ingest(local_objects(tmp_path / "logs"), store)
    second = ingest(local_objects(tmp_path / "logs"), store)
    assert (first.ingested, second.ingested) == (410, 0)
    assert second.skipped_reasons == {"already-ingested": len(list((tmp_path / "logs").iterdir()))}
    # a file rewritten (new content, so the ledger sees a change) is read again without duplicates
    write_log_file(tmp_path / "logs" / "0000.json.gz", records[0:50] + records[50:60])
    third = ingest(local_objects(tmp_path / "logs"), store)
    assert (third.objects, third.ingested, third.duplicates) == (1, 0, 60)
    assert store.stats().events == 410


def test_same_files_under_another_name_are_duplicates_not_new_events(store: DuckDBStore, tmp_path: Path):
    records = corpus_records("parser-samples.jsonl")
    write_log_file(tmp_path / "a" / "x.json.gz", records)
    write_log_file(tmp_path / "b" / "x.json.gz", records)
    summary = ingest(local_objects(tmp_path), store)
    assert (summary.ingested, summary.duplicates) == (6, 8)


BAD_FILES = {
    "truncated.json.gz": gzip.compress(orjson.dumps({"Records": corpus_records("parser-samples.jsonl")}))[:-30],
    "notes.txt": b"this is not JSON\n",
    "config.json": b'{"configurationItems": [{"resourceType": "AWS::EC2::VPC"}]}',
    "empty.json.gz": b"",
    "records-with-junk.json": orjson.dumps({"Records": [42, "x", corpus_records("parser-samples.jsonl")[0]]}),
}


def test_bad_files_are_quarantined_with_reasons_and_good_ones_land(store: DuckDBStore, tmp_path: Path):
    good = corpus_records("otrf-ec2-proxy-s3-exfiltration.jsonl")
    write_log_file(tmp_path / "logs" / "good.json.gz", good)
    for name, content in BAD_FILES.items():
        (tmp_path / "logs" / name).write_bytes(content)
    write_log_file(tmp_path / "logs" / "AWSLogs" / "1" / "CloudTrail-Digest" / "d_CloudTrail-Digest_x.json.gz",
                   [])
    summary = ingest(local_objects(tmp_path / "logs"), store)
    assert summary.ingested == len(good) + 1
    assert summary.skipped_reasons == {"digest": 1}
    reasons = {(Path(entry.source).name, entry.location, entry.reason) for entry in store.quarantined()}
    assert reasons == {
        ("truncated.json.gz", "file", "truncated-gzip"),
        ("notes.txt", "file", "not-json"),
        ("config.json", "file", "no-records"),
        ("empty.json.gz", "file", "empty"),
        ("records-with-junk.json", "record 1", "not-an-object"),
        ("records-with-junk.json", "record 2", "not-an-object"),
    }
    assert summary.quarantined == 6


def test_cli_ingest_stats_and_quarantine_speak_json(tmp_path: Path):
    url = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    write_log_file(tmp_path / "logs" / "good.json.gz", corpus_records("parser-samples.jsonl"))
    (tmp_path / "logs" / "broken.json").write_bytes(b"{nope")
    result = run_cli("ingest", str(tmp_path / "logs"), "--store", url, "--json")
    assert result.returncode == 3, result.stderr  # some of it quarantined: a cron job notices
    summary = json.loads(result.stdout)
    assert {key: summary[key] for key in ("ingested", "duplicates", "quarantined", "skipped")} == {
        "ingested": 6, "duplicates": 1, "quarantined": 1, "skipped": 0}
    stats = json.loads(run_cli("stats", "--store", url, "--json").stdout)
    assert stats["events"] == 6 and stats["quarantined"] == 1
    assert stats["by_region"] == {"ap-south-1": 4, "us-east-1": 2}
    quarantine = json.loads(run_cli("quarantine", "--store", url, "--json").stdout)
    assert [(Path(q["source"]).name, q["reason"]) for q in quarantine] == [("broken.json", "not-json")]
    again = json.loads(run_cli("ingest", str(tmp_path / "logs"), "--store", url, "--json").stdout)
    assert (again["ingested"], again["skipped"]) == (0, 2)


def test_cli_human_summary_and_clear_errors(tmp_path: Path):
    url = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    write_log_file(tmp_path / "logs" / "good.json.gz", corpus_records("parser-samples.jsonl"))
    result = run_cli("ingest", str(tmp_path / "logs"), "--store", url)
    assert "Ingested 6 events from 1 files" in result.stdout
    missing = run_cli("ingest", str(tmp_path / "nowhere"), "--store", url)
    assert missing.returncode == 2 and "nowhere: no such file or folder" in missing.stderr
    assert "Traceback" not in missing.stderr
    wrong_store = run_cli("stats", "--store", "mysql://db/events")
    assert wrong_store.returncode == 2 and "unknown store" in wrong_store.stderr


def test_store_url_comes_from_the_environment_then_the_config_file(tmp_path: Path, monkeypatch):
    from tattletrail.config_lookup import default_store_url

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TATTLETRAIL_STORE", raising=False)
    monkeypatch.delenv("TATTLETRAIL_CONFIG", raising=False)
    (tmp_path / "tattletrail.yml").write_text("store: duckdb:///from/config.duckdb\n")
    assert default_store_url() == "duckdb:///from/config.duckdb"
    monkeypatch.setenv("TATTLETRAIL_STORE", "duckdb:///from/env.duckdb")
    assert default_store_url() == "duckdb:///from/env.duckdb"


class WatchedStore(DuckDBStore):
    """The real store, noting the batches it prepared and what each write transaction carried."""

    transaction_events = 40

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.prepared: list[int] = []
        self.transactions: list[tuple[int, list[str]]] = []

    def prepare(self, batch):  # type: ignore[no-untyped-def]
        self.prepared.append(len(batch.events))
        return super().prepare(batch)

    def write_prepared(self, parts):  # type: ignore[no-untyped-def]
        self.transactions.append((sum(len(part) for part in parts),
                                  [entry.source for part in parts for entry in part.ledger]))
        return super().write_prepared(parts)


def test_a_big_file_is_read_in_bounded_batches_and_ledgered_with_its_last_events(tmp_path: Path, monkeypatch):
    records = corpus_records()[:95]
    big = write_log_file(tmp_path / "logs" / "big.json.gz", records)
    store = WatchedStore(tmp_path / "events.duckdb")
    monkeypatch.setattr(tattletrail.ingest.pipeline, "READ_BATCH_EVENTS", 20)
    summary = ingest(local_objects(big), store)
    assert summary.ingested == len(distinct_identities(records))
    # batches of at most 20 events become Arrow tables at once; transactions join them up to 40
    assert max(store.prepared) <= 20 and len(store.prepared) >= 5
    assert [size for size, _ in store.transactions] == [40, 40, 15]
    ledgered_in = [index for index, (_, sources) in enumerate(store.transactions) if sources]
    assert ledgered_in == [len(store.transactions) - 1]  # not before the file's last events are stored


def test_reading_a_store_that_is_not_there_is_an_error_not_an_empty_store(tmp_path: Path):
    url = f"duckdb://{tmp_path / 'typo' / 'events.duckdb'}"
    result = run_cli("stats", "--store", url)
    assert result.returncode == 2
    assert "no store here yet" in result.stderr and url in result.stderr
    assert not (tmp_path / "typo").exists()
