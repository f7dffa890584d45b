"""Generic webhook: the alert's versioned JSON (docs/destinations.md), optionally signed.

With a secret, `X-Tattletrail-Signature: sha256=HEX` is HMAC-SHA256 over `TIMESTAMP.BODY`, where
TIMESTAMP is the `X-Tattletrail-Timestamp` header (Unix seconds): a receiver can check both that
the body is ours and that it is fresh, so a captured request can't be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Callable

import orjson

from tattletrail.alert import Alert
from tattletrail.destinations import http
from tattletrail.destinations.secrets import expand
from tattletrail.destinations.settings import WebhookSettings
from tattletrail.destinations.templates import render
from tattletrail.httpclient import HttpClient

SIGNATURE_HEADER = "X-Tattletrail-Signature"
TIMESTAMP_HEADER = "X-Tattletrail-Timestamp"
DELIVERY_HEADER = "X-Tattletrail-Alert-Id"


class WebhookDestination:
    def __init__(self, name: str, settings: WebhookSettings, clock: Callable[[], float] = time.time) -> None:
        self.name = name
        self.settings = settings
        self._client = HttpClient(settings.ca_certs)  # one session: a burst of alerts reuses the connection
        self._clock = clock

    def send(self, alert: Alert) -> None:
        settings = self.settings
        if settings.template:
            body = render(settings.template, alert).encode()
            content_type = settings.content_type
        else:
            body = orjson.dumps(alert.to_json())
            content_type = "application/json"
        headers = {"Content-Type": content_type, DELIVERY_HEADER: alert.alert_id}
        headers.update({name: expand(value) for name, value in settings.headers.items()})
        secret = settings.secret_source("secret")
        if secret is not None:
            headers.update(signature_headers(secret.reveal(), body, int(self._clock())))
        http.post(self._client, expand(settings.url), body, headers, settings.timeout)


def signature_headers(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: f"sha256={digest}"}
