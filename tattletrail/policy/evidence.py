"""What an actor did in a window, per IAM action: the evidence a policy is built from.

A pure fold over documents (record plus derived fields, as every store's `search` returns them):
no store, no clock. Denied calls are kept apart from the calls IAM allowed (a call that failed
for another reason, NoSuchEntity say, was authorized first, so it counts as allowed).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Iterable

from tattletrail.event import parse_event_time
from tattletrail.policy import catalogue
from tattletrail.policy.actions import map_event
from tattletrail.policy.conditions import ConditionKind
from tattletrail.policy.resources import touched_arns
from tattletrail.timespec import iso_utc

DENIED_CODES = ("AccessDenied", "UnauthorizedOperation", "Client.UnauthorizedOperation", "AccessDeniedException",
                "UnauthorizedAccess", "Forbidden")
EXAMPLES = 3


def is_denied(record: dict[str, Any]) -> bool:
    code = record.get("errorCode")
    return isinstance(code, str) and code.startswith(DENIED_CODES)


@dataclass
class ActionUsage:
    """The calls one IAM action authorized (or was refused for)."""

    action: str
    calls: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    example_event_ids: list[str] = field(default_factory=list)
    event_names: Counter[str] = field(default_factory=Counter)
    event_sources: set[str] = field(default_factory=set)
    # (resource type, exact ARN) touched; calls that named no ARN of the action's types
    resources: set[tuple[str, str]] = field(default_factory=set)
    calls_without_resource: int = 0
    # (region, account) the calls were made in, for resource-type wildcards
    places: set[tuple[str, str]] = field(default_factory=set)
    condition_values: dict[str, set[str]] = field(default_factory=dict)
    calls_without_value: Counter[str] = field(default_factory=Counter)  # condition key → calls lacking it

    def add(self, document: dict[str, Any], arns: list[str], kinds: list[ConditionKind]) -> None:
        self.calls += 1
        moment = parse_event_time(document.get("event_time") or document.get("eventTime"))
        if moment is not None:
            self.first_seen = moment if self.first_seen is None else min(self.first_seen, moment)
            self.last_seen = moment if self.last_seen is None else max(self.last_seen, moment)
        if len(self.example_event_ids) < EXAMPLES:
            self.example_event_ids.append(str(document.get("event_id") or document.get("eventID")))
        self.event_names[str(document.get("eventName"))] += 1
        self.event_sources.add(str(document.get("eventSource")))
        self.places.add((str(document.get("awsRegion") or "*"), str(document.get("account") or "*")))
        matched = [pair for arn in arns for pair in resource_kinds(self.action, arn)]
        self.resources.update(matched)
        if not matched:
            self.calls_without_resource += 1
        for kind in kinds:
            value = kind.value_of(document)
            if value is None:
                self.calls_without_value[kind.key] += 1
            else:
                self.condition_values.setdefault(kind.key, set()).add(value)

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "calls": self.calls,
                "first_seen": iso_utc(self.first_seen, "auto"), "last_seen": iso_utc(self.last_seen, "auto"),
                "example_event_ids": self.example_event_ids, "event_names": dict(self.event_names)}


@dataclass
class Evidence:
    """Everything seen for one actor: allowed and denied calls per action, and what was left out."""

    actor: str
    events: int = 0
    allowed: dict[str, ActionUsage] = field(default_factory=dict)
    denied: dict[str, ActionUsage] = field(default_factory=dict)
    left_out: Counter[tuple[str, str]] = field(default_factory=Counter)  # (eventSource:eventName, reason)
    regions: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        return {"actor": self.actor, "events": self.events,
                "allowed": [usage.as_dict() for usage in sorted(self.allowed.values(), key=lambda u: u.action)],
                "denied": [usage.as_dict() for usage in sorted(self.denied.values(), key=lambda u: u.action)],
                "left_out": [{"event": event, "reason": reason, "calls": n}
                             for (event, reason), n in sorted(self.left_out.items())]}


@lru_cache(maxsize=65_536)
def resource_kinds(action: str, arn: str) -> tuple[tuple[str, str], ...]:
    """(resource type, arn) for each of the action's resource types the ARN is of."""
    return tuple((kind.name, arn) for kind in catalogue.known_action(action).resource_types
                 if catalogue.template_regex(kind.arn).fullmatch(arn))


def gather(actor: str, documents: Iterable[dict[str, Any]], kinds: list[ConditionKind],
           with_resources: bool = True) -> Evidence:
    """Fold the actor's events into per-action usage (the ARNs touched only `with_resources`)."""
    evidence = Evidence(actor=actor)
    for document in documents:
        evidence.events += 1
        mapping = map_event(document)
        if mapping.left_out is not None:
            source = str(document.get("eventSource") or "?").removesuffix(".amazonaws.com")
            evidence.left_out[(f"{source}:{document.get('eventName')}", mapping.left_out)] += 1
            continue
        arns = touched_arns(document, str(document.get("account") or "*")) if with_resources else []
        usages = evidence.denied if is_denied(document) else evidence.allowed
        for action in mapping.actions:
            usage = usages.get(action)
            if usage is None:
                usage = usages[action] = ActionUsage(action)
            usage.add(document, arns, kinds)
    return evidence
