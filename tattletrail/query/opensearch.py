"""The query tree as OpenSearch query DSL, for an index created from mappings/cloudtrail-template.json.

Explicit DSL rather than a `query_string` passthrough: the tree has already settled what the
syntax means (implicit OR, NOT as negation, field groups), and each node becomes the one query
that gives it that meaning on the mapping's field types.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from tattletrail.query.fields import Kind, kind_of, parse_date, parse_network
from tattletrail.query.tree import All, And, Exists, Match, Node, Not, Or, Range, wildcard_parts
from tattletrail.timespec import iso_utc

Query = dict[str, Any]

# Characters query_string treats as syntax; a bare term is passed through query_string (the only
# query that searches every field, payloads included) with these escaped.
_QUERY_STRING_SPECIAL = set('+-=&|><!(){}[]^"~*?:\\/ ')


def to_opensearch(tree: Node) -> Query:
    """The `query` part of a search request."""
    method = _COMPILERS.get(type(tree))
    if method is None:
        raise TypeError(f"no OpenSearch compiler for query node {type(tree).__name__}")
    return method(tree)


def date_text(moment: datetime) -> str:
    """A full timestamp: OpenSearch rounds a partial date up for `lte`/`gt`, so never send one."""
    return iso_utc(moment, "milliseconds")


def _match(match: Match) -> Query:
    if match.field is None:
        return _bare(match)
    field, kind = match.field, kind_of(match.field)
    if kind is Kind.DATE:
        moment = date_text(parse_date(match.value))  # type: ignore[arg-type]  # checked on parse
        return {"range": {field: {"gte": moment, "lte": moment}}}
    if kind is Kind.BOOLEAN:
        return {"term": {field: match.value == "true"}}
    if kind is Kind.IP and "/" in match.value and not match.wildcard:
        if parse_network(match.value) is not None:
            return {"term": {f"{field}.ip": match.value}}
    if match.wildcard:
        return {"wildcard": {field: {"value": _wildcard_value(match.value)}}}
    return {"term": {field: match.value}}


def _wildcard_value(pattern: str) -> str:
    """Our pattern in OpenSearch's wildcard syntax: the same, with literals re-escaped."""
    out = []
    for kind, text in wildcard_parts(pattern):
        if kind == "literal":
            out.append("".join("\\" + char if char in "*?\\" else char for char in text))
        else:
            out.append(kind)
    return "".join(out)


def _bare(match: Match) -> Query:
    if match.wildcard:
        text = "".join(kind if kind != "literal" else _escape(value) for kind, value in wildcard_parts(match.value))
    else:
        text = _escape(match.value)
    return {"query_string": {"query": text, "default_field": "*", "lenient": True,
                             "analyze_wildcard": False}}


def _escape(text: str) -> str:
    return "".join("\\" + char if char in _QUERY_STRING_SPECIAL else char for char in text)


def _range(found: Range) -> Query:
    kind = kind_of(found.field)
    bounds: dict[str, Any] = {}
    for bound, inclusive, strict in ((found.low, "gte", "gt"), (found.high, "lte", "lt")):
        if bound is None:
            continue
        value = date_text(parse_date(bound)) if kind is Kind.DATE else bound  # type: ignore[arg-type]
        key = inclusive if (found.include_low if inclusive == "gte" else found.include_high) else strict
        bounds[key] = value
    if not bounds:
        return {"exists": {"field": found.field}}
    return {"range": {found.field: bounds}}


def _exists(found: Exists) -> Query:
    return {"exists": {"field": found.field}}


def _and(node: And) -> Query:
    return {"bool": {"filter": [to_opensearch(operand) for operand in node.operands]}}


def _or(node: Or) -> Query:
    return {"bool": {"should": [to_opensearch(operand) for operand in node.operands],
                     "minimum_should_match": 1}}


def _not(node: Not) -> Query:
    return {"bool": {"must_not": [to_opensearch(node.operand)]}}


def _all(node: All) -> Query:
    return {"match_all": {}}


_COMPILERS: dict[type, Callable[[Any], Query]] = {
    Match: _match, Range: _range, Exists: _exists, And: _and, Or: _or, Not: _not, All: _all,
}
