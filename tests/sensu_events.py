"""CloudTrail for the check-es-query-count tests, in our stores and in a Logstash-style cluster.

The seed's cluster was fed by Logstash: its cloudtrail codec turns each record into a document
whose `@timestamp` is the record's eventTime, in a daily `logstash-%Y.%m.%d` index. So the
plugin-faithful cluster here holds the documents our OpenSearch store writes (the record and our
derived fields) with that `@timestamp`, in `logstash-YYYY.MM.DD` by eventTime, dynamically mapped
as a Logstash index is (text with .keyword).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tattletrail.event import normalize
from tattletrail.stores.opensearch.documents import indexed_document
from tests.checks_engine_events import describe, ingress, put

SOURCE = "s3://trail/AWSLogs/111122223333/CloudTrail/eu-west-1/test.json.gz"


def window_records(end: datetime, inside: int) -> list[dict[str, Any]]:
    """`inside` AuthorizeSecurityGroupIngress calls strictly inside the 30 minutes before `end`, the
    same call exactly on both ends and a second before the start (outside: the plugin's range is
    strict), and DescribeInstances noise inside."""
    start = end - timedelta(minutes=30)
    records = [ingress(end - timedelta(minutes=10, seconds=-index), f"user{index}") for index in range(inside)]
    records += [ingress(start, "edge"), ingress(end, "edge"), ingress(start - timedelta(seconds=1), "early")]
    records += [describe(end - timedelta(minutes=minutes), "bob") for minutes in (3, 12, 25)]
    return records


def logstash_index(client: Any, records: list[dict[str, Any]], ingest_time: datetime) -> None:
    """Index the records as Logstash's cloudtrail codec would have (see the module docstring)."""
    indices = set()
    for record in records:
        event = normalize(record, source=SOURCE)
        document = indexed_document(event, ingest_time)
        document["@timestamp"] = record["eventTime"]
        index = f"logstash-{event.event_time:%Y.%m.%d}"
        client.index(index=index, id=event.event_id, body=document)
        indices.add(index)
    client.indices.refresh(index=",".join(sorted(indices)))


def store_records(store: Any, records: list[dict[str, Any]], ingest_time: datetime) -> None:
    put(store, records, ingest_time)
