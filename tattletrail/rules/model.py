"""Rule files: YAML in rules/ (the pack) or a directory of your own, checked on load.

A file holds one rule (a mapping) or several (a list of mappings). Unknown keys, a query that
doesn't parse, a query on the threat fields themselves, a broken annotation template and a
name used twice are errors naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field

from tattletrail.config import ConfigError, Strict, load_yaml, validate
from tattletrail.event import THREAT_LEVELS
from tattletrail.query import QueryError, parse_query
from tattletrail.query.tree import And, Node, Not, Or, fields_of
from tattletrail.rules.annotation import Template, TemplateError, compile_template

PACK = Path(__file__).resolve().parents[2] / "rules"
LEVELS = THREAT_LEVELS
Level = Literal["info", "low", "medium", "high", "critical"]
# The fields rules write: a rule reading them would depend on the order rules run in.
THREAT_FIELDS = ("threat_level", "threat_score", "threat_rules", "annotations")


def score_of(level: str) -> int:
    """info 0 … critical 4: the level as a number that sorts."""
    return LEVELS.index(level)


class Rule(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)
    description: str
    query: str
    level: Level
    annotation: str = ""  # empty: the description is the annotation
    tags: list[str] = []
    destinations: list[str] = []  # names of destinations in the config (or `stdout`)
    enabled: bool = True
    except_: str | None = Field(default=None, alias="except")  # expected activity: never matches

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


@dataclass(frozen=True)
class LoadedRule:
    """A rule with its parsed query and template, and where it was defined (for messages)."""

    rule: Rule
    tree: Node
    template: Template
    origin: str  # FILE:LINE
    expected: Node | None = None  # the rule's `except`, OR what the config's `expected:` adds

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
    return [_load_one(item, path) for item in items]


def _load_one(item: Any, path: Path) -> LoadedRule:
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
    try:
        template = compile_template(rule.annotation or rule.description)
    except TemplateError as error:
        raise ConfigError(f"{where('annotation')}: rule {rule.name!r}: annotation: {error}") from None
    return LoadedRule(rule, tree, template, f"{path}:{item.get('__line__', '?')}", expected)
