"""Lucene query string (Kibana's syntax) → the query tree, with errors that point at the column.

luqum does the parsing; this module decides once what each piece of Lucene syntax means, so the
backends never see Lucene's quirks:

- adjacent clauses without an operator (`a b`) combine as OpenSearch's default does: OR, except
  that `+x` clauses are required and `-x` / `NOT x` clauses excluded (`+a b -c` means a AND NOT c);
- inside explicit AND/OR, `NOT` is plain boolean negation (`a OR NOT b` means what it says; raw
  Lucene would read it as `a AND NOT b`);
- `field:(a OR b)` distributes the field; `field:*` and `_exists_:field` test presence;
- `field:>=x` and `[a TO *]` are ranges with open ends.
"""

from __future__ import annotations

import re

from luqum import tree as lucene
from luqum.exceptions import IllegalCharacterError, ParseError
from luqum.parser import parser

from tattletrail.errors import TattletrailError
from tattletrail.query.tree import All, And, Exists, Match, Node, Not, Or, Range, unescape

EXISTS_FIELD = "_exists_"
# Deeper than this, a query is a mistake (or an attack on the parser), and every backend walks the
# tree recursively: refused with a clear error instead of a RecursionError somewhere later.
MAX_DEPTH = 100
_POSITION = re.compile(r"position (\d+)")
_WILDCARD = re.compile(r"(?<!\\)(?:\\\\)*[*?]")


class QueryError(TattletrailError, ValueError):
    """A query that can't be used, with the query and the column (0-based) where the problem is."""

    def __init__(self, query: str, column: int, message: str) -> None:
        super().__init__(message)
        self.query = query
        self.column = max(0, min(column, len(query)))
        self.message = message

    def __str__(self) -> str:
        return f"{self.message} (column {self.column + 1})\n  {self.query}\n  {' ' * self.column}^"


class QuerySyntaxError(QueryError):
    """The text is not a Lucene query."""


def parse(text: str) -> Node:
    """Parse a query string into the tree; an empty query matches every event."""
    if not text.strip():
        return All()
    try:
        parsed = parser.parse(text)
        tree = _Converter(text).convert(parsed, None)
    except RecursionError:
        raise _too_deep(text) from None
    except IllegalCharacterError as error:
        raise QuerySyntaxError(text, _column_of(error, text), f"unexpected character: {error}") from None
    except ParseError as error:
        column = _column_of(error, text)
        found = text[column:column + 20].split()[0] if text[column:].strip() else "end of query"
        raise QuerySyntaxError(text, column, f"query does not parse near {found!r} "
                               "(check quotes, parentheses and AND/OR/NOT)") from None
    if depth_of(tree) > MAX_DEPTH:
        raise _too_deep(text)
    return tree


def depth_of(node: Node) -> int:
    """How deep the tree nests, counted without recursion (so any depth can be measured)."""
    deepest, pending = 0, [(node, 1)]
    while pending:
        current, depth = pending.pop()
        deepest = max(deepest, depth)
        children = getattr(current, "operands", None) or ((current.operand,) if isinstance(current, Not) else ())
        pending.extend((child, depth + 1) for child in children)
    return deepest


def _too_deep(text: str) -> QuerySyntaxError:
    return QuerySyntaxError(text, 0, f"query nested more than {MAX_DEPTH} levels deep (parentheses or NOTs); "
                            "write it flatter, e.g. a OR b OR c instead of (a OR (b OR (c)))")


def _column_of(error: Exception, text: str) -> int:
    match = _POSITION.search(str(error))
    return int(match.group(1)) if match else len(text)


class _Converter:
    """One method per luqum node type; an unknown node type is an error, never ignored."""

    def __init__(self, text: str) -> None:
        self.text = text

    def convert(self, node: lucene.Item, field: str | None) -> Node:
        method = getattr(self, f"visit_{type(node).__name__.lower()}", None)
        if method is None:
            raise self.unsupported(node, type(node).__name__)
        converted: Node = method(node, field)
        return converted

    def unsupported(self, node: lucene.Item, what: str) -> QueryError:
        return QueryError(self.text, getattr(node, "pos", 0) or 0,
                          f"{what} is not supported: use field:value, wildcards, ranges, AND/OR/NOT")

    def visit_searchfield(self, node: lucene.SearchField, field: str | None) -> Node:
        if field is not None:
            raise QueryError(self.text, node.pos, f"field {node.name!r} inside the group of field {field!r}")
        name = unescape(node.name)
        if name == "*" and isinstance(node.expr, lucene.Word) and node.expr.value == "*":
            return All()
        if "*" in name or "?" in name:
            raise QueryError(self.text, node.pos, f"field names can't have wildcards ({name!r}): name one field, "
                             "or drop the field to search all of them")
        if name == EXISTS_FIELD:
            if not isinstance(node.expr, (lucene.Word, lucene.Phrase)):
                raise QueryError(self.text, node.pos, "_exists_ takes one field name: _exists_:errorCode")
            return Exists(_literal(node.expr), column=node.pos)
        return self.convert(node.expr, name)

    def visit_fieldgroup(self, node: lucene.FieldGroup, field: str | None) -> Node:
        return self.convert(node.expr, field)

    def visit_group(self, node: lucene.Group, field: str | None) -> Node:
        return self.convert(node.expr, field)

    def visit_andoperation(self, node: lucene.AndOperation, field: str | None) -> Node:
        return And(tuple(self.convert(child, field) for child in node.children))

    def visit_oroperation(self, node: lucene.OrOperation, field: str | None) -> Node:
        return Or(tuple(self.convert(child, field) for child in node.children))

    def visit_unknownoperation(self, node: lucene.UnknownOperation, field: str | None) -> Node:
        required, optional, excluded = [], [], []
        for child in node.children:
            if isinstance(child, lucene.Plus):
                required.append(self.convert(child.a, field))
            elif isinstance(child, (lucene.Prohibit, lucene.Not)):
                excluded.append(self.convert(child.a, field))
            else:
                optional.append(self.convert(child, field))
        parts: list[Node] = list(required)
        if optional and not required:
            parts.append(optional[0] if len(optional) == 1 else Or(tuple(optional)))
        parts.extend(Not(operand) for operand in excluded)
        if not parts:
            return All()
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def visit_plus(self, node: lucene.Plus, field: str | None) -> Node:
        return self.convert(node.a, field)

    def visit_not(self, node: lucene.Not, field: str | None) -> Node:
        return Not(self.convert(node.a, field))

    visit_prohibit = visit_not

    def visit_word(self, node: lucene.Word, field: str | None) -> Node:
        value = node.value
        if value == "*":
            return All() if field is None else Exists(field, column=node.pos)
        if value.startswith("/"):
            raise self.unsupported(node, "a regular expression")
        if _WILDCARD.search(value):
            return Match(field, value, wildcard=True, column=node.pos)
        return Match(field, unescape(value), column=node.pos)

    def visit_phrase(self, node: lucene.Phrase, field: str | None) -> Node:
        return Match(field, _literal(node), column=node.pos)

    def visit_range(self, node: lucene.Range, field: str | None) -> Node:
        if field is None:
            raise QueryError(self.text, node.pos, "a range needs a field: eventTime:[2024-01-01 TO 2024-02-01]")
        return Range(field, _bound(node.low), _bound(node.high), node.include_low, node.include_high,
                     column=node.pos)

    def visit_from(self, node: lucene.From, field: str | None) -> Node:
        if field is None:
            raise QueryError(self.text, node.pos, "a comparison needs a field: eventTime:>=2024-01-01")
        return Range(field, _bound(node.a), None, include_low=node.include, column=node.pos)

    def visit_to(self, node: lucene.To, field: str | None) -> Node:
        if field is None:
            raise QueryError(self.text, node.pos, "a comparison needs a field: eventTime:<2024-01-01")
        return Range(field, None, _bound(node.a), include_high=node.include, column=node.pos)

    def visit_regex(self, node: lucene.Item, field: str | None) -> Node:
        raise self.unsupported(node, "a regular expression")

    def visit_fuzzy(self, node: lucene.Item, field: str | None) -> Node:
        raise self.unsupported(node, "fuzzy matching (~)")

    def visit_proximity(self, node: lucene.Item, field: str | None) -> Node:
        raise self.unsupported(node, "proximity (~)")

    def visit_boost(self, node: lucene.Item, field: str | None) -> Node:
        raise self.unsupported(node, "boosting (^)")


def _literal(node: lucene.Item) -> str:
    if isinstance(node, lucene.Phrase):
        return unescape(node.value[1:-1])
    return unescape(node.value)


def _bound(node: lucene.Item) -> str | None:
    if isinstance(node, lucene.Word) and node.value == "*":
        return None
    return _literal(node)
