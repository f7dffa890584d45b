"""Evidence → IAM policy documents: one statement per service and (resources, conditions),
sorted, within IAM's size limit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from tattletrail.policy import catalogue
from tattletrail.policy.conditions import ConditionKind
from tattletrail.policy.evidence import ActionUsage, Evidence

# IAM quotas on policy size, counted without whitespace (IAM User Guide, "IAM and AWS STS quotas").
# EC2 User Guide, "Example policies to control access to the Amazon EC2 API", launching instances.
EC2_IMPLIED_TYPES = ("network-interface", "security-group", "subnet", "volume")
SIZE_LIMITS = {"managed": 6_144, "inline-role": 10_240, "inline-user": 2_048, "inline-group": 5_120}


@dataclass
class Statement:
    service: str
    actions: list[str]
    resources: list[str]
    conditions: dict[str, dict[str, list[str]]]

    def document(self, sid: str) -> dict[str, Any]:
        body: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": sorted(self.actions),
                                "Resource": self.resources[0] if self.resources == ["*"] else sorted(self.resources)}
        if self.conditions:
            body["Condition"] = {op: {key: sorted(values) for key, values in sorted(keys.items())}
                                 for op, keys in sorted(self.conditions.items())}
        return body


@dataclass
class GeneratedPolicy:
    """The policy documents (more than one when one would pass the size limit) and the notes on
    every deliberate choice: a resource left as *, a condition left out, a split."""

    documents: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    limit_name: str = "managed"

    def sizes(self) -> list[int]:
        return [policy_size(document) for document in self.documents]


def policy_size(document: dict[str, Any]) -> int:
    """Characters IAM counts against the limit: the JSON without whitespace."""
    return len(re.sub(rb"\s", b"", orjson.dumps(document)))


def build_policy(evidence: Evidence, narrow_resources: bool, kinds: list[ConditionKind],
                 include_denied: bool = False, limit_name: str = "managed") -> GeneratedPolicy:
    notes: list[str] = []
    usages = list(evidence.allowed.values())
    if include_denied:
        usages += [usage for action, usage in evidence.denied.items() if action not in evidence.allowed]
    grouped: dict[tuple[Any, ...], Statement] = {}
    unknowable: dict[str, list[str]] = {}
    for usage in sorted(usages, key=lambda u: u.action):
        entry = catalogue.known_action(usage.action)
        resources = narrowed_resources(entry, usage, notes) if narrow_resources else ["*"]
        conditions = action_conditions(entry, usage, kinds, unknowable)
        key = (entry.service, tuple(sorted(resources)), orjson.dumps(conditions, option=orjson.OPT_SORT_KEYS))
        if key not in grouped:
            grouped[key] = Statement(entry.service, [], sorted(resources), conditions)
        grouped[key].actions.append(entry.iam_name)
    notes += [f"no {key} condition on {', '.join(actions)}: the records don't carry its value (a property of "
              "an existing resource, or a call that had none)" for key, actions in unknowable.items()]
    statements = sorted(grouped.values(), key=lambda s: (s.service, s.resources != ["*"], s.actions))
    return GeneratedPolicy(split_by_size(statements, SIZE_LIMITS[limit_name], notes), notes, limit_name)


def narrowed_resources(entry: catalogue.Action, usage: ActionUsage, notes: list[str]) -> list[str]:
    """The exact ARNs the calls touched, plus the account/region-wide ARN of each resource type
    the action always checks that the records don't name; * where the action has no resource
    types, or where a call named none (an ARN list would deny that call)."""
    if not entry.resource_types:
        return ["*"]
    if usage.calls_without_resource:
        notes.append(f"{entry.iam_name}: Resource * — {usage.calls_without_resource} of {usage.calls} calls "
                     f"name no {_kinds_text(entry)} ARN in the record")
        return ["*"]
    arns = {arn for _, arn in usage.resources}
    touched = {kind for kind, _ in usage.resources}
    for kind in entry.resource_types:
        # EC2 checks the network interface, volumes, subnet and security groups a call creates
        # or uses by default even when the request names none (RunInstances); elsewhere an
        # optional type is an alternative (an access point instead of a bucket).
        always = kind.required or (entry.service == "ec2" and kind.name in EC2_IMPLIED_TYPES)
        if kind.name not in touched and always and kind.arn != "*":
            arns.update(catalogue.template_wildcard(kind.arn, region, account) for region, account in usage.places)
    return without_covered(arns)


def without_covered(arns: set[str]) -> list[str]:
    """The ARNs less those another one's wildcard already covers (instance/i-1 beside instance/*)."""
    patterns = [arn for arn in arns if "*" in arn]
    return sorted(arn for arn in arns if not any(
        other != arn and catalogue.wildcard_regex(other, False).fullmatch(arn) for other in patterns))


def _kinds_text(entry: catalogue.Action) -> str:
    names = [kind.name for kind in entry.resource_types]
    return "/".join(names) if len(names) <= 4 else f"{'/'.join(names[:3])}/… ({len(names)} resource types)"


def action_conditions(entry: catalogue.Action, usage: ActionUsage, kinds: list[ConditionKind],
                      unknowable: dict[str, list[str]]) -> dict[str, dict[str, list[str]]]:
    """The conditions the calls of one action all meet. A key some call had no value for is left
    out and recorded in `unknowable` (key → actions), so the notes can say so once per key."""
    conditions: dict[str, dict[str, list[str]]] = {}
    if entry.iam_name == "iam:PassRole":  # always: pass roles only to the services that were given one
        conditions["StringEquals"] = {"iam:PassedToService": sorted(usage.event_sources)}
    for kind in kinds:
        if not kind.global_key and not entry.supports_key(kind.key):
            continue
        if usage.calls_without_value[kind.key]:
            unknowable.setdefault(kind.key, []).append(f"{entry.iam_name} ({usage.calls_without_value[kind.key]} "
                                                      f"of {usage.calls} calls)")
            continue
        operator = kind.operator_for(entry.key_on_every_resource(kind.key))
        conditions.setdefault(operator, {})[kind.key] = sorted(usage.condition_values.get(kind.key, ()))
    return conditions


def split_by_size(statements: list[Statement], limit: int, notes: list[str]) -> list[dict[str, Any]]:
    """Documents of whole statements in order, each under `limit`; a statement too big alone is
    widened to Resource * (with a note) rather than cut."""
    documents: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    counters: dict[str, int] = {}
    for statement in statements:
        counters[statement.service] = counters.get(statement.service, 0) + 1
        sid = re.sub(r"[^A-Za-z0-9]", "", statement.service.title()) + str(counters[statement.service])
        body = statement.document(sid)
        if policy_size(_document([body])) > limit:
            body["Resource"] = widened_resources(statement)
            notes.append(f"{sid}: {len(statement.resources)} resources pass the {limit:,}-character limit alone; "
                         f"widened to {len(body['Resource'])} (each resource's id as *)")
        if policy_size(_document([body])) > limit:
            notes.append(f"{sid}: still over the limit; widened to Resource *")
            body["Resource"] = "*"
        if current and policy_size(_document([*current, body])) > limit:
            documents.append(_document(current))
            current = []
        current.append(body)
    documents.append(_document(current))
    if len(documents) > 1:
        notes.append(f"split into {len(documents)} policies of at most {limit:,} characters each (attach them all)")
    return documents


def widened_resources(statement: Statement) -> list[str]:
    """Each ARN with its id as * (log-stream:abc → log-stream:*), by the resource type it is of."""
    templates = [kind.arn for action in statement.actions for kind in catalogue.known_action(action).resource_types]
    widened = set()
    for arn in statement.resources:
        template = next((t for t in templates if catalogue.template_regex(t).fullmatch(arn)), None)
        widened.add(catalogue.widen_arn(arn, template) if template else arn)
    return sorted(widened)


def _document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements}
