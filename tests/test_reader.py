"""Every form CloudTrail records come in is read, and every bad input becomes a reason, not a crash."""

from __future__ import annotations

import gzip
import io

import orjson
import pytest

from tattletrail import reader
from tattletrail.reader import Problem, Skipped, read_records
from tests.cloudtrail_files import corpus_records

RECORDS = corpus_records("parser-samples.jsonl")


def read(content: bytes, name: str = "file.json.gz") -> list:
    return list(read_records(name, io.BytesIO(content)))


def records_only(items: list) -> list[dict]:
    assert all(isinstance(item, dict) for item in items), items
    return items


def test_records_file_gzipped_gives_back_every_record_unchanged():
    items = read(gzip.compress(orjson.dumps({"Records": RECORDS})))
    assert records_only(items) == RECORDS


def test_gzip_of_several_members_and_trailing_bytes_is_read_like_gunzip_reads_it():
    # `cat a.gz b.gz` is one valid gzip file; bytes after the last member are ignored, as gunzip does
    lines = [orjson.dumps(record) + b"\n" for record in RECORDS]
    content = b"".join(gzip.compress(line) for line in lines) + b"\x00\x00 trailing"
    assert records_only(read(content)) == RECORDS


def test_a_corrupt_small_gzip_is_quarantined_whole():
    content = bytearray(gzip.compress(orjson.dumps({"Records": RECORDS})))
    content[len(content) // 2] ^= 0xFF
    items = read(bytes(content))
    assert [(item.location, item.reason) for item in items] == [("file", "truncated-gzip")]


def test_gzip_is_detected_by_magic_bytes_not_by_name():
    assert records_only(read(gzip.compress(orjson.dumps({"Records": RECORDS})), name="plain.json")) == RECORDS
    assert records_only(read(orjson.dumps({"Records": RECORDS}), name="looks-zipped.json.gz")) == RECORDS


def test_json_lines_of_single_events():
    content = b"\n".join(orjson.dumps(record) for record in RECORDS) + b"\n\n"
    assert records_only(read(content, "events.jsonl")) == RECORDS


def test_json_array_of_events():
    assert records_only(read(orjson.dumps(RECORDS))) == RECORDS


def test_lookup_events_output_unwraps_the_cloudtrail_event_string():
    lookup = {"Events": [{"EventId": r["eventID"], "EventName": r["eventName"],
                          "CloudTrailEvent": orjson.dumps(r).decode()} for r in RECORDS]}
    assert records_only(read(orjson.dumps(lookup))) == RECORDS


def test_lookup_events_as_json_lines():
    lines = b"\n".join(orjson.dumps({"EventId": r["eventID"], "CloudTrailEvent": orjson.dumps(r).decode()})
                       for r in RECORDS)
    assert records_only(read(lines)) == RECORDS


def test_insight_events_are_kept():
    insight = {"eventVersion": "1.08", "eventTime": "2026-11-23T10:00:00Z", "awsRegion": "us-east-1",
               "eventID": "0c8b8d9e-insight", "eventType": "AwsCloudTrailInsight", "recipientAccountId": "111122223333",
               "sharedEventID": "12edc982-3348-4794-83d3-a3db26525049", "eventSource": "ec2.amazonaws.com",
               "eventName": "RunInstances", "eventCategory": "Insight",
               "insightDetails": {"state": "Start", "insightType": "ApiCallRateInsight"}}
    assert records_only(read(gzip.compress(orjson.dumps({"Records": [insight]})),
                             "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/11/23/x.json.gz")) == [insight]


@pytest.mark.parametrize("name, content", [
    ("AWSLogs/1/CloudTrail-Digest/us-east-1/2026/11/23/1_CloudTrail-Digest_us-east-1_t_us-east-1_20261123T100000Z.json.gz",
     gzip.compress(b'{"digestStartTime": "2026-11-23T09:00:00Z"}')),
    ("renamed-digest.json", b'{"digestStartTime": "2026-11-23T09:00:00Z", "logFiles": []}'),
])
def test_digest_files_are_skipped_by_name_or_content(name, content):
    assert read(content, name) == [Skipped("digest")]


@pytest.mark.parametrize("content, location, reason", [
    (gzip.compress(orjson.dumps({"Records": RECORDS}))[:-40], "file", "truncated-gzip"),
    (b"", "file", "empty"),
    (b"  \n\t", "file", "empty"),
    (gzip.compress(b""), "file", "empty"),
    (b"# a README that ended up in the log folder\n", "file", "not-json"),
    (b"\x89PNG\r\n\x1a\n binary", "file", "not-json"),
    (b'{"Records": [{"eventName": "x"}', "line 1", "not-json"),
    (b'{"configurationItems": []}', "file", "no-records"),
    (b'"just a string"', "file", "no-records"),
    (b"42", "file", "no-records"),
])
def test_a_file_that_cannot_be_read_is_one_problem_with_its_reason(content, location, reason):
    items = read(content)
    assert len(items) == 1 and isinstance(items[0], Problem), items
    assert (items[0].location, items[0].reason) == (location, reason)
    assert items[0].detail


def test_records_that_are_not_objects_are_quarantined_and_the_rest_kept():
    items = read(orjson.dumps({"Records": [RECORDS[0], 7, "text", None, RECORDS[1]]}))
    assert items[0] == RECORDS[0] and items[4] == RECORDS[1]
    problems = items[1:4]
    assert [(p.location, p.reason) for p in problems] == [
        ("record 2", "not-an-object"), ("record 3", "not-an-object"), ("record 4", "not-an-object")]


def test_bad_json_lines_name_their_line_and_good_lines_land():
    content = orjson.dumps(RECORDS[0]) + b"\n{not json\n" + orjson.dumps(RECORDS[1]) + b"\n[1,2]\n"
    items = read(content)
    assert items[0] == RECORDS[0] and items[2] == RECORDS[1]
    assert (items[1].location, items[1].reason) == ("line 2", "not-json")
    assert (items[3].location, items[3].reason) == ("line 4", "not-an-object")


def test_objects_that_are_not_cloudtrail_records_are_named_in_json_lines():
    items = read(orjson.dumps(RECORDS[0]) + b'\n{"hello": "world"}\n')
    assert items[0] == RECORDS[0]
    assert (items[1].location, items[1].reason) == ("line 2", "not-cloudtrail")


def test_an_athena_row_with_lower_case_keys_and_its_time_format_is_read_whole():
    # Athena's CloudTrail table spells the keys in lower case and writes times without the T and Z;
    # a record exported from it is still CloudTrail: it gets CloudTrail's names back and nothing is missing.
    from tattletrail.event import normalize

    athena = {"eventversion": "1.08", "eventid": "5e0a7d52-lower", "eventname": "CreateIPSet",
              "eventsource": "guardduty.amazonaws.com", "eventtime": "2026-11-23 10:00:00", "awsregion": "eu-west-1",
              "recipientAccountId": "210987654321"}
    [record] = records_only(read(orjson.dumps({"Records": [athena]})))
    assert (record["eventName"], record["eventSource"], record["awsRegion"]) == \
        ("CreateIPSet", "guardduty.amazonaws.com", "eu-west-1")
    assert normalize(record).missing == []


@pytest.fixture
def small_memory_limit(monkeypatch):
    """Make every file 'big' so the streaming path (bounded memory) is the one exercised."""
    monkeypatch.setattr(reader, "IN_MEMORY_LIMIT", 512)


def test_big_records_file_is_streamed_record_by_record(small_memory_limit):
    records = RECORDS * 20
    assert records_only(read(gzip.compress(orjson.dumps({"Records": records})))) == records


def test_big_json_lines_file_is_streamed(small_memory_limit):
    records = RECORDS * 20
    content = b"\n".join(orjson.dumps(record) for record in records)
    assert records_only(read(content)) == records


def test_big_truncated_file_keeps_what_was_read_and_names_the_break(small_memory_limit):
    records = RECORDS * 50
    items = read(gzip.compress(orjson.dumps({"Records": records}))[:-200])
    kept = [item for item in items if isinstance(item, dict)]
    assert len(kept) > 100 and kept == records[: len(kept)]
    assert [item.reason for item in items[len(kept):]] == ["not-json", "truncated-gzip"]


def test_a_file_read_in_many_chunks_is_read_whole(monkeypatch):
    monkeypatch.setattr(reader, "READ_CHUNK", 100)  # objects are read a chunk at a time, up to a limit
    records = RECORDS * 5
    for content in (gzip.compress(orjson.dumps({"Records": records})), orjson.dumps({"Records": records})):
        assert len(content) > 300
        assert records_only(read(content)) == records


def test_a_record_with_lower_case_names_gets_cloudtrails_names_back():
    """Data-lake exports write column names in lower case; the record is read, not quarantined."""
    lowered = {"eventversion": "1.08", "eventid": "5e1f0c2a-lower", "eventname": "DescribeInstances",
               "eventsource": "ec2.amazonaws.com", "eventtime": "2026-11-23 10:00:00", "awsregion": "eu-west-1",
               "requestparameters": {"instancesSet": {}, "filterSet": {}},
               "useridentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/ops/kim",
                                "accountid": "111122223333",
                                "sessioncontext": {"sessionissuer": {"username": "ops", "type": "Role"},
                                                   "attributes": {"mfaauthenticated": "false"}}}}
    [record] = records_only(read(orjson.dumps({"Records": [lowered]}), "export.json"))
    assert record["eventName"] == "DescribeInstances" and record["eventTime"] == "2026-11-23 10:00:00"
    assert record["requestParameters"] == {"instancesSet": {}, "filterSet": {}}  # a service's own names stay
    identity = record["userIdentity"]
    assert identity["accountId"] == "111122223333"
    assert identity["sessionContext"] == {"sessionIssuer": {"userName": "ops", "type": "Role"},
                                          "attributes": {"mfaAuthenticated": "false"}}


def test_an_object_with_no_cloudtrail_name_in_any_case_is_still_not_cloudtrail():
    [problem] = read(orjson.dumps({"Records": [{"num_logs": 5, "log_type": "counts"}]}), "counts.json")
    assert isinstance(problem, Problem) and problem.reason == "not-cloudtrail"
