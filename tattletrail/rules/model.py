"""Rule files: YAML in rules/ (the pack) or a directory of your own, checked on load.

A file holds one rule (a mapping) or several (a list of mappings). Unknown keys, a query that
doesn't parse, a query on the threat fields themselves, a broken annotation template, an unknown
`when:` condition and a name used twice are errors naming the file and line.

A rule with `attempt:` is two rules once loaded: NAME for the calls that succeeded and
NAME-attempt, at the attempt's own level and with its own sentence, for the calls that failed
(`errorCode` present), so the verdict says whether the change happened.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field

from tattletrail.config_files import ConfigError, Strict, load_yaml, validate
from tattletrail.event import THREAT_LEVELS
from tattletrail.packs import shipped
from tattletrail.query import QueryError, parse_query
from tattletrail.query.tree import And, Match, Node, Not, Or, fields_of
from tattletrail.rules.annotation import Template, TemplateError, compile_template
from tattletrail.rules.conditions import CONDITIONS, Condition, Facts

PACK = shipped("rules")
LEVELS = THREAT_LEVELS
Level = Literal["info", "low", "medium", "high", "critical"]
# The fields rules write: a rule reading them would depend on the order rules run in.
THREAT_FIELDS = ("threat_level", "threat_score", "threat_rules", "annotations")


def score_of(level: str) -> int:
    """info 0 … critical 4: the level as a number that sorts."""
    return LEVELS.index(level)


class Attempt(Strict):
    """What a failed call of a state-changing rule is worth: its own level and sentence, and why."""

    level: Level
    annotation: str
    why: str = ""


class Rule(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)
    description: str
    query: str
    level: Level
    annotation: str = ""  # empty: the description is the annotation
    when: str | dict[str, str] | None = None  # a condition of conditions.py, alone or {name: argument}
    attempt: Attempt | None = None  # a failed call: NAME-attempt at this level; none: the query decides
    tags: list[str] = []  # attack.<tactic>, attack.t<technique id>
    false_positives: list[str] = []  # what else makes this happen, for the person reading the verdict
    destinations: list[str] = []  # names of destinations in the config (or `stdout`)
    enabled: bool = True
    except_: str | None = Field(default=None, alias="except")  # expected activity: never matches

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


@dataclass(frozen=True, slots=True)
class BoundCondition:
    """A rule's `when:` condition with its argument; called on a document, its facts or None."""

    name: str
    argument: str
    condition: Condition

    def __call__(self, document: dict[str, Any]) -> Facts | None:
        return self.condition.test(document, self.argument)


@dataclass(frozen=True)
class LoadedRule:
    """A rule with its parsed query and template, and where it was defined (for messages)."""

    rule: Rule
    tree: Node
    template: Template
    origin: str  # FILE:LINE
    condition: BoundCondition | None = None
    expected: Node | None = None  # the rule's `except`, OR what the config's `expected:` adds

    def annotate(self, document: dict[str, Any]) -> str:
        """The rule's sentence for a document it matched; a condition's facts are `{when.…}`."""
        if self.condition is None:
            return self.template.render(document)
        return self.template.render({**document, "when": self.condition(document) or {}})

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def matched_tree(self) -> Node:
        """What the rule matches: its query, but for what is expected."""
        return And((self.tree, Not(self.expected))) if self.expected is not None else self.tree

    def expecting(self, query: str) -> "LoadedRule":
        tree = parse_query(query)
        return replace(self, expected=tree if self.expected is None else Or((self.expected, tree)))

    @property
    def score(self) -> int:
        return score_of(self.rule.level)


def load_rule_files(directories: list[Path]) -> list[LoadedRule]:
    """Every enabled and disabled rule in these directories, in file order, names unique."""
    loaded: list[LoadedRule] = []
    origins: dict[str, str] = {}
    for directory in directories:
        if not Path(directory).is_dir():
            raise ConfigError(f"{directory}: no such rules directory")
        for path in sorted([*Path(directory).glob("*.yml"), *Path(directory).glob("*.yaml")]):
            for rule in load_rule_file(path):
                if rule.name in origins:
                    raise ConfigError(f"{rule.origin}: rule {rule.name!r} is also defined at {origins[rule.name]}")
                origins[rule.name] = rule.origin
                loaded.append(rule)
    return loaded


def load_rule_file(path: Path) -> list[LoadedRule]:
    document = load_yaml(path)
    if document is None:
        return []
    items = document if isinstance(document, list) else [document]
    return [loaded for item in items for loaded in _load_one(item, path)]


def _load_one(item: Any, path: Path) -> list[LoadedRule]:
    rule = validate(Rule, item, path)
    lines = item.get("__lines__", {})

    def where(key: str) -> str:
        return f"{path}:{lines.get(key, item.get('__line__', '?'))}"

    try:
        tree = parse_query(rule.query)
    except QueryError as error:
        raise ConfigError(f"{where('query')}: rule {rule.name!r}: the query doesn't parse: {error}") from None
    expected = None
    if rule.except_ is not None:
        try:
            expected = parse_query(rule.except_)
        except QueryError as error:
            raise ConfigError(f"{where('except')}: rule {rule.name!r}: `except` doesn't parse: {error}") from None
    for key, parsed in (("query", tree), ("except", expected)):
        for field, _ in fields_of(parsed) if parsed is not None else ():
            if field in THREAT_FIELDS:
                raise ConfigError(f"{where(key)}: rule {rule.name!r}: a rule can't query {field} "
                                  "(rules set it; it depends on which rules ran)")
    template = _template(rule.annotation or rule.description, rule.name, where("annotation"))
    condition = _condition(rule, where("when"))
    if condition is None and _names_when(rule):
        raise ConfigError(f"{where('annotation')}: rule {rule.name!r}: the annotation shows {{when.…}} but the rule "
                          "has no `when:` condition to find it")
    origin = f"{path}:{item.get('__line__', '?')}"
    if rule.attempt is None:
        return [LoadedRule(rule, tree, template, origin, condition, expected)]
    attempt = rule.attempt
    failed = rule.model_copy(update={
        "name": f"{rule.name}-attempt", "level": attempt.level, "annotation": attempt.annotation, "attempt": None,
        "description": f"A failed attempt (the call returned an error): {rule.description}"})
    return [LoadedRule(rule, And((tree, Match("outcome", "success"))), template, origin, condition, expected),
            LoadedRule(failed, And((tree, Match("outcome", "failure"))),
                       _template(attempt.annotation, rule.name, where("attempt")), origin, condition, expected)]


def _names_when(rule: Rule) -> bool:
    texts = [rule.annotation, rule.attempt.annotation if rule.attempt else ""]
    return any("{when." in text or "|when." in text for text in texts)


def _template(text: str, name: str, where: str) -> Template:
    try:
        return compile_template(text)
    except TemplateError as error:
        raise ConfigError(f"{where}: rule {name!r}: annotation: {error}") from None


def _condition(rule: Rule, where: str) -> BoundCondition | None:
    if rule.when is None:
        return None
    if isinstance(rule.when, str):
        name, argument = rule.when, ""
    elif len(rule.when) == 1:
        name, argument = next(iter(rule.when.items()))
    else:
        raise ConfigError(f"{where}: rule {rule.name!r}: `when:` names one condition, found {len(rule.when)}")
    if name not in CONDITIONS:
        close = difflib.get_close_matches(name, CONDITIONS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(CONDITIONS)})"
        raise ConfigError(f"{where}: rule {rule.name!r}: unknown condition {name!r}{hint}")
    condition = CONDITIONS[name]
    if condition.argument == "" and argument:
        raise ConfigError(f"{where}: rule {rule.name!r}: condition {name!r} takes no argument")
    if condition.argument and not argument:
        raise ConfigError(f"{where}: rule {rule.name!r}: condition {name!r} needs an argument ({condition.argument})")
    if condition.argument.startswith("choice: ") and argument not in condition.argument[8:].split(", "):
        raise ConfigError(f"{where}: rule {rule.name!r}: condition {name!r} takes one of {condition.argument[8:]}, "
                          f"not {argument!r}")
    return BoundCondition(name, argument, condition)
