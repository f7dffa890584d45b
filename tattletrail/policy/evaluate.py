"""Does a policy allow a call? A small evaluator of identity policies, for the proof and for
`policy unused`.

It implements what generated policies use and what IAM documents for them (IAM User Guide,
"Policy evaluation logic" and "Condition operators"): Allow and Deny statements (an explicit Deny
wins), Action/NotAction and Resource/NotResource with `*` and `?` wildcards (actions compared
case-insensitively, ARNs case-sensitively), and the String*, Arn*, IpAddress and Bool operators
with `…IfExists`. A condition operator it does not know raises rather than guess.
The real simulator is the iam:SimulateCustomPolicy API (it needs an AWS account); of the Python
packages, policyuniverse parses and expands policies but evaluates no conditions (last release
2023), and the simulators on PyPI are young 0.x tools (aws-why, sibyl-aws) — hence this one,
tested on its own in tests/test_policy_evaluate.py.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Iterable

from tattletrail.errors import TattletrailError
from tattletrail.policy import catalogue
from tattletrail.policy.actions import map_event
from tattletrail.policy.conditions import CONDITION_KINDS
from tattletrail.policy.resources import touched_arns


class UnsupportedCondition(TattletrailError, ValueError):
    pass


@dataclass
class Request:
    """One authorization: an action on each of its resources ("*" when the call names none),
    with the request context; `resource_context` adds keys only some resources carry."""

    action: str
    resources: list[str]
    context: dict[str, str] = field(default_factory=dict)
    resource_context: dict[str, dict[str, str]] = field(default_factory=dict)


def allows(documents: Iterable[dict[str, Any]], request: Request) -> bool:
    """True when every resource of the request is allowed by some statement and denied by none."""
    statements = [statement for document in documents for statement in _listed(document.get("Statement"))]
    for resource in request.resources or ["*"]:
        context = {key.lower(): value for key, value in
                   {**request.context, **request.resource_context.get(resource, {})}.items()}
        matching = [s for s in statements if _applies(s, request.action, resource, context)]
        if not any(s.get("Effect") == "Allow" for s in matching) or any(s.get("Effect") == "Deny" for s in matching):
            return False
    return True


def _applies(statement: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    if "Action" in statement:
        if not _any_match(statement["Action"], action, case_sensitive=False):
            return False
    elif _any_match(statement.get("NotAction"), action, case_sensitive=False):
        return False
    if "Resource" in statement:
        if not _any_match(statement["Resource"], resource, case_sensitive=True):
            return False
    elif _any_match(statement.get("NotResource"), resource, case_sensitive=True):
        return False
    return all(_condition_holds(operator, key, values, context)
               for operator, keys in (statement.get("Condition") or {}).items()
               for key, values in keys.items())


def _any_match(patterns: Any, value: str, case_sensitive: bool) -> bool:
    return any(pattern == "*" or catalogue.wildcard_regex(pattern, not case_sensitive).fullmatch(value)
               for pattern in _listed(patterns))


def _condition_holds(operator: str, key: str, values: Any, context: dict[str, str]) -> bool:
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    actual = context.get(key.lower())
    if actual is None:
        return if_exists
    expected = [str(value) for value in _listed(values)]
    if base in ("StringEquals", "ArnEquals"):
        return actual in expected
    if base == "StringEqualsIgnoreCase":
        return actual.lower() in [value.lower() for value in expected]
    if base in ("StringLike", "ArnLike"):
        return any(catalogue.wildcard_regex(value, False).fullmatch(actual) for value in expected)
    if base in ("StringNotEquals",):
        return actual not in expected
    if base == "IpAddress":
        address = ipaddress.ip_address(actual)
        return any(address in ipaddress.ip_network(value, strict=False) for value in expected)
    if base == "Bool":
        return actual.lower() in [value.lower() for value in expected]
    raise UnsupportedCondition(f"condition operator {operator!r} is not supported by this evaluator")


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def requests_of(record: dict[str, Any]) -> list[Request]:
    """The authorizations a recorded call needed: one per action that authorizes it, on the ARNs
    it touched of that action's resource types, with the context keys --conditions knows."""
    mapping = map_event(record)
    arns = touched_arns(record, str(record.get("account") or "*"))
    requests = []
    for action in mapping.actions:
        entry = catalogue.known_action(action)
        by_arn = {arn: [kind for kind in entry.resource_types if catalogue.template_regex(kind.arn).fullmatch(arn)]
                  for arn in arns}
        by_arn = {arn: kinds for arn, kinds in by_arn.items() if kinds}
        context: dict[str, Any] = {}
        resource_context: dict[str, dict[str, Any]] = {}
        for kind in CONDITION_KINDS.values():
            value = kind.value_of(record)
            if value is None or not (kind.global_key or entry.supports_key(kind.key)):
                continue
            if kind.global_key or entry.key_on_every_resource(kind.key):
                context[kind.key] = value.split("/")[0] if kind.key == "aws:SourceIp" else value
            else:
                for arn, kinds in by_arn.items():
                    if any(kind.key in kinds_.condition_keys for kinds_ in kinds):
                        resource_context.setdefault(arn, {})[kind.key] = value
        if entry.iam_name == "iam:PassRole":
            context["iam:PassedToService"] = str(record.get("eventSource"))
        requests.append(Request(entry.iam_name, sorted(by_arn), context, resource_context))
    return requests
