"""The shape of an event in OpenSearch: its document (event.py `document_of`: the original record
with the derived fields beside it), made safe to index.

CloudTrail's own names are camelCase and ours snake_case, so the two never collide and every
original field keeps its name (and its mapping in mappings/cloudtrail-template.json).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from tattletrail.event import DERIVED_FIELDS, LIST_FIELDS, Event, document_of, document_time
from tattletrail.stores.opensearch.fit import fit_document, template_properties
from tattletrail.stores.opensearch.schema import PAYLOAD_FIELDS, SCALAR_PAYLOAD_KEY, cut_long_leaves


def document_id(event: Event) -> str:
    """The `_id` of an event: its identity (eventID, eventTime), as on the embedded store, so a
    record that reuses an eventID at another time is kept and a re-delivered one is a duplicate."""
    return id_of_identity(f"{event.event_id}@{document_time(event.event_time) or 'undated'}")


# OpenSearch refuses a whole bulk request with an `_id` over 512 bytes: a longer identity (an
# eventID no AWS service writes, but a producer could) is indexed under its digest instead.
MAX_ID_BYTES = 512


def id_of_identity(identity: str) -> str:
    if len(identity.encode()) <= MAX_ID_BYTES:
        return identity
    import hashlib

    return "sha256:" + hashlib.sha256(identity.encode()).hexdigest()


def indexed_document(event: Event, ingest_time: datetime | None) -> dict[str, Any]:
    """What the OpenSearch store indexes: `document_of` with payloads made safe to index, plus the
    exact original record as a JSON string (`record`, stored, not indexed) that reads give back."""
    import orjson

    document = document_of(event, ingest_time)
    _fit_scalars_to_mapping(document, event)
    fit_document(document, template_properties())
    for name in PAYLOAD_FIELDS:
        if name in document and document[name] is not None:
            document[name] = _indexable_payload(document[name])
    document["record"] = orjson.dumps(event.record).decode()
    return document


def _fit_scalars_to_mapping(document: dict[str, Any], event: Event) -> None:
    """A record is never refused for a scalar's type. `managementEvent: "True"` (a string some
    producers write) against the boolean mapping becomes the boolean it spells; an unparseable
    `eventTime` is indexed as the event time; a value no mapped type can take (a boolean `"yes"`,
    an object where a keyword is mapped) is moved into `misfits` by fit_document (fit.py).
    The whole record stays in `record`, so reads give it back exactly."""
    kinds = _record_field_kinds()
    for name in kinds.keys() & event.record.keys():
        value, kind = document.get(name), kinds[name]
        if value is None or isinstance(value, _FITTING[kind]):
            continue
        if kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
            document[name] = value.lower() == "true"
        elif kind == "date" and event.event_time is not None:
            document[name] = document_time(event.event_time)


# What each mapped type takes as it is; anything else is fitted or left out of the index.
_FITTING: dict[str, tuple[type, ...]] = {"boolean": (bool,), "date": (), "object": (dict, list),
                                         "keyword": (str, int, float, bool, list)}


@cache
def _record_field_kinds() -> dict[str, str]:
    """The record's own top-level fields the mapping types, read from mappings/ once."""
    from tattletrail.query.fields import Kind, mapped_kinds

    types = {Kind.BOOLEAN: "boolean", Kind.DATE: "date", Kind.OBJECT: "object", Kind.KEYWORD: "keyword",
             Kind.IP: "keyword"}
    return {name: types[kind] for name, kind in mapped_kinds().items() if "." not in name and kind in types}


def _indexable_payload(value: Any) -> Any:
    if not isinstance(value, dict):
        value = {SCALAR_PAYLOAD_KEY: value}
    return cut_long_leaves(value)


def document_from_source(source: dict[str, Any]) -> dict[str, Any]:
    """The document `document_of` made at ingest, rebuilt from the stored record and derived fields:
    the same value the embedded store answers, whatever the index did to the payloads."""
    import orjson

    document: dict[str, Any] = orjson.loads(source["record"])
    document.update({name: source.get(name) for name in DERIVED_FIELDS})
    for name in LIST_FIELDS:
        if document.get(name) is None:
            document[name] = []
    for name in ("ingest_time", "source"):
        if document.get(name) is None:
            document.pop(name)
    return document


def index_name(prefix: str, period: str, event_time: datetime | None) -> str:
    """The events index an event belongs in, by its eventTime: a re-delivered event always lands
    in the index that already holds it, so its `_id` answers 409 there instead of being stored twice."""
    if event_time is None:
        return f"{prefix}-events-undated"
    stamp = f"{event_time:%Y.%m}" if period == "month" else f"{event_time:%Y.%m.%d}"
    return f"{prefix}-events-{stamp}"
