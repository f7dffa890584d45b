"""`policy unused`: the actions a policy grants that the actor never used in the window.

Granted actions are expanded against the catalogue (`ec2:Describe*` is every EC2 action whose name
starts so), so the answer is a list of real actions, not of patterns. An action counts as granted
when an Allow statement names it, whatever its resources and conditions: "never used" is about
the action. Policies come from a file or from IAM (the role's or user's attached managed
policies, its inline policies, and for a user its groups' policies).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tattletrail.errors import TattletrailError
from tattletrail.policy import catalogue
from tattletrail.policy.evidence import Evidence


class PolicyFileError(TattletrailError, ValueError):
    pass


@dataclass
class Unused:
    granted: list[str]
    used: list[str]
    unused: list[str]
    used_not_granted: list[str] = field(default_factory=list)  # allowed by something else (another policy, a resource policy)
    sources: list[str] = field(default_factory=list)

    def by_service(self) -> list[tuple[str, int, list[str]]]:
        """(service, actions granted, the unused ones) per service, most unused first."""
        services = sorted({action.split(":", 1)[0] for action in self.granted})
        rows = [(service, sum(a.startswith(service + ":") for a in self.granted),
                 [a.split(":", 1)[1] for a in self.unused if a.startswith(service + ":")]) for service in services]
        return sorted(rows, key=lambda row: (-len(row[2]), row[0]))

    def as_dict(self) -> dict[str, Any]:
        return {"granted": len(self.granted), "used": self.used, "unused": self.unused,
                "used_not_granted": self.used_not_granted, "policies": self.sources}


def granted_actions(documents: list[dict[str, Any]]) -> set[str]:
    """Every catalogue action some Allow statement grants (Action patterns, or all but NotAction)."""
    granted: set[str] = set()
    for document in documents:
        statements = document.get("Statement")
        for statement in statements if isinstance(statements, list) else [statements]:
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            if "Action" in statement:
                for pattern in _listed(statement["Action"]):
                    granted.update(catalogue.matching_actions(pattern))
            elif "NotAction" in statement:
                excluded = {action for pattern in _listed(statement["NotAction"])
                            for action in catalogue.matching_actions(pattern)}
                granted.update(set(catalogue.matching_actions("*")) - excluded)
    return granted


def unused_actions(documents: list[dict[str, Any]], evidence: Evidence, sources: list[str]) -> Unused:
    granted = granted_actions(documents)
    used = set(evidence.allowed)
    return Unused(granted=sorted(granted), used=sorted(used & granted), unused=sorted(granted - used),
                  used_not_granted=sorted(used - granted), sources=sources)


def read_policy_file(path: Path) -> list[dict[str, Any]]:
    """A policy document, a list of them, or what `aws iam get-policy-version` prints."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise PolicyFileError(f"{path}:{error.lineno}: not JSON ({error.msg})") from None
    except OSError as error:
        raise PolicyFileError(f"{path}: {error.strerror}") from None
    if isinstance(value, dict) and "PolicyVersion" in value:
        value = value["PolicyVersion"].get("Document")
    documents = value if isinstance(value, list) else [value]
    for index, document in enumerate(documents):
        if not isinstance(document, dict) or "Statement" not in document:
            raise PolicyFileError(f"{path}: document {index + 1} has no 'Statement': give an IAM policy document")
    return documents


def iam_policies(principal: str, client: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The policy documents of a role (or, if there is no such role, a user and its groups) in
    IAM, by boto3, with where each came from (a policy ARN, or inline:KIND/NAME/POLICY)."""
    name = principal.rsplit("/", 1)[-1] if principal.startswith("arn:") else principal.split("/", 1)[0]
    try:
        client.get_role(RoleName=name)
        holders = [("role", name)]
    except client.exceptions.NoSuchEntityException:
        client.get_user(UserName=name)  # raises NoSuchEntity when neither exists
        holders = [("user", name)] + [("group", group["GroupName"]) for group in
                                      _paged(client, "list_groups_for_user", "Groups", UserName=name)]
    documents, sources = [], []
    for kind, holder in holders:
        for arn in _attached(client, kind, holder):
            policy = client.get_policy(PolicyArn=arn)["Policy"]
            version = client.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
            documents.append(_decoded(version["PolicyVersion"]["Document"]))
            sources.append(arn)
        for policy_name in _paged(client, f"list_{kind}_policies", "PolicyNames", **{_name_key(kind): holder}):
            inline = getattr(client, f"get_{kind}_policy")(**{_name_key(kind): holder, "PolicyName": policy_name})
            documents.append(_decoded(inline["PolicyDocument"]))
            sources.append(f"inline:{kind}/{holder}/{policy_name}")
    return documents, sources


def _attached(client: Any, kind: str, name: str) -> list[str]:
    return [policy["PolicyArn"] for policy in
            _paged(client, f"list_attached_{kind}_policies", "AttachedPolicies", **{_name_key(kind): name})]


def _paged(client: Any, operation: str, key: str, **arguments: Any) -> list[Any]:
    return [item for page in client.get_paginator(operation).paginate(**arguments) for item in page[key]]


def _name_key(kind: str) -> str:
    return {"role": "RoleName", "user": "UserName", "group": "GroupName"}[kind]


def _decoded(document: Any) -> dict[str, Any]:
    """boto3 gives documents decoded; a URL-encoded string (the raw API) is decoded here."""
    if isinstance(document, str):
        from urllib.parse import unquote
        document = json.loads(unquote(document))
    decoded: dict[str, Any] = document
    return decoded


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
