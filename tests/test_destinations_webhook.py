"""Generic webhook and PagerDuty Events API v2, against a real local HTTP server."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from pytest_httpserver import HTTPServer

from tattletrail.alert import SCHEMA_VERSION, Status
from tattletrail.destinations import build_destination
from tattletrail.destinations.base import DeliveryError
from tests.destination_alerts import recovery_of, route_deleted_alert


def test_webhook_body_is_the_versioned_alert_json(httpserver: HTTPServer):
    httpserver.expect_request("/alerts", method="POST").respond_with_data("", status=204)
    alert = route_deleted_alert(samples=2)
    build_destination("hook", {"type": "webhook", "url": httpserver.url_for("/alerts")}).send(alert)
    request, _ = httpserver.log[-1]
    body = json.loads(request.get_data())
    assert body == alert.to_json()
    assert body["schema_version"] == SCHEMA_VERSION == 1
    assert body["status"] == "CRITICAL" and body["previous_status"] == "OK" and body["recovery"] is False
    assert body["window"] == {"start": "2026-11-22T16:30:00Z", "end": "2026-11-22T16:45:00Z"}
    assert body["samples"][0]["eventName"] == "DeleteRoute" and body["samples"][0]["actor"] == "DOE1"
    assert request.headers["X-Tattletrail-Alert-Id"] == alert.alert_id
    assert "X-Tattletrail-Signature" not in request.headers


def test_webhook_headers_expand_environment_references(httpserver: HTTPServer, monkeypatch):
    monkeypatch.setenv("HOOK_TOKEN", "tok-123")
    httpserver.expect_request("/alerts", headers={"Authorization": "Bearer tok-123", "X-Team": "netops"}) \
        .respond_with_data("ok")
    settings = {"type": "webhook", "url": httpserver.url_for("/alerts"),
                "headers": {"Authorization": "Bearer ${HOOK_TOKEN}", "X-Team": "netops"}}
    build_destination("hook", settings).send(route_deleted_alert())
    assert httpserver.log[-1][1].status_code == 200


def test_webhook_signature_is_hmac_sha256_over_timestamp_and_body(httpserver: HTTPServer, monkeypatch):
    monkeypatch.setenv("HOOK_SECRET", "sign-me-please")
    httpserver.expect_request("/alerts").respond_with_data("ok")
    settings = {"type": "webhook", "url": httpserver.url_for("/alerts"), "secret": "${HOOK_SECRET}"}
    before = int(time.time())
    build_destination("hook", settings).send(route_deleted_alert())
    request, _ = httpserver.log[-1]
    timestamp = request.headers["X-Tattletrail-Timestamp"]
    assert before <= int(timestamp) <= time.time() + 1
    expected = hmac.new(b"sign-me-please", timestamp.encode() + b"." + request.get_data(), hashlib.sha256).hexdigest()
    assert request.headers["X-Tattletrail-Signature"] == f"sha256={expected}"


def test_webhook_template_replaces_the_body(httpserver: HTTPServer):
    httpserver.expect_request("/teams").respond_with_data("ok")
    settings = {"type": "webhook", "url": httpserver.url_for("/teams"), "content_type": "text/plain",
                "template": "{{ title }} ({{ payload.count }} events)"}
    build_destination("hook", settings).send(route_deleted_alert(samples=5))
    request, _ = httpserver.log[-1]
    assert request.get_data(as_text=True) == "CRITICAL: default-route-deleted [account=111122223333] (5 events)"
    assert request.headers["Content-Type"] == "text/plain"


@pytest.mark.parametrize(("status", "retriable"), [(500, True), (503, True), (429, True), (404, False), (401, False)])
def test_webhook_statuses_sort_into_retriable_or_permanent(httpserver: HTTPServer, status, retriable):
    httpserver.expect_request("/alerts").respond_with_data("nope", status=status, headers={"Retry-After": "7"})
    with pytest.raises(DeliveryError) as raised:
        build_destination("hook", {"type": "webhook", "url": httpserver.url_for("/alerts")}).send(route_deleted_alert())
    assert raised.value.retriable is retriable
    assert str(raised.value) == f"HTTP {status} from localhost: nope"
    if retriable:
        assert raised.value.retry_after == 7.0


# -- PagerDuty -------------------------------------------------------------------------------------

@pytest.fixture
def pagerduty(httpserver: HTTPServer, monkeypatch):
    monkeypatch.setenv("PD_ROUTING_KEY", "R0UT1NGKEY0123456789abcdef012345")
    httpserver.expect_request("/v2/enqueue", method="POST").respond_with_json(
        {"status": "success", "message": "Event processed", "dedup_key": "x"}, status=202)

    def make(**settings: object):
        return build_destination("pager", {"type": "pagerduty", "routing_key": "${PD_ROUTING_KEY}",
                                           "url": httpserver.url_for("/v2/enqueue"), **settings})
    return make


def events_sent(httpserver: HTTPServer) -> list[dict]:
    return [json.loads(request.get_data()) for request, _ in httpserver.log]


def test_pagerduty_triggers_on_critical_and_resolves_on_recovery_with_one_dedup_key(pagerduty, httpserver):
    alert = route_deleted_alert(samples=2)
    destination = pagerduty()
    destination.send(alert)
    destination.send(recovery_of(alert))
    trigger, resolve = events_sent(httpserver)
    assert trigger["routing_key"] == resolve["routing_key"] == "R0UT1NGKEY0123456789abcdef012345"
    assert trigger["event_action"] == "trigger" and resolve["event_action"] == "resolve"
    assert trigger["dedup_key"] == resolve["dedup_key"] == alert.dedup_key
    payload = trigger["payload"]
    assert payload["severity"] == "critical"
    assert payload["summary"] == ("CRITICAL: default-route-deleted [account=111122223333]: "
                                  "2 DeleteRoute on default routes in 15 min")
    assert payload["source"] == "tattletrail" and payload["component"] == "default-route-deleted"
    assert payload["group"] == "account=111122223333"
    assert payload["timestamp"] == "2026-11-22T16:45:20Z"
    assert payload["custom_details"]["count"] == "2 events (warning ≥ 1, critical ≥ 1)"
    assert len(payload["custom_details"]["samples"]) == 2
    assert "payload" not in resolve


def test_pagerduty_ignores_warning_unless_configured(pagerduty, httpserver):
    warning = route_deleted_alert(status=Status.WARNING)
    pagerduty().send(warning)
    assert httpserver.log == []
    pagerduty(warning=True).send(warning)
    (event,) = events_sent(httpserver)
    assert event["event_action"] == "trigger" and event["payload"]["severity"] == "warning"


def test_pagerduty_test_alert_triggers_then_resolves_so_no_incident_stays_open(pagerduty, httpserver):
    from tattletrail.destinations.testing import make_test_alert
    pagerduty().send(make_test_alert(route_deleted_alert().window_end))
    trigger, resolve = events_sent(httpserver)
    assert trigger["payload"]["severity"] == "info"
    assert (trigger["event_action"], resolve["event_action"]) == ("trigger", "resolve")
    assert trigger["dedup_key"] == resolve["dedup_key"]


def test_pagerduty_summary_is_cut_to_1024_characters(pagerduty, httpserver):
    pagerduty().send(route_deleted_alert(message="m" * 5000))
    (event,) = events_sent(httpserver)
    assert len(event["payload"]["summary"]) == 1024
