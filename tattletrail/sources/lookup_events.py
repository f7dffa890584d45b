"""CloudTrail's event history through the LookupEvents API, for accounts with no trail bucket.

The history holds 90 days of management events per account and region, answers 50 events per
request and allows 2 requests per second. Time is cut into slices (an hour by default), each one
log object: `cloudtrail-api://ACCOUNT/REGION/START/END`. A slice that ended more than 15 minutes
ago (events take up to that long to appear) is settled and gets a fixed ETag, so the ledger skips
it on the next run; a slice still open gets an ETag that changes every run, so it is read again.
Each slice's events are given to the reader as LookupEvents output: `{"Events": [{"CloudTrailEvent":
"<the record as a JSON string>"}]}`.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any, BinaryIO, Callable, Iterator

import boto3
import orjson
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

from tattletrail.sources.base import LogObject, SourceError
from tattletrail.timespec import utc_now

SLICE = timedelta(hours=1)
SETTLE = timedelta(minutes=15)
DEFAULT_SINCE = timedelta(days=7)
PAGE_SIZE = 50  # LookupEvents' most
REQUESTS_PER_SECOND = 2.0  # LookupEvents' quota per account and region
ATTEMPTS = 8  # per request, on throttling or a network fault
MAX_BACKOFF = 30.0
# Throttling is retried here, paced and counted, rather than inside botocore.
CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=10, read_timeout=60)
ACCESS_ERRORS = {"AccessDeniedException", "UnrecognizedClientException", "InvalidClientTokenId",
                 "ExpiredTokenException", "AccessDenied"}


@dataclass
class Pacer:
    """At most `rate` requests per second, and exponential backoff after a throttle. Clock injectable."""

    rate: float = REQUESTS_PER_SECOND
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    waits: list[float] = field(default_factory=list)  # every pause taken, for tests and curiosity
    _last: float | None = None

    def before_request(self) -> None:
        if self._last is not None:
            self._pause(self._last + 1 / self.rate - self.clock())
        self._last = self.clock()

    def backoff(self, attempt: int) -> None:
        self._pause(min(MAX_BACKOFF, 0.5 * 2 ** attempt))

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self.waits.append(seconds)
            self.sleep(seconds)


def lookup_events_objects(uri: str = "cloudtrail-api://", *, regions: list[str] | None = None,
                          since: datetime | None = None, until: datetime | None = None,
                          profile: str | None = None, endpoint_url: str | None = None,
                          account: str | None = None, slice_length: timedelta = SLICE,
                          now: datetime | None = None, pacer: Pacer | None = None) -> Iterator[LogObject]:
    """One log object per region and time slice in [since, until) (naive UTC; since defaults to 7 days ago)."""
    if uri.rstrip("/") != "cloudtrail-api:":
        raise SourceError(f"{uri!r}: write cloudtrail-api:// (choose regions with --region)")
    session = _session(profile)
    now = now or utc_now()
    until = min(until or now, now)
    since = since or now - DEFAULT_SINCE
    account = account or _account(session, endpoint_url)
    pacer = pacer or Pacer()
    for region in regions or [session.region_name or "us-east-1"]:
        client = session.client("cloudtrail", region_name=region, endpoint_url=endpoint_url, config=CLIENT_CONFIG)
        start = since
        while start < until:
            end = min(start + slice_length, until)
            settled = end <= now - SETTLE
            yield LogObject(uri=f"cloudtrail-api://{account}/{region}/{_stamp(start)}/{_stamp(end)}",
                            etag="settled" if settled else f"open-{_stamp(now)}", size=None,
                            open=partial(_read_slice, client, pacer, start, end))
            start = end


def lookup_events(client: Any, pacer: Pacer, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
    """Every event LookupEvents holds in [start, end), following NextToken, paced and retried."""
    arguments: dict[str, Any] = {"StartTime": start.replace(tzinfo=timezone.utc),
                                 "EndTime": end.replace(tzinfo=timezone.utc), "MaxResults": PAGE_SIZE}
    while True:
        page = _request(client, pacer, arguments)
        yield from page.get("Events", [])
        if not page.get("NextToken"):
            return
        arguments["NextToken"] = page["NextToken"]


def _read_slice(client: Any, pacer: Pacer, start: datetime, end: datetime) -> BinaryIO:
    events = [{"CloudTrailEvent": event["CloudTrailEvent"]} for event in lookup_events(client, pacer, start, end)
              if isinstance(event.get("CloudTrailEvent"), str)]
    return io.BytesIO(orjson.dumps({"Events": events}))


def _request(client: Any, pacer: Pacer, arguments: dict[str, Any]) -> dict[str, Any]:
    """One LookupEvents call; OSError after ATTEMPTS (the slice is quarantined and read next run)."""
    failure: Exception | None = None
    for attempt in range(ATTEMPTS):
        pacer.before_request()
        try:
            page: dict[str, Any] = client.lookup_events(**arguments)
            return page
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ACCESS_ERRORS:
                raise SourceError(f"LookupEvents refused ({code}): the credentials need cloudtrail:LookupEvents "
                                  "(and sts:GetCallerIdentity)") from error
            if code not in ("ThrottlingException", "Throttling", "TooManyRequestsException"):
                raise OSError(f"LookupEvents failed: {code}: {error.response.get('Error', {}).get('Message')}") from error
            failure = error
        except BotoCoreError as error:
            failure = error
        pacer.backoff(attempt)
    raise OSError(f"LookupEvents still failing after {ATTEMPTS} attempts: {failure}") from failure


def _session(profile: str | None) -> Any:
    try:
        return boto3.Session(profile_name=profile) if profile else boto3.Session()
    except ProfileNotFound as error:
        raise SourceError(f"AWS profile {profile!r} not found: check ~/.aws/config or --profile") from error


def _account(session: Any, endpoint_url: str | None) -> str:
    """The account the credentials belong to: it names the slices, so two accounts never share a ledger entry."""
    try:
        account: str = session.client("sts", endpoint_url=endpoint_url).get_caller_identity()["Account"]
        return account
    except NoCredentialsError as error:
        raise SourceError("no AWS credentials found: set AWS_PROFILE (or --profile), or "
                          "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") from error
    except (BotoCoreError, ClientError) as error:
        raise SourceError(f"can't tell which account the credentials belong to (sts:GetCallerIdentity): {error}") from error


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
