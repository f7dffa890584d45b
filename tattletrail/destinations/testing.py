"""The test alert `tattletrail destinations test` sends: realistic enough to show every part of a
message (count, thresholds, window, sample events, explore command), marked as a test."""

from __future__ import annotations

from datetime import datetime, timedelta

from tattletrail.alert import Alert, SampleEvent, Status


def make_test_alert(now: datetime) -> Alert:
    start = now.replace(microsecond=0) - timedelta(minutes=15)
    samples = (
        SampleEvent("tattletrail-test-1", start + timedelta(minutes=3), "DOE1", "DeleteRoute", "rtb-0123456789abcdef0",
                    "eu-west-1", "203.0.113.7"),
        SampleEvent("tattletrail-test-2", start + timedelta(minutes=9), "DOE1", "DeleteRoute", "rtb-0fedcba9876543210",
                    "eu-west-1", "203.0.113.7", error="Client.UnauthorizedOperation"),
    )
    return Alert(
        check="tattletrail-test", status=Status.CRITICAL, previous=Status.OK, count=2, window_start=start,
        window_end=now.replace(microsecond=0), query="eventName:DeleteRoute", warning=1, critical=2,
        description="A test alert: nothing happened in your account.",
        message="This is a test of the destination; no action is needed.", samples=samples, kind="test",
        explore_command=f'tattletrail search "eventName:DeleteRoute" --since {start:%Y-%m-%dT%H:%M:%SZ}',
        created_at=now.replace(microsecond=0))
