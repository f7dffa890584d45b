"""Slack incoming webhook, against a real local HTTP server: what a person sees in the channel."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer

from tattletrail.alert import Status
from tattletrail.destinations import build_destination
from tattletrail.destinations.base import DeliveryError
from tests.destination_alerts import recovery_of, route_deleted_alert

HOOK_PATH = "/services/T0001/B0002/s3cr3tToken"


@pytest.fixture
def slack(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SLACK_WEBHOOK_URL", httpserver.url_for(HOOK_PATH))
    httpserver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")

    def make(**settings: object):
        return build_destination("ops-slack", {"type": "slack", "url": "${SLACK_WEBHOOK_URL}", **settings})
    return make


def posted(httpserver: HTTPServer) -> dict:
    request, response = httpserver.log[-1]
    assert response.status_code == 200
    assert request.headers["Content-Type"] == "application/json"
    return json.loads(request.get_data())


def blocks_of(message: dict) -> list[dict]:
    return message["attachments"][0]["blocks"]


def all_text(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False)


def test_critical_alert_shows_status_colour_check_count_window_samples_and_explore(slack, httpserver):
    slack().send(route_deleted_alert(samples=3))
    message = posted(httpserver)
    attachment = message["attachments"][0]
    assert attachment["color"] == "#e01e5a"
    assert message["text"] == "CRITICAL: default-route-deleted [account=111122223333]"
    header, lead, facts = attachment["blocks"][:3]
    assert header == {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                                 "text": "🔴 CRITICAL: default-route-deleted [account=111122223333]"}}
    assert "builds lose the internet" in lead["text"]["text"]
    fields = [field["text"] for field in facts["fields"]]
    assert "*Count*\n3 events (warning ≥ 1, critical ≥ 1)" in fields
    assert "*Window*\n2026-11-22 16:30 → 16:45 UTC (15 min)" in fields
    assert "*Group*\naccount=111122223333" in fields
    text = all_text(message)
    assert "2026-11-22 16:31:00 DOE1 DeleteRoute on rtb-00000000000000000 in eu-west-1 from 203.0.113.1" in text
    assert "(Client.UnauthorizedOperation)" in text
    assert 'Explore: `tattletrail search \\"eventName:DeleteRoute\\" --since 2026-11-22T16:30:00Z`' in text


def test_explore_url_becomes_a_link(slack, httpserver):
    url = "https://dashboards.example.com/app/data-explorer/discover#?_g=(time:(from:now-15m))&_q=(query:'a|b')"
    slack().send(route_deleted_alert(explore_url=url))
    sections = [block["text"]["text"] for block in blocks_of(posted(httpserver)) if block["type"] == "section"
                and "text" in block]
    assert any(section.startswith("<https://dashboards.example.com/") and section.endswith("|Explore these events>")
               and "a%7Cb" in section for section in sections)


def test_recovery_has_its_own_style(slack, httpserver):
    slack().send(recovery_of(route_deleted_alert()))
    message = posted(httpserver)
    assert message["attachments"][0]["color"] == "#2eb67d"
    header = blocks_of(message)[0]["text"]["text"]
    assert header == "✅ RECOVERY: default-route-deleted [account=111122223333]"
    assert "Back to OK (was CRITICAL)" in blocks_of(message)[1]["text"]["text"]


def test_warning_is_amber_and_says_warning(slack, httpserver):
    slack().send(route_deleted_alert(status=Status.WARNING))
    message = posted(httpserver)
    assert message["attachments"][0]["color"] == "#ecb22e"
    assert blocks_of(message)[0]["text"]["text"].startswith("⚠️ WARNING: default-route-deleted")


@pytest.mark.parametrize("max_samples", [10, 200])
def test_200_samples_stay_within_slack_limits_and_are_summarized(slack, httpserver, max_samples):
    alert = route_deleted_alert(samples=200, suppressed=40, check="x" * 300)
    slack(max_samples=max_samples).send(alert)
    message = posted(httpserver)
    blocks = blocks_of(message)
    assert len(blocks) <= 50
    assert len(blocks[0]["text"]["text"]) <= 150
    for block in blocks:
        if "text" in block:
            assert len(block["text"]["text"]) <= 3000
        for field in block.get("fields", []):
            assert len(field["text"]) <= 2000
    sample_lines = sum(block["text"]["text"].count("DeleteRoute on rtb-") for block in blocks
                       if block["type"] == "section" and "text" in block)
    more = [element["text"] for block in blocks if block["type"] == "context" for element in block["elements"]
            if "more matching" in element["text"]]
    assert more == [f"… and {200 + 40 - sample_lines} more matching events"]
    assert sample_lines == 10 if max_samples == 10 else 10 < sample_lines < 200


def test_mrkdwn_control_characters_in_event_fields_are_escaped(slack, httpserver):
    alert = route_deleted_alert(description="<!channel> & <https://evil.example|click>")
    slack().send(alert)
    text = blocks_of(posted(httpserver))[1]["text"]["text"]
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in text
    assert "<!channel>" not in text


def test_template_replaces_the_message_text(slack, httpserver):
    template = "*{{ status }}* {{ alert.check }}: {{ samples | length }} events{% if more %}, {{ more }} more{% endif %}"
    slack(template=template).send(route_deleted_alert(samples=4, suppressed=7))
    assert blocks_of(posted(httpserver))[1]["text"]["text"] == "*CRITICAL* default-route-deleted: 4 events, 7 more"


def test_sandboxed_template_cannot_reach_python_internals(slack, httpserver):
    destination = slack(template="{{ alert.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(DeliveryError) as raised:
        destination.send(route_deleted_alert())
    assert not raised.value.retriable
    assert "template failed" in str(raised.value)
    assert httpserver.log == []


def test_slack_refusing_the_payload_is_a_permanent_error_without_the_url(httpserver, monkeypatch):
    monkeypatch.setenv("SLACK_WEBHOOK_URL", httpserver.url_for(HOOK_PATH))
    httpserver.expect_request(HOOK_PATH).respond_with_data("invalid_blocks", status=400)
    destination = build_destination("ops-slack", {"type": "slack", "url": "${SLACK_WEBHOOK_URL}"})
    with pytest.raises(DeliveryError) as raised:
        destination.send(route_deleted_alert())
    assert not raised.value.retriable
    assert str(raised.value) == "HTTP 400 from localhost: invalid_blocks"
    assert "s3cr3tToken" not in str(raised.value)


def test_missing_environment_variable_is_named_not_guessed(monkeypatch):
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    destination = build_destination("ops-slack", {"type": "slack", "url": "${SLACK_WEBHOOK_URL}"})
    with pytest.raises(DeliveryError, match="environment variable SLACK_WEBHOOK_URL is not set"):
        destination.send(route_deleted_alert())


def test_url_from_a_file(httpserver, tmp_path):
    secret = tmp_path / "slack-url"
    secret.write_text(httpserver.url_for(HOOK_PATH) + "\n")
    httpserver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    build_destination("ops-slack", {"type": "slack", "url_file": str(secret)}).send(route_deleted_alert())
    assert blocks_of(posted(httpserver))[0]["type"] == "header"
