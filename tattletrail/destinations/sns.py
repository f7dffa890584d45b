"""AWS SNS: a subject (at most 100 ASCII characters, as SNS demands) and the text of the alert,
with message attributes `status`, `check` and `kind` that subscriptions can filter on."""

from __future__ import annotations

import re
from typing import Any

from tattletrail.alert import Alert
from tattletrail.destinations.aws import aws_client, delivery_error
from tattletrail.destinations.content import plain_text, summarize
from tattletrail.destinations.settings import SnsSettings
from tattletrail.destinations.templates import render

MAX_SUBJECT = 100
MAX_MESSAGE_BYTES = 256 * 1024 - 4096   # SNS's 256 KiB, less room for the attributes


class SnsDestination:
    def __init__(self, name: str, settings: SnsSettings) -> None:
        self.name = name
        self.settings = settings
        self._client: Any = None

    def send(self, alert: Alert) -> None:
        message = sns_message(alert, self.settings)
        if self._client is None:
            region = self.settings.region or self.settings.topic_arn.split(":")[3]
            self._client = aws_client("sns", region, self.settings.endpoint_url, self.settings.timeout)
        try:
            self._client.publish(TopicArn=self.settings.topic_arn, **message)
        except Exception as error:  # noqa: BLE001 - every botocore failure becomes a DeliveryError
            raise delivery_error(error, "SNS") from None


def sns_message(alert: Alert, settings: SnsSettings) -> dict[str, Any]:
    summary = summarize(alert, settings.max_samples)
    subject = render(settings.subject, alert) if settings.subject else summary.headline
    text = render(settings.template, alert) if settings.template else plain_text(summary)
    encoded = text.encode()
    if len(encoded) > MAX_MESSAGE_BYTES:
        text = encoded[:MAX_MESSAGE_BYTES].decode("utf-8", "ignore") + "\n… (cut: too long for SNS)"
    status = summary.status_label
    return {"Subject": sns_subject(subject), "Message": text, "MessageAttributes": {
        "status": {"DataType": "String", "StringValue": status},
        "check": {"DataType": "String", "StringValue": alert.check or "-"},
        "kind": {"DataType": "String", "StringValue": alert.kind}}}


def sns_subject(text: str) -> str:
    """SNS rejects subjects with non-ASCII, line breaks or control characters, or over 100 characters."""
    ascii_text = text.replace("→", "->").encode("ascii", "replace").decode()
    ascii_text = re.sub(r"[\x00-\x1f\x7f]+", " ", ascii_text).strip() or "Tattletrail alert"
    return ascii_text if len(ascii_text) <= MAX_SUBJECT else ascii_text[: MAX_SUBJECT - 3] + "..."
