"""What an actor did in a window, per IAM action: the evidence a policy is built from.

A pure fold, no store, no clock, over calls the policy can't tell apart: the groups a store's
`group_events` makes of the actor's events by the few fields the policy reads (POLICY_FIELDS),
or, one by one, whole documents as `search` returns them (the same evidence, slower: the
differential tests hold the two to each other). Denied calls are kept apart from the calls IAM
allowed (a call that failed for another reason, NoSuchEntity say, was authorized first, so it
counts as allowed).
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Iterable

from tattletrail.event import parse_event_time
from tattletrail.policy import catalogue
from tattletrail.policy.actions import RULES, map_event
from tattletrail.policy.conditions import ConditionKind
from tattletrail.policy.resources import touched_arns
from tattletrail.timespec import iso_utc
from tattletrail.stores.base import EventGroup
from tattletrail.stores.grouping import search_order

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
    _examples: list[tuple[Any, str]] = field(default_factory=list, repr=False)  # (search order, eventID)

    def add(self, calls: Calls, arns: list[str], kinds: list[ConditionKind]) -> None:
        document = calls.document
        self.calls += calls.count
        if calls.first_seen is not None:
            self.first_seen = calls.first_seen if self.first_seen is None else min(self.first_seen, calls.first_seen)
        if calls.last_seen is not None:
            self.last_seen = calls.last_seen if self.last_seen is None else max(self.last_seen, calls.last_seen)
        self._examples = sorted([*self._examples, *calls.examples])[:EXAMPLES]
        self.example_event_ids = [event_id for _, event_id in self._examples]
        self.event_names[str(document.get("eventName"))] += calls.count
        self.event_sources.add(str(document.get("eventSource")))
        self.places.add((str(document.get("awsRegion") or "*"), str(document.get("account") or "*")))
        matched = [pair for arn in arns for pair in resource_kinds(self.action, arn)]
        self.resources.update(matched)
        if not matched:
            self.calls_without_resource += calls.count
        for kind in kinds:
            value = kind.value_of(document)
            if value is None:
                self.calls_without_value[kind.key] += calls.count
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
    """Fold the actor's events, whole documents in `search`'s order, one by one."""
    return gather_calls(actor, map(_calls_of_document, documents, itertools.count()), kinds, with_resources)


def gather_groups(actor: str, groups: Iterable[EventGroup], kinds: list[ConditionKind],
                  with_resources: bool = True) -> Evidence:
    """Fold the store's groups of the actor's events by POLICY_FIELDS (`policy_fields`): in the
    order of each group's first event, so every dict of the evidence fills in the order the
    one-by-one fold fills it."""
    calls = sorted(map(_calls_of_group, groups), key=lambda c: c.examples[0])
    return gather_calls(actor, calls, kinds, with_resources)


def gather_calls(actor: str, everything: Iterable[Calls], kinds: list[ConditionKind],
                 with_resources: bool = True) -> Evidence:
    """Fold calls into per-action usage (the ARNs touched only `with_resources`)."""
    evidence = Evidence(actor=actor)
    for calls in everything:
        document = calls.document
        evidence.events += calls.count
        mapping = map_event(document)
        if mapping.left_out is not None:
            source = str(document.get("eventSource") or "?").removesuffix(".amazonaws.com")
            evidence.left_out[(f"{source}:{document.get('eventName')}", mapping.left_out)] += calls.count
            continue
        arns = touched_arns(document, str(document.get("account") or "*")) if with_resources else []
        usages = evidence.denied if is_denied(document) else evidence.allowed
        for action in mapping.actions:
            usage = usages.get(action)
            if usage is None:
                usage = usages[action] = ActionUsage(action)
            usage.add(calls, arns, kinds)
    return evidence


# What the fold reads of an event, always: map_event, is_denied, the evidence and the places.
POLICY_FIELDS = ("eventSource", "eventName", "eventType", "errorCode", "awsRegion", "userIdentity.accountId",
                 "userIdentity.invokedBy", "account")
# What touched_arns reads besides (--resources): the request parameters and resources[].
RESOURCE_FIELDS = ("requestParameters", "resources")


def policy_fields(kinds: list[ConditionKind], with_resources: bool) -> tuple[str, ...]:
    """The fields gather_groups needs grouped: POLICY_FIELDS, the request parameters the action
    rules test for (`when`), and what --resources and each --conditions kind read. A path inside
    a field read whole is left out (the whole one brings it)."""
    fields = [*POLICY_FIELDS, *(f"requestParameters.{rule.when}" for rule in RULES if rule.when)]
    fields += [*(RESOURCE_FIELDS if with_resources else ()), *(name for kind in kinds for name in kind.reads)]
    return tuple(dict.fromkeys(name for name in fields if not any(name.startswith(whole + ".") for whole in fields)))


@dataclass(slots=True)
class Calls:
    """Calls the policy can't tell apart: one event, or a store's group of events alike in every
    field the policy reads."""

    document: dict[str, Any]  # the whole document, or the fields the policy reads
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    examples: list[tuple[Any, str]]  # the first few (their place in search order, eventID)


def _calls_of_document(document: dict[str, Any], position: int) -> Calls:
    moment = parse_event_time(document.get("event_time") or document.get("eventTime"))
    return Calls(document, 1, moment, moment, [(position, str(document.get("event_id") or document.get("eventID")))])


def _calls_of_group(group: EventGroup) -> Calls:
    return Calls(document_of_values(group.values), group.events, _to_millisecond(group.first_time),
                 _to_millisecond(group.last_time),
                 [(search_order(moment, event_id), event_id) for moment, event_id in group.newest])


def document_of_values(values: dict[str, Any]) -> dict[str, Any]:
    """{"userIdentity.invokedBy": x, …} → {"userIdentity": {"invokedBy": x}, …}: the part of the
    document the fold reads, shaped as the document."""
    document: dict[str, Any] = {}
    for path, value in values.items():
        *parents, last = path.split(".")
        node = document
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return document


def _to_millisecond(moment: datetime | None) -> datetime | None:
    """As a document's event_time reads (ISO 8601 to the millisecond), so both folds agree."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000) if moment is not None else None
