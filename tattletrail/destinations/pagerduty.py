"""PagerDuty Events API v2: trigger on CRITICAL (and WARNING if asked), resolve on RECOVERY.

The dedup key is the alert's check+group key, so every notification of one breach updates one
incident and the recovery resolves it.
"""

from __future__ import annotations

from typing import Any

import orjson

from tattletrail.alert import Alert, Status
from tattletrail.destinations import http
from tattletrail.destinations.content import summarize
from tattletrail.destinations.settings import PagerDutySettings
from tattletrail.destinations.templates import render
from tattletrail.httpclient import HttpClient

MAX_SUMMARY = 1024
MAX_SAMPLES = 20


class PagerDutyDestination:
    def __init__(self, name: str, settings: PagerDutySettings) -> None:
        self.name = name
        self.settings = settings
        self._client = HttpClient(settings.ca_certs)  # one session: a burst of alerts reuses the connection

    def send(self, alert: Alert) -> None:
        events = pagerduty_events(alert, self.settings)
        if not events:
            return
        routing_key = self.settings.secret_source("routing_key").reveal()  # type: ignore[union-attr]  # required at load
        for event in events:
            body = orjson.dumps({"routing_key": routing_key, **event})
            http.post(self._client, self.settings.url, body, {"Content-Type": "application/json"},
                      self.settings.timeout)


def pagerduty_events(alert: Alert, settings: PagerDutySettings) -> list[dict[str, Any]]:
    """The events (without routing key) for one alert: none, a trigger, a resolve, or, for a test
    alert, an info trigger and its resolve so that testing leaves no incident open."""
    if alert.kind == "test":
        key = f"tattletrail-test-{alert.alert_id}"
        return [_trigger(alert, settings, "info", key), {"event_action": "resolve", "dedup_key": key}]
    if alert.is_recovery:
        return [{"event_action": "resolve", "dedup_key": alert.dedup_key}]
    if alert.status is Status.CRITICAL:
        return [_trigger(alert, settings, "critical", alert.dedup_key)]
    if alert.status is Status.WARNING and settings.warning:
        return [_trigger(alert, settings, "warning", alert.dedup_key)]
    return []


def _trigger(alert: Alert, settings: PagerDutySettings, severity: str, dedup_key: str) -> dict[str, Any]:
    summary = summarize(alert, MAX_SAMPLES)
    text = render(settings.template, alert) if settings.template else f"{summary.headline}: {summary.lead}"
    details: dict[str, Any] = {label.lower(): value for label, value in summary.facts}
    details.update({"description": alert.description, "query": alert.query, "samples": list(summary.sample_lines),
                    "more": summary.more, "alert_id": alert.alert_id})
    if alert.explore_command:
        details["explore_command"] = alert.explore_command
    payload = alert.to_json()
    fields = {"summary": text[:MAX_SUMMARY], "source": settings.source, "severity": severity,
              "timestamp": payload["created_at"] or payload["window"]["end"], "component": alert.check,
              "group": alert.group_label, "class": alert.kind, "custom_details": details}
    event: dict[str, Any] = {"event_action": "trigger", "dedup_key": dedup_key, "client": "Tattletrail",
                             "payload": {name: value for name, value in fields.items() if value}}
    if alert.explore_url:
        event["links"] = [{"href": alert.explore_url, "text": "Explore these events"}]
    return event
