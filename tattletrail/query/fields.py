"""What the query language knows about fields, read from the OpenSearch mapping in mappings/.

The mapping is the one table of field types: a field is a keyword (exact, case-sensitive) unless
the mapping says date, boolean, ip (a keyword with an `ip` sub-field) or flat_object (a free-form
payload whose every leaf is a keyword). Fields the mapping doesn't name are keywords, as the
mapping's dynamic templates make them. `check` rejects, with a caret, what a field's type can't do.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
from datetime import datetime, timezone
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any, Iterable

from tattletrail.packs import mapping_file
from tattletrail.query.parse import QueryError
from tattletrail.query.tree import And, Match, Node, Not, Or, Range

TEMPLATE = mapping_file("cloudtrail-template.json")


class Kind(Enum):
    KEYWORD = "keyword"
    DATE = "date"
    BOOLEAN = "boolean"
    IP = "ip"  # a keyword that also matches CIDR blocks
    FLAT = "flat_object"  # a payload: the field itself matches any leaf beneath it
    OBJECT = "object"  # a mapped object: query a field inside it
    NUMBER = "number"  # a whole number (threat_score): exact values and ranges, no wildcards


# Numeric mapping types; CloudTrail's own numbers stay keywords (the dynamic templates say so).
NUMERIC_TYPES = ("byte", "short", "integer", "long")


@cache
def mapped_kinds(template: Path = TEMPLATE) -> dict[str, Kind]:
    """Every field the mapping names, by dotted path."""
    properties = json.loads(template.read_text())["template"]["mappings"]["properties"]
    kinds: dict[str, Kind] = {}
    _walk(properties, "", kinds)
    return kinds


def _walk(properties: dict[str, Any], prefix: str, kinds: dict[str, Kind]) -> None:
    for name, spec in properties.items():
        path = prefix + name
        if "properties" in spec:
            kinds[path] = Kind.OBJECT
            _walk(spec["properties"], path + ".", kinds)
        elif spec.get("type") == "keyword" and "ip" in spec.get("fields", {}):
            kinds[path] = Kind.IP
        elif spec.get("type") in NUMERIC_TYPES:
            kinds[path] = Kind.NUMBER
        else:
            kinds[path] = Kind(spec.get("type", "keyword"))


def kind_of(field: str) -> Kind:
    kinds = mapped_kinds()
    if field in kinds:
        return kinds[field]
    return Kind.KEYWORD


def flat_root(field: str) -> str | None:
    """The flat_object payload a path lies strictly inside (`requestParameters` for
    `requestParameters.bucketName`), or None."""
    kinds = mapped_kinds()
    parts = field.split(".")
    for end in range(1, len(parts)):
        prefix = ".".join(parts[:end])
        if kinds.get(prefix) is Kind.FLAT:
            return prefix
    return None


def fields_of_kind(kind: Kind) -> list[str]:
    return [path for path, found in mapped_kinds().items() if found is kind]


def parse_date(value: str) -> datetime | None:
    """An ISO 8601 date or time as naive UTC (a time without offset is UTC), or None."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def parse_network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """An IP address or CIDR block (`10.0.0.0/8`, `::/0`), or None for anything else."""
    if not value or not (value[0].isdigit() or value[0] in ":abcdefABCDEF"):
        return None
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        return None


def check(tree: Node, text: str) -> Node:
    """Raise QueryError at the offending column for what a field's type can't do; else the tree."""
    if isinstance(tree, (And, Or)):
        for operand in tree.operands:
            check(operand, text)
    elif isinstance(tree, Not):
        check(tree.operand, text)
    elif isinstance(tree, Match) and tree.field is not None:
        _check_match(tree, text)
    elif isinstance(tree, Range):
        _check_range(tree, text)
    return tree


def _check_match(match: Match, text: str) -> None:
    kind = kind_of(match.field or "")
    if kind is Kind.OBJECT:
        inside = sorted(path for path in mapped_kinds() if path.startswith(f"{match.field}."))[:3]
        raise QueryError(text, match.column, f"{match.field} is an object: query a field inside it, "
                         f"e.g. {', '.join(inside)}")
    if match.wildcard and kind in (Kind.DATE, Kind.BOOLEAN, Kind.NUMBER):
        raise QueryError(text, match.column, f"{match.field} is a {kind.value}: wildcards don't apply; "
                         "use a value or a range")
    if kind is Kind.NUMBER and not (match.value.isdigit() and str(int(match.value)) == match.value):
        raise QueryError(text, match.column, f"{match.field} is a whole number, not {match.value!r}")
    if kind is Kind.BOOLEAN and match.value not in ("true", "false"):
        raise QueryError(text, match.column, f"{match.field} is true or false, not {match.value!r}")
    if kind is Kind.DATE and parse_date(match.value) is None:
        raise QueryError(text, match.column, f"{match.value!r} is not an ISO 8601 time (e.g. 2024-05-01T12:00:00Z)")


def _check_range(found: Range, text: str) -> None:
    kind = kind_of(found.field)
    if kind in (Kind.OBJECT, Kind.FLAT, Kind.BOOLEAN):
        raise QueryError(text, found.column, f"{found.field} is a {kind.value}: ranges don't apply")
    if kind is Kind.NUMBER:
        for bound in (found.low, found.high):
            if bound is not None and not (bound.isdigit() and len(bound) == 1):
                raise QueryError(text, found.column, f"{found.field} ranges take one digit (0-9), not {bound!r}")
    if kind is Kind.DATE:
        for bound in (found.low, found.high):
            if bound is not None and parse_date(bound) is None:
                raise QueryError(text, found.column,
                                 f"{bound!r} is not an ISO 8601 time (e.g. 2024-05-01T12:00:00Z)")


def closest_fields(field: str, known: Iterable[str], count: int = 3) -> list[str]:
    """The known field names nearest to a misspelt one, for the "never seen" warning."""
    known = list(known)
    close = difflib.get_close_matches(field, known, n=count, cutoff=0.6)
    if close:
        return close
    tail = field.rsplit(".", 1)[-1].lower()
    return [name for name in known if name.rsplit(".", 1)[-1].lower() == tail][:count]
