"""The reference backend: the query tree as a predicate on one event document.

A document is what `event.document_of` builds: the original record with the
derived fields beside it. Every other backend must select exactly the events this one does (the
differential test holds them to it); where one can't, docs/query.md lists the exception.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable, Iterator

from tattletrail.query.fields import Kind, flat_root, kind_of, parse_date, parse_network
from tattletrail.query.tree import All, And, Exists, Match, Node, Not, Or, Range, wildcard_parts

Document = dict[str, Any]
Predicate = Callable[[Document], bool]
ValueTest = Callable[[str], bool]


def predicate(tree: Node) -> Predicate:
    """A function telling whether one document matches the query."""
    method = _COMPILERS.get(type(tree))
    if method is None:
        raise TypeError(f"no Python compiler for query node {type(tree).__name__}")
    return method(tree)


def matches(tree: Node, document: Document) -> bool:
    return predicate(tree)(document)


# Values ------------------------------------------------------------------------------------------

def leaf_text(value: Any) -> str:
    """A scalar as a keyword field indexes it: JSON's spelling for booleans, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _flatten(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    elif value is not None:
        yield value


def values_at(document: Document, path: str) -> list[Any]:
    """The values at a dotted path; a list anywhere on the way means "each element" (as
    OpenSearch flattens arrays). Objects are returned as they are; nulls are dropped."""
    current: list[Any] = [document]
    for key in _keys_of(path):
        found: list[Any] = []
        for node in current:  # loops, not a generator per node: rules run this on every event at ingest
            value = node.get(key) if isinstance(node, dict) else None
            if isinstance(value, list):
                found.extend(_flatten(value))
            elif value is not None:
                found.append(value)
        current = found
    return current


@lru_cache(maxsize=4096)
def _keys_of(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def leaves_at(document: Document, path: str) -> list[Any]:
    return [value for value in values_at(document, path) if not isinstance(value, dict)]


def leaves_beneath(document: Document, path: str) -> list[Any]:
    """Every scalar at or under a path."""
    return [leaf for _, leaf in walk_leaves(values_at(document, path), path)]


def walk_leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, scalar) for every scalar in a value, arrays flattened."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk_leaves(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for item in value:
            yield from walk_leaves(item, path)
    elif value is not None:
        yield path, value


def field_values(document: Document, field: str) -> list[Any]:
    """The scalars a query on `field` looks at: a payload (flat_object) field looks at every
    leaf inside it, any other field at the leaves at exactly its path."""
    if kind_of(field) is Kind.FLAT:
        return leaves_beneath(document, field)
    return leaves_at(document, field)


# Value tests -------------------------------------------------------------------------------------

def wildcard_regex(pattern: str) -> re.Pattern[str]:
    pieces = {"*": ".*", "?": "."}
    return re.compile("".join(pieces.get(kind, "") or re.escape(text)
                              for kind, text in wildcard_parts(pattern)), re.DOTALL)


def keyword_test(match: Match) -> ValueTest:
    if match.wildcard:
        regex = wildcard_regex(match.value)
        return lambda text: regex.fullmatch(text) is not None
    return lambda text: text == match.value


def in_network(text: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    """Whether an address (text) lies in a network, the way Lucene's ip field compares them:
    IPv4 addresses are IPv4-mapped IPv6 addresses, so `::/0` holds every address."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False  # sourceIPAddress is often a service name such as ec2.amazonaws.com
    if address.version != network.version:
        if address.version == 4:
            address = ipaddress.IPv6Address(f"::ffff:{address}")
        elif address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        else:
            return False
    return address in network


def _dates(values: list[Any]) -> list[datetime]:
    return [moment for moment in (parse_date(value) for value in values if isinstance(value, str))
            if moment is not None]


def _booleans(values: list[Any]) -> list[str]:
    """A boolean field's values: JSON booleans, and the strings that spell one in any case
    (`"True"`, as some producers write managementEvent), as OpenSearch indexes them."""
    spelled = [leaf_text(value).lower() for value in values]
    return [text for text in spelled if text in ("true", "false")]


# Node compilers ----------------------------------------------------------------------------------

def _match(match: Match) -> Predicate:
    if match.field is None:
        return _bare(match)
    field, kind = match.field, kind_of(match.field)
    if kind is Kind.DATE:
        moment = parse_date(match.value)
        return lambda document: moment in _dates(leaves_at(document, field))
    if kind is Kind.BOOLEAN:
        return lambda document: match.value in _booleans(leaves_at(document, field))
    network = parse_network(match.value) if kind is Kind.IP and "/" in match.value else None
    if network is not None:
        return lambda document: any(in_network(leaf_text(value), network)
                                    for value in leaves_at(document, field))
    test = keyword_test(match)
    return lambda document: any(test(leaf_text(value)) for value in field_values(document, field))


def _bare(match: Match) -> Predicate:
    """A term without a field matches a value of any field, each read by its own type."""
    keyword = keyword_test(match)
    moment = None if match.wildcard else parse_date(match.value)
    network = None if match.wildcard else parse_network(match.value)

    def test(path: str, value: Any) -> bool:
        kind = Kind.KEYWORD if flat_root(path) else kind_of(path)
        if kind is Kind.DATE:
            return moment is not None and isinstance(value, str) and parse_date(value) == moment
        if kind in (Kind.BOOLEAN, Kind.NUMBER):
            return not match.wildcard and leaf_text(value) == match.value
        if kind is Kind.IP and network is not None and in_network(leaf_text(value), network):
            return True
        return keyword(leaf_text(value))

    # OpenSearch's all-field search leaves out fields named `_…` (it takes them for metadata).
    return lambda document: any(test(path, value) for path, value in walk_leaves(document)
                                if not path.startswith("_"))


def _range(found: Range) -> Predicate:
    kind = kind_of(found.field)
    if kind is Kind.DATE:
        low, high = (parse_date(found.low) if found.low else None), (parse_date(found.high) if found.high else None)
        return lambda document: any(_within(moment, low, high, found)
                                    for moment in _dates(leaves_at(document, found.field)))
    return lambda document: any(_within(leaf_text(value), found.low, found.high, found)
                                for value in field_values(document, found.field))


def _within(value: Any, low: Any, high: Any, found: Range) -> bool:
    if low is not None and (value < low or (value == low and not found.include_low)):
        return False
    if high is not None and (value > high or (value == high and not found.include_high)):
        return False
    return True


def _exists(found: Exists) -> Predicate:
    field, kind = found.field, kind_of(found.field)
    if kind is Kind.DATE:
        return lambda document: bool(_dates(leaves_at(document, field)))
    if flat_root(field):  # inside a payload only a leaf at exactly this path counts
        return lambda document: bool(leaves_at(document, field))
    return lambda document: bool(leaves_beneath(document, field))


def _and(node: And) -> Predicate:
    operands = [predicate(operand) for operand in node.operands]
    return lambda document: all(test(document) for test in operands)


def _or(node: Or) -> Predicate:
    operands = [predicate(operand) for operand in node.operands]
    return lambda document: any(test(document) for test in operands)


def _not(node: Not) -> Predicate:
    operand = predicate(node.operand)
    return lambda document: not operand(document)


def _all(node: All) -> Predicate:
    return lambda document: True


_COMPILERS: dict[type, Callable[[Any], Predicate]] = {
    Match: _match, Range: _range, Exists: _exists, And: _and, Or: _or, Not: _not, All: _all,
}
