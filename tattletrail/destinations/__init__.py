"""Where alerts go. A registry maps a destination `type` in the config to its class.

The destinations issue adds slack, webhook, sns, ses and pagerduty, the outbox and retries; the
checker only needs `build_destinations(config)` and `Destination.send`.
"""

from __future__ import annotations

from typing import Any

from tattletrail.destinations.base import DeliveryError, Destination
from tattletrail.destinations.jsonl import JsonLinesDestination
from tattletrail.destinations.stdout import StdoutDestination

__all__ = ["DeliveryError", "Destination", "build_destination", "built_in_destinations"]


def build_destination(name: str, settings: dict[str, Any]) -> Destination:
    kind = settings.get("type")
    if kind == "stdout":
        return StdoutDestination(name)
    if kind == "jsonl":
        return JsonLinesDestination(name, settings["path"])
    raise ValueError(f"destination {name!r}: unknown type {kind!r} (known: stdout, jsonl)")


def built_in_destinations() -> dict[str, Destination]:
    """Destinations that exist without any config: `stdout`."""
    return {"stdout": StdoutDestination("stdout")}
