"""Realistic alerts for the destination tests: the default route deleted, as in the demo trail."""

from __future__ import annotations

from datetime import datetime, timedelta

from tattletrail.alert import Alert, SampleEvent, Status

WINDOW_END = datetime(2026, 11, 22, 16, 45)
ACTORS = ["DOE1", "AWSReservedSSO_Admin_1a2b/alice@example.com", "root", "deploy-bot"]


def route_samples(count: int) -> tuple[SampleEvent, ...]:
    return tuple(
        SampleEvent(event_id=f"3f6c7a52-0d8e-4a51-9b1c-{index:012d}",
                    time=WINDOW_END - timedelta(minutes=14) + timedelta(seconds=4 * index),
                    actor=ACTORS[index % len(ACTORS)], event_name="DeleteRoute",
                    resource=f"rtb-0{index:016x}", region="eu-west-1", source_ip=f"203.0.113.{index % 250 + 1}",
                    error="Client.UnauthorizedOperation" if index % 3 == 2 else None)
        for index in range(count))


def route_deleted_alert(samples: int = 3, **changes: object) -> Alert:
    fields: dict[str, object] = dict(
        check="default-route-deleted", status=Status.CRITICAL, previous=Status.OK, count=samples,
        window_start=WINDOW_END - timedelta(minutes=15), window_end=WINDOW_END,
        query="eventName:DeleteRoute AND requestParameters.destinationCidrBlock:\"0.0.0.0/0\"",
        description="The default route of a route table was deleted: builds lose the internet.",
        group={"account": "111122223333"}, warning=1, critical=1, samples=route_samples(samples),
        message=f"{samples} DeleteRoute on default routes in 15 min",
        explore_command='tattletrail search "eventName:DeleteRoute" --since 2026-11-22T16:30:00Z',
        created_at=WINDOW_END + timedelta(seconds=20))
    fields.update(changes)
    return Alert(**fields)  # type: ignore[arg-type]


def recovery_of(alert: Alert) -> Alert:
    return Alert(check=alert.check, status=Status.OK, previous=alert.status, count=0,
                 window_start=alert.window_end, window_end=alert.window_end + timedelta(minutes=15),
                 query=alert.query, description=alert.description, group=alert.group, warning=alert.warning,
                 critical=alert.critical, created_at=alert.window_end + timedelta(minutes=15, seconds=20))
