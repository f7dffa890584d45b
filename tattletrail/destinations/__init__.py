"""Where alerts go. A registry maps a destination `type` in the config to its settings and class.

The checker needs `dispatcher_from_config(config, outbox_path)` and then `Dispatcher.deliver`,
`retry_pending` and `backlog` (delivery.py); `build_destination` makes one destination.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from pydantic import TypeAdapter

from tattletrail.destinations.base import DeliveryError, Destination
from tattletrail.destinations.delivery import Backlog, DeliveryPolicy, DeliveryResult, Dispatcher
from tattletrail.destinations.jsonl import JsonLinesDestination
from tattletrail.destinations.settings import AnyDestinationSettings, DestinationSettings
from tattletrail.destinations.stdout import StdoutDestination

if TYPE_CHECKING:
    from tattletrail.config import Config

__all__ = ["Backlog", "DeliveryError", "DeliveryPolicy", "DeliveryResult", "Destination", "Dispatcher",
           "build_destination", "build_destinations", "built_in_destinations", "dispatcher_from_config",
           "policy_of"]


def _slack(name: str, settings: Any) -> Destination:
    from tattletrail.destinations.slack import SlackDestination
    return SlackDestination(name, settings)


def _webhook(name: str, settings: Any) -> Destination:
    from tattletrail.destinations.webhook import WebhookDestination
    return WebhookDestination(name, settings)


def _sns(name: str, settings: Any) -> Destination:
    from tattletrail.destinations.sns import SnsDestination
    return SnsDestination(name, settings)


def _ses(name: str, settings: Any) -> Destination:
    from tattletrail.destinations.ses import SesDestination
    return SesDestination(name, settings)


def _pagerduty(name: str, settings: Any) -> Destination:
    from tattletrail.destinations.pagerduty import PagerDutyDestination
    return PagerDutyDestination(name, settings)


# type → constructor; each module is imported only when a destination of its type is configured.
DESTINATION_TYPES: dict[str, Callable[[str, Any], Destination]] = {
    "stdout": lambda name, settings: StdoutDestination(name),
    "jsonl": lambda name, settings: JsonLinesDestination(name, settings.path),
    "slack": _slack,
    "webhook": _webhook,
    "sns": _sns,
    "ses": _ses,
    "pagerduty": _pagerduty,
}

_settings_adapter: TypeAdapter[Any] = TypeAdapter(AnyDestinationSettings)


def build_destination(name: str, settings: DestinationSettings | Mapping[str, Any]) -> Destination:
    """One destination from its typed settings (a plain mapping is validated first)."""
    if not isinstance(settings, DestinationSettings):
        settings = _settings_adapter.validate_python(dict(settings))
    return DESTINATION_TYPES[settings.type](name, settings)  # type: ignore[union-attr]  # each kind's Literal `type`


def build_destinations(config: Config) -> dict[str, Destination]:
    """Every destination in the config, plus the built-in `stdout` unless the config redefines it."""
    destinations = built_in_destinations()
    destinations.update({name: build_destination(name, settings) for name, settings in config.destinations.items()})
    return destinations


def built_in_destinations() -> dict[str, Destination]:
    """Destinations that exist without any config: `stdout`."""
    return {"stdout": StdoutDestination("stdout")}


def policy_of(settings: DestinationSettings) -> DeliveryPolicy:
    return DeliveryPolicy(attempts=settings.attempts, backoff=settings.backoff, max_age=settings.max_age)


def dispatcher_from_config(config: Config, outbox_path: Path | str, **options: Any) -> Dispatcher:
    """A Dispatcher for every configured destination, with each one's delivery policy."""
    policies = {name: policy_of(settings) for name, settings in config.destinations.items()}
    return Dispatcher(build_destinations(config), outbox_path, policies=policies, **options)
