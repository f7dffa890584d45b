"""The compiled rule set: which rules can match an event, and the verdict on it.

Most rules only make sense for a few API calls (`eventName:DeleteRoute AND …`). The query tree
says so: `required_event_names` finds the eventName values a query can't match without, and the
rule set runs such a rule only on events with one of those names. The other rules (root usage,
denied calls) run on every event. Either way the answer is exactly the Python predicate's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from tattletrail.event import Event
from tattletrail.query import predicate
from tattletrail.query.python import Predicate
from tattletrail.query.tree import And, Match, Node, Or
from tattletrail.rules.model import LEVELS, LoadedRule
from tattletrail.stores.opensearch_documents import document_of

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


@dataclass(frozen=True, slots=True)
class CompiledRule:
    loaded: LoadedRule
    test: Predicate
    event_names: frozenset[str] | None  # None: the rule can match any event

    @property
    def name(self) -> str:
        return self.loaded.name


def required_event_names(tree: Node) -> frozenset[str] | None:
    """The eventName values an event must have for the query to match it, or None if any will do.

    `eventName:X` needs X; AND needs what any operand needs (the intersection when several do);
    OR needs the union, but only when every branch is constrained. NOT, wildcards and other
    fields constrain nothing.
    """
    if isinstance(tree, Match):
        if tree.field == "eventName" and not tree.wildcard:
            return frozenset([tree.value])
        return None
    if isinstance(tree, And):
        constrained = [names for names in map(required_event_names, tree.operands) if names is not None]
        return frozenset.intersection(*constrained) if constrained else None
    if isinstance(tree, Or):
        branches = [required_event_names(operand) for operand in tree.operands]
        if any(names is None for names in branches):
            return None
        return frozenset().union(*branches)  # type: ignore[arg-type]
    return None


class RuleSet:
    """Enabled rules, indexed by the event names they need. Evaluation is pure: it reads the
    event and returns a Verdict; `score` also writes the verdict onto the event."""

    def __init__(self, rules: Iterable[LoadedRule]) -> None:
        self.rules: tuple[CompiledRule, ...] = tuple(
            CompiledRule(rule, predicate(rule.tree), required_event_names(rule.tree))
            for rule in rules if rule.rule.enabled)
        self._everywhere = tuple(rule for rule in self.rules if rule.event_names is None)
        self._plans: dict[str, tuple[CompiledRule, ...]] = {}
        self._by_name: dict[str, list[CompiledRule]] = {}
        for rule in self.rules:
            for name in rule.event_names or ():
                self._by_name.setdefault(name, []).append(rule)

    def __len__(self) -> int:
        return len(self.rules)

    @property
    def indexed(self) -> int:
        """How many rules run only on their event names."""
        return len(self.rules) - len(self._everywhere)

    def candidates(self, event_name: Any) -> tuple[CompiledRule, ...]:
        """The rules that can match an event with this eventName, in the order they were loaded."""
        if not isinstance(event_name, str):  # not a plain name: no index can be trusted
            return self.rules
        plan = self._plans.get(event_name)
        if plan is None:
            wanted = {id(rule) for rule in self._by_name.get(event_name, ())}
            plan = tuple(rule for rule in self.rules if rule.event_names is None or id(rule) in wanted)
            self._plans[event_name] = plan
        return plan

    def matching(self, document: dict[str, Any]) -> list[CompiledRule]:
        """The rules that match one event document, highest level first, then in load order."""
        found = [rule for rule in self.candidates(document.get("eventName")) if rule.test(document)]
        if len(found) > 1:
            found.sort(key=lambda rule: -rule.loaded.score)
        return found

    def evaluate(self, document: dict[str, Any]) -> Verdict:
        return verdict_of(self.matching(document), document)

    def score(self, event: Event) -> list[CompiledRule]:
        """Set the event's threat fields; the rules that matched."""
        found: list[CompiledRule] = []
        if self.candidates(event.record.get("eventName")):
            document = document_of(event)
            found = self.matching(document)
            verdict = verdict_of(found, document)
        else:
            verdict = CLEAN
        event.threat_level = verdict.level
        event.threat_rules = list(verdict.rules)
        event.annotations = list(verdict.annotations)
        return found


def verdict_of(found: list[CompiledRule], document: dict[str, Any]) -> Verdict:
    if not found:
        return CLEAN
    return Verdict(level=found[0].loaded.rule.level, rules=tuple(rule.name for rule in found),
                   annotations=tuple(rule.loaded.template.render(document) for rule in found))
