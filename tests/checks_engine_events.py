"""Realistic CloudTrail records for the checker's tests, and a way to put them in a store as if
they had arrived at a given ingest time (stores stamp ingest_time with the wall clock)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from tattletrail.event import normalize
from tattletrail.stores.base import Batch

ACCOUNT = "111122223333"
CLI = "aws-cli/2.22.4 md/awscrt#0.23.1 ua/2.0 os/linux#6.8.0-48-generic md/arch#x86_64 lang/python#3.12.7"
_ids = itertools.count(1)


def iam_user(name: str) -> dict[str, Any]:
    return {"type": "IAMUser", "principalId": f"AIDAQ3EGQKJ5{name.upper():<8.8}", "accountId": ACCOUNT,
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}", "accessKeyId": f"AKIAQ3EGQKJ5{name.upper():<8.8}",
            "userName": name}


def api_call(name: str, when: datetime, actor: str = "alice", *, source: str = "ec2.amazonaws.com",
             region: str = "eu-west-1", ip: str = "203.0.113.7", error: str | None = None,
             parameters: dict[str, Any] | None = None, read_only: bool = False) -> dict[str, Any]:
    number = next(_ids)
    record: dict[str, Any] = {
        "eventVersion": "1.09", "userIdentity": iam_user(actor), "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source, "eventName": name, "awsRegion": region, "sourceIPAddress": ip, "userAgent": CLI,
        "requestParameters": parameters, "responseElements": None,
        "requestID": f"5f4e3d2c-1b0a-4f9e-8d7c-{number:012d}", "eventID": f"0c1d2e3f-4a5b-4c6d-8e7f-{number:012d}",
        "readOnly": read_only, "eventType": "AwsApiCall", "managementEvent": True,
        "recipientAccountId": ACCOUNT, "eventCategory": "Management"}
    if error:
        record["errorCode"] = error
        record["errorMessage"] = f"You are not authorized to perform this operation. ({error})"
    return record


def ingress(when: datetime, actor: str = "alice", cidr: str = "0.0.0.0/0") -> dict[str, Any]:
    """AuthorizeSecurityGroupIngress as EC2 logs it: SSH from `cidr`."""
    return api_call("AuthorizeSecurityGroupIngress", when, actor, parameters={
        "groupId": "sg-0a1b2c3d4e5f60718", "ipPermissions": {"items": [{
            "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "groups": {},
            "ipRanges": {"items": [{"cidrIp": cidr}]}, "ipv6Ranges": {}, "prefixListIds": {}}]}})


def denied(when: datetime, actor: str = "mallory") -> dict[str, Any]:
    return api_call("DescribeInstances", when, actor, error="UnauthorizedOperation", read_only=True,
                    parameters={"instancesSet": {}, "filterSet": {}})


def describe(when: datetime, actor: str = "alice", region: str = "eu-west-1") -> dict[str, Any]:
    return api_call("DescribeInstances", when, actor, region=region, read_only=True,
                    parameters={"instancesSet": {}, "filterSet": {}})


def put(store: Any, records: list[dict[str, Any]], ingest_time: datetime | None = None) -> None:
    """Write records; with `ingest_time`, as if they had arrived then (rewritten after the write)."""
    events = [normalize(record, source="s3://trail/AWSLogs/test.json.gz") for record in records]
    store.write(Batch(events=events))
    if ingest_time is not None:
        set_ingest_time(store, [event.event_id for event in events], ingest_time)


def set_ingest_time(store: Any, event_ids: list[str], moment: datetime) -> None:
    if hasattr(store, "client"):  # OpenSearch: index the same documents again with the new time
        hits = store.client.search(index=store.events_pattern, body={
            "query": {"terms": {"event_id": event_ids}}, "size": len(event_ids)})["hits"]["hits"]
        for hit in hits:
            document = dict(hit["_source"], ingest_time=moment.isoformat(timespec="milliseconds") + "Z")
            store.client.index(index=hit["_index"], id=hit["_id"], body=document)
        store.client.indices.refresh(index=store.events_pattern)
    else:
        with store.connect(read_only=False) as connection:
            connection.execute("UPDATE events SET ingest_time = ? WHERE event_id IN (SELECT unnest(?))",
                               [moment, event_ids])


class FakeClock:
    """Time that moves only when told to (or when the checker sleeps): tests never sleep."""

    def __init__(self, now: datetime) -> None:
        self.moment = now
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta

    def sleep(self, seconds: float, stop: Any = None) -> None:
        self.slept.append(seconds)
        self.moment += timedelta(seconds=seconds)
