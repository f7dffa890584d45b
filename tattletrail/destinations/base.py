"""The Destination protocol: one small class per kind of place an alert can go."""

from __future__ import annotations

from typing import Protocol

from tattletrail.alert import Alert
from tattletrail.errors import TattletrailError


class DeliveryError(TattletrailError):
    """A delivery that failed. `retriable` (429, 5xx, timeouts) goes back to the outbox for later;
    a permanent failure (400, 403, a bad template) is logged and kept for inspection."""

    def __init__(self, message: str, *, retriable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retriable = retriable
        self.retry_after = retry_after


class Destination(Protocol):
    name: str

    def send(self, alert: Alert) -> None:
        """Deliver one alert or raise DeliveryError. Never logs secrets (URLs, keys, tokens)."""
