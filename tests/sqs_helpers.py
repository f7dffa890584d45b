"""A bucket and a queue (with its dead-letter queue) on the shared moto server, and the message
bodies a trail bucket sends, in each of its shapes."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest

AWS_ENVIRONMENT = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                   "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}


def use_test_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in AWS_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def log_key(account: str, region: str, delivered: datetime, suffix: str = "a1B2") -> str:
    return (f"AWSLogs/{account}/CloudTrail/{region}/{delivered:%Y/%m/%d}/"
            f"{account}_CloudTrail_{region}_{delivered:%Y%m%dT%H%MZ}_{suffix}.json.gz")


@dataclass
class TrailQueue:
    """One test's bucket, queue and dead-letter queue."""

    s3: Any
    sqs: Any
    endpoint: str
    bucket: str
    queue_url: str
    dead_letter_url: str

    def put(self, key: str, body: bytes) -> str:
        """Upload a file; its ETag (unquoted)."""
        return self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)["ETag"].strip('"')

    def send(self, body: str | dict[str, Any]) -> None:
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=body if isinstance(body, str) else json.dumps(body))

    def depth(self, url: str | None = None) -> tuple[int, int]:
        attributes = self.sqs.get_queue_attributes(QueueUrl=url or self.queue_url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def dead_letters(self) -> list[str]:
        messages = self.sqs.receive_message(QueueUrl=self.dead_letter_url, MaxNumberOfMessages=10,
                                            WaitTimeSeconds=0).get("Messages", [])
        return [message["Body"] for message in messages]


def make_trail_queue(endpoint: str, visibility_timeout: int = 30, max_receives: int = 3) -> TrailQueue:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
    name = f"trail-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    dead = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": str(visibility_timeout),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": str(max_receives)})})
    return TrailQueue(s3, sqs, endpoint, name, queue["QueueUrl"], dead)


# The shapes a trail bucket's notifications take.

def s3_event(bucket: str, key: str, etag: str | None = None, size: int = 0,
             event_name: str = "ObjectCreated:Put") -> dict[str, Any]:
    item: dict[str, Any] = {"key": quote_plus(key, safe="/"), "size": size, "sequencer": "0055AED6DCD90281E5"}
    if etag:
        item["eTag"] = etag
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-23T10:05:11.123Z", "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AROAEXAMPLE:regionalDeliverySession"},
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "tattletrail",
               "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"}, "object": item}}]}


def sns(message: dict[str, Any], subject: str = "Amazon S3 Notification") -> dict[str, Any]:
    return {"Type": "Notification", "MessageId": str(uuid.uuid4()),
            "TopicArn": "arn:aws:sns:us-east-1:111122223333:trail-topic", "Subject": subject,
            "Message": json.dumps(message), "Timestamp": "2026-11-23T10:05:12.000Z", "SignatureVersion": "1"}


def cloudtrail_sns(bucket: str, keys: list[str]) -> dict[str, Any]:
    return sns({"s3Bucket": bucket, "s3ObjectKey": keys}, subject="[AWS CloudTrail] New log file delivered")


def eventbridge(bucket: str, key: str, etag: str | None = None, size: int = 0) -> dict[str, Any]:
    item: dict[str, Any] = {"key": key, "size": size, "sequencer": "0062E99A88DC407460"}
    if etag:
        item["etag"] = etag
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Object Created", "source": "aws.s3",
            "account": "111122223333", "time": "2026-11-23T10:05:11Z", "region": "us-east-1",
            "resources": [f"arn:aws:s3:::{bucket}"],
            "detail": {"version": "0", "bucket": {"name": bucket}, "object": item, "request-id": "N4N7GDK58NMKJ12R",
                       "requester": "111122223333", "reason": "PutObject"}}


def s3_test_event(bucket: str) -> dict[str, Any]:
    return {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-11-23T10:00:00.000Z",
            "Bucket": bucket, "RequestId": "5582815E1AEA5ADF", "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}
