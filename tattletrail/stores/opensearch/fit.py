"""Fitting a document to the mapping its index really has, so no record is refused for a value's shape.

A value the mapping can't take at its path (an object at `tlsDetails.tlsVersion`, mapped keyword; a
string where `userIdentity.sessionContext` is an object) moves, whole and under its own path, into
`misfits`: a flat_object (`flattened` on Elasticsearch) where every leaf is a keyword and no shape
conflicts with another. The rest of the document is indexed in place. Every document is fitted to
the template before it is sent (indexed_document). Fields the template doesn't name are mapped by
the first document that brings them (a string makes `addendum` a keyword, an object an object), and
a later document with the other shape is refused: it is fitted to its index's current mapping and
sent again (send_refused_fitted). `with_misfits` makes queries look in both places, so
`userIdentity.onBehalfOf.userId:u` finds the event as on the embedded store; reads come from
`record`, so the record comes back exactly as ingested.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from typing import Any, Callable

import orjson

from tattletrail.query.fields import Kind, flat_root, kind_of
from tattletrail.query.python import walk_leaves
from tattletrail.query.tree import And, Exists, Match, Node, Not, Or, Range
from tattletrail.stores.opensearch.bulk import BulkItem, BulkOutcome
from tattletrail.stores.opensearch.schema import DERIVED_SOURCE_FIELDS, EVENTS_TEMPLATE, PAYLOAD_FIELDS, cut_long_leaves

MISFITS = "misfits"
# Every path in `misfits` that has a value at or beneath it, so `_exists_:tlsDetails` finds a
# moved `tlsDetails.tlsVersion` object (a flat_object's own `exists` sees leaves only).
MISFIT_PATHS = "misfit_paths"
FLAT_TYPES = ("flat_object", "flattened")
_SCALAR = (str, int, float, bool)
# Not the record's own fields: never moved (the derived fields and payloads always fit).
_FITTED_ELSEWHERE = {*DERIVED_SOURCE_FIELDS, *PAYLOAD_FIELDS, MISFITS, MISFIT_PATHS}


# A refused document is fitted to a fresh look at its index's mapping this many times at most:
# another document of the same request may have just mapped a new field the other way.
REFIT_ROUNDS = 3


def send_refused_fitted(client: Any, outcome: BulkOutcome, send: Callable[[list[BulkItem]], BulkOutcome]) -> BulkOutcome:
    """Fit each document the cluster refused (a 400: its shape) to its index's mapping and send it
    again; what still can't be indexed stays in `outcome.rejected`, to be quarantined whole."""
    settled: list[tuple[BulkItem, str]] = []
    for _ in range(REFIT_ROUNDS):
        properties: dict[str, dict[str, Any]] = {}
        fitted: list[BulkItem] = []
        for item, why in outcome.rejected:
            body = _fitted_body(client, item, why, properties)
            if body is None:
                settled.append((item, why))
            else:
                fitted.append(BulkItem(item.operation, item.index, item.id, body, item.origin))
        outcome.rejected = []
        if not fitted:
            break
        outcome.add(send(fitted))
    outcome.rejected = settled + outcome.rejected
    return outcome


def _fitted_body(client: Any, item: BulkItem, why: str, properties: dict[str, dict[str, Any]]) -> bytes | None:
    """The refused document fitted to its index (its mapping read once per round), or None when
    the refusal wasn't about a shape (not a 400) or fitting changes nothing."""
    if not why.startswith("400 "):
        return None
    if item.index not in properties:
        properties[item.index] = index_properties(client, item.index)
    document = orjson.loads(item.body)
    if not has_misfits_field(properties[item.index]) or not fit_document(document, properties[item.index]):
        return None
    return orjson.dumps(document)


@cache
def template_properties() -> dict[str, Any]:
    """The properties every events index starts with (mappings/cloudtrail-template.json)."""
    properties: dict[str, Any] = json.loads(EVENTS_TEMPLATE.read_text())["template"]["mappings"]["properties"]
    return properties


def index_properties(client: Any, index: str) -> dict[str, Any]:
    """The mapping's properties the index has now (the template's, and what documents added)."""
    answer = client.indices.get_mapping(index=index)
    (mapping,) = answer.values()
    properties: dict[str, Any] = mapping["mappings"].get("properties", {})
    return properties


def has_misfits_field(properties: dict[str, Any]) -> bool:
    """Indices created before `misfits` existed map it dynamically; nothing is moved there."""
    return properties.get(MISFITS, {}).get("type") in FLAT_TYPES


def fit_document(document: dict[str, Any], properties: dict[str, Any]) -> bool:
    """Move every value that doesn't fit `properties` into `document["misfits"]`; whether any moved.
    Nested objects are copied, never changed: they belong to the event's original record."""
    if _all_fit(document, properties, top=True):  # nearly always: read only, nothing copied
        return False
    misfits: dict[str, Any] = {}
    fitted = _fitted(document, properties, [], misfits, top=True)
    if not misfits:
        return False
    document.clear()
    document.update(fitted)
    document[MISFITS] = cut_long_leaves(_merge(document.get(MISFITS), misfits))
    parts = [path.split(".") for path, _ in walk_leaves(document[MISFITS])]
    document[MISFIT_PATHS] = sorted({".".join(part[:end]) for part in parts for end in range(1, len(part) + 1)})
    return True


def _all_fit(value: dict[str, Any], properties: dict[str, Any], top: bool = False) -> bool:
    for key, item in value.items():
        if top and key in _FITTED_ELSEWHERE:
            continue
        spec = properties.get(key)
        if isinstance(item, str) and (spec is None or spec.get("type") == "keyword"):
            continue  # the common case, decided without a call
        if not _fits(item, spec):
            return False
        if isinstance(item, (dict, list)):
            children = (spec or {}).get("properties", {})
            if not all(_all_fit(element, children) for element in _items(item) if isinstance(element, dict)):
                return False
    return True


def _fitted(value: dict[str, Any], properties: dict[str, Any], path: list[str], misfits: dict[str, Any],
            top: bool = False) -> dict[str, Any]:
    """A copy of `value` without what doesn't fit (which goes to `misfits` under its path)."""
    kept: dict[str, Any] = {}
    for key, item in value.items():
        spec = properties.get(key)
        if top and key in _FITTED_ELSEWHERE:
            kept[key] = item
        elif not _fits(item, spec):
            _put(misfits, [*path, key], item)
        else:
            kept[key] = _fitted_items(item, (spec or {}).get("properties", {}), [*path, key], misfits)
    return kept


def _fitted_items(value: Any, properties: dict[str, Any], path: list[str], misfits: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return _fitted(value, properties, path, misfits)
    if isinstance(value, list):
        return [_fitted_items(item, properties, path, misfits) for item in value]
    return value


def _items(value: Any) -> list[Any]:
    """A value's elements as OpenSearch sees them: arrays (of arrays) flattened, nulls ignored."""
    if isinstance(value, list):
        return [leaf for item in value for leaf in _items(item)]
    return [] if value is None else [value]


def _fits(value: Any, spec: dict[str, Any] | None) -> bool:
    if spec is None:  # not mapped yet: any one shape is mapped dynamically, two in one value conflict
        return not isinstance(value, list) or _one_shape(_items(value))
    kind = "object" if "properties" in spec else spec.get("type", "object")
    if kind in FLAT_TYPES:
        return True
    items = _items(value) if isinstance(value, list) else [value] if value is not None else []
    if kind == "object":
        return all(isinstance(item, dict) for item in items)
    if kind == "boolean":
        return all(isinstance(item, bool) or item in ("true", "false") for item in items)
    return all(isinstance(item, _SCALAR) for item in items)


def _one_shape(items: list[Any]) -> bool:
    objects = sum(isinstance(item, dict) for item in items)
    return objects in (0, len(items))


def _put(misfits: dict[str, Any], path: list[str], value: Any) -> None:
    """Under its own path; a second value at one path (two elements of an array) makes a list."""
    key, rest = path[0], path[1:]
    if rest and isinstance(misfits.get(key), dict):
        _put(misfits[key], rest, value)
        return
    for step in reversed(rest):
        value = {step: value}
    misfits[key] = [*_items(misfits[key]), value] if key in misfits else value


def _merge(existing: Any, misfits: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(existing, dict):
        return misfits
    merged = dict(existing)
    for key, value in misfits.items():
        merged[key] = _merge(merged[key], value) if isinstance(merged.get(key), dict) and isinstance(value, dict) \
            else value
    return merged


# Queries ----------------------------------------------------------------------------------------------

def with_misfits(tree: Node) -> Node:
    """The query that also looks for each record field's values in `misfits`: `addendum:x` becomes
    `addendum:x OR misfits.addendum:x`, so a value moved aside is found as on the embedded store."""
    if isinstance(tree, (And, Or)):
        return type(tree)(tuple(with_misfits(operand) for operand in tree.operands))
    if isinstance(tree, Not):
        return Not(with_misfits(tree.operand))
    if isinstance(tree, Exists) and _may_be_misfit(tree):
        return Or((tree, Match(MISFIT_PATHS, tree.field)))
    if isinstance(tree, (Match, Range)) and tree.field is not None and _may_be_misfit(tree):
        return Or((tree, replace(tree, field=f"{MISFITS}.{tree.field}")))
    return tree


def _may_be_misfit(node: Match | Range | Exists) -> bool:
    field = node.field or ""
    if field.split(".")[0] in _FITTED_ELSEWHERE or flat_root(field):
        return False
    kinds = (Kind.KEYWORD, Kind.IP, Kind.BOOLEAN, Kind.OBJECT) if isinstance(node, Exists) else (Kind.KEYWORD, Kind.IP)
    return kind_of(field) in kinds
