"""Log files and digest files, named and laid out the way an organization trail delivers them to S3.

Each log file is written as soon as its records exist, so memory stays bounded by one file. Digest
files chain per account and region, hourly, each naming the log files delivered in its hour with
the SHA-256 of their uncompressed content, as CloudTrail's integrity validation does (the RSA
signature itself, which AWS keeps in S3 object metadata, is not produced).
"""

from __future__ import annotations

import gzip
import hashlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from tattletrail.generate.identities import Ids

GZIP_LEVEL = 3  # well below CloudTrail's own ratio is fine; speed matters more for benchmark trails
HOUR = timedelta(hours=1)
# zlib and hashlib let go of the GIL, so files are compressed, hashed and written on worker threads
# while the next records are built. A bounded queue keeps memory to a few files' worth.
WORKERS = 2
IN_FLIGHT = 16


@dataclass(slots=True)
class DeliveredFile:
    key: str
    written: Future[tuple[str, int]]  # (SHA-256 of the uncompressed content, bytes on disk), from a worker
    oldest: str
    newest: str
    delivered: datetime


@dataclass(slots=True)
class DigestChain:
    """The hourly digests of one account and region, each pointing at the one before."""

    account: str
    region: str
    period_end: datetime
    pending: list[DeliveredFile] = field(default_factory=list)
    previous_key: str | None = None
    previous_sha256: str | None = None


class TrailWriter:
    def __init__(self, outdir: Path, ids: Ids, organization: str, bucket: str, trail: str,
                 home_region: str, gzip_level: int = GZIP_LEVEL) -> None:
        self.outdir = outdir
        self.ids = ids
        self.organization = organization
        self.bucket = bucket
        self.trail = trail
        self.home_region = home_region
        self.gzip_level = gzip_level
        self.files = 0
        self.digest_files = 0
        self.bytes = 0
        self._chains: dict[tuple[str, str], DigestChain] = {}
        self._fingerprints: dict[str, str] = {}
        self._made_folders: set[Path] = set()
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="trail-writer")
        self._in_flight: deque[Future[tuple[str, int]]] = deque()

    def write_log_file(self, account: str, region: str, records: list[dict[str, Any]], delivered: datetime) -> str:
        """Write one log file of records already in time order; returns its key."""
        key = (f"AWSLogs/{self.organization}/{account}/CloudTrail/{region}/{delivered:%Y/%m/%d}/"
               f"{account}_CloudTrail_{region}_{delivered:%Y%m%dT%H%MZ}_{self.ids.alnum(16)}.json.gz")
        written = self._write(key, orjson.dumps({"Records": records}))
        self.files += 1
        chain = self._chain(account, region, delivered)
        chain.pending.append(DeliveredFile(key, written, records[0]["eventTime"], records[-1]["eventTime"], delivered))
        return key

    def write_digests_until(self, moment: datetime) -> None:
        """Every digest whose hour has ended by `moment` (no later log file can belong to it)."""
        for chain in self._chains.values():
            while chain.period_end <= moment:
                self._write_digest(chain)

    def finish(self) -> None:
        """Close every chain (digests until each has accounted for all of its log files) and wait
        for every file to be on disk; a failed write raises here."""
        for chain in self._chains.values():
            while chain.pending:
                self._write_digest(chain)
        while self._in_flight:
            self._collect()

    def __enter__(self) -> TrailWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _chain(self, account: str, region: str, delivered: datetime) -> DigestChain:
        chain = self._chains.get((account, region))
        if chain is None:
            # Each chain delivers at its own second past the hour, like a real trail's regions do.
            offset = timedelta(seconds=60 + self.ids.rng.randrange(240))
            period_end = delivered.replace(minute=0, second=0, microsecond=0) + offset
            if period_end <= delivered:
                period_end += HOUR
            chain = self._chains[(account, region)] = DigestChain(account, region, period_end)
        return chain

    def _write_digest(self, chain: DigestChain) -> None:
        end = chain.period_end
        files = [item for item in chain.pending if item.delivered < end]
        chain.pending = chain.pending[len(files):]
        key = (f"AWSLogs/{self.organization}/{chain.account}/CloudTrail-Digest/{chain.region}/{end:%Y/%m/%d}/"
               f"{chain.account}_CloudTrail-Digest_{chain.region}_{self.trail}_{self.home_region}_"
               f"{end:%Y%m%dT%H%M%SZ}.json.gz")
        digest = {
            "awsAccountId": chain.account,
            "digestStartTime": _stamp(end - HOUR),
            "digestEndTime": _stamp(end),
            "digestS3Bucket": self.bucket,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": self._fingerprint(chain.region),
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": max((item.newest for item in files), default=None),
            "oldestEventTime": min((item.oldest for item in files), default=None),
            "previousDigestS3Bucket": self.bucket if chain.previous_key else None,
            "previousDigestS3Object": chain.previous_key,
            "previousDigestHashValue": chain.previous_sha256,
            "previousDigestHashAlgorithm": "SHA-256" if chain.previous_key else None,
            "previousDigestSignature": self.ids.hex(512) if chain.previous_key else None,
            "logFiles": [{"s3Bucket": self.bucket, "s3Object": item.key, "hashValue": item.written.result()[0],
                          "hashAlgorithm": "SHA-256", "newestEventTime": item.newest,
                          "oldestEventTime": item.oldest} for item in files],
        }
        body = orjson.dumps(digest)
        self._write(key, body)
        self.digest_files += 1
        chain.previous_key = key
        chain.previous_sha256 = hashlib.sha256(body).hexdigest()
        chain.period_end = end + HOUR

    def _fingerprint(self, region: str) -> str:
        """CloudTrail signs with one key per region; its fingerprint is the same in every digest there."""
        found = self._fingerprints.get(region)
        if found is None:
            found = self._fingerprints[region] = self.ids.hex(32)
        return found

    def _write(self, key: str, body: bytes) -> Future[tuple[str, int]]:
        path = self.outdir / key
        if path.parent not in self._made_folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made_folders.add(path.parent)
        while len(self._in_flight) >= IN_FLIGHT:
            self._collect()
        written = self._pool.submit(self._compress_and_write, path, body)
        self._in_flight.append(written)
        return written

    def _collect(self) -> None:
        self.bytes += self._in_flight.popleft().result()[1]

    def _compress_and_write(self, path: Path, body: bytes) -> tuple[str, int]:
        """On a worker thread: the file on disk; the hash its digest will list, and its size."""
        data = gzip.compress(body, compresslevel=self.gzip_level, mtime=0)
        path.write_bytes(data)
        return hashlib.sha256(body).hexdigest(), len(data)


def _stamp(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%S}Z"
