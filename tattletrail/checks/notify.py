"""Delivering an alert: the one call the checker makes, so the outbox can take its place later.

A destination that fails is logged with the reason and the others still get the alert; the run
goes on. `deliver` says what happened to each, so callers (and tests) can see every failure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Mapping

from tattletrail.alert import Alert
from tattletrail.destinations import DeliveryError, Destination

log = logging.getLogger("tattletrail.checker")


@dataclass(frozen=True)
class Delivery:
    destination: str
    delivered: bool
    error: str | None = None


def deliver(alert: Alert, names: list[str] | tuple[str, ...], destinations: Mapping[str, Destination]) -> list[Delivery]:
    outcomes = []
    for name in names:
        destination = destinations.get(name)
        if destination is None:
            outcomes.append(_failed(alert, name, f"no destination named {name!r} in the config "
                                    f"(known: {', '.join(sorted(destinations)) or 'none'})"))
            continue
        try:
            destination.send(alert)
        except DeliveryError as error:
            outcomes.append(_failed(alert, name, str(error)))
        except Exception as error:  # noqa: BLE001 - one broken destination must not stop the run
            log.exception("destination %s raised while sending %s", name, alert.title)
            outcomes.append(_failed(alert, name, f"{type(error).__name__}: {error}"))
        else:
            outcomes.append(Delivery(name, True))
    return outcomes


def _failed(alert: Alert, name: str, reason: str) -> Delivery:
    log.error("alert %s not delivered to %s: %s", alert.title, name, reason)
    return Delivery(name, False, reason)
