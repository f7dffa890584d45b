"""The alert: what a check, a per-event rule or the report (report/alert.py) tells a destination.

One typed object shared by the checker and every destination. `to_json` is the versioned,
documented payload of the webhook and JSON Lines destinations; the others render from it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import IntEnum
from typing import Any, overload

from tattletrail.timespec import iso_utc

SCHEMA_VERSION = 1


class Status(IntEnum):
    """Sensu/Nagios exit codes: the worst status of a run is the exit code of `check run`."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


@dataclass(frozen=True)
class SampleEvent:
    """One event shown in an alert: who did what to which resource, when, where, from where."""

    event_id: str
    time: datetime | None
    actor: str | None
    event_name: str | None
    resource: str | None
    region: str | None
    source_ip: str | None
    error: str | None = None
    annotation: str | None = None
    account: str | None = None

    def line(self) -> str:
        """`2026-11-22 16:42:07 DOE1 DeleteRoute rtb-… eu-west-1 from 203.0.113.7 (AccessDenied)`."""
        when = self.time.strftime("%Y-%m-%d %H:%M:%S") if self.time else "?"
        parts = [when, self.actor or "?", self.event_name or "?"]
        if self.resource:
            parts.append(f"on {self.resource}")
        if self.region or self.account:
            parts.append("in " + "/".join(part for part in (self.account, self.region) if part))
        if self.source_ip:
            parts.append(f"from {self.source_ip}")
        text = " ".join(parts)
        if self.error:
            text += f" ({self.error})"
        if self.annotation:
            text += f" — {self.annotation}"
        return text

    def to_json(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "time": iso_utc(self.time), "actor": self.actor,
                "eventName": self.event_name, "resource": self.resource, "region": self.region,
                "sourceIPAddress": self.source_ip, "error": self.error, "annotation": self.annotation,
                "account": self.account}


@dataclass(frozen=True)
class Alert:
    """A notification: a check (or group of it) changed status, stayed breached, or recovered."""

    check: str
    status: Status
    previous: Status
    count: int | None
    window_start: datetime
    window_end: datetime
    query: str
    description: str = ""
    group: dict[str, str] = field(default_factory=dict)
    warning: float | None = None
    critical: float | None = None
    direction: str = "above"
    message: str = ""
    samples: tuple[SampleEvent, ...] = ()
    suppressed: int = 0
    severity: str | None = None
    tags: tuple[str, ...] = ()
    explore_url: str | None = None       # Dashboards Discover for the query and window (OpenSearch)
    explore_command: str | None = None   # the equivalent `tattletrail search …` (embedded store)
    kind: str = "check"                  # check | rule | report | test
    created_at: datetime | None = None

    @property
    def is_recovery(self) -> bool:
        return self.status is Status.OK and self.previous is not Status.OK

    @property
    def group_label(self) -> str:
        return ", ".join(f"{name}={value}" for name, value in sorted(self.group.items()))

    @property
    def title(self) -> str:
        status = "RECOVERY" if self.is_recovery else self.status.name
        return f"{status}: {self.check}" + (f" [{self.group_label}]" if self.group else "")

    @property
    def dedup_key(self) -> str:
        """Same check and group → same key (PagerDuty incidents, outbox identity with window_end)."""
        text = self.check + "\0" + self.group_label
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()

    @property
    def alert_id(self) -> str:
        """Identity of this one notification: check, group, status and window."""
        text = f"{self.dedup_key}\0{self.status.name}\0{iso_utc(self.window_end)}\0{self.kind}"
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION, "id": self.alert_id, "kind": self.kind,
            "check": self.check, "description": self.description, "group": dict(self.group),
            "status": self.status.name, "previous_status": self.previous.name, "recovery": self.is_recovery,
            "count": self.count, "warning": self.warning, "critical": self.critical,
            "direction": self.direction, "window": {"start": iso_utc(self.window_start), "end": iso_utc(self.window_end)},
            "query": self.query, "message": self.message, "samples": [sample.to_json() for sample in self.samples],
            "suppressed": self.suppressed, "severity": self.severity, "tags": list(self.tags),
            "explore_url": self.explore_url, "explore_command": self.explore_command,
            "created_at": iso_utc(self.created_at), "dedup_key": self.dedup_key,
        }


def alert_from_json(document: dict[str, Any]) -> Alert:
    """The inverse of `Alert.to_json`: how the outbox keeps an alert across restarts."""
    window = document["window"]
    return Alert(
        check=document["check"], status=Status[document["status"]],
        previous=Status[document["previous_status"]], count=document.get("count"),
        window_start=_parse_iso(window["start"]), window_end=_parse_iso(window["end"]),
        query=document.get("query", ""), description=document.get("description", ""),
        group=dict(document.get("group") or {}), warning=document.get("warning"),
        critical=document.get("critical"), direction=document.get("direction", "above"),
        message=document.get("message", ""),
        samples=tuple(_sample_from_json(sample) for sample in document.get("samples") or ()),
        suppressed=document.get("suppressed", 0), severity=document.get("severity"),
        tags=tuple(document.get("tags") or ()), explore_url=document.get("explore_url"),
        explore_command=document.get("explore_command"), kind=document.get("kind", "check"),
        created_at=_parse_iso(document.get("created_at")),
    )


def _sample_from_json(document: dict[str, Any]) -> SampleEvent:
    return SampleEvent(
        event_id=document["event_id"], time=_parse_iso(document.get("time")), actor=document.get("actor"),
        event_name=document.get("eventName"), resource=document.get("resource"),
        region=document.get("region"), source_ip=document.get("sourceIPAddress"),
        error=document.get("error"), annotation=document.get("annotation"), account=document.get("account"))


@overload
def _parse_iso(text: str) -> datetime: ...
@overload
def _parse_iso(text: None) -> None: ...
def _parse_iso(text: str | None) -> datetime | None:
    """`2026-11-22T16:42:07Z` back to a naive UTC datetime (None stays None)."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
