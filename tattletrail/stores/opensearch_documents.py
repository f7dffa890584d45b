"""The shape of an event in OpenSearch: the original record with the derived fields beside it.

CloudTrail's own names are camelCase and ours snake_case, so the two never collide and every
original field keeps its name (and its mapping in mappings/cloudtrail-template.json).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tattletrail.event import Event


def document_of(event: Event, ingest_time: datetime | None = None) -> dict[str, Any]:
    """The document to index for `event`; its `_id` should be `event.event_id`."""
    document = dict(event.record)
    document.update({
        "event_id": event.event_id,
        "event_time": _iso(event.event_time),
        "actor": event.actor,
        "account": event.account,
        "outcome": event.outcome,
        "resource": event.resource,
        "missing": list(event.missing),
    })
    if ingest_time is not None:
        document["ingest_time"] = _iso(ingest_time)
    return document


def _iso(moment: datetime | None) -> str | None:
    """Naive UTC → ISO 8601 with Z, the form the `date` mapping parses without a format."""
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds") + "Z"
