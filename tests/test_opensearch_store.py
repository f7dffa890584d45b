"""The OpenSearch store against a real server (osmem-server): set up once, nothing lost, nothing
twice, payloads of any shape, a refused document quarantined whole, answers equal to DuckDB's."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tattletrail.ingest import ingest
from tattletrail.query import parse_query
from tattletrail.query.tree import All
from tattletrail.sources.local import local_objects
from tattletrail.stores import open_store
from tattletrail.stores.base import StoreUnavailable
from tattletrail.stores.duckdb.store import DuckDBStore
from tattletrail.stores.opensearch.store import REJECTED_REASON, OpenSearchStore
from tests.cloudtrail_files import CORPORA, corpus_records, distinct_identities, write_log_file
from tests.opensearch_helpers import fresh_store, store_url


def a_record(event_id: str, **changes: Any) -> dict[str, Any]:
    """A real CloudTrail record (S3 GetObject from the shared corpora) with a new identity."""
    record = copy.deepcopy(corpus_records("otrf-ec2-proxy-s3-exfiltration.jsonl")[0])
    record.update(eventID=event_id, **changes)
    return record


def test_setup_twice_changes_nothing_the_second_time(opensearch_url: str):
    store = OpenSearchStore(store_url(opensearch_url, "tt-setup"))
    planned = store.setup(dry_run=True)
    assert {step.action for step in planned} <= {"create", "skipped"}
    assert not store.client.indices.exists_index_template(name="tt-setup-events"), "a dry run installed something"
    assert not store.client.indices.exists(index="tt-setup-ledger")

    first = store.setup()
    assert [step.action for step in first] == [step.action for step in planned]
    second = store.setup()
    assert {step.action for step in second} <= {"unchanged", "skipped"}
    # osmem has no ISM plugin: the policy is skipped with a reason, everything else installed
    assert [step.name for step in second if step.action == "skipped"] == ["ism policy tt-setup-events"]
    assert all(check.ok for check in store.doctor()), store.doctor()


def test_doctor_says_to_run_setup_on_a_bare_cluster_and_ingest_refuses(opensearch_url: str, tmp_path: Path):
    store = OpenSearchStore(store_url(opensearch_url, "tt-bare"))
    failed = [check for check in store.doctor() if not check.ok]
    assert failed and all("tattletrail setup --store" in (check.fix or "") for check in failed)
    write_log_file(tmp_path / "a.json.gz", [a_record("bare-1")])
    with pytest.raises(StoreUnavailable, match="run `tattletrail setup"):
        ingest(local_objects(tmp_path), store)


def test_doctor_names_an_unreachable_cluster():
    store = OpenSearchStore("opensearch://127.0.0.1:9?timeout=2")
    (check,) = store.doctor()
    assert check.name == "connect" and not check.ok and "can't reach" in check.detail


def test_shared_corpora_land_once_and_answer_like_duckdb(opensearch_url: str, tmp_path: Path):
    store = fresh_store(opensearch_url, "corpora")
    embedded = DuckDBStore(tmp_path / "events.duckdb")
    summary = ingest(local_objects(CORPORA), store)
    ingest(local_objects(CORPORA), embedded)
    assert store.stats().events == len(distinct_identities(corpus_records())) == summary.ingested == 410
    assert summary.duplicates == 1  # parser-samples repeats one eventID

    assert store.stats().as_dict() == embedded.stats().as_dict()
    for text in ["*", "eventName:Describe*", "userIdentity.userName:pedro", "requestParameters.bucketName:*",
                 "NOT eventSource:s3.amazonaws.com"]:
        query = parse_query(text)
        assert _without_ingest_time(store.search(query, limit=None)) == \
            _without_ingest_time(embedded.search(query, limit=None)), text
        assert store.count(query, by="eventSource").as_dict() == embedded.count(query, by="eventSource").as_dict()
        assert store.count(query, interval=timedelta(days=1)).as_dict() == \
            embedded.count(query, interval=timedelta(days=1)).as_dict()
    assert store.field_names() == embedded.field_names()
    assert [(q.source, q.reason) for q in store.quarantined()] == [(q.source, q.reason) for q in embedded.quarantined()]


def test_batches_joined_in_one_write_land_like_batches_written_one_by_one(opensearch_url: str, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    """The ingester joins read batches up to the store's `transaction_events`: on OpenSearch the
    joined batches go as one, and each file is still ledgered only once its events are stored."""
    one_by_one = fresh_store(opensearch_url, "unjoined")
    separately = ingest(local_objects(CORPORA), one_by_one, batch_events=20)
    joined = fresh_store(opensearch_url, "joined")
    monkeypatch.setattr("tattletrail.ingest.pipeline.READ_BATCH_EVENTS", 20)  # read 20 at a time, written 20,000 at a time
    together = ingest(local_objects(CORPORA), joined)
    assert (together.ingested, together.duplicates) == (separately.ingested, separately.duplicates) == (410, 1)
    assert joined.stats().as_dict() == one_by_one.stats().as_dict()
    files = [log_object.uri for log_object in local_objects(CORPORA)]
    assert joined.ledgered(files).keys() == one_by_one.ledgered(files).keys() == set(files)


def test_search_pages_past_one_request(opensearch_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    store = fresh_store(opensearch_url, "paging")
    ingest(local_objects(CORPORA), store)
    everything = store.search(All(), limit=None)
    monkeypatch.setattr("tattletrail.stores.opensearch.search.PAGE", 7)
    assert store.search(All(), limit=None) == everything
    assert store.search(All(), limit=30) == everything[:30]


def test_reingesting_changed_files_stores_no_duplicates_across_months(opensearch_url: str, tmp_path: Path):
    store = fresh_store(opensearch_url, "reingest")
    records = [a_record(f"month-{month}", eventTime=f"2024-{month:02d}-28T23:59:59Z") for month in range(1, 13)]
    write_log_file(tmp_path / "logs" / "a.json.gz", records)
    assert ingest(local_objects(tmp_path / "logs"), store).ingested == 12
    write_log_file(tmp_path / "logs" / "a.json.gz", records + [a_record("late", eventTime="2024-12-31T00:00:00Z")])  # new ETag: read again
    again = ingest(local_objects(tmp_path / "logs"), store)
    assert (again.ingested, again.duplicates) == (1, 12)
    assert store.stats().events == 13
    indices = store.client.indices.get(index=store.events_pattern)
    assert len(indices) == 12  # one per eventTime month; the re-delivered events met their first copies


def test_payloads_of_every_shape_land_and_read_back_exactly(opensearch_url: str, tmp_path: Path):
    store = fresh_store(opensearch_url, "shapes")
    embedded = DuckDBStore(tmp_path / "events.duckdb")
    records = [
        a_record("shape-object", requestParameters={"bucketName": "b", "nested": {"deep": [1, {"x": True}]}}),
        a_record("shape-string", requestParameters="a bare string payload"),
        a_record("shape-list", requestParameters=["one", {"two": 2}], responseElements=7),
        a_record("shape-null", requestParameters=None, additionalEventData={"n": None}),
        a_record("shape-big", requestParameters={"policy": "p" * 50_000, "key": "k"}),
        a_record("shape-many", serviceEventDetails={f"field{n}": n for n in range(3_000)}),
    ]
    write_log_file(tmp_path / "logs" / "shapes.json.gz", records)
    summary = ingest(local_objects(tmp_path / "logs"), store)
    ingest(local_objects(tmp_path / "logs"), embedded)
    assert summary.ingested == len(records) and store.quarantined() == []
    assert store.records([record["eventID"] for record in records]) == {r["eventID"]: r for r in records}
    for text, expected in [('requestParameters:"a bare string payload"', {"shape-string"}),
                           ("requestParameters:one", {"shape-list"}),
                           ("requestParameters.nested.deep.x:true", {"shape-object"}),
                           ("requestParameters.key:k", {"shape-big"}),
                           ("requestParameters.policy:ppp*", {"shape-big"}),
                           ("serviceEventDetails.field2999:2999", {"shape-many"})]:
        query = parse_query(text)
        found = {document["event_id"] for document in store.search(query)}
        assert found == expected == {document["event_id"] for document in embedded.search(query)}, text
    big = store.search(parse_query("eventID:shape-big"))[0]
    assert big["requestParameters"]["policy"] == "p" * 50_000  # documents come from the original record


def test_events_indices_map_payloads_as_flat_object_and_addresses_with_an_ip_sub_field(opensearch_url: str, tmp_path: Path):
    store = fresh_store(opensearch_url, "mapping")
    write_log_file(tmp_path / "logs" / "a.json.gz", [
        a_record("ip-1", sourceIPAddress="203.0.113.7"),
        a_record("ip-2", sourceIPAddress="s3.amazonaws.com"),  # AWS services call from a name, not an address
        a_record("ip-3", sourceIPAddress="2001:db8::1")])
    assert ingest(local_objects(tmp_path / "logs"), store).ingested == 3
    (mapping,) = store.client.indices.get_mapping(index=store.events_pattern).values()
    properties = mapping["mappings"]["properties"]
    assert {properties[name]["type"] for name in ("requestParameters", "responseElements", "additionalEventData",
                                                  "serviceEventDetails")} == {"flat_object"}
    assert properties["sourceIPAddress"]["fields"]["ip"]["type"] == "ip"
    assert mapping["mappings"]["date_detection"] is False
    for text, expected in [("sourceIPAddress:203.0.113.0/24", {"ip-1"}), ("sourceIPAddress:2001\\:db8\\:\\:/32", {"ip-3"}),
                           ("sourceIPAddress:s3.amazonaws.com", {"ip-2"})]:
        assert {document["event_id"] for document in store.search(parse_query(text))} == expected, text


def test_a_document_the_cluster_refuses_is_quarantined_whole_and_the_rest_lands(opensearch_url: str,
                                                                                 tmp_path: Path):
    store = fresh_store(opensearch_url, "refused")
    # More new fields than the index may have (index.mapping.total_fields.limit): no shape to fit, so refused.
    refused = a_record("refused-1", addendum={f"field{n}": n for n in range(5_100)})
    good = [a_record(f"good-{n}") for n in range(5)]
    write_log_file(tmp_path / "logs" / "mixed.json.gz", [good[0], refused, *good[1:]])
    summary = ingest(local_objects(tmp_path / "logs"), store)
    assert summary.ingested == 5
    assert (summary.quarantined, summary.quarantine_reasons) == (1, {REJECTED_REASON: 1})  # `ingest --json` counts it
    (entry,) = store.quarantined()
    assert (entry.reason, entry.location[:16]) == (REJECTED_REASON, "event refused-1@")
    assert "Limit of total fields" in entry.detail
    import orjson
    assert orjson.loads(entry.sample) == refused  # kept whole, never dropped
    log = str(tmp_path / "logs" / "mixed.json.gz")
    assert log in store.ledgered([log])  # the file is done: its one bad event is kept in quarantine


def test_an_event_id_too_long_for_an_opensearch_id_lands_once_as_on_duckdb(opensearch_url: str, tmp_path: Path):
    store = fresh_store(opensearch_url, "long-id")
    embedded = DuckDBStore(tmp_path / "events.duckdb")
    long_id = "a-producer-wrote-this-" + "x" * 600  # over OpenSearch's 512-byte `_id`
    write_log_file(tmp_path / "logs" / "a.json.gz", [a_record(long_id), a_record("short-1")])
    for target in (store, embedded):
        assert ingest(local_objects(tmp_path / "logs"), target).ingested == 2
    assert [d["event_id"] for d in store.search(parse_query(f"eventID:{long_id}"))] == [long_id]
    assert store.records([long_id]) == embedded.records([long_id])
    write_log_file(tmp_path / "logs" / "a.json.gz", [a_record(long_id), a_record("short-1"), a_record("short-2")])
    reread = ingest(local_objects(tmp_path / "logs"), store)  # a new ETag: the file is read again
    assert (reread.ingested, reread.duplicates) == (1, 2) and store.stats().events == 3


def test_store_urls_open_through_the_registry(opensearch_url: str):
    store = open_store(store_url(opensearch_url, "tt-registry"))
    assert isinstance(store, OpenSearchStore) and store.engine.distribution == "opensearch"
    assert store.engine.payload_type == "flat_object"


def _without_ingest_time(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each store stamps its own ingest time; everything else must be equal."""
    return [{key: value for key, value in document.items() if key != "ingest_time"} for document in documents]
