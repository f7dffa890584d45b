"""The compiled rule set: which rules can match an event, and the verdict on it.

Most rules only make sense for a few API calls (`eventName:DeleteRoute AND …`). The query tree
says so: `required_values` finds the values of a field a query can't match without, and the
rule set runs such a rule only on events with one of those values. Rules are filed under
eventName, else errorCode (denied calls), else userIdentity.type (root usage), else
userIdentity.sessionContext.ec2RoleDelivery (instance credentials); a rule that
requires none of them runs on every event. Either way the answer is exactly the Python
predicate's: the index only skips rules that could not have matched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from tattletrail.event import Event, document_of
from tattletrail.query import predicate
from tattletrail.query.python import Predicate
from tattletrail.query.tree import And, Match, Node, Or
from tattletrail.rules.model import LEVELS, LoadedRule

NO_THREAT = "info"  # the level of a scored event no rule (above info) matched


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the rules say about one event: its highest level, the rules that matched (highest
    level first) and their annotations, in the same order."""

    level: str
    rules: tuple[str, ...] = ()
    annotations: tuple[str, ...] = ()

    @property
    def score(self) -> int:
        return LEVELS.index(self.level)


CLEAN = Verdict(NO_THREAT)


# The fields rules are indexed by, in order of preference: a rule is filed under the first of them
# its query requires values of. Each is a plain keyword that CloudTrail writes as one string.
INDEX_FIELDS = ("eventName", "errorCode", "userIdentity.type", "userIdentity.sessionContext.ec2RoleDelivery")
_ODD = object()  # a value of an unexpected shape (a list, a number…): let the predicate decide


@dataclass(frozen=True, slots=True)
class CompiledRule:
    loaded: LoadedRule
    test: Predicate
    index: tuple[str, frozenset[str]] | None  # (field, values one of which it requires), or None

    @property
    def name(self) -> str:
        return self.loaded.name

    @property
    def event_names(self) -> frozenset[str] | None:
        return self.index[1] if self.index and self.index[0] == "eventName" else None


def required_values(tree: Node, field: str) -> frozenset[str] | None:
    """The values `field` must have for the query to match an event, or None if any will do.

    `field:X` needs X; AND needs what any operand needs (the intersection when several do);
    OR needs the union, but only when every branch is constrained. NOT, wildcards and other
    fields constrain nothing.
    """
    if isinstance(tree, Match):
        if tree.field == field and not tree.wildcard:
            return frozenset([tree.value])
        return None
    if isinstance(tree, And):
        constrained = [names for names in (required_values(operand, field) for operand in tree.operands)
                       if names is not None]
        return frozenset.intersection(*constrained) if constrained else None
    if isinstance(tree, Or):
        branches = [required_values(operand, field) for operand in tree.operands]
        if any(names is None for names in branches):
            return None
        return frozenset().union(*branches)  # type: ignore[arg-type]
    return None


def required_event_names(tree: Node) -> frozenset[str] | None:
    return required_values(tree, "eventName")


def _index_of(tree: Node) -> tuple[str, frozenset[str]] | None:
    for field in INDEX_FIELDS:
        values = required_values(tree, field)
        if values is not None:
            return field, values
    return None


def _indexed_value(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The string at a path of the record; None when absent (no rule requiring it can match);
    _ODD for any other shape, which the rules' predicates judge themselves."""
    node: Any = record
    for key in keys:
        if not isinstance(node, dict):
            return _ODD
        node = node.get(key)
        if node is None:
            return None
    return node if isinstance(node, str) else _ODD


class RuleSet:
    """Enabled rules, indexed by the values of eventName, errorCode, userIdentity.type or ec2RoleDelivery their
    queries require. Evaluation is pure: it reads the event and returns a Verdict; `score` also
    writes the verdict onto the event."""

    def __init__(self, rules: Iterable[LoadedRule]) -> None:
        self.rules: tuple[CompiledRule, ...] = tuple(
            CompiledRule(rule, _test_of(rule), _index_of(rule.tree)) for rule in rules if rule.rule.enabled)
        self._paths = tuple(tuple(field.split(".")) for field in INDEX_FIELDS)
        self._plans: dict[tuple[Any, ...], tuple[CompiledRule, ...]] = {}

    def __len__(self) -> int:
        return len(self.rules)

    @property
    def indexed(self) -> int:
        """How many rules run only on events with the values they require."""
        return sum(1 for rule in self.rules if rule.index is not None)

    def candidates(self, record: dict[str, Any]) -> tuple[CompiledRule, ...]:
        """The rules that can match this record, in the order they were loaded."""
        values = tuple(_indexed_value(record, keys) for keys in self._paths)
        plan = self._plans.get(values)
        if plan is None:
            found = dict(zip(INDEX_FIELDS, values))
            plan = tuple(rule for rule in self.rules if rule.index is None or found[rule.index[0]] is _ODD
                         or found[rule.index[0]] in rule.index[1])
            self._plans[values] = plan
        return plan

    def matching(self, document: dict[str, Any]) -> list[CompiledRule]:
        """The rules that match one event document, highest level first, then in load order."""
        return _matching(self.candidates(document), document)

    def evaluate(self, document: dict[str, Any]) -> Verdict:
        return verdict_of(self.matching(document), document)

    def score(self, event: Event) -> list[CompiledRule]:
        """Set the event's threat fields; the rules that matched."""
        found: list[CompiledRule] = []
        plan = self.candidates(event.record)
        if plan:  # the document (a copy of the record) is built only when some rule can match
            document = document_of(event)
            found = _matching(plan, document)
            verdict = verdict_of(found, document)
        else:
            verdict = CLEAN
        event.threat_level = verdict.level
        event.threat_rules = list(verdict.rules)
        event.annotations = list(verdict.annotations)
        return found


def _test_of(rule: LoadedRule) -> Predicate:
    """The query's predicate, and the rule's `when:` condition after it when it has one."""
    query = predicate(rule.matched_tree)   # the query, but for what is expected (`except`, `expected:`)
    condition = rule.condition
    if condition is None:
        return query
    return lambda document: query(document) and condition(document) is not None


def _matching(plan: tuple[CompiledRule, ...], document: dict[str, Any]) -> list[CompiledRule]:
    found = [rule for rule in plan if rule.test(document)]
    if len(found) > 1:
        found.sort(key=lambda rule: -rule.loaded.score)
    return found


def verdict_of(found: list[CompiledRule], document: dict[str, Any]) -> Verdict:
    if not found:
        return CLEAN
    return Verdict(level=found[0].loaded.rule.level, rules=tuple(rule.name for rule in found),
                   annotations=tuple(rule.loaded.annotate(document) for rule in found))
