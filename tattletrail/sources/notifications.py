"""What an SQS message from a CloudTrail bucket says: which S3 objects were written, or nothing.

A trail bucket reaches a queue in four shapes, and each can come wrapped in an SNS envelope
(`{"Type": "Notification", "Message": "<the same JSON, as a string>"}`) unless the subscription
uses raw message delivery:

- S3 event notifications: `{"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name"},
  "object": {"key", "eTag", "size"}}}]}`. The key is URL-encoded, with `+` for a space.
- S3's test message, sent once when a notification is configured: `{"Event": "s3:TestEvent"}`.
- CloudTrail's own SNS notification: `{"s3Bucket": "...", "s3ObjectKey": ["AWSLogs/...", ...]}`,
  keys as they are (not encoded).
- EventBridge: `{"detail-type": "Object Created", "source": "aws.s3", "detail": {"bucket": {"name"},
  "object": {"key", "etag", "size"}}}`, keys as they are.

Parsing is pure: the queue worker decides what to do with the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any
from urllib.parse import unquote_plus

import orjson

from tattletrail.event import parse_event_time


class Action(Enum):
    INGEST = "ingest"  # read the objects, then delete the message
    ACKNOWLEDGE = "acknowledge"  # nothing to read (a test event, a deletion): delete the message
    LEAVE = "leave"  # not understood: neither delete nor read; the queue's redrive policy decides


@dataclass(frozen=True, slots=True)
class S3Location:
    bucket: str
    key: str
    etag: str | None = None  # without quotes, as S3 lists it; None when the message doesn't say
    size: int | None = None
    created: datetime | None = None  # when S3 wrote the object (naive UTC), when the message says

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True, slots=True)
class Notification:
    form: str  # "s3", "cloudtrail", "eventbridge", "s3-test"…, prefixed "sns/" when SNS wrapped it
    action: Action
    objects: tuple[S3Location, ...] = ()
    reason: str = ""  # why there is nothing to read, or why the message was not understood


def parse_notification(body: str | bytes) -> Notification:
    """The objects an SQS message body announces, or why it announces none."""
    try:
        message = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        return Notification("unknown", Action.LEAVE, reason=f"the body is not JSON ({error})")
    if isinstance(message, dict) and message.get("Type") == "Notification" and isinstance(message.get("Message"), str):
        inner = parse_notification(message["Message"])
        return Notification(f"sns/{inner.form}", inner.action, inner.objects, inner.reason)
    if not isinstance(message, dict):
        return Notification("unknown", Action.LEAVE, reason=f"the body is a JSON {type(message).__name__}, not an object")
    if message.get("Event") == "s3:TestEvent":
        return Notification("s3-test", Action.ACKNOWLEDGE, reason="S3's test event")
    if isinstance(message.get("Records"), list):
        return _s3_event(message["Records"])
    if "s3Bucket" in message and "s3ObjectKey" in message:
        return _cloudtrail(message)
    if message.get("source") == "aws.s3" and "detail-type" in message:
        return _eventbridge(message)
    keys = ", ".join(sorted(message)[:8]) or "none"
    return Notification("unknown", Action.LEAVE, reason=f"not an S3, CloudTrail or EventBridge notification "
                        f"(top-level keys: {keys})")


def _s3_event(records: list[Any]) -> Notification:
    created: list[S3Location] = []
    others: list[str] = []
    for record in records:
        s3 = record.get("s3") if isinstance(record, dict) else None
        if not isinstance(s3, dict):
            return Notification("unknown", Action.LEAVE, reason="Records without an `s3` part: not an S3 event "
                                "notification (a CloudTrail log file sent to the queue by mistake?)")
        name = str(record.get("eventName", ""))
        if not name.startswith("ObjectCreated:"):
            others.append(name or "no eventName")
            continue
        try:
            bucket, item = s3["bucket"]["name"], s3["object"]
            created.append(S3Location(bucket, unquote_plus(item["key"]), _etag(item.get("eTag")),
                                      _size(item.get("size")), parse_event_time(record.get("eventTime"))))
        except (KeyError, TypeError):
            return Notification("unknown", Action.LEAVE, reason=f"{name} without s3.bucket.name or s3.object.key")
    if created:
        return Notification("s3", Action.INGEST, tuple(created))
    return Notification("s3", Action.ACKNOWLEDGE, reason=f"no object created ({', '.join(sorted(set(others)))})")


def _cloudtrail(message: dict[str, Any]) -> Notification:
    bucket, keys = message["s3Bucket"], message["s3ObjectKey"]
    if not isinstance(bucket, str) or not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        return Notification("unknown", Action.LEAVE, reason="s3Bucket is not a string or s3ObjectKey not a list of keys")
    if not keys:
        return Notification("cloudtrail", Action.ACKNOWLEDGE, reason="an empty s3ObjectKey list")
    return Notification("cloudtrail", Action.INGEST, tuple(S3Location(bucket, key) for key in keys))


def _eventbridge(message: dict[str, Any]) -> Notification:
    kind = message["detail-type"]
    if kind != "Object Created":
        return Notification("eventbridge", Action.ACKNOWLEDGE, reason=f"no object created ({kind})")
    detail = message.get("detail")
    try:
        bucket, item = detail["bucket"]["name"], detail["object"]  # type: ignore[index]
        location = S3Location(bucket, item["key"], _etag(item.get("etag")), _size(item.get("size")),
                              parse_event_time(message.get("time")))
    except (KeyError, TypeError):
        return Notification("unknown", Action.LEAVE, reason="Object Created without detail.bucket.name or detail.object.key")
    return Notification("eventbridge", Action.INGEST, (location,))


def _etag(value: Any) -> str | None:
    return value.strip('"') if isinstance(value, str) and value else None


def _size(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
