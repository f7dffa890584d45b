"""Events grouped by a few of their fields, in Python: the reference answer of Store.group_events.

A caller that needs four fields of 50,000 events (policy generation) should not have to read 50,000
whole documents. The embedded store groups in SQL (stores/duckdb/search.py); the OpenSearch store
groups its hits here, since the exact values live in the stored record, which its index can't
aggregate on. Tests hold the SQL answer to this one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable, Sequence

import orjson

from tattletrail.event import parse_event_time
from tattletrail.stores.base import EventGroup

_EPOCH = datetime(1970, 1, 1)


def value_at(document: dict[str, Any], path: str) -> Any:
    """The value at a dotted path of object keys (None when a key is absent or a step is not an
    object), as DuckDB's json_extract reads `$."a"."b"`."""
    value: Any = document
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def search_order(moment: datetime | None, event_id: str) -> tuple[bool, timedelta, str]:
    """The sort key of `search`'s order: newest first, events without a time last, then by event_id."""
    return moment is None, (_EPOCH - moment) if moment is not None else timedelta(0), event_id


def group_documents(documents: Iterable[dict[str, Any]], fields: Sequence[str], examples: int = 3) -> list[EventGroup]:
    """Documents (as `search` returns them, in its order) grouped by their values of `fields`."""
    groups: dict[bytes, EventGroup] = {}
    for document in documents:
        values = {name: value_at(document, name) for name in fields}
        key = orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
        group = groups.get(key)
        if group is None:
            group = groups[key] = EventGroup(values, 0, None, None)
        group.events += 1
        moment = parse_event_time(document.get("event_time"))
        if moment is not None:
            group.first_time = moment if group.first_time is None else min(group.first_time, moment)
            group.last_time = moment if group.last_time is None else max(group.last_time, moment)
        if len(group.newest) < examples:
            group.newest.append((moment, str(document.get("event_id"))))
    return list(groups.values())
