"""A record is never refused for a value's shape on OpenSearch: a nested value the index's mapping
can't take at its path (the template's, or the one an earlier record made) is moved into `misfits`,
and the record lands whole, reads back exactly and answers every query as it does on DuckDB."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tattletrail.ingest import ingest
from tattletrail.query import parse_query, predicate
from tattletrail.query.tree import All
from tattletrail.sources.local import local_objects
from tattletrail.stores.duckdb.store import DuckDBStore
from tattletrail.stores.opensearch.fit import MISFITS
from tests.cloudtrail_files import corpus_records, write_log_file
from tests.opensearch_helpers import fresh_store

IDENTITY_STORE = "arn:aws:identitystore::111122223333:identitystore/d-1234567890"


def a_record(event_id: str, **changes: Any) -> dict[str, Any]:
    """A real CloudTrail record (S3 GetObject from the shared corpora) with a new identity."""
    record = copy.deepcopy(corpus_records("otrf-ec2-proxy-s3-exfiltration.jsonl")[0])
    record.update(eventID=event_id, **changes)
    return record


def with_identity(event_id: str, **changes: Any) -> dict[str, Any]:
    record = a_record(event_id)
    record["userIdentity"].update(changes)
    return record


# Shapes CloudTrail and the tools between it and us really write: the documented shape first, then
# the same field as an exporter that re-serializes nested objects (or an older producer) writes it.
RECORDS = [
    # IAM Identity Center: userIdentity.onBehalfOf is an object; a re-serialized copy holds a string.
    with_identity("obo-object", onBehalfOf={"userId": "94482488-3041-7026-18f3-be45837cd0e4",
                                            "identityStoreArn": IDENTITY_STORE}),
    with_identity("obo-string", onBehalfOf='{"userId":"94482488-3041-7026-18f3-be45837cd0e4"}'),
    # A late-delivery addendum is an object; an exporter that flattens it writes a string first.
    a_record("addendum-string", addendum="DELIVERY_DELAY"),
    a_record("addendum-object", addendum={"reason": "DELIVERY_DELAY", "updatedFields": "tlsDetails",
                                          "originalEventID": "obo-object"}),
    # tlsDetails.tlsVersion is mapped keyword by the template; an object there can't be one.
    a_record("tls-object", tlsDetails={"tlsVersion": {"name": "TLSv1.3", "negotiated": True},
                                       "cipherSuite": "TLS_AES_128_GCM_SHA256"}),
    # sessionContext is a mapped object; a re-serialized one is a string.
    with_identity("session-string", sessionContext='{"attributes":{"mfaAuthenticated":"false"}}'),
    # resources is a list of objects; an exporter keeps just the ARNs; one list mixes both.
    a_record("resources-strings", resources=["arn:aws:s3:::mordor-bucket"]),
    a_record("resources-mixed", resources=[{"ARN": "arn:aws:s3:::mordor-bucket", "type": "AWS::S3::Bucket"},
                                           "arn:aws:s3:::mordor-bucket/data.csv"]),
    # Strings in CloudTrail's own shape, an object in an odd producer's: a fast field's column on
    # DuckDB tells `_exists_` (scalars beneath count) from a value query (none there) on its own.
    with_identity("invoked-string", invokedBy="ssm.amazonaws.com"),
    with_identity("invoked-object", invokedBy={"service": "ssm.amazonaws.com"}),
    with_identity("invoked-empty", invokedBy={"service": None}),
    a_record("error-string", errorMessage="Rate exceeded"),
    a_record("error-object", errorMessage={"detail": "throttled", "retry": 2}),
    # Insights: insightDetails is an object; a list of several shapes conflicts with itself.
    a_record("insight-mixed", insightDetails=[{"state": "Start", "eventName": "RunInstances"}, "Start"]),
    # managementEvent is a boolean; a producer wrote a word.
    a_record("management-word", managementEvent="sometimes"),
    # Payloads differ by service: `tags` is a map (Lambda TagResource), a list of key/value objects
    # (SSM AddTagsToResource), or a string. Payloads are flat_object: nothing to move there.
    a_record("tags-map", requestParameters={"resource": "arn:aws:lambda:us-east-1:123456789123:function:f",
                                            "tags": {"team": "red"}}),
    a_record("tags-list", requestParameters={"resourceType": "Parameter", "tags": [{"key": "team", "value": "red"}]}),
    a_record("tags-string", requestParameters={"tags": "team=red"}),
]

QUERIES = [
    "userIdentity.onBehalfOf.userId:94482488*",
    'userIdentity.onBehalfOf:"{\\"userId\\":\\"94482488-3041-7026-18f3-be45837cd0e4\\"}"',
    "_exists_:userIdentity.onBehalfOf",
    "_exists_:userIdentity.onBehalfOf.identityStoreArn",
    "addendum:DELIVERY_DELAY",
    "addendum.reason:DELIVERY_DELAY",
    "_exists_:addendum",
    "tlsDetails.tlsVersion.name:TLSv1.3",
    "tlsDetails.tlsVersion:TLSv1.3",  # an object there: matches nothing, on both stores
    "_exists_:tlsDetails.tlsVersion",
    "tlsDetails.cipherSuite:TLS_AES_128_GCM_SHA256",
    "_exists_:userIdentity.sessionContext",
    "userIdentity.userName:pedro AND _exists_:userIdentity.sessionContext",
    'resources.ARN:"arn:aws:s3:::mordor-bucket"',
    "resources.type:AWS\\:\\:S3\\:\\:Bucket",
    "insightDetails.state:Start",
    "insightDetails:Start",
    "_exists_:insightDetails",
    "sometimes",
    "_exists_:managementEvent",
    '"arn:aws:s3:::mordor-bucket/data.csv"',
    "DELIVERY_DELAY OR TLSv1.3",
    "NOT _exists_:addendum",
    "addendum:[A TO E]",
    "requestParameters.tags.team:red",
    "requestParameters.tags.key:team",
    'requestParameters.tags:"team=red"',
    "_exists_:requestParameters.tags",
    "_exists_:userIdentity.invokedBy",
    "userIdentity.invokedBy:*",
    "NOT _exists_:userIdentity.invokedBy",
    "userIdentity.invokedBy:ssm.amazonaws.com",
    "_exists_:errorMessage",
    "errorMessage:throttled OR errorMessage:Rate*",
]


@pytest.fixture(scope="module")
def stores(opensearch_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, DuckDBStore, Any]:
    logs = tmp_path_factory.mktemp("misfits")
    write_log_file(logs / "conflicting.json.gz", RECORDS)
    opensearch = fresh_store(opensearch_url, "misfits")
    embedded = DuckDBStore(logs.parent / "misfits.duckdb")
    summary = ingest(local_objects(logs), opensearch)
    ingest(local_objects(logs), embedded)
    return opensearch, embedded, summary


def test_records_whose_nested_types_conflict_all_land_on_opensearch(stores: tuple[Any, DuckDBStore, Any]):
    opensearch, embedded, summary = stores
    assert (summary.ingested, summary.quarantined) == (len(RECORDS), 0)
    assert opensearch.quarantined() == []
    assert opensearch.stats().events == embedded.stats().events == len(RECORDS)


def test_they_read_back_exactly_as_ingested(stores: tuple[Any, DuckDBStore, Any]):
    opensearch, embedded, _ = stores
    ids = [record["eventID"] for record in RECORDS]
    assert opensearch.records(ids) == embedded.records(ids) == {record["eventID"]: record for record in RECORDS}
    assert _without_ingest_time(opensearch.search(All(), limit=None)) == \
        _without_ingest_time(embedded.search(All(), limit=None))


def test_the_misfits_are_moved_aside_and_the_rest_is_indexed_in_place(stores: tuple[Any, DuckDBStore, Any]):
    opensearch, _, _ = stores
    hits = opensearch.client.search(index=opensearch.events_pattern, body={"size": 100, "query": {"match_all": {}}})
    moved = {hit["_source"]["event_id"]: hit["_source"].get(MISFITS) for hit in hits["hits"]["hits"]}
    assert moved["tls-object"] == {"tlsDetails": {"tlsVersion": {"name": "TLSv1.3", "negotiated": True}}}
    assert moved["management-word"] == {"managementEvent": "sometimes"}
    assert moved["obo-object"] is None  # the first shape of a field is the one the index maps
    assert {name for name, found in moved.items() if found} >= {"tls-object", "session-string", "resources-strings",
                                                                "insight-mixed", "management-word"}


@pytest.mark.parametrize("text", QUERIES)
def test_a_query_finds_the_same_events_on_both_stores(stores: tuple[Any, DuckDBStore, Any], text: str):
    opensearch, embedded, _ = stores
    query = parse_query(text)
    found = sorted(document["event_id"] for document in opensearch.search(query, limit=None))
    expected = sorted(document["event_id"] for document in embedded.search(query, limit=None))
    assert found == expected, text
    assert opensearch.count(query).total == embedded.count(query).total == len(expected)
    matches = predicate(query)  # the reference: the query language as documented
    assert expected == sorted(document["event_id"] for document in embedded.search(All(), limit=None)
                              if matches(document)), text


def test_the_queries_each_find_something(stores: tuple[Any, DuckDBStore, Any]):
    _, embedded, _ = stores  # so the comparison above can't pass by finding nothing on both
    empty = [text for text in QUERIES if not embedded.search(parse_query(text), limit=None)]
    assert empty == ["tlsDetails.tlsVersion:TLSv1.3"]


def _without_ingest_time(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in document.items() if key != "ingest_time"} for document in documents]
