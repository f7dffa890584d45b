"""The SQS client for a queue of S3 notifications, and the queue's depth.

What a message says is `notifications.py`; what the ingester does with it is
`tattletrail/ingest/queue_worker.py`.
"""

from __future__ import annotations

import re
from typing import Any

import boto3
from botocore.exceptions import NoRegionError, ProfileNotFound

from tattletrail.sources.base import SourceError
from tattletrail.sources.s3 import CLIENT_CONFIG

_QUEUE_REGION = re.compile(r"^https://sqs[.-]([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/")


def sqs_client(queue_url: str, profile: str | None = None, endpoint_url: str | None = None) -> Any:
    """An SQS client in the queue's own region (read from an AWS queue URL), else the default region."""
    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
        match = _QUEUE_REGION.match(queue_url)
        return session.client("sqs", region_name=match.group(1) if match else None, endpoint_url=endpoint_url,
                              config=CLIENT_CONFIG)
    except ProfileNotFound as error:
        raise SourceError(f"AWS profile {profile!r} not found: check ~/.aws/config or --profile") from error
    except NoRegionError as error:
        raise SourceError(f"{queue_url}: no region in the queue URL: set AWS_REGION") from error


def queue_depth(sqs: Any, queue_url: str) -> tuple[int, int]:
    """(visible, in flight) messages, as SQS approximates them."""
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])
