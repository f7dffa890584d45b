"""The normalized event: the original CloudTrail record, untouched, plus derived fields.

Derived fields answer who/what/where/when without knowing CloudTrail's many identity shapes.
They sit beside the original fields (CloudTrail's own names are camelCase, ours snake_case), so
every original field stays queryable by its CloudTrail name and none of ours can collide.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import orjson
from tattletrail.timespec import iso_utc

# Fields every complete management event has; a record missing one still lands, marked.
CORE_FIELDS = ("eventID", "eventTime", "eventName", "eventSource", "awsRegion")

# The request parameter that names "the thing acted on", in order of preference. CloudTrail has
# no common resource field for API calls (`resources` is filled for a few services only).
RESOURCE_PARAMETERS = (
    "routeTableId", "groupId", "networkAclId", "internetGatewayId", "natGatewayId", "vpcId",
    "subnetId", "instanceId", "imageId", "snapshotId", "volumeId", "bucketName", "userName",
    "roleName", "groupName", "policyArn", "keyId", "secretId", "functionName", "dBInstanceIdentifier",
    "dBSnapshotIdentifier", "trailName", "name", "detectorId", "logGroupName", "clusterName",
    "accountId", "resourceArn", "arn",
)
_RESOURCE_RANK = {name: rank for rank, name in enumerate(RESOURCE_PARAMETERS)}
THREAT_LEVELS = ("info", "low", "medium", "high", "critical")
# The derived fields, as every store keeps them beside the record and every document shows them
# (`document_of`); `ingest_time` is set by the store. LIST_FIELDS hold lists (empty, never null).
DERIVED_FIELDS = ("event_id", "event_time", "actor", "account", "outcome", "resource", "missing", "threat_level",
                  "threat_score", "threat_rules", "annotations", "source", "ingest_time")
LIST_FIELDS = ("missing", "threat_rules", "annotations")


@dataclass(slots=True)
class Event:
    """One CloudTrail event as stored: `record` is what was read (with CloudTrail's field names
    back if an export wrote them in lower case: reader.with_cloudtrail_names)."""

    event_id: str
    event_time: datetime | None  # UTC, naive; None only when the record has no usable eventTime
    actor: str
    account: str | None
    outcome: str  # "success" or "failure"
    resource: str | None
    missing: list[str]  # core fields the record lacks; empty for a complete record
    record: dict[str, Any]
    source: str | None = None  # the file or S3 object it was read from
    # Set by the rules (tattletrail/rules): None until scored; "info" when no rule above info matched.
    threat_level: str | None = None
    threat_rules: list[str] = field(default_factory=list)  # highest level first
    annotations: list[str] = field(default_factory=list)  # one per rule in threat_rules

    @property
    def threat_score(self) -> int | None:
        """The level as a number that sorts: info 0, low 1, medium 2, high 3, critical 4."""
        return THREAT_LEVELS.index(self.threat_level) if self.threat_level in THREAT_LEVELS else None

    @property
    def event_name(self) -> str | None:
        return _text(self.record.get("eventName"))


def document_of(event: Event, ingest_time: datetime | None = None) -> dict[str, Any]:
    """The event as a document: the original record with the derived fields beside it. What the
    query language (query/python.py), the rules and every store's reads see."""
    document = dict(event.record)
    document.update({
        "event_id": event.event_id,
        "event_time": document_time(event.event_time),
        "actor": event.actor,
        "account": event.account,
        "outcome": event.outcome,
        "resource": event.resource,
        "missing": list(event.missing),
        "threat_level": event.threat_level,
        "threat_score": event.threat_score,
        "threat_rules": list(event.threat_rules),
        "annotations": list(event.annotations),
        "source": event.source,
    })
    if ingest_time is not None:
        document["ingest_time"] = document_time(ingest_time)
    return document


def document_time(moment: datetime | None) -> str | None:
    """Naive UTC → ISO 8601 with Z, the form the `date` mapping parses without a format."""
    return iso_utc(moment, "milliseconds")


def normalize(record: dict[str, Any], source: str | None = None) -> Event:
    """Derive the normalized fields of one record. Never raises for a record's shape."""
    identity = record.get("userIdentity")
    if not isinstance(identity, dict):
        identity = {}
    get = record.get
    # Nearly every record has them all: one test in C, and the list only for the rest.
    missing = [] if all(map(get, CORE_FIELDS)) else [name for name in CORE_FIELDS if not get(name)]
    event_time = parse_event_time(get("eventTime"))
    if event_time is None and "eventTime" not in missing:
        missing.append("eventTime")
    event_id = _text(get("eventID")) or content_identity(record)
    return Event(
        event_id=event_id,
        event_time=event_time,
        actor=actor_of(identity, record),
        account=_text(identity.get("accountId")) or _text(record.get("recipientAccountId")),
        outcome="failure" if record.get("errorCode") else "success",
        resource=resource_of(record),
        missing=missing,
        record=record,
        source=source,
    )


def content_identity(record: dict[str, Any]) -> str:
    """A stable identity for a record without eventID: the same content gives the same id."""
    digest = hashlib.blake2b(orjson.dumps(record, option=orjson.OPT_SORT_KEYS), digest_size=16)
    return "content-" + digest.hexdigest()


def parse_event_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    if len(value) == 20 and value[-1] == "Z":  # CloudTrail's own form: 2026-11-23T10:00:00Z
        try:
            return datetime.fromisoformat(value[:-1])
        except ValueError:
            return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def actor_of(identity: dict[str, Any], record: dict[str, Any]) -> str:
    """Who did it, in the words a person would use."""
    kind = identity.get("type")
    arn = _text(identity.get("arn")) or ""
    if kind == "Root":
        return "root"
    if kind == "IAMUser":
        return _text(identity.get("userName")) or _arn_tail(arn) or _principal(identity) or "unknown"
    if kind == "AssumedRole":
        # arn:aws:sts::123456789012:assumed-role/ROLE/SESSION
        if ":assumed-role/" in arn:
            return arn.split(":assumed-role/", 1)[1]
        issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
        role = _text(issuer.get("userName"))
        session = (_text(identity.get("principalId")) or "").partition(":")[2]
        if role:
            return f"{role}/{session}" if session else role
    if kind == "FederatedUser" and ":federated-user/" in arn:
        return arn.split(":federated-user/", 1)[1]
    if kind == "AWSService":
        return _text(identity.get("invokedBy")) or _text(record.get("eventSource")) or "aws-service"
    if kind in ("IdentityCenterUser", "WebIdentityUser", "SAMLUser", "Directory"):
        name = _text(identity.get("userName"))
        if name:
            return name
    if identity.get("invokedBy") and not identity.get("principalId"):
        return str(identity["invokedBy"])
    return _principal(identity) or _text(identity.get("accountId")) or "unknown"


def resource_of(record: dict[str, Any]) -> str | None:
    """The main resource acted on, best effort, for the who-did-what line."""
    parameters = record.get("requestParameters")
    if isinstance(parameters, dict):
        # Parameters have a handful of keys; ranking those beats probing all the names above.
        best, found = len(RESOURCE_PARAMETERS), None
        for key, value in parameters.items():
            rank = _RESOURCE_RANK.get(key, best)
            if rank < best and value and isinstance(value, str):
                best, found = rank, value
        if found is not None:
            return found
        instances = (parameters.get("instancesSet") or {}).get("items") if isinstance(
            parameters.get("instancesSet"), dict) else None
        if isinstance(instances, list) and instances and isinstance(instances[0], dict):
            value = instances[0].get("instanceId")
            if isinstance(value, str):
                return value
    resources = record.get("resources")
    if isinstance(resources, list) and resources and isinstance(resources[0], dict):
        return _text(resources[0].get("ARN")) or _text(resources[0].get("arn"))
    return None


def _principal(identity: dict[str, Any]) -> str | None:
    return _text(identity.get("principalId"))


def _arn_tail(arn: str) -> str | None:
    return arn.rsplit("/", 1)[-1] if "/" in arn else None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)
