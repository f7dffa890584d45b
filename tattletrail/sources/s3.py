"""CloudTrail log files in S3: list a bucket and prefix, choose by account, region and time from the
keys alone, and download ahead of the reader.

CloudTrail writes `[prefix/]AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_xxxx.json.gz` (also `CloudTrail-Insight/`, and
`CloudTrail-Digest/` for digest files, which are yielded so the ingest counts them as skipped).
Everything the filters need is in the key, so nothing outside them is ever downloaded.
"""

from __future__ import annotations

import io
import re
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from itertools import islice
from typing import Any, BinaryIO, Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

from tattletrail.reader import is_digest_name
from tattletrail.sources.base import LogObject, SourceError

# A key's timestamp is when the file was delivered; its events are up to ~15 minutes older.
DELIVERY_DELAY = timedelta(minutes=15)
CLOUDTRAIL_FOLDERS = ("CloudTrail", "CloudTrail-Insight", "CloudTrail-Digest")
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8}, connect_timeout=10, read_timeout=60)
# botocore retries a request, but not a body that breaks off while it is being read.
BODY_ATTEMPTS = 3
# Bodies are held in memory; a rare bigger object is fetched only when opened, to bound memory.
PREFETCH_SIZE_LIMIT = 64 * 1024 * 1024
ACCESS_ERRORS = {"AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                 "ExpiredToken", "InvalidToken", "AccountProblem"}

# Where a key or folder sits in the layout; each group is present as far as the path reaches.
# `rest` is what follows the deepest part matched: a file name, or anything off the layout.
_LAYOUT = re.compile(
    r"(?:^|/)AWSLogs/(?:o-[a-z0-9]+/)?"
    r"(?:(?P<account>\d{12})/(?:(?P<folder>[^/]+)/(?:(?P<region>[a-z0-9-]+)/"
    r"(?:(?P<year>\d{4})/(?:(?P<month>\d\d)/(?:(?P<day>\d\d)/)?)?)?)?)?)?"
    r"(?P<rest>.*)$")
_DELIVERY_TIME = re.compile(r"_(\d{8}T\d{4}(?:\d\d)?)Z")


@dataclass(frozen=True)
class KeyFilter:
    """Which keys to keep, decided from the key alone: accounts, regions, and delivery time.

    A file whose key time is in [since, until + 15 min) is kept: a file delivered up to 15 minutes
    after `until` can still hold events from before `until`.
    """

    accounts: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    since: datetime | None = None
    until: datetime | None = None

    @property
    def active(self) -> bool:
        return bool(self.accounts or self.regions or self.since or self.until)

    @property
    def first_day(self) -> date:
        return self.since.date() if self.since else date.min

    @property
    def last_day(self) -> date:
        return (self.until + DELIVERY_DELAY).date() if self.until else date.max

    def keeps_key(self, key: str) -> bool:
        """A CloudTrail file in the filters; any other key only when there are no filters."""
        if key.endswith("/"):
            return False  # a folder marker made by the console, not a file
        place = _LAYOUT.search(key)
        if place and place["folder"] and place["folder"] not in CLOUDTRAIL_FOLDERS:
            return False  # another service's logs sharing the AWSLogs folder (Config, ELB, flow logs)
        if not (place and place["day"] and place["rest"] and "/" not in place["rest"] and _days_of(place)):
            return not self.active
        if not self._keeps_place(place):
            return False
        delivered = _delivery_time(place["rest"])  # else the day folder alone decided
        return delivered is None or ((self.since is None or delivered >= self.since)
                                     and (self.until is None or delivered < self.until + DELIVERY_DELAY))

    def keeps_folder(self, folder: str) -> bool:
        """Whether a folder (ending in '/') can hold a key this filter keeps."""
        place = _LAYOUT.search(folder)
        if place is None:
            return True  # above the AWSLogs folder: look inside
        if place["rest"]:
            return False  # off the layout: the filters can't be satisfied in there
        if place["folder"] and place["folder"] not in CLOUDTRAIL_FOLDERS:
            return False
        return self._keeps_place(place)

    def _keeps_place(self, place: re.Match[str]) -> bool:
        if self.accounts and place["account"] and place["account"] not in self.accounts:
            return False
        if self.regions and place["region"] and place["region"] not in self.regions:
            return False
        if not place["year"]:
            return True
        days = _days_of(place)
        return days is not None and days[0] <= self.last_day and days[1] >= self.first_day


def s3_objects(uri: str, *, accounts: list[str] | None = None, regions: list[str] | None = None,
               since: datetime | None = None, until: datetime | None = None, profile: str | None = None,
               endpoint_url: str | None = None, prefetch: int = 8, client: Any = None) -> Iterator[LogObject]:
    """Every log object under `s3://bucket/prefix` in listing order, within the filters (naive UTC times).

    Filters are applied to the keys before anything is downloaded. A file is kept when its key time
    (its delivery time) is in [since, until + 15 min), because its events are up to ~15 minutes older
    than its delivery. With filters, only the account, region and day folders that can match are
    listed; keys outside CloudTrail's layout are kept only when no filter is given. Keys of other
    services' logs in the same AWSLogs folder (`AWSLogs/ACCOUNT/elasticloadbalancing/...`) are
    never kept.

    Each object's ETag is the one listed, so a rewritten object is read again; if it changes between
    listing and download, the newer content is read under the older ETag and read again next run.
    `open()` raises OSError when an object can't be downloaded after retries; the ingest quarantines
    it as unreadable and tries again next run. Bodies are fetched in a thread pool, at most
    `prefetch` ahead of the object being opened (none bigger than 64 MiB, so memory stays bounded). A `client` given is used as it is (its own
    credentials, endpoint and retries); `profile` and `endpoint_url` only shape the one made here.
    """
    if prefetch < 0:
        raise ValueError(f"prefetch must be 0 or more, not {prefetch}")
    bucket, prefix = parse_s3_uri(uri)
    keys = KeyFilter(frozenset(accounts or ()), frozenset(regions or ()), since, until)
    listing = _Listing(client or s3_client(profile, endpoint_url, connections=prefetch + 2), bucket, endpoint_url)
    downloads = _Downloads(listing.client, bucket, prefetch)
    # Listed but not yet yielded: a consumer that opens each object before asking for the next
    # still leaves `prefetch` objects known to `downloads`, to fetch ahead.
    unyielded: deque[LogObject] = deque()
    try:
        for key, etag, size in listing.keys(prefix, keys):
            unyielded.append(LogObject(uri=f"s3://{bucket}/{key}", etag=etag.strip('"'), size=size,
                                       open=partial(downloads.open, downloads.listed(key, size), key)))
            if len(unyielded) > prefetch:
                yield unyielded.popleft()
        while unyielded:
            yield unyielded.popleft()
    except GeneratorExit:
        downloads.stop()
        raise


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/prefix` → (bucket, prefix)."""
    if not uri.startswith("s3://"):
        raise SourceError(f"{uri!r} is not an S3 URI: use s3://bucket or s3://bucket/prefix")
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    if not bucket:
        raise SourceError(f"{uri!r} names no bucket: use s3://bucket or s3://bucket/prefix")
    return bucket, prefix


def s3_client(profile: str | None = None, endpoint_url: str | None = None, connections: int = 10) -> Any:
    """An S3 client from the standard boto3 credentials (or `profile`), retrying faults patiently.

    `connections` should cover the downloads running at once, or urllib3 discards connections.
    """
    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    except ProfileNotFound as error:
        raise SourceError(f"AWS profile {profile!r} not found: check ~/.aws/config or --profile") from error
    config = CLIENT_CONFIG.merge(Config(max_pool_connections=max(10, connections)))
    return session.client("s3", endpoint_url=endpoint_url, config=config)


class _Listing:
    """Lists one bucket, going down CloudTrail's folders only where the filters can match."""

    def __init__(self, client: Any, bucket: str, endpoint_url: str | None) -> None:
        self.client = client
        self.bucket = bucket
        self.endpoint_url = endpoint_url

    def keys(self, prefix: str, keys: KeyFilter) -> Iterator[tuple[str, str, int]]:
        """(key, etag, size) of every kept key under `prefix`, in key order."""
        place = _LAYOUT.search(prefix)
        if not keys.active:
            yield from self._flat(prefix, keys)
        elif prefix.endswith("/") and not keys.keeps_folder(prefix):
            return
        elif place and place["region"]:
            yield from self._days(prefix, place, keys)
        else:
            yield from self._folder(prefix, keys)

    def _folder(self, prefix: str, keys: KeyFilter) -> Iterator[tuple[str, str, int]]:
        for page in self._pages(Prefix=prefix, Delimiter="/"):
            for item in page.get("Contents", ()):
                if keys.keeps_key(item["Key"]):
                    yield item["Key"], item["ETag"], item["Size"]
            for common in page.get("CommonPrefixes", ()):
                yield from self.keys(common["Prefix"], keys)

    def _days(self, prefix: str, place: re.Match[str], keys: KeyFilter) -> Iterator[tuple[str, str, int]]:
        """A region folder (or below) from the first day's folder on, stopping after the last day.

        Day folders sort by date, so this lists only the days between since and until, in one pass.
        """
        region_folder = prefix[: place.end("region") + 1]
        start = {"StartAfter": f"{region_folder}{keys.first_day:%Y/%m/%d}/"} if keys.since else {}
        for page in self._pages(Prefix=prefix, **start):
            for item in page.get("Contents", ()):
                key_place = _LAYOUT.search(item["Key"])
                days = _days_of(key_place) if key_place and key_place["day"] else None
                if days and days[0] > keys.last_day:
                    return
                if keys.keeps_key(item["Key"]):
                    yield item["Key"], item["ETag"], item["Size"]

    def _flat(self, prefix: str, keys: KeyFilter) -> Iterator[tuple[str, str, int]]:
        for page in self._pages(Prefix=prefix):
            for item in page.get("Contents", ()):
                if keys.keeps_key(item["Key"]):
                    yield item["Key"], item["ETag"], item["Size"]

    def _pages(self, **arguments: str) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            yield from paginator.paginate(Bucket=self.bucket, **arguments)
        except ClientError as error:
            raise SourceError(self._listing_error(error, arguments.get("Prefix", ""))) from error
        except NoCredentialsError as error:
            raise SourceError("no AWS credentials found: set AWS_PROFILE (or --profile), or "
                              "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") from error
        except BotoCoreError as error:
            raise SourceError(f"s3://{self.bucket}: could not list it: {error}") from error

    def _listing_error(self, error: ClientError, prefix: str) -> str:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        where = f"s3://{self.bucket}/{prefix}"
        if code == "NoSuchBucket":
            endpoint = f" at {self.endpoint_url}" if self.endpoint_url else ""
            return f"s3://{self.bucket}: no such bucket{endpoint}: check the bucket name"
        if code in ACCESS_ERRORS:
            return (f"{where}: access denied ({code}): check the credentials (AWS_PROFILE or --profile) "
                    "and that they allow s3:ListBucket on the bucket")
        return f"{where}: listing failed: {code}: {message}"


class _Downloads:
    """Downloads bodies in a thread pool, a few objects ahead of the one being opened.

    The ingest looks up a chunk of objects in its ledger before opening any and skips those already
    read, so fetching ahead of *listing* would download every skipped object. Fetching ahead starts
    at `open()` instead, and reaches as far as the current streak of objects opened one after
    another, less one (up to `depth`): a run that skips everything downloads nothing, an object
    opened alone fetches nothing ahead, and downloads wasted on skipped objects never outnumber the
    useful ones. Only the consumer's thread calls `listed` and `open`.
    """

    def __init__(self, client: Any, bucket: str, depth: int) -> None:
        self._client = client
        self._bucket = bucket
        self._depth = depth
        self._pool = ThreadPoolExecutor(max_workers=depth, thread_name_prefix="s3-download") if depth else None
        self._waiting: deque[tuple[int, str, int]] = deque()  # listed, not yet opened or passed over
        self._ahead: dict[int, Future[bytes]] = {}
        self._count = 0
        self._last_opened = -1
        self._streak = 0

    def listed(self, key: str, size: int) -> int:
        index = self._count
        self._count += 1
        self._waiting.append((index, key, size))
        return index

    def open(self, index: int, key: str) -> BinaryIO:
        while self._waiting and self._waiting[0][0] <= index:
            self._waiting.popleft()
        for passed in [ahead for ahead in self._ahead if ahead < index]:
            self._ahead.pop(passed).cancel()
        self._streak = self._streak + 1 if index == self._last_opened + 1 else 1
        self._last_opened = index
        fetched = self._ahead.pop(index, None)
        self._fetch_ahead()
        return io.BytesIO(fetched.result() if fetched else download(self._client, self._bucket, key))

    def _fetch_ahead(self) -> None:
        if self._pool is None:
            return
        for index, key, size in islice(self._waiting, min(self._depth, self._streak - 1)):
            if len(self._ahead) >= self._depth:
                return
            # the reader skips digest files by name without reading them
            if index not in self._ahead and size <= PREFETCH_SIZE_LIMIT and not is_digest_name(key):
                self._ahead[index] = self._pool.submit(download, self._client, self._bucket, key)

    def stop(self) -> None:
        """The consumer went away: drop what was fetched ahead; later opens download directly."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        self._ahead.clear()


def download(client: Any, bucket: str, key: str) -> bytes:
    """The object's bytes, or OSError saying why not (the ingest quarantines it and retries next run)."""
    uri = f"s3://{bucket}/{key}"
    failure: BotoCoreError | None = None
    for _ in range(BODY_ATTEMPTS):
        try:
            response = client.get_object(Bucket=bucket, Key=key)
        except ClientError as error:
            details = error.response.get("Error", {})
            raise OSError(f"{uri}: download failed: {details.get('Code')}: {details.get('Message')}") from error
        except BotoCoreError as error:
            raise OSError(f"{uri}: download failed after retries: {error}") from error
        try:
            # not `with response["Body"]`: that hands out the raw urllib3 stream, whose errors
            # botocore doesn't translate and whose length it doesn't check
            with closing(response["Body"]) as body:
                data: bytes = body.read()
                return data
        except BotoCoreError as error:
            failure = error
    raise OSError(f"{uri}: the download broke off {BODY_ATTEMPTS} times: {failure}") from failure


def delivery_time_of(key: str) -> datetime | None:
    """When CloudTrail delivered the file at `key` (naive UTC, from its name); None off the layout."""
    return _delivery_time(key.rsplit("/", 1)[-1])


def _delivery_time(name: str) -> datetime | None:
    match = _DELIVERY_TIME.search(name)
    if not match:
        return None
    text = match.group(1)
    try:
        return datetime.strptime(text, "%Y%m%dT%H%M%S" if len(text) == 15 else "%Y%m%dT%H%M")
    except ValueError:
        return None


def _days_of(place: re.Match[str]) -> tuple[date, date] | None:
    """The first and last day a year, month or day folder covers; None for an impossible date."""
    year = int(place["year"])
    try:
        if place["day"]:
            day = date(year, int(place["month"]), int(place["day"]))
            return day, day
        if place["month"]:
            first = date(year, int(place["month"]), 1)
            return first, (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        return date(year, 1, 1), date(year, 12, 31)
    except ValueError:
        return None
