"""Whether a resource policy lets anyone in: read the document, don't pattern-match its text.

A statement is open to anyone when it allows (`"Effect": "Allow"`) a principal of `"*"` (or
`{"AWS": "*"}`, or a list holding `"*"`), or names its principals by `NotPrincipal`, and no
condition pins the caller down. Following AWS's own definition of "public" for S3 and IAM Access
Analyzer, a condition pins the caller down when it compares one of the keys below with fixed values
(no lone `*`) under a positive operator: `StringEquals`, `ArnLike`, `IpAddress`… but not the
`…IfExists` forms (they pass when the key is absent), nor `StringNotEquals`, `Null` and the like.
An `aws:SourceIp` of `0.0.0.0/0` or `::/0` pins nothing.

CloudTrail passes policies as JSON text for most services and as an object for S3; both are read.
"""

from __future__ import annotations

import json
from typing import Any

# Condition keys that limit a "*" principal to one organization, account, network or caller.
CONSTRAINING_KEYS = frozenset(key.lower() for key in (
    "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:userid",
    "aws:SourceVpce", "aws:SourceVpc", "aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner", "aws:SourceOrgID",
    "aws:SourceOrgPaths", "aws:SourceIp", "aws:VpcSourceIp", "kms:CallerAccount", "s3:DataAccessPointAccount",
    "s3:DataAccessPointArn", "lambda:FunctionUrlAuthType"))
POSITIVE_OPERATORS = frozenset(op.lower() for op in (
    "StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "IpAddress"))
ANYWHERE = frozenset(("0.0.0.0/0", "::/0"))


def parse_policy(value: Any) -> dict[str, Any] | None:
    """The policy as an object: JSON text is parsed, an object taken as is; None if neither."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def statements_of(policy: dict[str, Any]) -> list[dict[str, Any]]:
    found = policy.get("Statement")
    items = found if isinstance(found, list) else [found]
    return [item for item in items if isinstance(item, dict)]


def public_statements(value: Any) -> list[dict[str, Any]]:
    """The Allow statements of a policy (text or object) that anyone may use."""
    policy = parse_policy(value)
    if policy is None:
        return []
    return [statement for statement in statements_of(policy)
            if _allows(statement) and _anyone(statement) and not _pinned_down(statement.get("Condition"))]


def every_action_statements(value: Any) -> list[dict[str, Any]]:
    """The Allow statements of a policy (text or object) that grant every action (`"Action": "*"`,
    alone or in a list). A Deny of every action, the usual way to lock a user out, grants nothing."""
    policy = parse_policy(value)
    if policy is None:
        return []
    return [statement for statement in statements_of(policy) if _allows(statement) and _is_star(statement.get("Action"))]


def _is_star(value: Any) -> bool:
    """`"*"`, alone or in a list: every action, or anyone."""
    return value == "*" or (isinstance(value, list) and "*" in value)


def foreign_accounts(value: Any, own_account: str) -> list[str]:
    """The accounts other than `own_account` that the Allow statements of a policy name as principals
    (by ARN or by bare account id), in order."""
    policy = parse_policy(value)
    if policy is None:
        return []
    found: list[str] = []
    for statement in statements_of(policy):
        principal = statement.get("Principal")
        if not _allows(statement) or not isinstance(principal, dict):
            continue
        names = principal.get("AWS")
        for name in names if isinstance(names, list) else [names]:
            account = _account_of(str(name)) if name is not None else None
            if account and account != own_account and account not in found:
                found.append(account)
    return found


def _account_of(principal: str) -> str | None:
    if principal.isdigit() and len(principal) == 12:
        return principal
    parts = principal.split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" and parts[4].isdigit() else None


def _allows(statement: dict[str, Any]) -> bool:
    return str(statement.get("Effect", "")).lower() == "allow"


def _anyone(statement: dict[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        for key in ("AWS", "CanonicalUser"):
            if _is_star(principal.get(key)):
                return True
    return False


def _pinned_down(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator, tests in condition.items():
        name = str(operator).lower()
        if not isinstance(tests, dict) or name.endswith("ifexists"):
            continue
        if name.startswith("forallvalues:"):  # holds when the request has no such key at all
            continue
        name = name.removeprefix("foranyvalue:")
        if name not in POSITIVE_OPERATORS:
            continue
        for key, values in tests.items():
            if str(key).lower() in CONSTRAINING_KEYS and _fixed(str(key).lower(), values):
                return True
    return False


def _fixed(key: str, values: Any) -> bool:
    """Whether the values name something specific: not empty, not a lone "*", not the whole internet."""
    items = values if isinstance(values, list) else [values]
    texts = [str(item) for item in items if item not in (None, "")]
    if not texts or any(text.strip("*?") == "" for text in texts):
        return False
    return not (key in ("aws:sourceip", "aws:vpcsourceip") and any(text in ANYWHERE for text in texts))


def actions_of(statements: list[dict[str, Any]]) -> str:
    """The actions those statements allow, for an annotation: `s3:GetObject, s3:ListBucket`."""
    found: list[str] = []
    for statement in statements:
        actions = statement.get("Action", statement.get("NotAction", "?"))
        for action in actions if isinstance(actions, list) else [actions]:
            if str(action) not in found:
                found.append(str(action))
    return ", ".join(found) or "?"
