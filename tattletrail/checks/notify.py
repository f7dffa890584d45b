"""Delivering an alert: the one call the checker makes, through the Dispatcher and its outbox.

A destination that fails is logged with the reason and the others still get the alert; the run
goes on. One that fails in a way worth retrying (429, 5xx, timeout) keeps the alert in the outbox:
it is `queued`, not lost, and the checker's next cycles try it again. `deliver` says what happened
to each, so callers (and tests) can see every failure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tattletrail.alert import Alert
from tattletrail.destinations import Dispatcher, dispatcher_from_config
from tattletrail.destinations.delivery import DELIVERED, DELIVERY_WAIT, IN_FLIGHT, KEPT
from tattletrail.destinations.outbox import default_outbox_path

if TYPE_CHECKING:
    from tattletrail.config import Config

log = logging.getLogger("tattletrail.checker")


@dataclass(frozen=True)
class Delivery:
    destination: str
    delivered: bool
    error: str | None = None
    outcome: str = DELIVERED  # delivered | queued | in-flight | failed | expired (see destinations.delivery)

    @property
    def queued(self) -> bool:
        """Not delivered yet, but kept in the outbox and retried: not a failure."""
        return self.outcome in KEPT


def deliver(alert: Alert, names: list[str] | tuple[str, ...], dispatcher: Dispatcher,
            stream: str | None = None) -> list[Delivery]:
    """Hand an alert to the dispatcher; `stream` (a check and group) lets it supersede an older
    undelivered alert of the same stream. In the daemon (wait 0) every delivery is in flight here:
    its outcome is logged by the dispatcher when it is known."""
    outcomes = []
    for result in dispatcher.deliver(alert, names, stream):
        delivery = Delivery(result.destination, result.ok, result.error, result.outcome)
        if delivery.outcome == IN_FLIGHT:
            log.debug("alert %s handed to %s's delivery worker", alert.title, delivery.destination)
        elif delivery.queued:
            log.warning("alert %s queued for %s (kept in the outbox, retried later): %s", alert.title,
                        delivery.destination, delivery.error or "still being attempted")
        elif not delivery.delivered:
            log.error("alert %s not delivered to %s: %s", alert.title, delivery.destination, delivery.error)
        outcomes.append(delivery)
    return outcomes


def checker_dispatcher(config: Config, state_path: Path, **options: Any) -> Dispatcher:
    """The dispatcher of `checker` and `check run --notify`: every destination in the config (and the
    built-in `stdout`), its outbox `outbox.sqlite` beside the state file ($TATTLETRAIL_OUTBOX overrides).
    `options` go to the Dispatcher (a test's clock)."""
    return dispatcher_from_config(config, default_outbox_path(beside=state_path),
                                  **{"wait": DELIVERY_WAIT, **options})
