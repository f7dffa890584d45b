"""Immediate alerts from rules that name destinations: one alert per rule per written batch.

An ingest batch holds up to 20,000 events, so a rule matching a burst sends one alert with a
count and the first few events (with their annotations), not a flood. Alerts go out after the
batch is stored, so what an alert shows can already be searched. They go through a Dispatcher:
retried on 429/5xx/timeouts, and what is still undelivered waits in the outbox (by default the
checker's, which the checker daemon retries every cycle). Close the alerter when the ingest ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from tattletrail.alert import Alert, SampleEvent, Status
from tattletrail.config_files import ConfigError
from tattletrail.destinations import Dispatcher
from tattletrail.destinations.delivery import DELIVERY_WAIT
from tattletrail.event import Event
from tattletrail.rules.ruleset import CompiledRule
from tattletrail.timespec import utc_now

if TYPE_CHECKING:
    from tattletrail.config import Config

SAMPLES = 10
# Every rule alert is something a person asked to hear about, so even low levels warn.
STATUS_BY_LEVEL = {"critical": Status.CRITICAL, "high": Status.CRITICAL, "medium": Status.WARNING,
                   "low": Status.WARNING, "info": Status.WARNING}

RuleHit = tuple[CompiledRule, Event]


@dataclass
class Delivery:
    """What happened to the alerts of one ingest run."""

    sent: int = 0
    queued: int = 0  # not delivered yet, kept in the outbox and retried later
    failed: list[str] = field(default_factory=list)  # "rule → destination: why" (queued ones included)


class RuleAlerter:
    """Turns the hits of rules with destinations into alerts and sends them through the dispatcher."""

    def __init__(self, rules: Iterable[CompiledRule], dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        destinations = dispatcher.destinations
        for rule in rules:
            for name in rule.loaded.rule.destinations:
                if name not in destinations:
                    known = ", ".join(sorted(destinations)) or "none configured"
                    raise ConfigError(f"{rule.loaded.origin}: rule {rule.name!r} sends to unknown destination "
                                      f"{name!r} (known: {known}; add it under `destinations:` in the config)")
        self.delivery = Delivery()

    @staticmethod
    def wants(rule: CompiledRule) -> bool:
        return bool(rule.loaded.rule.destinations)

    def deliver(self, hits: list[RuleHit], now: datetime | None = None) -> None:
        for rule, alert in rule_alerts(hits, now or utc_now()):
            for result in self.dispatcher.deliver(alert, rule.loaded.rule.destinations):
                if result.ok:
                    self.delivery.sent += 1
                    continue
                self.delivery.queued += result.kept
                why = result.error or "still being attempted"
                self.delivery.failed.append(f"{rule.name} → {result.destination}: "
                                            f"{'queued in the outbox, retried later: ' if result.kept else ''}{why}")

    def close(self) -> None:
        """Wait for deliveries still trying (their retries' waits cut short; the outbox keeps the rest)."""
        self.dispatcher.close()

    def __enter__(self) -> "RuleAlerter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rule_alerts(hits: list[RuleHit], now: datetime) -> list[tuple[CompiledRule, Alert]]:
    """One alert per rule, over that rule's hits, in the order the rules first matched."""
    grouped: dict[str, tuple[CompiledRule, list[Event]]] = {}
    for rule, event in hits:
        grouped.setdefault(rule.name, (rule, []))[1].append(event)
    return [(rule, alert_of(rule, events, now)) for rule, events in grouped.values()]


def alert_of(rule: CompiledRule, events: list[Event], now: datetime) -> Alert:
    definition = rule.loaded.rule
    times = [event.event_time for event in events if event.event_time is not None]
    samples = tuple(_sample(rule, event) for event in events[:SAMPLES])
    first = samples[0].annotation if samples else ""
    more = f" (and {len(events) - 1:,} more)" if len(events) > 1 else ""
    return Alert(
        check=definition.name, status=STATUS_BY_LEVEL[definition.level], previous=Status.OK,
        count=len(events), window_start=min(times, default=now), window_end=max(times, default=now),
        query=definition.query, description=definition.description, message=f"{first}{more}",
        samples=samples, suppressed=len(events) - len(samples), severity=definition.level,
        tags=tuple(definition.tags), explore_command=f"tattletrail search 'threat_rules:{definition.name}'",
        kind="rule", created_at=now)


def _sample(rule: CompiledRule, event: Event) -> SampleEvent:
    record = event.record
    try:
        annotation = event.annotations[event.threat_rules.index(rule.name)]
    except ValueError:
        annotation = None
    return SampleEvent(event_id=event.event_id, time=event.event_time, actor=event.actor,
                       event_name=event.event_name, resource=event.resource,
                       region=_text(record.get("awsRegion")), source_ip=_text(record.get("sourceIPAddress")),
                       error=_text(record.get("errorCode")), annotation=annotation)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def alerter_for(rules: Iterable[CompiledRule], config: "Config", outbox_path: Path | None = None) -> RuleAlerter | None:
    """A RuleAlerter over the config's destinations if any enabled rule names one, else None.

    Its outbox is `outbox_path`, else the default one ($TATTLETRAIL_OUTBOX, else `outbox.sqlite`
    in the user data directory, beside the checker's default state)."""
    rules = [rule for rule in rules if RuleAlerter.wants(rule)]
    if not rules:
        return None
    from tattletrail.destinations import dispatcher_from_config
    from tattletrail.destinations.outbox import default_outbox_path

    dispatcher = dispatcher_from_config(config, outbox_path or default_outbox_path(), wait=DELIVERY_WAIT)
    try:
        return RuleAlerter(rules, dispatcher)
    except ConfigError:
        dispatcher.close()
        raise
