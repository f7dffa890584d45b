"""The one query tree every backend compiles: a handful of node types with plain meanings.

The parser (parse.py) turns Lucene's syntax and its quirks (implicit operators, +/-, field groups,
`field:*`, open ranges) into these nodes once, so each backend is a small visitor over six types
and cannot drift from the others on how the syntax is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True, slots=True)
class Match:
    """`field:value`; field None is a bare term, which matches a value of any field.

    `value` is the literal value; when `wildcard` is true it is a pattern in which `*` and `?`
    are wildcards and `\\` escapes the next character (Lucene's wildcard syntax).
    """

    field: str | None
    value: str
    wildcard: bool = False
    column: int = 0  # where it starts in the query text, for messages


@dataclass(frozen=True, slots=True)
class Range:
    """`field:[low TO high]`, `{...}`, `field:>=x`; a None bound is open."""

    field: str
    low: str | None
    high: str | None
    include_low: bool = True
    include_high: bool = True
    column: int = 0


@dataclass(frozen=True, slots=True)
class Exists:
    """`_exists_:field` or `field:*`: the field has at least one non-null value."""

    field: str
    column: int = 0


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Not:
    operand: "Node"


@dataclass(frozen=True, slots=True)
class All:
    """Every event: an empty query, or `*`."""


Node = Union[Match, Range, Exists, And, Or, Not, All]


def leaves_of(node: Node) -> list[Match | Range | Exists]:
    """Every field test and bare term of the query, in order of appearance."""
    if isinstance(node, (Match, Range, Exists)):
        return [node]
    if isinstance(node, (And, Or)):
        return [found for operand in node.operands for found in leaves_of(operand)]
    if isinstance(node, Not):
        return leaves_of(node.operand)
    return []


def fields_of(node: Node) -> list[tuple[str, int]]:
    """Every field the query names, with its column, in order of appearance."""
    return [(leaf.field, leaf.column) for leaf in leaves_of(node) if leaf.field]


def matches_of(node: Node) -> list[Match]:
    """Every `field:value` and bare term of the query, in order of appearance."""
    return [leaf for leaf in leaves_of(node) if isinstance(leaf, Match)]


def unescape(pattern: str) -> str:
    """The literal text of a Lucene term: `\\x` is `x`."""
    out = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(char)
    return "".join(out)


def wildcard_parts(pattern: str) -> list[tuple[str, str]]:
    """A wildcard pattern as pieces: ("*", ""), ("?", "") or ("literal", text), escapes resolved."""
    parts: list[tuple[str, str]] = []
    literal: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            literal.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "*?":
            if literal:
                parts.append(("literal", "".join(literal)))
                literal = []
            parts.append((char, ""))
        else:
            literal.append(char)
    if literal:
        parts.append(("literal", "".join(literal)))
    return parts
