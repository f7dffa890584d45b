"""SNS and SES against moto in server mode: what the subscriber and the mailbox receive."""

from __future__ import annotations

import json
import urllib.request
import uuid

import boto3
import pytest

from tattletrail.destinations import build_destination
from tattletrail.destinations.base import DeliveryError
from tattletrail.destinations.ses import ses_message
from tattletrail.destinations.settings import SesSettings
from tests.destination_alerts import recovery_of, route_deleted_alert

REGION = "eu-west-1"


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION,
                        "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_endpoint


@pytest.fixture
def topic_with_queue(aws: str):
    """An SNS topic with an SQS queue subscribed: the test reads what a subscriber gets."""
    sns = boto3.client("sns", endpoint_url=aws, region_name=REGION)
    sqs = boto3.client("sqs", endpoint_url=aws, region_name=REGION)
    name = f"alerts-{uuid.uuid4().hex[:8]}"
    topic_arn = sns.create_topic(Name=name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)

    def received() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        return [json.loads(message["Body"]) for message in messages.get("Messages", [])]
    return topic_arn, received


def test_sns_publishes_subject_text_and_status_attributes(aws, topic_with_queue):
    topic_arn, received = topic_with_queue
    destination = build_destination("sns-ops", {"type": "sns", "topic_arn": topic_arn, "endpoint_url": aws})
    destination.send(route_deleted_alert(samples=3))
    (notification,) = received()
    assert notification["Subject"] == "CRITICAL: default-route-deleted [account=111122223333]"
    text = notification["Message"]
    assert text.startswith("CRITICAL: default-route-deleted [account=111122223333]\n")
    assert "Count: 3 events (warning ≥ 1, critical ≥ 1)" in text
    assert "Window: 2026-11-22 16:30 → 16:45 UTC (15 min)" in text
    assert "2026-11-22 16:31:08 root DeleteRoute on rtb-00000000000000002 in eu-west-1 from 203.0.113.3 " \
           "(Client.UnauthorizedOperation)" in text
    assert 'Explore: tattletrail search "eventName:DeleteRoute"' in text
    attributes = notification["MessageAttributes"]
    assert attributes["status"] == {"Type": "String", "Value": "CRITICAL"}
    assert attributes["check"] == {"Type": "String", "Value": "default-route-deleted"}


def test_sns_subject_is_ascii_and_at_most_100_characters(aws, topic_with_queue):
    topic_arn, received = topic_with_queue
    destination = build_destination("sns-ops", {"type": "sns", "topic_arn": topic_arn, "endpoint_url": aws})
    destination.send(recovery_of(route_deleted_alert(check="dépôt-" + "x" * 200)))
    (notification,) = received()
    subject = notification["Subject"]
    assert len(subject) == 100 and subject.isascii() and subject.startswith("RECOVERY: d?p?t-xxx")
    assert notification["MessageAttributes"]["status"]["Value"] == "RECOVERY"


def test_sns_unknown_topic_is_a_permanent_error(aws):
    destination = build_destination("sns-ops", {"type": "sns", "topic_arn": f"arn:aws:sns:{REGION}:123456789012:nope",
                                                "endpoint_url": aws})
    with pytest.raises(DeliveryError) as raised:
        destination.send(route_deleted_alert())
    assert not raised.value.retriable and "NotFound" in str(raised.value)


def sent_emails(endpoint: str) -> list[dict]:
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json") as response:
        return json.load(response)["ses"]["Message"]


def test_ses_sends_html_email_with_the_slack_content(aws):
    sender = f"alerts-{uuid.uuid4().hex[:8]}@example.com"
    boto3.client("ses", endpoint_url=aws, region_name=REGION).verify_email_identity(EmailAddress=sender)
    settings = {"type": "ses", "sender": sender, "to": ["netops@example.com", "oncall@example.com"],
                "region": REGION, "endpoint_url": aws}
    build_destination("mail", settings).send(route_deleted_alert(samples=3, description="Route <b>gone</b> & more"))
    (email,) = [message for message in sent_emails(aws) if message["source"] == sender]
    assert email["subject"] == "CRITICAL: default-route-deleted [account=111122223333]"
    assert email["destinations"]["ToAddresses"] == ["netops@example.com", "oncall@example.com"]
    html = email["body"]
    assert html.startswith("<!doctype html>")
    assert "border-left:6px solid #e01e5a" in html
    assert "Route &lt;b&gt;gone&lt;/b&gt; &amp; more" in html
    assert "3 events (warning ≥ 1, critical ≥ 1)" in html
    assert "2026-11-22 16:31:04 AWSReservedSSO_Admin_1a2b/alice@example.com DeleteRoute" in html
    assert "<code>tattletrail search &#34;eventName:DeleteRoute&#34;" in html


def test_ses_message_has_text_and_html_parts_saying_the_same():
    settings = SesSettings(type="ses", sender="alerts@example.com", to=["a@example.com"])
    message = ses_message(route_deleted_alert(samples=25), settings)
    text, html = message["Body"]["Text"]["Data"], message["Body"]["Html"]["Data"]
    for fact in ("25 events (warning ≥ 1, critical ≥ 1)", "account=111122223333",
                 "2026-11-22 16:30 → 16:45 UTC (15 min)", "… and 5 more"):
        assert fact in text and fact in html


def test_ses_unverified_sender_is_refused(aws):
    settings = {"type": "ses", "sender": "nobody-verified@example.org", "to": ["a@example.com"], "region": REGION,
                "endpoint_url": aws}
    with pytest.raises(DeliveryError) as raised:
        build_destination("mail", settings).send(route_deleted_alert())
    assert not raised.value.retriable and "MessageRejected" in str(raised.value)
