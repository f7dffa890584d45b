"""One door to the sources: `open_source(uri, options)` picks the source by the URI's scheme.

    s3://bucket/prefix      s3.py: a bucket listing, filtered by the CloudTrail key layout
    cloudtrail-api://       lookup_events.py: the LookupEvents API, in time slices
    anything else           local.py: a file, or every file under a folder

A new source is one function `(uri, options) → log objects` added to `SOURCES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterator

from tattletrail.sources.base import LogObject
from tattletrail.sources.filters import EventFilter

Report = Callable[[str], None]


@dataclass(frozen=True)
class SourceOptions:
    """What a run asks of every source it reads; each source uses the parts it understands.

    `accounts`, `regions`, `since`, `until` (naive UTC) narrow what is read: S3 by its keys alone,
    LookupEvents by region and time, local files by their path (`events` counts the files left
    out; hand it to `ingest(..., keep=options.events)` to leave out events one by one too).
    """

    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()  # in the order given: LookupEvents reads them in that order
    since: datetime | None = None
    until: datetime | None = None
    profile: str | None = None  # AWS: a profile of ~/.aws/config (default: standard boto3 credentials)
    endpoint_url: str | None = None  # AWS: S3-compatible storage, a test server
    s3_client: Any = None  # a ready S3 client, used as it is (its own credentials and endpoint)
    report: Report | None = field(default=None, compare=False)  # notices: a link loop skipped, …
    events: EventFilter = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "events", EventFilter(frozenset(self.accounts), frozenset(self.regions),
                                                        self.since, self.until))


Opener = Callable[[str, SourceOptions], Iterator[LogObject]]


def open_source(uri: str, options: SourceOptions | None = None) -> Iterator[LogObject]:
    """The log objects at `uri`, by the source its scheme names (a path when it names none)."""
    options = options or SourceOptions()
    for scheme, opener in SOURCES.items():
        if uri.startswith(scheme):
            return opener(uri, options)
    return _local(uri, options)


def _s3(uri: str, options: SourceOptions) -> Iterator[LogObject]:
    from tattletrail.sources.s3 import s3_objects

    return s3_objects(uri, accounts=list(options.accounts), regions=list(options.regions), since=options.since,
                      until=options.until, profile=options.profile, endpoint_url=options.endpoint_url,
                      client=options.s3_client)


def _lookup_events(uri: str, options: SourceOptions) -> Iterator[LogObject]:
    from tattletrail.sources.lookup_events import lookup_events_objects

    return lookup_events_objects(uri, regions=list(options.regions), since=options.since, until=options.until,
                                 profile=options.profile, endpoint_url=options.endpoint_url)


def _local(uri: str, options: SourceOptions) -> Iterator[LogObject]:
    from tattletrail.sources.local import local_objects

    return local_objects(uri, options.events if options.events.active else None, report=options.report)


SOURCES: dict[str, Opener] = {"s3://": _s3, "cloudtrail-api://": _lookup_events}
